"""What genealogy queries return: traces, recall impacts, common causes, data issues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx

from qualityflow.errors import GenealogyError
from qualityflow.models import Batch, BatchKind, BatchStatus, Quantity, Shipment

if TYPE_CHECKING:
    from qualityflow.genealogy.graph import Genealogy

__all__ = ["CommonCause", "DataIssue", "MassBalance", "RecallImpact", "Trace"]

Direction = Literal["forward", "backward"]
CauseKind = Literal["lot", "supplier", "line"]


class Trace:
    """Everything downstream (forward) or upstream (backward) of some starting ids.

    ``ids`` is the set of reached ids, the starting ids excluded (a starting id that is
    also reached from another starting id is not listed either). Iterating yields the
    reached ids; ``len()`` counts them.

    Examples
    --------
    >>> import qualityflow as qf
    >>> g = qf.Genealogy.example()
    >>> trace = g.trace_forward("COCOA-7")
    >>> sorted(trace.ids)[:3]
    ['BISC-1', 'BISC-2', 'MIX-1']
    >>> trace.path_to("SHIP-2")
    ['COCOA-7', 'MIX-1', 'BISC-2', 'SHIP-2']

    """

    __slots__ = (
        "_genealogy",
        "_id_set",
        "_ids",
        "_indices",
        "_names",
        "_ordered",
        "depth",
        "direction",
        "starts",
    )

    def __init__(
        self,
        genealogy: Genealogy,
        direction: Direction,
        starts: tuple[str, ...],
        depth: int | None,
        ids: list[str] | None = None,
        indices: Any = None,
        names: list[str] | None = None,
    ) -> None:
        # A trace holds either the reached ids (small traces) or their positions in the
        # CSR index together with the index's id list (wide traces, materialised lazily).
        self._genealogy = genealogy
        self.direction: Direction = direction
        self.starts = starts
        self.depth = depth
        self._ids = ids
        self._indices = indices
        self._names = names
        self._id_set: frozenset[str] | None = None
        self._ordered: list[str] | None = None

    @property
    def ids(self) -> frozenset[str]:
        """The reached ids, starting ids excluded (built on first use, then kept)."""
        id_set = self._id_set
        if id_set is None:
            id_set = self._id_set = frozenset(self.ordered_ids)
        return id_set

    @property
    def ordered_ids(self) -> list[str]:
        """The reached ids in breadth-first order (nearest first)."""
        ids = self._ids
        if ids is None:
            ids = self._ordered
            if ids is None:
                names = self._names or []
                ids = self._ordered = [names[i] for i in self._indices.tolist()]
        return ids

    def __len__(self) -> int:
        if self._ids is not None:
            return len(self._ids)
        return int(self._indices.size)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ordered_ids)

    def __contains__(self, id: object) -> bool:
        return id in self.ids

    def __repr__(self) -> str:
        return (
            f"Trace({self.direction}, starts={list(self.starts)!r}, "
            f"reached={len(self)}, depth={self.depth})"
        )

    @property
    def batches(self) -> list[Batch]:
        """The reached batches (not the starting ones), as stored in the genealogy."""
        g = self._genealogy
        return [e for e in (g.entity(i) for i in self.ordered_ids) if isinstance(e, Batch)]

    @property
    def shipments(self) -> list[Shipment]:
        """The reached shipments."""
        g = self._genealogy
        return [e for e in (g.entity(i) for i in self.ordered_ids) if isinstance(e, Shipment)]

    def path_to(self, id: str) -> list[str]:
        """One path from a starting id to ``id``, both ends included, in trace order.

        A forward path reads from the suspect lot down to ``id``; a backward path reads
        from the starting batch up to the lot ``id``.

        Raises
        ------
        GenealogyError
            When ``id`` was not reached by this trace.

        """
        if id in self.starts:
            return [id]
        if id not in self.ids:
            raise GenealogyError(
                f"{id!r} is not in this {self.direction} trace from {list(self.starts)!r}; "
                "trace from another id or without a depth limit"
            )
        graph = self._genealogy._graph
        back = graph._pred if self.direction == "forward" else graph._succ
        inside = self.ids
        starts = set(self.starts)
        path = [id]
        node = id
        while node not in starts:
            for prev in back[node]:
                if prev in starts:
                    node = prev
                    break
            else:
                node = next(p for p in back[node] if p in inside)
            path.append(node)
        path.reverse()
        return path

    @property
    def subgraph(self) -> nx.DiGraph:
        """A read-only networkx view of the starting and reached ids and their links."""
        return self._genealogy.graph.subgraph(self.ids.union(self.starts))

    def to_mermaid(self) -> str:
        """Mermaid flowchart text of this trace (starting ids highlighted)."""
        return self._genealogy.to_mermaid(self)

    def to_dot(self) -> str:
        """Graphviz DOT text of this trace (starting ids highlighted)."""
        return self._genealogy.to_dot(self)


def _quantities(totals: dict[str, Decimal]) -> dict[str, Quantity]:
    return {unit: Quantity(amount=amount, unit=unit) for unit, amount in sorted(totals.items())}


@dataclass(frozen=True)
class RecallImpact:
    """What a recall of some suspect lots touches, and how much of it is where.

    ``batches`` holds the affected batches, the suspects included; ``shipments`` the
    affected shipments. ``shipped`` is what left the plant (every affected shipment) and
    ``in_house`` what is still here (affected finished batches minus what was shipped from
    them in the same unit), each as quantity per unit. ``in_house_by_status`` splits the
    in-house stock by batch status, so ``quarantined`` is already contained and
    ``released`` still needs blocking.
    """

    suspect_ids: tuple[str, ...]
    batches: list[Batch]
    shipments: list[Shipment]
    customer_ids: frozenset[str]
    regions: frozenset[str]
    shipped: dict[str, Quantity]
    in_house: dict[str, Quantity]
    in_house_by_status: dict[str, dict[str, Quantity]] = field(default_factory=dict)

    @property
    def quarantined(self) -> dict[str, Quantity]:
        """In-house affected finished stock that is already quarantined, per unit."""
        return self.in_house_by_status.get(BatchStatus.QUARANTINED.value, {})

    @property
    def released(self) -> dict[str, Quantity]:
        """In-house affected finished stock that is still released (to block now)."""
        return self.in_house_by_status.get(BatchStatus.RELEASED.value, {})

    @property
    def batch_ids(self) -> list[str]:
        """Ids of the affected batches."""
        return [b.id for b in self.batches]

    @property
    def shipment_ids(self) -> list[str]:
        """Ids of the affected shipments."""
        return [s.id for s in self.shipments]

    @property
    def still_released(self) -> list[Batch]:
        """Affected batches of any kind whose status is still ``released``."""
        return [b for b in self.batches if b.status is BatchStatus.RELEASED]

    @property
    def ids(self) -> set[str]:
        """Every affected id (batches and shipments), for export."""
        return {*self.batch_ids, *self.shipment_ids}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary: ids, customers, regions, and amounts as decimal strings."""

        def amounts(q: dict[str, Quantity]) -> dict[str, str]:
            return {unit: str(v.amount) for unit, v in q.items()}

        return {
            "suspect_ids": list(self.suspect_ids),
            "batch_ids": sorted(self.batch_ids),
            "shipment_ids": sorted(self.shipment_ids),
            "customer_ids": sorted(self.customer_ids),
            "regions": sorted(self.regions),
            "shipped": amounts(self.shipped),
            "in_house": amounts(self.in_house),
            "in_house_by_status": {
                status: amounts(q) for status, q in sorted(self.in_house_by_status.items())
            },
            "still_released_ids": sorted(b.id for b in self.still_released),
        }

    def __str__(self) -> str:
        finished = sum(1 for b in self.batches if b.kind is BatchKind.FINISHED)

        def fmt(q: dict[str, Quantity]) -> str:
            return ", ".join(str(v) for v in q.values()) or "nothing"

        return (
            f"Recall impact of {', '.join(self.suspect_ids)}: {len(self.batches)} batches "
            f"({finished} finished), {len(self.shipments)} shipments to "
            f"{len(self.customer_ids)} customers in {len(self.regions)} regions; "
            f"shipped {fmt(self.shipped)}; in house {fmt(self.in_house)} "
            f"(quarantined {fmt(self.quarantined)}, still released {fmt(self.released)})"
        )


@dataclass(frozen=True)
class CommonCause:
    """An upstream lot, supplier or line shared by a set of suspect batches.

    ``reach`` counts the given batches it feeds, ``share`` is that as a fraction of them,
    and ``specificity`` the fraction of its own downstream batches (of the given batches'
    kinds) that are among the given ones: 1.0 for a lot that feeds nothing else, near 0 for
    water or a packaging film that feeds the whole plant. ``kind`` says what ``id`` names:
    ``"lot"``, ``"supplier"`` or ``"line"``.
    """

    id: str
    reach: int
    share: float
    specificity: float
    kind: CauseKind = "lot"


@dataclass(frozen=True)
class MassBalance:
    """How much was taken from a lot compared with its quantity.

    ``used`` sums the quantities on the lot's outgoing links and shipments in the lot's
    own unit; ``other_units`` sums those in other units (not comparable); ``unmeasured``
    lists outputs linked without a quantity. ``over_by`` is set when more was used than
    the lot held. ``known`` is false for a lot whose own quantity is not known (as EPCIS
    imports record it: zero, with ``attributes["quantity_known"] = False`` or the unit
    ``"unknown"``); no over-consumption is judged then.
    """

    id: str
    quantity: Quantity
    used: Quantity
    other_units: dict[str, Quantity]
    unmeasured: tuple[str, ...]
    known: bool = True

    @property
    def remaining(self) -> Quantity | None:
        """What should be left of the lot (zero when over-consumed; ``None`` if unknown)."""
        if not self.known:
            return None
        if self.used.amount >= self.quantity.amount:
            return Quantity.zero(self.quantity.unit)
        return self.quantity - self.used

    @property
    def over_by(self) -> Quantity | None:
        """How much more was used than the lot held, or ``None`` (also when unknown)."""
        if self.known and self.used.amount > self.quantity.amount:
            return self.used - self.quantity
        return None

    @property
    def ok(self) -> bool:
        """True when nothing was over-consumed."""
        return self.over_by is None


IssueKind = Literal["over_consumed", "orphan_shipment", "consumed_before_produced"]


@dataclass(frozen=True)
class DataIssue:
    """One data-quality finding in a genealogy, with the ids involved and what to check."""

    kind: IssueKind
    ids: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
