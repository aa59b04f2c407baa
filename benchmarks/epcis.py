"""EPCIS import speed: events per second for generated documents.

Compares ``qf.load_epcis`` (read, normalise, order, build the genealogy) with plain
``json.loads`` of the same text, measured in the same run. ``load_epcis`` pauses the
garbage collector while it works, so ``json.loads`` is also timed with the collector
paused: plain ``json.loads`` of a large document spends much of its time in collections,
which flatters the first ratio.

Two shapes:

* ``--shape chains`` (the default): a biscuit group's year, every lot shipped once on a
  pallet. Goal: at most 5x ``json.loads``.
* ``--shape shipped``: a few lots shipped again and again in partial quantities, each
  shipment received, the lots also consumed bit by bit by transformations; loaded at
  several sizes (``--sizes``), with the growth of the time per doubling of the events
  (2.0 is linear, 4.0 quadratic). Goal: 80k events within 10x ``json.loads`` with the
  collector paused, and growth about 2 per doubling.

    .venv/bin/python benchmarks/epcis.py [--events 100000] [--repeat 3]
    .venv/bin/python benchmarks/epcis.py --shape shipped [--sizes 10000,20000,40000,80000]
        [--lots 20] [--repeat 3] [--cpu]
"""

from __future__ import annotations

import argparse
import functools
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


def generate_shipped(n_events: int, n_lots: int = 20) -> dict[str, Any]:
    """A few lots shipped many times: partial shipments, each received, bits consumed.

    Each lot is commissioned with 1,000,000 kg; then, round robin over the lots, a
    shipment of 7 kg to one of 50 customers, its receiving event, and every third round a
    transformation that consumes 3 kg of the lot into a new product lot. Every shipment
    checks what was consumed of the lot before it and every receipt looks for the open
    shipment it confirms, so a lot's history grows with the file.
    """
    events: list[dict[str, Any]] = []
    lots = [f"urn:epc:class:lgtin:4012345.012345.L{k}" for k in range(n_lots)]
    for k, lot in enumerate(lots):
        events.append(
            _event(
                "ObjectEvent",
                len(events),
                k,
                action="ADD",
                bizStep="commissioning",
                bizLocation={"id": "urn:epc:id:sgln:4012345.00001.0"},
                quantityList=[{"epcClass": lot, "quantity": 1_000_000, "uom": "KGM"}],
            )
        )
    round_ = 0
    while len(events) < n_events:
        lot = lots[round_ % n_lots]
        shop = f"urn:epc:id:pgln:0614141.{round_ % 50:05d}.0"
        minute = n_lots + round_ * 3
        events.append(
            _event(
                "ObjectEvent",
                len(events),
                minute,
                action="OBSERVE",
                bizStep="shipping",
                bizLocation={"id": "urn:epc:id:sgln:4012345.00001.0"},
                quantityList=[{"epcClass": lot, "quantity": 7, "uom": "KGM"}],
                destinationList=[{"type": "owning_party", "destination": shop}],
            )
        )
        events.append(
            _event(
                "ObjectEvent",
                len(events),
                minute + 1,
                action="OBSERVE",
                bizStep="receiving",
                bizLocation={"id": shop},
                quantityList=[{"epcClass": lot, "quantity": 7, "uom": "KGM"}],
            )
        )
        if round_ % 3 == 0:
            events.append(
                _event(
                    "TransformationEvent",
                    len(events),
                    minute + 2,
                    bizStep="commissioning",
                    inputQuantityList=[{"epcClass": lot, "quantity": 3, "uom": "KGM"}],
                    outputQuantityList=[
                        {
                            "epcClass": f"urn:epc:class:lgtin:4012345.054321.P{round_}",
                            "quantity": 5,
                            "uom": "KGM",
                        }
                    ],
                )
            )
        round_ += 1
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-31T00:00:00Z",
        "epcisBody": {"eventList": events[:n_events]},
    }


def best_of(repeat: int, run: Any, clock: Any = time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def paused_loads(repeat: int, text: str, clock: Any = time.perf_counter) -> float:
    gc.disable()  # load_epcis pauses the collector itself; time json.loads that way too
    try:
        return best_of(repeat, lambda: json.loads(text), clock)
    finally:
        gc.enable()


def _load_into(result: list[qf.EpcisImport], text: str) -> None:
    result.append(qf.load_epcis(text))


def scaling(sizes: list[int], n_lots: int, repeat: int, cpu: bool = False) -> None:
    clock = time.process_time if cpu else time.perf_counter
    print(
        f"repeatedly shipped lots: {n_lots} lots; best of {repeat}, json.loads and load_epcis "
        f"taken in turns; {'CPU' if cpu else 'wall'} time"
    )
    print(
        f"{'events':>8} {'MB':>6} {'json.loads':>11} {'load_epcis':>11} {'ratio':>7} "
        f"{'growth':>7} {'shipments':>10} {'warnings':>9}"
    )
    previous: float | None = None
    for size in sizes:
        text = json.dumps(generate_shipped(size, n_lots))
        result: list[qf.EpcisImport] = []
        paused_times, loading_times = [], []
        for _ in range(repeat):  # in turns, so that both see the same load on the machine
            paused_times.append(paused_loads(1, text, clock))
            loading_times.append(best_of(1, functools.partial(_load_into, result, text), clock))
            result[:-1] = []
        paused, loading = min(paused_times), min(loading_times)
        growth = f"{loading / previous:7.2f}" if previous else f"{'':>7}"
        previous = loading
        imported = result[-1]
        print(
            f"{size:>8,} {len(text) / 1e6:6.1f} {paused:10.3f}s {loading:10.3f}s "
            f"{loading / paused:6.1f}x {growth} {len(imported.shipments):>10,} "
            f"{len(imported.warnings):>9,}"
        )
        result.clear()
    print("ratio: load_epcis / json.loads with the GC paused (goal: at most 10x at 80k)")
    print("growth: load_epcis time / the previous size's (2.0 per doubling is linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=("chains", "shipped"), default="chains")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,20000,40000,80000")
    parser.add_argument("--lots", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU (process) time, not wall (a loaded machine)"
    )
    args = parser.parse_args()
    if args.shape == "shipped":
        scaling([int(s) for s in args.sizes.split(",")], args.lots, args.repeat, args.cpu)
        return
    text = json.dumps(generate(args.events))
    print(f"document: {args.events:,} events, {len(text) / 1e6:.1f} MB of JSON")

    baseline = best_of(args.repeat, lambda: json.loads(text))
    paused = paused_loads(args.repeat, text)
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
