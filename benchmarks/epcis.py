"""EPCIS import speed: events per second for a generated 100,000-event document.

Compares ``qf.load_epcis`` (read, normalise, order, build the genealogy) with plain
``json.loads`` of the same text, measured in the same run. Goal: at most 5x ``json.loads``.
``load_epcis`` pauses the garbage collector while it works, so ``json.loads`` is also
timed with the collector paused: plain ``json.loads`` of a large document spends much of
its time in collections, which flatters the first ratio.

    .venv/bin/python benchmarks/epcis.py [--events 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from typing import Any

import qualityflow as qf

CTX = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]


def _event(kind: str, n: int, minute: int, **fields: Any) -> dict[str, Any]:
    day, rest = divmod(minute, 24 * 60)
    date = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
    return {
        "type": kind,
        "eventID": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "eventTime": f"{date}T{rest // 60:02d}:{rest % 60:02d}:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


def generate(n_events: int) -> dict[str, Any]:
    """A biscuit group's year: flour lots commissioned, mixed, packed on pallets, shipped, received.

    Each chain is 5 events: commissioning of a flour lot, a transformation into a biscuit
    lot, packing onto a pallet, shipping the pallet, receiving it at a retailer.
    """
    events: list[dict[str, Any]] = []
    n = 0
    chain = 0
    while len(events) < n_events:
        flour = f"urn:epc:class:lgtin:4012345.012345.F{chain}"
        biscuit = f"urn:epc:class:lgtin:4012345.054321.B{chain}"
        pallet = f"urn:epc:id:sscc:4012345.{chain:010d}"
        shop = f"urn:epc:id:pgln:0614141.{chain % 500:05d}.0"
        minute = chain * 7
        steps = [
            _event(
                "ObjectEvent",
                n,
                minute,
                action="ADD",
                bizStep="commissioning",
                bizLocation={"id": "urn:epc:id:sgln:4012345.00001.0"},
                quantityList=[{"epcClass": flour, "quantity": 1000, "uom": "KGM"}],
            ),
            _event(
                "TransformationEvent",
                n + 1,
                minute + 1,
                bizStep="commissioning",
                inputQuantityList=[{"epcClass": flour, "quantity": 400, "uom": "KGM"}],
                outputQuantityList=[{"epcClass": biscuit, "quantity": 600, "uom": "KGM"}],
            ),
            _event(
                "AggregationEvent",
                n + 2,
                minute + 2,
                action="ADD",
                bizStep="packing",
                parentID=pallet,
                childQuantityList=[{"epcClass": biscuit, "quantity": 600, "uom": "KGM"}],
            ),
            _event(
                "ObjectEvent",
                n + 3,
                minute + 3,
                action="OBSERVE",
                bizStep="shipping",
                epcList=[pallet],
                destinationList=[{"type": "owning_party", "destination": shop}],
            ),
            _event(
                "ObjectEvent",
                n + 4,
                minute + 4,
                action="OBSERVE",
                bizStep="receiving",
                epcList=[pallet],
                bizLocation={"id": shop},
            ),
        ]
        events.extend(steps)
        n += len(steps)
        chain += 1
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-31T00:00:00Z",
        "epcisBody": {"eventList": events[:n_events]},
    }


def best_of(repeat: int, run: Any) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = json.dumps(generate(args.events))
    print(f"document: {args.events:,} events, {len(text) / 1e6:.1f} MB of JSON")

    baseline = best_of(args.repeat, lambda: json.loads(text))
    gc.disable()  # load_epcis pauses the collector itself; show json.loads that way too
    try:
        paused = best_of(args.repeat, lambda: json.loads(text))
    finally:
        gc.enable()
    result: list[qf.EpcisImport] = []
    loading = best_of(args.repeat, lambda: result.append(qf.load_epcis(text)))
    imported = result[-1]
    g = imported.genealogy
    print(f"json.loads      : {baseline:8.3f} s  {args.events / baseline:12,.0f} events/s")
    print(f"  (GC paused)   : {paused:8.3f} s  {args.events / paused:12,.0f} events/s")
    print(f"qf.load_epcis   : {loading:8.3f} s  {args.events / loading:12,.0f} events/s")
    print(f"ratio           : {loading / baseline:8.2f}x json.loads (goal: at most 5x)")
    print(f"                : {loading / paused:8.2f}x json.loads with the GC paused")
    print(f"genealogy       : {g!r}; {len(imported.warnings)} warnings")


if __name__ == "__main__":
    main()
