"""The outbox relay: claims shared by several relays, CloudEvents, the real brokers."""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.errors import QualityFlowError
from qualityflow.relay import RelayError, RelayStats, publisher_factories
from qualityflow.relay._claims import claimer_for
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database
from relay_helpers import AMQP_URL, REDIS_URL, jetstream_messages, nats_target, need

BACKENDS = ["memory", "sqlite", "postgresql", "mysql"]
_ENV = {"postgresql": POSTGRESQL_ENV, "mysql": MYSQL_ENV}
AT = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def _server(name: str) -> Iterator[str]:
    try:
        with temporary_database(server_url(_ENV[name])) as database_url:
            yield database_url
    except ConnectionError as exc:
        pytest.skip(f"{name} tests skipped ({_ENV[name]} or its default): {exc}")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each backend (servers: skipped with the reason if down)."""
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    else:
        yield from _server(request.param)


@pytest.fixture(params=BACKENDS[1:])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database several QualityFlow instances (relays) open: SQLite file or a server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    else:
        yield from _server(request.param)


def _write(qms: qf.QualityFlow, n: int, prefix: str = "S") -> None:
    for i in range(n):
        qms.suppliers.add(qf.Supplier(id=f"{prefix}-{i}", name=f"Supplier {i}"))


def _notice(i: int) -> qf.Notification:
    return qf.Notification(
        kind="transition",
        subject_kind="incident",
        subject_id=f"INC-{i}",
        title=f"incident {i} contained",
        at=AT,
        id=f"note-{i}",
    )


# -- claims ------------------------------------------------------------------------------


def test_two_claimers_never_claim_the_same_event(url: str) -> None:
    qms = qf.QualityFlow(url, load_entry_points=False)
    _write(qms, 30)
    a = claimer_for(qms.storage, "bus", lease=60)
    b = claimer_for(qms.storage, "bus", lease=60)
    first, second = a.claim("ledger", 20), b.claim("ledger", 20)
    assert first == list(range(1, 21))
    assert second == list(range(21, 31))
    assert b.claim("ledger", 20) == []
    # Another target gets every event again.
    assert claimer_for(qms.storage, "lake", lease=60).claim("ledger", 100) == list(range(1, 31))
    assert a.pending("ledger") == 30
    a.published("ledger", first)
    assert a.pending("ledger") == 10
    b.published("ledger", second)
    assert a.pending("ledger") == 0
    qms.close()


def test_an_expired_lease_is_claimed_again_and_a_released_one_at_once(url: str) -> None:
    qms = qf.QualityFlow(url, load_entry_points=False)
    _write(qms, 5)
    for i in range(3):
        qms.storage.enqueue(_notice(i))
    killed = claimer_for(qms.storage, "bus", lease=1.0)
    assert killed.claim("ledger", 10) == [1, 2, 3, 4, 5]
    assert killed.claim("outbox", 10) == [1, 2, 3]
    other = claimer_for(qms.storage, "bus", lease=60)
    assert other.claim("ledger", 10) == []
    import time

    time.sleep(1.1)
    assert other.claim("ledger", 3) == [1, 2, 3]
    assert other.claim("ledger", 10) == [4, 5]
    assert other.claim("outbox", 10) == [1, 2, 3]
    other.release("outbox", [2])
    assert killed.claim("outbox", 10) == [2]
    qms.close()


# -- events ------------------------------------------------------------------------------


class Collect:
    """A publisher plugin for ``collect://`` keeping what it was given (the hook's contract)."""

    name = "collect-publisher"

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    @qf.hookimpl
    def qualityflow_register_publisher(self, register: object) -> None:
        outer = self

        class Pub:
            def __init__(self, url: str) -> None:
                self.url = url

            def publish(self, events: list[object]) -> None:
                outer.events.extend(json.loads(e.body) for e in events)  # type: ignore[attr-defined]

            def close(self) -> None:
                pass

        register("collect", Pub)  # type: ignore[operator]


def test_cloudevents_for_ledger_entries_and_notifications(url: str) -> None:
    sink = Collect()
    qms = qf.QualityFlow(url, plugins=[sink], load_entry_points=False)
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    mill = qms.suppliers.get("SUP-MILL")
    qms.storage.save(mill.model_copy(update={"name": "Northfield Mills"}))
    qms.storage.enqueue(_notice(1))
    stats = qms.relay("collect://", once=True)
    assert isinstance(stats, RelayStats)
    assert stats.published == {"ledger": 2, "outbox": 1}
    first, second, note = sink.events
    snapshot = qms.storage.audit_snapshot()  # type: ignore[attr-defined]
    assert first["specversion"] == "1.0"
    assert first["id"] == snapshot.ledger[0].hash
    assert first["type"] == "io.qualityflow.supplier.changed"
    assert first["subject"] == "supplier/SUP-MILL"
    assert str(first["source"]).startswith("qualityflow:")
    data = first["data"]
    assert isinstance(data, dict)
    assert data["version"] == 1 and data["digest"] == snapshot.ledger[0].digest
    # Version 1 was superseded before the relay ran: a reference only.
    assert data["entity"] is None
    second_data = second["data"]
    assert isinstance(second_data, dict)
    assert second_data["entity"]["name"] == "Northfield Mills"
    assert note["type"] == "io.qualityflow.notification.transition"
    assert str(note["id"]).startswith("outbox-")
    assert note["subject"] == "incident/INC-1"
    # Nothing is left: a second run publishes nothing; the ids are stable.
    assert qms.relay("collect://", once=True).total == 0
    qms.relay("collect://", once=True, target="another")
    assert [e["id"] for e in sink.events[3:]] == [e["id"] for e in sink.events[:3]]
    qms.close()


def test_a_plugin_publisher_replaces_a_builtin_and_bad_urls_are_refused() -> None:
    class Fake(Collect):
        @qf.hookimpl
        def qualityflow_register_publisher(self, register: object) -> None:
            register("nats", lambda url: None)  # type: ignore[operator]

    qms = qf.QualityFlow(plugins=[Fake()], load_entry_points=False)
    factories = publisher_factories(qms.plugins)
    assert factories["nats"].__name__ == "<lambda>"
    with pytest.raises(RelayError, match=r"no publisher for the scheme 'mqtt'.*amqp"):
        qms.relay("mqtt://127.0.0.1:1883", once=True)
    with pytest.raises(RelayError, match="batch=0"):
        qms.relay("collect://", batch=0)


def test_the_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cloudevents", None)
    monkeypatch.setitem(sys.modules, "cloudevents.core.formats.json", None)
    monkeypatch.setitem(sys.modules, "cloudevents.core.v1.event", None)
    qms = qf.QualityFlow(plugins=[Collect()], load_entry_points=False)
    with pytest.raises(QualityFlowError, match=r"qualityflow\[relay\]"):
        qms.relay("collect://", once=True)


# -- NATS JetStream --------------------------------------------------------------------


def test_nats_two_relays_deliver_each_event_exactly_once(shared_url: str) -> None:
    to, stream = nats_target()
    writer = qf.QualityFlow(shared_url, load_entry_points=False)
    _write(writer, 300)
    for i in range(20):
        writer.storage.enqueue(_notice(i))
    relays = [qf.QualityFlow(shared_url, load_entry_points=False) for _ in range(2)]
    results: list[RelayStats] = []
    done = threading.Event()

    def go(qms: qf.QualityFlow) -> None:
        results.append(qms.relay(to, batch=40, stop=done, idle=0.05))

    threads = [threading.Thread(target=go, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    _write(writer, 100, prefix="LATE")  # written while the relays run
    import time

    deadline = time.monotonic() + 60
    claimer = claimer_for(writer.storage, to, lease=30)
    while time.monotonic() < deadline and (claimer.pending("ledger") or claimer.pending("outbox")):
        time.sleep(0.1)
    done.set()
    for t in threads:
        t.join(30)
    arrived = jetstream_messages(stream)
    ids = [i for i, _ in arrived]
    assert len(set(ids)) == 420
    # Without a crash no event is even published twice: the claims never overlap.
    assert sum(r.total for r in results) == 420
    # (How the 420 split between the two depends on the scheduler: on a loaded machine one
    # relay may claim every batch before the other starts. What must hold is above: each
    # event claimed and published by exactly one of them.)
    assert len(results) == 2
    hashes = {e.hash for e in writer.storage.audit_snapshot().ledger}  # type: ignore[attr-defined]
    assert hashes <= set(ids)
    for qms in (writer, *relays):
        qms.close()


def test_a_dead_broker_is_retried_with_backoff_and_nothing_is_lost(tmp_path: Path) -> None:
    to, stream = nats_target()
    qms = qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False)
    _write(qms, 50)
    dead = "nats://127.0.0.1:1"
    with pytest.raises(RelayError, match=r"failed 3 times in a row.*nothing was marked"):
        qms.relay(dead, once=True, target="plant-bus", backoff=0.01, retries=2)
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    stats = qms.relay(dead, target="plant-bus", backoff=0.01, max_backoff=0.1, stop=stop)
    assert stats.total == 0 and stats.failures >= 3
    assert stats.last_error is not None
    # The same target on a live broker then publishes every event, none lost.
    stats = qms.relay(to, once=True, target="plant-bus")
    assert stats.published["ledger"] == 50
    assert len({i for i, _ in jetstream_messages(stream)}) == 50
    qms.close()


# -- RabbitMQ and Redis ------------------------------------------------------------------


def test_rabbitmq_with_publisher_confirms(tmp_path: Path) -> None:
    need(5672, "RabbitMQ")
    import pika

    name = "qft-" + uuid.uuid4().hex[:10]
    qms = qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False)
    _write(qms, 25)
    qms.storage.enqueue(_notice(1))
    stats = qms.relay(f"{AMQP_URL}?exchange={name}&queue={name}", once=True)
    assert stats.total == 26
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        ch = conn.channel()
        seen: list[str] = []
        while True:
            method, props, body = ch.basic_get(name, auto_ack=True)
            if method is None:
                break
            event = json.loads(body)
            assert props.message_id == event["id"]
            assert props.content_type == "application/cloudevents+json"
            seen.append(event["type"])
        assert len(seen) == 26
        assert seen.count("io.qualityflow.notification.transition") == 1
        ch.queue_delete(name)
        ch.exchange_delete(name)
    finally:
        conn.close()
    qms.close()


def test_redis_streams(tmp_path: Path) -> None:
    need(6379, "Redis")
    import redis

    key = "qft-" + uuid.uuid4().hex[:10]
    qms = qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False)
    _write(qms, 25)
    assert qms.relay(f"{REDIS_URL}?stream={key}", once=True).total == 25
    client = redis.Redis.from_url(REDIS_URL)
    try:
        entries: Any = client.xrange(key)
        assert len(entries) == 25
        fields = entries[0][1]
        event = json.loads(fields[b"event"])
        assert fields[b"id"].decode() == event["id"]
        assert fields[b"type"].decode() == "io.qualityflow.supplier.changed"
    finally:
        client.delete(key)
        client.close()
    qms.close()


# -- Kafka (the kafka extra) -------------------------------------------------------------

KAFKA_URL = os.environ.get("QUALITYFLOW_TEST_KAFKA_URL", "kafka://127.0.0.1:9092")


def test_kafka_with_its_broker_down_is_retried_and_loses_nothing(tmp_path: Path) -> None:
    # No broker listens on port 1: every delivery report is an error, the relay gives up
    # after its retries, nothing is marked published, and a live target then gets it all.
    pytest.importorskip("confluent_kafka", reason="the kafka extra is not installed")
    collect = Collect()
    qms = qf.QualityFlow(
        f"sqlite:///{tmp_path / 'plant.db'}", plugins=[collect], load_entry_points=False
    )
    _write(qms, 12)
    with pytest.raises(RelayError, match=r"failed 2 times in a row.*nothing was marked") as err:
        qms.relay(
            "kafka://127.0.0.1:1?topic=plant&timeout=1",
            once=True,
            target="bus",
            backoff=0.01,
            retries=1,
        )
    assert "Kafka at kafka://127.0.0.1:1 did not acknowledge 12 of 12" in str(err.value)
    stats = qms.relay("collect://", once=True, target="bus")
    assert stats.published["ledger"] == 12 and len(collect.events) == 12
    qms.close()


def test_kafka_urls_are_checked_before_anything_is_claimed() -> None:
    pytest.importorskip("confluent_kafka", reason="the kafka extra is not installed")
    from qualityflow.relay.publishers import KafkaPublisher

    with pytest.raises(QualityFlowError, match="names no broker"):
        KafkaPublisher("kafka:///?topic=plant")
    with pytest.raises(QualityFlowError, match="timeout='soon' is not a number"):
        KafkaPublisher("kafka://127.0.0.1:9092?timeout=soon")


def test_kafka_round_trip_keyed_by_event_id(tmp_path: Path) -> None:
    confluent_kafka = pytest.importorskip(
        "confluent_kafka", reason="the kafka extra is not installed"
    )
    from urllib.parse import urlsplit

    need(
        urlsplit(KAFKA_URL).port or 9092,
        "Kafka",
        "no Kafka broker is packaged for PyPI or Debian, so .ci/run cannot start one; "
        "set QUALITYFLOW_TEST_KAFKA_URL=kafka://host:port to run this test",
    )
    topic = "qft-" + uuid.uuid4().hex[:10]
    qms = qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False)
    _write(qms, 25)
    assert qms.relay(f"{KAFKA_URL}?topic={topic}", once=True).total == 25
    consumer = confluent_kafka.Consumer(
        {
            "bootstrap.servers": urlsplit(KAFKA_URL).netloc,
            "group.id": topic,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    seen: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(300):
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                if len(seen) == 25:
                    break
                continue
            event = json.loads(msg.value())
            headers = dict(msg.headers() or [])
            assert msg.key().decode() == event["id"] == headers["ce_id"].decode()
            seen[event["id"]] = event
    finally:
        consumer.close()
    assert len(seen) == 25
    qms.close()


# -- the command -------------------------------------------------------------------------


def test_the_relay_command(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from qualityflow.cli.relay import relay_app

    need(6379, "Redis")
    import redis

    app = typer.Typer()
    app.add_typer(relay_app, name="relay")  # the integrator mounts it on the main app
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    qms = qf.QualityFlow(db, load_entry_points=False)
    _write(qms, 3)
    qms.close()
    key = "qft-" + uuid.uuid4().hex[:10]
    runner = CliRunner()
    done = runner.invoke(app, ["relay", "--to", f"{REDIS_URL}?stream={key}", "--once", "--db", db])
    assert done.exit_code == 0, done.output
    assert "published 3 events (3 changes, 0 notifications)" in done.output
    client = redis.Redis.from_url(REDIS_URL)
    assert client.xlen(key) == 3
    client.delete(key)
    client.close()
    bad = runner.invoke(app, ["relay", "--to", "mqtt://127.0.0.1:1883", "--once", "--db", db])
    assert bad.exit_code == 2 and "no publisher for the scheme 'mqtt'" in _flat(bad.output)
    dead = ["relay", "--to", "nats://127.0.0.1:1", "--once", "--retries", "0", "--db", db]
    down = runner.invoke(app, dead)
    assert down.exit_code == 1 and "nothing was marked published" in _flat(down.output)


def _flat(text: str) -> str:
    return " ".join(text.split())
