"""Nonconformances (``qms.nonconformances``) and SCARs (``qms.supplier_actions``).

Rules
-----
* A failed or conditional inspection opens a nonconformance of the inspected lot in the
  same storage transaction as the inspection (and the hold a failure sets); its id is
  ``NC-<inspection id>`` and it holds the lot's whole quantity. A conditional result keeps
  the lot's status (it was accepted under concession); the nonconformance still records
  what deviated. :meth:`NonconformanceRepository.open` opens one by hand (something found
  on the line) and puts a released lot on hold.
* :meth:`NonconformanceRepository.dispose` splits the held quantity into parts: each part
  becomes a child lot ``<lot>/<LABEL>-<n>`` (``CONCESSION``, ``REWORK``, ``REGRADE``,
  ``RETURN``, ``SCRAP``) linked from the lot in the genealogy with its quantity, so a recall
  of one part does not drag in its siblings. The parts never exceed the held quantity, all
  in its unit, and the parts of all the lot's nonconformances never exceed the lot; the
  whole disposition is one transaction, and a refused one writes nothing.
* Child lot statuses (:data:`CHILD_STATUS`): used as is and regraded parts are
  ``released``, reworked parts ``on_hold`` (release them with ``qms.batches.release`` after
  the rework and a re-inspection), parts returned to the supplier ``quarantined`` (isolated
  until they leave the plant with the supplier), scrapped parts ``scrapped``.
* The parent lot's status (:func:`parent_status`): once the nonconformance covers the whole
  lot and the whole of it is dispositioned, the lot takes the status its parts share (all
  scrapped: ``scrapped``; all used as is or regraded: ``released``; all returned:
  ``quarantined``), and stays ``on_hold`` when the parts differ (its material lives on in the
  child lots: use those). A recalled or scrapped lot keeps its status; a lot contained by an
  open incident, recalled or scrapped cannot be used as is or regraded.
* A SCAR (:meth:`SupplierActionRepository.request`) is raised from a nonconformance with a
  part returned to the supplier or a supplier-caused defect; while it waits for the
  supplier's response past the end of its due day it is listed by ``qms.overdue()``.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import JsonValue

from qualityflow.errors import NotFoundError, TransitionError
from qualityflow.i18n import N_, _, label
from qualityflow.lifecycle import Lifecycle
from qualityflow.lifecycle.nonconformance import NONCONFORMANCE_LIFECYCLE, SCAR_LIFECYCLE
from qualityflow.models import (
    Batch,
    BatchStatus,
    FieldChange,
    Inspection,
    InspectionResult,
    Notification,
    Quantity,
    RootCauseAnalysis,
    Severity,
    SixM,
    TransitionRecord,
)
from qualityflow.models._base import MAX_ID_LENGTH
from qualityflow.models.nonconformance import (
    DISPOSITION_LABELS,
    Disposition,
    DispositionKind,
    Nonconformance,
    ScarStatus,
    SupplierAction,
)
from qualityflow.people import Actor, ActorLike
from qualityflow.people.signatures import with_actor_id
from qualityflow.prevention.scorecard import names_supplier
from qualityflow.service import notices
from qualityflow.service._base import Refusal, Repository, _value
from qualityflow.service.outbox import Queued
from qualityflow.storage import Edge

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = [
    "CHILD_STATUS",
    "OPEN_SCAR_STATUSES",
    "SPLITS",
    "NonconformanceRepository",
    "SupplierActionRepository",
    "parent_status",
]

log = logging.getLogger(__name__)

N = TypeVar("N", Nonconformance, SupplierAction)

CHILD_STATUS: dict[DispositionKind, BatchStatus] = {
    DispositionKind.USE_AS_IS: BatchStatus.RELEASED,
    DispositionKind.REGRADE: BatchStatus.RELEASED,
    DispositionKind.REWORK: BatchStatus.ON_HOLD,
    DispositionKind.RETURN_TO_SUPPLIER: BatchStatus.QUARANTINED,
    DispositionKind.SCRAP: BatchStatus.SCRAPPED,
}
"""The status of the child lot each kind of disposition creates."""

OPEN_SCAR_STATUSES: tuple[str, ...] = tuple(
    s.value for s in ScarStatus if s not in (ScarStatus.CLOSED, ScarStatus.CANCELLED)
)
"""The SCAR states that are still open (``qms.overdue()`` looks at these)."""

SPLITS = "dispositions"
"""The ``Batch.attributes`` key under which a lot records the parts split from it.

Each entry is ``{"nonconformance", "lot_id", "kind", "quantity", "at", "by"}``; written by
every disposition in its transaction (so the lot's version moves with each split).
"""

_SAVE_REFUSED = N_("{who}: save() cannot change {field}: {how}")

_CAUSE_KIND = {"lot": N_("lot {id}"), "supplier": N_("supplier {id}"), "line": N_("line {id}")}

_RELEASING = frozenset({DispositionKind.USE_AS_IS, DispositionKind.REGRADE})
_FINAL_LOT = frozenset({BatchStatus.RECALLED, BatchStatus.SCRAPPED})


def _splits(lot: Batch) -> builtins.list[dict[str, Any]]:
    entries = lot.attributes.get(SPLITS)
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def parent_status(nc: Nonconformance, lot: Batch) -> BatchStatus | None:
    """Return the status the lot takes from ``nc``'s dispositions (``None``: unchanged).

    Only a nonconformance covering the whole lot, fully dispositioned, changes the lot: to
    the status all its parts share, else ``on_hold``. Recalled and scrapped lots keep
    theirs.

    Examples
    --------
    >>> import qualityflow as qf
    >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
    >>> lot = qf.Batch(id="FLOUR-1", kind="raw_material", product="flour", quantity=kg(10),
    ...                status="on_hold")
    >>> nc = Nonconformance(id="NC-1", batch_id="FLOUR-1", quantity=kg(10),
    ...     characteristic="moisture", defect="too wet",
    ...     dispositions=[Disposition(kind="scrap", quantity=kg(10))])
    >>> parent_status(nc, lot).value
    'scrapped'

    """
    if lot.status in _FINAL_LOT or not nc.dispositions:
        return None
    if nc.quantity != lot.quantity or nc.dispositioned != nc.quantity:
        return None
    statuses = {CHILD_STATUS[part.kind] for part in nc.dispositions}
    return statuses.pop() if len(statuses) == 1 else BatchStatus.ON_HOLD


class _TrackedRepository(Repository[N], Generic[N]):
    """Records that change state only through their lifecycle (like incidents)."""

    lifecycle: Lifecycle
    set_by_commands: frozenset[str]
    """Fields a new record must leave empty: its commands fill them."""
    commands: Mapping[str, str] = {}
    """The fields ``save`` refuses, with the message (``N_``) naming the command to use."""

    def add(self, entity: N) -> N:
        """Store a new record: only in its initial state, with an empty history.

        The fields the commands fill (:attr:`set_by_commands`) must be empty too.
        """
        self._check_type(entity)
        status = str(_value(entity.status))
        filled = sorted(name for name in self.set_by_commands if getattr(entity, name))
        if entity.history or status != self.lifecycle.initial or filled:
            raise TransitionError(
                "add",
                status,
                [
                    f"{self.kind} {entity.id!r}: a new {self.lifecycle.name} is added only in "
                    f"its initial state {self.lifecycle.initial!r} with an empty history"
                    + (f" and no {', '.join(filled)}" if filled else "")
                    + "; move it with its commands, which record who did what"
                ],
            )
        return self._typed(self._storage.add(entity))

    def save(
        self,
        entity: N,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> N:
        """Store changed descriptive fields as a recorded amendment (see ``Repository.save``).

        The status, the history and the fields of :attr:`commands` change only through
        the commands named there, which record who did what: a save that changes one of
        them is refused with a :class:`~qualityflow.ProtectedFieldError` naming the field
        and the command, and writes nothing. Each accepted change (a description, the
        evidence...) is one hash-chained :class:`~qualityflow.Amendment` (``actor``,
        required when anything changes, ``reason``, ``at``).
        """
        # (cast: mypy cannot bind the constrained N through super())
        generic = cast(Any, super())
        return self._typed(
            generic.save(entity, actor=actor, reason=reason, at=at, approved_by=approved_by)
        )

    def _refused(
        self, stored: N, new: N, changes: builtins.list[FieldChange]
    ) -> builtins.list[Refusal]:
        who = f"{self.kind} {stored.id!r}"
        refused: builtins.list[Refusal] = []
        for name in dict.fromkeys(c.field.split(".", 1)[0] for c in changes):
            template = self.commands.get(name)
            if template is not None:
                refused.append(
                    (name, _(_SAVE_REFUSED).format(who=who, field=name, how=_(template)))
                )
        return refused

    def _when(
        self, at: datetime | None, command: str, history: Sequence[TransitionRecord] = ()
    ) -> datetime:
        """``at``, checked (aware, not in the future), or the clock (not before ``history``)."""
        service: QualityFlow = self._service
        now = service.now()
        if at is None:
            return history[-1].at if history and history[-1].at > now else now
        if at.tzinfo is None or at.utcoffset() is None:
            raise TransitionError(
                command, "", ["the time 'at' has no timezone: give an aware datetime"]
            )
        if at > now + service.clock_tolerance:
            raise TransitionError(
                command,
                "",
                [
                    f"'at' is {at.isoformat()}, in the future: the service clock reads "
                    f"{now.isoformat()}; give the time it really happened"
                ],
            )
        return at

    def _session(self) -> Any:
        session = getattr(self._storage, "session", None)
        return nullcontext() if session is None else session()

    def _next_id(self, stem: str) -> str:
        """Return ``<stem>-<n>`` with the first ``n`` from 1 not on file."""
        n = 1
        while True:
            candidate = f"{stem}-{n}"
            try:
                self._storage.get(self.kind, candidate)
            except NotFoundError:
                return candidate
            n += 1

    def _transition(
        self,
        entity: N,
        trigger: str,
        *,
        actor: str,
        at: datetime | None,
        note: str,
        extra: Iterable[str] = (),
        who: Actor | None = None,
        **data: Any,
    ) -> TransitionRecord:
        service: QualityFlow = self._service
        more: builtins.list[str] = list(extra)

        def guards(lifecycle: Any, trig: str, ent: Any) -> builtins.list[str]:
            return [*service.plugins.extra_guards(lifecycle, trig, ent), *more]

        record = self.lifecycle.fire(
            entity,
            trigger,
            actor=actor,
            at=at,
            note=note,
            extra_guards=guards,
            recorded_at=service.now(),
            tolerance=service.clock_tolerance,
            locale=service.locale,
            **data,
        )
        if who is not None and who.id != who.name:  # the record keeps the actor's id too
            record = with_actor_id(record, who)
            entity.history[-1] = record
        return record

    def _who(self, actor: ActorLike, action: str, subject: Any) -> tuple[str, Actor | None]:
        """Authorize ``actor`` for ``action``: the name to record, and the resolved actor."""
        if isinstance(actor, str) and not actor.strip():
            return actor, None  # the lifecycle refuses a blank actor
        who = self._service._authorized(actor, action, subject)
        return who.name, who

    def _commit(
        self,
        entity: N,
        record: TransitionRecord,
        queued: builtins.list[Queued],
    ) -> N:
        storage = self._storage
        saved = self._typed(storage.save(entity))
        notice = _transition_notice(self.kind, saved, record, self._service.locale).model_copy(
            update={"audit_head": self._service.audit.head()}
        )
        queued.append(self._service._enqueue(notice))
        return saved

    def _finish(
        self, saved: N, record: TransitionRecord | None, queued: Any
    ) -> N:  # after the commit
        self._service._deliver_new(queued)
        if record is not None:
            self._service.plugins.transitioned(saved, record)
        return saved


class NonconformanceRepository(_TrackedRepository[Nonconformance]):
    """``qms.nonconformances``: what is wrong with a lot and what is done with the quantity.

    ``get(id)``, ``list(batch_id=..., status=...)``, :meth:`open` by hand, :meth:`dispose`
    and :meth:`fire` (``close``, ``escalate``); failed and conditional inspections open
    them automatically.
    """

    lifecycle = NONCONFORMANCE_LIFECYCLE
    commands: Mapping[str, str] = {
        "status": N_(
            "use qms.nonconformances.dispose(id, dispositions, actor=...) or "
            "qms.nonconformances.fire(id, 'close' or 'escalate', actor=...), which record who "
            "did it"
        ),
        "history": N_(
            "the history is written by the lifecycle's commands (dispose, fire) and never edited"
        ),
        "dispositions": N_(
            "use qms.nonconformances.dispose(id, dispositions, actor=...), which splits the "
            "lot into child lots in the same transaction"
        ),
        "quantity": N_(
            "the held quantity is fixed when the nonconformance opens; open another one "
            "(qms.nonconformances.open) for more of the lot"
        ),
        "batch_id": N_(
            "a nonconformance stays with its lot; open one on the other lot "
            "(qms.nonconformances.open)"
        ),
        "inspection_id": N_("it records the inspection that opened it and stays as it is"),
        "supplier_id": N_("it is the lot's supplier, recorded when the nonconformance opened"),
        "supplier_caused": N_(
            "use qms.supplier_actions.request(id, supplier_caused=True, ...), which records it "
            "with the SCAR"
        ),
        "incident_id": N_(
            "use qms.nonconformances.fire(id, 'escalate', incident_id=..., actor=...)"
        ),
        "opened_at": N_("it records when the nonconformance opened and stays as it is"),
        "opened_by": N_("it records who opened the nonconformance and stays as it is"),
    }
    set_by_commands = frozenset({"dispositions", "incident_id"})

    def __init__(self, service: QualityFlow) -> None:
        super().__init__(service, "nonconformance", Nonconformance)

    # -- opening -----------------------------------------------------------------------

    def open(
        self,
        batch_id: str,
        *,
        characteristic: str,
        defect: str,
        actor: ActorLike,
        quantity: Quantity | None = None,
        evidence: str = "",
        found_on: str | None = None,
        supplier_caused: bool = False,
        at: datetime | None = None,
        id: str | None = None,
    ) -> Nonconformance:
        """Open a nonconformance by hand (found on the line, at a customer's, in stock).

        ``quantity`` (default: the whole lot) is the quantity affected, in the lot's unit
        and no more than the lot. A released lot is put on hold in the same transaction.
        The id defaults to ``NC-<lot>-<n>``.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="SUGAR-3", kind="raw_material", product="sugar",
        ...     quantity=qf.Quantity(amount=800, unit="kg")))
        >>> nc = qms.nonconformances.open("SUGAR-3", characteristic="foreign matter",
        ...     defect="string pieces in the sack", actor="Operator Tom", found_on="line 2")
        >>> nc.id, nc.status.value, qms.batches.get("SUGAR-3").status.value
        ('NC-SUGAR-3-1', 'open', 'on_hold')

        """
        service = self._service
        when = self._when(at, "open")
        queued: builtins.list[Queued] = []
        with self._session(), self._storage.transaction():
            lot = service._batch_on_file(batch_id, "nonconformance")
            actor = service.authorize(actor, "nonconformance.open", lot)
            held = quantity if quantity is not None else lot.quantity
            reasons = []
            if held.unit != lot.quantity.unit:
                reasons.append(
                    f"the quantity affected, {held}, is not in the unit of lot {lot.id} "
                    f"({lot.quantity}): give it in {lot.quantity.unit}"
                )
            elif held > lot.quantity or held.amount <= 0:
                reasons.append(
                    f"the quantity affected, {held}, must be more than zero and no more than "
                    f"lot {lot.id}'s {lot.quantity}"
                )
            if not actor.strip():
                reasons.append("say who opens the nonconformance (actor)")
            if reasons:
                raise TransitionError("open", "new", reasons)
            nc = Nonconformance(
                id=id or self._next_id(f"NC-{lot.id}"),
                batch_id=lot.id,
                quantity=held,
                characteristic=characteristic,
                defect=defect,
                evidence=evidence,
                found_on=found_on,
                supplier_id=lot.supplier_id,
                supplier_caused=supplier_caused,
                opened_at=when,
                opened_by=actor,
            )
            stored = self.add(nc)
            queued.append(self._opened_notice(stored))
            if lot.status is BatchStatus.RELEASED:
                lot.status = BatchStatus.ON_HOLD
                _, more = service._status_changed(
                    lot,
                    BatchStatus.RELEASED,
                    by=actor,
                    reason=f"nonconformance {stored.id}: {defect}",
                    at=when,
                    nonconformance=stored.id,
                )
                queued += more
        service._deliver_new(queued)
        return stored

    def _opened_by(self, inspection: Inspection, lot: Batch) -> builtins.list[Queued]:
        """Open the nonconformance of a failed or conditional inspection (in its transaction).

        Called by ``qms.inspections.add``; returns the queued notification (none for a pass).
        """
        if inspection.result is InspectionResult.PASS:
            return []
        deviating = [c for c in inspection.characteristics if not c.conforms]
        stage = inspection.stage.value.replace("_", "-")
        verdict = "failed" if inspection.result is InspectionResult.FAIL else "was conditional"
        evidence = [f"{stage} inspection {inspection.id} {verdict}"]
        for c in deviating:
            limits = " ".join(
                part
                for part in (
                    f"min {c.lower}" if c.lower is not None else "",
                    f"max {c.upper}" if c.upper is not None else "",
                )
                if part
            )
            measured = "failed" if c.value is None else f"{c.value}{' ' + c.unit if c.unit else ''}"
            evidence.append(f"{c.name}: {measured}" + (f" ({limits})" if limits else ""))
        if inspection.sample_size is not None:
            evidence.append(
                f"{inspection.defects} defective in a sample of {inspection.sample_size}"
                + (
                    f" (accept {inspection.accept}, reject {inspection.reject})"
                    if inspection.accept is not None and inspection.reject is not None
                    else ""
                )
            )
        defect = inspection.note.strip() or (
            "; ".join(evidence[1:]) if len(evidence) > 1 else f"{stage} inspection {verdict}"
        )
        nc = Nonconformance(
            id=f"NC-{inspection.id}",
            batch_id=lot.id,
            quantity=lot.quantity,
            characteristic=", ".join(c.name for c in deviating) or f"{stage} inspection",
            defect=defect,
            evidence="; ".join(evidence),
            inspection_id=inspection.id,
            supplier_id=lot.supplier_id,
            opened_at=inspection.at or self._service.now(),
            opened_by=inspection.inspector or f"inspection {inspection.id}",
        )
        return [self._opened_notice(self.add(nc))]

    def _opened_notice(self, nc: Nonconformance) -> Queued:
        opened = (
            notices.message(
                N_("{quantity} held; opened by {by}"), quantity=nc.quantity, by=nc.opened_by
            )
            if nc.opened_by
            else notices.message(N_("{quantity} held; opened by the service"), quantity=nc.quantity)
        )
        notice = notices.notice(
            self._service.locale,
            notices.message(
                N_("Nonconformance {id} on lot {batch}: {characteristic}"),
                id=nc.id,
                batch=nc.batch_id,
                characteristic=nc.characteristic,
            ),
            [notices.line(nc.defect), opened],
            kind="nonconformance",
            subject_kind="nonconformance",
            subject_id=nc.id,
            at=nc.opened_at,
            id=f"nonconformance:{nc.id}:opened",
            audit_head=self._service.audit.head(),
        )
        return self._service._enqueue(notice)

    # -- disposition -------------------------------------------------------------------

    def dispose(
        self,
        id: str,
        dispositions: Iterable[Disposition | Mapping[str, Any]],
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
    ) -> Nonconformance:
        """Dispose of (part of) the held quantity: each part becomes a child lot.

        ``dispositions`` are :class:`~qualityflow.Disposition` objects (or their dicts).
        Each becomes a child lot ``<lot>/<LABEL>-<n>`` (or its given ``lot_id``) with the
        part's quantity and the status of :data:`CHILD_STATUS`, linked from the lot in the
        genealogy; the lot's status follows (:func:`parent_status`). Dispositions may be
        given in several calls; together they never exceed the held quantity.

        Raises
        ------
        TransitionError
            Trigger ``dispose``, with every reason: no disposition, a part in another unit,
            more than the held quantity (naming both), a concession without approver, a
            lot contained by an open incident, recalled or scrapped that would be used as
            is or regraded, a child lot id already taken. Nothing was written.

        Examples
        --------
        >>> import qualityflow as qf
        >>> from qualityflow.models.nonconformance import Disposition
        >>> qms = qf.QualityFlow()
        >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
        >>> _ = qms.batches.add(qf.Batch(id="COCOA-7", kind="raw_material",
        ...     product="cocoa powder", quantity=kg(1000)))
        >>> _ = qms.inspections.add(qf.Inspection(id="IQC-70", batch_id="COCOA-7",
        ...     stage="incoming", result="fail", note="mould smell"))
        >>> nc = qms.nonconformances.dispose("NC-IQC-70", [
        ...     Disposition(kind="rework", quantity=kg(400)),
        ...     Disposition(kind="scrap", quantity=kg(600))], actor="QA Lena")
        >>> [(d.lot_id, d.kind.value) for d in nc.dispositions]
        [('COCOA-7/REWORK-1', 'rework'), ('COCOA-7/SCRAP-1', 'scrap')]
        >>> qms.batches.get("COCOA-7").status.value
        'on_hold'

        """
        parts = [
            p if isinstance(p, Disposition) else Disposition.model_validate(p) for p in dispositions
        ]
        service = self._service
        storage = self._storage
        queued: builtins.list[Queued] = []
        with self._session(), storage.transaction():
            nc = self.get(id)
            actor, who = self._who(actor, "nonconformance.dispose", nc)
            lot = service._batch_on_file(nc.batch_id, f"nonconformance {id!r}")
            when = self._when(at, "dispose", nc.history)
            reasons: builtins.list[str] = []
            if not parts:
                reasons.append(
                    "no disposition was given: say what is done with which quantity, e.g. "
                    "Disposition(kind='scrap', quantity=...)"
                )
            if any(p.kind in _RELEASING for p in parts):
                if lot.status in _FINAL_LOT:
                    reasons.append(
                        f"lot {lot.id} is {lot.status.value}: none of it may be used as is or "
                        "regraded; rework, return or scrap it"
                    )
                reasons += [
                    r + " (no part of it may be used as is or regraded meanwhile)"
                    for r in service._containing_incidents(lot.id)
                ]
            named: builtins.list[Disposition] = []
            taken: set[str] = set()
            by = actor.strip() if isinstance(actor, str) else None  # fire() checks the actor
            for part in parts:
                child_id = part.lot_id or self._child_id(lot.id, part.kind, taken)
                if len(child_id) > MAX_ID_LENGTH:
                    reasons.append(
                        f"the child lot id {child_id[:40]}... would be {len(child_id)} "
                        f"characters, more than {MAX_ID_LENGTH}: give the part a shorter lot_id"
                    )
                elif child_id in taken or self._exists("batch", child_id):
                    reasons.append(
                        f"lot id {child_id!r} for the {part.kind.value} part is already taken: "
                        "leave lot_id empty or choose another"
                    )
                taken.add(child_id)
                named.append(part.model_copy(update={"lot_id": child_id, "at": when, "by": by}))
            reasons += self._lot_overdrawn(nc, lot, named)
            record = self._transition(
                nc,
                "dispose",
                actor=actor,
                at=when,
                note=note,
                extra=reasons,
                who=who,
                dispositions=[*nc.dispositions, *named],
            )
            for part in named:
                assert part.lot_id is not None
                attributes: dict[str, Any] = {
                    "nonconformance": nc.id,
                    "disposition": part.kind.value,
                    "parent_lot": lot.id,
                }
                if part.approver:
                    attributes["approver"] = part.approver
                if part.note:
                    attributes["note"] = part.note
                storage.add(
                    Batch(
                        id=part.lot_id,
                        kind=lot.kind,
                        product=part.regrade_to or lot.product,
                        quantity=part.quantity,
                        status=CHILD_STATUS[part.kind],
                        supplier_id=lot.supplier_id,
                        line=lot.line,
                        produced_at=lot.produced_at,
                        attributes=attributes,
                    )
                )
                storage.add_edge(Edge(lot.id, part.lot_id, part.quantity, "link"))
            new_splits: builtins.list[JsonValue] = [
                {
                    "nonconformance": nc.id,
                    "lot_id": part.lot_id,
                    "kind": part.kind.value,
                    "quantity": {"amount": str(part.quantity.amount), "unit": part.quantity.unit},
                    "at": when.isoformat(),
                    "by": by,
                }
                for part in named
            ]
            lot.attributes = {**lot.attributes, SPLITS: [*_splits(lot), *new_splits]}
            target = parent_status(nc, lot)
            if target is not None and target is not lot.status:
                before = lot.status
                lot.status = target
                _, more = service._status_changed(
                    lot,
                    before,
                    by=actor,
                    reason=f"nonconformance {nc.id} dispositioned: "
                    + ", ".join(f"{d.quantity} {d.kind.value}" for d in nc.dispositions),
                    at=when,
                    nonconformance=nc.id,
                )
                queued += more
            else:
                # The lot records its splits, and its version moves with every one (an
                # optimistic lock): two dispositions of one lot at once cannot both commit.
                storage.save(lot)
            saved = self._commit(nc, record, queued)
        return self._finish(saved, record, queued)

    def _lot_overdrawn(
        self, nc: Nonconformance, lot: Batch, named: builtins.list[Disposition]
    ) -> builtins.list[str]:
        """Why the lot's other nonconformances leave too little of it for these parts.

        Reads the lot's own record of its splits (:data:`SPLITS`), which every disposition
        writes in its transaction, so no other nonconformance needs loading.
        """
        unit = lot.quantity.unit
        if any(p.quantity.unit != unit for p in named) or nc.quantity.unit != unit:
            return []  # the lifecycle's unit guard says why
        taken = Quantity.zero(unit)
        others: builtins.list[str] = []
        for entry in _splits(lot):
            if entry.get("nonconformance") == nc.id:
                continue
            quantity = Quantity.model_validate(entry.get("quantity"))
            if quantity.unit == unit:
                taken = taken + quantity
                others.append(str(entry.get("nonconformance")))
        wanted = nc.dispositioned + sum((p.quantity for p in named), Quantity.zero(unit))
        if not others or taken + wanted <= lot.quantity:
            return []
        left = lot.quantity - taken if taken <= lot.quantity else Quantity.zero(unit)
        names = ", ".join(dict.fromkeys(others))
        return [
            f"lot {lot.id} holds {lot.quantity} in all and {taken} of it is already "
            f"dispositioned by {names}: this nonconformance may dispose of at most {left}, "
            f"not {wanted}"
        ]

    def _exists(self, kind: str, id: str) -> bool:
        try:
            self._storage.get(kind, id)
        except NotFoundError:
            return False
        return True

    def _child_id(self, lot_id: str, kind: DispositionKind, taken: set[str]) -> str:
        n = 1
        while True:
            candidate = f"{lot_id}/{DISPOSITION_LABELS[kind]}-{n}"
            if candidate not in taken and not self._exists("batch", candidate):
                return candidate
            n += 1

    # -- other triggers ----------------------------------------------------------------

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> Nonconformance:
        """Fire ``close`` or ``escalate`` (``incident_id=...``) in one transaction.

        ``dispose`` goes through :meth:`dispose`, which creates the child lots. An
        escalation needs the incident on file.
        """
        if trigger == "dispose":
            raise TransitionError(
                "dispose",
                self.get(id).status.value,
                [
                    "dispose through qms.nonconformances.dispose(id, dispositions, actor=...), "
                    "which creates the child lots in the genealogy"
                ],
            )
        queued: builtins.list[Queued] = []
        with self._session(), self._storage.transaction():
            nc = self.get(id)
            actor, who = self._who(actor, f"nonconformance.{trigger}", nc)
            extra: builtins.list[str] = []
            incident_id = data.get("incident_id")
            if trigger == "escalate" and incident_id and not self._exists("incident", incident_id):
                extra.append(
                    f"incident {incident_id!r} is not on file: add it first "
                    "(qms.incidents.add), then escalate the nonconformance to it"
                )
            record = self._transition(
                nc, trigger, actor=actor, at=at, note=note, extra=extra, who=who, **data
            )
            saved = self._commit(nc, record, queued)
        return self._finish(saved, record, queued)


class SupplierActionRepository(_TrackedRepository[SupplierAction]):
    """``qms.supplier_actions``: supplier corrective action requests (SCAR).

    ``get(id)``, ``list(supplier_id=..., status=...)``, :meth:`request` from a
    nonconformance and :meth:`fire` (``acknowledge``, ``respond`` with ``response=...``,
    ``reject``, ``verify`` with ``verification=...``, ``close``, ``cancel``).
    """

    lifecycle = SCAR_LIFECYCLE
    commands: Mapping[str, str] = {
        "status": N_(
            "use qms.supplier_actions.fire(id, trigger, actor=...), which records who did it"
        ),
        "history": N_("the history is written by qms.supplier_actions.fire and never edited"),
        "response": N_(
            "use qms.supplier_actions.fire(id, 'respond', response=..., actor=...) (or "
            "qualityflow scar respond ID --file answer.json)"
        ),
        "verification": N_(
            "use qms.supplier_actions.fire(id, 'verify', verification=..., actor=...)"
        ),
        "due": N_(
            "the due day was given with the request; cancel the SCAR (fire 'cancel' with a "
            "note) and request a new one with the agreed day"
        ),
        "supplier_id": N_("a SCAR stays with its supplier; request a new one for another"),
        "nonconformance_ids": N_(
            "what a SCAR answers is fixed when it is requested; request a new one"
        ),
        "incident_id": N_("what a SCAR answers is fixed when it is requested; request a new one"),
        "batch_ids": N_("what a SCAR answers is fixed when it is requested; request a new one"),
        "requested_at": N_("it records when the SCAR was requested and stays as it is"),
        "requested_by": N_("it records who requested the SCAR and stays as it is"),
    }
    set_by_commands = frozenset({"response", "verification"})

    def __init__(self, service: QualityFlow) -> None:
        super().__init__(service, "supplier_action", SupplierAction)

    def request(
        self,
        nc_id: str,
        *,
        due: date,
        actor: ActorLike,
        at: datetime | None = None,
        id: str | None = None,
        description: str = "",
        severity: Severity | str = Severity.MAJOR,
        supplier_caused: bool = False,
    ) -> SupplierAction:
        """Request a corrective action from the supplier of a nonconformance's lot.

        Allowed when part of the lot is returned to the supplier, or the defect is the
        supplier's (``nc.supplier_caused``, or ``supplier_caused=True`` here, which records
        it on the nonconformance). ``due`` is the day the supplier's response is due. The
        id defaults to ``SCAR-<nc id>`` (``-2``, ``-3``... for further requests).

        Raises
        ------
        TransitionError
            Trigger ``request``: the lot has no supplier, nothing points at the supplier,
            or ``due`` is before the request. Nothing was written.

        Examples
        --------
        >>> from datetime import date
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        >>> _ = qms.batches.add(qf.Batch(id="FLOUR-9", kind="raw_material", product="flour",
        ...     quantity=qf.Quantity(amount=500, unit="kg"), supplier_id="SUP-MILL"))
        >>> _ = qms.inspections.add(qf.Inspection(id="IQC-9", batch_id="FLOUR-9",
        ...     stage="incoming", result="fail", note="insect fragments"))
        >>> scar = qms.supplier_actions.request("NC-IQC-9", due=date(2099, 1, 31),
        ...     actor="QA Lena", supplier_caused=True)
        >>> scar.id, scar.supplier_id, scar.status.value
        ('SCAR-NC-IQC-9', 'SUP-MILL', 'requested')

        """
        service = self._service
        storage = self._storage
        when = self._when(at, "request")
        queued: builtins.list[Queued] = []
        with self._session(), storage.transaction():
            nc = service.nonconformances.get(nc_id)
            actor = service.authorize(actor, "supplier_action.request", nc)
            state = nc.status.value
            reasons: builtins.list[str] = []
            supplier_id = nc.supplier_id
            if supplier_id is None:
                lot = service._batch_on_file(nc.batch_id, f"nonconformance {nc.id}")
                supplier_id = lot.supplier_id
            if supplier_id is None:
                reasons.append(
                    f"lot {nc.batch_id} of nonconformance {nc.id} has no supplier: a SCAR "
                    "goes to the supplier of the lot"
                )
            returned = any(d.kind is DispositionKind.RETURN_TO_SUPPLIER for d in nc.dispositions)
            if not (returned or nc.supplier_caused or supplier_caused):
                reasons.append(
                    f"nonconformance {nc.id} neither returns a part to the supplier nor is "
                    "supplier-caused: pass supplier_caused=True if the defect is the "
                    "supplier's, or dispose of a part as return_to_supplier"
                )
            reasons += self._issue_checks(due, when, actor)
            if reasons:
                raise TransitionError("request", state, reasons)
            assert supplier_id is not None
            if supplier_caused and not nc.supplier_caused:
                nc.supplier_caused = True
                storage.save(nc)  # this command is the record of it: the SCAR names the NC
            scar = SupplierAction(
                id=id or self._free_id(f"SCAR-{nc.id}"),
                supplier_id=supplier_id,
                nonconformance_ids=[nc.id],
                due=due,
                severity=Severity(severity),
                requested_at=when,
                requested_by=actor,
                description=description or f"{nc.defect} (lot {nc.batch_id}, {nc.quantity})",
            )
            stored = self._issued(scar, nc.id, nc.batch_id, queued)
        service._deliver_new(queued)
        return stored

    def request_from_incident(
        self,
        incident_id: str,
        *,
        due: date,
        actor: ActorLike,
        supplier_id: str | None = None,
        at: datetime | None = None,
        id: str | None = None,
        description: str = "",
        severity: Severity | str | None = None,
    ) -> SupplierAction:
        """Request a corrective action from the supplier whose material caused an incident.

        The incident's root cause must be confirmed and in the six-M category
        ``material``. The supplier is the one whose lots lie upstream of the incident's
        batches (in the genealogy, the batches themselves included); when several
        suppliers' lots are upstream, name one with ``supplier_id``. The SCAR records the
        incident (``incident_id``) and that supplier's upstream lots (``batch_ids``); its
        severity defaults to the incident's, its id to ``SCAR-<incident id>``.

        Raises
        ------
        TransitionError
            Trigger ``request``: no confirmed root cause, a root cause outside material,
            no (or no named) supplier's lot upstream, ``due`` before the request, no
            actor. Nothing was written.

        Examples
        --------
        >>> from datetime import date
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="MILK-4", kind="raw_material", product="milk",
        ...     quantity=qf.Quantity(amount=900, unit="l"), supplier_id="SUP-DAIRY"))
        >>> _ = qms.batches.add(qf.Batch(id="YOG-4", kind="finished", product="yoghurt",
        ...     quantity=qf.Quantity(amount=3000, unit="pot")))
        >>> qms.link("MILK-4", "YOG-4")
        >>> rca = qf.RootCauseAnalysis(method="five_why", problem="sour yoghurt",
        ...     root_cause="milk delivered above 8 degC", category="material", confirmed=True)
        >>> _ = qms.incidents.add(qf.Incident(id="INC-4", title="Sour yoghurt",
        ...     severity="major", batch_ids=["YOG-4"], root_cause=rca))
        >>> scar = qms.supplier_actions.request_from_incident("INC-4", due=date(2099, 1, 31),
        ...     actor="SQE Priya")
        >>> scar.id, scar.supplier_id, scar.incident_id, scar.batch_ids
        ('SCAR-INC-4', 'SUP-DAIRY', 'INC-4', ['MILK-4'])

        """
        service = self._service
        when = self._when(at, "request")
        queued: builtins.list[Queued] = []
        with self._session(), self._storage.transaction():
            incident = service.incidents.get(incident_id)
            actor = service.authorize(actor, "supplier_action.request", incident)
            state = incident.status.value
            reasons: builtins.list[str] = []
            rca = incident.root_cause
            if rca is None or not rca.confirmed:
                reasons.append(
                    _(
                        "incident {id} has no confirmed root cause: confirm a root cause in "
                        "the material category before asking a supplier for its corrective "
                        "action"
                    ).format(id=incident.id)
                )
            elif rca.category is not SixM.MATERIAL:
                reasons.append(
                    _(
                        "the root cause of incident {id} lies in {category}, not in the "
                        "material: a SCAR goes to a supplier only for a material cause"
                    ).format(id=incident.id, category=label(rca.category))
                )
            lots = self._upstream_lots(incident.batch_ids)
            if supplier_id is None and rca is not None:
                supplier_id = self._named_by(rca, lots)
            chosen, lot_ids, why = _supplier_among(lots, supplier_id, f"incident {incident.id}")
            reasons += why
            reasons += self._issue_checks(due, when, actor)
            if reasons:
                raise TransitionError("request", state, reasons)
            assert chosen is not None and rca is not None
            scar = SupplierAction(
                id=id or self._free_id(f"SCAR-{incident.id}"),
                supplier_id=chosen,
                incident_id=incident.id,
                batch_ids=lot_ids,
                due=due,
                severity=Severity(severity or incident.severity),
                requested_at=when,
                requested_by=actor,
                description=description or f"{incident.title}: {rca.root_cause}",
            )
            stored = self._issued(scar, incident.id, ", ".join(lot_ids), queued)
        service._deliver_new(queued)
        return stored

    def request_from_common_causes(
        self,
        batch_ids: Sequence[str],
        *,
        supplier_id: str,
        due: date,
        actor: ActorLike,
        at: datetime | None = None,
        id: str | None = None,
        description: str = "",
        severity: Severity | str = Severity.MAJOR,
        top: int = 10,
    ) -> SupplierAction:
        """Request a corrective action from a supplier the common causes point at.

        ``batch_ids`` are the suspect batches (complaints, failed inspections...);
        :meth:`~qualityflow.QualityFlow.common_causes` of them (the first ``top``) must
        name the supplier, or one of its lots. The SCAR records the supplier's lots upstream
        of the suspects (``batch_ids``); its id defaults to ``SCAR-<supplier id>-<n>``.

        Raises
        ------
        TransitionError
            Trigger ``request``: the common causes do not point at the supplier (the reason
            lists what they point at), ``due`` before the request, no actor. Nothing was
            written.

        Examples
        --------
        >>> from datetime import date
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> q = qf.Quantity(amount=100, unit="kg")
        >>> _ = qms.batches.add(qf.Batch(id="NUTS-1", kind="raw_material", product="hazelnuts",
        ...     quantity=q, supplier_id="SUP-NUT"))
        >>> for n in (1, 2):
        ...     _ = qms.batches.add(qf.Batch(id=f"BAR-{n}", kind="finished", product="bar",
        ...         quantity=q))
        ...     qms.link("NUTS-1", f"BAR-{n}")
        >>> scar = qms.supplier_actions.request_from_common_causes(["BAR-1", "BAR-2"],
        ...     supplier_id="SUP-NUT", due=date(2099, 1, 31), actor="SQE Priya")
        >>> scar.id, scar.batch_ids
        ('SCAR-SUP-NUT-1', ['NUTS-1'])

        """
        service = self._service
        when = self._when(at, "request")
        suspects = builtins.list(dict.fromkeys(batch_ids))
        queued: builtins.list[Queued] = []
        with self._session(), self._storage.transaction():
            actor = service.authorize(actor, "supplier_action.request", None)
            reasons: builtins.list[str] = []
            if not suspects:
                reasons.append(
                    _("give the suspect batches whose common causes point at the supplier")
                )
                causes = []
            else:
                causes = service.common_causes(*suspects, top=top)
            lots = self._upstream_lots(suspects) if suspects else []
            own = sorted(b.id for b in lots if b.supplier_id == supplier_id)
            pointed = any(
                (c.kind == "supplier" and c.id == supplier_id) or (c.kind == "lot" and c.id in own)
                for c in causes
            )
            if suspects and not pointed:
                found = _(", ").join(_(_CAUSE_KIND[c.kind]).format(id=c.id) for c in causes) or _(
                    "nothing"
                )
                reasons.append(
                    _(
                        "the common causes of {batches} do not point at supplier {supplier} "
                        "(they point at: {found}): a SCAR from common causes goes to a "
                        "supplier they name, or whose lot they name"
                    ).format(batches=", ".join(suspects), supplier=supplier_id, found=found)
                )
            reasons += self._issue_checks(due, when, actor)
            if reasons:
                raise TransitionError("request", "new", reasons)
            scar = SupplierAction(
                id=id or self._next_id(f"SCAR-{supplier_id}"),
                supplier_id=supplier_id,
                batch_ids=own,
                due=due,
                severity=Severity(severity),
                requested_at=when,
                requested_by=actor,
                description=description
                or f"common cause of {', '.join(suspects)}: lots {', '.join(own)}",
            )
            stored = self._issued(scar, ", ".join(suspects), ", ".join(own), queued)
        service._deliver_new(queued)
        return stored

    def _upstream_lots(self, batch_ids: Iterable[str]) -> builtins.list[Batch]:
        """Return the stored lots upstream of ``batch_ids``, the batches themselves too."""
        ids = sorted(self._storage.reach(batch_ids, "backward"))
        return [b for b in self._service.batches.list(ids=ids)] if ids else []

    def _named_by(self, rca: RootCauseAnalysis, lots: Sequence[Batch]) -> str | None:
        """Return the one upstream supplier the root-cause analysis names, if exactly one."""
        ids = sorted({b.supplier_id for b in lots if b.supplier_id})
        if len(ids) < 2:
            return None
        found = self._service.suppliers.list(ids=ids)
        named = [s.id for s in found if names_supplier(rca, s)]
        return named[0] if len(named) == 1 else None

    def _issue_checks(self, due: date, when: datetime, actor: str) -> builtins.list[str]:
        reasons: builtins.list[str] = []
        if due < when.date():
            reasons.append(
                _("the due day {due} is before the request ({requested}): give a later day").format(
                    due=due.isoformat(), requested=when.date().isoformat()
                )
            )
        if not actor.strip():
            reasons.append(_("say who requests the corrective action (actor)"))
        return reasons

    def _issued(
        self, scar: SupplierAction, source: str, lots: str, queued: builtins.list[Queued]
    ) -> SupplierAction:
        """Add the new SCAR and queue its notice (in the caller's transaction)."""
        service = self._service
        stored = self.add(scar)
        notice = notices.notice(
            service.locale,
            notices.message(
                N_("SCAR {id} to {supplier}: response due {due}"),
                id=stored.id,
                supplier=stored.supplier_id,
                due=stored.due.isoformat(),
            ),
            [
                notices.line(stored.description),
                notices.message(
                    N_("requested by {actor} for {nc} (lot {batch})"),
                    actor=stored.requested_by,
                    nc=source,
                    batch=lots,
                ),
            ],
            kind="supplier_action",
            subject_kind="supplier_action",
            subject_id=stored.id,
            severity=stored.severity,
            at=stored.requested_at,
            id=f"supplier_action:{stored.id}:requested",
            audit_head=service.audit.head(),
        )
        queued.append(service._enqueue(notice))
        return stored

    def _free_id(self, stem: str) -> str:
        candidate, n = stem, 1
        while True:
            try:
                self._storage.get(self.kind, candidate)
            except NotFoundError:
                return candidate
            n += 1
            candidate = f"{stem}-{n}"

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> SupplierAction:
        """Load, transition, save and notify in one transaction; returns the saved SCAR.

        Examples
        --------
        >>> from datetime import date, datetime, timezone
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.batches.add(qf.Batch(id="FLOUR-9", kind="raw_material", product="flour",
        ...     quantity=qf.Quantity(amount=500, unit="kg"), supplier_id="SUP-MILL"))
        >>> _ = qms.inspections.add(qf.Inspection(id="IQC-9", batch_id="FLOUR-9",
        ...     stage="incoming", result="fail"))
        >>> _ = qms.supplier_actions.request("NC-IQC-9", due=date(2099, 1, 31),
        ...     actor="QA Lena", supplier_caused=True)
        >>> qms.supplier_actions.fire("SCAR-NC-IQC-9", "acknowledge",
        ...     actor="Mill QA Bo").status.value
        'acknowledged'

        """
        queued: builtins.list[Queued] = []
        with self._session(), self._storage.transaction():
            scar = self.get(id)
            actor, who = self._who(actor, f"supplier_action.{trigger}", scar)
            record = self._transition(scar, trigger, actor=actor, at=at, note=note, who=who, **data)
            saved = self._commit(scar, record, queued)
        return self._finish(saved, record, queued)


def _transition_notice(
    kind: str,
    entity: Nonconformance | SupplierAction,
    record: TransitionRecord,
    locale: str | None,
) -> Notification:
    title, body = notices.transition_lines(kind, entity.id, record)
    return notices.notice(
        locale,
        title,
        body,
        kind="transition",
        subject_kind=kind,
        subject_id=entity.id,
        severity=entity.severity if isinstance(entity, SupplierAction) else None,
        at=record.at,
        id=f"transition:{kind}:{entity.id}:{len(entity.history)}",
    )


def _supplier_among(
    lots: Sequence[Batch], supplier_id: str | None, what: str
) -> tuple[str | None, builtins.list[str], builtins.list[str]]:
    """Pick the supplier among the upstream ``lots``: (supplier, its lots, reasons)."""
    suppliers = sorted({b.supplier_id for b in lots if b.supplier_id})
    if supplier_id is None and len(suppliers) == 1:
        supplier_id = suppliers[0]
    if supplier_id is None:
        if not suppliers:
            reason = _(
                "no lot upstream of {what} has a supplier: a SCAR goes to the supplier of a lot"
            ).format(what=what)
        else:
            reason = _(
                "lots of several suppliers are upstream of {what} ({suppliers}): name the one "
                "whose material caused it (supplier_id)"
            ).format(what=what, suppliers=", ".join(suppliers))
        return None, [], [reason]
    if supplier_id not in suppliers:
        reason = _(
            "no lot of supplier {supplier} is upstream of {what} (upstream suppliers: "
            "{suppliers}): a SCAR goes to a supplier whose material is upstream"
        ).format(what=what, supplier=supplier_id, suppliers=", ".join(suppliers) or _("none"))
        return None, [], [reason]
    return supplier_id, sorted(b.id for b in lots if b.supplier_id == supplier_id), []
