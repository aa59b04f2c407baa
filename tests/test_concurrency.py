"""Processes share one database: no update is lost, no invariant broken.

Four processes work on the same incidents at once (below); two race ``link(A, B)``
against ``link(B, A)`` and ``overdue()`` against ``overdue()`` round by round (further down).

Each worker records lessons on shared incidents by load-change-save and fires the
incidents' transitions. A save based on a stale version surfaces as ConcurrencyError and
is retried; any other error fails the worker. At the end every lesson is there exactly
once and every incident's history verifies.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    emergency_team,
    server_url,
    temporary_database,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)"),
]

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
WORKERS = 4
LESSONS_PER_WORKER = 12
INCIDENTS = ["INC-A", "INC-B"]
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


def _worker(url: str, number: int, out_fd: int) -> None:
    qms = qf.QualityFlow(url, load_entry_points=False)
    conflicts = saved = fired = refused = 0
    for k in range(LESSONS_PER_WORKER):
        incident_id = INCIDENTS[k % len(INCIDENTS)]
        while True:
            incident = qms.incidents.get(incident_id)
            incident.lessons = [*incident.lessons, f"worker {number} lesson {k}"]
            time.sleep(0.002)  # widen the window between load and save
            try:
                qms.incidents.save(incident, actor=f"worker {number}", reason="lesson")
            except qf.ConcurrencyError:
                conflicts += 1
                continue
            saved += 1
            break
        if k == number:  # every worker tries to assess both incidents once
            for id in INCIDENTS:
                try:
                    qms.incidents.fire(
                        id,
                        "assess",
                        actor=f"worker {number}",
                        team=emergency_team(LEADER),
                        assessment=qf.ImpactAssessment(
                            severity="major",
                            batch_ids=["JAM-1"],
                            regions=["CN-31"],
                            risk="injury to consumers",
                            rationale="the affected lots reached the market",
                        ),
                    )
                    fired += 1
                except qf.ConcurrencyError:
                    conflicts += 1
                except qf.TransitionError:
                    refused += 1  # someone else assessed it first
    report = {"conflicts": conflicts, "saved": saved, "fired": fired, "refused": refused}
    os.write(out_fd, (json.dumps(report) + "\n").encode())


def _run_workers(url: str) -> list[dict[str, int]]:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for id in INCIDENTS:
            qms.incidents.add(
                qf.Incident(id=id, title="Mould on paper cups", severity="major", reported_at=T0)
            )
    read_fd, write_fd = os.pipe()
    pids = []
    for number in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(read_fd)
                _worker(url, number, write_fd)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    os.close(write_fd)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    with os.fdopen(read_fd) as reader:
        reports = [json.loads(line) for line in reader]
    assert codes == [0] * WORKERS, "a worker failed with an error other than ConcurrencyError"
    return reports


def _check(url: str, reports: list[dict[str, int]]) -> None:
    assert len(reports) == WORKERS
    assert sum(r["saved"] for r in reports) == WORKERS * LESSONS_PER_WORKER
    assert sum(r["conflicts"] for r in reports) > 0, "the workers never collided"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        lessons = [lesson for id in INCIDENTS for lesson in qms.incidents.get(id).lessons]
        expected = [
            f"worker {n} lesson {k}" for n in range(WORKERS) for k in range(LESSONS_PER_WORKER)
        ]
        assert sorted(lessons) == sorted(expected)  # nothing lost, nothing twice
        for id in INCIDENTS:
            incident = qms.incidents.get(id)
            assert incident.status.value == "assessed"
            assert len(incident.history) == 1
            assert qf.verify_history(incident)
            # added, one save per lesson, one assess: every write left its mark
            assert incident.version == 1 + len(incident.lessons) + 1
    assert sum(r["fired"] for r in reports) == len(INCIDENTS)


def test_four_processes_on_one_sqlite_file_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cups.db'}"
    _check(url, _run_workers(url))


def _server(env: str, label: str) -> Iterator[str]:
    try:
        with temporary_database(server_url(env)) as url:
            yield url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    yield from _server(POSTGRESQL_ENV, "PostgreSQL")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    yield from _server(MYSQL_ENV, "MySQL/MariaDB")


@pytest.mark.postgresql
def test_four_processes_on_postgresql_lose_no_update(postgresql_url: str) -> None:
    _check(postgresql_url, _run_workers(postgresql_url))


@pytest.mark.mysql
def test_four_processes_on_mariadb_lose_no_update(mysql_url: str) -> None:
    _check(mysql_url, _run_workers(mysql_url))


# -- two instances racing link(A, B) and link(B, A) ---------------------------------------

ROUNDS = 20
OLD = datetime(2025, 1, 6, 6, 0, tzinfo=timezone.utc)  # in the past: overdue now, not future


def _pair(r: int) -> tuple[str, str]:
    return f"MIX-{r:02d}", f"DOUGH-{r:02d}"


def _race_worker(url: str, number: int, barrier: Any, out: Any, job: str) -> None:
    """One instance of the application, racing its twin round by round."""
    outcomes: list[dict[str, str]] = []
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for r in range(ROUNDS):
            barrier.wait(timeout=60)
            try:
                if job == "link":
                    a, b = _pair(r) if number == 0 else reversed(_pair(r))
                    qms.link(a, b)
                else:
                    qms.overdue(OLD + timedelta(days=10 * r, hours=30))
                outcomes.append({"result": "ok"})
            except qf.GenealogyError as exc:
                outcomes.append({"result": "refused", "message": str(exc)})
            except qf.QualityFlowError as exc:
                outcomes.append({"result": "error", "message": f"{type(exc).__name__}: {exc}"})
    out.put((number, outcomes))


def _race(url: str, job: str) -> list[list[dict[str, str]]]:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    workers = [ctx.Process(target=_race_worker, args=(url, n, barrier, out, job)) for n in range(2)]
    for worker in workers:
        worker.start()
    results = dict(out.get(timeout=300) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    return [results[0], results[1]]


def _check_link_race(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for r in range(ROUNDS):
            for id in _pair(r):
                qms.batches.add(
                    qf.Batch(
                        id=id,
                        kind="intermediate",
                        product="biscuit dough",
                        quantity=qf.Quantity(amount=300, unit="kg"),
                    )
                )
    first, second = _race(url, "link")
    for r in range(ROUNDS):
        outcomes = sorted([first[r]["result"], second[r]["result"]])
        assert outcomes == ["ok", "refused"], f"round {r}: {first[r]} / {second[r]}"
        (loser,) = [o for o in (first[r], second[r]) if o["result"] == "refused"]
        a, b = _pair(r)
        assert "cycle" in loser["message"]
        assert repr(a) in loser["message"] and repr(b) in loser["message"]
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        genealogy = qms.genealogy  # loads: no cycle anywhere
        assert len(qms.storage.edges()) == ROUNDS
        for r in range(ROUNDS):
            a, b = _pair(r)
            downstream = genealogy.trace_forward(a).ids | genealogy.trace_forward(b).ids
            assert downstream in ({a}, {b})  # one direction only


def test_racing_reverse_links_on_sqlite_never_both_commit(tmp_path: Path) -> None:
    _check_link_race(f"sqlite:///{tmp_path / 'dough.db'}")


@pytest.mark.postgresql
def test_racing_reverse_links_on_postgresql_never_both_commit(postgresql_url: str) -> None:
    _check_link_race(postgresql_url)


@pytest.mark.mysql
def test_racing_reverse_links_on_mariadb_never_both_commit(mysql_url: str) -> None:
    _check_link_race(mysql_url)


# -- two instances racing overdue() --------------------------------------------------------


def _check_overdue_race(url: str) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for r in range(ROUNDS):
            for k in range(2):
                qms.incidents.add(
                    qf.Incident(
                        id=f"INC-{r:02d}-{k}",
                        title="Broken seal on yoghurt cups",
                        severity="major",
                        reported_at=OLD + timedelta(days=10 * r),
                    )
                )
    first, second = _race(url, "overdue")
    assert [o for o in first + second if o["result"] != "ok"] == []
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        keys = [e.notification.id for e in qms.storage.outbox(pending_only=False)]
        assert all(key is not None and key.startswith("overdue:") for key in keys)
        assert len(keys) == len(set(keys)), "an overdue notice was queued twice"
        # Every breach at the last round's time was queued, by one instance or the other.
        expected = {
            f"overdue:{d.subject_kind}:{d.subject_id}:{d.what}:{d.due.isoformat()}"
            for d in qms.overdue(OLD + timedelta(days=10 * (ROUNDS - 1), hours=30))
        }
        assert set(keys) == expected
        assert len(qms.storage.outbox(pending_only=False)) == len(keys)  # nothing new


def test_racing_overdue_on_sqlite_queues_each_notice_once(tmp_path: Path) -> None:
    _check_overdue_race(f"sqlite:///{tmp_path / 'cups.db'}")


@pytest.mark.postgresql
def test_racing_overdue_on_postgresql_queues_each_notice_once(postgresql_url: str) -> None:
    _check_overdue_race(postgresql_url)


@pytest.mark.mysql
def test_racing_overdue_on_mariadb_queues_each_notice_once(mysql_url: str) -> None:
    _check_overdue_race(mysql_url)


# -- a link inside a caller's own, older transaction ---------------------------------------


def _check_link_in_an_old_transaction(url: str, expected: type[qf.QualityFlowError]) -> None:
    first = qf.QualityFlow(url, load_entry_points=False)
    second = qf.QualityFlow(url, load_entry_points=False)
    try:
        for id in _pair(0):
            first.batches.add(
                qf.Batch(id=id, kind="intermediate", product="dough", quantity=kg_(300))
            )
        a, b = _pair(0)
        with pytest.raises(expected) as refused, first.storage.transaction():
            first.batches.get(a)  # the transaction reads (MariaDB: its snapshot starts)
            second.link(b, a)  # another instance links the other way and commits
            first.link(a, b)  # would close the cycle b -> a -> b
        if expected is qf.GenealogyError:
            assert "cycle" in str(refused.value)
        else:
            assert "run it again" in str(refused.value)
        assert [(e.input_id, e.output_id) for e in first.storage.edges()] == [(b, a)]
        first.genealogy  # noqa: B018  (loads: no cycle)
        with pytest.raises(qf.GenealogyError, match="cycle"):
            first.link(a, b)  # run again, outside: the check sees the other link
    finally:
        first.close()
        second.close()


def kg_(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="kg")


@pytest.mark.postgresql
def test_a_link_in_an_older_transaction_sees_a_newer_link_on_postgresql(
    postgresql_url: str,
) -> None:
    # READ COMMITTED: after the advisory lock, the cycle check reads what was committed.
    _check_link_in_an_old_transaction(postgresql_url, qf.GenealogyError)


@pytest.mark.mysql
def test_a_link_in_an_older_transaction_is_told_to_retry_on_mariadb(mysql_url: str) -> None:
    # REPEATABLE READ: the old snapshot cannot see the other link, so the lock refuses.
    _check_link_in_an_old_transaction(mysql_url, qf.ConcurrencyError)
