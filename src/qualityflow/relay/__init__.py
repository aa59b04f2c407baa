"""The outbox relay: publish every committed change and notification to a message broker.

``qms.relay(to="nats://127.0.0.1:4222")`` (or ``qualityflow relay --to URL``) claims the
audit ledger's entries and the outbox's notifications that have not yet been published
to that target, builds one CloudEvents 1.0 JSON message per event (``cloudevents`` SDK),
hands them to the publisher registered for the URL's scheme (hook
``qualityflow_register_publisher``) and, once the broker acknowledged them, marks them
published. Delivery is at-least-once with a stable event id; several relays share the work
(see :mod:`qualityflow.relay._claims`); a broker that is down is retried with exponential
backoff, its events released to be claimed again, nothing lost. See ``docs/relay.md``.

The broker clients and the SDK are the optional extra ``qualityflow[relay]``; Kafka's
client is the extra ``qualityflow[kafka]``.

>>> import qualityflow as qf
>>> from qualityflow.relay import publisher_factories
>>> sorted(publisher_factories(qf.QualityFlow(load_entry_points=False).plugins))
['amqp', 'amqps', 'kafka', 'nats', 'redis', 'rediss']
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualityflow.errors import ConcurrencyError, QualityFlowError, StorageError
from qualityflow.relay._claims import STREAMS, claimer_for
from qualityflow.relay._events import RelayEvent, load_cloudevents, read_events
from qualityflow.relay.publishers import Publisher, PublisherFactory, builtin_publishers
from qualityflow.storage.base import mask_url

if TYPE_CHECKING:
    from qualityflow.plugins.manager import Plugins
    from qualityflow.service import QualityFlow

__all__ = [
    "Publisher",
    "PublisherFactory",
    "RelayError",
    "RelayEvent",
    "RelayStats",
    "publisher_factories",
    "publisher_for",
    "run",
]

_SCHEME = re.compile(r"^[a-z][a-z0-9.+-]*$")


class RelayError(QualityFlowError):
    """The relay could not publish: no publisher for the URL, or the broker kept failing."""


@dataclass
class RelayStats:
    """What one :func:`run` did: events published by stream, failed attempts, last error."""

    published: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STREAMS, 0))
    failures: int = 0
    conflicts: int = 0
    """Rounds the database undid to break a deadlock with another relay (run again)."""
    last_error: str | None = None

    @property
    def total(self) -> int:
        """Events published (acknowledged by the broker) in all streams."""
        return sum(self.published.values())


def publisher_factories(plugins: Plugins) -> dict[str, PublisherFactory]:
    """Collect ``scheme -> factory`` from ``qualityflow_register_publisher``.

    Plugins are asked before the built-ins (registered ``trylast``); the first
    registration of a scheme wins, so a plugin can replace a built-in publisher.
    """
    pm = plugins.pm
    if not pm.has_plugin(builtin_publishers.name) and not pm.is_registered(builtin_publishers):
        pm.register(builtin_publishers, name=builtin_publishers.name)
    factories: dict[str, PublisherFactory] = {}

    def register(scheme: str, factory: PublisherFactory) -> None:
        if not isinstance(scheme, str) or not _SCHEME.match(scheme):
            raise RelayError(
                f"publisher scheme {scheme!r} is not valid: use lower-case letters, digits, "
                "'.', '+' or '-', starting with a letter (e.g. 'nats')"
            )
        if not callable(factory):
            raise RelayError(
                f"publisher scheme {scheme!r}: the factory must be callable as "
                f"factory(url) -> Publisher, got {factory!r}"
            )
        factories.setdefault(scheme, factory)

    pm.hook.qualityflow_register_publisher(register=register)
    return factories


def publisher_for(plugins: Plugins, to: str) -> PublisherFactory:
    """Return the factory registered for ``to``'s scheme, or say which schemes exist."""
    scheme = to.partition("://")[0].lower() if "://" in to else ""
    factories = publisher_factories(plugins)
    factory = factories.get(scheme)
    if factory is None:
        raise RelayError(
            f"relay --to {mask_url(to)!r}: no publisher for the scheme {scheme!r}; use one "
            f"of {', '.join(sorted(factories))} (or register one with "
            "qualityflow_register_publisher)"
        )
    return factory


def _stopper(stop: Any) -> Callable[[], bool]:
    if stop is None:
        return lambda: False
    if hasattr(stop, "is_set"):
        return lambda: bool(stop.is_set())
    if callable(stop):
        return lambda: bool(stop())
    raise RelayError(f"relay stop={stop!r}: give a threading.Event or a callable")


def _sleep(seconds: float, stopped: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while not stopped():
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def run(
    qms: QualityFlow,
    to: str,
    *,
    batch: int = 500,
    once: bool = False,
    stop: threading.Event | Callable[[], bool] | None = None,
    target: str | None = None,
    source: str | None = None,
    lease: float = 30.0,
    idle: float = 0.2,
    backoff: float = 0.1,
    max_backoff: float = 30.0,
    retries: int | None = None,
) -> RelayStats:
    """Relay ``qms``'s ledger and outbox to the broker at ``to``; see the module docstring.

    Parameters
    ----------
    qms:
        The service whose storage is relayed (its plugins give the publishers).
    to:
        The broker URL; its scheme picks the publisher (``nats``, ``amqp``, ``redis``...).
    batch:
        Events claimed and published at a time (per stream).
    once:
        Return when nothing is left to publish, instead of waiting for more.
    stop:
        A ``threading.Event`` (or a callable returning true) that ends the relay.
    target:
        The name under which claims are kept (default: ``to`` with its password masked):
        relays with the same target share the work, different targets each get every
        event.
    source:
        The CloudEvents ``source`` (default ``qualityflow:`` + the masked database URL).
    lease:
        Seconds a claim is this relay's; a killed relay's claims are re-published by
        another relay after it.
    idle, backoff, max_backoff:
        The pause when nothing is pending; the first pause after a failed publish,
        doubled after each further failure up to ``max_backoff``.
    retries:
        Give up (``RelayError``) after this many failures in a row (default: never).

    """
    if batch < 1:
        raise RelayError(f"relay batch={batch}: give 1 or more events per batch")
    if lease <= 0:
        raise RelayError(f"relay lease={lease}: give a positive number of seconds")
    stopped = _stopper(stop)
    factory = publisher_for(qms.plugins, to)
    ce = load_cloudevents()
    storage = qms.storage
    claimer = claimer_for(storage, target or mask_url(to), lease)
    src = source or f"qualityflow:{mask_url(storage.url)}"
    stats = RelayStats()
    publisher: Publisher | None = None
    failures = 0
    try:
        while not stopped():
            moved = 0
            failed = False
            for stream in STREAMS:
                try:
                    seqs = claimer.claim(stream, batch)
                except ConcurrencyError:
                    # Two relays' claims deadlocked and the database undid this one:
                    # nothing was claimed; try the round again after a pause.
                    stats.conflicts += 1
                    failed = True
                    _sleep(idle, stopped)
                    break
                if not seqs:
                    continue
                try:
                    events = read_events(storage, stream, seqs, src, ce)
                    if publisher is None:
                        publisher = factory(to)
                    publisher.publish(events)
                except (StorageError, RelayError, KeyboardInterrupt):
                    claimer.release(stream, seqs)
                    raise
                except Exception as exc:
                    claimer.release(stream, seqs)
                    if publisher is not None:
                        with contextlib.suppress(Exception):
                            publisher.close()
                    publisher = None
                    failures += 1
                    stats.failures += 1
                    stats.last_error = f"{type(exc).__name__}: {exc}"
                    if retries is not None and failures > retries:
                        raise RelayError(
                            f"relay --to {mask_url(to)}: the broker failed {failures} times "
                            f"in a row (last: {stats.last_error}); nothing was marked "
                            "published: start the relay again when the broker is up"
                        ) from exc
                    _sleep(min(max_backoff, backoff * 2 ** (failures - 1)), stopped)
                    failed = True
                    break
                try:
                    claimer.published(stream, seqs)
                except ConcurrencyError:
                    # Not marked: the claims stay leased to this relay and are published
                    # again when the lease ends (the broker drops the repeat by its id).
                    stats.conflicts += 1
                    failed = True
                    break
                stats.published[stream] += len(events)
                moved += len(seqs)
                failures = 0
            if failed:
                continue
            if moved == 0:
                if once:
                    break
                _sleep(idle, stopped)
    finally:
        if publisher is not None:
            publisher.close()
    return stats
