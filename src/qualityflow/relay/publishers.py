"""The built-in publishers: NATS JetStream, RabbitMQ, Redis Streams and Kafka.

Each is registered by URL scheme through ``qualityflow_register_publisher`` (last, so a
plugin can replace it) and imports its client library when first used, naming the
``relay`` extra when it is missing.

* ``nats://host:4222?stream=QUALITYFLOW&subject=qualityflow`` (nats-py): JetStream; the
  stream (subjects ``<subject>.>``) is created when missing; each event is published to
  ``<subject>.<type without io.qualityflow.>`` with its id as ``Nats-Msg-Id``, so the
  stream's duplicate window drops a re-published event; every publish ack is awaited.
* ``amqp://guest:guest@host:5672/%2F?exchange=qualityflow&queue=qualityflow`` (pika):
  publisher confirms; a durable topic exchange and a durable queue bound to it (``#``)
  are declared; persistent messages with ``message_id`` the event id and routing key the
  event type. RabbitMQ does not de-duplicate: consumers drop a ``message_id`` seen before.
* ``redis://host:6379/0?stream=qualityflow`` (redis-py): ``XADD`` with fields ``id``,
  ``type`` and ``event`` (the CloudEvents JSON). Redis does not de-duplicate: consumers
  drop an ``id`` seen before.
* ``kafka://host:9092?topic=qualityflow&timeout=10`` (confluent-kafka, the ``kafka`` extra):
  an idempotent producer (``enable.idempotence``, ``acks=all``), so librdkafka's own
  retries never write an event twice; each event is keyed by its id (one partition per
  id, so a re-published event lands beside the first) with the headers ``ce_id``,
  ``ce_type`` and ``content-type``, and ``publish`` returns only when every delivery
  report is in (``timeout`` seconds per message, default 10). Kafka keeps a re-published
  event as a second record: consumers drop a ``ce_id`` seen before (or compact the topic,
  which keeps the last record per key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from qualityflow.errors import QualityFlowError
from qualityflow.plugins import hookimpl
from qualityflow.relay._events import EXTRA_HINT, RelayEvent

__all__ = [
    "AMQPPublisher",
    "BuiltinPublishers",
    "KafkaPublisher",
    "NATSPublisher",
    "Publisher",
    "PublisherFactory",
    "RedisPublisher",
    "builtin_publishers",
]


class Publisher(Protocol):
    """What a relay publishes through: ``publish`` returns once the broker has them all."""

    def publish(self, events: Sequence[RelayEvent]) -> None:
        """Publish the events; raise when any was not acknowledged (all are retried)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


PublisherFactory = Callable[[str], Publisher]
"""``factory(url) -> Publisher``, as registered through ``qualityflow_register_publisher``."""


def _missing(client: str, exc: ImportError) -> QualityFlowError:
    return QualityFlowError(
        f"the relay's publisher needs {client}, which is not installed ({exc}): {EXTRA_HINT}"
    )


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class NATSPublisher:
    """Publish to a NATS JetStream stream, awaiting every ack (see the module docstring)."""

    def __init__(self, url: str) -> None:
        try:
            import nats
        except ImportError as exc:
            raise _missing("nats-py", exc) from exc
        query = _query(url)
        self.stream = query.get("stream", "QUALITYFLOW")
        self.subject = query.get("subject", "qualityflow")
        self.timeout = float(query.get("timeout", "10"))
        self.loop = asyncio.new_event_loop()
        self._nats = nats
        parts = urlsplit(url)
        self.server = f"nats://{parts.netloc}"
        self.nc: Any = None
        self.js: Any = None
        try:
            self.loop.run_until_complete(self._connect())
        except BaseException:
            self.close()
            raise

    async def _connect(self) -> None:
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        async def quiet(exc: Exception) -> None:
            """Ignore nats-py's error callback: the relay retries on the exception."""

        # One attempt (nats-py's initial connect loops while the server stays in its pool).
        self.nc = await self._nats.connect(
            self.server,
            connect_timeout=2,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.05,
            allow_reconnect=False,
            error_cb=quiet,
        )
        self.js = self.nc.jetstream(timeout=self.timeout)
        try:
            await self.js.stream_info(self.stream)
        except NotFoundError:
            await self.js.add_stream(StreamConfig(name=self.stream, subjects=[f"{self.subject}.>"]))

    async def _publish(self, events: Sequence[RelayEvent]) -> None:
        js = self.js
        prefix = "io.qualityflow."
        acks = await asyncio.gather(
            *(
                js.publish(
                    f"{self.subject}.{e.type.removeprefix(prefix)}",
                    e.body,
                    stream=self.stream,
                    headers={"Nats-Msg-Id": e.id, "content-type": "application/cloudevents+json"},
                )
                for e in events
            )
        )
        if len(acks) != len(events):  # pragma: no cover - gather returns one per call
            raise QualityFlowError("NATS JetStream acknowledged fewer events than published")

    def publish(self, events: Sequence[RelayEvent]) -> None:
        """Publish and await every ack."""
        if events:
            self.loop.run_until_complete(self._publish(events))

    def close(self) -> None:
        """Drain and close the connection and the private event loop."""
        if self.loop.is_closed():
            return
        if self.nc is not None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.nc.close())
        self.loop.close()


class AMQPPublisher:
    """Publish to RabbitMQ with publisher confirms (see the module docstring)."""

    def __init__(self, url: str) -> None:
        try:
            import pika
        except ImportError as exc:
            raise _missing("pika", exc) from exc
        self._pika = pika
        query = _query(url)
        self.exchange = query.get("exchange", "qualityflow")
        self.queue = query.get("queue", "qualityflow")
        params = pika.URLParameters(_server(url))
        params.socket_timeout = 5
        params.blocked_connection_timeout = 10
        self.conn = pika.BlockingConnection(params)
        try:
            self.channel = self.conn.channel()
            self.channel.confirm_delivery()
            self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            if self.queue:
                self.channel.queue_declare(self.queue, durable=True)
                self.channel.queue_bind(self.queue, self.exchange, routing_key="#")
        except BaseException:
            self.close()
            raise

    def publish(self, events: Sequence[RelayEvent]) -> None:
        """Publish each event persistently; each waits for the broker's confirm."""
        pika = self._pika
        for e in events:
            self.channel.basic_publish(
                self.exchange,
                e.type,
                e.body,
                properties=pika.BasicProperties(
                    message_id=e.id,
                    content_type="application/cloudevents+json",
                    delivery_mode=2,
                    type=e.type,
                ),
                mandatory=False,
            )

    def close(self) -> None:
        """Close the connection."""
        try:
            if self.conn.is_open:
                self.conn.close()
        except Exception:  # pragma: no cover - closing a broken connection
            pass


class RedisPublisher:
    """``XADD`` every event to a Redis stream in one pipeline (see the module docstring)."""

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise _missing("redis", exc) from exc
        query = _query(url)
        self.stream = query.get("stream", "qualityflow")
        parts = urlsplit(url)
        self.client = redis.Redis.from_url(
            f"{parts.scheme}://{parts.netloc}{parts.path}", socket_connect_timeout=2
        )
        self.client.ping()

    def publish(self, events: Sequence[RelayEvent]) -> None:
        """XADD the events in one transaction-less pipeline; raises if Redis refused any."""
        pipe = self.client.pipeline(transaction=False)
        for e in events:
            pipe.xadd(self.stream, {"id": e.id, "type": e.type, "event": e.body})
        pipe.execute()

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


class KafkaPublisher:
    """Publish to a Kafka topic, awaiting every delivery report (see the module docstring)."""

    def __init__(self, url: str) -> None:
        try:
            from confluent_kafka import Producer
        except ImportError as exc:
            raise QualityFlowError(
                f"the relay's kafka:// publisher needs confluent-kafka, which is not installed "
                f"({exc}): install the kafka extra: pip install 'qualityflow[kafka]'"
            ) from exc
        parts = urlsplit(url)
        if not parts.hostname:
            raise QualityFlowError(
                f"the Kafka URL {url!r} names no broker: give kafka://host:9092?topic=NAME"
            )
        query = _query(url)
        self.topic = query.get("topic", "qualityflow")
        try:
            self.timeout = float(query.get("timeout", "10"))
        except ValueError as exc:
            raise QualityFlowError(
                f"the Kafka URL's timeout={query['timeout']!r} is not a number of seconds"
            ) from exc
        self.server = f"kafka://{parts.netloc}"
        self.producer = Producer(
            {
                "bootstrap.servers": parts.netloc,
                "client.id": "qualityflow-relay",
                "enable.idempotence": True,
                "acks": "all",
                "message.timeout.ms": max(1, int(self.timeout * 1000)),
                "socket.connection.setup.timeout.ms": max(1000, int(self.timeout * 1000)),
                "logger": logging.getLogger("qualityflow.relay.kafka"),
            }
        )

    def publish(self, events: Sequence[RelayEvent]) -> None:
        """Produce every event and wait for all delivery reports; raise if any failed."""
        if not events:
            return
        failed: list[str] = []

        def report(err: Any, _msg: Any) -> None:
            if err is not None:
                failed.append(str(err))

        for e in events:
            headers: list[tuple[str, str | bytes | None]] = [
                ("ce_id", e.id.encode()),
                ("ce_type", e.type.encode()),
                ("content-type", b"application/cloudevents+json"),
            ]
            while True:
                try:
                    self.producer.produce(
                        self.topic, value=e.body, key=e.id, headers=headers, on_delivery=report
                    )
                    break
                except BufferError:  # the local queue is full: let deliveries drain
                    self.producer.poll(0.1)
        left = self.producer.flush(self.timeout + 5)
        if failed or left:
            missing = len(failed) + left
            raise QualityFlowError(
                f"Kafka at {self.server} did not acknowledge {missing} of {len(events)} "
                f"event(s) on topic {self.topic!r}: {failed[0] if failed else 'timed out'}"
            )

    def close(self) -> None:
        """Wait briefly for anything still queued; the producer holds no other resource."""
        self.producer.flush(1)


class BuiltinPublishers:
    """The built-in publishers, registered last so that plugins can replace them."""

    name = "qualityflow.relay"

    @hookimpl(trylast=True)
    def qualityflow_register_publisher(
        self, register: Callable[[str, Callable[[str], Any]], None]
    ) -> None:
        """Register ``nats``, ``amqp``/``amqps``, ``redis``/``rediss`` and ``kafka``."""
        register("nats", NATSPublisher)
        register("amqp", AMQPPublisher)
        register("amqps", AMQPPublisher)
        register("redis", RedisPublisher)
        register("rediss", RedisPublisher)
        register("kafka", KafkaPublisher)


builtin_publishers = BuiltinPublishers()
"""The plugin object registering the built-in publishers."""
