"""What prevention needs from a genealogy, as a structural type (no import of the layer)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from qualityflow.models import Batch

__all__ = ["BatchLookup", "TracesBackward", "batch_index", "upstream_ids"]


class TracesBackward(Protocol):
    """Anything with :meth:`qualityflow.Genealogy.trace_backward` and ``in``."""

    def __contains__(self, id: object) -> bool: ...

    def trace_backward(self, *ids: str) -> Iterable[str]: ...


BatchLookup = Mapping[str, Batch] | Iterable[Batch]
"""Batches by id, or an iterable of batches."""


def batch_index(batches: BatchLookup | None, genealogy: object = None) -> dict[str, Batch]:
    """Index ``batches`` by id; with none given, take a genealogy's own ``batches()``."""
    if batches is None:
        own: Any = getattr(genealogy, "batches", None)
        if own is None or not callable(own):
            return {}
        batches = own()
    if isinstance(batches, Mapping):
        return dict(batches)
    assert batches is not None
    return {b.id: b for b in batches}


def upstream_ids(ids: Iterable[str], genealogy: TracesBackward | None) -> set[str]:
    """``ids`` and, when a genealogy is given, every id upstream of those it knows."""
    start = set(ids)
    if genealogy is None:
        return start
    known = sorted(i for i in start if i in genealogy)
    reached: Iterator[str] | Iterable[str] = genealogy.trace_backward(*known) if known else ()
    return start | set(reached)
