"""``qms.overdue()``: each breach queued and delivered once, repeat calls cheap, answers right.

A snack plant's QA desk runs ``overdue()`` every few minutes from two application
instances on one database. Each breached deadline must reach the notifiers exactly once,
whichever instance sees it first and however often they ask; a case handled between two
calls drops its breach, a new case shows up, a clock moving on finds new breaches without
any change to the cases, and a company's deadline plugin still decides the due times.
The instance keeps computed deadlines per stored version (see ``QualityFlow.overdue``),
so these tests also pin down when that cache must not be trusted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.storage import IncrementalStorage, MemoryStorage
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    emergency_team,
    server_url,
    temporary_database,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


class Inbox:
    """A notifier that keeps every notification it is given."""

    def __init__(self, name: str = "qa-inbox") -> None:
        self.name = name
        self.received: list[qf.Notification] = []
        self._lock = threading.Lock()

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        with self._lock:
            self.received.append(notification)

    def overdue_ids(self) -> list[str]:
        return [n.id or "" for n in self.received if n.kind == "overdue"]


def _server(env: str, label: str) -> Iterator[str]:
    try:
        with temporary_database(server_url(env)) as url:
            yield url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database two instances can share: a SQLite file, PostgreSQL, MariaDB."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'snacks.db'}"
    elif request.param == "postgresql":
        yield from _server(POSTGRESQL_ENV, "PostgreSQL")
    else:
        yield from _server(MYSQL_ENV, "MySQL/MariaDB")


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"


def incident(id: str, severity: str = "major", at: datetime = T0) -> qf.Incident:
    return qf.Incident(id=id, title="Metal flake in crisps", severity=severity, reported_at=at)


def complaint(id: str, at: datetime = T0) -> qf.Complaint:
    return qf.Complaint(
        id=id,
        customer_id="CUST-FRESHMART",
        channel="phone",
        received_at=at,
        description="Crisps taste stale",
        severity="minor",
    )


def assess(qms: qf.QualityFlow, id: str, at: datetime) -> None:
    qms.incidents.fire(
        id,
        "assess",
        actor="li.na",
        at=at,
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="major",
            batch_ids=["CRISP-1"],
            risk="cuts",
            rationale="one line",
            regions=["CN-31"],
        ),
    )


def acknowledge(qms: qf.QualityFlow, id: str, at: datetime) -> None:
    contact = qf.Contact(
        at=at, direction="outbound", channel="phone", message="We are on it", by="service"
    )
    qms.complaints.fire(id, "acknowledge", actor="service", at=at, contacts=[contact])


def key(d: qf.Deadline) -> str:
    return f"overdue:{d.subject_kind}:{d.subject_id}:{d.what}:{d.due.isoformat()}"


def queued_overdue(qms: qf.QualityFlow) -> list[str]:
    return [
        e.notification.id or ""
        for e in qms.storage.outbox(pending_only=False)
        if e.notification.kind == "overdue"
    ]


def expected(qms: qf.QualityFlow, now: datetime) -> list[qf.Deadline]:
    """The breaches computed from scratch: every open case loaded, the defaults."""
    open_cases = [
        *(i for i in qms.incidents.list() if i.status.value not in ("closed", "cancelled")),
        *(c for c in qms.complaints.list() if c.status.value not in ("closed", "rejected")),
    ]
    return qf.overdue(open_cases, now)


# -- queued once -----------------------------------------------------------------------


def test_every_builtin_backend_answers_the_cheap_questions(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        assert isinstance(qms.storage, IncrementalStorage)


def test_a_breach_is_queued_and_delivered_once_however_often_overdue_runs(url: str) -> None:
    inbox = Inbox()
    with qf.QualityFlow(url, plugins=[inbox], load_entry_points=False) as qms:
        qms.incidents.add(incident("INC-1"))
        qms.complaints.add(complaint("CMP-1"))
        now = T0 + 30 * H
        first = qms.overdue(now)
        assert [(d.subject_id, d.what) for d in first] == [
            ("CMP-1", "acknowledge"),
            ("INC-1", "assess"),
        ]
        for _ in range(3):
            assert qms.overdue(now) == first
        assert sorted(inbox.overdue_ids()) == sorted(key(d) for d in first)
        assert sorted(queued_overdue(qms)) == sorted(key(d) for d in first)
        assert qms.storage.outbox() == []  # delivered, nothing left pending


def test_an_instance_that_finds_everything_queued_delivers_nothing_again(
    shared_url: str,
) -> None:
    first_inbox, second_inbox = Inbox("first"), Inbox("second")
    now = T0 + 100 * H
    with qf.QualityFlow(shared_url, plugins=[first_inbox], load_entry_points=False) as qms:
        for n in range(5):
            qms.incidents.add(incident(f"INC-{n}", at=T0 + n * H))
        breaches = qms.overdue(now)
    assert len(first_inbox.overdue_ids()) == len(breaches) == 10
    with qf.QualityFlow(shared_url, plugins=[second_inbox], load_entry_points=False) as other:
        assert other.overdue(now) == breaches
        assert second_inbox.overdue_ids() == []
        assert len(queued_overdue(other)) == 10


def test_two_instances_calling_overdue_at_once_queue_each_breach_once(shared_url: str) -> None:
    inboxes = [Inbox("a"), Inbox("b")]
    with qf.QualityFlow(shared_url, load_entry_points=False) as setup:
        for n in range(60):
            setup.incidents.add(incident(f"INC-{n:02d}", at=T0 + n * H))
            setup.complaints.add(complaint(f"CMP-{n:02d}", at=T0 + n * H))
    services = [
        qf.QualityFlow(shared_url, plugins=[inbox], load_entry_points=False) for inbox in inboxes
    ]
    barrier = threading.Barrier(2)
    results: dict[int, list[list[qf.Deadline]]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            for step in range(4):  # the clock moves on: new breaches each round
                barrier.wait(timeout=60)
                results[n].append(services[n].overdue(T0 + (20 + 30 * step) * H))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for service in services:
        service.close()
    assert errors == []
    assert results[0] == results[1]  # both instances see the same breaches
    seen = {key(d) for round_ in results[0] for d in round_}
    delivered = Counter(inboxes[0].overdue_ids() + inboxes[1].overdue_ids())
    assert set(delivered) == seen and set(delivered.values()) == {1}
    with qf.QualityFlow(shared_url, load_entry_points=False) as check:
        queued = queued_overdue(check)
        assert len(queued) == len(set(queued)) and set(queued) == seen


# -- the cache gives the same answers as computing afresh ----------------------------------


def test_a_case_handled_between_calls_drops_its_breach(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.incidents.add(incident("INC-1"))
        qms.complaints.add(complaint("CMP-1"))
        now = T0 + 30 * H
        assert {d.what for d in qms.overdue(now)} == {"assess", "acknowledge"}
        assess(qms, "INC-1", T0 + 26 * H)
        acknowledge(qms, "CMP-1", T0 + 27 * H)
        assert qms.overdue(now) == []  # both handled (late, but no longer open)
        assert qms.overdue(T0 + 49 * H) == expected(qms, T0 + 49 * H)
        assert [d.what for d in qms.overdue(T0 + 49 * H)] == ["contain"]


def test_a_case_added_between_calls_shows_up(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.incidents.add(incident("INC-1"))
        now = T0 + 30 * H
        assert [d.subject_id for d in qms.overdue(now)] == ["INC-1"]
        qms.incidents.add(incident("INC-2", severity="critical", at=T0 + 20 * H))
        assert [(d.subject_id, d.what) for d in qms.overdue(now)] == [
            ("INC-1", "assess"),
            ("INC-2", "assess"),
        ]


def test_the_clock_moving_on_finds_new_breaches_of_unchanged_cases(url: str) -> None:
    inbox = Inbox()
    with qf.QualityFlow(url, plugins=[inbox], load_entry_points=False) as qms:
        qms.complaints.add(complaint("CMP-1"))
        assert qms.overdue(T0 + 23 * H) == []
        assert [d.what for d in qms.overdue(T0 + 25 * H)] == ["acknowledge"]
        later = qms.overdue(T0 + 8 * 24 * H)
        assert [(d.what, d.late_by) for d in later] == [
            ("acknowledge", 7 * 24 * H),
            ("resolve", 24 * H),
        ]
        assert sorted(inbox.overdue_ids()) == sorted(key(d) for d in later)


def test_a_case_changed_by_another_instance_is_reloaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with (
        qf.QualityFlow(url, load_entry_points=False) as desk,
        qf.QualityFlow(url, load_entry_points=False) as line,
    ):
        desk.incidents.add(incident("INC-1"))
        assert [d.what for d in desk.overdue(T0 + 30 * H)] == ["assess"]
        assess(line, "INC-1", T0 + 29 * H)  # the other instance: the desk's copy is stale
        assert desk.overdue(T0 + 30 * H) == []


class StrictRetailer:
    """A retailer's rule: every complaint acknowledged within 2 hours, nothing else."""

    @qf.hookimpl
    def qualityflow_deadline_policy(self, entity: Any) -> list[qf.Deadline] | None:
        if not isinstance(entity, qf.Complaint):
            return None
        if any(r.trigger == "acknowledge" for r in entity.history):
            return []
        return [
            qf.Deadline(
                subject_kind="complaint",
                subject_id=entity.id,
                what="acknowledge",
                due=entity.received_at + 2 * H,
                severity=entity.severity,
            )
        ]


def test_a_plugin_deadline_policy_decides_the_due_times(url: str) -> None:
    with qf.QualityFlow(url, plugins=[StrictRetailer()], load_entry_points=False) as qms:
        qms.complaints.add(complaint("CMP-1"))
        qms.incidents.add(incident("INC-1"))
        (late,) = qms.overdue(T0 + 3 * H)
        assert (late.subject_id, late.due, late.late_by) == ("CMP-1", T0 + 2 * H, H)
        assert qms.overdue(T0 + 3 * H) == [late]  # repeat: same answer from the cache


def test_registering_a_deadline_plugin_later_drops_the_kept_deadlines(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.complaints.add(complaint("CMP-1"))
        assert qms.overdue(T0 + 3 * H) == []  # the defaults: a day to acknowledge
        plugin = StrictRetailer()
        qms.plugins.pm.register(plugin)
        assert [d.due for d in qms.overdue(T0 + 3 * H)] == [T0 + 2 * H]
        qms.plugins.pm.unregister(plugin)
        assert qms.overdue(T0 + 3 * H) == []


def test_the_returned_breaches_are_copies_not_the_kept_deadlines(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.incidents.add(incident("INC-1"))
        (late,) = qms.overdue(T0 + 30 * H)
        late.what = "tampered"
        assert [d.what for d in qms.overdue(T0 + 30 * H)] == ["assess"]


def test_a_naive_now_is_refused_before_anything_is_read(url: str) -> None:
    with (
        qf.QualityFlow(url, load_entry_points=False) as qms,
        pytest.raises(ValueError, match="'now' has no timezone"),
    ):
        qms.overdue(datetime(2026, 3, 3, 12, 0))


# -- a third-party backend without the cheap questions --------------------------------------


class PlainStorage:
    """A backend with only the Storage contract (delegating to a memory store)."""

    def __init__(self) -> None:
        self._inner = MemoryStorage("plain://")
        self.url = "plain://"
        self.listed = 0

    def transaction(self) -> Any:
        return self._inner.transaction()

    def get(self, kind: str, id: str) -> Any:
        return self._inner.get(kind, id)

    def add(self, entity: Any) -> Any:
        return self._inner.add(entity)

    def save(self, entity: Any, *, expected_version: int | None = None) -> Any:
        return self._inner.save(entity, expected_version=expected_version)

    def list(self, kind: str, **filters: Any) -> Any:
        self.listed += 1
        return self._inner.list(kind, **filters)

    def count(self, kind: str) -> int:
        return self._inner.count(kind)

    def genealogy_lock(self) -> Any:
        return self._inner.genealogy_lock()

    def add_edge(self, edge: Any) -> None:
        self._inner.add_edge(edge)

    def edges(self, **kwargs: Any) -> Any:
        return self._inner.edges(**kwargs)

    def reach(self, ids: Any, direction: Any) -> Any:
        return self._inner.reach(ids, direction)

    def enqueue(self, notification: qf.Notification) -> int | None:
        return self._inner.enqueue(notification)

    def outbox(self, *, pending_only: bool = True) -> Any:
        return self._inner.outbox(pending_only=pending_only)

    def update_delivery(self, entry_id: int, deliveries: Any, *, delivered: bool) -> None:
        self._inner.update_delivery(entry_id, deliveries, delivered=delivered)

    def close(self) -> None:
        self._inner.close()


class PlainBackend:
    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        register("plain", lambda url: PlainStorage())


def test_a_backend_without_the_cheap_questions_still_queues_each_breach_once() -> None:
    inbox = Inbox()
    with qf.QualityFlow(
        "plain://", plugins=[PlainBackend(), inbox], load_entry_points=False
    ) as qms:
        assert isinstance(qms.storage, qf.Storage)
        assert not isinstance(qms.storage, IncrementalStorage)
        qms.incidents.add(incident("INC-1"))
        qms.complaints.add(complaint("CMP-1"))
        first = qms.overdue(T0 + 30 * H)
        assert qms.overdue(T0 + 30 * H) == first
        assess(qms, "INC-1", T0 + 31 * H)
        assert [d.subject_id for d in qms.overdue(T0 + 32 * H)] == ["CMP-1"]
        assert sorted(inbox.overdue_ids()) == sorted(key(d) for d in first)


# -- the storage methods, on every backend -------------------------------------------------


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    elif request.param == "postgresql":
        yield from _server(POSTGRESQL_ENV, "PostgreSQL")
    else:
        yield from _server(MYSQL_ENV, "MySQL/MariaDB")


LONG = "INC-" + "Ä" * 120 + "x" * 131  # 255 characters, not ASCII


def test_versions_lists_ids_byte_exactly_with_their_versions(any_url: str) -> None:
    with qf.QualityFlow(any_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, IncrementalStorage)
        for id in ("INC-a", "INC-A", "INC-ä", LONG):
            qms.incidents.add(incident(id))
        assess(qms, "INC-A", T0 + H)
        qms.complaints.add(complaint("INC-a"))  # the same id in another kind
        assert storage.versions("incident") == {"INC-a": 1, "INC-A": 2, "INC-ä": 1, LONG: 1}
        assert storage.versions("incident", status="assessed") == {"INC-A": 2}
        assert storage.versions("incident", status=["reported"]) == {
            "INC-a": 1,
            "INC-ä": 1,
            LONG: 1,
        }
        assert storage.versions("complaint", status=[]) == {}
        with pytest.raises(qf.StorageError, match="unknown entity kind 'incidents'"):
            storage.versions("incidents")


def test_enqueue_many_skips_what_is_queued_and_repeats_within_the_call(any_url: str) -> None:
    def note(id: str | None) -> qf.Notification:
        return qf.Notification(
            kind="overdue", subject_kind="incident", subject_id="INC-1", title="t", at=T0, id=id
        )

    long_id = "overdue:incident:" + LONG + ":assess:2026-03-03T06:00:00+00:00"
    with qf.QualityFlow(any_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, IncrementalStorage)
        assert storage.enqueue(note("k-1")) is not None
        assert storage.queued(["k-1", "K-1", long_id, "k-2"]) == {"k-1"}
        seqs = storage.enqueue_many(
            [note("k-1"), note("K-1"), note(long_id), note("K-1"), note(None), note("k-2")]
        )
        assert seqs[0] is None and seqs[3] is None  # queued before; repeated in the call
        added = [s for s in seqs if s is not None]
        assert len(added) == 4 and len(set(added)) == 4
        assert storage.queued(["k-1", "K-1", long_id, "k-2", "k-3"]) == {
            "k-1",
            "K-1",
            long_id,
            "k-2",
        }
        entries = {e.id: e.notification.id for e in storage.outbox()}
        assert {entries[s] for s in added} == {"K-1", long_id, None, "k-2"}
        assert storage.enqueue_many([]) == []
        assert storage.queued([]) == set()


def test_enqueue_many_in_a_rolled_back_transaction_leaves_nothing(any_url: str) -> None:
    with qf.QualityFlow(any_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, IncrementalStorage)
        note = qf.Notification(
            kind="overdue", subject_kind="incident", subject_id="I", title="t", at=T0
        )
        with pytest.raises(RuntimeError), storage.transaction():
            storage.enqueue_many([note.model_copy(update={"id": "k-1"})])
            raise RuntimeError("power cut")
        assert storage.queued(["k-1"]) == set()
        assert storage.outbox(pending_only=False) == []


def test_two_storages_racing_enqueue_many_add_each_key_once(shared_url: str) -> None:
    notes = [
        qf.Notification(
            kind="overdue",
            subject_kind="incident",
            subject_id="I",
            title="t",
            at=T0,
            id=f"k-{n:03d}",
        )
        for n in range(300)
    ]
    stores = [qf.QualityFlow(shared_url, load_entry_points=False) for _ in range(2)]
    barrier = threading.Barrier(2)
    added: list[list[int | None]] = [[], []]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        storage = stores[n].storage
        assert isinstance(storage, IncrementalStorage)
        try:
            barrier.wait(timeout=30)
            for attempt in range(5):
                try:
                    with storage.transaction():
                        added[n] = storage.enqueue_many(notes[n * 50 :] + notes[: n * 50])
                    break
                except qf.ConcurrencyError:  # MariaDB may break a deadlock: run it again
                    if attempt == 4:
                        raise
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    mine = [s for s in added[0] + added[1] if s is not None]
    assert len(mine) == len(set(mine)) == 300  # each key added by exactly one of them
    queued = [e.notification.id for e in stores[0].storage.outbox(pending_only=False)]
    assert sorted(queued, key=str) == sorted(n.id for n in notes if n.id)
    for store in stores:
        store.close()


# -- the rule, on random histories -----------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("incident"), st.sampled_from(["critical", "major", "minor"])),
        st.tuples(st.just("complaint"), st.just("")),
        st.tuples(st.just("assess"), st.integers(0, 3).map(str)),
        st.tuples(st.just("acknowledge"), st.integers(0, 3).map(str)),
        st.tuples(st.just("tick"), st.integers(1, 80).map(str)),
    ),
    max_size=20,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_overdue_matches_a_fresh_computation_and_notifies_each_breach_once(
    ops: list[tuple[str, str]],
) -> None:
    """After every step (a case added or handled, the clock moving on) ``overdue()``."""
    inbox = Inbox()
    with qf.QualityFlow("memory://", plugins=[inbox], load_entry_points=False) as qms:
        now = T0
        incidents: list[str] = []
        complaints: list[str] = []
        breached: set[str] = set()
        for op, arg in ops:
            if op == "incident":
                incidents.append(f"INC-{len(incidents)}")
                qms.incidents.add(incident(incidents[-1], severity=arg, at=now))
            elif op == "complaint":
                complaints.append(f"CMP-{len(complaints)}")
                qms.complaints.add(complaint(complaints[-1], at=now))
            elif op == "assess" and int(arg) < len(incidents):
                if qms.incidents.get(incidents[int(arg)]).status.value == "reported":
                    assess(qms, incidents[int(arg)], now)
            elif op == "acknowledge" and int(arg) < len(complaints):
                if qms.complaints.get(complaints[int(arg)]).status.value == "received":
                    acknowledge(qms, complaints[int(arg)], now)
            elif op == "tick":
                now += int(arg) * H
            found = qms.overdue(now)
            assert found == expected(qms, now)
            breached |= {key(d) for d in found}
            delivered = Counter(inbox.overdue_ids())
            assert set(delivered) == breached and set(delivered.values()) <= {1}
