"""Outbox relay throughput to NATS JetStream: two relays in parallel, counted at a subscriber.

1. A database (default: a SQLite file; ``--db URL`` for a server) holding ``--events``
   committed changes (supplier rows, one ledger entry each), written before timing.
2. Baseline: raw nats-py publishes of the same CloudEvents bodies (pre-built) to a fresh
   JetStream stream, ``Nats-Msg-Id`` set, every ack awaited, 500 in flight at a time.
3. Two relay processes (``qms.relay(..., once=True)``), started, opened and imported
   before the clock starts, released together; the time is from the release to the last
   relay's end. A JetStream subscriber then counts the distinct ``Nats-Msg-Id`` values
   (each event exactly once after de-duplication) and the stored messages.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/relay.py [--events 20000] [--batch 500]
[--db URL]`` (NATS JetStream on 127.0.0.1:4222).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import qualityflow as qf
from qualityflow.relay._events import load_cloudevents, read_events

NATS = "nats://127.0.0.1:4222"


def _relay(url: str, to: str, batch: int, ready: Any, go: Any, out: Any) -> None:
    qms = qf.QualityFlow(url, load_entry_points=False)
    import nats  # noqa: F401  (imported before the clock starts)

    ready.set()
    go.wait()
    start = time.perf_counter()
    stats = qms.relay(to, batch=batch, once=True)
    out.put((stats.total, start, time.perf_counter()))
    qms.close()


async def _raw(bodies: list[tuple[str, bytes]], stream: str) -> float:
    import nats

    nc = await nats.connect(NATS)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
    start = time.perf_counter()
    for i in range(0, len(bodies), 500):
        await asyncio.gather(
            *(
                js.publish(f"{stream.lower()}.supplier.changed", b, headers={"Nats-Msg-Id": m})
                for m, b in bodies[i : i + 500]
            )
        )
    took = time.perf_counter() - start
    await js.delete_stream(stream)
    await nc.close()
    return took


async def _count(stream: str) -> tuple[int, int]:
    import nats

    nc = await nats.connect(NATS)
    js = nc.jetstream()
    info = await js.stream_info(stream)
    total = info.state.messages
    from nats.js.api import AckPolicy, ConsumerConfig

    sub = await js.pull_subscribe(
        f"{stream.lower()}.>", stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE)
    )
    ids: set[str] = set()
    seen = 0
    while seen < total:
        for m in await sub.fetch(min(1000, total - seen), timeout=10):
            ids.add((m.headers or {}).get("Nats-Msg-Id", ""))
            seen += 1
    await js.delete_stream(stream)
    await nc.close()
    return len(ids), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{Path(tmp) / 'plant.db'}"
    qms = qf.QualityFlow(url, load_entry_points=False)
    with qms.storage.transaction():
        for i in range(args.events):
            qms.storage.add(qf.Supplier(id=f"S-{i}", name=f"Supplier {i}"))
    n = args.events
    bodies = [
        (e.id, e.body)
        for e in read_events(
            qms.storage, "ledger", list(range(1, n + 1)), "bench", load_cloudevents()
        )
    ]
    raw = asyncio.run(_raw(bodies, "QFBRAW" + uuid.uuid4().hex[:6].upper()))
    print(f"baseline raw nats-py publish (acks awaited): {n / raw:,.0f} events/s ({raw:.2f} s)")

    stream = "QFBENCH" + uuid.uuid4().hex[:6].upper()
    to = f"{NATS}?stream={stream}&subject={stream.lower()}"
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(2)]
    procs = [ctx.Process(target=_relay, args=(url, to, args.batch, r, go, out)) for r in readies]
    for p in procs:
        p.start()
    for r in readies:
        r.wait()
    go.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    took = max(end for _, _, end in results) - min(start for _, start, _ in results)
    distinct, stored = asyncio.run(_count(stream))
    split = " + ".join(str(t) for t, _, _ in results)
    print(
        f"two relays: {n / took:,.0f} events/s ({took:.2f} s; published {split}); "
        f"subscriber: {distinct} distinct ids of {n}, {stored} stored"
    )
    qms.close()


if __name__ == "__main__":
    main()
