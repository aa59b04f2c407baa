"""SQL backends on SQLAlchemy Core 2: ``sqlite:///``, ``postgresql://``, ``mysql://``.

One table of entities (validated JSON with indexed ``kind``, ``id``, ``status`` and
``version`` columns), one of genealogy edges (traced with a recursive query), the outbox
of notifications, the audit ledger, and ``qf_meta`` holding the schema version. A new,
empty database is created at the head revision on first use; an older one is refused until
``qualityflow db upgrade`` migrates it (see :mod:`qualityflow.storage.migrations`). Any
engine SQLAlchemy speaks works through :class:`SQLStorage` directly.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from qualityflow.errors import (
    ConcurrencyError,
    NotFoundError,
    QualityFlowError,
    RowProblem,
    RowsRefused,
    StorageError,
)
from qualityflow.models import Notification, Quantity
from qualityflow.storage.base import (
    INDEXED_FIELDS,
    LEDGER_START,
    SCHEMA_VERSION,
    AuditSnapshot,
    Delivery,
    Direction,
    Edge,
    Entity,
    Found,
    LedgerEntry,
    LedgerStart,
    OutboxEntry,
    StoredEdge,
    StoredRow,
    check_page,
    check_where,
    decode_deliveries,
    edge_columns,
    edge_digest,
    edge_key,
    encode_deliveries,
    fields_signature,
    given_twice,
    index_entries,
    index_entries_of_json,
    index_value,
    iter_chunks,
    iter_pages,
    kind_of,
    ledger_hash,
    linked_already,
    mask_url,
    matches_where,
    model_for,
    normalise_status,
    on_file,
    preledger_digest,
    row_digest,
    stale_version,
    status_of,
)

__all__ = [
    "SQLStorage",
    "alembic_version_table",
    "fields_table",
    "ledger_head_table",
    "ledger_table",
    "metadata",
    "mysql_storage",
    "open_sql_storage",
    "outbox_key",
    "postgresql_storage",
    "relay_claims_table",
    "relay_cursor_table",
    "sql_engine",
    "sqlite_storage",
    "stored_revision",
]

_LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

# MySQL/MariaDB compare strings by the column's collation, and the server default
# (utf8mb4_general_ci) folds case and accents: 'Flour-1' would find 'FLOUR-1'. Every
# table is utf8mb4 with the binary collation, so ids compare byte-exactly as on SQLite
# and PostgreSQL. (utf8mb4_bin pads spaces; the models strip them from ids.)
_BYTE_EXACT: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

metadata = sa.MetaData()
"""The tables, for migrations and tooling."""

meta_table = sa.Table(
    "qf_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    **_BYTE_EXACT,
)
entities = sa.Table(
    "qf_entities",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(32), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", _LongText, nullable=False),
    sa.Index("ix_qf_entities_kind_status", "kind", "status"),
    **_BYTE_EXACT,
)
edges_table = sa.Table(
    "qf_edges",
    metadata,
    sa.Column("input_id", sa.String(255), primary_key=True),
    sa.Column("output_id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("quantity", sa.Text, nullable=True),
    sa.Column("override", sa.Text, nullable=True),
    sa.Index("ix_qf_edges_output", "output_id", "input_id"),
    **_BYTE_EXACT,
)
outbox_table = sa.Table(
    "qf_outbox",
    metadata,
    sa.Column("seq", sa.Integer, sa.Identity(), primary_key=True, autoincrement=True),
    # sha256 hex of the notification's id (its logical key, of any length); the
    # notification itself, id included, is in ``notification``.
    sa.Column("key", sa.String(64), nullable=True, unique=True),
    sa.Column("subject_kind", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(255), nullable=False),
    sa.Column("notification", _LongText, nullable=False),
    sa.Column("deliveries", sa.Text, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Index("ix_qf_outbox_delivered", "delivered", "seq"),
    **_BYTE_EXACT,
)

# ---- audit ledger tables (issue 11) ------------------------------------------------------
# qf_ledger: one chained entry per committed entity write and edge (see storage.base);
# qf_ledger_head: one row (lock_id 1), the last entry's seq and hash, locked by every
# writer so that concurrent transactions append one after the other (prev_hash is scratch:
# the previous head's hash while a statement runs).
ledger_table = sa.Table(
    "qf_ledger",
    metadata,
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
ledger_head_table = sa.Table(
    "qf_ledger_head",
    metadata,
    sa.Column("lock_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    **_BYTE_EXACT,
)
# ---- end of audit ledger tables ----------------------------------------------------------

# ---- outbox relay tables (issue 17, qualityflow.relay) -----------------------------------
# qf_relay_claims: one row per event a relay has claimed for a target (a broker), with the
# lease until which it is that relay's; ``published`` once the broker acknowledged it.
# qf_relay_cursor: per target and stream, the seq up to which every event is published
# (the ledger stream's claims below it are deleted); its row lock serialises claiming.
relay_claims_table = sa.Table(
    "qf_relay_claims",
    metadata,
    sa.Column("target", sa.String(191), primary_key=True),
    sa.Column("stream", sa.String(8), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("lease_until", sa.Double, nullable=False),
    sa.Column("published", sa.Boolean, nullable=False),
    sa.Index("ix_qf_relay_claims_lease", "target", "stream", "published", "lease_until"),
    **_BYTE_EXACT,
)
relay_cursor_table = sa.Table(
    "qf_relay_cursor",
    metadata,
    sa.Column("target", sa.String(191), primary_key=True),
    sa.Column("stream", sa.String(8), primary_key=True),
    sa.Column("floor", sa.BigInteger, nullable=False),
    **_BYTE_EXACT,
)
# ---- end of outbox relay tables ----------------------------------------------------------

# ---- field index table (issue 19) --------------------------------------------------------
# qf_fields: one row per (kind, id, field) of the documented fields (storage.base
# INDEXED_FIELDS), written in the same transaction as the entity; ``value`` is
# index_value() of the field's text. list(where=...) joins it on (kind, field, value, id).
fields_table = sa.Table(
    "qf_fields",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("field", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Index("ix_qf_fields_lookup", "kind", "field", "value", "id"),
    # SQLite: the key is the table (a lookup by kind and id reads it, not the index)
    sqlite_with_rowid=False,
    **_BYTE_EXACT,
)
# ---- end of field index table ------------------------------------------------------------

alembic_version_table = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    **_BYTE_EXACT,
)
"""Alembic's version table (as Alembic creates it): the revision the database is at."""
_QF_TABLES = frozenset(metadata.tables)

# The statements of the hot path (fire: get, save, enqueue, update_delivery), built once:
# SQLAlchemy then memoises their cache keys and compiled forms instead of rebuilding and
# re-keying a fresh statement on every call.
_GET_DATA = sa.select(entities.c.data).where(
    entities.c.kind == sa.bindparam("w_kind"), entities.c.id == sa.bindparam("w_id")
)
_GET_VERSION = sa.select(entities.c.version).where(
    entities.c.kind == sa.bindparam("w_kind"), entities.c.id == sa.bindparam("w_id")
)
_SAVE = (
    entities.update()
    .where(
        entities.c.kind == sa.bindparam("w_kind"),
        entities.c.id == sa.bindparam("w_id"),
        entities.c.version == sa.bindparam("w_version"),
    )
    .values(
        status=sa.bindparam("n_status"),
        version=sa.bindparam("n_version"),
        data=sa.bindparam("n_data"),
    )
)
_INSERT_ENTITY = entities.insert()
_OUTBOX_KEY = sa.select(outbox_table.c.seq).where(outbox_table.c.key == sa.bindparam("w_key"))
_ENQUEUE = outbox_table.insert()
# SQLite and PostgreSQL skip a repeated notification id in the insert itself (one statement
# instead of a look-up and an insert); RETURNING gives the new seq, or no row if skipped.
_ENQUEUE_UNIQUE = {
    "sqlite": sqlite.insert(outbox_table)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(outbox_table.c.seq),
    "postgresql": postgresql.insert(outbox_table)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(outbox_table.c.seq),
}
# The genealogy lock. PostgreSQL: a transaction-level advisory lock on this fixed key
# (the bytes "qf_genlk"). MySQL/MariaDB: the row lock of this qf_meta row, whose value
# counts the genealogy transactions (see SQLStorage.genealogy_lock).
_PG_GENEALOGY_LOCK = 0x71665F67656E6C6B
_GENEALOGY_ROW = "genealogy_lock"
_GENEALOGY_LOCKED = (
    sa.select(meta_table.c.value).where(meta_table.c.key == _GENEALOGY_ROW).with_for_update()
)
_GENEALOGY_SEEN = sa.select(meta_table.c.value).where(meta_table.c.key == _GENEALOGY_ROW)
_GENEALOGY_BUMP = (  # precompiled (issue 19): a link pays no statement build for its lock
    meta_table.update()
    .where(meta_table.c.key == sa.literal_column(f"'{_GENEALOGY_ROW}'"))
    .values(value=sa.bindparam("n_value"))
)
_MYSQL_DUPLICATE_KEY = 1062
_ENQUEUE_CHUNK = 1000  # rows per enqueue_many statement

_UPDATE_DELIVERY = (
    outbox_table.update()
    .where(outbox_table.c.seq == sa.bindparam("w_seq"))
    .values(deliveries=sa.bindparam("n_deliveries"), delivered=sa.bindparam("n_delivered"))
)

# ---- overdue statements (issue 19) -------------------------------------------------------
# versions(): ids and versions from the kind/status index, no JSON; queued(): which keys
# are in the outbox (the unique key index); enqueue_many(): one multi-row insert that
# skips keys already queued and returns the (seq, key) of the rows it added, so only those
# are delivered (SQLite and PostgreSQL: ON CONFLICT DO NOTHING; MariaDB: INSERT IGNORE).
_VERSIONS = sa.select(entities.c.id, entities.c.version).where(
    entities.c.kind == sa.bindparam("w_kind")
)
_VERSIONS_BY_STATUS = _VERSIONS.where(
    entities.c.status.in_(sa.bindparam("w_status", expanding=True))
)
# A fixed-size IN list (the last chunk padded by repeating a key), so the statement is
# compiled once and run on the driver's cursor (see SQLStorage._run).
_QUEUED_CHUNK = 500
_QUEUED = sa.select(outbox_table.c.key).where(
    outbox_table.c.key.in_([sa.bindparam(f"k{i}") for i in range(_QUEUED_CHUNK)])
)
# PostgreSQL: one text parameter of comma-joined keys (hex digests), split in the server,
# and only the keys *not* queued come back; binding a list as an array costs the driver
# more than the query (1.2 s against 0.2 s for 58k keys).
_MISSING_PG = sa.text(
    "SELECT k FROM unnest(string_to_array(CAST(:w_keys AS TEXT), ',')) AS k "
    "WHERE NOT EXISTS (SELECT 1 FROM qf_outbox AS o WHERE o.key = k)"
)
_MISSING_PG_CHUNK = 50_000
_ENQUEUE_MANY = {
    "sqlite": sqlite.insert(outbox_table)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(outbox_table.c.seq, outbox_table.c.key),
    "postgresql": postgresql.insert(outbox_table)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(outbox_table.c.seq, outbox_table.c.key),
    "mysql": outbox_table.insert()
    .prefix_with("IGNORE")
    .returning(outbox_table.c.seq, outbox_table.c.key),
}
# ---- end of overdue statements -----------------------------------------------------------


# ---- genealogy and bulk statements (issue 19) ---------------------------------------------
# Built once, like the hot path's: reach of one id and the edge insert run through _run;
# the set-based ones take an expanding IN list (SQLAlchemy caches their compiled form).
_BULK_IDS = 5000  # ids per IN list: under SQLite's 32766 and PostgreSQL's 65535 variables
_BULK_ROWS = 50_000  # rows per executemany
_BULK_CACHE_KIB = -262_144  # SQLite page cache during a bulk write (negative: KiB)
_ENTITY_COLUMNS = ("kind", "id", "status", "version", "data")
_EDGE_COLUMNS = ("input_id", "output_id", "kind", "quantity", "override")
_FIELD_COLUMNS = ("kind", "id", "field", "value")
_LEDGER_COLUMNS = ("seq", "kind", "id", "version", "digest", "prev_hash", "hash", "recorded_at")


def _reach_statement(direction: Direction, *, many: bool) -> Any:
    if direction == "forward":
        src, dst = edges_table.c.input_id, edges_table.c.output_id
    else:
        src, dst = edges_table.c.output_id, edges_table.c.input_id
    ids = entities.c.id.in_(sa.bindparam("w_ids", expanding=True))
    start = (
        sa.select(entities.c.id.label("node"))
        .where(
            sa.or_(
                entities.c.kind == sa.bindparam("w_k1"), entities.c.kind == sa.bindparam("w_k2")
            ),
            ids if many else entities.c.id == sa.bindparam("w_id"),
        )
        .cte("qf_reach", recursive=True)
    )
    step = sa.select(dst.label("node")).join(start, src == start.c.node)
    return sa.select(start.union(step).c.node)


_REACH_ONE = {d: _reach_statement(d, many=False) for d in ("forward", "backward")}
_REACH_MANY = {d: _reach_statement(d, many=True) for d in ("forward", "backward")}
_EDGE_EXISTS = sa.select(edges_table.c.kind).where(
    edges_table.c.input_id == sa.bindparam("w_in"),
    edges_table.c.output_id == sa.bindparam("w_out"),
)
_INSERT_EDGE = edges_table.insert()
# SQLite and PostgreSQL fold the "already linked" check into the insert (no row: a
# duplicate); MySQL/MariaDB take the duplicate-key error, which undoes that statement only.
_INSERT_EDGE_UNIQUE = {
    "sqlite": sqlite.insert(edges_table).on_conflict_do_nothing(
        index_elements=["input_id", "output_id"]
    ),
    "postgresql": postgresql.insert(edges_table).on_conflict_do_nothing(
        index_elements=["input_id", "output_id"]
    ),
}
_INSERT_ENTITY_UNIQUE = {
    "sqlite": sqlite.insert(entities).on_conflict_do_nothing(index_elements=["kind", "id"]),
    "postgresql": postgresql.insert(entities).on_conflict_do_nothing(index_elements=["kind", "id"]),
}
_LOOKUP_TWO = sa.select(
    entities.c.id, entities.c.status, entities.c.version, entities.c.data
).where(
    entities.c.kind == sa.bindparam("w_kind"),
    sa.or_(entities.c.id == sa.bindparam("w_a"), entities.c.id == sa.bindparam("w_b")),
)
_EDGES_FROM = sa.select(edges_table.c.input_id, edges_table.c.output_id).where(
    edges_table.c.input_id.in_(sa.bindparam("w_ids", expanding=True))
)
# ---- end of genealogy and bulk statements -------------------------------------------------

# ---- audit ledger statements (issue 11) --------------------------------------------------
# PostgreSQL and MariaDB chain the entry in the database: one statement (PostgreSQL: a CTE
# that moves the locked head and inserts the entry) or two (MariaDB), no read first, so a
# writer never waits for a round trip to learn the head. The hash is ledger_hash()'s: the
# SHA-256 of seq|kind|id|version|digest|prev_hash|recorded_at. The head's assignments are
# ordered so that MariaDB's left-to-right SET and the standard's all-at-once SET agree.
# SQLite (serialized by BEGIN IMMEDIATE) and other engines read the head and hash in Python.
_LEDGER_APPEND_PG = sa.text(
    "WITH h AS (UPDATE qf_ledger_head SET prev_hash = hash, "
    "hash = encode(sha256(convert_to(concat_ws('|', CAST(seq + 1 AS TEXT), "
    "CAST(:kind AS TEXT), CAST(:id AS TEXT), CAST(:version_text AS TEXT), "
    "CAST(:digest AS TEXT), hash, CAST(:recorded_at AS TEXT)), 'UTF8')), 'hex'), "
    "seq = seq + 1 WHERE lock_id = 1 RETURNING seq, prev_hash, hash) "
    "INSERT INTO qf_ledger (seq, kind, id, version, digest, prev_hash, hash, recorded_at) "
    "SELECT seq, CAST(:kind AS TEXT), CAST(:id AS TEXT), CAST(:version AS INTEGER), "
    "CAST(:digest AS TEXT), prev_hash, hash, CAST(:recorded_at AS TEXT) FROM h "
    "RETURNING seq, prev_hash, hash"
)
_LEDGER_HEAD_MYSQL = sa.text(
    "UPDATE qf_ledger_head SET prev_hash = hash, "
    "hash = SHA2(CONCAT_WS('|', seq + 1, :kind, :id, :version_text, :digest, hash, "
    ":recorded_at), 256), seq = seq + 1 WHERE lock_id = 1"
)
_LEDGER_INSERT_MYSQL = (
    "INSERT INTO qf_ledger (seq, kind, id, version, digest, prev_hash, hash, recorded_at) "
    "SELECT seq, :kind, :id, :version, :digest, prev_hash, hash, :recorded_at "
    "FROM qf_ledger_head WHERE lock_id = 1"
)
_LEDGER_INSERT_MARIADB = sa.text(_LEDGER_INSERT_MYSQL + " RETURNING seq, prev_hash, hash")
_LEDGER_INSERT_MYSQL_ONLY = sa.text(_LEDGER_INSERT_MYSQL)
_LEDGER_READ_HEAD = (
    sa.select(ledger_head_table.c.seq, ledger_head_table.c.prev_hash, ledger_head_table.c.hash)
    .where(ledger_head_table.c.lock_id == sa.bindparam("w_lock"))
    .with_for_update()
)
_LEDGER_INSERT = ledger_table.insert()
_LEDGER_SET_HEAD = (
    ledger_head_table.update()
    .where(ledger_head_table.c.lock_id == sa.bindparam("w_lock"))
    .values(
        seq=sa.bindparam("n_seq"), hash=sa.bindparam("n_hash"), prev_hash=sa.bindparam("n_prev")
    )
)
_LEDGER_DELETE = ledger_table.delete().where(ledger_table.c.seq == sa.bindparam("w_seq"))
_LEDGER_META_KEY = "ledger_started"
# ---- end of audit ledger statements ------------------------------------------------------

# ---- field index statements (issue 19) ---------------------------------------------------
_FIELDS_OF = sa.select(fields_table.c.field, fields_table.c.value).where(
    fields_table.c.kind == sa.bindparam("w_kind"), fields_table.c.id == sa.bindparam("w_id")
)
_FIELD_INSERT = fields_table.insert()
_FIELD_DELETE = fields_table.delete().where(
    fields_table.c.kind == sa.bindparam("w_kind"),
    fields_table.c.id == sa.bindparam("w_id"),
    fields_table.c.field == sa.bindparam("w_field"),
)
_FIELDS_META_KEY = "fields_index"
_REINDEX_CHUNK = 2000
# ---- end of field index statements -------------------------------------------------------


class SQLStorage:
    """A storage backend over any SQLAlchemy engine.

    Each call outside :meth:`transaction` runs in its own transaction; inside, calls made
    by the same thread share one connection and commit together.

    Parameters
    ----------
    url:
        The storage URL as the user wrote it (used, password masked, in messages).
    engine:
        The SQLAlchemy engine; the schema is created on first use.

    """

    def __init__(self, url: str, engine: Engine, *, upgrade: bool = False) -> None:
        self.url = mask_url(url)
        self.engine = engine
        self._secret = make_url(engine.url).password
        self._local = threading.local()
        dialect = engine.dialect
        self._enqueue_unique = (
            _ENQUEUE_UNIQUE.get(dialect.name) if dialect.insert_returning else None
        )
        self._mysql = dialect.name in ("mysql", "mariadb")
        self._edge_unique = _INSERT_EDGE_UNIQUE.get(dialect.name)
        self._entity_unique = _INSERT_ENTITY_UNIQUE.get(dialect.name)
        self._copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        # The driver's positional placeholder, for the set-based look-ups' plain SQL.
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError
        self._hot: dict[Any, _Precompiled] = {}
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self.opened_at_revision: str | None = None
        """The schema revision found on opening (``None``: a new database, created now)."""
        self._ensure_schema(upgrade=upgrade)

    def _run(
        self,
        conn: Connection,
        statement: Any,
        params: Mapping[str, Any],
        *,
        duplicate_ok: bool = False,
    ) -> Any:
        """Execute a hot-path statement on the driver's cursor, compiled once per storage.

        The statements are plain (no IN lists, no type conversion beyond what the driver
        does), so SQLAlchemy's per-call statement machinery adds nothing but time. Returns
        the DBAPI cursor; driver errors become :class:`StorageError`, except that with
        ``duplicate_ok`` a MySQL duplicate-key error returns ``None``.
        """
        hot = self._hot.get(statement)
        if hot is None:
            # column_keys: an INSERT without .values() takes exactly the given columns.
            compiled = statement.compile(dialect=self.engine.dialect, column_keys=list(params))
            names = tuple(compiled.positiontup) if self.engine.dialect.positional else None
            hot = self._hot[statement] = _Precompiled(compiled.string, names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if hot.names is None:
                cursor.execute(hot.sql, params)
            else:
                cursor.execute(hot.sql, tuple(params[n] for n in hot.names))
        except self._dbapi_error as exc:
            cursor.close()
            if duplicate_ok and self._mysql and exc.args and exc.args[0] == _MYSQL_DUPLICATE_KEY:
                # MySQL undoes only the failed statement; the transaction goes on.
                return None
            raise self._error(exc) from exc
        return cursor

    # -- errors and transactions ---------------------------------------------------------

    def _error(self, exc: BaseException) -> StorageError | ConcurrencyError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if self._secret:
            detail = detail.replace(str(self._secret), "***")
        if rolled_back_for_concurrency(exc):
            # The server undid the whole transaction to break a deadlock (or a
            # serialisation conflict): nothing of it was written, and running it again
            # is the documented remedy.
            return ConcurrencyError(
                f"storage {self.url}: the database rolled this transaction back because a "
                f"concurrent one conflicted with it ({type(exc).__name__}: {detail}); "
                "nothing was written: run it again"
            )
        return StorageError(f"storage {self.url}: {type(exc).__name__}: {detail}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction; inner blocks join the outer one."""
        with self._transaction(durable=True):
            yield

    @contextmanager
    def session(self) -> Iterator[None]:
        """Let the calling thread's transactions inside the block share one connection.

        Each :meth:`transaction` still commits on its own; only the pool checkout (and the
        server round trip of ``pool_pre_ping``) is paid once. The service wraps a
        ``fire`` in it: the change commits, then the delivery record commits, on one
        connection.
        """
        if getattr(self._local, "session", None) is not None:
            yield
            return
        try:
            with self.engine.connect() as conn:
                self._local.session = conn
                try:
                    yield
                finally:
                    self._local.session = None
        except QualityFlowError:
            raise
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        session: Connection | None = getattr(self._local, "session", None)
        if session is not None and not session.closed:
            yield session
        else:
            with self.engine.connect() as conn:
                yield conn

    @contextmanager
    def _transaction(self, *, durable: bool) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        # A non-durable transaction skips the wait for the disk (SQLite: synchronous=NORMAL
        # in WAL; PostgreSQL: synchronous_commit off). Used only for delivery records,
        # whose loss in a power cut means one notification delivered again.
        relax = not durable and self.engine.dialect.name == "sqlite"
        try:
            with self._connect() as conn:
                raw: Any = conn.connection.dbapi_connection if relax else None
                if relax:
                    raw.execute("PRAGMA synchronous=NORMAL")
                try:
                    with conn.begin():
                        if not durable and self.engine.dialect.name == "postgresql":
                            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                        self._local.conn = conn
                        try:
                            yield
                        finally:
                            self._local.conn = None
                finally:
                    if relax:
                        raw.execute("PRAGMA synchronous=FULL")
        except QualityFlowError:
            raise
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    @contextmanager
    def _conn(self) -> Iterator[Connection]:
        with self.transaction():
            conn: Connection = self._local.conn
            try:
                yield conn
            except QualityFlowError:
                raise
            except SQLAlchemyError as exc:
                raise self._error(exc) from exc

    def _ensure_schema(self, *, upgrade: bool = False) -> None:
        """Check the schema's revision; create a new database at the head.

        An older schema is refused (nothing written) unless ``upgrade``, which migrates it
        in this transaction; a newer one is always refused.
        """
        from qualityflow.storage.migrations import HEAD, REVISIONS, run_upgrade

        refusal: StorageError | None = None
        for attempt in range(3):
            fields_missing = False
            try:
                with self._conn() as conn:
                    stored = stored_revision(conn)
                    self.opened_at_revision = stored
                    if stored is None:
                        metadata.create_all(conn, checkfirst=True)
                        alembic_version_table.create(conn, checkfirst=True)
                        conn.execute(alembic_version_table.insert().values(version_num=HEAD))
                        conn.execute(
                            meta_table.insert().values(
                                key="schema_version", value=str(SCHEMA_VERSION)
                            )
                        )
                    elif stored not in REVISIONS:
                        refusal = StorageError(
                            f"storage {self.url} has schema {_describe(stored)}, newer than "
                            f"this qualityflow understands (revision {HEAD}, schema version "
                            f"{SCHEMA_VERSION}); nothing was changed: upgrade qualityflow "
                            "(pip install -U qualityflow) to open it"
                        )
                        raise refusal
                    elif stored != HEAD:
                        if not upgrade:
                            refusal = StorageError(
                                f"storage {self.url} has schema {_describe(stored)}, older "
                                f"than this qualityflow's (revision {HEAD}, schema version "
                                f"{SCHEMA_VERSION}); nothing was changed: back it up, then "
                                f"run `qualityflow db upgrade --db {self.url}` (or open it "
                                "with QualityFlow(url, upgrade=True))"
                            )
                            raise refusal
                        try:
                            run_upgrade(conn, stored)
                        except (QualityFlowError, SQLAlchemyError):
                            raise
                        except Exception as exc:
                            undone = (
                                "nothing was changed"
                                if self.engine.dialect.name in ("sqlite", "postgresql")
                                else "MySQL/MariaDB keep the DDL already run: fix the "
                                "cause and run the upgrade again"
                            )
                            refusal = StorageError(
                                f"storage {self.url}: the upgrade from revision {stored} to "
                                f"{HEAD} failed ({type(exc).__name__}: {exc}); {undone}"
                            )
                            raise refusal from exc
                    else:
                        # At the head: tables of this revision dropped since (the ledger,
                        # say) are created again, to be caught by the audit; nothing is
                        # written when they are all there.
                        fields_missing = not sa.inspect(conn).has_table(fields_table.name)
                        metadata.create_all(conn, checkfirst=True)
                        version = conn.execute(
                            sa.select(meta_table.c.value).where(
                                meta_table.c.key == "schema_version"
                            )
                        ).scalar_one_or_none()
                        if version is not None and int(version) > SCHEMA_VERSION:
                            refusal = StorageError(
                                f"storage {self.url} has schema version {version}, newer "
                                f"than this qualityflow understands ({SCHEMA_VERSION}); "
                                "nothing was changed: upgrade qualityflow to open it"
                            )
                            raise refusal
                    if self._mysql and conn.execute(_GENEALOGY_SEEN).first() is None:
                        # The row whose lock serialises genealogy changes (a row, not a
                        # layout change: databases made before it get it here).
                        conn.execute(meta_table.insert().values(key=_GENEALOGY_ROW, value="0"))
                    self._ensure_fields_index(conn, rebuild=fields_missing)
                    self._ensure_ledger(conn)
                return
            except ConcurrencyError:
                if attempt == 2:
                    raise
            except StorageError as exc:
                # Two processes creating the schema at once: the loser retries and finds it.
                if attempt == 2 or exc is refusal:
                    raise

    def schema_version(self) -> int:
        """Return the schema version stored in ``qf_meta``."""
        with self._conn() as conn:
            value = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
            ).scalar_one()
        return int(value)

    def revision(self) -> str | None:
        """Return the schema revision stored in ``alembic_version``."""
        with self._conn() as conn:
            return stored_revision(conn)

    def drop_schema(self) -> None:
        """Drop every qualityflow table (tests and teardown only)."""
        with self._conn() as conn:
            metadata.drop_all(conn, checkfirst=True)

    # -- entities ----------------------------------------------------------------------

    def get(self, kind: str, id: str) -> Entity:
        """Load the stored entity, or raise NotFoundError."""
        cls = model_for(kind)
        with self._conn() as conn:
            cursor = self._run(conn, _GET_DATA, {"w_kind": kind, "w_id": id})
            row = cursor.fetchone()
            cursor.close()
            data = None if row is None else row[0]
        if data is None:
            raise NotFoundError(kind, id)
        return cls.model_validate_json(data)

    def add(self, entity: Entity) -> Entity:
        """Store a new entity at version 1."""
        kind = kind_of(entity)
        stored = _validated(entity, 1)
        data = stored.model_dump_json()
        with self._conn() as conn:
            if self._entity_unique is not None or self._mysql:
                # The existence check folded into the insert (issue 19).
                self._add_folded(conn, kind, entity.id, stored, data)
                return stored
            exists = conn.execute(_GET_VERSION, {"w_kind": kind, "w_id": entity.id}).first()
            if exists is not None:
                raise StorageError(
                    f"{kind} {entity.id!r} already exists; load it and save() changes instead"
                )
            tip = self._ledger_append(conn, kind, entity.id, 1, row_digest(data))
            try:
                conn.execute(
                    _INSERT_ENTITY,
                    {
                        "kind": kind,
                        "id": entity.id,
                        "status": status_of(stored),
                        "version": 1,
                        "data": data,
                    },
                )
            except IntegrityError as exc:
                self._ledger_undo(conn, tip, after_error=True)
                raise StorageError(
                    f"{kind} {entity.id!r} already exists (added concurrently); load it and "
                    "save() changes instead"
                ) from exc
            self._index_added(conn, kind, entity.id, stored)
        return stored

    def _add_folded(self, conn: Connection, kind: str, id: str, stored: Entity, data: str) -> None:
        """Insert a new row, the duplicate check folded in (one statement, no look-up).

        SQLite and PostgreSQL: ``ON CONFLICT DO NOTHING`` (no row: the id is on file);
        MySQL/MariaDB: the duplicate-key error, which undoes that statement only. Either
        way the transaction stays usable and the ledger entry is taken back.
        """
        tip = self._ledger_append(conn, kind, id, 1, row_digest(data))
        row = {"kind": kind, "id": id, "status": status_of(stored), "version": 1, "data": data}
        if self._entity_unique is not None:
            cursor = self._run(conn, self._entity_unique, row)
            inserted = cursor.rowcount == 1
            cursor.close()
        else:
            cursor = self._run(conn, _INSERT_ENTITY, row, duplicate_ok=True)
            inserted = cursor is not None
            if cursor is not None:
                cursor.close()
        if not inserted:
            self._ledger_undo(conn, tip)
            raise StorageError(f"{kind} {id!r} already exists; load it and save() changes instead")
        self._index_added(conn, kind, id, stored)

    def save(self, entity: Entity, *, expected_version: int | None = None) -> Entity:
        """Replace the entity if the stored version is the expected one."""
        kind = kind_of(entity)
        expected = entity.version if expected_version is None else expected_version
        stored = _validated(entity, expected + 1)
        data = stored.model_dump_json()
        with self._conn() as conn:
            tip = self._ledger_append(conn, kind, entity.id, expected + 1, row_digest(data))
            cursor = self._run(
                conn,
                _SAVE,
                {
                    "w_kind": kind,
                    "w_id": entity.id,
                    "w_version": expected,
                    "n_status": status_of(stored),
                    "n_version": expected + 1,
                    "n_data": data,
                },
            )
            updated = cursor.rowcount
            cursor.close()
            if updated != 1:
                self._ledger_undo(conn, tip)
                current = conn.execute(
                    _GET_VERSION, {"w_kind": kind, "w_id": entity.id}
                ).scalar_one_or_none()
                if current is None:
                    raise NotFoundError(kind, entity.id)
                raise stale_version(kind, entity.id, current, expected)
            self._index_saved(conn, kind, entity.id, stored)
        return stored

    def list(
        self,
        kind: str,
        *,
        status: str | Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        where: Mapping[str, str] | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> builtins.list[Entity]:
        """Entities of ``kind`` filtered by status, ids and indexed fields, ordered by id.

        ``where`` joins the field index (``qf_fields``); ``after``/``limit`` page by id in
        the database (see :meth:`qualityflow.storage.ListingStorage.list`). Each loaded
        entity is checked against ``where`` again.
        """
        cls = model_for(kind)
        statuses = normalise_status(status)
        pairs = check_where(kind, where)
        check_page(limit)
        if pairs or limit is not None or after is not None:
            return self._list_indexed(cls, kind, statuses, ids, pairs, limit, after)
        rows: builtins.list[tuple[str, str]]
        if ids is not None:
            # Driver-level IN lists (lookup): SQLAlchemy's expanding IN costs tens of
            # microseconds per id to render, more than the query itself.
            found = self.lookup(kind, ids, data=True)
            rows = [
                (id, row.data)
                for id, row in found.items()
                if statuses is None or row.status in statuses
            ]
        else:
            query = sa.select(entities.c.id, entities.c.data).where(entities.c.kind == kind)
            if statuses is not None:
                query = query.where(entities.c.status.in_(sorted(statuses)))
            with self._conn() as conn:
                rows = [(row[0], row[1]) for row in conn.execute(query)]
        rows.sort(key=lambda row: row[0])
        return [cls.model_validate_json(row[1]) for row in rows]

    # ---- field index and paged listing (issue 19) -----------------------------------

    def iter_list(
        self,
        kind: str,
        *,
        status: str | Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        where: Mapping[str, str] | None = None,
        after: str | None = None,
        page: int = 500,
    ) -> Iterator[Entity]:
        """Yield the listed entities ``page`` at a time, each page its own transaction."""
        return iter_pages(self, kind, status=status, ids=ids, where=where, after=after, page=page)

    def _list_indexed(
        self,
        cls: type[Entity],
        kind: str,
        statuses: set[str] | None,
        ids: Iterable[str] | None,
        pairs: builtins.list[tuple[str, str]],
        limit: int | None,
        after: str | None,
    ) -> builtins.list[Entity]:
        """Answer a filtered or paged ``list`` from the indexes, re-checking each entity."""
        out: builtins.list[Entity] = []
        if limit == 0:
            return out
        wanted = None if ids is None else sorted(set(ids))
        while True:
            want = None if limit is None else limit - len(out)
            rows = self._select_indexed(kind, statuses, wanted, pairs, want, after)
            for _id, data in rows:
                entity = cls.model_validate_json(data)
                if matches_where(entity, pairs):
                    out.append(entity)
            # A candidate the index named wrongly was dropped: read on to fill the page.
            if want is None or len(rows) < want or len(out) >= (limit or 0):
                return out
            after = str(rows[-1][0])

    def _select_indexed(
        self,
        kind: str,
        statuses: set[str] | None,
        wanted: builtins.list[str] | None,
        pairs: builtins.list[tuple[str, str]],
        limit: int | None,
        after: str | None,
    ) -> builtins.list[Any]:
        """Return ``(id, data)`` rows: joined to the field index, keyset-paged by id."""
        e = entities
        query = sa.select(e.c.id, e.c.data)
        source: Any = e
        order = e.c.id
        for number, (field, value) in enumerate(pairs):
            f = fields_table.alias(f"qf_f{number}")
            source = source.join(
                f,
                sa.and_(
                    f.c.kind == e.c.kind,
                    f.c.id == e.c.id,
                    f.c.field == field,
                    f.c.value == index_value(value),
                ),
            )
            if number == 0:
                order = f.c.id  # walk the index of the first field in id order
        query = query.select_from(source).where(e.c.kind == kind)
        if statuses is not None:
            query = query.where(e.c.status.in_(sorted(statuses)))
        rows: builtins.list[Any] = []
        with self._conn() as conn:
            if wanted is not None:
                # The ids are bounded by the caller: select them, page in Python.
                if after is not None:
                    wanted = [i for i in wanted if i > after]
                for chunk in iter_chunks(wanted):
                    rows.extend(conn.execute(query.where(e.c.id.in_(chunk))))
                rows.sort(key=lambda row: row[0])
                if after is not None:
                    rows = [row for row in rows if row[0] > after]
                return rows if limit is None else rows[:limit]
            if after is not None:
                query = query.where(order > after)
            query = query.order_by(order)
            if limit is not None:
                query = query.limit(limit)
            rows.extend(conn.execute(query))
        if limit is None:
            rows.sort(key=lambda row: row[0])  # the unpaged order is Python's, as list()
        return rows

    def _index_added(self, conn: Connection, kind: str, id: str, stored: Entity) -> None:
        """Write the field index rows of a new entity (same transaction)."""
        entries = index_entries(kind, stored)
        if entries:
            self._index_run_many(
                conn,
                _FIELD_INSERT,
                [{"kind": kind, "id": id, "field": f, "value": v} for f, v in entries],
            )

    def _index_saved(self, conn: Connection, kind: str, id: str, stored: Entity) -> None:
        """Rewrite the field index rows of a saved entity whose indexed values changed."""
        if kind not in INDEXED_FIELDS:
            return
        new = dict(index_entries(kind, stored))
        cursor = self._run(conn, _FIELDS_OF, {"w_kind": kind, "w_id": id})
        old = {str(f): str(v) for f, v in cursor.fetchall()}
        cursor.close()
        if old == new:
            return
        gone = [f for f, v in old.items() if new.get(f) != v]
        if gone:
            self._index_run_many(
                conn, _FIELD_DELETE, [{"w_kind": kind, "w_id": id, "w_field": f} for f in gone]
            )
        added = [(f, v) for f, v in new.items() if old.get(f) != v]
        if added:
            self._index_run_many(
                conn,
                _FIELD_INSERT,
                [{"kind": kind, "id": id, "field": f, "value": v} for f, v in added],
            )

    def _index_run_many(
        self, conn: Connection, statement: Any, rows: builtins.list[dict[str, Any]]
    ) -> None:
        """Execute a plain statement for many rows on the driver cursor (``executemany``)."""
        hot = self._hot.get(statement)
        if hot is None:
            compiled = statement.compile(dialect=self.engine.dialect, column_keys=list(rows[0]))
            names = tuple(compiled.positiontup) if self.engine.dialect.positional else None
            hot = self._hot[statement] = _Precompiled(compiled.string, names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if hot.names is None:
                cursor.executemany(hot.sql, rows)
            else:
                cursor.executemany(hot.sql, [tuple(r[n] for n in hot.names) for r in rows])
        except self._dbapi_error as exc:
            raise self._error(exc) from exc
        finally:
            cursor.close()

    def reindex(self) -> int:
        """Rebuild the field index from the stored entities; returns how many rows it has.

        For a DBA who edited or lost ``qf_fields`` rows (a wrong row never shows in
        ``list()``, which re-checks every entity, but a missing one hides its entity from
        ``list(where=...)``). Opening a storage rebuilds the index by itself when the
        table was missing or :data:`~qualityflow.storage.base.INDEXED_FIELDS` changed.
        """
        with self._conn() as conn:
            return self._rebuild_fields(conn)

    def _ensure_fields_index(self, conn: Connection, *, rebuild: bool) -> None:
        """Rebuild the field index when it is missing or was built for other fields."""
        marker = conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == _FIELDS_META_KEY)
        ).scalar_one_or_none()
        if marker == fields_signature() and not rebuild:
            return
        self._rebuild_fields(conn)

    def _rebuild_fields(self, conn: Connection) -> int:
        def write(rows: builtins.list[dict[str, Any]]) -> None:
            self._index_run_many(conn, _FIELD_INSERT, rows)

        return rebuild_fields(conn, write=write)

    def count(self, kind: str) -> int:
        """How many entities of ``kind`` are stored."""
        model_for(kind)
        with self._conn() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(entities).where(entities.c.kind == kind)
                ).scalar_one()
            )

    # -- genealogy ---------------------------------------------------------------------

    @contextmanager
    def genealogy_lock(self) -> Iterator[None]:
        """Open (or join) a transaction holding the database-wide genealogy lock.

        Every instance on the same database queues here, so a cycle check and the edge
        insert made inside are atomic: racing ``link(A, B)`` and ``link(B, A)`` cannot
        both commit. The lock is released when the transaction ends, on every path.

        * PostgreSQL: ``pg_advisory_xact_lock`` on a fixed key; READ COMMITTED makes
          every later statement see what the previous holder committed.
        * MySQL/MariaDB: ``SELECT ... FOR UPDATE`` on a ``qf_meta`` row counting genealogy
          transactions. Taken first in its transaction, the InnoDB snapshot starts after
          it. Taken inside a transaction that has already read, the snapshot may predate
          the previous holder's commit: the count read through the snapshot then differs
          from the locked one, and :class:`qualityflow.ConcurrencyError` says to retry.
        * SQLite: every transaction is ``BEGIN IMMEDIATE``, one writer at a time already.
        """
        with self._conn() as conn:
            dialect = self.engine.dialect.name
            if dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_GENEALOGY_LOCK})")
            elif self._mysql:
                locked = conn.execute(_GENEALOGY_LOCKED).scalar_one()
                seen = conn.execute(_GENEALOGY_SEEN).scalar_one()
                if seen != locked:
                    raise ConcurrencyError(
                        "the genealogy was changed by another instance after this "
                        "transaction began reading, so a cycle check here could miss the "
                        "new links: roll the transaction back and run it again (call "
                        "link() outside your own transaction, or take genealogy_lock() "
                        "before the transaction's first read)"
                    )
                self._run(conn, _GENEALOGY_BUMP, {"n_value": str(int(locked) + 1)}).close()
            yield

    def add_edge(self, edge: Edge) -> None:
        """Store a genealogy edge.

        The duplicate check is folded into the insert (SQLite and PostgreSQL: ``ON
        CONFLICT DO NOTHING``; MySQL/MariaDB: the duplicate-key error, which undoes that
        statement only), so a refused pair leaves the transaction usable.
        """
        quantity, override = edge_columns(edge)
        row = {
            "input_id": edge.input_id,
            "output_id": edge.output_id,
            "kind": edge.kind,
            "quantity": quantity,
            "override": override,
        }
        with self._conn() as conn:
            # The ledger head first, as every write takes it: one lock order, no deadlock.
            tip = self._ledger_append(
                conn,
                "edge",
                edge_key(edge.input_id, edge.output_id),
                1,
                edge_digest(edge.input_id, edge.output_id, edge.kind, quantity, override),
            )
            if self._edge_unique is not None:
                cursor = self._run(conn, self._edge_unique, row)
                inserted = cursor.rowcount == 1
                cursor.close()
            elif self._mysql:
                cursor = self._run(conn, _INSERT_EDGE, row, duplicate_ok=True)
                inserted = cursor is not None
                if cursor is not None:
                    cursor.close()
            else:
                cursor = self._run(
                    conn, _EDGE_EXISTS, {"w_in": edge.input_id, "w_out": edge.output_id}
                )
                inserted = cursor.fetchone() is None
                cursor.close()
                if inserted:
                    self._run(conn, _INSERT_EDGE, row).close()
            if not inserted:
                self._ledger_undo(conn, tip)
                raise StorageError(
                    f"{edge.input_id!r} is already linked to {edge.output_id!r}; "
                    "a pair is linked once"
                )

    def edges(self, *, among: Iterable[str] | None = None) -> builtins.list[Edge]:
        """All edges, or those with both ends in ``among``."""
        if among is None:
            with self._conn() as conn:
                return [_edge(row) for row in conn.execute(sa.select(edges_table))]
        nodes = set(among)
        edges: builtins.list[Edge] = []
        with self._conn() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for chunk in iter_chunks(sorted(nodes), _BULK_IDS):
                    cursor.execute(
                        "SELECT input_id, output_id, kind, quantity, override FROM qf_edges "
                        f"WHERE input_id IN ({', '.join([self._mark] * len(chunk))})",
                        tuple(chunk),
                    )
                    edges.extend(_edge_of(*row) for row in cursor.fetchall() if row[1] in nodes)
            except self._dbapi_error as exc:
                raise self._error(exc) from exc
            finally:
                cursor.close()
        return edges

    def reach(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return stored batch/shipment ids reachable from ``ids``, by a recursive query."""
        start_ids = sorted(set(ids))
        if not start_ids:
            return set()
        kinds = {"w_k1": "batch", "w_k2": "shipment"}
        found: set[str] = set()
        with self._conn() as conn:
            if len(start_ids) == 1:  # one lot (a link's cycle check, a trace): precompiled
                cursor = self._run(conn, _REACH_ONE[direction], {"w_id": start_ids[0], **kinds})
                found.update(row[0] for row in cursor.fetchall())
                cursor.close()
                return found
            for chunk in iter_chunks(start_ids, _BULK_IDS):
                found.update(
                    conn.execute(_REACH_MANY[direction], {"w_ids": chunk, **kinds}).scalars()
                )
        return found

    # -- bulk writes (issue 19) ----------------------------------------------------------

    def add_many(self, entities: Iterable[Entity]) -> int:
        """Store new entities at version 1, all or none; returns how many were stored.

        Each row is the JSON :meth:`add` would store; rows go in with ``executemany`` in
        chunks, each chunk followed by its ledger entries (chained in order, hashed as
        :meth:`add` hashes them), all inside a savepoint. The duplicate check is the
        primary key's: on a conflict the savepoint is rolled back, the ids on file are
        looked up, and :class:`~qualityflow.errors.RowsRefused` names every row given
        twice or already on file. Nothing is written then.
        """
        seen: dict[tuple[str, str], int] = {}
        problems: builtins.list[RowProblem] = []
        count = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            nonlocal count
            for n, entity in enumerate(entities):
                count += 1
                kind = kind_of(entity)
                first = seen.setdefault((kind, entity.id), n)
                if first != n:
                    problems.append(RowProblem(n, (entity.id,), given_twice(kind, first)))
                stored = _validated(entity, 1)
                fields.extend((kind, entity.id, f, v) for f, v in index_entries(kind, stored))
                yield (kind, entity.id, status_of(stored), 1, stored.model_dump_json())

        def ledger(chunk: builtins.list[tuple[Any, ...]]) -> Iterator[tuple[str, str, int, str]]:
            for kind, id, _status, version, data in chunk:
                yield kind, id, version, row_digest(data)

        def index(cursor: Any) -> None:  # the chunk's field index rows (qf_fields)
            if fields:
                self._many(cursor, _FIELD_INSERT, _FIELD_COLUMNS, fields)
            fields.clear()

        fields: builtins.list[tuple[str, str, str, str]] = []
        written = self._write_all(
            rows(), _INSERT_ENTITY, _ENTITY_COLUMNS, ledger, problems, after=index
        )
        if written is None:
            by_kind: dict[str, builtins.list[str]] = {}
            for kind, id in seen:
                by_kind.setdefault(kind, []).append(id)
            for kind, ids in by_kind.items():
                for id in self.lookup(kind, ids):
                    problems.append(RowProblem(seen[kind, id], (id,), on_file(kind)))
            raise RowsRefused("add_many", problems, count)
        return written

    def add_edges(self, edges: Iterable[Edge]) -> int:
        """Store new genealogy edges, all or none; returns how many were stored.

        As :meth:`add_many`: ``executemany`` in chunks with their ledger entries, inside
        a savepoint; a pair given twice or already stored refuses the whole set with
        :class:`~qualityflow.errors.RowsRefused`. The cycle check is the caller's.
        """
        seen: dict[tuple[str, str], int] = {}
        problems: builtins.list[RowProblem] = []
        count = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            nonlocal count
            for n, edge in enumerate(edges):
                count += 1
                key = (edge.input_id, edge.output_id)
                first = seen.setdefault(key, n)
                if first != n:
                    problems.append(
                        RowProblem(n, key, f"the same pair is given in rows[{first}] too")
                    )
                quantity, override = edge_columns(edge)
                yield (edge.input_id, edge.output_id, edge.kind, quantity, override)

        def ledger(chunk: builtins.list[tuple[Any, ...]]) -> Iterator[tuple[str, str, int, str]]:
            # edge_key() and edge_digest() inlined, each id encoded once (a million
            # times in a bulk load); the conformance suite checks they agree.
            enc = json.encoder.encode_basestring
            sha256 = hashlib.sha256
            for input_id, output_id, kind, quantity, override in chunk:
                pair = f"{enc(input_id)},{enc(output_id)}"
                q = "null" if quantity is None else enc(quantity)
                o = "null" if override is None else enc(override)
                text = f"[{pair},{enc(kind)},{q},{o}]"
                yield "edge", f"[{pair}]", 1, sha256(text.encode("utf-8")).hexdigest()

        written = self._write_all(rows(), _INSERT_EDGE, _EDGE_COLUMNS, ledger, problems)
        if written is None:
            for pair in self._stored_pairs(seen):
                problems.append(RowProblem(seen[pair], pair, linked_already(*pair)))
            raise RowsRefused("add_edges", problems, count)
        return written

    def lookup(self, kind: str, ids: Iterable[str], *, data: bool = False) -> dict[str, Found]:
        """Return the stored rows of ``kind`` among ``ids``: one query per 5,000 ids."""
        model_for(kind)
        found: dict[str, Found] = {}
        wanted = sorted(set(ids))  # in key order: neighbouring probes share index pages
        if 0 < len(wanted) <= 2:  # a link's two ends: one precompiled statement
            params = {"w_kind": kind, "w_a": wanted[0], "w_b": wanted[-1]}
            with self._conn() as conn:
                cursor = self._run(conn, _LOOKUP_TWO, params)
                for row in cursor.fetchall():
                    found[str(row[0])] = Found(row[1], int(row[2]), row[3] if data else "")
                cursor.close()
            return found
        columns = "id, status, version, data" if data else "id, status, version"
        with self._conn() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for chunk in iter_chunks(wanted, _BULK_IDS):
                    cursor.execute(
                        f"SELECT {columns} FROM qf_entities WHERE kind = {self._mark} AND id IN "
                        f"({', '.join([self._mark] * len(chunk))})",
                        (kind, *chunk),
                    )
                    if data:
                        for id, status, version, text in cursor.fetchall():
                            found[id] = Found(status, version, text)
                    else:
                        for id, status, version in cursor.fetchall():
                            found[id] = Found(status, version, "")
            except self._dbapi_error as exc:
                raise self._error(exc) from exc
            finally:
                cursor.close()
        return found

    def reach_beyond(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return the ids reachable from ``ids`` by at least one edge (a recursive query)."""
        src, dst = (
            ("input_id", "output_id") if direction == "forward" else ("output_id", "input_id")
        )
        found: set[str] = set()
        with self._conn() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                for chunk in iter_chunks(sorted(set(ids)), _BULK_IDS):
                    cursor.execute(
                        f"WITH RECURSIVE qf_beyond(node) AS (SELECT {dst} FROM qf_edges WHERE "
                        f"{src} IN ({', '.join([self._mark] * len(chunk))}) UNION SELECT "
                        f"e.{dst} FROM qf_edges e JOIN qf_beyond b ON e.{src} = b.node) "
                        "SELECT node FROM qf_beyond",
                        tuple(chunk),
                    )
                    found.update(str(row[0]) for row in cursor.fetchall())
            except self._dbapi_error as exc:
                raise self._error(exc) from exc
            finally:
                cursor.close()
        return found

    def _stored_pairs(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Return which of ``pairs`` are stored edges."""
        wanted = set(pairs)
        found: set[tuple[str, str]] = set()
        with self._conn() as conn:
            for chunk in iter_chunks({i for i, _ in wanted}, _BULK_IDS):
                for input_id, output_id in conn.execute(_EDGES_FROM, {"w_ids": chunk}):
                    if (input_id, output_id) in wanted:
                        found.add((input_id, output_id))
        return found

    def _write_all(
        self,
        rows: Iterator[tuple[Any, ...]],
        statement: Any,
        columns: tuple[str, ...],
        ledger: Callable[[builtins.list[tuple[Any, ...]]], Iterator[tuple[str, str, int, str]]],
        problems: builtins.list[RowProblem],
        after: Callable[[Any], None] | None = None,
    ) -> int | None:
        """Insert ``rows`` and their ledger entries in chunks, inside a savepoint.

        Returns how many rows were written, or ``None`` (nothing written) when
        ``problems`` is not empty at the end or the insert hit a duplicate key; every
        row is consumed either way, so the caller can name every bad one.
        """
        written = 0
        failed = False
        with self._conn() as conn:
            raw: Any = conn.connection.dbapi_connection
            cursor = raw.cursor()
            cache: Any = None
            if self.engine.dialect.name == "sqlite":
                # A big set's pages would not fit SQLite's default 2 MB page cache and be
                # read back from the growing WAL again and again: 256 MB while it runs.
                cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = {_BULK_CACHE_KIB}")
            try:
                cursor.execute("SAVEPOINT qf_bulk")
                try:
                    chain: builtins.list[Any] = []  # [seq, hash, prev_hash] once the head is read
                    at = _now()
                    chunk: builtins.list[tuple[Any, ...]] = []
                    for row in rows:
                        chunk.append(row)
                        if len(chunk) >= _BULK_ROWS:
                            if not failed and not problems:
                                failed = not self._write_chunk(
                                    conn, cursor, statement, columns, chunk, ledger, chain, at
                                )
                                if after is not None and not failed:
                                    after(cursor)
                                written += len(chunk)
                            chunk = []
                    if chunk and not failed and not problems:
                        failed = not self._write_chunk(
                            conn, cursor, statement, columns, chunk, ledger, chain, at
                        )
                        if after is not None and not failed:
                            after(cursor)
                        written += len(chunk)
                    if failed or problems:
                        cursor.execute("ROLLBACK TO SAVEPOINT qf_bulk")
                        cursor.execute("RELEASE SAVEPOINT qf_bulk")
                        return None
                    if chain:
                        self._run(
                            conn,
                            _LEDGER_SET_HEAD,
                            {
                                "w_lock": 1,
                                "n_seq": chain[0],
                                "n_hash": chain[1],
                                "n_prev": chain[2],
                            },
                        ).close()
                    cursor.execute("RELEASE SAVEPOINT qf_bulk")
                    if chain:
                        self._local.ledger_tip = (conn.get_transaction(), chain[0], chain[1])
                except BaseException:
                    cursor.execute("ROLLBACK TO SAVEPOINT qf_bulk")
                    cursor.execute("RELEASE SAVEPOINT qf_bulk")
                    raise
            except self._dbapi_error as exc:
                raise self._error(exc) from exc
            finally:
                if cache is not None:
                    cursor.execute(f"PRAGMA cache_size = {int(cache)}")
                cursor.close()
        return written

    def _write_chunk(
        self,
        conn: Connection,
        cursor: Any,
        statement: Any,
        columns: tuple[str, ...],
        chunk: builtins.list[tuple[Any, ...]],
        ledger: Callable[[builtins.list[tuple[Any, ...]]], Iterator[tuple[str, str, int, str]]],
        chain: builtins.list[Any],
        at: str,
    ) -> bool:
        """Insert one chunk and chain its ledger entries; ``False`` on a duplicate key."""
        if not chain:  # the ledger head first (locked), as every write takes it
            tip = getattr(self._local, "ledger_tip", None)
            if tip is not None and tip[0] is conn.get_transaction():
                chain.extend((tip[1], tip[2], ""))
            else:
                head = self._run(conn, _LEDGER_READ_HEAD, {"w_lock": 1})
                found = head.fetchone()
                head.close()
                if found is None:
                    raise self._no_head()
                chain.extend((int(found[0]), str(found[2]), str(found[1])))
        try:
            # In key order (the ledger keeps the given order): each insert lands next to
            # the one before in the primary-key index instead of on a random page.
            self._many(cursor, statement, columns, sorted(chunk, key=_row_key))
        except self._integrity_error:
            return False
        seq, prev = chain[0], chain[1]
        entries: builtins.list[tuple[Any, ...]] = []
        for kind, id, version, digest in ledger(chunk):
            seq += 1
            new = ledger_hash(seq, kind, id, version, digest, prev, at)
            entries.append((seq, kind, id, version, digest, prev, new, at))
            prev = new
        self._many(cursor, _LEDGER_INSERT, _LEDGER_COLUMNS, entries)
        chain[:] = [seq, prev, entries[-1][5]]
        return True

    def _many(
        self,
        cursor: Any,
        statement: Any,
        columns: tuple[str, ...],
        rows: builtins.list[tuple[Any, ...]],
    ) -> None:
        """``executemany`` an INSERT of ``columns`` on the driver's cursor, compiled once.

        PostgreSQL takes the rows through ``COPY`` instead (psycopg's ``copy``), which
        spares the per-row round of ``executemany``; a duplicate key fails it the same way.
        """
        if self._copy:
            target = f"{statement.table.name} ({', '.join(columns)})"
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        key = (statement, columns)
        hot = self._hot.get(key)
        if hot is None:
            compiled = statement.compile(dialect=self.engine.dialect, column_keys=list(columns))
            names = tuple(compiled.positiontup) if self.engine.dialect.positional else None
            hot = self._hot[key] = _Precompiled(compiled.string, names)
        if hot.names is None:
            cursor.executemany(hot.sql, [dict(zip(columns, row, strict=True)) for row in rows])
        elif hot.names == columns:
            cursor.executemany(hot.sql, rows)
        else:
            order = [columns.index(n) for n in hot.names]
            cursor.executemany(hot.sql, [tuple(row[i] for i in order) for row in rows])

    # -- outbox ------------------------------------------------------------------------

    def enqueue_delivered(
        self, notification: Notification, deliveries: Mapping[str, Delivery]
    ) -> int | None:
        """Queue a notification already delivered (``DeliveredStorage``): one insert."""
        return self._enqueue_row(notification, deliveries, delivered=True)

    def enqueue(self, notification: Notification) -> int | None:
        """Queue a notification; a repeated ``notification.id`` is ignored.

        Idempotent whatever the interleaving: the unique ``key`` (sha256 of the id)
        decides. SQLite and PostgreSQL insert ``ON CONFLICT DO NOTHING``; MySQL/MariaDB
        insert and take a duplicate-key error (which undoes that statement only) as
        "already queued". A concurrent enqueue of the same id waits for the first
        transaction, then adds nothing.
        """
        return self._enqueue_row(notification, {}, delivered=False)

    def _enqueue_row(
        self, notification: Notification, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> int | None:
        row = {
            "key": None if notification.id is None else outbox_key(notification.id),
            "subject_kind": notification.subject_kind,
            "subject_id": notification.subject_id,
            "notification": notification.model_dump_json(),
            "deliveries": encode_deliveries(deliveries),
            "delivered": delivered,
        }
        with self._conn() as conn:
            if notification.id is not None and self._enqueue_unique is not None:
                cursor = self._run(conn, self._enqueue_unique, row)
                inserted = cursor.fetchone()
                cursor.close()
                return None if inserted is None else int(inserted[0])
            if notification.id is not None and self._mysql:
                cursor = self._run(conn, _ENQUEUE, row, duplicate_ok=True)
                if cursor is None:
                    return None
                seq = cursor.lastrowid
                cursor.close()
                return int(seq)
            if notification.id is not None:
                exists = conn.execute(_OUTBOX_KEY, {"w_key": row["key"]}).first()
                if exists is not None:
                    return None
            result = conn.execute(_ENQUEUE, row)
            key = result.inserted_primary_key
            return None if key is None else int(key[0])

    def outbox(self, *, pending_only: bool = True) -> builtins.list[OutboxEntry]:
        """Outbox entries in order; by default the undelivered ones."""
        query = sa.select(
            outbox_table.c.seq,
            outbox_table.c.notification,
            outbox_table.c.deliveries,
            outbox_table.c.delivered,
        ).order_by(outbox_table.c.seq)
        if pending_only:
            query = query.where(outbox_table.c.delivered == sa.false())
        with self._conn() as conn:
            rows = builtins.list(conn.execute(query))
        return [
            OutboxEntry(
                id=int(row.seq),
                notification=Notification.model_validate_json(row.notification),
                deliveries=decode_deliveries(row.deliveries),
                delivered=bool(row.delivered),
            )
            for row in rows
        ]

    def update_delivery(
        self, entry_id: int, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> None:
        """Record the notifiers' delivery states of one entry (without waiting for the disk)."""
        with self._transaction(durable=False), self._conn() as conn:
            cursor = self._run(
                conn,
                _UPDATE_DELIVERY,
                {
                    "w_seq": entry_id,
                    "n_deliveries": encode_deliveries(deliveries),
                    "n_delivered": delivered,
                },
            )
            updated = cursor.rowcount
            cursor.close()
            if updated != 1:
                raise NotFoundError("outbox entry", str(entry_id))

    # ---- cheap questions for incremental callers (issue 19) ----------------------------

    def versions(self, kind: str, *, status: str | Iterable[str] | None = None) -> dict[str, int]:
        """Return ``{id: stored version}`` of the entities of ``kind`` (with ``status``).

        Answered from the ``kind``/``status`` index and the row's version column; the
        JSON is not read or validated.
        """
        model_for(kind)
        statuses = normalise_status(status)
        with self._conn() as conn:
            if statuses is None:
                rows = conn.execute(_VERSIONS, {"w_kind": kind})
            else:
                rows = conn.execute(
                    _VERSIONS_BY_STATUS, {"w_kind": kind, "w_status": sorted(statuses)}
                )
            return {str(id): int(version) for id, version in rows}

    def queued(self, notification_ids: Iterable[str]) -> set[str]:
        """Return those of ``notification_ids`` already in the outbox (by the key index)."""
        by_key = {outbox_key(i): i for i in notification_ids}
        found: set[str] = set()
        if by_key and self.engine.dialect.name == "postgresql":
            missing: set[str] = set()
            with self._conn() as conn:
                for chunk in iter_chunks(sorted(by_key), _MISSING_PG_CHUNK):
                    cursor = self._run(conn, _MISSING_PG, {"w_keys": ",".join(chunk)})
                    missing.update(str(row[0]) for row in cursor.fetchall())
                    cursor.close()
            return {id for key, id in by_key.items() if key not in missing}
        with self._conn() as conn:
            # In key order: neighbouring probes of the index, three times faster on SQLite.
            for chunk in iter_chunks(sorted(by_key), _QUEUED_CHUNK):
                chunk.extend(chunk[-1:] * (_QUEUED_CHUNK - len(chunk)))
                cursor = self._run(conn, _QUEUED, {f"k{i}": k for i, k in enumerate(chunk)})
                found.update(by_key[str(row[0])] for row in cursor.fetchall())
                cursor.close()
        return found

    def enqueue_many(self, notifications: Iterable[Notification]) -> builtins.list[int | None]:
        """Queue notifications in one transaction with set-based inserts.

        Idempotent like :meth:`enqueue`: a key already queued, by anyone and at any
        moment (a concurrent transaction's insert waits for it, then is skipped), or
        repeated within the call, gets ``None``. SQLite and PostgreSQL insert ``ON
        CONFLICT DO NOTHING``, MariaDB ``INSERT IGNORE`` (the rows are complete, so
        IGNORE has nothing else to relax), each ``RETURNING`` the rows it added; engines
        without ``RETURNING`` queue one by one through :meth:`enqueue`.
        """
        notes = builtins.list(notifications)
        result: builtins.list[int | None] = [None] * len(notes)
        statement = _ENQUEUE_MANY.get(self.engine.dialect.name)
        if not self.engine.dialect.insert_returning:
            statement = None
        first: dict[str, int] = {}
        rows: builtins.list[dict[str, Any]] = []
        for index, note in enumerate(notes):
            if note.id is None or statement is None:
                continue
            key = outbox_key(note.id)
            if key in first:
                continue
            first[key] = index
            rows.append(
                {
                    "key": key,
                    "subject_kind": note.subject_kind,
                    "subject_id": note.subject_id,
                    "notification": note.model_dump_json(),
                    "deliveries": "{}",
                    "delivered": False,
                }
            )
        # Every instance inserts in key order, so two racing ones take the unique index's
        # locks in the same order (fewer deadlocks on the servers; a deadlock is a
        # ConcurrencyError and nothing of it stays).
        rows.sort(key=lambda row: str(row["key"]))
        with self._conn() as conn:
            if statement is not None:
                for start in range(0, len(rows), _ENQUEUE_CHUNK):
                    chunk = rows[start : start + _ENQUEUE_CHUNK]
                    for seq, key in conn.execute(statement, chunk):
                        result[first[str(key)]] = int(seq)
            for index, note in enumerate(notes):
                if note.id is None or statement is None:
                    result[index] = self.enqueue(note)
        return result

    # ---- audit ledger (issue 11) ------------------------------------------------------

    def _ensure_ledger(self, conn: Connection) -> None:
        """Create the head row and the start marker when the ledger begins (once).

        Rows already stored then (a database written before the ledger existed) are
        counted in the marker and, when there are any, in a first ``ledger/start`` entry.
        A head row deleted later is rebuilt from the ledger's last entry.
        """
        head = conn.execute(
            sa.select(ledger_head_table.c.seq).where(ledger_head_table.c.lock_id == 1)
        ).first()
        if head is not None:
            return
        marker = conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == _LEDGER_META_KEY)
        ).first()
        if marker is not None:
            last = conn.execute(
                sa.select(ledger_table.c.seq, ledger_table.c.hash)
                .order_by(ledger_table.c.seq.desc())
                .limit(1)
            ).first()
            conn.execute(
                ledger_head_table.insert().values(
                    lock_id=1,
                    seq=0 if last is None else int(last[0]),
                    hash="" if last is None else str(last[1]),
                    prev_hash="",
                )
            )
            return
        keys = [f"{k}/{i}" for k, i in conn.execute(sa.select(entities.c.kind, entities.c.id))]
        keys.extend(
            f"edge/{edge_key(i, o)}"
            for i, o in conn.execute(sa.select(edges_table.c.input_id, edges_table.c.output_id))
        )
        start = LedgerStart(at=_now(), rows=len(keys), keys=preledger_digest(keys) if keys else "")
        conn.execute(ledger_head_table.insert().values(lock_id=1, seq=0, hash="", prev_hash=""))
        conn.execute(meta_table.insert().values(key=_LEDGER_META_KEY, value=start.to_json()))
        if keys:
            self._ledger_append(conn, *LEDGER_START, len(keys), start.keys)

    def _ledger_append(
        self, conn: Connection, kind: str, id: str, version: int, digest: str
    ) -> tuple[int, str, str]:
        """Chain one entry onto the ledger in ``conn``'s transaction; lock the head.

        Returns ``(seq, prev_hash, hash)`` of the new entry.
        """
        at = _now()
        params = {
            "kind": kind,
            "id": id,
            "version": version,
            "version_text": str(version),
            "digest": digest,
            "recorded_at": at,
        }
        dialect = self.engine.dialect
        txn = conn.get_transaction()
        row: Any
        if dialect.name == "postgresql":
            cursor = self._run(conn, _LEDGER_APPEND_PG, params)
            row = cursor.fetchone()
            cursor.close()
        elif dialect.name == "mysql":
            self._run(conn, _LEDGER_HEAD_MYSQL, params).close()
            if getattr(dialect, "is_mariadb", False):
                cursor = self._run(conn, _LEDGER_INSERT_MARIADB, params)
            else:
                self._run(conn, _LEDGER_INSERT_MYSQL_ONLY, params).close()
                cursor = self._run(conn, _LEDGER_READ_HEAD, {"w_lock": 1})
            row = cursor.fetchone()
            cursor.close()
        else:
            tip = getattr(self._local, "ledger_tip", None)
            if tip is not None and tip[0] is txn:
                last_seq, last_hash = tip[1], tip[2]
            else:
                cursor = self._run(conn, _LEDGER_READ_HEAD, {"w_lock": 1})
                head = cursor.fetchone()
                cursor.close()
                if head is None:
                    raise self._no_head()
                last_seq, last_hash = int(head[0]), str(head[2])
            seq = last_seq + 1
            new_hash = ledger_hash(seq, kind, id, version, digest, last_hash, at)
            self._run(
                conn,
                _LEDGER_INSERT,
                {
                    "seq": seq,
                    "kind": kind,
                    "id": id,
                    "version": version,
                    "digest": digest,
                    "prev_hash": last_hash,
                    "hash": new_hash,
                    "recorded_at": at,
                },
            ).close()
            self._run(
                conn,
                _LEDGER_SET_HEAD,
                {"w_lock": 1, "n_seq": seq, "n_hash": new_hash, "n_prev": last_hash},
            ).close()
            row = (seq, last_hash, new_hash)
        if row is None:
            raise self._no_head()
        entry = (int(row[0]), str(row[1]), str(row[2]))
        self._local.ledger_tip = (txn, entry[0], entry[2])
        return entry

    def _ledger_undo(
        self, conn: Connection, entry: tuple[int, str, str], *, after_error: bool = False
    ) -> None:
        """Take back the entry just appended, when the write it announced was refused.

        So a refused write leaves nothing behind even when the caller catches the error
        inside a larger transaction and commits the rest.
        """
        if after_error and self.engine.dialect.name == "postgresql":
            return  # the failed statement aborted the transaction: it cannot commit anyway
        seq, prev_hash, _ = entry
        self._run(conn, _LEDGER_DELETE, {"w_seq": seq}).close()
        self._run(
            conn,
            _LEDGER_SET_HEAD,
            {"w_lock": 1, "n_seq": seq - 1, "n_hash": prev_hash, "n_prev": ""},
        ).close()
        self._local.ledger_tip = (conn.get_transaction(), seq - 1, prev_hash)

    def _no_head(self) -> StorageError:
        return StorageError(
            f"storage {self.url}: the audit ledger's head row (qf_ledger_head) is missing, "
            "so nothing can be written; reopen the storage to rebuild it and run "
            "`qualityflow audit verify`"
        )

    def ledger_head(self) -> str:
        """Return the hash of the last ledger entry ("" for an empty ledger).

        Inside a transaction that has written, the head its commit will publish.
        """
        current: Connection | None = getattr(self._local, "conn", None)
        tip = getattr(self._local, "ledger_tip", None)
        if current is not None and tip is not None and tip[0] is current.get_transaction():
            return str(tip[2])
        with self._conn() as conn:
            value = conn.execute(
                sa.select(ledger_head_table.c.hash).where(ledger_head_table.c.lock_id == 1)
            ).scalar_one_or_none()
        return "" if value is None else str(value)

    def audit_snapshot(self) -> AuditSnapshot:
        """Read every row, edge and ledger entry from one consistent snapshot.

        SQLite: a deferred read transaction (writers are not blocked, WAL); the servers:
        a ``REPEATABLE READ`` transaction.
        """
        try:
            if self.engine.dialect.name == "sqlite":
                raw: Any = self.engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("BEGIN")
                    try:
                        return _read_snapshot(cursor)
                    finally:
                        cursor.execute("ROLLBACK")
                        cursor.close()
                finally:
                    raw.close()
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                    try:
                        return _read_snapshot(cursor)
                    finally:
                        cursor.close()
        except QualityFlowError:
            raise
        except (SQLAlchemyError, self._dbapi_error) as exc:
            raise self._error(exc) from exc

    # ---- end of audit ledger -----------------------------------------------------------

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()


def _row_key(row: tuple[Any, ...]) -> tuple[Any, Any]:
    """Return the primary key of an entity row (kind, id) or an edge row (input, output)."""
    return row[0], row[1]


class _Precompiled(NamedTuple):
    sql: str
    names: tuple[str, ...] | None  # bind names in order for a positional driver


_MYSQL_ROLLED_BACK = frozenset({1213})  # ER_LOCK_DEADLOCK: the whole transaction is undone
_PG_ROLLED_BACK = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def rolled_back_for_concurrency(exc: BaseException) -> bool:
    """Whether a driver error means the server undid the transaction to let another win."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _PG_ROLLED_BACK:
        return True
    args: tuple[Any, ...] = getattr(orig, "args", ())
    return bool(args) and isinstance(args[0], int) and args[0] in _MYSQL_ROLLED_BACK


def outbox_key(notification_id: str) -> str:
    """Return the outbox ``key`` column's value: sha256 hex of the notification id.

    A logical key such as ``overdue:incident:<id>:<deadline>:<due>`` can exceed any id
    length; its digest always fits the column.

    Examples
    --------
    >>> len(outbox_key("overdue:incident:" + "X" * 255 + ":contain:2026-03-02T06:00:00+00:00"))
    64

    """
    return hashlib.sha256(notification_id.encode("utf-8")).hexdigest()


# ---- field index helpers (issue 19) ------------------------------------------------------


def rebuild_fields(conn: Connection, *, write: Any = None, chunk: int = _REINDEX_CHUNK) -> int:
    """Empty ``qf_fields`` and fill it from every stored entity, ``chunk`` rows at a time.

    Also records in ``qf_meta`` which :data:`~qualityflow.storage.base.INDEXED_FIELDS` it
    was built for. ``write(rows)`` inserts a list of row dicts (default: an
    ``executemany`` through SQLAlchemy). Used by revision 0004 and
    :meth:`SQLStorage.reindex`. Returns the number of index rows.
    """
    insert = write or (lambda rows: conn.execute(fields_table.insert(), rows))
    conn.execute(fields_table.delete())
    kinds = sorted(INDEXED_FIELDS)
    written = 0
    last: tuple[str, str] | None = None
    while True:
        query = (
            sa.select(entities.c.kind, entities.c.id, entities.c.data)
            .where(entities.c.kind.in_(kinds))
            .order_by(entities.c.kind, entities.c.id)
            .limit(chunk)
        )
        if last is not None:
            query = query.where(
                sa.or_(
                    entities.c.kind > last[0],
                    sa.and_(entities.c.kind == last[0], entities.c.id > last[1]),
                )
            )
        rows = conn.execute(query).all()
        if not rows:
            break
        batch = [
            {"kind": str(k), "id": str(i), "field": f, "value": v}
            for k, i, d in rows
            for f, v in index_entries_of_json(str(k), str(d))
        ]
        if batch:
            insert(batch)
            written += len(batch)
        last = (str(rows[-1][0]), str(rows[-1][1]))
    signature = fields_signature()
    marker = meta_table.c.key == _FIELDS_META_KEY
    if conn.execute(sa.select(meta_table.c.value).where(marker)).first() is None:
        conn.execute(meta_table.insert().values(key=_FIELDS_META_KEY, value=signature))
    else:
        conn.execute(meta_table.update().where(marker).values(value=signature))
    return written


# ---- end of field index helpers ----------------------------------------------------------


# ---- audit ledger helpers (issue 11) -----------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _read_snapshot(cursor: Any) -> AuditSnapshot:
    """Read the audit snapshot with plain statements on a DBAPI cursor."""
    cursor.execute("SELECT kind, id, status, version, data FROM qf_entities")
    rows = [StoredRow(str(k), str(i), s, int(v), str(d)) for k, i, s, v, d in cursor.fetchall()]
    cursor.execute("SELECT input_id, output_id, kind, quantity, override FROM qf_edges")
    edges = [
        StoredEdge(str(i), str(o), edge_digest(str(i), str(o), str(k), q, ov))
        for i, o, k, q, ov in cursor.fetchall()
    ]
    cursor.execute(
        "SELECT seq, kind, id, version, digest, prev_hash, hash, recorded_at FROM qf_ledger "
        "ORDER BY seq"
    )
    ledger = [
        LedgerEntry(int(q), str(k), str(i), int(v), str(d), str(p), str(h), str(r))
        for q, k, i, v, d, p, h, r in cursor.fetchall()
    ]
    cursor.execute("SELECT seq, hash FROM qf_ledger_head WHERE lock_id = 1")
    head = cursor.fetchone()
    cursor.execute("SELECT * FROM qf_meta")
    start: LedgerStart | None = None
    for key, value in cursor.fetchall():
        if key == _LEDGER_META_KEY:
            try:
                start = LedgerStart.from_json(str(value))
            except (ValueError, KeyError, TypeError):
                start = None
    return AuditSnapshot(
        rows=rows,
        edges=edges,
        ledger=ledger,
        head_seq=-1 if head is None else int(head[0]),
        head_hash="" if head is None else str(head[1]),
        start=start,
    )


# ---- end of audit ledger helpers ---------------------------------------------------------


# ---- schema revisions (issue 17) ---------------------------------------------------------


def stored_revision(conn: Connection) -> str | None:
    """Return the schema revision of ``conn``'s database, reading only.

    ``alembic_version`` when present; otherwise ``qf_meta``'s ``schema_version`` *n* as
    revision *n* (0.1.0 wrote 1 and no ``alembic_version``), ``"schema_version N"`` for a
    version this qualityflow does not know; ``None`` for a database without qualityflow
    tables.
    """
    from qualityflow.storage.migrations import REVISIONS

    names = set(sa.inspect(conn).get_table_names())
    if alembic_version_table.name in names:
        found = [
            str(v) for v in conn.execute(sa.select(alembic_version_table.c.version_num)).scalars()
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return "+".join(sorted(found))  # branches: not one of ours
    if meta_table.name in names:
        value = conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar_one_or_none()
        version = 1 if value is None else int(value)
        if 1 <= version <= len(REVISIONS):
            return REVISIONS[version - 1]
        return f"schema_version {version}"
    if names & _QF_TABLES:
        return REVISIONS[0]  # some 0.1.0 tables without qf_meta: the base revision
    return None


def _describe(stored: str) -> str:
    if stored.startswith("schema_version "):
        return stored.replace("_", " ", 1)
    from qualityflow.storage.migrations import REVISIONS, schema_version_of

    if stored in REVISIONS:
        return f"revision {stored} (schema version {schema_version_of(stored)})"
    return f"revision {stored}"


def _validated(entity: Entity, version: int) -> Entity:
    data = entity.model_dump(mode="json")
    data["version"] = version
    return type(entity).model_validate(data)


def _edge(row: Any) -> Edge:
    return _edge_of(row.input_id, row.output_id, row.kind, row.quantity, row.override)


def _edge_of(
    input_id: str, output_id: str, kind: str, quantity: str | None, override: str | None
) -> Edge:
    return Edge(
        input_id=input_id,
        output_id=output_id,
        quantity=None if quantity is None else Quantity.model_validate_json(quantity),
        kind="ship" if kind == "ship" else "link",
        override=None if override is None else json.loads(override),
    )


def _engine(url: str, driver_url: str, **kwargs: Any) -> Engine:
    try:
        return sa.create_engine(driver_url, **kwargs)
    except (ArgumentError, ImportError, ValueError) as exc:
        detail = str(exc)
        try:
            secret = make_url(driver_url).password
        except ArgumentError:
            secret = None
        if secret:
            detail = detail.replace(str(secret), "***")
        raise StorageError(f"storage {mask_url(url)}: {detail}") from exc


def sqlite_storage(url: str, *, upgrade: bool = False) -> SQLStorage:
    """``sqlite:///path/to/qms.db``: the embedded default.

    WAL journal, foreign keys on, a 30 s busy timeout, ``synchronous=FULL``, and every
    transaction ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing
    half-way. ``sqlite://`` alone is an in-memory database. ``upgrade`` migrates an older
    schema (see :mod:`qualityflow.storage.migrations`).
    """
    return SQLStorage(url, _sqlite_engine(url), upgrade=upgrade)


def _sqlite_engine(url: str) -> Engine:
    engine = _engine(url, url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _with_driver(url: str, driver: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "+" in scheme:
        return url
    return f"{scheme}+{driver}{sep}{rest}"


def postgresql_storage(url: str, *, upgrade: bool = False) -> SQLStorage:
    """``postgresql://user:password@host:5432/db``: psycopg 3 through SQLAlchemy."""
    return SQLStorage(url, _postgresql_engine(url), upgrade=upgrade)


def _postgresql_engine(url: str) -> Engine:
    return _engine(url, _with_driver(url, "psycopg"), pool_pre_ping=True)


def mysql_storage(url: str, *, upgrade: bool = False) -> SQLStorage:
    """``mysql://user:password@host:3306/db`` (MySQL or MariaDB): PyMySQL."""
    return SQLStorage(url, _mysql_engine(url), upgrade=upgrade)


def _mysql_engine(url: str) -> Engine:
    driver_url = _with_driver(url, "pymysql")
    if "charset=" not in driver_url:
        driver_url += ("&" if "?" in driver_url else "?") + "charset=utf8mb4"
    return _engine(url, driver_url, pool_pre_ping=True, pool_recycle=3600)


_ENGINES = {
    "sqlite": _sqlite_engine,
    "postgresql": _postgresql_engine,
    "postgres": _postgresql_engine,
    "mysql": _mysql_engine,
    "mariadb": _mysql_engine,
}


def sql_engine(url: str) -> Engine:
    """Return the engine the built-in backend for ``url`` would use (nothing is read).

    A URL of another scheme is a :class:`StorageError` naming the SQL schemes.
    """
    scheme = url.partition("://")[0].split("+", 1)[0].lower()
    make = _ENGINES.get(scheme)
    if make is None:
        raise StorageError(
            f"storage {mask_url(url)}: schema migrations are for the SQL backends "
            f"({', '.join(sorted(_ENGINES))}://...); {scheme or url!r} has none to run"
        )
    return make(url)


def open_sql_storage(url: str, *, upgrade: bool = False) -> SQLStorage:
    """Open the built-in SQL backend for ``url``, migrating an older schema if ``upgrade``."""
    return SQLStorage(url, sql_engine(url), upgrade=upgrade)
