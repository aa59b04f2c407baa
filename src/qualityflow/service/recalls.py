"""``qms.recalls``: recalls run as cases, from an incident's recall decision to the summary.

Every command is one storage transaction that loads the recall, moves it through
:data:`~qualityflow.lifecycle.recall.RECALL_LIFECYCLE` (whose guards give the reasons when
a step is refused), saves it and queues its notification, as incidents and complaints do;
a refused command writes nothing.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualityflow.errors import NotFoundError, TransitionError, UnitMismatchError
from qualityflow.i18n import N_
from qualityflow.lifecycle import presets as preset_module
from qualityflow.lifecycle.calendar import WorkingCalendar
from qualityflow.lifecycle.presets import Preset
from qualityflow.lifecycle.recall import (
    RECALL_LIFECYCLE,
    RecallDeadlinePolicy,
    RecallProgress,
    legal_clocks,
    missing_for,
    recall_progress,
)
from qualityflow.lifecycle.timelimits import Deadline
from qualityflow.models import Quantity, Signature
from qualityflow.models.evidence import Evidence
from qualityflow.models.recall import (
    AuthorityReport,
    Confirmation,
    Consignee,
    EffectivenessCheck,
    EffectivenessLevel,
    Recall,
    RecallGrade,
    RecallNotice,
    RecallReturn,
    RecallShipment,
    Unreachable,
    per_unit,
    recovery_problems,
)
from qualityflow.people import ActorLike
from qualityflow.people.signatures import sign, with_actor_id
from qualityflow.service import notices
from qualityflow.service._base import Repository, _value, only_attached

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

__all__ = ["OPEN_RECALL", "RecallProgress", "RecallRepository"]

log = logging.getLogger(__name__)

OPEN_RECALL = ["planned", "notified", "recovering", "completed"]
"""The states of a recall that is still running (its deadlines count)."""

_GUARDED = (
    "status",
    "history",
    "incident_id",
    "grade",
    "learned_at",
    "notice_at",
    "batch_ids",
    "shipments",
    "consignees",
    "in_house",
    "presets",
    "clocks",
    "calendar_region",
    "holidays",
    "workdays",
    "time_zone",
    "effectiveness_level",
    "effectiveness_share",
    "recovery_target",
    "authority_reports",
    "summary",
)
"""Fields that change only through the recall's commands (the rules depend on them)."""

_DEFAULT_LEVEL = {
    RecallGrade.I: EffectivenessLevel.A,
    RecallGrade.II: EffectivenessLevel.C,
    RecallGrade.III: EffectivenessLevel.D,
}
_ZONES = {"CN": "Asia/Shanghai"}
_COMMANDS = {
    "notify": "notify",
    "confirm": "confirm",
    "record_return": "record_return",
    "unreachable": "unreachable",
    "check": "check",
    "report": "report",
}
_FIRE_DATA: dict[str, frozenset[str]] = {
    "start": frozenset({"notice_at"}),
    "close": frozenset({"summary"}),
}
_SOURCE = {
    "start": "planned",
    "recover": "notified",
    "complete": "recovering",
    "close": "completed",
}


class RecallRepository(Repository[Recall]):
    """Recalls: opened from an incident, moved by commands through the recall lifecycle.

    Examples
    --------
    >>> import qualityflow as qf
    >>> from qualityflow.demo import run_demo
    >>> qms = qf.QualityFlow(load_entry_points=False, settings={})
    >>> run = run_demo(qms)
    >>> recall = qms.recalls.open(run.incident_id, grade="I", actor="Dana Ruiz")
    >>> recall.id, [c.id for c in recall.consignees]
    ('RCL-INC-5', ['CUST-CORNERSHOP', 'CUST-FRESHMART', 'CUST-MEGAMART'])
    >>> str(qms.recalls.progress(recall.id).shipped["pack"])
    '5100 pack'

    """

    def __init__(self, service: QualityFlow) -> None:
        super().__init__(service, "recall", Recall)
        self.lifecycle = RECALL_LIFECYCLE
        self.policy = RecallDeadlinePolicy()

    # -- add and save -------------------------------------------------------------------

    def add(self, entity: Recall) -> Recall:
        """Store a recall in its initial state with an empty history (prefer :meth:`open`)."""
        self._check_type(entity)
        status = str(_value(entity.status))
        if entity.history or status != self.lifecycle.initial:
            raise TransitionError(
                "add",
                status,
                [
                    f"recall {entity.id!r}: a new recall is added only in its initial state "
                    f"'planned' with an empty history; open it with qms.recalls.open(...) "
                    "and move it with the recall commands"
                ],
            )
        return self._typed(self._storage.add(entity))

    def save(
        self,
        entity: Recall,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> Recall:
        """Store changed descriptive fields (``product``, ``reason``, ``public_notice``).

        Each accepted change is recorded as an amendment (``actor``, required when anything
        changes, ``reason``, ``at``), as ``Repository.save`` describes.

        The scope, the consignees' progress, the clocks, the status and the history change
        only through the commands; a save that changes them is refused, writing nothing.
        """
        self._check_type(entity)
        with self._storage.transaction():
            stored = self.get(entity.id)
            if stored.version == entity.version:
                old = stored.model_dump(mode="json", include=set(_GUARDED))
                new = entity.model_dump(mode="json", include=set(_GUARDED), warnings=False)
                # Evidence attached to a recorded return is an amendment like any other.
                changed = [f for f in _GUARDED if not only_attached(old.get(f), new.get(f))]
                if changed:
                    raise TransitionError(
                        "save",
                        stored.status.value,
                        [
                            f"recall {entity.id!r}: {', '.join(changed)} change(s) only "
                            "through the qms.recalls commands (notify, confirm, "
                            "record_return, fire...), which record who did it"
                        ],
                    )
            return super().save(entity, actor=actor, reason=reason, at=at, approved_by=approved_by)

    # -- opening ------------------------------------------------------------------------

    def open(
        self,
        incident_id: str,
        *,
        grade: RecallGrade | str,
        presets: Iterable[Preset | str] = (),
        actor: ActorLike,
        at: datetime | None = None,
        id: str | None = None,
        calendar: WorkingCalendar | None = None,
        time_zone: str | None = None,
        effectiveness: EffectivenessLevel | str | None = None,
        effectiveness_share: Decimal | None = None,
        recovery_target: Decimal | None = None,
        public_notice: str = "",
    ) -> Recall:
        """Open the recall of an incident's recall decision, its scope from the genealogy.

        The scope is ``recall_impact`` of the decision's batches: the lots, the shipments
        and the consignees (customers) with what each received, per unit. ``presets``
        (``qf.presets.CN_FOOD_RECALL_2015`` or its name; several combine, the strictest
        due time wins) set the legal clocks, stored with the recall; the clocks that
        count from learning of the risk start at the decision's ``initiated_at``.

        ``calendar`` defaults to the region of the first preset (``CN_...``: the official
        Chinese calendar), ``time_zone`` to that region's (CN: Asia/Shanghai; otherwise
        the times as given). ``effectiveness`` defaults by grade (I: A, II: C, III: D;
        FDA practice varies, choose the level agreed with the authority).

        Raises
        ------
        NotFoundError
            No such incident.
        TransitionError
            The incident has no recall decision, or a recall of it is already open.

        """
        service = self._service
        storage = self._storage
        grade = RecallGrade(grade)
        chosen = [_preset(p) for p in presets]
        now = service.now()
        when = at or now
        if when > now + service.clock_tolerance:
            raise TransitionError(
                "open",
                "planned",
                [
                    f"'at' is {when.isoformat()}, in the future: the service clock reads "
                    f"{now.isoformat()}; give the time the recall was really opened"
                ],
            )
        recall_id = id or f"RCL-{incident_id}"
        with storage.transaction():
            incident = service.incidents.get(incident_id)
            actor = service.authorize(actor, "recall.open", incident)
            decision = incident.recall
            if decision is None:
                raise TransitionError(
                    "open",
                    incident.status.value,
                    [
                        f"incident {incident_id} has no recall decision: fire 'contain' with "
                        "recall=RecallDecision(...) first, then open the recall"
                    ],
                )
            try:
                existing = self.get(recall_id)
            except NotFoundError:
                existing = None
            if existing is not None:
                raise TransitionError(
                    "open",
                    existing.status.value,
                    [
                        f"recall {recall_id} of incident {existing.incident_id} is already on "
                        "file; continue it, or give another id=..."
                    ],
                )
            impact = service.recall_impact(*decision.batch_ids)
            shipments = sorted(impact.shipments, key=lambda s: s.id)
            consignees = []
            for customer in sorted({s.customer_id for s in shipments}):
                mine = [s for s in shipments if s.customer_id == customer]
                consignees.append(
                    Consignee(
                        id=customer,
                        shipment_ids=[s.id for s in mine],
                        shipped=list(per_unit(s.quantity for s in mine).values()),
                        regions=sorted({s.region for s in mine if s.region}),
                    )
                )
            region = calendar.region if calendar is not None else _region_of(chosen)
            level = _DEFAULT_LEVEL[grade] if effectiveness is None else effectiveness
            recall = Recall(
                id=recall_id,
                incident_id=incident_id,
                grade=grade,
                reason=decision.reason,
                product=incident.product,
                opened_at=when,
                opened_by=actor,
                learned_at=decision.initiated_at,
                batch_ids=sorted(decision.batch_ids),
                shipments=[
                    RecallShipment(
                        shipment_id=s.id,
                        batch_id=s.batch_id,
                        customer_id=s.customer_id,
                        quantity=s.quantity,
                        region=s.region,
                        shipped_at=s.shipped_at,
                    )
                    for s in shipments
                ],
                consignees=consignees,
                in_house=list(impact.in_house.values()),
                regions=sorted(impact.regions),
                presets=[p.name for p in chosen],
                clocks=[c for p in chosen for c in legal_clocks(p)],
                calendar_region=region,
                holidays=sorted(calendar.holidays) if calendar is not None else [],
                workdays=sorted(calendar.workdays) if calendar is not None else [],
                time_zone=time_zone or _ZONES.get(region),
                effectiveness_level=level,
                effectiveness_share=effectiveness_share,
                recovery_target=recovery_target,
                public_notice=public_notice,
            )
            saved = self._typed(storage.add(recall))
            consignee_ids = ", ".join(c.id for c in saved.consignees)
            notice = notices.notice(
                service.locale,
                notices.message(
                    N_("Recall {id} (grade {grade}) opened for incident {incident}: {batches}"),
                    id=saved.id,
                    grade=grade.value,
                    incident=incident_id,
                    batches=", ".join(saved.batch_ids),
                ),
                [
                    notices.message(N_("Reason: {reason}"), reason=saved.reason),
                    notices.message(N_("Consignees: {consignees}"), consignees=consignee_ids)
                    if consignee_ids
                    else notices.message(N_("Consignees: none")),
                    notices.message(N_("by {by}"), by=actor),
                ],
                kind="recall",
                subject_kind="recall",
                subject_id=saved.id,
                severity=saved.severity,
                at=when,
                id=f"recall_opened:{saved.id}",
                audit_head=service.audit.head(),
            )
            queued = [service._enqueue(notice)]
        service._deliver_new(queued)
        return saved

    # -- commands -----------------------------------------------------------------------

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> Recall:
        """Load, transition, save and queue the notification in one transaction.

        For the forward triggers and ``terminate``/``cancel``. ``start`` sets
        ``notice_at`` to ``at`` unless given; ``close`` takes ``summary=...``; no other
        field can be set here (the consignee steps have their own commands). Refused
        triggers raise :class:`~qualityflow.TransitionError` with the reasons; nothing is
        written.

        A step the policy signs (``recall.complete`` under
        :data:`~qualityflow.people.policies.STRICT`) takes
        ``signature=qf.Signature(meaning=...)`` and the ``credential`` the
        ``qualityflow_authenticate`` plugins check, as an incident's ``fire`` does; the
        signature is part of the step's hash-chained record.
        """
        signature = data.pop("signature", None)
        credential = data.pop("credential", None)
        command = _COMMANDS.get(trigger)
        if command is not None:
            raise TransitionError(
                trigger,
                self.get(id).status.value,
                [f"record {trigger!r} with qms.recalls.{command}(...), which checks its data"],
            )
        allowed = _FIRE_DATA.get(trigger, frozenset())
        extra = sorted(set(data) - allowed)
        if extra:
            raise TransitionError(
                trigger,
                self.get(id).status.value,
                [
                    f"{', '.join(extra)} cannot be set with {trigger!r}"
                    + (f" (it takes {', '.join(sorted(allowed))})" if allowed else "")
                    + ": the scope and the consignees change only through the qms.recalls "
                    "commands"
                ],
            )
        return self._run(
            id,
            trigger,
            actor=actor,
            at=at,
            note=note,
            data=data,
            signature=signature,
            credential=credential,
        )

    def _run(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None,
        note: str,
        data: dict[str, Any],
        prepare: Callable[[Recall], dict[str, Any]] | None = None,
        signature: object = None,
        credential: object = None,
    ) -> Recall:
        """One command: load, ``prepare`` more data, transition, save, queue; then deliver."""
        service = self._service
        storage = self._storage
        session = getattr(storage, "session", None)
        with nullcontext() if session is None else session():
            with storage.transaction():
                recall = self.get(id)
                signer = service._signer(
                    actor,
                    f"recall.{trigger}",
                    recall,
                    signature,
                    credential,
                    what=f"recall {id!r}",
                    trigger=trigger,
                    state=recall.status.value,
                )
                name = signer.name if signer is not None else str(actor)
                now = service.now()
                when = at
                if when is None:  # the clock, or the previous step's time if it is behind
                    last = recall.history[-1].at if recall.history else None
                    when = now if last is None or last <= now else last
                if prepare is not None:
                    data = {**data, **prepare(recall)}
                if trigger == "start" and "notice_at" not in data:
                    data["notice_at"] = when
                try:
                    record = self.lifecycle.fire(
                        recall,
                        trigger,
                        actor=name,
                        at=when,
                        note=note,
                        extra_guards=service.plugins.extra_guards,
                        recorded_at=now,
                        tolerance=service.clock_tolerance,
                        locale=service.locale,
                        **data,
                    )
                except TransitionError as exc:
                    ahead = missing_for(recall.model_copy(update=data), trigger, note)
                    if ahead and recall.status.value != _SOURCE.get(trigger):
                        exc.reasons = [*exc.reasons, *ahead]
                        exc.args = (
                            f"cannot {trigger!r} from state {exc.state!r}: "
                            + "; ".join(exc.reasons),
                        )
                    raise
                if signer is not None:
                    record = with_actor_id(record, signer)
                    if isinstance(signature, Signature):
                        record = sign(record, signature, signer, service.now())
                    recall.history[-1] = record
                saved = self._typed(storage.save(recall))
                title, body = notices.transition_lines("recall", saved.id, record)
                notice = notices.notice(
                    service.locale,
                    title,
                    body,
                    kind="transition",
                    subject_kind="recall",
                    subject_id=saved.id,
                    severity=saved.severity,
                    at=record.at,
                    id=f"transition:recall:{saved.id}:{len(saved.history)}",
                    audit_head=service.audit.head(),
                )
                queued = [service._enqueue(notice)]
            service._deliver_new(queued)
        service.plugins.transitioned(saved, record)
        return saved

    def _consignee_step(
        self,
        id: str,
        consignee_id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime,
        note: str,
        change: Callable[[Consignee], dict[str, Any]],
        check: Callable[[Recall, Consignee], None] | None = None,
    ) -> Recall:
        """Fire ``trigger`` with the recall's consignees, ``consignee_id``'s changed."""

        def prepare(recall: Recall) -> dict[str, Any]:
            target = _consignee(recall, consignee_id)
            if check is not None:
                check(recall, target)
            updated = Consignee(**{**dict(target), **change(target)})
            return {
                "consignees": [updated if c.id == consignee_id else c for c in recall.consignees]
            }

        return self._run(id, trigger, actor=actor, at=at, note=note, data={}, prepare=prepare)

    def notify(
        self,
        id: str,
        consignee_id: str,
        *,
        channel: str,
        at: datetime,
        actor: ActorLike,
        message: str = "",
    ) -> Recall:
        """Record the recall notice sent to one consignee (``channel``: email, phone, fax...)."""
        notice = RecallNotice(channel=channel, at=at, by=actor, message=message)
        return self._consignee_step(
            id,
            consignee_id,
            "notify",
            actor=actor,
            at=at,
            note=f"notice to {consignee_id} by {channel}",
            change=lambda c: {"notice": notice},
        )

    def confirm(
        self,
        id: str,
        consignee_id: str,
        *,
        at: datetime,
        actor: ActorLike,
        by: str | None = None,
        note: str = "",
    ) -> Recall:
        """Record the consignee's confirmation (``by``: who at the consignee; default ``actor``)."""
        confirmation = Confirmation(at=at, by=by or actor, note=note)
        return self._consignee_step(
            id,
            consignee_id,
            "confirm",
            actor=actor,
            at=at,
            note=f"{consignee_id} confirmed" + (f": {note}" if note else ""),
            change=lambda c: {"confirmation": confirmation},
        )

    def record_return(
        self,
        id: str,
        consignee_id: str,
        *,
        returned: Quantity | None = None,
        destroyed: Quantity | None = None,
        corrected: Quantity | None = None,
        at: datetime,
        actor: ActorLike,
        evidence: str = "",
        attachments: Iterable[Evidence] = (),
    ) -> Recall:
        """Record what a consignee returned, destroyed on site or corrected, with evidence.

        ``evidence`` says in a sentence what proves it; ``attachments`` are the stored
        files (``qms.evidence.put(...)``: the destruction certificate, photos), kept in the
        return and hash-chained with the step.

        Raises
        ------
        UnitMismatchError
            A quantity is in a unit the consignee was not shipped.
        TransitionError
            The consignee would have more recovered than it was shipped (per unit), or the
            recall is not notified or recovering. Nothing is written.

        """
        entry = RecallReturn(
            at=at,
            by=actor,
            returned=returned,
            destroyed=destroyed,
            corrected=corrected,
            evidence=evidence,
            attachments=list(attachments),
        )

        def check(recall: Recall, target: Consignee) -> None:
            units = {q.unit for q in target.shipped}
            for q in entry.quantities():
                if q.unit not in units:
                    raise UnitMismatchError(
                        f"recall {id}: consignee {consignee_id} was shipped "
                        f"{', '.join(str(s) for s in target.shipped) or 'nothing'}; the return "
                        f"of {q} is in {q.unit!r}: give it in {' or '.join(sorted(units))} "
                        "(convert it first)"
                    )
            probe = target.model_copy(update={"returns": [*target.returns, entry]})
            problems = recovery_problems(probe)
            if problems:
                raise TransitionError("record_return", recall.status.value, problems)

        parts = ", ".join(
            f"{name} {q}"
            for name, q in (
                ("returned", returned),
                ("destroyed", destroyed),
                ("corrected", corrected),
            )
            if q is not None
        )
        return self._consignee_step(
            id,
            consignee_id,
            "record_return",
            actor=actor,
            at=at,
            note=f"{consignee_id}: {parts}",
            change=lambda c: {"returns": [*c.returns, entry]},
            check=check,
        )

    def unreachable(
        self, id: str, consignee_id: str, *, reason: str, at: datetime, actor: ActorLike
    ) -> Recall:
        """Record why the rest of a consignee's product cannot be recovered."""
        mark = Unreachable(reason=reason, at=at, by=actor)
        return self._consignee_step(
            id,
            consignee_id,
            "unreachable",
            actor=actor,
            at=at,
            note=f"{consignee_id} unreachable: {reason}",
            change=lambda c: {"unreachable": mark},
        )

    def check(
        self,
        id: str,
        consignee_id: str,
        *,
        effective: bool,
        at: datetime,
        actor: ActorLike,
        method: str = "",
        note: str = "",
    ) -> Recall:
        """Record an effectiveness check (21 CFR 7.42(b)(3)) made with one consignee."""
        result = EffectivenessCheck(at=at, by=actor, effective=effective, method=method, note=note)
        verdict = "effective" if effective else "NOT effective"
        return self._consignee_step(
            id,
            consignee_id,
            "check",
            actor=actor,
            at=at,
            note=f"effectiveness check with {consignee_id}: {verdict}",
            change=lambda c: {"check": result},
        )

    def report(
        self,
        id: str,
        step: str,
        *,
        to: str,
        at: datetime,
        actor: ActorLike,
        reference: str = "",
        note: str = "",
    ) -> Recall:
        """Record a report to an authority for a legal step (``"report_plan"``...); meets it."""
        entry = AuthorityReport(step=step, at=at, by=actor, to=to, reference=reference, note=note)
        return self._run(
            id,
            "report",
            actor=actor,
            at=at,
            note=f"{step} reported to {to}" + (f" ({reference})" if reference else ""),
            data={},
            prepare=lambda r: {"authority_reports": [*r.authority_reports, entry]},
        )

    # -- reading ------------------------------------------------------------------------

    def deadlines(self, recall: Recall) -> builtins.list[Deadline]:
        """Return the recall's deadlines: the deadline-policy hook's, else its legal clocks'."""
        chosen = self._service.plugins.deadline_policy(recall)
        return self.policy.deadlines(recall) if chosen is None else chosen

    def progress(self, id: str) -> RecallProgress:
        """Return where recall ``id`` stands (a ``RecallProgress``).

        ``shipped`` and ``recovered`` per unit, ``recovery_rate``, the consignees in scope
        and those notified and confirmed, and the next deadline with its legal basis.
        """
        recall = self.get(id)
        return recall_progress(recall, self.deadlines(recall))

    def fsma204(self, id: str, path: str | Path) -> Path:
        """Write the FSMA 204 sortable spreadsheet of recall ``id``'s lots to ``path``.

        The sheet is ``qf.to_fsma204`` of the recall impact of the recall's lots
        (``batch_ids``) as the records stand now, with the part of the genealogy those lots
        reach and the reached batches' inputs (the transformation rows), loaded with
        ``local_genealogy``, never the whole genealogy. ``.csv``, or ``.xlsx`` with the
        ``xlsx`` extra. Returns the file written.

        Raises
        ------
        NotFoundError
            No such recall.

        Examples
        --------
        >>> import qualityflow as qf, tempfile, pathlib
        >>> from qualityflow.demo import run_demo
        >>> qms = qf.QualityFlow(load_entry_points=False, settings={})
        >>> recall = qms.recalls.open(run_demo(qms).incident_id, grade="I", actor="Dana Ruiz")
        >>> sheet = qms.recalls.fsma204(recall.id, pathlib.Path(tempfile.mkdtemp()) / "r.csv")
        >>> sheet.read_text(encoding="utf-8").splitlines()[0].split(",")[0]
        'Traceability Lot Code (TLC)'

        """
        from qualityflow.interop.fsma import to_fsma204

        recall = self.get(id)
        genealogy = self._service.local_genealogy(*recall.batch_ids, inputs=True)
        impact = genealogy.recall_impact(*recall.batch_ids)
        return to_fsma204(impact, path, genealogy=genealogy)

    def overdue(self, now: datetime) -> builtins.list[Deadline]:
        """Return the open recalls' breached deadlines at ``now`` (``late_by`` set)."""
        late = []
        for recall in self.list(status=OPEN_RECALL):
            for deadline in self.deadlines(recall):
                late_by = (deadline.met_at or now) - deadline.due
                if late_by > timedelta(0):
                    late.append(deadline.model_copy(update={"late_by": late_by}))
        return late


def _consignee(recall: Recall, consignee_id: str) -> Consignee:
    try:
        return recall.consignee(consignee_id)
    except KeyError as exc:
        error = NotFoundError("consignee", consignee_id)
        error.args = (str(exc.args[0]),)
        raise error from None


def _preset(value: Preset | str) -> Preset:
    if isinstance(value, Preset):
        return value
    found = getattr(preset_module, str(value), None)
    if not isinstance(found, Preset):
        known = ", ".join(n for n in preset_module.__all__ if n.upper() == n)
        raise ValueError(f"unknown preset {value!r}: use one of {known} or a Preset object")
    return found


def _region_of(presets: builtins.list[Preset]) -> str:
    for preset in presets:
        prefix = preset.name.split("_", 1)[0]
        if prefix in ("CN", "US", "EU", "AU", "CA"):
            return prefix
    return "weekdays"
