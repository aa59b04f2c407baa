"""``memory://``: a process-local backend for tests, examples and scratch work.

Entities are kept as their validated JSON, so callers never share objects with the store;
transactions keep an undo log and roll back on error, like the SQL backends.
"""

from __future__ import annotations

import builtins
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

from qualityflow.errors import NotFoundError, RowProblem, RowsRefused, StorageError
from qualityflow.models import Notification, Quantity
from qualityflow.storage.base import (
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
    given_twice,
    index_entries_of_json,
    index_value,
    iter_pages,
    kind_of,
    ledger_hash,
    linked_already,
    matches_where,
    model_for,
    normalise_status,
    on_file,
    row_digest,
    stale_version,
    status_of,
)

__all__ = ["MemoryStorage"]


class MemoryStorage:
    """Everything in dictionaries; gone when the process ends.

    Examples
    --------
    >>> import qualityflow as qf
    >>> store = MemoryStorage()
    >>> store.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill")).version
    1

    """

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.RLock()
        self._depth = 0
        self._undo: list[Callable[[], None]] = []
        # (kind, id) -> (status, version, json)
        self._rows: dict[tuple[str, str], tuple[str | None, int, str]] = {}
        self._edges: dict[tuple[str, str], Edge] = {}
        self._out: dict[str, set[str]] = {}
        self._in: dict[str, set[str]] = {}
        self._outbox: dict[int, tuple[str, str | None, str, bool]] = {}
        self._keys: dict[str, int] = {}
        self._seq = 0
        self._closed = False
        self._ledger: list[LedgerEntry] = []
        self._ledger_start = LedgerStart(at=_now())
        # the field index (issue 19): (kind, field, value) -> ids, and each row's entries
        self._by_field: dict[tuple[str, str, str], set[str]] = {}
        self._fields_of: dict[tuple[str, str], list[tuple[str, str]]] = {}

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; roll back all of them when the block raises."""
        with self._lock:
            self._check_open()
            self._depth += 1
            mark = len(self._undo)
            try:
                yield
            except BaseException:
                while len(self._undo) > mark:
                    self._undo.pop()()
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._undo.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"storage {self.url} is closed")

    def _set_row(self, key: tuple[str, str], value: tuple[str | None, int, str]) -> None:
        old = self._rows.get(key)
        self._rows[key] = value
        self._index_row(key, value[2])

        def undo() -> None:
            if old is None:
                self._rows.pop(key, None)
                self._index_row(key, None)
            else:
                self._rows[key] = old
                self._index_row(key, old[2])

        self._undo.append(undo)

    def _index_row(self, key: tuple[str, str], data: str | None) -> None:
        """Point the field index at the row's current JSON (``None``: the row is gone)."""
        kind, id = key
        new = [] if data is None else index_entries_of_json(kind, data)
        old = self._fields_of.pop(key, [])
        for field, value in old:
            ids = self._by_field.get((kind, field, value))
            if ids is not None:
                ids.discard(id)
                if not ids:
                    del self._by_field[(kind, field, value)]
        for field, value in new:
            self._by_field.setdefault((kind, field, value), set()).add(id)
        if new:
            self._fields_of[key] = new

    # -- entities ----------------------------------------------------------------------

    def get(self, kind: str, id: str) -> Entity:
        """Load the stored entity, or raise NotFoundError."""
        cls = model_for(kind)
        with self._lock:
            self._check_open()
            row = self._rows.get((kind, id))
        if row is None:
            raise NotFoundError(kind, id)
        return cls.model_validate_json(row[2])

    def add(self, entity: Entity) -> Entity:
        """Store a new entity at version 1."""
        kind = kind_of(entity)
        stored = _validated(entity, 1)
        with self.transaction():
            if (kind, entity.id) in self._rows:
                raise StorageError(
                    f"{kind} {entity.id!r} already exists; load it and save() changes instead"
                )
            data = stored.model_dump_json()
            self._set_row((kind, entity.id), (status_of(stored), 1, data))
            self._ledger_append(kind, entity.id, 1, row_digest(data))
        return stored

    def save(self, entity: Entity, *, expected_version: int | None = None) -> Entity:
        """Replace the entity if the stored version is the expected one."""
        kind = kind_of(entity)
        expected = entity.version if expected_version is None else expected_version
        stored = _validated(entity, expected + 1)
        with self.transaction():
            row = self._rows.get((kind, entity.id))
            if row is None:
                raise NotFoundError(kind, entity.id)
            if row[1] != expected:
                raise stale_version(kind, entity.id, row[1], expected)
            data = stored.model_dump_json()
            self._set_row((kind, entity.id), (status_of(stored), expected + 1, data))
            self._ledger_append(kind, entity.id, expected + 1, row_digest(data))
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

        ``where`` is looked up in the field index, ``after``/``limit`` page by id (see
        :meth:`qualityflow.storage.ListingStorage.list`).
        """
        cls = model_for(kind)
        statuses = normalise_status(status)
        wanted = None if ids is None else set(ids)
        pairs = check_where(kind, where)
        check_page(limit)
        with self._lock:
            self._check_open()
            if pairs:
                candidates: set[str] | None = None
                for field, value in pairs:
                    found = self._by_field.get((kind, field, index_value(value)), set())
                    candidates = set(found) if candidates is None else candidates & found
                keys: Iterable[tuple[str, str]] = [(kind, i) for i in candidates or ()]
            else:
                keys = [key for key in self._rows if key[0] == kind]
            rows = [
                (key[1], row)
                for key in keys
                if (row := self._rows.get(key)) is not None
                and (statuses is None or row[0] in statuses)
                and (wanted is None or key[1] in wanted)
                and (after is None or key[1] > after)
            ]
        rows.sort(key=lambda item: item[0])
        out: builtins.list[Entity] = []
        for _, row in rows:
            if limit is not None and len(out) >= limit:
                break
            entity = cls.model_validate_json(row[2])
            if matches_where(entity, pairs):
                out.append(entity)
        return out

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
        """Yield the listed entities ``page`` at a time (see :meth:`list`)."""
        return iter_pages(self, kind, status=status, ids=ids, where=where, after=after, page=page)

    def count(self, kind: str) -> int:
        """How many entities of ``kind`` are stored."""
        model_for(kind)
        with self._lock:
            return sum(1 for key in self._rows if key[0] == kind)

    # -- genealogy ---------------------------------------------------------------------

    @contextmanager
    def genealogy_lock(self) -> Iterator[None]:
        """Open (or join) a transaction under the store's lock: one writer at a time.

        A memory store belongs to one process, so its own lock serialises everything.
        """
        with self.transaction():
            yield

    def add_edge(self, edge: Edge) -> None:
        """Store a genealogy edge."""
        key = (edge.input_id, edge.output_id)
        with self.transaction():
            if key in self._edges:
                raise StorageError(
                    f"{edge.input_id!r} is already linked to {edge.output_id!r}; "
                    "a pair is linked once"
                )
            frozen = Edge(
                edge.input_id,
                edge.output_id,
                None if edge.quantity is None else Quantity.model_validate(edge.quantity),
                edge.kind,
                None if edge.override is None else dict(edge.override),
            )
            self._edges[key] = frozen
            self._out.setdefault(edge.input_id, set()).add(edge.output_id)
            self._in.setdefault(edge.output_id, set()).add(edge.input_id)

            def undo() -> None:
                del self._edges[key]
                self._out[edge.input_id].discard(edge.output_id)
                self._in[edge.output_id].discard(edge.input_id)

            self._undo.append(undo)
            quantity, override = edge_columns(frozen)
            self._ledger_append(
                "edge",
                edge_key(edge.input_id, edge.output_id),
                1,
                edge_digest(edge.input_id, edge.output_id, edge.kind, quantity, override),
            )

    def edges(self, *, among: Iterable[str] | None = None) -> builtins.list[Edge]:
        """All edges, or those with both ends in ``among``."""
        with self._lock:
            self._check_open()
            if among is None:
                return builtins.list(self._edges.values())
            nodes = set(among)
            return [e for e in self._edges.values() if e.input_id in nodes and e.output_id in nodes]

    def reach(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return stored batch/shipment ids reachable from ``ids`` (those included)."""
        step = self._out if direction == "forward" else self._in
        with self._lock:
            self._check_open()
            seen = {i for i in ids if ("batch", i) in self._rows or ("shipment", i) in self._rows}
            queue = deque(seen)
            while queue:
                node = queue.popleft()
                for nxt in step.get(node, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        queue.append(nxt)
        return seen

    # -- bulk writes (issue 19) ---------------------------------------------------------

    def add_many(self, entities: Iterable[Entity]) -> int:
        """Store new entities at version 1, all or none (see :class:`BulkStorage`)."""
        rows: builtins.list[tuple[str, str, str | None, str]] = []
        seen: dict[tuple[str, str], int] = {}
        problems: builtins.list[RowProblem] = []
        for n, entity in enumerate(entities):
            kind = kind_of(entity)
            stored = _validated(entity, 1)
            key = (kind, entity.id)
            if key in seen:
                problems.append(RowProblem(n, (entity.id,), given_twice(kind, seen[key])))
            else:
                seen[key] = n
            rows.append((kind, entity.id, status_of(stored), stored.model_dump_json()))
        with self.transaction():
            for kind, id in seen:
                if (kind, id) in self._rows:
                    problems.append(RowProblem(seen[kind, id], (id,), on_file(kind)))
            if problems:
                raise RowsRefused("add_many", problems, len(rows))
            for kind, id, status, data in rows:
                self._set_row((kind, id), (status, 1, data))
                self._ledger_append(kind, id, 1, row_digest(data))
        return len(rows)

    def add_edges(self, edges: Iterable[Edge]) -> int:
        """Store new genealogy edges, all or none (see :class:`BulkStorage`)."""
        given = builtins.list(edges)
        seen: dict[tuple[str, str], int] = {}
        problems: builtins.list[RowProblem] = []
        with self.transaction():
            for n, edge in enumerate(given):
                key = (edge.input_id, edge.output_id)
                if key in seen:
                    problems.append(
                        RowProblem(n, key, f"the same pair is given in rows[{seen[key]}] too")
                    )
                elif key in self._edges:
                    problems.append(RowProblem(n, key, linked_already(*key)))
                seen.setdefault(key, n)
            if problems:
                raise RowsRefused("add_edges", problems, len(given))
            for edge in given:
                self.add_edge(edge)
        return len(given)

    def lookup(self, kind: str, ids: Iterable[str], *, data: bool = False) -> dict[str, Found]:
        """Return the stored rows of ``kind`` among ``ids`` (see :class:`BulkStorage`)."""
        model_for(kind)
        found: dict[str, Found] = {}
        with self._lock:
            self._check_open()
            for id in ids:
                row = self._rows.get((kind, id))
                if row is not None:
                    found[id] = Found(row[0], row[1], row[2] if data else "")
        return found

    def reach_beyond(self, ids: Iterable[str], direction: Direction) -> set[str]:
        """Return the ids reachable from ``ids`` by at least one edge."""
        step = self._out if direction == "forward" else self._in
        with self._lock:
            self._check_open()
            seen: set[str] = set()
            queue = deque(n for i in set(ids) for n in step.get(i, ()))
            while queue:
                node = queue.popleft()
                if node not in seen:
                    seen.add(node)
                    queue.extend(step.get(node, ()))
        return seen

    # -- outbox ------------------------------------------------------------------------

    def enqueue_delivered(
        self, notification: Notification, deliveries: Mapping[str, Delivery]
    ) -> int | None:
        """Queue a notification already delivered (``DeliveredStorage``)."""
        return self._enqueue_row(notification, deliveries, delivered=True)

    def enqueue(self, notification: Notification) -> int | None:
        """Queue a notification; a repeated ``notification.id`` is ignored."""
        return self._enqueue_row(notification, {}, delivered=False)

    def _enqueue_row(
        self, notification: Notification, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> int | None:
        with self.transaction():
            key = notification.id
            if key is not None and key in self._keys:
                return None
            self._seq += 1
            seq = self._seq
            self._outbox[seq] = (
                notification.model_dump_json(),
                key,
                encode_deliveries(deliveries),
                delivered,
            )
            if key is not None:
                self._keys[key] = seq

            def undo() -> None:
                del self._outbox[seq]
                if key is not None:
                    self._keys.pop(key, None)

            self._undo.append(undo)
            return seq

    def outbox(self, *, pending_only: bool = True) -> builtins.list[OutboxEntry]:
        """Outbox entries in order; by default the undelivered ones."""
        with self._lock:
            self._check_open()
            rows = sorted(self._outbox.items())
        return [
            _entry(seq, data, deliveries, delivered)
            for seq, (data, _key, deliveries, delivered) in rows
            if not (pending_only and delivered)
        ]

    def update_delivery(
        self, entry_id: int, deliveries: Mapping[str, Delivery], *, delivered: bool
    ) -> None:
        """Record the notifiers' delivery states of one entry."""
        with self.transaction():
            row = self._outbox.get(entry_id)
            if row is None:
                raise NotFoundError("outbox entry", str(entry_id))
            encoded = encode_deliveries(deliveries)
            self._outbox[entry_id] = (row[0], row[1], encoded, delivered)

            def undo() -> None:
                self._outbox[entry_id] = row

            self._undo.append(undo)

    # -- cheap questions for incremental callers (issue 19) ------------------------------

    def versions(self, kind: str, *, status: str | Iterable[str] | None = None) -> dict[str, int]:
        """Return ``{id: stored version}`` of the entities of ``kind`` (with ``status``)."""
        model_for(kind)
        statuses = normalise_status(status)
        with self._lock:
            self._check_open()
            return {
                key[1]: row[1]
                for key, row in self._rows.items()
                if key[0] == kind and (statuses is None or row[0] in statuses)
            }

    def queued(self, notification_ids: Iterable[str]) -> set[str]:
        """Return those of ``notification_ids`` already in the outbox."""
        with self._lock:
            self._check_open()
            return {i for i in notification_ids if i in self._keys}

    def enqueue_many(self, notifications: Iterable[Notification]) -> builtins.list[int | None]:
        """Queue notifications in one transaction; ``None`` for ids already queued."""
        with self.transaction():
            return [self.enqueue(n) for n in notifications]

    # -- audit ledger ------------------------------------------------------------------

    def _ledger_append(self, kind: str, id: str, version: int, digest: str) -> None:
        """Chain one entry onto the ledger (called under the lock, inside a transaction)."""
        ledger = self._ledger
        seq = len(ledger) + 1
        prev = ledger[-1].hash if ledger else ""
        at = _now()
        entry = LedgerEntry(
            seq,
            kind,
            id,
            version,
            digest,
            prev,
            ledger_hash(seq, kind, id, version, digest, prev, at),
            at,
        )
        ledger.append(entry)

        def undo() -> None:
            if ledger and ledger[-1] is entry:
                ledger.pop()

        self._undo.append(undo)

    def ledger_head(self) -> str:
        """Return the hash of the last ledger entry ("" for an empty ledger)."""
        with self._lock:
            self._check_open()
            return self._ledger[-1].hash if self._ledger else ""

    def audit_snapshot(self) -> AuditSnapshot:
        """Copy every row, edge and ledger entry, under the lock."""
        with self._lock:
            self._check_open()
            rows = [
                StoredRow(kind, id, status, version, data)
                for (kind, id), (status, version, data) in self._rows.items()
            ]
            edges = []
            for edge in self._edges.values():
                quantity, override = edge_columns(edge)
                digest = edge_digest(edge.input_id, edge.output_id, edge.kind, quantity, override)
                edges.append(StoredEdge(edge.input_id, edge.output_id, digest))
            ledger = builtins.list(self._ledger)
        last = ledger[-1] if ledger else None
        return AuditSnapshot(
            rows=rows,
            edges=edges,
            ledger=ledger,
            head_seq=0 if last is None else last.seq,
            head_hash="" if last is None else last.hash,
            start=self._ledger_start,
        )

    def close(self) -> None:
        """Forget everything."""
        with self._lock:
            self._closed = True
            self._rows.clear()
            self._edges.clear()
            self._outbox.clear()
            self._ledger.clear()
            self._by_field.clear()
            self._fields_of.clear()


def _validated(entity: Entity, version: int) -> Entity:
    """Return the entity at ``version``, re-validated so the store holds valid data."""
    data = entity.model_dump(mode="json")
    data["version"] = version
    return type(entity).model_validate(data)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _entry(seq: int, data: str, deliveries: str, delivered: bool) -> OutboxEntry:
    return OutboxEntry(
        id=seq,
        notification=Notification.model_validate_json(data),
        deliveries=decode_deliveries(deliveries),
        delivered=delivered,
    )
