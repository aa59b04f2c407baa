"""The storage contract every backend fulfils, and the helpers backends share."""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol, TypeAlias, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from qualityflow.errors import ConcurrencyError, StorageError
from qualityflow.models import (
    Batch,
    Complaint,
    Incident,
    Inspection,
    Notification,
    Quantity,
    Shipment,
    Supplier,
)
from qualityflow.models.nonconformance import Nonconformance, SupplierAction
from qualityflow.models.recall import Recall
from qualityflow.prevention import RetainedSample, TrainingRecord, TrainingRequirement

__all__ = [
    "ENTITY_KINDS",
    "INDEXED_FIELDS",
    "LEDGER_START",
    "SCHEMA_VERSION",
    "AuditSnapshot",
    "BulkStorage",
    "Delivery",
    "DeliveredStorage",
    "Direction",
    "Edge",
    "Entity",
    "IncrementalStorage",
    "Found",
    "LedgerEntry",
    "LedgerStart",
    "LedgerStorage",
    "ListingStorage",
    "OutboxEntry",
    "Storage",
    "StoredEdge",
    "StoredRow",
    "decode_deliveries",
    "edge_columns",
    "edge_digest",
    "edge_key",
    "encode_deliveries",
    "index_entries",
    "index_value",
    "iter_pages",
    "kind_of",
    "ledger_hash",
    "preledger_digest",
    "row_digest",
    "mask_url",
    "model_for",
    "status_of",
]

SCHEMA_VERSION = 4
"""The layout version stored with the data (``qf_meta``), in step with the migrations.

Schema version *n* is revision *n* of :data:`qualityflow.storage.migrations.REVISIONS`:
1 is qualityflow 0.1.0, 2 adds the audit ledger (0.2), 3 the relay's tables, 4 the
field index (``qf_fields``) behind ``list(where=...)``.
"""

Entity: TypeAlias = (
    Supplier
    | Batch
    | Shipment
    | Inspection
    | Incident
    | Complaint
    | RetainedSample
    | TrainingRequirement
    | TrainingRecord
    | Recall
    | Nonconformance
    | SupplierAction
)
"""Anything a repository stores."""

ENTITY_KINDS: dict[str, type[Entity]] = {
    "supplier": Supplier,
    "batch": Batch,
    "shipment": Shipment,
    "inspection": Inspection,
    "incident": Incident,
    "complaint": Complaint,
    "retained_sample": RetainedSample,
    "training_requirement": TrainingRequirement,
    "training_record": TrainingRecord,
    "recall": Recall,
    "nonconformance": Nonconformance,
    "supplier_action": SupplierAction,
}
"""Stored kinds and their model classes; the kind is the ``kind`` column.

Every kind shares the one entity table (validated JSON with indexed kind, id and
status), so adding a kind needs no schema change and no :data:`SCHEMA_VERSION` bump.
"""

_KIND_OF: dict[type, str] = {cls: kind for kind, cls in ENTITY_KINDS.items()}

Direction = Literal["forward", "backward"]
"""``forward`` follows edges from input to output (where did it go), ``backward`` back."""


def kind_of(entity: object) -> str:
    """Return the stored kind of an entity: ``kind_of(Batch(...)) == "batch"``."""
    try:
        return _KIND_OF[type(entity)]
    except KeyError:
        raise StorageError(
            f"cannot store a {type(entity).__name__}: storable kinds are "
            f"{', '.join(sorted(ENTITY_KINDS))}"
        ) from None


def model_for(kind: str) -> type[Entity]:
    """Return the model class stored under ``kind``; a clear error for an unknown kind."""
    try:
        return ENTITY_KINDS[kind]
    except KeyError:
        raise StorageError(
            f"unknown entity kind {kind!r}: use one of {', '.join(sorted(ENTITY_KINDS))}"
        ) from None


def status_of(entity: Entity) -> str | None:
    """Return the indexed ``status`` column's value (``None`` for kinds without status)."""
    status = getattr(entity, "status", None)
    if status is None:
        return None
    return str(getattr(status, "value", status))


def mask_url(url: str) -> str:
    """Hide the password in a storage URL, for messages and logs.

    Examples
    --------
    >>> mask_url("postgresql://qms:s3cret@db.plant:5432/qms")
    'postgresql://qms:***@db.plant:5432/qms'

    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    masked = f"{user}:***@{netloc[-1]}"
    return urlunsplit((parts.scheme, masked, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Edge:
    """One genealogy edge, from input to output.

    ``input_id`` is consumed into (``link``) or shipped as (``ship``) ``output_id``;
    ``override`` records an approved exception (reason, approver, at).
    """

    input_id: str
    output_id: str
    quantity: Quantity | None = None
    kind: Literal["link", "ship"] = "link"
    override: Mapping[str, str] | None = None


@dataclass
class Delivery:
    """One notifier's delivery state for one outbox entry."""

    ok: bool
    attempts: int = 1
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        """Encode as a plain dict for storing."""
        return {"ok": self.ok, "attempts": self.attempts, "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Delivery:
        """Decode what :meth:`to_json` produced."""
        attempts = data.get("attempts", 1)
        error = data.get("error")
        return cls(
            ok=bool(data.get("ok")),
            attempts=attempts if isinstance(attempts, int) else 1,
            error=None if error is None else str(error),
        )


def encode_deliveries(deliveries: Mapping[str, Delivery]) -> str:
    """Return the stored JSON of an outbox entry's delivery states, by notifier.

    >>> encode_deliveries({"log": Delivery(ok=True)})
    '{"log": {"ok": true, "attempts": 1, "error": null}}'
    """
    return json.dumps({name: state.to_json() for name, state in deliveries.items()})


def decode_deliveries(text: str | None) -> dict[str, Delivery]:
    """Return the delivery states :func:`encode_deliveries` stored (blank: none).

    >>> decode_deliveries('{"log": {"ok": true}}')
    {'log': Delivery(ok=True, attempts=1, error=None)}
    """
    raw: dict[str, Any] = json.loads(text) if text else {}
    return {name: Delivery.from_json(state) for name, state in raw.items()}


@dataclass
class OutboxEntry:
    """A notification queued in the same transaction as the change it reports.

    ``deliveries`` holds each notifier's state by name; ``delivered`` is true once every
    notifier has taken it.
    """

    id: int
    notification: Notification
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    delivered: bool = False


@runtime_checkable
class Storage(Protocol):
    """What the service needs from a backend.

    Writes made inside ``with storage.transaction():`` commit together or not at all;
    a write outside a transaction is its own transaction. Versions are optimistic locks:
    :meth:`add` stores version 1, :meth:`save` requires the stored version to equal the
    expected one and stores the next, else raises :class:`qualityflow.ConcurrencyError`
    and writes nothing. Driver errors surface as :class:`qualityflow.StorageError` with the
    URL's password masked. Third-party backends prove themselves with
    :class:`qualityflow.testing.StorageConformance`.
    """

    url: str
    """The storage URL, password masked."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes into one atomic transaction (re-entrant: inner blocks join)."""
        ...

    def get(self, kind: str, id: str) -> Entity:
        """Load the stored entity, or raise :class:`qualityflow.NotFoundError`."""
        ...

    def add(self, entity: Entity) -> Entity:
        """Store a new entity at version 1 and return the stored copy.

        An existing id of the same kind is a :class:`qualityflow.StorageError`. Ids
        compare byte-exactly (``FLOUR-1``, ``flour-1`` and ``flöur-1`` are three ids) and
        every id up to :data:`qualityflow.models.MAX_ID_LENGTH` characters is stored.
        """
        ...

    def save(self, entity: Entity, *, expected_version: int | None = None) -> Entity:
        """Replace a stored entity if its version is ``expected_version``.

        ``expected_version`` defaults to ``entity.version``; returns the stored copy with
        the version incremented.
        """
        ...

    def list(
        self,
        kind: str,
        *,
        status: str | Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
    ) -> builtins.list[Entity]:
        """List entities of ``kind`` ordered by id, optionally filtered.

        ``status`` keeps those with the given status(es), ``ids`` those with the given ids.
        A backend that also filters by indexed fields and pages (``where``, ``limit``,
        ``after``, and :meth:`ListingStorage.iter_list`) implements
        :class:`ListingStorage`; the service checks for it and otherwise filters in Python.
        """
        ...

    def count(self, kind: str) -> int:
        """How many entities of ``kind`` are stored."""
        ...

    def genealogy_lock(self) -> AbstractContextManager[None]:
        """Open (or join) a transaction that holds the storage-wide genealogy lock.

        Every instance on the same data queues for it, and it is held until the
        transaction ends (commit or rollback), so a cycle check and the
        :meth:`add_edge` made inside are atomic across processes: racing
        ``link(A, B)`` and ``link(B, A)`` never both commit. Take it before the
        transaction's first read; a backend that finds its snapshot older than the
        previous holder's commit raises :class:`qualityflow.ConcurrencyError` (retry).
        """
        ...

    def add_edge(self, edge: Edge) -> None:
        """Store a genealogy edge (adding the same pair twice is a StorageError)."""
        ...

    def edges(self, *, among: Iterable[str] | None = None) -> builtins.list[Edge]:
        """All edges, or those whose both ends are in ``among``."""
        ...

    def reach(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return the stored batch and shipment ids reachable from ``ids`` (included).

        SQL backends answer with a recursive query over the edge table, so a single-lot
        trace does not load the whole genealogy.
        """
        ...

    def enqueue(self, notification: Notification) -> int | None:
        """Queue a notification in the outbox; returns its entry id.

        When ``notification.id`` is set and already queued, nothing is added and ``None``
        is returned (each overdue deadline is notified once). This holds whatever the
        interleaving: two instances queueing the same id at once add one entry, and
        the second caller gets ``None``, not an error. The id may be longer than
        :data:`qualityflow.models.MAX_ID_LENGTH` (it combines kind, id and deadline).
        """
        ...

    def outbox(self, *, pending_only: bool = True) -> builtins.list[OutboxEntry]:
        """Outbox entries in queueing order; by default only undelivered ones."""
        ...

    def update_delivery(
        self, entry_id: int, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> None:
        """Record the notifiers' delivery states of one outbox entry."""
        ...

    def close(self) -> None:
        """Release connections; the object must not be used afterwards."""
        ...


def iter_chunks(values: Iterable[str], size: int = 500) -> Iterator[builtins.list[str]]:
    """Split ids into chunks small enough for an SQL ``IN`` list."""
    chunk: builtins.list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def normalise_status(status: str | Iterable[str] | None) -> set[str] | None:
    """``"open"`` or ``["a", "b"]`` or an enum to a set of strings; ``None`` stays."""
    if status is None:
        return None
    if isinstance(status, str):
        return {str(getattr(status, "value", status))}
    return {str(getattr(s, "value", s)) for s in status}


def stale_version(kind: str, id: str, stored: int, expected: int) -> ConcurrencyError:
    """Return the error every backend raises when a save is based on a stale version."""
    return ConcurrencyError(
        f"{kind} {id!r} was changed by someone else (stored version {stored}, yours "
        f"{expected}); reload it and apply your change again"
    )


def check_scheme_available(scheme: str, installed: Iterable[str], url: str) -> None:
    """Raise the StorageError for an unknown scheme, naming the installed ones."""
    names = sorted(installed)
    raise StorageError(
        f"no storage backend for scheme {scheme!r} (url {mask_url(url)}); installed: "
        f"{', '.join(names) if names else 'none'}. Install the plugin that provides it "
        "or use one of those."
    )


# -- the audit ledger (issue 11) -------------------------------------------------------
#
# Every committed write of an entity (add, save) and every genealogy edge appends one
# ledger entry in the same transaction. Entries are chained: ``hash`` is the SHA-256 of
# ``seq|kind|id|version|digest|prev_hash|recorded_at`` (UTF-8), ``prev_hash`` the hash of
# the entry before (empty for the first), so an edited, removed or reordered entry breaks
# the chain, and a head published outside the database (notifications, the 8D report)
# exposes a ledger rewritten wholesale.

LEDGER_START = ("ledger", "start")
"""``(kind, id)`` of the entry that opens a ledger started on a non-empty database.

Its ``version`` is how many rows existed then and its ``digest`` is
:func:`preledger_digest` of their keys; those rows have no entry of their own until they
are next saved. A database created empty has no such entry.
"""


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger entry: which row was written, at which version, with which content.

    ``digest`` is :func:`row_digest` of the stored JSON (entities) or :func:`edge_digest`
    (edges, ``kind="edge"`` and ``id`` :func:`edge_key`); ``hash`` is
    :func:`ledger_hash` over every other field.
    """

    seq: int
    kind: str
    id: str
    version: int
    digest: str
    prev_hash: str
    hash: str
    recorded_at: str

    def expected_hash(self) -> str:
        """Recompute the hash from the entry's fields (equal to ``hash`` unless edited)."""
        return ledger_hash(
            self.seq,
            self.kind,
            self.id,
            self.version,
            self.digest,
            self.prev_hash,
            self.recorded_at,
        )


@dataclass(frozen=True)
class LedgerStart:
    """When the ledger started, and which rows were stored before it (``qf_meta``).

    ``rows`` is how many entity rows and edges existed then (0 for a database created with
    the ledger) and ``keys`` the :func:`preledger_digest` of their keys.
    """

    at: str
    rows: int = 0
    keys: str = ""

    def to_json(self) -> str:
        """Encode for ``qf_meta`` (key ``ledger_started``)."""
        return json.dumps({"at": self.at, "rows": self.rows, "keys": self.keys})

    @classmethod
    def from_json(cls, text: str) -> LedgerStart:
        """Decode :meth:`to_json`; raises ``ValueError`` on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return cls(at=str(data["at"]), rows=int(data["rows"]), keys=str(data.get("keys", "")))


@dataclass(frozen=True)
class StoredRow:
    """An entity row exactly as stored: indexed columns and the JSON text."""

    kind: str
    id: str
    status: str | None
    version: int
    data: str


@dataclass(frozen=True)
class StoredEdge:
    """A genealogy edge as stored, with its :func:`edge_digest`."""

    input_id: str
    output_id: str
    digest: str


@dataclass(frozen=True)
class AuditSnapshot:
    """Everything an audit reads, taken from one consistent snapshot of the storage.

    ``head_seq``/``head_hash`` are what the storage's head record says the last entry is
    (SQL: the ``qf_ledger_head`` row; memory: the last entry); ``start`` the ledger's
    start marker, ``None`` when it is missing.
    """

    rows: builtins.list[StoredRow]
    edges: builtins.list[StoredEdge]
    ledger: builtins.list[LedgerEntry]
    head_seq: int
    head_hash: str
    start: LedgerStart | None


def ledger_hash(
    seq: int, kind: str, id: str, version: int, digest: str, prev_hash: str, recorded_at: str
) -> str:
    """Return the SHA-256 (hex) chaining one ledger entry.

    The SQL servers compute the same value in the database (``sha256``/``SHA2`` over the
    same ``|``-joined text), so writers never wait for a round trip to learn the head.

    >>> ledger_hash(1, "batch", "FLOUR-1", 1, "ab" * 32, "", "2026-03-02T06:00:00+00:00")[:12]
    '5c8a21cc021d'
    """
    text = f"{seq}|{kind}|{id}|{version}|{digest}|{prev_hash}|{recorded_at}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_digest(data: str) -> str:
    """Return the SHA-256 (hex) of an entity row's stored JSON text."""
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def edge_key(input_id: str, output_id: str) -> str:
    """Return the ledger ``id`` of an edge: the JSON pair, unambiguous whatever the ids.

    >>> edge_key("FLOUR-1", "MIX-9")
    '["FLOUR-1","MIX-9"]'
    """
    enc = _encode_string
    return "[" + enc(input_id) + "," + enc(output_id) + "]"


def edge_columns(edge: Edge) -> tuple[str | None, str | None]:
    """Return the stored text of an edge's ``quantity`` and ``override`` columns."""
    quantity = None if edge.quantity is None else edge.quantity.model_dump_json()
    override = None if edge.override is None else json.dumps(dict(edge.override))
    return quantity, override


def edge_digest(
    input_id: str, output_id: str, kind: str, quantity: str | None, override: str | None
) -> str:
    """Return the SHA-256 (hex) of an edge's stored columns (JSON list, in column order)."""
    enc = _encode_string
    text = (
        f"[{enc(input_id)},{enc(output_id)},{enc(kind)},"
        f"{'null' if quantity is None else enc(quantity)},"
        f"{'null' if override is None else enc(override)}]"
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Edge keys and digests are json.dumps(..., ensure_ascii=False, separators=(",", ":")) of
# a list of strings (and None): built here from the same string encoder json.dumps uses,
# without a new encoder per call (they are computed once per edge, a million times in a
# bulk load). tests/test_bulk_writes.py checks the texts are json.dumps's.
_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def preledger_digest(keys: Iterable[str]) -> str:
    """Return the SHA-256 (hex) of the sorted keys (``kind/id``, ``edge/<edge_key>``)."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()


@runtime_checkable
class LedgerStorage(Storage, Protocol):
    """A storage that keeps the audit ledger (every built-in backend does).

    A backend without it still works; ``qms.audit.verify()`` then reports that the
    storage keeps no ledger and notifications carry an empty ``audit_head``.
    """

    def ledger_head(self) -> str:
        """Return the hash of the last ledger entry ("" for an empty ledger).

        Inside a transaction that has written, the head that its commit will publish.
        """
        ...

    def audit_snapshot(self) -> AuditSnapshot:
        """Read every row, edge and ledger entry from one consistent snapshot."""
        ...


# -- listing by indexed fields, paged (issue 19) ---------------------------------------
#
# ``list(kind, where={field: value})`` finds entities by equality on a few documented
# fields per kind without reading the whole kind: the SQL backends keep one row per
# (kind, id, field) in ``qf_fields`` (indexed on kind, field, value, id), written in the
# same transaction as the entity; the memory backend keeps the same in a dictionary.
# The index only narrows the candidates: every backend checks each loaded entity against
# ``where`` again, so an index row edited by hand never makes a wrong entity appear.

INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "supplier": ("country",),
    "batch": ("supplier_id", "product", "kind", "line"),
    "shipment": ("batch_id", "customer_id", "region"),
    "inspection": ("batch_id", "stage", "result"),
    "complaint": ("customer_id", "channel", "severity", "product", "incident_id"),
    "retained_sample": ("batch_id",),
    "training_requirement": ("action_id", "procedure"),
    "training_record": ("person", "procedure"),
    "recall": ("incident_id", "grade"),
    "nonconformance": ("batch_id", "supplier_id", "inspection_id", "incident_id"),
    "supplier_action": ("supplier_id", "severity"),
}
"""The fields of each kind that ``list(kind, where=...)`` finds through an index.

Each is a text (or text enum) field holding one value; ``None`` is not indexed. They are
what the service looks records up by (inspections, shipments, samples and
nonconformances of a batch, a supplier's lots and actions, a customer's complaints...).
``status`` and ``id`` are columns of their own. Incidents have none: they are few,
looked up by status, and every ``fire`` saves one, which would then pay one more read.
Filters on any other field are applied by the service after loading
(``qms.batches.list(quantity=...)`` still works, reading the kind). Changing this
mapping needs no migration: a storage whose index was built for another mapping rebuilds
it when opened.
"""

MAX_INDEXED_VALUE = 255
"""Values up to this many characters are indexed as they are; longer ones by digest."""

_DIGEST_PREFIX = "sha256:"


def index_value(value: str) -> str:
    """Return the text stored in the field index for ``value``.

    Values of up to :data:`MAX_INDEXED_VALUE` characters are stored as they are (byte
    exact); a longer value is stored as ``sha256:`` and its hex digest, so that every
    value fits the column and is still found through the index. A short value that
    happens to look like a digest only adds a candidate, which the re-check drops.

    Examples
    --------
    >>> index_value("FLOUR-0412")
    'FLOUR-0412'
    >>> index_value("x" * 300)[:15], len(index_value("x" * 300))
    ('sha256:0d4e2ca9', 71)

    """
    if len(value) <= MAX_INDEXED_VALUE:
        return value
    return _DIGEST_PREFIX + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _text(value: object) -> str | None:
    """Return the indexable text of a field value (an enum's value), or ``None``."""
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else None


def index_entries(kind: str, source: object) -> builtins.list[tuple[str, str]]:
    """Return the ``(field, index_value)`` pairs that index one entity of ``kind``.

    ``source`` is the entity or its JSON object (a mapping). Fields that are ``None`` or
    not text give no entry.

    Examples
    --------
    >>> index_entries("inspection", {"batch_id": "FLOUR-1", "stage": "incoming",
    ...                              "result": "pass"})
    [('batch_id', 'FLOUR-1'), ('stage', 'incoming'), ('result', 'pass')]
    >>> index_entries("batch", {"kind": "finished", "product": "biscuits", "line": None})
    [('product', 'biscuits'), ('kind', 'finished')]

    """
    fields = INDEXED_FIELDS.get(kind, ())
    entries: builtins.list[tuple[str, str]] = []
    for name in fields:
        raw = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
        text = _text(raw)
        if text is not None:
            entries.append((name, index_value(text)))
    return entries


def index_entries_of_json(kind: str, data: str) -> builtins.list[tuple[str, str]]:
    """Return :func:`index_entries` of an entity stored as JSON text.

    Rows written by an older qualityflow may lack a field added since; they are
    validated through the model so that its default is indexed as the loaded entity
    would show it.
    """
    fields = INDEXED_FIELDS.get(kind, ())
    if not fields:
        return []
    loaded = json.loads(data)
    if isinstance(loaded, dict) and all(name in loaded for name in fields):
        return index_entries(kind, loaded)
    return index_entries(kind, model_for(kind).model_validate(loaded))


def fields_signature() -> str:
    """Return the digest of :data:`INDEXED_FIELDS` a stored index was built for.

    Kept in ``qf_meta`` (key ``fields_index``); a storage opened with another mapping
    rebuilds its index.
    """
    text = json.dumps(
        [1, MAX_INDEXED_VALUE, sorted((k, list(v)) for k, v in INDEXED_FIELDS.items())]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_where(kind: str, where: Mapping[str, str] | None) -> builtins.list[tuple[str, str]]:
    """Validate a ``where`` mapping for ``kind``; return its ``(field, value)`` pairs.

    Raises :class:`~qualityflow.StorageError` for a field the kind does not index or a
    value that is not text, naming the indexed fields.
    """
    if not where:
        return []
    model_for(kind)
    allowed = INDEXED_FIELDS.get(kind, ())
    pairs: builtins.list[tuple[str, str]] = []
    for name, value in where.items():
        text = _text(value)
        if name not in allowed:
            raise StorageError(
                f"{kind} records are not indexed by {name!r}: where= takes "
                f"{', '.join(allowed) if allowed else 'no field of this kind'} "
                "(filter other fields after loading)"
            )
        if text is None:
            raise StorageError(
                f"where={{{name!r}: {value!r}}}: the value must be text (an id, a name or "
                "an enum value); filter None and other values after loading"
            )
        pairs.append((name, text))
    return pairs


def matches_where(entity: object, pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether the loaded ``entity`` has every ``(field, value)`` of a checked ``where``."""
    return all(_text(getattr(entity, name, None)) == value for name, value in pairs)


@runtime_checkable
class ListingStorage(Storage, Protocol):
    """A storage that filters by indexed fields and lists in pages (every built-in does).

    The capability test is ``isinstance(storage, ListingStorage)`` (it has
    :meth:`iter_list`); a backend without it still works: the service then lists the
    whole kind and filters, pages and streams in Python, as before.
    """

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
        """List entities of ``kind`` ordered by id, optionally filtered and paged.

        ``where`` keeps those whose fields equal the given texts; its fields must be in
        :data:`INDEXED_FIELDS` for the kind (else :class:`~qualityflow.StorageError`).
        ``after`` keeps ids after it, ``limit`` at most that many (keyset paging: pass
        the last id of a page as ``after`` of the next). Without ``limit`` and ``after``
        the order is Python's string order; pages follow the database's id order
        (the same on SQLite, MariaDB's ``utf8mb4_bin`` and PostgreSQL with a ``C``
        collation, except MariaDB's padding of trailing characters below a space).
        """
        ...

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
        """Yield what :meth:`list` would return, reading ``page`` entities at a time.

        Each page is read in its own short transaction, so a long iteration holds no
        lock and at most one page in memory. An entity is yielded at most once; one
        added or changed meanwhile is seen if its id is still ahead.
        """
        ...


def iter_pages(
    storage: ListingStorage,
    kind: str,
    *,
    status: str | Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    where: Mapping[str, str] | None = None,
    after: str | None = None,
    page: int = 500,
) -> Iterator[Entity]:
    """Implement :meth:`ListingStorage.iter_list` over its paged ``list`` (a helper)."""
    if page < 1:
        raise StorageError(f"page={page}: read at least one entity per page")
    wanted = None if ids is None else builtins.list(dict.fromkeys(ids))
    statuses = None if status is None else normalise_status(status)
    while True:
        found = storage.list(
            kind, status=statuses, ids=wanted, where=where, limit=page, after=after
        )
        yield from found
        if len(found) < page:
            return
        after = found[-1].id


def check_page(limit: int | None) -> None:
    """Refuse a negative ``limit`` (``0`` gives an empty page)."""
    if limit is not None and limit < 0:
        raise StorageError(f"limit={limit}: give a number of entities, 0 or more")


# -- cheap questions for incremental callers (issue 19: overdue) -----------------------


@runtime_checkable
class DeliveredStorage(Storage, Protocol):
    """A storage that queues a notification already delivered, in one statement.

    When every notifier records its delivery with the change (the built-in log), the
    service queues the change's notice with those delivery states instead of queueing it
    and then recording them: one write fewer per ``fire``. Every built-in backend is one;
    a backend without the method gets ``enqueue`` followed by ``update_delivery``.
    """

    def enqueue_delivered(
        self, notification: Notification, deliveries: Mapping[str, Delivery]
    ) -> int | None:
        """Queue ``notification`` marked delivered with ``deliveries``, as ``enqueue`` would.

        A repeated ``notification.id`` adds nothing and returns ``None``, as for
        :meth:`Storage.enqueue`; the entry is then :meth:`Storage.outbox` ``(delivered)``.
        """
        ...


@runtime_checkable
class IncrementalStorage(Storage, Protocol):
    """A storage that answers ``overdue()``'s questions without loading every entity.

    Every built-in backend is one. A backend without these methods still works:
    ``qms.overdue()`` then loads every open entity and queues notices one by one.
    """

    def versions(self, kind: str, *, status: str | Iterable[str] | None = None) -> dict[str, int]:
        """Return ``{id: stored version}`` of the entities of ``kind`` (with ``status``).

        The SQL backends answer from the ``kind``/``status`` index without reading the
        JSON, so a caller that keeps what it computed per version loads only what changed.
        """
        ...

    def queued(self, notification_ids: Iterable[str]) -> set[str]:
        """Return those of ``notification_ids`` that are already in the outbox."""
        ...

    def enqueue_many(self, notifications: Iterable[Notification]) -> builtins.list[int | None]:
        """Queue notifications in one go, as :meth:`Storage.enqueue` would one by one.

        Returns one entry id per notification, in order, ``None`` where its ``id`` was
        already queued (by anyone, concurrently included) or repeats an earlier one in
        the same call.
        """
        ...


# ---- bulk writes (issue 19) ----------------------------------------------------------


class Found(NamedTuple):
    """What :meth:`BulkStorage.lookup` reports of one stored entity."""

    status: str | None
    """The indexed status column (``None`` for kinds without a status)."""
    version: int
    data: str
    """The stored JSON, or ``""`` when not asked for."""


@runtime_checkable
class BulkStorage(Storage, Protocol):
    """A storage that writes and checks whole sets at once (every built-in backend does).

    The service's ``add_many`` and ``link_many`` use these methods when the backend has
    them; on a backend without them it falls back to the one-row calls in one
    transaction (same results, one round trip per row).
    """

    def add_many(self, entities: Iterable[Entity]) -> int:
        """Store new entities at version 1, all or none; returns how many were stored.

        Each row is stored exactly as :meth:`Storage.add` would store it (the same JSON,
        one ledger entry each, chained in order). An id already on file, or given twice,
        refuses the whole set with :class:`qualityflow.errors.RowsRefused` naming every
        such row; nothing is written.
        """
        ...

    def add_edges(self, edges: Iterable[Edge]) -> int:
        """Store new genealogy edges, all or none; returns how many were stored.

        Each edge is stored as :meth:`Storage.add_edge` would (one ledger entry each). A
        pair already stored, or given twice, refuses the whole set with
        :class:`qualityflow.errors.RowsRefused`; nothing is written. No cycle check:
        that is the caller's, under :meth:`Storage.genealogy_lock`.
        """
        ...

    def lookup(self, kind: str, ids: Iterable[str], *, data: bool = False) -> dict[str, Found]:
        """Return what is stored of ``kind`` among ``ids``, by id (a set-based query).

        Ids not on file are absent. ``data=False`` leaves :attr:`Found.data` empty (the
        status and version columns only), which is what an existence check needs.
        """
        ...

    def reach_beyond(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return the ids reachable from ``ids`` by a path of at least one edge.

        Unlike :meth:`Storage.reach`, a starting id is in the answer only when a path
        leads back to it from another starting id; the starting ids need not be on file.
        """
        ...


def given_twice(kind: str, first: int) -> str:
    """Say that a bulk row repeats the id of ``rows[first]``."""
    return f"the same {kind} id is given in rows[{first}] too; give each record once"


def on_file(kind: str) -> str:
    """Say that a bulk row's id is already stored."""
    return f"{kind} already on file; load it and save() changes instead"


def linked_already(input_id: str, output_id: str) -> str:
    """Say that a bulk edge's pair is already stored (add_edge's words)."""
    return f"{input_id!r} is already linked to {output_id!r}; a pair is linked once"
