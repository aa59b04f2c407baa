"""Claiming events for a relay: which ledger entries and outbox rows it publishes next.

Two streams are relayed: ``ledger`` (the audit ledger, seq gap-free and committed in seq
order, because every writer holds the ledger head's row lock until it commits) and
``outbox`` (the notifications; their seq comes from an identity column, so on a server two
transactions may commit out of seq order).

A claim is a row of ``qf_relay_claims`` (target, stream, seq, lease_until, published).
Claiming runs in one short transaction that locks the target's ``qf_relay_cursor`` row
(``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``; memory: the storage's lock), so
two relays never claim the same event while its lease runs. Expired leases (a relay killed
between claiming and publishing) are taken over first, with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL and MariaDB. After the broker acknowledged a batch, its claims are marked
published. The ledger stream's published claims are folded into the cursor's ``floor``
(every seq up to it is published); the outbox stream's claims are kept (one small row per
notification, as the outbox keeps the notification itself), since a lower outbox seq can
still commit after a higher one.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qualityflow.errors import ConcurrencyError, StorageError

__all__ = ["STREAMS", "Claimer", "claimer_for"]

STREAMS = ("ledger", "outbox")
"""The relayed streams, in the order a relay drains them."""


@dataclass
class _MemoryState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (target, stream) -> seq -> (lease_until, published)
    claims: dict[tuple[str, str], dict[int, tuple[float, bool]]] = field(default_factory=dict)
    floor: dict[tuple[str, str], int] = field(default_factory=dict)


_MEMORY: weakref.WeakKeyDictionary[Any, _MemoryState] = weakref.WeakKeyDictionary()
_MEMORY_LOCK = threading.Lock()


class Claimer:
    """Claim, release and mark published the events of one target on one storage."""

    def __init__(self, storage: Any, target: str, lease: float) -> None:
        self.storage = storage
        self.target = target
        self.lease = lease

    def claim(self, stream: str, limit: int) -> list[int]:  # pragma: no cover - interface
        raise NotImplementedError

    def release(self, stream: str, seqs: Sequence[int]) -> None:  # pragma: no cover
        raise NotImplementedError

    def published(self, stream: str, seqs: Sequence[int]) -> None:  # pragma: no cover
        raise NotImplementedError

    def pending(self, stream: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError


class MemoryClaimer(Claimer):
    """Claims kept beside a :class:`~qualityflow.storage.MemoryStorage` (one process)."""

    def __init__(self, storage: Any, target: str, lease: float) -> None:
        super().__init__(storage, target, lease)
        with _MEMORY_LOCK:
            state = _MEMORY.get(storage)
            if state is None:
                state = _MEMORY[storage] = _MemoryState()
        self.state = state

    def _source(self, stream: str) -> list[int]:
        with self.storage._lock:
            if stream == "ledger":
                return [e.seq for e in self.storage._ledger]
            return sorted(self.storage._outbox)

    def claim(self, stream: str, limit: int) -> list[int]:
        key = (self.target, stream)
        now = time.time()
        with self.state.lock:
            claims = self.state.claims.setdefault(key, {})
            floor = self.state.floor.get(key, 0)
            taken = sorted(s for s, (until, done) in claims.items() if not done and until < now)
            taken = taken[:limit]
            for seq in self._source(stream):
                if len(taken) >= limit:
                    break
                if seq > floor and seq not in claims:
                    taken.append(seq)
            for seq in taken:
                claims[seq] = (now + self.lease, False)
            return sorted(taken)

    def release(self, stream: str, seqs: Sequence[int]) -> None:
        with self.state.lock:
            claims = self.state.claims.setdefault((self.target, stream), {})
            for seq in seqs:
                if seq in claims and not claims[seq][1]:
                    claims[seq] = (0.0, False)

    def published(self, stream: str, seqs: Sequence[int]) -> None:
        key = (self.target, stream)
        with self.state.lock:
            claims = self.state.claims.setdefault(key, {})
            for seq in seqs:
                claims[seq] = (0.0, True)
            if stream == "ledger" and claims:
                open_ = [s for s, (_, done) in claims.items() if not done]
                floor = min(open_) - 1 if open_ else max(claims)
                for seq in [s for s in claims if s <= floor]:
                    del claims[seq]
                self.state.floor[key] = max(floor, self.state.floor.get(key, 0))

    def pending(self, stream: str) -> int:
        key = (self.target, stream)
        with self.state.lock:
            claims = self.state.claims.get(key, {})
            floor = self.state.floor.get(key, 0)
            return sum(
                1
                for seq in self._source(stream)
                if seq > floor and not (seq in claims and claims[seq][1])
            )


class SQLClaimer(Claimer):
    """Claims in ``qf_relay_claims`` / ``qf_relay_cursor`` of an SQL storage."""

    def __init__(self, storage: Any, target: str, lease: float) -> None:
        super().__init__(storage, target, lease)
        import sqlalchemy as sa

        from qualityflow.storage import sql

        self.sa = sa
        self.claims = sql.relay_claims_table
        self.cursor = sql.relay_cursor_table
        self.sources = {
            "ledger": sql.ledger_table.c.seq,
            "outbox": sql.outbox_table.c.seq,
        }
        self.engine = storage.engine
        name = self.engine.dialect.name
        self.skip_locked = name in ("postgresql", "mysql", "mariadb")
        for stream in STREAMS:
            self._ensure_cursor(stream)

    def _error(self, exc: BaseException) -> StorageError | ConcurrencyError:
        from qualityflow.storage.sql import rolled_back_for_concurrency

        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        where = f"relay {self.target} on storage {self.storage.url}"
        if rolled_back_for_concurrency(exc):
            # A deadlock between two relays' claims (MariaDB): the server undid this
            # transaction and nothing of it was written; the relay runs the round again.
            return ConcurrencyError(
                f"{where}: the database rolled this transaction back because a concurrent "
                f"one conflicted with it ({type(exc).__name__}: {detail}); run it again"
            )
        return StorageError(f"{where}: {type(exc).__name__}: {detail}")

    def _ensure_cursor(self, stream: str) -> None:
        sa = self.sa
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        where = (self.cursor.c.target == self.target) & (self.cursor.c.stream == stream)
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(self.cursor.c.floor).where(where)).first() is None:
                    conn.execute(
                        self.cursor.insert().values(target=self.target, stream=stream, floor=0)
                    )
        except IntegrityError:
            return  # another relay created it at the same time
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def _where(self, table: Any, stream: str) -> Any:
        return (table.c.target == self.target) & (table.c.stream == stream)

    def claim(self, stream: str, limit: int) -> list[int]:
        sa = self.sa
        from sqlalchemy.exc import SQLAlchemyError

        claims = self.claims
        source = self.sources[stream]
        now = time.time()
        try:
            with self.engine.begin() as conn:
                floor = conn.execute(
                    sa.select(self.cursor.c.floor)
                    .where(self._where(self.cursor, stream))
                    .with_for_update()
                ).scalar_one()
                expired_q = (
                    sa.select(claims.c.seq)
                    .where(
                        self._where(claims, stream),
                        claims.c.published == sa.false(),
                        claims.c.lease_until < now,
                    )
                    .order_by(claims.c.seq)
                    .limit(limit)
                )
                if self.skip_locked:
                    expired_q = expired_q.with_for_update(skip_locked=True)
                taken = [int(s) for s in conn.execute(expired_q).scalars()]
                if taken:
                    conn.execute(
                        claims.update()
                        .where(self._where(claims, stream), claims.c.seq.in_(taken))
                        .values(lease_until=now + self.lease)
                    )
                room = limit - len(taken)
                if room > 0:
                    claimed = (
                        sa.select(claims.c.seq)
                        .where(self._where(claims, stream), claims.c.seq == source)
                        .exists()
                    )
                    fresh = [
                        int(s)
                        for s in conn.execute(
                            sa.select(source)
                            .where(source > floor, ~claimed)
                            .order_by(source)
                            .limit(room)
                        ).scalars()
                    ]
                    if fresh:
                        conn.execute(
                            claims.insert(),
                            [
                                {
                                    "target": self.target,
                                    "stream": stream,
                                    "seq": seq,
                                    "lease_until": now + self.lease,
                                    "published": False,
                                }
                                for seq in fresh
                            ],
                        )
                    taken.extend(fresh)
                return sorted(taken)
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def release(self, stream: str, seqs: Sequence[int]) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        if not seqs:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    self.claims.update()
                    .where(
                        self._where(self.claims, stream),
                        self.claims.c.seq.in_(list(seqs)),
                        self.claims.c.published == self.sa.false(),
                    )
                    .values(lease_until=0.0)
                )
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc

    def published(self, stream: str, seqs: Sequence[int]) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        claims = self.claims
        if not seqs:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    claims.update()
                    .where(self._where(claims, stream), claims.c.seq.in_(list(seqs)))
                    .values(published=True, lease_until=0.0)
                )
            if stream != "ledger":
                return
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc
        try:
            self._fold(stream)
        except SQLAlchemyError as exc:
            error = self._error(exc)
            if isinstance(error, ConcurrencyError):
                return  # the claims are marked; the next published() folds them
            raise error from exc

    def _fold(self, stream: str) -> None:
        """Fold the ledger stream's published claims below the lowest open one into the floor."""
        sa = self.sa
        claims = self.claims
        with self.engine.begin() as conn:
            floor = conn.execute(
                sa.select(self.cursor.c.floor)
                .where(self._where(self.cursor, stream))
                .with_for_update()
            ).scalar_one()
            lowest_open = conn.execute(
                sa.select(sa.func.min(claims.c.seq)).where(
                    self._where(claims, stream), claims.c.published == sa.false()
                )
            ).scalar()
            if lowest_open is not None:
                new_floor = int(lowest_open) - 1
            else:
                top = conn.execute(
                    sa.select(sa.func.max(claims.c.seq)).where(self._where(claims, stream))
                ).scalar()
                new_floor = int(floor) if top is None else int(top)
            if new_floor > int(floor):
                conn.execute(
                    claims.delete().where(self._where(claims, stream), claims.c.seq <= new_floor)
                )
                conn.execute(
                    self.cursor.update()
                    .where(self._where(self.cursor, stream))
                    .values(floor=new_floor)
                )

    def pending(self, stream: str) -> int:
        sa = self.sa
        from sqlalchemy.exc import SQLAlchemyError

        claims = self.claims
        source = self.sources[stream]
        try:
            with self.engine.connect() as conn:
                floor = conn.execute(
                    sa.select(self.cursor.c.floor).where(self._where(self.cursor, stream))
                ).scalar_one()
                done = (
                    sa.select(claims.c.seq)
                    .where(
                        self._where(claims, stream),
                        claims.c.seq == source,
                        claims.c.published == sa.true(),
                    )
                    .exists()
                )
                return int(
                    conn.execute(
                        sa.select(sa.func.count())
                        .select_from(source.table)
                        .where(source > floor, ~done)
                    ).scalar_one()
                )
        except SQLAlchemyError as exc:
            raise self._error(exc) from exc


def claimer_for(storage: Any, target: str, lease: float) -> Claimer:
    """Return the claimer for ``storage``: SQL tables, or beside a memory storage."""
    from qualityflow.storage import MemoryStorage

    if isinstance(storage, MemoryStorage):
        return MemoryClaimer(storage, target, lease)
    if hasattr(storage, "engine") and hasattr(storage, "audit_snapshot"):
        return SQLClaimer(storage, target, lease)
    raise StorageError(
        f"storage {getattr(storage, 'url', storage)!r} cannot be relayed: the relay needs a "
        "built-in backend (memory://, sqlite:///, postgresql://, mysql://) that keeps the "
        "audit ledger"
    )
