"""Four processes work on the same incidents at once: no update is lost.

Each worker records lessons on shared incidents by load-change-save and fires the
incidents' transitions. A save based on a stale version surfaces as ConcurrencyError and
is retried; any other error fails the worker. At the end every lesson is there exactly
once and every incident's history verifies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

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
                        team=qf.EmergencyTeam(leader=LEADER),
                        assessment=qf.ImpactAssessment(severity="major"),
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
