"""qualityflow: quality-management workflows for light industry.

Typed models of suppliers, batches, inspections, shipments, incidents and complaints;
state machines that enforce the closed loop; a batch genealogy for recall impact; plugin
hooks for storage and notifications. Start with ``import qualityflow as qf``.

``import qualityflow`` is cheap: only the errors and ``__version__`` load at once. Every
other public name loads its layer on first access (PEP 562, through
``lazy_loader.attach_stub``), so ``qf.Batch`` loads the models only and ``qf.Genealogy``
brings in networkx and numpy when it is first used. ``from qualityflow import NAME`` and
``from qualityflow import *`` work as before.

The public names are listed once, in ``__init__.pyi`` beside this file (the stub that
mypy and IDEs read); adding a name means adding it there. Names that left the top level
in 0.2 still resolve, with a :class:`DeprecationWarning` saying where they live now.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import lazy_loader

# The errors load at once (a caller catching QualityFlowError needs nothing else); they
# are public through the stub like every other name.
from qualityflow.errors import (  # noqa: F401
    ConcurrencyError,
    GenealogyError,
    InteropError,
    NotFoundError,
    PermissionDenied,
    ProtectedFieldError,
    QualityFlowError,
    RowProblem,
    RowsRefused,
    StorageError,
    TransitionError,
    UnitMismatchError,
)

__version__ = "0.1.0"

_lazy_getattr, _, _public = lazy_loader.attach_stub(__name__, __file__)

__all__ = [*_public, "__version__"]


def __dir__() -> list[str]:
    return list(__all__)


_MOVED: dict[str, tuple[str, str]] = {
    # name -> (module that defines it, what to use instead), off the top level since 0.2:
    # internals of the release and link rules, and twins of a service method.
    "apply_inspection": ("qualityflow.prevention", "qms.inspections.add"),
    "decide": ("qualityflow.prevention", "qms.suppliers.decide"),
    "ensure_linkable": ("qualityflow.prevention", "qms.link"),
    "lesson_open": ("qualityflow.prevention", "qms.lesson_open"),
    "link_blockers": ("qualityflow.prevention", "qms.link"),
    "open_training": ("qualityflow.prevention", "qms.open_training"),
    "release_blockers": ("qualityflow.prevention", "qms.batches.release"),
    "samples_due_for_disposal": ("qualityflow.prevention", "qms.samples_due"),
    "samples_for": ("qualityflow.prevention", "qms.samples_for"),
    "status_change_notification": ("qualityflow.prevention", "qms.suppliers.decide"),
}
"""Names that left the top level: still resolved, with a DeprecationWarning."""


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        module, instead = _MOVED[name]
        warnings.warn(
            f"qualityflow.{name} is no longer a top-level name: use {instead}, or import it "
            f"from {module} (from {module} import {name})",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), name)
    try:
        return _lazy_getattr(name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
