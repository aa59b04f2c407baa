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
:func:`verify_history` therefore also checks that the entity's status equals the last
record's destination; to detect a truncated history in every case, keep the head hash
somewhere else as well (the service sends it with each notification).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar

import pydantic_core
from pydantic import BaseModel

__all__ = ["chain", "record_hash", "seal", "state_digest", "verify_chain", "verify_history"]


R = TypeVar("R", bound=BaseModel)

_EXCLUDE: set[str] = {"hash"}
# Fields added in 0.2 (two clocks, binding to the entity and its state): left out of the
# canonical form while empty, so the hashes of records written before 0.2 do not change.
_OPTIONAL: tuple[tuple[str, object], ...] = (
    ("recorded_at", None),
    ("entity", ""),
    ("fields", []),
    ("state", ""),
    ("signature", None),
)
# What the state digest leaves out: the chained lists (they are chained on their own) and
# the storage version.
_NOT_STATE: set[str] = {"history", "amendments", "decisions", "version"}


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
    return hashlib.sha256(pydantic_core.to_json(_sorted(payload))).hexdigest()


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


def verify_history(entity: BaseModel) -> bool:
    """Return whether ``entity``'s history is intact and agrees with its status.

    Works on incidents and complaints (``history``) and on suppliers (``decisions``): the
    chain must verify (:func:`verify_chain`) and the entity's ``status`` must equal the last
    record's ``dest``, or the model's initial status when there is no record yet.

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
    records = getattr(entity, "history", None)
    if records is None:
        records = getattr(entity, "decisions", None)
    if records is None:
        raise TypeError(f"{type(entity).__name__} has no 'history' or 'decisions' list to verify")
    if not verify_chain(records):
        return False
    status = _value(getattr(entity, "status", None))
    if records:
        return bool(status == _value(records[-1].dest))
    field = type(entity).model_fields.get("status")
    return field is None or bool(status == _value(field.default))
