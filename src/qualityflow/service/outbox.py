"""The outbox: notifications queued with each change, delivered after its commit.

A change and its notifications commit together (the storage's outbox table), so a crash
loses neither. Right after the commit the service delivers them to every notifier through
pluggy and records, per notifier, whether it took each one; what failed stays pending and
is retried by :meth:`Outbox.deliver_pending`, never lost and never sent twice to a notifier
that already took it. Commands that fire inside a larger transaction hold deliveries back
until the whole change has committed (:meth:`Outbox._delivering_after`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from qualityflow.models import Notification
from qualityflow.plugins.manager import Plugins
from qualityflow.storage import Delivery, OutboxEntry, Storage

__all__ = ["Outbox"]

log = logging.getLogger("qualityflow.service.facade")

_NOT_YET = Delivery(ok=False, attempts=0)


class Outbox:
    """Deliver queued notifications after their commit (a part of ``QualityFlow``)."""

    storage: Storage
    plugins: Plugins
    _collector: threading.local

    @contextmanager
    def _collecting(self) -> Iterator[list[tuple[int | None, Notification]]]:
        """Collect the notifications queued by a fire's side effects, to deliver after it."""
        previous = getattr(self._collector, "queued", None)
        queued: list[tuple[int | None, Notification]] = []
        self._collector.queued = queued
        try:
            yield queued
        finally:
            self._collector.queued = previous

    def _deliver_new(self, queued: Sequence[tuple[int | None, Notification]]) -> None:
        deferred = getattr(self._collector, "deferred", None)
        if deferred is not None:  # inside a command's outer transaction: deliver after it
            deferred.extend(queued)
            return
        entries = [OutboxEntry(id=i, notification=n) for i, n in queued if i is not None]
        self._deliver(entries)

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
        deferred: list[tuple[int | None, Notification]] = []
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
