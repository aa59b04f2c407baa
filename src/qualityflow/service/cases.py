"""Incidents and complaints: records that change state only through ``fire``."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qualityflow.errors import TransitionError
from qualityflow.lifecycle import (
    Lifecycle,
)
from qualityflow.lifecycle.audit import seal, state_digest
from qualityflow.lifecycle.machine import future_times, next_stamp
from qualityflow.models import (
    Amendment,
    Incident,
)
from qualityflow.service._base import L, Repository, _value

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

log = logging.getLogger(__name__)


class LifecycleRepository(Repository[L]):
    """Incidents or complaints: records that change state only through :meth:`fire`."""

    def __init__(
        self, service: QualityFlow, kind: str, model: type[L], lifecycle: Lifecycle
    ) -> None:
        super().__init__(service, kind, model)
        self.lifecycle = lifecycle

    def add(self, entity: L) -> L:
        """Store a new record: only in its initial state, with an empty history.

        A self-consistent hash chain proves nothing about who made it (anyone can build
        one with :func:`qualityflow.lifecycle.chain`, or copy another record's), so a
        record with a history, or in any state but the initial one, is refused with a
        :class:`~qualityflow.TransitionError`: add it in its initial state and move it with
        ``fire``, which records who did what, or bring a case with a past in through
        :meth:`import_case`, which replays its history through the guards.
        """
        self._check_type(entity)
        initial = self.lifecycle.initial
        status = str(_value(entity.status))
        if entity.history or status != initial:
            raise TransitionError(
                "add",
                status,
                [
                    f"{self.kind} {entity.id!r}: a new {self.kind} is added only in its "
                    f"initial state {initial!r} with an empty history (it has status "
                    f"{status!r} and {len(entity.history)} history record(s)); add it in its "
                    f"initial state and move it with qms.{self.kind}s.fire(id, trigger, ...), "
                    f"or bring in a case with a past with qms.{self.kind}s.import_case(...), "
                    "which replays its history through the guards"
                ],
            )
        if isinstance(entity, Incident) and "reported_at" not in entity.model_fields_set:
            # Reported "now": the service's clock, not the machine's (tests, the demo).
            entity = entity.model_copy(update={"reported_at": self._service.now()})
        future = future_times(
            {
                name: getattr(entity, name)
                for name in ("reported_at", "received_at", "detected_at")
                if name in type(entity).model_fields
            },
            self._service.now(),
            self._service.clock_tolerance,
        )
        if future:
            raise TransitionError(
                "add", status, [f"{self.kind} {entity.id!r}: {r}" for r in future]
            )
        return self._typed(self._storage.add(entity))

    def import_case(self, entity: L, *, imported_by: str, reason: str = "") -> L:
        """Bring in a case kept in another system by replaying its history through the guards.

        ``add`` takes a case only in its initial state; a case with a past (a closed
        incident from the old QMS, a complaint from a CRM) comes in here. Each record of
        ``entity.history`` is fired again, in order, with its own trigger, actor, ``at``
        and note, and with the entity's fields as finally recorded (each step setting the
        fields its trigger sets), so every guard and time rule of today is checked at every
        step: a step that would be refused now refuses
        the whole import, naming the step, and nothing is stored. The stored records are
        new (the service's ``recorded_at`` and hashes, bound to the stored id); an
        amendment records who imported it and why. An imported case sets no batch
        statuses: its containment is history.

        Examples
        --------
        >>> import qualityflow as qf
        >>> from qualityflow.lifecycle import chain
        >>> old = qf.Incident(id="OLD-7", title="Torn labels", severity="minor",
        ...                   reported_at="2025-05-02T08:00:00+00:00")
        >>> step = qf.TransitionRecord(at="2025-05-02T09:00:00+00:00", actor="QA Li",
        ...     trigger="cancel", source="reported", dest="cancelled", note="duplicate")
        >>> old = old.model_copy(update={"status": "cancelled",
        ...                              "history": [chain([], step)]})
        >>> qms = qf.QualityFlow()
        >>> got = qms.incidents.import_case(old, imported_by="IT migration")
        >>> got.status.value, got.history[0].actor, got.amendments[0].actor
        ('cancelled', 'QA Li', 'IT migration')

        """
        self._check_type(entity)
        service = self._service
        protected = {"id", "status", "history", "amendments", "version"}
        data = {
            name: getattr(entity, name)
            for name in sorted(entity.model_fields_set)
            if name not in protected and name in type(entity).model_fields
        }
        fresh = type(entity).model_validate(
            {
                **entity.model_dump(exclude=protected),
                "id": entity.id,
                "status": self.lifecycle.initial,
            }
        )
        for number, record in enumerate(entity.history, start=1):
            try:
                self.lifecycle.fire(
                    fresh,
                    record.trigger,
                    actor=record.actor,
                    at=record.at,
                    note=record.note,
                    extra_guards=service.plugins.extra_guards,
                    recorded_at=service.now(),
                    tolerance=service.clock_tolerance,
                    **{k: v for k, v in data.items() if k in self.lifecycle.sets(record.trigger)},
                )
            except TransitionError as err:
                raise TransitionError(
                    "import",
                    err.state,
                    [
                        f"{self.kind} {entity.id!r}, step {number} of {len(entity.history)} "
                        f"({record.trigger!r} at {record.at.isoformat()}): {reason_}"
                        for reason_ in err.reasons
                    ],
                ) from err
        if str(_value(fresh.status)) != str(_value(entity.status)):
            raise TransitionError(
                "import",
                str(_value(fresh.status)),
                [
                    f"{self.kind} {entity.id!r}: its history ends in {fresh.status.value!r} "
                    f"but its status is {str(_value(entity.status))!r}; give the full history"
                ],
            )
        stamp = next_stamp(fresh, service.now())
        note = Amendment(
            at=stamp,
            actor=imported_by,
            reason=reason or f"imported: {len(entity.history)} step(s) replayed through the guards",
            changes=[],
            recorded_at=stamp,
            entity=f"{self.kind}/{entity.id}",
            state=state_digest(fresh),
        )
        fresh.amendments.append(seal(note, ""))
        return self._typed(self._storage.add(fresh))

    def save(self, entity: L) -> L:
        """Store changed fields; the status and history change only through :meth:`fire`."""
        self._check_type(entity)
        with self._storage.transaction():
            stored = self.get(entity.id)
            if stored.version != entity.version:
                return self._typed(self._storage.save(entity))  # raises ConcurrencyError
            if stored.status != entity.status or stored.history != entity.history:
                raise TransitionError(
                    "save",
                    str(_value(stored.status)),
                    [
                        f"{self.kind} {entity.id!r}: status and history change only through "
                        f"qms.{self.kind}s.fire(id, trigger, ...), which records who did it"
                    ],
                )
            return self._typed(self._storage.save(entity))

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: str,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> L:
        """Load, transition, save and queue notifications in one transaction, then deliver.

        ``data`` sets entity fields with the transition (e.g. ``assessment=...`` with
        ``assess``). The plugins' ``qualityflow_extra_guards`` reasons join the built-in
        guards'. Containment actions and a recall decision set the named batches'
        statuses in the same transaction. Returns the saved entity.

        Raises
        ------
        TransitionError
            The trigger is refused; nothing was changed.
        ConcurrencyError
            Someone saved the record in between; nothing was changed, retry.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.complaints.add(qf.Complaint(
        ...     id="CMP-7", customer_id="CUST-1", channel="phone",
        ...     received_at="2026-03-02T09:00:00+00:00", description="soft biscuits"))
        >>> contact = qf.Contact(at="2026-03-02T10:00:00+00:00", direction="outbound",
        ...                      channel="phone", message="We are on it", by="Service desk")
        >>> qms.complaints.fire("CMP-7", "acknowledge", actor="Service desk",
        ...                     contacts=[contact]).status.value
        'acknowledged'

        """
        storage = self._storage
        # One connection for the change's transaction and the delivery record's (SQL).
        session = getattr(storage, "session", None)
        with nullcontext() if session is None else session():
            return self._fire(id, trigger, actor=actor, at=at, note=note, **data)

    def _fire(
        self, id: str, trigger: str, *, actor: str, at: datetime | None, note: str, **data: Any
    ) -> L:
        service = self._service
        storage = self._storage
        with storage.transaction():
            entity = self.get(id)
            before_actions = {(a.batch_id, a.action) for a in getattr(entity, "containment", [])}
            before_recall = getattr(entity, "recall", None)
            before_incident = getattr(entity, "incident_id", None)
            record = self.lifecycle.fire(
                entity,
                trigger,
                actor=actor,
                at=at,
                note=note,
                extra_guards=service.plugins.extra_guards,
                recorded_at=service.now(),
                tolerance=service.clock_tolerance,
                **data,
            )
            if isinstance(entity, Incident):
                service._contain(entity, trigger, record, before_actions, before_recall)
            elif entity.incident_id is not None and entity.incident_id != before_incident:
                service._link_complaint(entity, trigger, record)
            saved = self._typed(storage.save(entity))
            notices = [service._transition_notice(self.kind, saved, record)]
            if (
                isinstance(saved, Incident)
                and saved.recall is not None
                and saved.recall != before_recall
            ):
                notices.append(service._recall_notice(saved, record))
            queued = [(storage.enqueue(n), n) for n in notices]
            if not service.plugins.notifiers():
                # Nobody to notify: the entries are delivered as queued, recorded in the
                # change's transaction instead of a second one.
                for entry_id, _ in queued:
                    if entry_id is not None:
                        storage.update_delivery(entry_id, {}, delivered=True)
                queued = []
        service._deliver_new(queued)
        service.plugins.transitioned(saved, record)
        return saved
