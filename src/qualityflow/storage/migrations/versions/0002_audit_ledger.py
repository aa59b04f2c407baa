"""0.2: the audit ledger, byte-exact MariaDB tables, sha256 outbox keys (schema_version 2).

* ``qf_ledger`` and ``qf_ledger_head`` (issue 11), and the ledger's start marker
  (``qf_meta`` ``ledger_started``) counting the rows stored before it, with the first
  ``ledger/start`` entry vouching for their keys: ``qms.audit.verify()`` reports them as
  written before the ledger, not as problems. Their history records keep their hashes.
* MySQL/MariaDB: every table ``utf8mb4`` with the ``utf8mb4_bin`` collation, so ids
  compare byte-exactly as on SQLite and PostgreSQL.
* ``qf_outbox.key``: the sha256 hex of the stored notification's id, in 64 characters.

Each step checks what is already done, so a database of a 0.2 development build (ledger
tables already there) and an upgrade interrupted on MariaDB (whose DDL commits on its own)
are both taken to the same end.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from qualityflow.storage.base import (
    LEDGER_START,
    LedgerStart,
    edge_key,
    ledger_hash,
    preledger_digest,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BYTE_EXACT: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
_TABLES_0_1 = ("qf_meta", "qf_entities", "qf_edges", "qf_outbox")
_CHUNK = 2000

_meta = sa.table("qf_meta", sa.column("key", sa.String), sa.column("value", sa.String))
_outbox = sa.table(
    "qf_outbox",
    sa.column("seq", sa.Integer),
    sa.column("key", sa.String),
    sa.column("notification", sa.Text),
)
_ledger = sa.table(
    "qf_ledger",
    sa.column("seq", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("id", sa.Text),
    sa.column("version", sa.Integer),
    sa.column("digest", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("recorded_at", sa.String),
)
_head = sa.table(
    "qf_ledger_head",
    sa.column("lock_id", sa.Integer),
    sa.column("seq", sa.BigInteger),
    sa.column("hash", sa.String),
    sa.column("prev_hash", sa.String),
)


def upgrade() -> None:
    """Apply the steps above (each skipped when already done)."""
    bind = op.get_bind()
    mysql = bind.dialect.name in ("mysql", "mariadb")
    existing = set(sa.inspect(bind).get_table_names())
    if mysql:
        for table in _TABLES_0_1:
            op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    _rekey_outbox(bind)
    if bind.dialect.name != "sqlite":  # SQLite does not enforce VARCHAR lengths
        op.alter_column(
            "qf_outbox",
            "key",
            type_=sa.String(64),
            existing_type=sa.String(255),
            existing_nullable=True,
        )
    if "qf_ledger" not in existing:
        op.create_table(
            "qf_ledger",
            sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("recorded_at", sa.String(40), nullable=False),
            **_BYTE_EXACT,
        )
    if "qf_ledger_head" not in existing:
        op.create_table(
            "qf_ledger_head",
            sa.Column("lock_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("seq", sa.BigInteger, nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            **_BYTE_EXACT,
        )
    _start_ledger(bind)
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))


def _rekey_outbox(bind: sa.engine.Connection) -> None:
    """Set every outbox row's key to the sha256 hex of its notification's id.

    Computed from the stored notification, never from the old key, so running it twice
    changes nothing. Keys are cleared first, so that no new key meets an old one in the
    unique index half-way.
    """
    rows = bind.execute(sa.select(_outbox.c.seq, _outbox.c.key).order_by(_outbox.c.seq)).all()
    wanted: dict[int, str | None] = {}
    last = None
    while True:
        query = sa.select(_outbox.c.seq, _outbox.c.notification).order_by(_outbox.c.seq)
        if last is not None:
            query = query.where(_outbox.c.seq > last)
        chunk = bind.execute(query.limit(_CHUNK)).all()
        if not chunk:
            break
        for seq, text in chunk:
            notification_id = json.loads(text).get("id")
            wanted[int(seq)] = (
                None
                if notification_id is None
                else hashlib.sha256(str(notification_id).encode("utf-8")).hexdigest()
            )
        last = chunk[-1][0]
    changed = [int(seq) for seq, key in rows if wanted.get(int(seq)) != key]
    if not changed:
        return
    update = (
        _outbox.update()
        .where(_outbox.c.seq == sa.bindparam("w_seq"))
        .values(key=sa.bindparam("n_key"))
    )
    for start in range(0, len(changed), _CHUNK):
        part = changed[start : start + _CHUNK]
        bind.execute(update, [{"w_seq": s, "n_key": None} for s in part])
    for start in range(0, len(changed), _CHUNK):
        part = changed[start : start + _CHUNK]
        bind.execute(update, [{"w_seq": s, "n_key": wanted[s]} for s in part])


def _start_ledger(bind: sa.engine.Connection) -> None:
    """Open the ledger on the stored rows, as a ledger started on a non-empty database.

    The start marker in ``qf_meta`` (``ledger_started``: when, how many rows, the digest
    of their keys) and, when there are rows, the first entry ``ledger/start`` carrying the
    same count and digest. Nothing when the ledger already started.
    """
    if bind.execute(sa.select(_head.c.seq).where(_head.c.lock_id == 1)).first() is not None:
        return
    if bind.execute(sa.select(_meta.c.value).where(_meta.c.key == "ledger_started")).first():
        return
    entities = sa.table("qf_entities", sa.column("kind"), sa.column("id"))
    edges = sa.table("qf_edges", sa.column("input_id"), sa.column("output_id"))
    keys = [f"{k}/{i}" for k, i in bind.execute(sa.select(entities.c.kind, entities.c.id))]
    keys.extend(
        f"edge/{edge_key(i, o)}"
        for i, o in bind.execute(sa.select(edges.c.input_id, edges.c.output_id))
    )
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    start = LedgerStart(at=at, rows=len(keys), keys=preledger_digest(keys) if keys else "")
    bind.execute(_meta.insert().values(key="ledger_started", value=start.to_json()))
    if not keys:
        bind.execute(_head.insert().values(lock_id=1, seq=0, hash="", prev_hash=""))
        return
    kind, id = LEDGER_START
    entry_hash = ledger_hash(1, kind, id, start.rows, start.keys, "", at)
    bind.execute(
        _ledger.insert().values(
            seq=1,
            kind=kind,
            id=id,
            version=start.rows,
            digest=start.keys,
            prev_hash="",
            hash=entry_hash,
            recorded_at=at,
        )
    )
    bind.execute(_head.insert().values(lock_id=1, seq=1, hash=entry_hash, prev_hash=""))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade."""
    raise NotImplementedError("qualityflow does not downgrade; restore the backup")
