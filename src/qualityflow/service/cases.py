"""Incidents and complaints: records that change state only through ``fire``."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from qualityflow.errors import NotFoundError, PermissionDenied, QualityFlowError, TransitionError
from qualityflow.i18n import N_, _, label, using
from qualityflow.lifecycle import (
    Lifecycle,
)
from qualityflow.lifecycle.guards import SENT_BACK
from qualityflow.lifecycle.machine import (
    COMPLAINT_TRANSITIONS,
    INCIDENT_TRANSITIONS,
    future_times,
)
from qualityflow.models import (
    ActionStatus,
    Channel,
    Complaint,
    Contact,
    Direction,
    FieldChange,
    Incident,
    TransitionRecord,
)
from qualityflow.people import Actor, ActorLike
from qualityflow.people.signatures import sign, with_actor_id
from qualityflow.service._base import L, Refusal, Repository, _value, only_attached
from qualityflow.storage.base import stale_version

IMPORT_STEP_REFUSED = N_(
    "{kind} {id!r}, step {number} of {total} ({trigger!r} by {actor!r} at {at}): {reason}"
)
IMPORT_ENDS_ELSEWHERE = N_(
    "{kind} {id!r}: its history ends in {ends!r} but its status is {status!r}; give the "
    "full history"
)

if TYPE_CHECKING:
    from qualityflow.service.facade import QualityFlow

log = logging.getLogger(__name__)

# --- what save() may change -------------------------------------------------------------
#
# The one place that says which entity fields each guard of the lifecycles reads (plain
# data; a test clears each field and checks that the guard then gives a reason, and that no
# other field changes its verdict). Which trigger relies on which field follows from it and
# the lifecycles' transitions (``RELIED_ON``).

GUARD_READS: dict[str, dict[str, tuple[str, ...]]] = {
    "incident": {
        "impact_assessment": ("assessment",),
        "emergency_team": ("team",),
        "containment_covers_scope": ("assessment", "containment"),
        "recall_decided": ("assessment", "recall"),
        "root_cause_confirmed": ("root_cause",),
        "actions_planned": ("actions",),
        "actions_done": ("actions",),
        "effective_verification": ("verification",),
        "ineffective_verification": ("verification",),
        "lesson_learned": ("lessons",),
        "cancel_note": (),
    },
    "complaint": {
        "acknowledged": ("contacts", "received_at"),
        "information_verified": ("information_verification", "received_at"),
        "rejection_reason": ("information_verification", "rejection_reason"),
        "customer_told": ("contacts", "received_at"),
        "resolution_communicated": ("resolution",),
        "follow_up": ("follow_up",),
        "incident_link": ("incident_id",),
    },
}
"""The entity fields each built-in guard reads (besides the history and the note)."""

FIXED_FIELDS: dict[str, dict[str, str]] = {
    "incident": {
        "status": "the status changes only through qms.incidents.fire(id, trigger, ...), "
        "which records who did it",
        "history": "the history is written by qms.incidents.fire(id, trigger, ...), one "
        "record per step",
        "containment": "containment is recorded with the 'contain' trigger, which sets the "
        "batches' statuses: qms.incidents.fire(id, 'contain', containment=[...])",
        "recall": "a recall decision is recorded with the 'contain' trigger, which recalls the "
        "batches: qms.incidents.fire(id, 'contain', recall=...)",
        "complaint_ids": "the complaints are linked by qms.complaints.escalate(complaint_id, "
        "incident_id=...), which keeps both sides in step",
        "reported_at": "when the incident was reported is a fact its deadlines count from: "
        "it is set once, by qms.incidents.add(...); add a note with save(description=...) "
        "if it was recorded wrongly",
    },
    "complaint": {
        "status": "the status changes only through qms.complaints.fire(id, trigger, ...), "
        "which records who did it",
        "history": "the history is written by qms.complaints.fire(id, trigger, ...), one "
        "record per step",
        "incident_id": "a complaint is linked to an incident by qms.complaints.escalate(id, "
        "incident_id=...)",
        "information_verification": "the information verification is recorded with the "
        "trigger it decides: qms.complaints.fire(id, 'investigate', "
        "information_verification=...) when it concerns our product, or fire(id, 'reject', "
        "information_verification=..., contacts=[...]) when it does not",
    },
}
"""Fields save() never changes, with the command to use instead."""

_TRANSITIONS = {"incident": INCIDENT_TRANSITIONS, "complaint": COMPLAINT_TRANSITIONS}
_TERMINAL = {"incident": ("closed", "cancelled"), "complaint": ("closed", "rejected")}
# Triggers that start a new round: evidence relied on before them may be redone.
_NEW_ROUND = SENT_BACK
# Lists that a final (closed, cancelled, rejected) case may still grow: lessons and
# actions learned later (spread_lesson's preventive actions), contacts with the customer.
_GROWS_WHEN_FINAL = {"incident": ("lessons", "actions"), "complaint": ("contacts",)}


def _route_reads(kind: str) -> dict[tuple[str, str], frozenset[str]]:
    """(trigger, source state) -> the fields the guards of that route read."""
    reads = GUARD_READS[kind]
    routes: dict[tuple[str, str], frozenset[str]] = {}
    for t in _TRANSITIONS[kind]:
        fields = frozenset(f for g in t.get("guards", ()) for f in reads[g])
        for source in t["source"]:
            routes[(str(t["trigger"]), str(source))] = fields
    return routes


_ROUTE_READS = {kind: _route_reads(kind) for kind in GUARD_READS}

RELIED_ON: dict[str, dict[str, frozenset[str]]] = {
    kind: {
        field: frozenset(
            trigger for (trigger, _), fields in _ROUTE_READS[kind].items() if field in fields
        )
        for field in sorted({f for fs in GUARD_READS[kind].values() for f in fs})
    }
    for kind in GUARD_READS
}
"""Field -> the triggers whose guards rely on it, per kind (derived from ``GUARD_READS``).

For example ``RELIED_ON["incident"]["root_cause"]`` is ``{"correct", "close"}``.
"""


def _relied_in_round(kind: str, history: builtins.list[TransitionRecord]) -> dict[str, list[str]]:
    """Field -> the triggers recorded since the last reopen/rework whose guards read it."""
    start = 0
    for i, record in enumerate(history):
        if record.trigger in _NEW_ROUND:
            start = i + 1
    routes = _ROUTE_READS[kind]
    relied: dict[str, list[str]] = {}
    for record in history[start:]:
        for field in routes.get((record.trigger, record.source), ()):
            triggers = relied.setdefault(field, [])
            if record.trigger not in triggers:
                triggers.append(record.trigger)
    return relied


def _progressed(old: object, new: object) -> bool:
    """Whether ``new`` is ``old`` with its progress moved forward (open -> done, done_at set)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    rest = {k: v for k, v in old.items() if k not in ("status", "done_at")}
    if rest != {k: v for k, v in new.items() if k not in ("status", "done_at")}:
        return False
    if old.get("status") == ActionStatus.DONE.value and new.get("status") != old.get("status"):
        return False
    return old.get("done_at") is None or old.get("done_at") == new.get("done_at")


def _recorded_actor(service: QualityFlow, record: TransitionRecord) -> ActorLike:
    """Return the actor of a past step as the service knows them (by recorded id, else name)."""
    if not record.actor_id:
        return record.actor  # the id was the name: resolved like any actor= string
    found = service.plugins.resolve_actor(record.actor_id)
    return found if found is not None else Actor(id=record.actor_id, name=record.actor)


def _with_data(entity: L, data: dict[str, Any]) -> L:
    """Return ``entity`` with the call's data applied (what a policy judges), if it validates."""
    if not data:
        return entity
    try:
        raw = entity.model_dump(exclude={"history", "amendments"})
        update = {k: v for k, v in data.items() if k in type(entity).model_fields}
        merged = type(entity).model_validate({**raw, **update})
    except (ValueError, TypeError):
        return entity  # the lifecycle refuses bad data with its own message
    update = {"history": entity.history, "amendments": entity.amendments}
    return cast(L, merged.model_copy(update=update))


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

    def import_case(self, entity: L, *, imported_by: ActorLike, reason: str = "") -> L:
        """Bring in a case kept in another system by replaying its history through the guards.

        ``add`` takes a case only in its initial state; a case with a past (a closed
        incident from the old QMS, a complaint from a CRM) comes in here. Each record of
        ``entity.history`` is fired again, in order, with its own trigger, actor, ``at``
        and note, and with the entity's fields as finally recorded (each step setting the
        fields its trigger sets), so every guard and time rule of today is checked at every
        step, and so is the service's policy: the importer must be allowed
        ``<kind>.import``, and each step is judged as if its recorded actor (resolved like
        any ``actor=``) fired it now (roles, segregation of duties, the emergency team, a
        complete assessment). Signatures the policy asks for are not asked of the past
        steps: a historical signature cannot be authenticated again, and the amendment
        names who vouched for the import. A step that would be refused now refuses the
        whole import, naming the step, and nothing is stored. The stored records are
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
        importer = service._authorized(imported_by, f"{self.kind}.import", entity)
        protected = {"id", "status", "history", "amendments", "version"}
        data = {
            name: getattr(entity, name)
            for name in sorted(entity.model_fields_set)
            if name not in protected and name in type(entity).model_fields
        }
        fresh = self._typed(
            type(entity).model_validate(
                {
                    **entity.model_dump(exclude=protected),
                    "id": entity.id,
                    "status": self.lifecycle.initial,
                }
            )
        )

        def step_refused(number: int, record: TransitionRecord, reason_: str) -> str:
            with using(service.locale):
                return _(IMPORT_STEP_REFUSED).format(
                    kind=label(self.kind),
                    id=entity.id,
                    number=number,
                    total=len(entity.history),
                    trigger=record.trigger,
                    actor=record.actor,
                    at=record.at.isoformat(),
                    reason=reason_,
                )

        for number, record in enumerate(entity.history, start=1):
            step = {k: v for k, v in data.items() if k in self.lifecycle.sets(record.trigger)}
            action = f"{self.kind}.{record.trigger}"
            try:
                who = service._authorized(
                    _recorded_actor(service, record), action, _with_data(fresh, step)
                )
            except PermissionDenied as err:
                raise PermissionDenied(
                    err.actor,
                    action,
                    [step_refused(number, record, reason_) for reason_ in err.reasons],
                    err.roles,
                ) from err
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
                    locale=service.locale,
                    **step,
                )
                fresh.history[-1] = with_actor_id(fresh.history[-1], who)
            except TransitionError as err:
                raise TransitionError(
                    "import",
                    err.state,
                    [step_refused(number, record, reason_) for reason_ in err.reasons],
                ) from err
        if str(_value(fresh.status)) != str(_value(entity.status)):
            with using(service.locale):
                ends = _(IMPORT_ENDS_ELSEWHERE).format(
                    kind=label(self.kind),
                    id=entity.id,
                    ends=label(str(_value(fresh.status))),
                    status=label(str(_value(entity.status))),
                )
            raise TransitionError("import", str(_value(fresh.status)), [ends])
        imported = self._amended(
            fresh,
            fresh,
            [],
            actor=importer.name,
            reason=reason or f"imported: {len(entity.history)} step(s) replayed through the guards",
            at=None,
        )
        return self._typed(self._storage.add(imported))

    def save(
        self,
        entity: L,
        *,
        actor: ActorLike = "",
        reason: str = "",
        at: datetime | None = None,
        approved_by: ActorLike | None = None,
    ) -> L:
        """Store changed descriptive fields as a recorded amendment (see ``Repository.save``).

        Refused with a :class:`~qualityflow.ProtectedFieldError`, writing nothing:

        * ``status``, ``history`` (use :meth:`fire`), an incident's ``containment`` and
          ``recall`` (``fire(id, "contain", containment=[...])``) and ``complaint_ids``,
          a complaint's ``incident_id`` (``qms.complaints.escalate``);
        * evidence a transition of the current round relied on (``RELIED_ON``; the round
          starts after the last ``reopen`` or ``rework``): such a list may only grow by
          entries appended at the end (and, while an incident is ``correcting``, a
          corrective action may move forward to ``done``); anything else waits for a
          reopen/rework or is given with the trigger;
        * in a closed, cancelled or rejected case every evidence field, except lessons and
          actions (contacts for a complaint) appended at the end.

        Everything else (title, description, product, reporter, batches...) is free.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> inc = qms.incidents.add(qf.Incident(id="INC-1", title="Glas in jam",
        ...     severity="critical", reported_at="2026-03-02T06:00:00+00:00"))
        >>> inc.title = "Glass in jam"
        >>> qms.incidents.save(inc, actor="QA Lena", reason="typo").amendments[0].changes[0].new
        'Glass in jam'

        """
        return super().save(entity, actor=actor, reason=reason, at=at, approved_by=approved_by)

    def _refused(
        self, stored: L, new: L, changes: builtins.list[FieldChange]
    ) -> builtins.list[Refusal]:
        kind = self.kind
        fixed = FIXED_FIELDS[kind]
        evidence = set(RELIED_ON[kind]) - set(fixed)
        state = str(_value(stored.status))
        final = state in _TERMINAL[kind]
        relied = _relied_in_round(kind, stored.history)
        who = f"{kind} {stored.id!r}"
        refused: builtins.list[Refusal] = []
        for change in changes:
            name = change.field
            if only_attached(change.old, change.new):
                continue  # evidence attached to a recorded part: an amendment, nothing else
            if name in fixed:
                refused.append((name, f"{who}: save() cannot change {name}: {fixed[name]}"))
                continue
            if name not in evidence:
                continue
            triggers = relied.get(name, [])
            if not triggers and not final:
                continue
            old, now = change.old, change.new  # the field's JSON values
            if isinstance(old, list) and isinstance(now, list) and len(now) >= len(old):
                grows = not final or name in _GROWS_WHEN_FINAL[kind]
                progress = (
                    name == "actions" and state == "correcting" and not final and bool(triggers)
                )
                pairs = zip(old, now, strict=False)
                if grows and all(a == b or (progress and _progressed(a, b)) for a, b in pairs):
                    continue
            refused.append((name, self._relied_reason(stored, name, triggers, state, final)))
        return refused

    def _relied_reason(
        self, stored: L, name: str, triggers: builtins.list[str], state: str, final: bool
    ) -> str:
        kind = self.kind
        who = f"{kind} {stored.id!r}"
        is_list = name in ("actions", "lessons", "contacts")
        progress = " (and, while correcting, an action moving to done)" if name == "actions" else ""
        keep = (
            f"only new entries appended at the end are accepted{progress}"
            if is_list
            else ("it stays as it is")
        )
        if final:
            grows = name in _GROWS_WHEN_FINAL[kind]
            again = (
                f"; reopen it (qms.{kind}s.fire(id, 'reopen', ...)) to change it"
                if state == "closed"
                else f"; a {state} {kind} is final"
            )
            return (
                f"{who} is {state}: save() cannot change its {name} "
                f"({'only entries appended at the end are accepted' if grows else 'it is final'})"
                f"{again}"
            )
        relied = ", ".join(repr(t) for t in triggers)
        restart = (
            "reopen the incident (from closed) or rework it (from verifying)"
            if kind == "incident"
            else "reopen the complaint (from resolved or closed)"
        )
        setters = [
            str(t["trigger"])
            for t in self.lifecycle.transitions
            if state in t["source"] and name in t.get("sets", ())
        ]
        instead = (
            f"give the new value with {' or '.join(repr(t) for t in dict.fromkeys(setters))}: "
            f"qms.{kind}s.fire(id, {setters[0]!r}, {name}=...), or {restart} to start a new "
            "round"
            if setters
            else f"{restart} to start a new round, then change it"
        )
        return (
            f"{who}: {name} was relied on by {relied} in this round, so save() cannot change "
            f"it ({keep}); {instead}"
        )

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> L:
        """Load, transition, save and queue notifications in one transaction, then deliver.

        ``data`` sets entity fields with the transition (e.g. ``assessment=...`` with
        ``assess``). ``actor`` is an :class:`~qualityflow.Actor` or a name; the service's
        policy is asked about ``<kind>.<trigger>`` (a refusal raises
        :class:`~qualityflow.PermissionDenied`, nothing written) and the record keeps the
        actor's name. The plugins' ``qualityflow_extra_guards`` reasons join the built-in
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
        return self._fire_delivered(id, trigger, actor, at, note, data)

    def _fire_delivered(
        self,
        id: str,
        trigger: str,
        actor: ActorLike,
        at: datetime | None,
        note: str,
        data: dict[str, Any],
        expected_version: int | None = None,
    ) -> L:
        """:meth:`fire`'s work; ``expected_version``: refuse if the record changed since."""
        storage = self._storage
        # One connection for the change's transaction and the delivery record's (SQL).
        session = getattr(storage, "session", None)
        service = self._service
        with nullcontext() if session is None else session():
            with service._collecting() as side_notices:
                saved = self._fire(
                    id,
                    trigger,
                    actor=actor,
                    at=at,
                    note=note,
                    expected_version=expected_version,
                    **data,
                )
            # The batch statuses a containment set, notified once the fire has committed.
            service._deliver_new(side_notices)
            return saved

    def _signer(
        self,
        entity: L,
        trigger: str,
        actor: ActorLike,
        action: str,
        data: dict[str, Any],
        signature: object,
        credential: object,
    ) -> Actor | None:
        """Authorize ``actor`` for ``action``; check the signature the policy may ask for."""
        return self._service._signer(
            actor,
            action,
            _with_data(entity, data),
            signature,
            credential,
            what=f"{self.kind} {entity.id!r}",
            trigger=trigger,
            state=str(_value(entity.status)),
        )

    def _fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None,
        note: str,
        expected_version: int | None = None,
        **data: Any,
    ) -> L:
        service = self._service
        storage = self._storage
        with storage.transaction():
            entity = self.get(id)
            if expected_version is not None and entity.version != expected_version:
                raise stale_version(self.kind, id, entity.version, expected_version)
            signature = data.pop("signature", None)
            credential = data.pop("credential", None)
            action = f"{self.kind}.{trigger}"
            signer = self._signer(entity, trigger, actor, action, data, signature, credential)
            name = signer.name if signer is not None else str(actor)
            before_actions = {(a.batch_id, a.action) for a in getattr(entity, "containment", [])}
            before_recall = getattr(entity, "recall", None)
            before_incident = getattr(entity, "incident_id", None)
            record = self.lifecycle.fire(
                entity,
                trigger,
                actor=name,
                at=at,
                note=note,
                extra_guards=service.plugins.extra_guards,
                recorded_at=service.now(),
                tolerance=service.clock_tolerance,
                locale=service.locale,
                **data,
            )
            if signer is not None:
                record = with_actor_id(record, signer)
                if signature is not None:
                    record = sign(record, signature, signer, service.now())
                entity.history[-1] = record
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
            queued = [service._enqueue(n) for n in notices]
        service._deliver_new(queued)
        service.plugins.transitioned(saved, record)
        return saved


class ComplaintRepository(LifecycleRepository[Complaint]):
    """Complaints: :meth:`fire`, and :meth:`escalate` to a new or existing incident."""

    def fire(
        self,
        id: str,
        trigger: str,
        *,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> Complaint:
        """Fire a trigger (see ``LifecycleRepository.fire``); ``escalate`` goes by :meth:`escalate`.

        ``fire(id, "escalate", incident_id=...)`` is the same as
        ``escalate(id, incident_id=...)``, so the escalation rules hold either way.
        """
        if trigger == "escalate" and data.get("incident_id") is not None:
            incident_id = data.pop("incident_id")
            return self._escalate(id, str(incident_id), None, actor, at, note, data)
        return super().fire(id, trigger, actor=actor, at=at, note=note, **data)

    def acknowledge(
        self,
        id: str,
        *,
        actor: ActorLike,
        contact: str,
        channel: Channel | str | None = None,
        customer: str | None = None,
        locale: str | None = None,
        respond_by: datetime | None = None,
        at: datetime | None = None,
        note: str = "",
    ) -> Complaint:
        """Acknowledge the complaint with the plant's template: a sincere first answer.

        The template for ``locale`` (default the service's locale, else the active one;
        see :attr:`QualityFlow.acknowledgements`) is filled with the complaint's data, its
        ``resolve`` due time from the service's deadline policy (``respond_by=`` to say
        another), ``contact`` (who the customer can contact, and how) and the actor's name
        as the sender. The rendered text is recorded as the outbound contact on
        ``channel`` (default the complaint's own) at ``at``, and ``acknowledge`` is fired
        with it, through the same guards, policy and audit as
        ``fire(id, "acknowledge", contacts=[...])``. Refused with a
        :class:`~qualityflow.ConcurrencyError` if the complaint changed in between.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow(load_entry_points=False)
        >>> _ = qms.complaints.add(qf.Complaint(id="CMP-8", customer_id="C-2",
        ...     channel="wechat", received_at="2026-03-02T09:00:00+00:00",
        ...     description="soft biscuits", product="butter biscuits 200 g"))
        >>> from datetime import datetime, timezone
        >>> done = qms.complaints.acknowledge("CMP-8", actor="Lena Fox", locale="zh_CN",
        ...     contact="Lena Fox，电话 400-820-1234",
        ...     at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
        >>> done.status.value, done.contacts[-1].direction.value, done.contacts[-1].by
        ('acknowledged', 'outbound', 'Lena Fox')
        >>> print(done.contacts[-1].message.splitlines()[0])
        尊敬的客户：

        """
        service = self._service
        complaint = self.get(id)
        blank = isinstance(actor, str) and not actor.strip()  # fire refuses it below
        sender = "" if blank else service.resolve_actor(actor).name
        when = service.now() if at is None else at
        message = service.acknowledgements.render(
            complaint,
            contact=contact,
            locale=locale if locale is not None else service.locale,
            customer=customer,
            sender=sender,
            respond_by=respond_by,
            policy=service._deadline_policy(),
        )
        reply = Contact(
            at=when,
            direction=Direction.OUTBOUND,
            channel=complaint.channel if channel is None else channel,
            message=message,
            by=sender or "?",
        )
        return self._fire_delivered(
            id,
            "acknowledge",
            actor,
            when,
            note,
            {"contacts": [*complaint.contacts, reply]},
            expected_version=complaint.version,
        )

    def escalate(
        self,
        id: str,
        *,
        incident_id: str | None = None,
        incident: Incident | Mapping[str, Any] | None = None,
        actor: ActorLike,
        at: datetime | None = None,
        note: str = "",
    ) -> Complaint:
        """Escalate a complaint to an incident, opening the incident from it if asked to.

        ``incident_id`` alone links the complaint to an incident on file. ``incident``
        opens a new one first: an :class:`~qualityflow.Incident` in its initial state,
        or a mapping of its fields (``title`` at least; ``id`` may come from
        ``incident_id``) completed from the complaint: its batches, severity and product,
        a description citing it, ``reported_at`` = ``at`` and ``reported_by`` = ``actor``
        (an Incident object without batches or product takes the complaint's too). Then
        ``escalate`` is fired with the link, and the incident lists the complaint in
        ``complaint_ids``; the incident, the link and the notifications commit together.

        Raises
        ------
        TransitionError
            The complaint is closed or rejected, is already escalated to that incident, the
            incident named without ``incident`` is not on file, or the lifecycle refuses;
            nothing was written.
        NotFoundError
            The complaint is not on file.
        QualityFlowError
            Neither ``incident_id`` nor ``incident`` given, they disagree, or the incident
            to open already exists.

        Examples
        --------
        >>> import qualityflow as qf
        >>> qms = qf.QualityFlow()
        >>> _ = qms.complaints.add(qf.Complaint(id="CMP-7", customer_id="SHOP-1",
        ...     channel="phone", received_at="2026-03-02T09:00:00+00:00",
        ...     description="metal chip in biscuits", batch_ids=["BISC-1"], severity="major"))
        >>> qms.complaints.escalate("CMP-7", incident_id="INC-9", actor="Service desk",
        ...     incident={"title": "Metal chip in biscuits"}).incident_id
        'INC-9'
        >>> qms.incidents.get("INC-9").batch_ids, qms.incidents.get("INC-9").complaint_ids
        (['BISC-1'], ['CMP-7'])

        """
        target = self._target(incident_id, incident)
        return self._escalate(id, target, incident, actor, at, note, {})

    def _escalate(
        self,
        id: str,
        target: str,
        incident: Incident | Mapping[str, Any] | None,
        actor: ActorLike,
        at: datetime | None,
        note: str,
        data: dict[str, Any],
    ) -> Complaint:
        storage = self._storage
        session = getattr(storage, "session", None)
        with (
            nullcontext() if session is None else session(),
            self._service._delivering_after(),
            storage.transaction(),
        ):
            complaint = self.get(id)
            state = str(_value(complaint.status))
            if state in ("closed", "rejected"):
                then = (
                    "reopen it first (qms.complaints.fire(id, 'reopen', ...)) if the case goes on"
                    if state == "closed"
                    else "a rejected complaint is final; record a new complaint if the "
                    "customer comes back"
                )
                raise TransitionError(
                    "escalate",
                    state,
                    [f"complaint {id!r} is {state} and is not escalated any more: {then}"],
                )
            if complaint.incident_id == target:
                raise TransitionError(
                    "escalate",
                    state,
                    [
                        f"complaint {id!r} is already escalated to incident {target!r}; "
                        "nothing to do (name another incident to escalate it there too)"
                    ],
                )
            incidents = self._service.incidents
            try:
                incidents.get(target)
                exists = True
            except NotFoundError:
                exists = False
            if incident is not None:
                if exists:
                    raise QualityFlowError(
                        f"incident {target!r} already exists: pass incident_id={target!r} "
                        "alone to escalate the complaint to it, or give a new id"
                    )
                blank = isinstance(actor, str) and not actor.strip()
                name = str(actor) if blank else self._service.resolve_actor(actor).name
                incidents.add(self._new_incident(complaint, target, incident, name, at))
            elif not exists:
                raise TransitionError(
                    "escalate",
                    state,
                    [
                        f"incident {target!r} is not on file: give incident={{'title': ...}} "
                        "to open it from the complaint, or name an existing incident"
                    ],
                )
            return super().fire(
                id, "escalate", actor=actor, at=at, note=note, incident_id=target, **data
            )

    @staticmethod
    def _target(incident_id: str | None, incident: Incident | Mapping[str, Any] | None) -> str:
        given = (
            incident.id
            if isinstance(incident, Incident)
            else None
            if incident is None
            else incident.get("id")
        )
        if incident_id is None and given is None:
            raise QualityFlowError(
                "escalate: name the incident: incident_id='INC-...' to link an incident on "
                "file, or incident={'id': ..., 'title': ...} to open one"
            )
        if incident_id is not None and given is not None and given != incident_id:
            raise QualityFlowError(
                f"escalate: incident_id={incident_id!r} and the new incident's id {given!r} "
                "differ; give one id"
            )
        return str(incident_id if incident_id is not None else given)

    def _new_incident(
        self,
        complaint: Complaint,
        target: str,
        incident: Incident | Mapping[str, Any],
        actor: str,
        at: datetime | None,
    ) -> Incident:
        """Return the incident a complaint opens: the caller's fields over the complaint's data."""
        if isinstance(incident, Incident):
            update: dict[str, Any] = {}
            if not incident.batch_ids:
                update["batch_ids"] = list(complaint.batch_ids)
            if incident.product is None:
                update["product"] = complaint.product
            return incident.model_copy(update=update) if update else incident
        if "title" not in incident:
            raise QualityFlowError(
                f"escalate: the new incident {target!r} needs a title: "
                "incident={'title': 'what went wrong'}"
            )
        fields: dict[str, Any] = {
            "id": target,
            "severity": complaint.severity,
            "reported_at": at or self._service.now(),
            "reported_by": actor,
            "batch_ids": list(complaint.batch_ids),
            "product": complaint.product,
            "description": f"Escalated from complaint {complaint.id}: {complaint.description}",
            **{k: v for k, v in incident.items() if v is not None},
        }
        return Incident.model_validate(fields)
