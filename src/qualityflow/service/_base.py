"""The generic repository and the rules shared by the service modules."""

from __future__ import annotations

import builtins
import logging
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from qualityflow.models import (
    BatchStatus,
    Complaint,
    ContainmentKind,
    Incident,
)
from qualityflow.storage import Entity, Storage

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Entity)
L = TypeVar("L", bound=Incident | Complaint)
CONTAINMENT_STATUS: dict[ContainmentKind, BatchStatus] = {
    ContainmentKind.QUARANTINE: BatchStatus.QUARANTINED,
    ContainmentKind.HOLD: BatchStatus.ON_HOLD,
    ContainmentKind.STOP_SHIPMENT: BatchStatus.ON_HOLD,
    ContainmentKind.SCRAP: BatchStatus.SCRAPPED,
    ContainmentKind.RECALL: BatchStatus.RECALLED,
}
"""The batch status each containment action sets (a recall decision sets ``recalled``)."""

# A containment never relaxes a batch: the stricter status wins.
_STRICTNESS = {
    BatchStatus.RELEASED: 0,
    BatchStatus.ON_HOLD: 1,
    BatchStatus.QUARANTINED: 2,
    BatchStatus.RECALLED: 3,
    BatchStatus.SCRAPPED: 4,
}
_PUSHED_DOWN = ("status", "ids")

STATUS_CHANGES = "status_changes"
"""The ``Batch.attributes`` key under which holds and releases are recorded.

Each entry is ``{"at", "by", "from", "to", "reason"}`` (plus ``"inspection"`` for a hold
set by a failed inspection and ``"override"`` for a release under a supplier override).
"""


def _value(value: object) -> object:
    return getattr(value, "value", value)


class Repository(Generic[E]):
    """Add, get, list and save one kind of record (``qms.batches``, ``qms.suppliers``...).

    Every method is one storage transaction. ``list(**filters)`` filters on ``status``
    (one value or several) and ``ids`` in the database, and on any other field by
    equality (``qms.batches.list(supplier_id="SUP-MILL")``).
    """

    def __init__(self, service: QualityFlow, kind: str, model: type[E]) -> None:
        self._service = service
        self.kind = kind
        self.model: type[E] = model

    @property
    def _storage(self) -> Storage:
        return self._service.storage

    def _typed(self, entity: object) -> E:
        if not isinstance(entity, self.model):  # pragma: no cover - storage returns the kind
            raise TypeError(f"expected a {self.model.__name__}, got {type(entity).__name__}")
        return entity

    def add(self, entity: E) -> E:
        """Store a new record; returns the stored copy (version 1)."""
        self._check_type(entity)
        return self._typed(self._storage.add(entity))

    def get(self, id: str) -> E:
        """Load a record by id, or raise :class:`qualityflow.NotFoundError`."""
        return self._typed(self._storage.get(self.kind, id))

    def list(self, **filters: Any) -> builtins.list[E]:
        """List records ordered by id, filtered by field values.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        >>> [s.id for s in qms.suppliers.list(status="approved")]
        ['SUP-MILL']

        """
        fields = self.model.model_fields
        unknown = sorted(k for k in filters if k not in fields and k not in _PUSHED_DOWN)
        if unknown:
            raise TypeError(
                f"{self.kind} records cannot be filtered by {', '.join(unknown)}: use status, "
                f"ids or one of the fields {', '.join(sorted(fields))}"
            )
        status = filters.pop("status", None)
        if status is not None and not isinstance(status, str):
            status = [str(_value(s)) for s in status]
        elif status is not None:
            status = str(_value(status))
        ids = filters.pop("ids", None)
        found = self._storage.list(self.kind, status=status, ids=ids)
        wanted = {name: _value(value) for name, value in filters.items()}
        return [
            self._typed(e)
            for e in found
            if all(_value(getattr(e, name)) == value for name, value in wanted.items())
        ]

    def save(self, entity: E) -> E:
        """Store a changed record if nobody changed it since it was loaded.

        Raises :class:`qualityflow.ConcurrencyError` (writing nothing) when the stored
        version is newer: reload, apply the change again, save.
        """
        self._check_type(entity)
        return self._typed(self._storage.save(entity))

    def _check_type(self, entity: object) -> None:
        if not isinstance(entity, self.model):
            raise TypeError(
                f"qms.{self.kind}... stores {self.model.__name__} records, "
                f"not {type(entity).__name__}"
            )
