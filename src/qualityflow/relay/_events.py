"""Reading claimed ledger entries and outbox rows and turning them into CloudEvents.

A ledger entry becomes ``io.qualityflow.<kind>.changed`` with id the entry's hash; an
outbox notification becomes ``io.qualityflow.notification.<kind>`` with id
``outbox-<sha256 of the notification id>`` (or ``outbox-<source>-<seq>`` when the
notification has no id). The ids are stable: a re-published event carries the same id, so
the broker (NATS ``Nats-Msg-Id``) or the consumer de-duplicates it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qualityflow.errors import QualityFlowError

__all__ = ["EXTRA_HINT", "RelayEvent", "load_cloudevents", "read_events"]

EXTRA_HINT = "install the relay extra: pip install 'qualityflow[relay]'"

TYPE_PREFIX = "io.qualityflow."


@dataclass(frozen=True)
class RelayEvent:
    """One event ready to publish: its stable id, type, subject and CloudEvents JSON body."""

    id: str
    type: str
    subject: str
    stream: str
    seq: int
    body: bytes


def load_cloudevents() -> tuple[Any, Any]:
    """Import the CloudEvents SDK (``CloudEvent`` and its JSON format), or say which extra."""
    try:
        from cloudevents.core.formats.json import JSONFormat
        from cloudevents.core.v1.event import CloudEvent
    except ImportError as exc:
        raise QualityFlowError(
            f"the relay needs the CloudEvents SDK (cloudevents), which is not installed: "
            f"{EXTRA_HINT}"
        ) from exc
    return CloudEvent, JSONFormat()


def _token(text: str) -> str:
    """Return a CloudEvents type / subject token: lower-case letters, digits and '_'."""
    return "".join(c if c.isalnum() else "_" for c in text.lower()) or "unknown"


def _ledger_data(
    seq: int,
    kind: str,
    id: str,
    version: int,
    digest: str,
    prev_hash: str,
    hash: str,
    recorded_at: str,
    stored: tuple[int, str] | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "id": id,
        "version": version,
        "digest": digest,
        "hash": hash,
        "prev_hash": prev_hash,
        "recorded_at": recorded_at,
        "entity": None,
    }
    if kind == "edge":
        try:
            pair = json.loads(id)
            data["edge"] = {"input_id": pair[0], "output_id": pair[1]}
        except (ValueError, IndexError, TypeError):
            data["edge"] = None
    elif stored is not None and stored[0] == version:
        data["entity"] = json.loads(stored[1])
    return data


def _build(
    ce: tuple[Any, Any],
    source: str,
    stream: str,
    seq: int,
    event_id: str,
    type_: str,
    subject: str,
    time: str,
    data: dict[str, Any],
) -> RelayEvent:
    cloud_event, fmt = ce
    attributes = {
        "id": event_id,
        "source": source,
        "type": type_,
        "subject": subject,
        "time": datetime.fromisoformat(time),
        "datacontenttype": "application/json",
    }
    body = fmt.write(cloud_event(attributes, data))
    return RelayEvent(event_id, type_, subject, stream, seq, body)


def read_events(
    storage: Any, stream: str, seqs: Sequence[int], source: str, ce: tuple[Any, Any]
) -> list[RelayEvent]:
    """Read the claimed rows of ``stream`` and build their events, in seq order.

    A seq that no longer exists (a refused write undone after it was seen) yields nothing.
    """
    if not seqs:
        return []
    from qualityflow.storage import MemoryStorage

    if isinstance(storage, MemoryStorage):
        rows = _memory_rows(storage, stream, seqs)
    else:
        rows = _sql_rows(storage, stream, seqs)
    events: list[RelayEvent] = []
    if stream == "ledger":
        for seq, kind, id, version, digest, prev, hash, at, stored in rows:
            data = _ledger_data(seq, kind, id, version, digest, prev, hash, at, stored)
            events.append(
                _build(
                    ce,
                    source,
                    stream,
                    seq,
                    hash,
                    f"{TYPE_PREFIX}{_token(kind)}.changed",
                    f"{kind}/{id}",
                    at,
                    data,
                )
            )
        return events
    for seq, text in rows:
        note = json.loads(text)
        note_id = note.get("id")
        if note_id is not None:
            event_id = "outbox-" + hashlib.sha256(str(note_id).encode("utf-8")).hexdigest()
        else:
            event_id = f"outbox-{hashlib.sha256(source.encode('utf-8')).hexdigest()[:16]}-{seq}"
        events.append(
            _build(
                ce,
                source,
                stream,
                seq,
                event_id,
                f"{TYPE_PREFIX}notification.{_token(str(note.get('kind', '')))}",
                f"{note.get('subject_kind')}/{note.get('subject_id')}",
                str(note["at"]),
                {"seq": seq, "notification": note},
            )
        )
    return events


def _memory_rows(storage: Any, stream: str, seqs: Sequence[int]) -> list[Any]:
    wanted = set(seqs)
    with storage._lock:
        if stream == "ledger":
            out = []
            for e in storage._ledger:
                if e.seq in wanted:
                    row = storage._rows.get((e.kind, e.id))
                    stored = None if row is None else (row[1], row[2])
                    out.append(
                        (
                            e.seq,
                            e.kind,
                            e.id,
                            e.version,
                            e.digest,
                            e.prev_hash,
                            e.hash,
                            e.recorded_at,
                            stored,
                        )
                    )
            return out
        return [(seq, storage._outbox[seq][0]) for seq in sorted(wanted) if seq in storage._outbox]


def _sql_rows(storage: Any, stream: str, seqs: Sequence[int]) -> list[Any]:
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    from qualityflow.errors import StorageError
    from qualityflow.storage import sql

    ledger, entities, outbox = sql.ledger_table, sql.entities, sql.outbox_table
    try:
        with storage.engine.connect() as conn:
            if stream == "ledger":
                query = (
                    sa.select(
                        ledger.c.seq,
                        ledger.c.kind,
                        ledger.c.id,
                        ledger.c.version,
                        ledger.c.digest,
                        ledger.c.prev_hash,
                        ledger.c.hash,
                        ledger.c.recorded_at,
                        entities.c.version,
                        entities.c.data,
                    )
                    .select_from(
                        ledger.outerjoin(
                            entities,
                            (entities.c.kind == ledger.c.kind)
                            & (entities.c.id == ledger.c.id)
                            & (entities.c.version == ledger.c.version),
                        )
                    )
                    .where(ledger.c.seq.in_(list(seqs)))
                    .order_by(ledger.c.seq)
                )
                return [
                    (
                        int(r[0]),
                        str(r[1]),
                        str(r[2]),
                        int(r[3]),
                        str(r[4]),
                        str(r[5]),
                        str(r[6]),
                        str(r[7]),
                        None if r[8] is None else (int(r[8]), str(r[9])),
                    )
                    for r in conn.execute(query)
                ]
            query2 = (
                sa.select(outbox.c.seq, outbox.c.notification)
                .where(outbox.c.seq.in_(list(seqs)))
                .order_by(outbox.c.seq)
            )
            return [(int(r[0]), str(r[1])) for r in conn.execute(query2)]
    except SQLAlchemyError as exc:
        raise StorageError(
            f"relay on storage {storage.url}: reading the claimed {stream} events failed: "
            f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
        ) from exc
