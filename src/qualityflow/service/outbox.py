"""The outbox: notifications queued with each change, delivered after its commit.

A change and its notifications commit together (the storage's outbox table), so a crash
loses neither. Right after the commit the service delivers them to every notifier through
pluggy and records, per notifier, whether it took each one; what failed stays pending and
is retried by :meth:`Outbox.deliver_pending`, never lost and never sent twice to a notifier
that already took it. Commands that fire inside a larger transaction hold deliveries back
until the whole change has committed (:meth:`Outbox._delivering_after`).

A notifier whose plugin declares ``qualityflow_record_with_change = True`` (the built-in
:class:`qualityflow.LoggingNotifier` does) has its delivery recorded in the change's own
transaction and is called right after the commit: when every notifier is of that kind (the
default set-up), a change commits once instead of twice. Its delivery is at most once: a
crash between the commit and the call loses that one log line (the outbox entry and the
audit ledger hold the change); a call that fails is recorded as failed and retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from qualityflow.models import Notification
from qualityflow.plugins.manager import Plugins
from qualityflow.storage import (
    DeliveredStorage,
    Delivery,
    IncrementalStorage,
    OutboxEntry,
    Storage,
)

__all__ = ["Outbox", "Queued"]

log = logging.getLogger("qualityflow.service.facade")

_NOT_YET = Delivery(ok=False, attempts=0)
_TOOK_IT = Delivery(ok=True, attempts=1)


class Queued(NamedTuple):
    """A notification queued in the outbox by a change, to deliver after its commit."""

    id: int | None
    """The outbox entry (``None``: the notification id was queued before, nothing new)."""
    notification: Notification
    recorded: bool = False
    """Whether every notifier's delivery was recorded with the change (see the module)."""


class Outbox:
    """Deliver queued notifications after their commit (a part of ``QualityFlow``)."""

    storage: Storage
    plugins: Plugins
    _collector: threading.local
    _delivered_check: tuple[Storage, DeliveredStorage | None]

    def _enqueue(self, notification: Notification) -> Queued:
        """Queue ``notification`` in the current transaction (one of its own if none).

        When every registered notifier records with the change (or there is none), its
        deliveries are recorded here too, so that the change needs no second commit.
        """
        storage = self.storage
        names = self.plugins.notifiers_recorded_with_change()
        delivered = self._delivered_storage() if names is not None else None
        if names is not None and delivered is not None:
            # Queued with its deliveries in one write (the change needs no update after).
            with storage.transaction():
                seq = delivered.enqueue_delivered(notification, dict.fromkeys(names, _TOOK_IT))
            return Queued(seq, notification, recorded=seq is not None)
        with storage.transaction():
            [queued] = self._recorded([storage.enqueue(notification)], [notification], names)
        return queued

    def _delivered_storage(self) -> DeliveredStorage | None:
        """Return the storage when it is a ``DeliveredStorage``, asked once per storage.

        A runtime protocol check inspects every member of the protocol (about 20 µs), too
        much to repeat on every ``fire``.
        """
        known = getattr(self, "_delivered_check", None)
        if known is None or known[0] is not self.storage:
            storage = self.storage
            known = (storage, storage if isinstance(storage, DeliveredStorage) else None)
            self._delivered_check = known
        return known[1]

    def _enqueue_many(self, notifications: Sequence[Notification]) -> list[Queued]:
        """Queue ``notifications`` in one transaction, set-based where the storage can.

        As :meth:`_enqueue` one by one: ids queued before are skipped, and the deliveries
        of notifiers that record with the change are recorded in the same transaction.
        """
        storage = self.storage
        with storage.transaction():
            if isinstance(storage, IncrementalStorage):
                seqs = storage.enqueue_many(notifications)
            else:
                seqs = [storage.enqueue(n) for n in notifications]
            return self._recorded(
                seqs, notifications, self.plugins.notifiers_recorded_with_change()
            )

    def _recorded(
        self,
        seqs: Sequence[int | None],
        notifications: Sequence[Notification],
        names: Sequence[str] | None,
    ) -> list[Queued]:
        """Record, in the open transaction, the deliveries that go with the change.

        ``names`` are the notifiers that record with the change (``None``: not all of
        them do, so nothing is recorded here).
        """
        if names is not None:
            took = dict.fromkeys(names, _TOOK_IT)
            for seq in seqs:
                if seq is not None:
                    self.storage.update_delivery(seq, took, delivered=True)
        return [
            Queued(seq, n, recorded=names is not None and seq is not None)
            for seq, n in zip(seqs, notifications, strict=True)
        ]

    @contextmanager
    def _collecting(self) -> Iterator[list[Queued]]:
        """Collect the notifications queued by a fire's side effects, to deliver after it."""
        previous = getattr(self._collector, "queued", None)
        queued: list[Queued] = []
        self._collector.queued = queued
        try:
            yield queued
        finally:
            self._collector.queued = previous

    def _deliver_new(self, queued: Sequence[Queued]) -> None:
        deferred = getattr(self._collector, "deferred", None)
        if deferred is not None:  # inside a command's outer transaction: deliver after it
            deferred.extend(queued)
            return
        self._deliver(
            [
                OutboxEntry(id=q.id, notification=q.notification)
                for q in queued
                if q.id is not None and not q.recorded
            ]
        )
        for q in queued:
            if q.id is not None and q.recorded:
                self._deliver_recorded(q.id, q.notification)

    def _deliver_recorded(self, entry_id: int, notification: Notification) -> None:
        """Call the notifiers whose delivery was recorded with the change; note failures."""
        results = self.plugins.notify(notification)
        if all(result.ok for result in results):
            return
        deliveries = {r.notifier: Delivery(r.ok, 1, r.error) for r in results}
        try:
            self.storage.update_delivery(entry_id, deliveries, delivered=False)
        except Exception:
            log.exception("could not record the failed delivery of outbox entry %s", entry_id)

    @contextmanager
    def _delivering_after(self) -> Iterator[None]:
        """Hold back deliveries until the block (a command's outer transaction) is done.

        A command that runs ``fire`` inside its own transaction (``escalate`` opens the
        incident and fires in one) wraps the transaction in this, so nothing is delivered
        before the whole change has committed; a block that raises delivers nothing.
        """
        if getattr(self._collector, "deferred", None) is not None:
            yield  # an outer block delivers
            return
        deferred: list[Queued] = []
        self._collector.deferred = deferred
        try:
            yield
        finally:
            self._collector.deferred = None
        self._deliver_new(deferred)

    def _deliver(self, entries: Iterable[OutboxEntry]) -> list[OutboxEntry]:
        notifier_names = [name for name, _ in self.plugins.notifiers()]
        still_pending: list[OutboxEntry] = []
        for entry in entries:
            due = [n for n in notifier_names if not entry.deliveries.get(n, _NOT_YET).ok]
            deliveries = dict(entry.deliveries)
            for result in self.plugins.notify(entry.notification, only=due):
                previous = deliveries.get(result.notifier)
                attempts = 1 if previous is None else previous.attempts + 1
                deliveries[result.notifier] = Delivery(result.ok, attempts, result.error)
            delivered = all(deliveries.get(n, _NOT_YET).ok for n in notifier_names)
            try:
                self.storage.update_delivery(entry.id, deliveries, delivered=delivered)
            except Exception:
                # The change has committed; a failure to record the delivery only means
                # it is tried again by deliver_pending().
                log.exception("could not record the delivery of outbox entry %s", entry.id)
            entry.deliveries, entry.delivered = deliveries, delivered
            if not delivered:
                still_pending.append(entry)
        return still_pending

    def deliver_pending(self) -> list[OutboxEntry]:
        """Retry every undelivered notification; return those still undelivered.

        Each notifier that has not yet taken an entry is tried again; those that have are
        not called twice.
        """
        return self._deliver(self.storage.outbox())
