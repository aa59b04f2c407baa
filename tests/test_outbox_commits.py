"""A fire commits once when every notifier records its delivery with the change.

The built-in logging notifier runs in-process: its delivery is recorded in the change's
own transaction and it is called right after the commit, so a plant that uses only the
log pays one commit per change. A notifier that reaches outside (e-mail, a webhook, a
plugin's own) keeps the outbox's at-least-once promise: its delivery is recorded after
it took the notification, in a second transaction.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import qualityflow as qf
from qualityflow.plugins import hookimpl
from qualityflow.storage.sql import SQLStorage

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


class Collecting:
    """A notifier that reaches outside (it keeps what it was given)."""

    qualityflow_name = "test.collecting"

    def __init__(self) -> None:
        self.got: list[qf.Notification] = []

    @hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.got.append(notification)


class Flaky:
    """An in-process notifier that records with the change, and fails the first time."""

    qualityflow_name = "test.flaky"
    qualityflow_record_with_change = True

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("metrics endpoint restarting")


@contextmanager
def commits_of(qms: qf.QualityFlow) -> Iterator[list[int]]:
    storage = qms.storage
    assert isinstance(storage, SQLStorage)
    counted: list[int] = []

    def count(_conn: Any) -> None:
        counted.append(1)

    event.listen(storage.engine, "commit", count)
    try:
        yield counted
    finally:
        event.remove(storage.engine, "commit", count)


def _noodles(qms: qf.QualityFlow) -> None:
    qms.incidents.add(
        qf.Incident(
            id="INC-NOODLE-7",
            title="Foreign body in instant noodles",
            severity="minor",
            reported_at=T0,
        )
    )


def _assess(qms: qf.QualityFlow) -> qf.Incident:
    return qms.incidents.fire(
        "INC-NOODLE-7",
        "assess",
        actor="Li Na",
        at=T0,
        team=qf.EmergencyTeam(leader=LEADER),
        assessment=qf.ImpactAssessment(severity="minor", risk="choking"),
    )


def test_with_the_log_only_a_fire_commits_once_and_is_logged_after_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False) as qms:
        _noodles(qms)
        with commits_of(qms) as commits, caplog.at_level(logging.INFO, "qualityflow.notify"):
            _assess(qms)

        assert len(commits) == 1
        assert any("INC-NOODLE-7" in r.getMessage() for r in caplog.records)
        [entry] = [
            e for e in qms.storage.outbox(pending_only=False) if "assess" in e.notification.title
        ]
        assert entry.delivered
        assert entry.deliveries["notify.logging"].ok
        assert qms.storage.outbox() == []  # nothing left for deliver_pending
        assert qms.audit.verify().ok


def test_a_notifier_that_reaches_outside_is_recorded_after_it_took_the_notice(
    tmp_path: Path,
) -> None:
    outside = Collecting()
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, plugins=[outside], load_entry_points=False) as qms:
        _noodles(qms)
        with commits_of(qms) as commits:
            _assess(qms)

        assert len(commits) == 2  # the change, then the delivery record
        assert [n.subject_id for n in outside.got][-1] == "INC-NOODLE-7"
        assert qms.storage.outbox() == []
        [entry] = [
            e for e in qms.storage.outbox(pending_only=False) if "assess" in e.notification.title
        ]
        assert entry.deliveries["test.collecting"].ok
        assert entry.deliveries["notify.logging"].ok


def test_a_failed_in_process_delivery_is_recorded_and_retried_once(tmp_path: Path) -> None:
    flaky = Flaky()
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, plugins=[flaky], load_entry_points=False) as qms:
        _noodles(qms)
        calls_after_add = flaky.calls
        _assess(qms)

        [pending] = qms.storage.outbox()
        assert "assess" in pending.notification.title
        assert not pending.deliveries["test.flaky"].ok
        assert "metrics endpoint restarting" in (pending.deliveries["test.flaky"].error or "")
        # The log took it already; the retry calls only the one that failed.
        assert pending.deliveries["notify.logging"].ok

        assert qms.deliver_pending() == []
        assert flaky.calls == calls_after_add + 2
        assert qms.storage.outbox() == []
        assert qms.deliver_pending() == []
        assert flaky.calls == calls_after_add + 2  # never twice to one that took it


def test_with_no_notifier_at_all_a_fire_commits_once_and_leaves_nothing_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALITYFLOW_DISABLE_PLUGINS", "notify.logging")
    with qf.QualityFlow(f"sqlite:///{tmp_path / 'plant.db'}", load_entry_points=False) as qms:
        assert qms.plugins.notifiers() == []
        _noodles(qms)
        with commits_of(qms) as commits:
            _assess(qms)
        assert len(commits) == 1
        assert qms.storage.outbox() == []


# --- attacks: two instances, and a crash between the commit and the call ------------------


class Tally:
    """An in-process notifier that records with the change, counting what it was given."""

    qualityflow_name = "test.tally"
    qualityflow_record_with_change = True

    def __init__(self) -> None:
        self.got: list[str] = []
        self.lock = threading.Lock()

    @hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        with self.lock:
            self.got.append(notification.id)


def test_two_instances_never_both_deliver_a_notice_recorded_with_its_change(
    shared_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Line 1's instance assesses incidents while line 2's instance sweeps the outbox
    # (`deliver_pending`, as a cron job would) the whole time: a notice whose delivery was
    # recorded with its change is never pending, so the sweep never delivers it again.
    monkeypatch.setenv("QUALITYFLOW_DISABLE_PLUGINS", "notify.logging")
    line1, line2 = Tally(), Tally()
    with (
        qf.QualityFlow(shared_url, plugins=[line1], load_entry_points=False) as a,
        qf.QualityFlow(shared_url, plugins=[line2], load_entry_points=False) as b,
    ):
        ids = [f"INC-NOODLE-{i}" for i in range(12)]
        for id in ids:
            a.incidents.add(qf.Incident(id=id, title="Foreign body", severity="minor"))
        done = threading.Event()
        sweeps: list[int] = []
        errors: list[BaseException] = []

        def sweep() -> None:
            try:
                while not done.is_set():
                    assert b.deliver_pending() == []
                    sweeps.append(1)
            except BaseException as exc:
                errors.append(exc)

        sweeper = threading.Thread(target=sweep)
        sweeper.start()
        try:
            for id in ids:
                a.incidents.fire(
                    id,
                    "assess",
                    actor="Li Na",
                    at=T0,
                    team=qf.EmergencyTeam(leader=LEADER),
                    assessment=qf.ImpactAssessment(severity="minor", risk="choking"),
                )
        finally:
            done.set()
            sweeper.join()
        assert not errors, errors
        assert sweeps  # the sweep really ran beside the fires
        assessed = [
            e.notification.id
            for e in a.storage.outbox(pending_only=False)
            if e.notification.kind == "transition" and "assess" in e.notification.title
        ]
        assert len(assessed) == len(ids)
        assert line2.got == []  # never a second delivery from the other instance
        assert sorted(n for n in line1.got if n in assessed) == sorted(assessed)
        assert a.storage.outbox() == [] and b.deliver_pending() == []
        assert a.audit.verify().ok


_CRASH_AFTER_COMMIT = """
import os, sys
from datetime import datetime, timezone
import qualityflow as qf
from qualityflow.service.outbox import Outbox

def crash(self, entry_id, notification):
    os._exit(9)  # the process dies after the commit, before the log is called

Outbox._deliver_recorded = crash
with qf.QualityFlow(sys.argv[1], load_entry_points=False) as qms:
    leader = qf.TeamMember(name="Li Na", role="leader", department="quality")
    qms.incidents.fire(
        "INC-NOODLE-7", "assess", actor="Li Na",
        at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc),
        team=qf.EmergencyTeam(leader=leader),
        assessment=qf.ImpactAssessment(severity="minor", risk="choking"),
    )
print("not reached")
"""


def test_a_crash_between_the_commit_and_the_log_call_loses_only_that_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The documented price of one commit per change: the change, its outbox entry and the
    # audit ledger survive the crash; the one log line is not written again (at most once).
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        _noodles(qms)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_COMMIT, url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 9, run.stderr
    assert "not reached" not in run.stdout
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        assert qms.incidents.get("INC-NOODLE-7").status.value == "assessed"
        [entry] = [
            e for e in qms.storage.outbox(pending_only=False) if "assess" in e.notification.title
        ]
        assert entry.delivered and entry.deliveries["notify.logging"].ok
        with caplog.at_level(logging.INFO, "qualityflow.notify"):
            assert qms.deliver_pending() == []
        assert not any("INC-NOODLE-7" in r.getMessage() for r in caplog.records)
        assert qms.audit.verify().ok
