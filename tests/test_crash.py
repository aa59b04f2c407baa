"""A process firing incident transitions on a SQLite file is SIGKILLed, several times.

On reopening, the database is intact, every transition acknowledged before the kill is
there with a verifying history, no entity is half-written and no outbox entry is orphaned.
The worker is a forked child (no interpreter start-up to wait for); it acknowledges each
committed step by writing a line to a pipe, which survives the kill.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow.testing import emergency_team

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)"),
]

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
ORDER = ["reported", "assessed", "contained"]


def _worker(url: str, run: int, ack_fd: int) -> None:
    """Fire transitions forever, acknowledging each committed step on ``ack_fd``."""
    qms = qf.QualityFlow(url, load_entry_points=False)
    leader = qf.TeamMember(name="Li Na", role="leader", department="quality")
    os.write(ack_fd, b"READY\n")
    i = 0
    while True:
        i += 1
        lot, inc = f"TISSUE-{run}-{i}", f"INC-{run}-{i}"
        qms.batches.add(
            qf.Batch(
                id=lot,
                kind="finished",
                product="tissue rolls",
                quantity=qf.Quantity(amount=400, unit="pack"),
            )
        )
        qms.incidents.add(
            qf.Incident(
                id=inc, title="Holes in tissue", severity="major", reported_at=T0, batch_ids=[lot]
            )
        )
        os.write(ack_fd, f"ACK {inc} reported\n".encode())
        qms.incidents.fire(
            inc,
            "assess",
            actor="Li Na",
            at=T0,
            team=emergency_team(leader),
            assessment=qf.ImpactAssessment(
                severity="major",
                batch_ids=[lot],
                regions=["CN-31"],
                risk="injury to consumers",
                rationale="the affected lots reached the market",
            ),
        )
        os.write(ack_fd, f"ACK {inc} assessed\n".encode())
        qms.incidents.fire(
            inc,
            "contain",
            actor="Li Na",
            at=T0,
            containment=[qf.ContainmentAction(batch_id=lot, action="quarantine", by="QA", at=T0)],
        )
        os.write(ack_fd, f"ACK {inc} contained\n".encode())


def _run_and_kill(url: str, run: int, delay: float) -> list[tuple[str, str]]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_fd)
        try:
            _worker(url, run, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    reader = os.fdopen(read_fd)
    assert reader.readline() == "READY\n"
    # Kill mid-stream: some time after the first acknowledged step, however slow the
    # machine (a loaded CI runner may take longer than the delay to commit one step).
    first = reader.readline()
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    lines = [first, *reader]
    acks = [tuple(line.split()[1:3]) for line in lines if line.startswith("ACK ")]
    reader.close()
    return [(a, b) for a, b in acks]


def _check_database(path: Path, url: str, acked: list[tuple[str, str]]) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        incidents = {i.id: i for i in qms.incidents.list()}  # every row parses and validates
        batches = {b.id: b for b in qms.batches.list()}
        for id, state in acked:
            incident = incidents[id]
            assert ORDER.index(incident.status.value) >= ORDER.index(state), id
            assert qf.verify_history(incident), id
        for incident in incidents.values():
            # added at version 1, one version per transition: nothing half-written
            assert incident.version == len(incident.history) + 1, incident.id
            assert qf.verify_history(incident), incident.id
            lot = batches[incident.batch_ids[0]]
            contained = incident.status.value == "contained"
            assert (lot.status.value == "quarantined") == contained, incident.id
        held = {b.id for b in batches.values() if b.status.value == "quarantined"}
        for entry in qms.storage.outbox(pending_only=False):
            n = entry.notification
            assert n.id is not None
            if n.kind == "batch_status":  # the quarantine a contain set, committed with it
                assert n.subject_id in held, f"orphan outbox entry {n.id}"
                continue
            assert n.kind == "transition"
            number = int(n.id.rsplit(":", 1)[1])
            assert n.subject_id in incidents, f"orphan outbox entry {n.id}"
            assert len(incidents[n.subject_id].history) >= number, f"orphan outbox entry {n.id}"
        fired = sum(len(i.history) for i in incidents.values())
        assert len(qms.storage.outbox(pending_only=False)) == fired + len(held)


def test_sigkill_never_loses_an_acknowledged_transition(tmp_path: Path) -> None:
    path = tmp_path / "tissue-mill.db"
    url = f"sqlite:///{path}"
    rng = random.Random(20260302)
    acked: list[tuple[str, str]] = []
    sys.stdout.flush()
    sys.stderr.flush()
    for run in range(5):
        acks = _run_and_kill(url, run, rng.uniform(0.3, 0.7))
        assert acks, "the worker was killed before acknowledging anything"
        acked.extend(acks)
        _check_database(path, url, acked)
    print("acknowledged steps:", len(acked))
    assert len(acked) >= 5  # at least one per run, killed after it
