"""Batches, shipments, inspections and retained samples: the lot-side repositories."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from qualityflow.errors import GenealogyError, NotFoundError, TransitionError
from qualityflow.models import (
    Batch,
    BatchStatus,
    FieldChange,
    Inspection,
    Shipment,
)
from qualityflow.people import ActorLike
from qualityflow.prevention import (
    LinkOverride,
    RetainedSample,
    apply_inspection,
    release_blockers,
)
from qualityflow.service._base import STATUS_CHANGES, Refusal, Repository
from qualityflow.service.outbox import Queued
from qualityflow.storage import Edge

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


class ShipmentRepository(Repository[Shipment]):
    """Shipments: adding one also records the batch -> shipment genealogy edge."""

    def add(self, entity: Shipment) -> Shipment:
        """Store a shipment of a released batch on file, and link it to that batch."""
        self._check_type(entity)
        with self._storage.transaction():
            try:
                batch = self._storage.get("batch", entity.batch_id)
            except NotFoundError:
                raise GenealogyError(
                    f"shipment {entity.id!r}: batch {entity.batch_id!r} is not on file; add "
                    "the batch first"
                ) from None
            assert isinstance(batch, Batch)
            if batch.status is not BatchStatus.RELEASED:
                raise GenealogyError(
                    f"shipment {entity.id!r}: batch {batch.id!r} is {batch.status.value} and "
                    "may not be shipped; release it first"
                )
            stored = self._typed(self._storage.add(entity))
            self._storage.add_edge(Edge(entity.batch_id, entity.id, entity.quantity, "ship"))
        return stored

    def add_many(self, entities: Iterable[Shipment]) -> int:
        """Store many shipments and their batch -> shipment edges: all, or none.

        The rules are :meth:`add`'s for every row (the batch is on file and released, the
        shipment id is new), checked set-based under the genealogy lock; the rows go in
        with ``executemany``, one ledger entry per shipment and per edge. Returns how
        many shipments were stored.

        Raises
        ------
        RowsRefused
            Naming every bad row (``rows[n]``, the shipment id, what is wrong); nothing
            was written.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="BISC-1", kind="finished", product="biscuits",
        ...                              quantity=qf.Quantity(amount=400, unit="pack")))
        >>> at = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
        >>> qms.shipments.add_many(
        ...     qf.Shipment(id=f"SHIP-{n}", batch_id="BISC-1", customer_id=f"CUST-{n}",
        ...                 quantity=qf.Quantity(amount=100, unit="pack"), shipped_at=at)
        ...     for n in range(3))
        3
        >>> sorted(qms.trace_forward("BISC-1").ids)
        ['SHIP-0', 'SHIP-1', 'SHIP-2']

        """
        from qualityflow.service.bulk import add_shipments

        return add_shipments(self._service, entities)


_HELD = (BatchStatus.ON_HOLD, BatchStatus.QUARANTINED)
_BLOCKING_SUPPLIER = ("suspended", "disqualified")


class BatchRepository(Repository[Batch]):
    """Batches and lots; a held lot goes back into use only through :meth:`release`."""

    def add_many(self, entities: Iterable[Batch]) -> int:
        """Store many new batches in one transaction: all, or none.

        Each is stored as :meth:`add` stores it (version 1, one ledger entry each); the
        rows go in with ``executemany`` and the duplicate check is the database's own
        key. A plant loading a day's lots, or migrating its history, calls this once.
        Returns how many batches were stored.

        Raises
        ------
        RowsRefused
            (a :class:`~qualityflow.StorageError`) naming every bad row: an id given
            twice or already on file, or a record that is not a Batch; nothing was
            written.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> lots = (qf.Batch(id=f"FLOUR-{n}", kind="raw_material", product="flour",
        ...                  quantity=qf.Quantity(amount=1000, unit="kg")) for n in range(3))
        >>> qms.batches.add_many(lots)
        3
        >>> qms.batches.get("FLOUR-2").version
        1

        """
        from qualityflow.service.bulk import add_batches

        return add_batches(self._service, entities)

    def save(
        self,
        entity: Batch,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> Batch:
        """Store changed descriptive fields as a recorded amendment (see ``Repository.save``).

        Refused with a :class:`~qualityflow.ProtectedFieldError`, writing nothing: the
        ``status`` (set by inspections, :meth:`release` and an incident's containment),
        the ``attributes["status_changes"]`` audit they write, and what the release and
        link rules rely on: ``kind`` and ``supplier_id`` of a held lot, and the
        ``supplier_id`` of a lot whose supplier is suspended or disqualified.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> lot = qms.batches.add(qf.Batch(id="FLOUR-1", kind="raw_material",
        ...     product="flour", status="quarantined", quantity=qf.Quantity(amount=1, unit="t")))
        >>> lot.status = qf.BatchStatus.RELEASED
        >>> from qualityflow.errors import ProtectedFieldError
        >>> try:
        ...     qms.batches.save(lot, actor="Planner Joe")
        ... except ProtectedFieldError as refused:
        ...     print(refused.fields)
        ['status']

        """
        return super().save(entity, actor=actor, reason=reason, at=at, approved_by=approved_by)

    def _refused(
        self, stored: Batch, new: Batch, changes: builtins.list[FieldChange]
    ) -> builtins.list[Refusal]:
        who = f"batch {stored.id!r}"
        refused: builtins.list[Refusal] = []
        names = {c.field for c in changes}
        if "status" in names:
            refused.append(
                (
                    "status",
                    f"{who}: save() cannot change status: it changes through inspections "
                    "(qms.inspections.add), qms.batches.release(id, actor=..., reason=...) "
                    "and an incident's containment (qms.incidents.fire(id, 'contain', "
                    "containment=[...])), each recorded",
                )
            )
        key = f"attributes.{STATUS_CHANGES}"
        if key in names:
            refused.append(
                (
                    key,
                    f"{who}: save() cannot change attributes[{STATUS_CHANGES!r}]: it is the "
                    "record of holds and releases, written by inspections, release and "
                    "containment",
                )
            )
        held = stored.status in _HELD
        if held and "kind" in names:
            refused.append(
                (
                    "kind",
                    f"{who} is {stored.status.value}: save() cannot change its kind while it "
                    "is held (the release rules depend on it); release or dispose of it first",
                )
            )
        if "supplier_id" in names:
            supplier = self._service._supplier_of(stored)
            blocking = supplier is not None and supplier.status.value in _BLOCKING_SUPPLIER
            if held or blocking:
                why = (
                    f"its supplier {supplier.id} is {supplier.status.value}"
                    if blocking and supplier is not None
                    else f"it is {stored.status.value}"
                )
                refused.append(
                    (
                        "supplier_id",
                        f"{who}: save() cannot change supplier_id while {why} (the release "
                        "and link rules depend on it); link it with an override "
                        "(qms.link(..., override=qf.LinkOverride(...))) or change the "
                        "supplier's status by qms.suppliers.decide",
                    )
                )
        return refused

    def release(
        self,
        id: str,
        *,
        actor: ActorLike,
        reason: str = "",
        override: LinkOverride | None = None,
        at: datetime | None = None,
    ) -> Batch:
        """Lift a lot or batch from ``on_hold`` or ``quarantined`` back to ``released``.

        Allowed only when :func:`qualityflow.prevention.release_blockers` finds nothing
        against it: the latest inspection at every stage did not fail, a finished batch
        has a passed (or conditionally accepted) final inspection when the setting
        ``require_final_inspection`` is on (the default), and the lot's supplier is not
        suspended or disqualified (an ``override`` with reason and approver lifts that
        one). A batch that an open incident contains stays held until the incident is
        closed or cancelled; recalled and scrapped batches are never released.

        The release is recorded in ``batch.attributes["status_changes"]`` (who, when,
        from, to, why, the override) and notified as ``batch_status``, in the same
        transaction.

        Raises
        ------
        TransitionError
            Trigger ``release``, with every reason it is refused; nothing was changed.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="BISC-1", kind="finished", status="on_hold",
        ...     product="butter biscuits", quantity=qf.Quantity(amount=400, unit="pack")))
        >>> _ = qms.inspections.add(qf.Inspection(id="FQC-1", batch_id="BISC-1",
        ...                                       stage="final", result="pass"))
        >>> qms.batches.release("BISC-1", actor="QA lead Mia", reason="FQC-1 passed").status.value
        'released'

        """
        service = self._service
        when = at or datetime.now(timezone.utc)
        with self._storage.transaction():
            batch = self.get(id)
            actor = service.authorize(actor, "batch.release", batch)
            before = batch.status
            if before is BatchStatus.RELEASED:
                raise TransitionError(
                    "release", before.value, [f"batch {id} is already released; nothing to lift"]
                )
            blockers: builtins.list[str] = []
            if not actor.strip():
                blockers.append("name who releases the batch (actor)")
            blockers += release_blockers(
                batch,
                service.inspections.list(batch_id=id),
                require_final_inspection=service.require_final_inspection,
                supplier=service._supplier_of(batch),
                override=override,
            )
            blockers += service._containing_incidents(id)
            if blockers:
                raise TransitionError("release", before.value, blockers)
            batch.status = BatchStatus.RELEASED
            extra: dict[str, Any] = {}
            if override is not None:
                extra["override"] = override.model_dump(mode="json")
            saved, queued = service._status_changed(
                batch, before, by=actor, reason=reason, at=when, **extra
            )
        service._deliver_new(queued)
        return saved


class InspectionRepository(Repository[Inspection]):
    """Inspections: recording one applies the release rules to its batch.

    Rule: a failed inspection (any stage) puts a released batch on hold; quarantined,
    recalled and scrapped batches keep their status. A ``conditional`` result (accepted
    under concession) changes nothing and counts as passed for release. A pass never
    lifts a hold by itself: :meth:`BatchRepository.release` does, when allowed.
    """

    def add(self, entity: Inspection) -> Inspection:
        """Store an inspection of a batch on file and apply it, in one transaction.

        When the batch's status changes, the change is recorded in
        ``batch.attributes["status_changes"]`` and notified as ``batch_status``.
        Returns the stored inspection.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="FLOUR-7", kind="raw_material", product="flour",
        ...     quantity=qf.Quantity(amount=1000, unit="kg")))
        >>> _ = qms.inspections.add(qf.Inspection(id="IQC-7", batch_id="FLOUR-7",
        ...                                       stage="incoming", result="fail"))
        >>> qms.batches.get("FLOUR-7").status.value
        'on_hold'

        """
        self._check_type(entity)
        service = self._service
        queued: builtins.list[Queued] = []
        with self._storage.transaction():
            batch = service._batch_on_file(entity.batch_id, f"inspection {entity.id!r}")
            stored = self._typed(self._storage.add(entity))
            before = batch.status
            if apply_inspection(batch, stored) is not before:
                stage = stored.stage.value.replace("_", "-")
                why = f"{stage} inspection {stored.id} failed"
                _, queued = service._status_changed(
                    batch,
                    before,
                    by=stored.inspector or f"inspection {stored.id}",
                    reason=f"{why}: {stored.note}" if stored.note else why,
                    at=stored.at or datetime.now(timezone.utc),
                    inspection=stored.id,
                )
            queued += service.nonconformances._opened_by(stored, batch)  # fail/conditional
        service._deliver_new(queued)
        return stored

    def save(
        self,
        entity: Inspection,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> Inspection:
        """Store changed details (note, inspector...); a verdict is never rewritten.

        (``actor``, ``reason`` and ``at`` are accepted for symmetry; an inspection keeps
        no amendments.) Changing ``batch_id``, ``stage``, ``result`` or ``at`` is refused with a
        :class:`~qualityflow.TransitionError`: record a re-inspection instead.
        """
        self._check_type(entity)
        with self._storage.transaction():
            stored = self.get(entity.id)
            if stored.version == entity.version:
                changed = [
                    name
                    for name in ("batch_id", "stage", "result", "at")
                    if getattr(stored, name) != getattr(entity, name)
                ]
                if changed:
                    raise TransitionError(
                        "save",
                        stored.result.value,
                        [
                            f"inspection {entity.id}: {', '.join(changed)} cannot be changed "
                            "after the fact; record a re-inspection with qms.inspections.add"
                        ],
                    )
            return self._typed(self._storage.save(entity))


class RetainedSampleRepository(Repository[RetainedSample]):
    """Retained samples (``qms.samples``); each is of a batch on file."""

    def add(self, entity: RetainedSample) -> RetainedSample:
        """Store a retained sample of a batch on file; returns the stored copy."""
        self._check_type(entity)
        with self._storage.transaction():
            self._service._batch_on_file(entity.batch_id, f"retained sample {entity.id!r}")
            return self._typed(self._storage.add(entity))
