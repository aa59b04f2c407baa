"""kill -9 a relay mid-stream, ten times: every committed event arrives, none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow.relay._claims import claimer_for
from relay_helpers import jetstream_messages, nats_target

pytestmark = pytest.mark.slow

_RELAY = (
    "import sys, qualityflow as qf; "
    "qf.QualityFlow(sys.argv[1], load_entry_points=False)"
    ".relay(sys.argv[2], batch=25, lease=1.0, idle=0.02)"
)


def test_kill_9_a_relay_ten_times(tmp_path: Path) -> None:
    to, stream = nats_target()
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    qms = qf.QualityFlow(url, load_entry_points=False)
    for i in range(200):
        qms.suppliers.add(qf.Supplier(id=f"S-{i}", name="before"))
    writing = threading.Event()
    writing.set()

    def write() -> None:
        n = 0
        while writing.is_set():
            qms.suppliers.add(qf.Supplier(id=f"W-{n}", name="during"))
            n += 1
            time.sleep(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(17)
    claims = claimer_for(qms.storage, to, lease=1.0)
    try:
        for _ in range(10):
            relay = subprocess.Popen([sys.executable, "-c", _RELAY, url, to], env=env)
            before = claims.pending("ledger")
            deadline = time.monotonic() + 30
            # Mid-stream: once this relay has published something, at a random moment.
            while claims.pending("ledger") >= before and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            assert relay.poll() is None, "the relay ended before it was killed"
            os.kill(relay.pid, signal.SIGKILL)
            relay.wait()
    finally:
        writing.clear()
        writer.join()
    time.sleep(1.1)  # the last killed relay's leases expire
    stats = qms.relay(to, once=True, batch=200)
    committed = {e.hash for e in qms.storage.audit_snapshot().ledger}  # type: ignore[attr-defined]
    arrived = [i for i, _ in jetstream_messages(stream)]
    assert set(arrived) == committed
    # JetStream dropped the re-published ones by Nats-Msg-Id: none is stored twice.
    assert len(arrived) == len(set(arrived))
    assert stats.total < len(committed) / 2  # the killed relays had published most
    qms.close()
