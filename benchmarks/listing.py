"""Listing by indexed fields (issue 19): release, filtered lists and streaming, at scale.

1. ``qms.batches.release`` of a held batch with 100 and with ``--inspections`` (default
   50,000) inspections on file, each batch having two. Goal: within 2x. The baseline in
   the same run is what release did before the field index: read every inspection and
   keep the batch's own (``storage.list("inspection")`` filtered in Python).
2. ``qms.batches.list(supplier_id=...)`` on ``--batches`` (default 100,000) lots of 1,000
   suppliers, against the same answer by loading the whole kind and filtering in Python
   (the previous ``Repository.list``).
3. Peak memory (RSS, a fresh process each) of counting every lot with
   ``qms.batches.iter_list()`` against ``len(qms.batches.list())``, next to a process that
   only opens the database.

SQLite file (WAL) always; PostgreSQL and MariaDB for part 1 when their servers answer
(``QUALITYFLOW_TEST_POSTGRESQL_URL`` / ``QUALITYFLOW_TEST_MYSQL_URL`` or the project's
defaults; ``--servers-inspections`` on file there). The plant is seeded with one
``executemany`` per table, entities and their index rows, outside the audit ledger (the
benchmark does not audit). The machine may be shared: read the ratios.

Run: ``.venv/bin/python benchmarks/listing.py [--inspections 50000] [--batches 100000]
[--servers-inspections 50000] [--skip-servers]``
"""

from __future__ import annotations

import argparse
import functools
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

import qualityflow as qf
from qualityflow.storage.base import Entity, index_entries, kind_of, status_of
from qualityflow.storage.sql import SQLStorage, entities, fields_table
from qualityflow.testing.servers import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
QTY = qf.Quantity(amount=1000, unit="kg")
RELEASES = 25


def seed(storage: SQLStorage, rows: Iterable[Entity], chunk: int = 5000) -> None:
    """Insert entities and their field-index rows with executemany (version 1)."""
    batch: list[Entity] = []

    def flush() -> None:
        with storage.engine.begin() as conn:
            conn.execute(
                entities.insert(),
                [
                    {
                        "kind": kind_of(e),
                        "id": e.id,
                        "status": status_of(e),
                        "version": 1,
                        "data": e.model_copy(update={"version": 1}).model_dump_json(),
                    }
                    for e in batch
                ],
            )
            index = [
                {"kind": kind_of(e), "id": e.id, "field": f, "value": v}
                for e in batch
                for f, v in index_entries(kind_of(e), e)
            ]
            if index:
                conn.execute(fields_table.insert(), index)
        batch.clear()

    for entity in rows:
        batch.append(entity)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()


# -- 1. release ------------------------------------------------------------------------------


def plant_with_inspections(inspections: int) -> Iterable[Entity]:
    """Lots with two inspections each (``inspections`` in all) and the held targets."""
    for n in range(inspections // 2):
        yield qf.Batch(id=f"LOT-{n:07d}", kind="raw_material", product="flour", quantity=QTY)
    for n in range(inspections // 2):
        for stage in ("incoming", "in_process"):
            yield qf.Inspection(
                id=f"IQC-{n:07d}-{stage}", batch_id=f"LOT-{n:07d}", stage=stage, result="pass"
            )
    for n in range(RELEASES):
        yield qf.Batch(
            id=f"HELD-{n:03d}",
            kind="finished",
            product="biscuits",
            quantity=QTY,
            status="on_hold",
        )
        yield qf.Inspection(
            id=f"FQC-{n:03d}", batch_id=f"HELD-{n:03d}", stage="final", result="pass"
        )


def time_releases(small_url: str, large_url: str, small: int, large: int) -> list[float]:
    """Return [release s with small, with large, old lookup s with small, with large].

    Both plants are open at once and the releases alternate between them, so a change
    of load on the (shared) machine hits both alike; each figure is a median.
    """
    plants = []
    try:
        for url, inspections in ((small_url, small), (large_url, large)):
            qms = qf.QualityFlow(url, load_entry_points=False)
            plants.append(qms)
            storage = qms.storage
            assert isinstance(storage, SQLStorage)
            seed(storage, plant_with_inspections(inspections))
            assert storage.count("inspection") == inspections + RELEASES
        times: list[list[float]] = [[], []]
        for n in range(RELEASES):
            for number, qms in enumerate(plants):
                start = time.perf_counter()
                released = qms.batches.release(f"HELD-{n:03d}", actor="QA Mia", reason="passed")
                times[number].append(time.perf_counter() - start)
                assert released.status is qf.BatchStatus.RELEASED
        old = []
        for qms in plants:
            start = time.perf_counter()
            own = [
                i
                for i in qms.storage.list("inspection")
                if i.batch_id == "HELD-000"  # type: ignore[union-attr]
            ]
            old.append(time.perf_counter() - start)
            assert len(own) == 1
        return [statistics.median(t) for t in times] + old
    finally:
        for qms in plants:
            if not qms.storage.url.startswith("sqlite"):
                qms.storage.drop_schema()  # type: ignore[attr-defined]
            qms.close()


def report_release(label: str, make_url: Callable[[], str], small: int, large: int) -> None:
    try:
        if make_url().startswith("sqlite"):
            time_releases(make_url(), make_url(), small, small)  # warm-up
            few, many, few_old, many_old = time_releases(make_url(), make_url(), small, large)
        else:
            with temporary_database(make_url()) as a, temporary_database(make_url()) as b:
                time_releases(a, b, small, small)  # warm-up
                few, many, few_old, many_old = time_releases(a, b, small, large)
    except ConnectionError as exc:
        print(f"{label:<22}skipped: {exc}")
        return
    print(
        f"{label:<22}{few * 1e3:>10.2f}{many * 1e3:>10.2f}{many / few:>8.2f}x"
        f"{few_old * 1e3:>12.1f}{many_old * 1e3:>12.1f}   goal <= 2x: "
        f"{'met' if many / few <= 2 else 'MISSED'}"
    )


# -- 2. list(supplier_id=...) ------------------------------------------------------------------


def plant_with_batches(batches: int) -> Iterable[Entity]:
    for n in range(batches):
        yield qf.Batch(
            id=f"LOT-{n:07d}",
            kind="raw_material",
            product="wheat flour",
            quantity=QTY,
            supplier_id=f"SUP-{n % 1000:04d}",
            line=f"L{n % 7}",
        )


def report_supplier_list(path: Path, batches: int) -> None:
    url = f"sqlite:///{path}"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        if storage.count("batch") != batches:
            seed(storage, plant_with_batches(batches))
        indexed = []
        for n in range(5):
            start = time.perf_counter()
            found = qms.batches.list(supplier_id=f"SUP-{n * 97:04d}")
            indexed.append(time.perf_counter() - start)
            assert len(found) == batches // 1000
        start = time.perf_counter()
        everything = storage.list("batch")
        scan = [b for b in everything if b.supplier_id == "SUP-0000"]  # type: ignore[union-attr]
        full = time.perf_counter() - start
        assert [b.id for b in scan] == [b.id for b in qms.batches.list(supplier_id="SUP-0000")]
        del everything, scan
        start = time.perf_counter()
        paged = qms.batches.list(supplier_id="SUP-0001", line="L1", limit=10)
        page_time = time.perf_counter() - start
        assert len(paged) == min(10, len([n for n in range(1, batches, 1000) if n % 7 == 1]))
    median = statistics.median(indexed)
    print(
        f"list(supplier_id=...) on {batches:,} lots ({batches // 1000} found): "
        f"{median * 1e3:.2f} ms; loading all and filtering (before): {full * 1e3:.0f} ms "
        f"({full / median:.0f}x); list(supplier_id, line, limit=10): {page_time * 1e3:.2f} ms"
    )


# -- 3. iter_list peak memory ------------------------------------------------------------------

# VmHWM is the peak of this process's own memory (ru_maxrss would start from the
# parent's peak: Linux keeps it across fork and exec).
_PROBE = """
import sys, time
import qualityflow as qf
qms = qf.QualityFlow(sys.argv[1], load_entry_points=False)
start = time.perf_counter()
mode = sys.argv[2]
if mode == "iter_list":
    n = sum(1 for _ in qms.batches.iter_list(page=1000))
elif mode == "list":
    n = len(qms.batches.list())
else:
    n = qms.storage.count("batch")
took = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(n, took, peak)
"""


def report_memory(path: Path) -> None:
    url = f"sqlite:///{path}"
    results = {}
    for mode in ("open", "iter_list", "list"):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, url, mode],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        results[mode] = (int(out[0]), float(out[1]), int(out[2]) / 1024)
    base = results["open"][2]
    for mode in ("iter_list", "list"):
        n, took, rss = results[mode]
        print(
            f"{mode + '()':<12} {n:,} lots in {took:.1f} s, peak RSS {rss:.0f} MB "
            f"({rss - base:+.0f} MB over a process that only opens the database, {base:.0f} MB)"
        )


def report_releases(home: Path, inspections: int, on_servers: int, skip_servers: bool) -> None:
    print(
        f"\n== batches.release, median of {RELEASES}, with 100 vs N inspections on file; "
        "'old' = reading every inspection to find the batch's own (before)"
    )
    print(
        f"{'backend':<22}{'100 ms':>10}{'N ms':>10}{'ratio':>9}{'old@100 ms':>12}{'old@N ms':>12}"
    )
    counter = iter(range(1000))
    report_release(
        f"SQLite N={inspections:,}",
        lambda: f"sqlite:///{home / f'release-{next(counter)}.db'}",
        100,
        inspections,
    )
    if not skip_servers:
        for label, env in (("PostgreSQL", POSTGRESQL_ENV), ("MariaDB", MYSQL_ENV)):
            make = functools.partial(server_url, env)
            report_release(f"{label} N={on_servers:,}", make, 100, on_servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=50_000)
    parser.add_argument("--servers-inspections", type=int, default=50_000)
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--skip-servers", action="store_true")
    parser.add_argument("--skip-release", action="store_true", help="only parts 2 and 3")
    args = parser.parse_args()
    logging.getLogger("qualityflow").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if not args.skip_release:
            report_releases(home, args.inspections, args.servers_inspections, args.skip_servers)
        print("\n== filtered and streamed listing (SQLite file)")
        lots = home / "lots.db"
        report_supplier_list(lots, args.batches)
        report_memory(lots)


if __name__ == "__main__":
    main()
