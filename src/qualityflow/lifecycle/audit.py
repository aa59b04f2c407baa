"""Tamper-evident histories: each record carries the hash of the record before it.

A lifecycle appends one :class:`~qualityflow.TransitionRecord` per transition; a supplier
keeps one :class:`~qualityflow.SupplierDecision` per status change. Both are *chained*:
``record.prev_hash`` is the previous record's ``hash`` (empty for the first record), and
``record.hash`` is the SHA-256 of the record's canonical JSON (sorted keys, no whitespace,
the ``hash`` field itself left out). Editing, removing, reordering or inserting a record
therefore breaks the chain, and :func:`verify_chain` says so.

The functions here are generic: they work on any pydantic record with ``prev_hash`` and
``hash`` string fields.

What a chain cannot do on its own: somebody who can rewrite the whole list can also
recompute every hash, and dropping the *last* record leaves a valid shorter chain.
:func:`history_problems` (behind :func:`verify_history`) therefore also checks that the
entity's status equals the last record's destination, that every step is a legal
transition of the entity's lifecycle from where the previous one ended, that records bound
to an entity (``record.entity``) are bound to this one, and that the digest of the state
recorded by the latest record or amendment (``record.state``) matches the entity's fields.
A rewrite of the whole record, or of the whole database, is caught by the database-wide
ledger and the heads published outside it (``qms.audit.verify(known_heads=...)``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any, TypeVar

import pydantic_core
from pydantic import BaseModel

from qualityflow.i18n import _

__all__ = [
    "AuditProblem",
    "chain",
    "chain_problems",
    "history_problems",
    "record_hash",
    "seal",
    "state_digest",
    "verify_chain",
    "verify_history",
]


R = TypeVar("R", bound=BaseModel)

_EXCLUDE: set[str] = {"hash"}
# Fields added in 0.2 (two clocks, binding to the entity and its state) and later (the
# signature, the actor's id): left out of the canonical form while empty, so the hashes of
# records written before them do not change.
_OPTIONAL: tuple[tuple[str, object], ...] = (
    ("recorded_at", None),
    ("entity", ""),
    ("fields", []),
    ("state", ""),
    ("signature", None),
    ("actor_id", ""),
    ("approved_by", ""),
)
# What the state digest leaves out: the chained lists (they are chained on their own) and
# the storage version.
_NOT_STATE: set[str] = {"history", "amendments", "decisions", "version"}
# Fields added to the models after records began to carry state digests, each with its
# empty default: left out of the state's canonical form, at any depth, while empty, so an
# entity stored before the field existed keeps the digest its last record carries. A name
# here must not be the name of any older field (tests/test_audit_digest.py checks that every
# model field of that name defaults to the empty value given here).
ADDED_FIELDS: dict[str, object] = {
    "attachments": [],
    "information_verification": None,
}


def _sorted(value: Any) -> Any:
    """Return ``value`` with every dict's keys in sorted order (the canonical form)."""
    if isinstance(value, dict):
        return {
            key: (_sorted(item) if isinstance(item, (dict, list)) else item)
            for key, item in sorted(value.items())
        }
    if isinstance(value, list):
        return [_sorted(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def record_hash(record: BaseModel) -> str:
    """Return the SHA-256 (hex) of ``record``'s canonical JSON, its ``hash`` field excluded.

    Canonical means: the record dumped in JSON mode, keys sorted, no whitespace, UTF-8
    (the bytes of ``json.dumps(record.model_dump(mode="json", exclude={"hash"}),
    sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` for records of strings,
    numbers and booleans; pydantic-core writes them, for speed).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> rec = qf.TransitionRecord(at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc),
    ...     actor="QA Lena", trigger="assess", source="reported", dest="assessed")
    >>> len(record_hash(rec))
    64
    >>> record_hash(rec) == record_hash(rec.model_copy(update={"hash": "anything"}))
    True

    """
    payload = record.__pydantic_serializer__.to_python(record, mode="json", exclude=_EXCLUDE)
    for name, empty in _OPTIONAL:
        if name in payload and payload[name] == empty:
            del payload[name]
    return hashlib.sha256(pydantic_core.to_json(_sorted(payload))).hexdigest()


def state_digest(entity: BaseModel) -> str:
    """Return the SHA-256 (hex) of ``entity``'s canonical JSON, its chained lists excluded.

    The digest covers every field but ``history``, ``amendments``, ``decisions`` and
    ``version``; a transition record or amendment carries the digest of the state it left,
    so an edited field of a stored entity no longer matches its last record.

    Examples
    --------
    >>> import qualityflow as qf
    >>> inc = qf.Incident(id="INC-1", title="Glass in jam", severity="critical",
    ...     reported_at="2026-03-02T06:00:00+00:00")
    >>> before = state_digest(inc)
    >>> inc.title = "Glass splinter in jam"
    >>> state_digest(inc) == before, len(before)
    (False, 64)

    """
    payload = entity.__pydantic_serializer__.to_python(entity, mode="json", exclude=_NOT_STATE)
    return hashlib.sha256(pydantic_core.to_json(_state_form(payload))).hexdigest()


def _state_form(value: Any) -> Any:
    """Return ``value`` sorted as :func:`_sorted` does, empty :data:`ADDED_FIELDS` dropped."""
    if isinstance(value, dict):
        return {
            key: (_state_form(item) if isinstance(item, (dict, list)) else item)
            for key, item in sorted(value.items())
            if key not in ADDED_FIELDS or item != ADDED_FIELDS[key]
        }
    if isinstance(value, list):
        return [_state_form(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def seal(record: R, prev_hash: str) -> R:
    """Return a copy of ``record`` linked to ``prev_hash`` and carrying its own hash.

    Use it to append to a chain: ``records.append(seal(new, records[-1].hash if records
    else ""))``, or let :func:`chain` do that.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> first = seal(qf.TransitionRecord(at=at, actor="QA", trigger="assess",
    ...     source="reported", dest="assessed"), "")
    >>> first.hash == record_hash(first) and first.prev_hash == ""
    True

    """
    linked = record.model_copy(update={"prev_hash": prev_hash, "hash": ""})
    return linked.model_copy(update={"hash": record_hash(linked)})


def chain(records: Sequence[R], record: R) -> R:
    """Return ``record`` sealed onto the end of ``records`` (the list is not modified).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> history: list[qf.TransitionRecord] = []
    >>> history.append(chain(history, qf.TransitionRecord(at=at, actor="QA",
    ...     trigger="assess", source="reported", dest="assessed")))
    >>> history.append(chain(history, qf.TransitionRecord(at=at, actor="QA",
    ...     trigger="contain", source="assessed", dest="contained")))
    >>> verify_chain(history)
    True

    """
    prev_hash = getattr(records[-1], "hash", "") if records else ""
    return seal(record, str(prev_hash))


def verify_chain(records: Sequence[BaseModel]) -> bool:
    """Return whether ``records`` form an intact hash chain.

    Every record's ``hash`` must equal :func:`record_hash` of it, and every ``prev_hash``
    the ``hash`` of the record before (empty for the first). An edited, removed (except the
    last), reordered or inserted record makes this ``False``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> h = [seal(qf.TransitionRecord(at=at, actor="QA", trigger="assess",
    ...     source="reported", dest="assessed"), "")]
    >>> verify_chain(h)
    True
    >>> h[0] = h[0].model_copy(update={"actor": "someone else"})
    >>> verify_chain(h)
    False

    """
    prev = ""
    for record in records:
        if getattr(record, "prev_hash", None) != prev:
            return False
        own = getattr(record, "hash", None)
        if own != record_hash(record):
            return False
        prev = str(own)
    return True


def _value(status: Any) -> Any:
    return status.value if isinstance(status, Enum) else status


@dataclass(frozen=True)
class AuditProblem:
    """One thing an audit found wrong: which entity, which record, and what.

    ``kind`` and ``id`` name the entity (``"incident"``, ``"INC-1"``; ``"edge"`` with
    ``"FLOUR-1 -> MIX-9"``; ``"ledger"`` for the ledger itself), ``record`` the record
    (``"history[3]"``, ``"amendments[0]"``, ``"decisions[1]"``, ``"ledger 17"``; empty for
    the entity as a whole) and ``what`` says what is wrong, in a sentence.
    """

    kind: str
    id: str
    record: str
    what: str

    def __str__(self) -> str:
        where = f"{self.kind} {self.id}" + (f" {self.record}" if self.record else "")
        return f"{where}: {self.what}"


def chain_problems(
    records: Sequence[BaseModel], *, kind: str = "", id: str = "", name: str = "history"
) -> list[AuditProblem]:
    """Return what breaks the hash chain of ``records`` (empty when intact).

    Each problem names the record (``f"{name}[i]"``): a record whose content no longer
    matches its hash was edited; one whose ``prev_hash`` is not the hash of the record
    before follows a removed, inserted or reordered record.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> h = [seal(qf.TransitionRecord(at=at, actor="QA", trigger="assess",
    ...     source="reported", dest="assessed"), "")]
    >>> h[0] = h[0].model_copy(update={"actor": "someone else"})
    >>> [p.record for p in chain_problems(h, kind="incident", id="INC-1")]
    ['history[0]']

    """
    problems: list[AuditProblem] = []
    prev = ""
    for index, record in enumerate(records):
        where = f"{name}[{index}]"
        if getattr(record, "prev_hash", None) != prev:
            what = (
                _(
                    "the first record points to a record before it: earlier records were "
                    "removed or the records reordered"
                )
                if index == 0
                else _(
                    "does not follow {record} (prev_hash differs): a record was removed, "
                    "inserted or reordered"
                ).format(record=f"{name}[{index - 1}]")
            )
            problems.append(AuditProblem(kind, id, where, what))
        own = getattr(record, "hash", None)
        if own != record_hash(record):
            problems.append(
                AuditProblem(kind, id, where, _("its content does not match its hash: edited"))
            )
        prev = str(own)
    return problems


def _kind_name(entity: BaseModel) -> str:
    """``Incident`` -> ``incident``, ``RetainedSample`` -> ``retained_sample``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(entity).__name__).lower()


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)

_TABLES: dict[int, tuple[str, dict[tuple[str, str], str]]] = {}


def _legal_table(lifecycle: Any) -> tuple[str, dict[tuple[str, str], str]]:
    """Return ``(initial state, {(trigger, source): dest})`` from a lifecycle's data."""
    cached = _TABLES.get(id(lifecycle))
    if cached is not None:
        return cached
    table: dict[tuple[str, str], str] = {}
    for t in lifecycle.transitions:
        for source in t["source"]:
            table[(str(t["trigger"]), str(source))] = str(
                source if t["dest"] is None else t["dest"]
            )
    found = (str(lifecycle.states[0]), table)
    _TABLES[id(lifecycle)] = found
    return found


def _lifecycle_of(entity: BaseModel) -> Any:
    # Imported here: the lifecycle modules import this one.
    from qualityflow.lifecycle.machine import COMPLAINT_LIFECYCLE, INCIDENT_LIFECYCLE

    known: list[Any] = [INCIDENT_LIFECYCLE, COMPLAINT_LIFECYCLE]
    try:
        from qualityflow.lifecycle.recall import RECALL_LIFECYCLE
    except ImportError:  # pragma: no cover - a build without recalls
        pass
    else:
        known.append(RECALL_LIFECYCLE)
    for lifecycle in known:
        if isinstance(entity, lifecycle.model):
            return lifecycle
    return None


def history_problems(
    entity: BaseModel, *, kind: str | None = None, lifecycle: Any = None, state: bool = True
) -> list[AuditProblem]:
    """Return everything wrong with ``entity``'s own records (empty when all is intact).

    Checks, on whichever of ``history``, ``decisions`` and ``amendments`` the entity has:

    * each list's hash chain (:func:`chain_problems`): edited, removed, inserted or
      reordered records;
    * the binding: a record whose ``entity`` is set must name this entity
      (``"incident/INC-1"``), else it was transplanted from another one;
    * ``history``: every step is a legal transition of the lifecycle (``lifecycle``, by
      default the built-in one of incidents, complaints or recalls), starting where the previous
      step ended (the initial state for the first), and the status is the last step's
      destination (a dropped last record shows here);
    * ``decisions``: each starts where the previous ended and the status is the last one's;
    * the state (unless ``state=False``): when the latest of the last history record and
      the last amendment (by ``recorded_at``) carries a ``state`` digest, it must equal
      :func:`state_digest` of the entity, else a field was edited since.

    ``kind`` is the stored kind (default: the class name in snake case).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> forged = chain([], qf.TransitionRecord(at=datetime(2026, 3, 2, tzinfo=timezone.utc),
    ...     actor="nobody", trigger="close", source="reported", dest="closed"))
    >>> inc = qf.Incident(id="INC-1", title="Forged", severity="minor", status="closed",
    ...     history=[forged])
    >>> [str(p) for p in history_problems(inc)]
    ["incident INC-1 history[0]: trigger 'close' is not allowed from state 'reported'"]

    """
    name = kind or _kind_name(entity)
    ident = str(getattr(entity, "id", ""))
    bound = f"{name}/{ident}"
    problems: list[AuditProblem] = []
    history = getattr(entity, "history", None)
    decisions = getattr(entity, "decisions", None)
    amendments = getattr(entity, "amendments", None)
    lists: list[tuple[str, Sequence[BaseModel]]] = [
        (label, records)
        for label, records in (
            ("history", history),
            ("decisions", decisions),
            ("amendments", amendments),
        )
        if records is not None
    ]
    for label, records in lists:
        problems.extend(chain_problems(records, kind=name, id=ident, name=label))
        for index, record in enumerate(records):
            owner = getattr(record, "entity", "")
            if owner and owner != bound:
                problems.append(
                    AuditProblem(
                        name,
                        ident,
                        f"{label}[{index}]",
                        _(
                            "belongs to {owner}, not {bound}: transplanted from another record"
                        ).format(owner=owner, bound=bound),
                    )
                )
    if history is not None:
        problems.extend(_legality(entity, history, name, ident, lifecycle))
    if decisions is not None:
        problems.extend(_continuity(entity, decisions, name, ident))
    if state:
        problems.extend(_state_problems(entity, history, decisions, amendments, name, ident))
    return problems


def _legality(
    entity: BaseModel, history: Sequence[Any], kind: str, ident: str, lifecycle: Any
) -> list[AuditProblem]:
    chosen = lifecycle if lifecycle is not None else _lifecycle_of(entity)
    problems: list[AuditProblem] = []
    if chosen is not None:
        initial, table = _legal_table(chosen)
    else:
        field = type(entity).model_fields.get("status")
        initial, table = str(_value(field.default) if field else ""), {}
    expected = initial
    for index, record in enumerate(history):
        where = f"history[{index}]"
        source, dest, trigger = str(record.source), str(record.dest), str(record.trigger)
        if source != expected:
            problems.append(
                AuditProblem(
                    kind,
                    ident,
                    where,
                    _("starts from {source!r} but the record before ended in {expected!r}").format(
                        source=source, expected=expected
                    ),
                )
            )
        if chosen is not None:
            legal = table.get((trigger, source))
            if legal is None:
                problems.append(
                    AuditProblem(
                        kind,
                        ident,
                        where,
                        _("trigger {trigger!r} is not allowed from state {source!r}").format(
                            trigger=trigger, source=source
                        ),
                    )
                )
            elif legal != dest:
                problems.append(
                    AuditProblem(
                        kind,
                        ident,
                        where,
                        _(
                            "trigger {trigger!r} from {source!r} leads to {legal!r}, not {dest!r}"
                        ).format(trigger=trigger, source=source, legal=legal, dest=dest),
                    )
                )
        expected = dest
    status = _value(getattr(entity, "status", None))
    if status is not None and str(status) != expected:
        what = (
            _(
                "status is {status!r} but the last record ends in {expected!r}: a record was "
                "removed or the status edited"
            )
            if history
            else _(
                "status is {status!r} but there is no record: a record was removed or the "
                "status edited"
            )
        )
        problems.append(
            AuditProblem(kind, ident, "", what.format(status=status, expected=expected))
        )
    return problems


def _continuity(
    entity: BaseModel, decisions: Sequence[Any], kind: str, ident: str
) -> list[AuditProblem]:
    field = type(entity).model_fields.get("status")
    expected = str(_value(field.default)) if field is not None else ""
    problems: list[AuditProblem] = []
    for index, decision in enumerate(decisions):
        source = str(_value(decision.source))
        if source != expected:
            problems.append(
                AuditProblem(
                    kind,
                    ident,
                    f"decisions[{index}]",
                    _(
                        "starts from {source!r} but the decision before ended in {expected!r}"
                    ).format(source=source, expected=expected),
                )
            )
        expected = str(_value(decision.dest))
    status = _value(getattr(entity, "status", None))
    if str(status) != expected:
        problems.append(
            AuditProblem(
                kind,
                ident,
                "",
                _(
                    "status is {status!r} but the decisions end in {expected!r}: a decision "
                    "was removed or the status edited"
                ).format(status=status, expected=expected),
            )
        )
    return problems


def _state_problems(
    entity: BaseModel,
    history: Sequence[Any] | None,
    decisions: Sequence[Any] | None,
    amendments: Sequence[Any] | None,
    kind: str,
    ident: str,
) -> list[AuditProblem]:
    candidates: list[tuple[str, Any]] = []
    if history:
        candidates.append((f"history[{len(history) - 1}]", history[-1]))
    if amendments:
        candidates.append((f"amendments[{len(amendments) - 1}]", amendments[-1]))
    if not candidates:
        return []
    keyed = [(getattr(r, "recorded_at", None) or _EARLIEST, where, r) for where, r in candidates]
    latest = max(at for at, _, _ in keyed)
    chosen = [item for item in keyed if item[0] == latest]
    with_state = [(where, r) for _, where, r in chosen if getattr(r, "state", "")]
    if not with_state:
        return []
    if decisions:
        # Decisions carry no state: one made after the chosen record changed the status.
        last_at = getattr(decisions[-1], "at", None)
        if last_at is not None and all(last_at >= r.at for _, r in with_state):
            return []
    digest = state_digest(entity)
    if any(r.state == digest for _, r in with_state):
        return []
    where = with_state[-1][0]
    return [
        AuditProblem(
            kind,
            ident,
            where,
            _(
                "the entity's fields no longer match the state this record sealed: a field "
                "was edited outside qualityflow"
            ),
        )
    ]


def verify_history(entity: BaseModel) -> bool:
    """Return whether ``entity``'s history is intact, legal and agrees with its status.

    Works on incidents and complaints (``history``) and on suppliers (``decisions``):
    ``True`` when :func:`history_problems` finds nothing (the chains verify, every step is
    legal from where the previous one ended, records are bound to this entity, the status
    is the last record's destination, or the initial status when there is no record yet,
    and the state sealed by the latest record or amendment matches the fields).

    Examples
    --------
    >>> import qualityflow as qf
    >>> incident = qf.Incident(id="INC-1", title="Metal chip in biscuits", severity="critical")
    >>> verify_history(incident)
    True
    >>> incident.status = "closed"  # moved without a transition
    >>> verify_history(incident)
    False

    """
    if getattr(entity, "history", None) is None and getattr(entity, "decisions", None) is None:
        raise TypeError(f"{type(entity).__name__} has no 'history' or 'decisions' list to verify")
    return not history_problems(entity)
