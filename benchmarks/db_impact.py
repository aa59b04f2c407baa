"""A supplier-wide recall answered in the database against the same in memory (issue 17).

On a synthetic plant of ``--lots`` lots (default 1,000,000; the plant of
``benchmarks/storage.py``, raw lots spread over ``--suppliers`` suppliers), one process
asks ``qms.recall_impact(*lots)`` for every raw lot of one supplier: the service answers
from the database (a recursive query for what the lots reach, then only those records
loaded). The baseline, in the same process, is the same question to the whole genealogy in
memory (``qms.genealogy``, loaded once and warmed, its load not counted). The goal: the
database answer within 3x the in-memory one on PostgreSQL. SQLite is measured beside it.

Both answers are compared (the same batches, shipments and quantities) before timing.

Run: ``.venv/bin/python benchmarks/db_impact.py [--lots 1000000] [--suppliers 200]
[--rounds 3] [--skip-sqlite] [--skip-postgresql]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from storage import build_plant_db, plant_rows

import qualityflow as qf
from qualityflow.storage.sql import edges_table, entities, open_sql_storage
from qualityflow.testing.servers import POSTGRESQL_ENV, server_url, temporary_database


def build_server_db(url: str, lots: int, suppliers: int) -> None:
    """Write the synthetic plant straight into a fresh server database."""
    store = open_sql_storage(url)
    store.close()
    entity_chunks, edge_rows = plant_rows(lots, suppliers=suppliers)
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        for chunk in entity_chunks:
            conn.execute(entities.insert(), chunk)
        rows = edge_rows()
        for start in range(0, len(rows), 100_000):
            conn.execute(edges_table.insert(), rows[start : start + 100_000])
    engine.dispose()


def supplier_lots(lots: int, suppliers: int, supplier: int = 1) -> list[str]:
    """The raw lots of ``SUP-<supplier>`` in the plant of ``plant_rows``."""
    n_raw = int(lots * 0.4)
    return [f"RAW-{i:07d}" for i in range(n_raw) if i % suppliers + 1 == supplier]


def same(a: qf.RecallImpact, b: qf.RecallImpact) -> bool:
    return (
        {x.id for x in a.batches} == {x.id for x in b.batches}
        and {x.id for x in a.shipments} == {x.id for x in b.shipments}
        and a.shipped == b.shipped
        and a.in_house == b.in_house
    )


def measure(label: str, url: str, lots: list[str], rounds: int) -> None:
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        start = time.perf_counter()
        genealogy = qms.genealogy
        load = time.perf_counter() - start
        in_memory = genealogy.recall_impact(*lots)  # warms the attribute arrays
        in_db = qms.recall_impact(*lots)
        assert same(in_db, in_memory), "the database and the memory answers differ"
        db_times, mem_times = [], []
        for _ in range(rounds):  # interleaved
            t = time.perf_counter()
            qms.recall_impact(*lots)
            db_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            genealogy.recall_impact(*lots)
            mem_times.append(time.perf_counter() - t)
    db, mem = statistics.median(db_times), statistics.median(mem_times)
    ratio = db / mem
    verdict = "met" if ratio <= 3 else "MISSED"
    print(
        f"{label:<11} recall_impact({len(lots):,} lots): in the database {db:.2f} s, in "
        f"memory {mem:.2f} s -> {ratio:.2f}x (goal <= 3x: {verdict}); reached "
        f"{len(in_db.batches):,} batches; whole-genealogy load {load:.1f} s (not counted)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    lots = supplier_lots(args.lots, args.suppliers)
    print(f"== supplier-wide recall on a {args.lots:,}-lot plant ({args.suppliers} suppliers)")
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plant.db"
            t = time.perf_counter()
            build_plant_db(path, args.lots, suppliers=args.suppliers)
            print(f"(SQLite plant written in {time.perf_counter() - t:.0f} s)")
            measure("SQLite", f"sqlite:///{path}", lots, args.rounds)
    if not args.skip_postgresql:
        try:
            with temporary_database(server_url(POSTGRESQL_ENV)) as url:
                t = time.perf_counter()
                build_server_db(url, args.lots, args.suppliers)
                print(f"(PostgreSQL plant written in {time.perf_counter() - t:.0f} s)")
                measure("PostgreSQL", url, lots, args.rounds)
        except ConnectionError as exc:
            print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()
