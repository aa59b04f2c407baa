"""The incident and complaint lifecycles: one shared ``transitions.Machine`` each.

The pattern
-----------
A plant has thousands of incidents and complaints; giving each its own
``transitions.Machine`` (or calling ``add_model``) would cost about half a millisecond and
tens of KiB per entity, and pydantic models refuse the trigger methods and callbacks that
transitions attaches to its models anyway. So each lifecycle owns **one module-level
machine**, built once from plain data::

    Machine(model=None, states=[...], transitions=[...], initial=...,
            model_attribute="status", auto_transitions=False)

and :meth:`Lifecycle.fire` drives it per call:

1. look the trigger up in the plain transition data (unknown trigger, wrong state: refused);
2. validate the ``data`` fields on a shallow copy of the entity (the entity is untouched);
3. run the named guards (and a caller's ``extra_guards``) on that copy, collecting reasons;
4. fire ``MACHINE.events[trigger].trigger(token)`` on a tiny throw-away token that only
   carries ``status`` (as a plain string): transitions validates the source state and
   computes the destination; nothing is attached to the entity and nothing is retained;
5. build and hash the :class:`~qualityflow.TransitionRecord`, then, and only then, write the
   data fields, the new status and the record onto the entity.

Everything that can fail happens before step 5, so a refused trigger (or invalid data)
leaves the entity exactly as it was. Guards are evaluated by the lifecycle rather than as
transitions ``conditions``, because they return *reasons* rather than a bare boolean; they
are still referred to by name in the transition data. Side effects (saving, notifying,
setting batch statuses) belong to the service, after ``fire`` returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, TypeAlias

import pydantic_core
from pydantic import BaseModel
from transitions import Machine

from qualityflow.errors import TransitionError
from qualityflow.i18n import _, label, using
from qualityflow.lifecycle.audit import record_hash, state_digest
from qualityflow.lifecycle.guards import COMPLAINT_GUARDS, INCIDENT_GUARDS, Guard, setting
from qualityflow.models import (
    Complaint,
    ComplaintStatus,
    Incident,
    IncidentStatus,
    TransitionRecord,
)

__all__ = [
    "CLOCK_TOLERANCE",
    "COMPLAINT_LIFECYCLE",
    "COMPLAINT_MACHINE",
    "COMPLAINT_TRANSITIONS",
    "INCIDENT_LIFECYCLE",
    "INCIDENT_MACHINE",
    "INCIDENT_TRANSITIONS",
    "ExtraGuards",
    "Lifecycle",
]

ExtraGuards: TypeAlias = Callable[["Lifecycle", str, Any], list[str]]
"""``extra_guards(lifecycle, trigger, entity) -> reasons``: company rules (plugins)."""

_PROTECTED_FIELDS = frozenset({"status", "history", "amendments", "version", "id"})

CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far a caller's time may lie ahead of the clock by default (clocks drift a little)."""

_TICK = timedelta(microseconds=1)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _times(value: Any, path: str) -> Iterator[tuple[str, datetime]]:
    """Yield ``(path, datetime)`` for every datetime inside ``value`` (models, lists, dicts)."""
    if isinstance(value, datetime):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _times(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _times(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _times(item, f"{path}[{key!r}]")


def future_times(values: Mapping[str, Any], now: datetime, tolerance: timedelta) -> list[str]:
    """Return a reason for every timestamp in ``values`` later than ``now + tolerance``.

    Evidence times (a verification's ``at``, a contact's, a resolution's
    ``communicated_at``...) say when something happened, so none may lie in the future.
    Dates (a corrective action's ``due``) are plans, not evidence, and are not checked.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    >>> future_times({"at": datetime(2099, 1, 1, tzinfo=timezone.utc)}, now,
    ...              timedelta(minutes=5))  # doctest: +ELLIPSIS
    ['at is 2099-01-01T00:00:00+00:00, in the future: the service clock reads ...']

    """
    limit = now + tolerance
    future = [
        (path, moment)
        for name, value in values.items()
        for path, moment in _times(value, name)
        if (moment.tzinfo is not None and moment.utcoffset() is not None) and moment > limit
    ]
    if not future:
        return []
    template = _(
        "{path} is {moment}, in the future: the service clock reads {now} "
        "(at most {tolerance} ahead is accepted); give the time it really happened"
    )
    return [
        template.format(path=path, moment=_utc(moment), now=_utc(now), tolerance=tolerance)
        for path, moment in future
    ]


def last_recorded(entity: Any) -> datetime | None:
    """Return the latest ``recorded_at`` of ``entity``'s history records and amendments."""
    latest: datetime | None = None
    for records in (entity.__dict__.get("history", ()), entity.__dict__.get("amendments", ())):
        if records:
            stamp = records[-1].recorded_at
            if stamp is not None and (latest is None or stamp > latest):
                latest = stamp
    return latest


def next_stamp(entity: Any, now: datetime) -> datetime:
    """``now``, or just after the entity's last recorded time if the clock is behind it.

    ``recorded_at`` strictly increases per entity whatever the clock does (set back by an
    operator, or two machines' clocks apart), so the recorded order is the order of writes.
    """
    latest = last_recorded(entity)
    return now if latest is None or now > latest else latest + _TICK


class _Token:
    """The throw-away model transitions moves: only a plain-string ``status``."""

    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


def _machine(states: Sequence[str], transitions: Sequence[Mapping[str, Any]]) -> Machine:
    return Machine(
        model=None,
        states=list(states),
        transitions=[
            {"trigger": t["trigger"], "source": list(t["source"]), "dest": t["dest"]}
            for t in transitions
        ],
        initial=states[0],
        model_attribute="status",
        auto_transitions=False,
        send_event=False,
    )


class Lifecycle:
    """A lifecycle (incident or complaint) over one shared ``transitions.Machine``.

    Use the two instances :data:`INCIDENT_LIFECYCLE` and :data:`COMPLAINT_LIFECYCLE`;
    build another only for a different entity type.

    Parameters
    ----------
    name
        ``"incident"`` or ``"complaint"``; used in messages and diagrams.
    model
        The pydantic entity class the lifecycle moves.
    states
        The state names, the initial state first.
    transitions
        Plain data: ``{"trigger", "source": [...], "dest" (None = stay), "guards": [...]}``.
    guards
        The guards the transitions refer to, by name.
    machine
        The shared machine built from the same states and transitions.

    """

    def __init__(
        self,
        name: str,
        model: type[BaseModel],
        states: Sequence[str],
        transitions: Sequence[Mapping[str, Any]],
        guards: Mapping[str, Guard],
        machine: Machine,
    ) -> None:
        self.name = name
        self.model = model
        self.machine = machine
        self._states = tuple(states)
        self._transitions = tuple(
            {
                "trigger": str(t["trigger"]),
                "source": tuple(t["source"]),
                "dest": t["dest"],
                "guards": tuple(t.get("guards", ())),
                "sets": tuple(t.get("sets", ())),
            }
            for t in transitions
        )
        self.guards: dict[str, Guard] = dict(guards)
        status_field = model.model_fields["status"]
        self._status_members: dict[str, Any] = {
            str(_plain(member)): member
            for member in status_field.annotation  # type: ignore[union-attr]
        }
        self._validate_assignment = model.__pydantic_validator__.validate_assignment
        self.initial: str = str(_plain(status_field.default))
        self._table: dict[str, dict[str, tuple[str, tuple[Guard, ...]]]] = {}
        for t in self._transitions:
            chosen = tuple(self.guards[g] for g in t["guards"])
            for source in t["source"]:
                dest = source if t["dest"] is None else t["dest"]
                self._table.setdefault(t["trigger"], {})[source] = (dest, chosen)
        self.triggers: tuple[str, ...] = tuple(self._table)
        self._sets: dict[str, frozenset[str]] = {}
        for t in self._transitions:
            self._sets[t["trigger"]] = self._sets.get(t["trigger"], frozenset()) | set(t["sets"])
        unknown = sorted(
            f"{trigger}: {field}"
            for trigger, fields in self._sets.items()
            for field in fields
            if field not in model.model_fields or field in _PROTECTED_FIELDS
        )
        if unknown:
            raise ValueError(f"the {name} transitions set fields the model lacks: {unknown}")

    # --- plain data -------------------------------------------------------------------------

    @property
    def states(self) -> list[str]:
        """The state names, the initial state first."""
        return list(self._states)

    @property
    def transitions(self) -> list[dict[str, Any]]:
        """The transitions as plain data (fresh copies): trigger, source, dest, guards, sets.

        ``dest`` is ``None`` for a transition that keeps the state (an internal one, such as
        a complaint's ``escalate``).
        """
        return [
            {
                "trigger": t["trigger"],
                "source": list(t["source"]),
                "dest": t["dest"],
                "guards": list(t["guards"]),
                "sets": list(t["sets"]),
            }
            for t in self._transitions
        ]

    def sets(self, trigger: str) -> frozenset[str]:
        """Return the fields ``trigger`` may set as data (every other field is refused).

        Examples
        --------
        >>> import qualityflow as qf
        >>> sorted(qf.INCIDENT_LIFECYCLE.sets("close"))
        ['lessons', 'verification']

        """
        if trigger not in self._sets:
            self._route(trigger, self.initial)  # raises, listing the triggers that exist
        return self._sets[trigger]

    def to_mermaid(self) -> str:
        """Return the lifecycle as a Mermaid ``stateDiagram-v2``, generated from the data.

        Each arrow is labelled with its trigger; the guards are in :meth:`guard_table`.

        Examples
        --------
        >>> import qualityflow as qf
        >>> print(qf.INCIDENT_LIFECYCLE.to_mermaid().splitlines()[1])
            [*] --> reported

        """
        lines = ["stateDiagram-v2", f"    [*] --> {self._states[0]}"]
        has_exit: set[str] = set()
        for t in self._transitions:
            for source in t["source"]:
                dest = source if t["dest"] is None else t["dest"]
                if dest != source:
                    has_exit.add(source)
                lines.append(f"    {source} --> {dest}: {t['trigger']}")
        lines.extend(f"    {s} --> [*]" for s in self._states if s not in has_exit)
        return "\n".join(lines) + "\n"

    def guard_table(self) -> str:
        """Return a Markdown table of every guard: triggers, what it needs, its reason texts."""
        used: dict[str, list[str]] = {name: [] for name in self.guards}
        for t in self._transitions:
            for g in t["guards"]:
                if t["trigger"] not in used[g]:
                    used[g].append(t["trigger"])
        rows = ["| Guard | Triggers | Requires | Reasons when unmet |", "|---|---|---|---|"]
        for name, guard in self.guards.items():
            triggers = ", ".join(f"`{t}`" for t in used[name])
            reasons = "<br>".join(guard.reasons).replace("|", "\\|")
            rows.append(f"| `{name}` | {triggers} | {guard.requires} | {reasons} |")
        return "\n".join(rows) + "\n"

    def _not_set_with(self, trigger: str, name: str) -> str:
        allowed = ", ".join(sorted(self._sets.get(trigger, ()))) or _("nothing")
        setters = [t for t, names in self._sets.items() if name in names]
        where = (
            _("it is set with {triggers}").format(triggers=_(" or ").join(repr(t) for t in setters))
            if setters
            else _("it is a descriptive field: change it with qms.{kind}s.save(...)").format(
                kind=self.name
            )
        )
        return _(
            "the field {name!r} is not set with {trigger!r} (it sets: {allowed}); {where}"
        ).format(name=name, trigger=trigger, allowed=allowed, where=where)

    # --- checks -----------------------------------------------------------------------------

    def _state(self, entity: Any) -> str:
        if not isinstance(entity, self.model):
            raise TypeError(
                f"the {self.name} lifecycle moves {self.model.__name__} objects, "
                f"not {type(entity).__name__}"
            )
        status: Any = entity.__dict__["status"]
        return str(_plain(status))

    def _route(self, trigger: str, state: str) -> tuple[str, tuple[Guard, ...]]:
        by_source = self._table.get(trigger)
        if by_source is None:
            raise TransitionError(
                trigger,
                state,
                [
                    _(
                        "the {kind} lifecycle has no trigger {trigger!r}; its triggers "
                        "are: {triggers}"
                    ).format(
                        kind=label(self.name), trigger=trigger, triggers=", ".join(self.triggers)
                    )
                ],
            )
        route = by_source.get(state)
        if route is None:
            possible = [t for t, by in self._table.items() if state in by]
            sources = ", ".join(by_source)
            raise TransitionError(
                trigger,
                state,
                [
                    _(
                        "{article} {kind} cannot {trigger!r} while it is {state!r} (only from: "
                        "{sources}); from {state!r} the triggers are: {possible}"
                    ).format(
                        article=_article(self.name),
                        kind=label(self.name),
                        trigger=trigger,
                        state=state,
                        sources=sources,
                        possible=", ".join(possible) or _("none"),
                    )
                ],
            )
        return route

    def _reasons(
        self,
        entity: Any,
        trigger: str,
        guards: tuple[Guard, ...],
        note: str,
        extra_guards: ExtraGuards | None,
    ) -> list[str]:
        reasons: list[str] = []
        for guard in guards:
            reasons.extend(guard.check(entity, note))
        if extra_guards is not None:
            reasons.extend(extra_guards(self, trigger, entity))
        return list(dict.fromkeys(reasons)) if len(reasons) > 1 else reasons

    def blockers(
        self,
        entity: Any,
        trigger: str,
        *,
        note: str = "",
        extra_guards: ExtraGuards | None = None,
        locale: str | None = None,
    ) -> list[str]:
        """Return what stands between ``entity`` and ``trigger`` now (empty: it may fire).

        A trigger that does not exist raises :class:`~qualityflow.TransitionError` listing
        the triggers that do; a trigger that exists but not from the entity's state gives
        one reason saying so. ``note`` is the note the trigger would be fired with (a
        cancellation needs one); ``extra_guards`` adds company rules. ``locale`` (``"en"``,
        ``"zh_CN"``...) chooses the language of the reasons; ``None`` keeps the active one
        (:func:`qualityflow.i18n.using`). Extra guards run inside that locale too.

        Examples
        --------
        >>> import qualityflow as qf
        >>> inc = qf.Incident(id="INC-7", title="Hair in tissue pack", severity="minor")
        >>> qf.INCIDENT_LIFECYCLE.blockers(inc, "assess")[1]
        'no emergency team has been formed: name a leader and the members from production, \
technical, quality and sales'
        >>> qf.INCIDENT_LIFECYCLE.blockers(inc, "assess", locale="zh_CN")[1]
        '尚未成立应急小组：请指定组长，以及来自生产、技术、质量和销售部门的成员'

        """
        if locale is not None:
            with using(locale):
                return self.blockers(entity, trigger, note=note, extra_guards=extra_guards)
        state = self._state(entity)
        try:
            _dest, guards = self._route(trigger, state)
        except TransitionError as err:
            if trigger not in self._table:
                raise
            return err.reasons
        return self._reasons(entity, trigger, guards, note, extra_guards)

    def allowed(
        self,
        entity: Any,
        *,
        note: str = "",
        extra_guards: ExtraGuards | None = None,
        locale: str | None = None,
    ) -> list[str]:
        """Return the triggers ``entity`` could fire now (their guards hold).

        ``cancel`` needs a note, so it is listed only when ``note`` is given. The triggers
        are identifiers (never translated); ``locale`` is the locale extra guards run in.

        Examples
        --------
        >>> import qualityflow as qf
        >>> inc = qf.Incident(id="INC-7", title="Hair in tissue pack", severity="minor")
        >>> qf.INCIDENT_LIFECYCLE.allowed(inc, note="duplicate of INC-6")
        ['cancel']

        """
        if locale is not None:
            with using(locale):
                return self.allowed(entity, note=note, extra_guards=extra_guards)
        state = self._state(entity)
        return [
            trigger
            for trigger, by_source in self._table.items()
            if state in by_source
            and not self._reasons(entity, trigger, by_source[state][1], note, extra_guards)
        ]

    # --- firing -----------------------------------------------------------------------------

    def fire(
        self,
        entity: Any,
        trigger: str,
        *,
        actor: str,
        at: datetime | None = None,
        note: str = "",
        extra_guards: ExtraGuards | None = None,
        recorded_at: datetime | None = None,
        tolerance: timedelta = CLOCK_TOLERANCE,
        locale: str | None = None,
        **data: Any,
    ) -> TransitionRecord:
        """Set ``data`` on ``entity``, check the guards, move it and record the step.

        Parameters
        ----------
        entity
            The incident or complaint; changed in place when the trigger is allowed.
        trigger
            One of :attr:`triggers`.
        actor
            Who fires it (recorded).
        at
            When it happened (timezone-aware); defaults to the clock reading (or the
            previous record's ``at`` when the clock is behind it). It may not lie more than
            ``tolerance`` ahead of the clock, nor before the previous record's.
        note
            Free text for the record; a cancellation needs one.
        extra_guards
            ``extra_guards(lifecycle, trigger, entity) -> reasons``; its reasons join the
            built-in ones (the service passes the plugins' ``qualityflow_extra_guards``).
        recorded_at
            The clock reading (the service passes its clock's); defaults to now in UTC.
            The record's ``recorded_at`` is this, or just after the entity's previous one
            if the clock is behind it.
        tolerance
            How far ``at`` and evidence times in ``data`` may lie ahead of the clock.
        locale
            The language of a refusal's reasons (``"en"``, ``"zh_CN"``...); ``None`` keeps
            the active one (:func:`qualityflow.i18n.using`). The record is language-neutral.
        **data
            Entity fields to set with the transition (validated by pydantic), for example
            ``assessment=...`` and ``team=...`` with ``assess``.

        Returns
        -------
        TransitionRecord
            The record appended to ``entity.history``, chained to the one before.

        Raises
        ------
        TransitionError
            Unknown trigger, wrong state, unmet guards, a naive, future or out-of-order
            ``at``, a future evidence time or a protected field in ``data``; the entity is
            left exactly as it was.
        pydantic.ValidationError
            A ``data`` value is invalid; the entity is left exactly as it was.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> import qualityflow as qf
        >>> inc = qf.Incident(id="INC-9", title="Torn seams on tea towels", severity="minor")
        >>> rec = qf.INCIDENT_LIFECYCLE.fire(inc, "cancel", actor="QA Lena",
        ...     note="the seams were torn by the customer's dog",
        ...     at=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
        >>> inc.status.value, rec.source, rec.dest, qf.verify_history(inc)
        ('cancelled', 'reported', 'cancelled', True)

        """
        if locale is None:  # the active locale: no context switch on the hot path
            return self._fire(
                entity, trigger, actor, at, note, extra_guards, recorded_at, tolerance, data
            )
        with using(locale):
            return self._fire(
                entity, trigger, actor, at, note, extra_guards, recorded_at, tolerance, data
            )

    def _fire(
        self,
        entity: Any,
        trigger: str,
        actor: str,
        at: datetime | None,
        note: str,
        extra_guards: ExtraGuards | None,
        recorded_at: datetime | None,
        tolerance: timedelta,
        data: dict[str, Any],
    ) -> TransitionRecord:
        state = self._state(entity)
        dest, guards = self._route(trigger, state)
        for name, moment in (("at", at), ("recorded_at", recorded_at)):
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise TransitionError(
                    trigger,
                    state,
                    [
                        _(
                            "the time {name!r} has no timezone: give an aware datetime, for "
                            "example datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)"
                        ).format(name=name)
                    ],
                )
        now = datetime.now(timezone.utc) if recorded_at is None else recorded_at
        history = entity.history
        if at is None:
            # The clock's reading, or the previous step's time if the clock is behind it.
            at = now if not history or history[-1].at <= now else history[-1].at
        elif at > now + tolerance:
            raise TransitionError(
                trigger,
                state,
                [
                    _(
                        "'at' is {at}, in the future: the service clock reads {now} "
                        "(at most {tolerance} ahead is accepted); give the time it really "
                        "happened"
                    ).format(at=_utc(at), now=_utc(now), tolerance=tolerance)
                ],
            )
        if history and at < history[-1].at:
            previous = history[-1]
            raise TransitionError(
                trigger,
                state,
                [
                    _(
                        "'at' is {at}, before the previous step ({trigger!r} at "
                        "{previous_at}): steps are recorded in the order they happen; "
                        "give a time at or after it"
                    ).format(at=_utc(at), trigger=previous.trigger, previous_at=_utc(previous.at))
                ],
            )
        if type(actor) is not str or not actor.strip():
            raise TransitionError(
                trigger,
                state,
                [
                    _("say who fires {trigger!r}: the actor {actor!r} is not a name").format(
                        trigger=trigger, actor=actor
                    )
                ],
            )
        if type(note) is not str:
            raise TransitionError(
                trigger, state, [_("the note must be text, not {note!r}").format(note=note)]
            )
        if data:
            if not _PROTECTED_FIELDS.isdisjoint(data):
                raise TransitionError(
                    trigger,
                    state,
                    [
                        _(
                            "the field {name!r} cannot be set through fire(): the lifecycle "
                            "manages it"
                        ).format(name=name)
                        for name in sorted(_PROTECTED_FIELDS.intersection(data))
                    ],
                )
            allowed = self._sets.get(trigger, frozenset())
            stray = sorted(n for n in data if n not in allowed and n in self.model.model_fields)
            if stray:
                raise TransitionError(
                    trigger, state, [self._not_set_with(trigger, n) for n in stray]
                )
            probe = _shallow_copy(entity)
            validate = self._validate_assignment
            for name, value in data.items():
                validate(probe, name, value)  # raises before the entity changes
            future = future_times({n: probe.__dict__[n] for n in data}, now, tolerance)
            if future:
                raise TransitionError(trigger, state, future)
        else:
            probe = _shallow_copy(entity)
        with setting(data):
            reasons = self._reasons(probe, trigger, guards, note, extra_guards)
        if reasons:
            raise TransitionError(trigger, state, reasons)
        token = _Token(state)
        self.machine.events[trigger].trigger(token)
        if token.status != dest:  # the plain data and the machine disagree: a bug, not input
            raise RuntimeError(f"machine moved {state!r} to {token.status!r}, expected {dest!r}")
        prev_hash = history[-1].hash if history else ""
        status = self._status_members[dest]
        probe.__dict__["status"] = status
        digest = state_digest(probe)
        stamp = next_stamp(entity, now)
        bound = f"{self.name}/{entity.__dict__.get('id', '')}"
        fields = sorted(data)
        if _FAST_RECORD and type(at) is datetime and type(stamp) is datetime:
            record = _trusted_record(
                at,
                actor.strip(),
                trigger,
                state,
                dest,
                note,
                prev_hash,
                stamp,
                bound,
                fields,
                digest,
            )
        else:
            record = TransitionRecord(
                at=at,
                actor=actor,
                trigger=trigger,
                source=state,
                dest=dest,
                note=note,
                recorded_at=stamp,
                entity=bound,
                fields=fields,
                state=digest,
                prev_hash=prev_hash,
            )
            record.__dict__["hash"] = record_hash(record)
            record.__pydantic_fields_set__.add("hash")
        # Nothing below can fail: write the validated fields, the state, the record.
        if data:
            values = entity.__dict__
            new_values = probe.__dict__
            for name in data:
                values[name] = new_values[name]
            entity.__pydantic_fields_set__.update(data)
        entity.__dict__["status"] = status
        entity.__pydantic_fields_set__.add("status")
        history.append(record)
        return record


_RECORD_FIELDS = (
    "actor",
    "actor_id",
    "at",
    "dest",
    "entity",
    "fields",
    "hash",
    "note",
    "prev_hash",
    "recorded_at",
    "signature",
    "source",
    "state",
    "trigger",
)
# The trusted path below writes TransitionRecord's fields directly; it is used only while the
# model has exactly these fields (a new field falls back to the validated, generic path).
_FAST_RECORD = tuple(sorted(TransitionRecord.model_fields)) == _RECORD_FIELDS


def _trusted_record(
    at: datetime,
    actor: str,
    trigger: str,
    source: str,
    dest: str,
    note: str,
    prev_hash: str,
    recorded_at: datetime,
    entity: str,
    fields: list[str],
    state: str,
) -> TransitionRecord:
    """Build a sealed record from values ``fire`` has already checked, without revalidating.

    ``at`` is an aware datetime and ``actor`` a stripped non-empty string (what the model's
    validators would enforce); the canonical JSON is written with its keys already sorted,
    and pydantic-core serializes ``at`` exactly as the model does, so the hash equals
    :func:`~qualityflow.lifecycle.audit.record_hash` of the record (a test checks this).
    """
    payload: dict[str, Any] = {"actor": actor, "at": at, "dest": dest}
    # The optional fields are left out of the canonical form while empty (record_hash):
    # actor_id and signature, empty here, are set (and the record resealed) by the service.
    if entity:
        payload["entity"] = entity
    if fields:
        payload["fields"] = fields
    payload.update(note=note, prev_hash=prev_hash, recorded_at=recorded_at, source=source)
    if state:
        payload["state"] = state
    payload["trigger"] = trigger
    canonical = pydantic_core.to_json(payload)
    values = {
        "at": at,
        "actor": actor,
        "actor_id": "",
        "trigger": trigger,
        "source": source,
        "dest": dest,
        "note": note,
        "recorded_at": recorded_at,
        "entity": entity,
        "fields": fields,
        "state": state,
        "signature": None,
        "prev_hash": prev_hash,
        "hash": hashlib.sha256(canonical).hexdigest(),
    }
    record: TransitionRecord = TransitionRecord.__new__(TransitionRecord)
    object.__setattr__(record, "__dict__", values)
    object.__setattr__(record, "__pydantic_fields_set__", set(values))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def _shallow_copy(entity: BaseModel) -> Any:
    """Return a throw-away copy sharing the field values, to validate ``data`` on."""
    probe = type(entity).__new__(type(entity))
    object.__setattr__(probe, "__dict__", entity.__dict__.copy())
    object.__setattr__(probe, "__pydantic_fields_set__", set())
    object.__setattr__(probe, "__pydantic_extra__", None)
    object.__setattr__(probe, "__pydantic_private__", None)
    return probe


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


INCIDENT_STATES: tuple[str, ...] = tuple(s.value for s in IncidentStatus)

INCIDENT_TRANSITIONS: tuple[dict[str, Any], ...] = (
    {
        "trigger": "assess",
        "source": ["reported"],
        "dest": "assessed",
        "guards": ["impact_assessment", "emergency_team"],
        "sets": ["assessment", "team"],
    },
    {
        "trigger": "contain",
        "source": ["assessed"],
        "dest": "contained",
        "guards": ["impact_assessment", "containment_covers_scope", "recall_decided"],
        "sets": ["containment", "recall"],
    },
    {
        "trigger": "investigate",
        "source": ["contained"],
        "dest": "investigating",
        "guards": [],
        "sets": ["actions", "root_cause"],
    },
    {
        "trigger": "correct",
        "source": ["investigating"],
        "dest": "correcting",
        "guards": ["root_cause_confirmed", "actions_planned"],
        "sets": ["actions", "root_cause"],
    },
    {
        "trigger": "verify",
        "source": ["correcting"],
        "dest": "verifying",
        "guards": ["actions_done"],
        "sets": ["actions", "verification"],
    },
    {
        "trigger": "close",
        "source": ["verifying"],
        "dest": "closed",
        # The closed loop: what correct and verify required must still hold at closing,
        # so data given with 'close' cannot undo it.
        "guards": [
            "root_cause_confirmed",
            "actions_planned",
            "actions_done",
            "effective_verification",
            "lesson_learned",
        ],
        "sets": ["lessons", "verification"],
    },
    {
        "trigger": "rework",
        "source": ["verifying"],
        "dest": "correcting",
        "guards": ["ineffective_verification"],
        "sets": ["actions", "verification"],
    },
    {
        "trigger": "cancel",
        "source": ["reported", "assessed"],
        "dest": "cancelled",
        "guards": ["cancel_note"],
        "sets": ["lessons"],
    },
    {
        "trigger": "reopen",
        "source": ["closed"],
        "dest": "investigating",
        "guards": [],
        "sets": ["verification"],
    },
)
"""The incident transitions as plain data; guards by name (see ``INCIDENT_GUARDS``)."""

COMPLAINT_STATES: tuple[str, ...] = tuple(s.value for s in ComplaintStatus)

COMPLAINT_TRANSITIONS: tuple[dict[str, Any], ...] = (
    {
        "trigger": "acknowledge",
        "source": ["received"],
        "dest": "acknowledged",
        "guards": ["acknowledged"],
        "sets": ["contacts"],
    },
    {
        "trigger": "verify",
        "source": ["acknowledged"],
        "dest": "verifying",
        "guards": [],
        "sets": ["batch_ids", "category", "contacts", "product", "severity"],
    },
    {
        "trigger": "investigate",
        "source": ["verifying"],
        "dest": "investigating",
        "guards": ["information_verified"],
        "sets": ["contacts", "information_verification"],
    },
    {
        "trigger": "resolve",
        "source": ["investigating"],
        "dest": "resolved",
        "guards": ["resolution_communicated"],
        "sets": ["contacts", "resolution"],
    },
    # close re-checks the resolution too: data given with the trigger must not wipe it.
    {
        "trigger": "close",
        "source": ["resolved"],
        "dest": "closed",
        "guards": ["resolution_communicated", "follow_up"],
        "sets": ["contacts", "follow_up"],
    },
    {
        "trigger": "reject",
        "source": ["verifying"],
        "dest": "rejected",
        "guards": ["rejection_reason", "customer_told"],
        "sets": ["contacts", "information_verification", "rejection_reason"],
    },
    {
        "trigger": "reopen",
        "source": ["resolved", "closed"],
        "dest": "investigating",
        "guards": [],
        "sets": ["contacts"],
    },
    {
        "trigger": "escalate",
        "source": ["received", "acknowledged", "verifying", "investigating"],
        "dest": None,
        "guards": ["incident_link"],
        "sets": ["contacts", "incident_id"],
    },
    # Escalating keeps the state, so data given with it must not undo what the state stands
    # for: a resolved complaint keeps a resolution communicated (after its last reopening),
    # a closed one its follow-up too.
    {
        "trigger": "escalate",
        "source": ["resolved"],
        "dest": None,
        "guards": ["incident_link", "resolution_communicated"],
        "sets": ["contacts", "incident_id"],
    },
    {
        "trigger": "escalate",
        "source": ["closed"],
        "dest": None,
        "guards": ["incident_link", "resolution_communicated", "follow_up"],
        "sets": ["contacts", "incident_id"],
    },
)
"""The complaint transitions as plain data; ``escalate`` keeps the state (``dest`` None)."""

INCIDENT_MACHINE: Machine = _machine(INCIDENT_STATES, INCIDENT_TRANSITIONS)
"""The one ``transitions.Machine`` every incident goes through (``model=None``)."""

COMPLAINT_MACHINE: Machine = _machine(COMPLAINT_STATES, COMPLAINT_TRANSITIONS)
"""The one ``transitions.Machine`` every complaint goes through (``model=None``)."""

INCIDENT_LIFECYCLE = Lifecycle(
    "incident", Incident, INCIDENT_STATES, INCIDENT_TRANSITIONS, INCIDENT_GUARDS, INCIDENT_MACHINE
)
"""The incident lifecycle: reported -> assessed -> contained -> investigating -> correcting
-> verifying -> closed, with cancel, rework and reopen."""

COMPLAINT_LIFECYCLE = Lifecycle(
    "complaint",
    Complaint,
    COMPLAINT_STATES,
    COMPLAINT_TRANSITIONS,
    COMPLAINT_GUARDS,
    COMPLAINT_MACHINE,
)
"""The complaint lifecycle: received -> acknowledged -> verifying -> investigating ->
resolved -> closed, with reject, reopen and escalate."""
