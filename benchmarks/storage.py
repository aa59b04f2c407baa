"""Storage throughput and cold single-lot traces.

1. Committed ``qms.incidents.fire`` calls per second on SQLite (file, WAL), PostgreSQL and
   MariaDB, each next to its baseline: bare inserts of the same incident JSON, one
   transaction each, through the same driver and engine, in the same run.
2. A single-lot trace on a cold SQLite database of ``--lots`` lots (default 1,000,000):
   a fresh process opens ``qf.QualityFlow("sqlite:///...")`` and traces one raw lot
   forward and one finished batch backward; the recursive query means it loads only what
   the lot reaches. The baseline is loading the whole genealogy (``qms.genealogy``) when
   the database is small enough (``--full-load-max``). "Cold" means a fresh process with
   nothing loaded; the operating system's file cache is whatever the machine has.

Servers come from ``QUALITYFLOW_TEST_POSTGRESQL_URL`` / ``QUALITYFLOW_TEST_MYSQL_URL``
(defaults: the project's local servers); a server that does not answer is skipped. The
machine may be shared: read the ratios, not only the absolute numbers.

Run: ``.venv/bin/python benchmarks/storage.py [--fires 300] [--lots 1000000] [--db PATH]
[--skip-fire] [--skip-trace]``
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

import qualityflow as qf
from qualityflow.storage.sql import SQLStorage, edges_table, entities, sqlite_storage
from qualityflow.testing.servers import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


# -- 1. fire throughput ------------------------------------------------------------------


def fire_rate(url: str, n: int) -> tuple[float, float]:
    """Return (fire calls/s, bare inserts/s) on the backend at ``url``."""
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for i in range(n):
            qms.incidents.add(
                qf.Incident(
                    id=f"INC-{i}", title="Foreign body in noodles", severity="minor", reported_at=T0
                )
            )
        assessment = qf.ImpactAssessment(severity="minor", risk="choking")
        team = qf.EmergencyTeam(leader=LEADER)
        start = time.perf_counter()
        for i in range(n):
            qms.incidents.fire(
                f"INC-{i}", "assess", actor="Li Na", at=T0, team=team, assessment=assessment
            )
        fires = n / (time.perf_counter() - start)
        sample = qms.incidents.get("INC-0").model_dump_json()
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        bare = sa.Table(
            "bench_bare",
            sa.MetaData(),
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("data", sa.Text().with_variant(sa.dialects.mysql.LONGTEXT(), "mysql")),
        )
        bare.create(storage.engine, checkfirst=True)
        start = time.perf_counter()
        for i in range(n):
            with storage.engine.begin() as conn:
                conn.execute(bare.insert().values(id=f"B-{i}", data=sample))
        inserts = n / (time.perf_counter() - start)
        bare.drop(storage.engine)
        if not url.startswith("sqlite"):
            storage.drop_schema()
    return fires, inserts


def report_fire_rates(n: int) -> None:
    print(f"\n== committed fire() calls/s vs bare JSON inserts/s ({n} each, 1 tx each)")
    print(f"{'backend':<12}{'fire/s':>10}{'insert/s':>11}{'fire/insert':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        targets: list[tuple[str, Callable[[], str | None]]] = [
            ("SQLite WAL", lambda: f"sqlite:///{Path(tmp) / 'bench.db'}"),
        ]
        for label, env in (("PostgreSQL", POSTGRESQL_ENV), ("MariaDB", MYSQL_ENV)):
            targets.append((label, lambda env=env: server_url(env)))  # type: ignore[misc]
        for label, make_url in targets:
            url = make_url()
            if url is None:
                continue
            try:
                if url.startswith("sqlite"):
                    fires, inserts = fire_rate(url, n)
                else:
                    with temporary_database(url) as db_url:
                        fires, inserts = fire_rate(db_url, n)
            except ConnectionError as exc:
                print(f"{label:<12}skipped: {exc}")
                continue
            print(f"{label:<12}{fires:>10.0f}{inserts:>11.0f}{fires / inserts:>13.2f}")


# -- 2. cold single-lot trace ------------------------------------------------------------


def plant_rows(
    lots: int, seed: int = 11, suppliers: int = 1
) -> tuple[Iterator[list[dict[str, object]]], Callable[[], list[dict[str, object]]]]:
    """Return the rows of a synthetic plant of ``lots`` batches, for a bulk insert.

    40 % raw lots, 30 % mixes (2-4 raw lots each), 30 % finished batches (1-2 mixes
    each). Raw lot ``i`` comes from supplier ``SUP-{i % suppliers + 1}`` (by default all
    from ``SUP-1``). The first value yields the entity rows (``qf_entities``) in chunks of
    50,000; the second, called after, returns the edge rows (``qf_edges``).
    """
    rng = random.Random(seed)
    n_raw, n_mix = int(lots * 0.4), int(lots * 0.3)
    n_fin = lots - n_raw - n_mix
    template = {
        "raw": qf.Batch(
            id="ID",
            kind="raw_material",
            product="wheat flour",
            quantity=qf.Quantity(amount=1000, unit="kg"),
            supplier_id="SUP-1",
        ),
        "mix": qf.Batch(
            id="ID",
            kind="intermediate",
            product="dough",
            quantity=qf.Quantity(amount=800, unit="kg"),
        ),
        "fin": qf.Batch(
            id="ID",
            kind="finished",
            product="biscuits",
            quantity=qf.Quantity(amount=4000, unit="pack"),
        ),
    }
    json_of = {k: v.model_dump_json(exclude={"version"}) for k, v in template.items()}

    def row(kind: str, i: int) -> dict[str, object]:
        id = f"{kind.upper()}-{i:07d}"
        data = json.loads(json_of[kind])
        data["id"], data["version"] = id, 1
        if kind == "raw" and suppliers > 1:
            data["supplier_id"] = f"SUP-{i % suppliers + 1}"
        return {
            "kind": "batch",
            "id": id,
            "status": "released",
            "version": 1,
            "data": json.dumps(data),
        }

    def entity_rows() -> Iterator[list[dict[str, object]]]:
        for kind, count in (("raw", n_raw), ("mix", n_mix), ("fin", n_fin)):
            for start in range(0, count, 50_000):
                yield [row(kind, i) for i in range(start, min(count, start + 50_000))]

    def edge_rows() -> list[dict[str, object]]:
        links: set[tuple[str, str]] = set()
        for m in range(n_mix):
            for r in rng.sample(range(n_raw), rng.randint(2, 4)):
                links.add((f"RAW-{r:07d}", f"MIX-{m:07d}"))
        for f in range(n_fin):
            for m in rng.sample(range(n_mix), rng.randint(1, 2)):
                links.add((f"MIX-{m:07d}", f"FIN-{f:07d}"))
        return [{"input_id": a, "output_id": b, "kind": "link"} for a, b in links]

    return entity_rows(), edge_rows


def build_plant_db(path: Path, lots: int, seed: int = 11, suppliers: int = 1) -> None:
    """Write a synthetic plant of ``lots`` batches straight into a fresh database.

    40 % raw lots, 30 % mixes (2-4 raw lots each), 30 % finished batches (1-2 mixes
    each); see :func:`plant_rows`.
    """
    store = sqlite_storage(f"sqlite:///{path}")
    store.close()
    entity_chunks, edge_rows = plant_rows(lots, seed, suppliers)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        for chunk in entity_chunks:
            conn.execute(entities.insert(), chunk)
        rows = edge_rows()
        for start in range(0, len(rows), 100_000):
            conn.execute(edges_table.insert(), rows[start : start + 100_000])
    engine.dispose()


COLD = """
import sys, time
t0 = time.perf_counter()
import qualityflow as qf
t1 = time.perf_counter()
import qualityflow.storage.sql  # SQLAlchemy: loaded on first use of a SQL URL
t_sql = time.perf_counter() - t1
t1 = time.perf_counter()
qms = qf.QualityFlow(sys.argv[1], load_entry_points=False)
forward = qms.trace_forward(sys.argv[2])
backward = qms.trace_backward(sys.argv[3])
t2 = time.perf_counter()
full = None
if sys.argv[4] == "1":
    g = qms.genealogy
    g.trace_forward(sys.argv[2])
    full = time.perf_counter() - t2
print(t1 - t0 - t_sql, t2 - t1, len(forward.ids), len(backward.ids), full, t_sql)
"""


def report_cold_trace(lots: int, db: Path | None, full_load_max: int) -> None:
    print(f"\n== cold single-lot trace on a {lots:,}-lot SQLite database")
    with tempfile.TemporaryDirectory() as tmp:
        path = db or Path(tmp) / f"plant-{lots}.db"
        if not path.exists():
            start = time.perf_counter()
            build_plant_db(path, lots)
            print(
                f"built in {time.perf_counter() - start:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
            )
        fin = "FIN-0000042"
        with sqlite3.connect(path) as conn:  # a raw lot upstream of that finished batch
            (raw,) = conn.execute(
                "select e1.input_id from qf_edges e1 join qf_edges e2 "
                "on e1.output_id = e2.input_id where e2.output_id = ? limit 1",
                (fin,),
            ).fetchone()
        full = "1" if lots <= full_load_max else "0"
        out = subprocess.run(
            [sys.executable, "-c", COLD, f"sqlite:///{path}", raw, fin, full],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        imp, trace, n_fwd, n_bwd, full_s = float(out[0]), float(out[1]), out[2], out[3], out[4]
        print(f"import qualityflow          {imp:8.2f} s")
        print(f"import SQLAlchemy (1st use) {float(out[5]):8.2f} s")
        reached = f"{n_fwd} ids downstream of {raw}, {n_bwd} upstream of {fin}"
        print(f"open + trace fwd + bwd      {trace:8.3f} s  ({reached})")
        if full_s != "None":
            print(
                f"baseline: load everything   {float(full_s):8.2f} s  (qms.genealogy, then trace)"
            )
        else:
            print(
                f"baseline: load everything   skipped above --full-load-max {full_load_max:,} lots"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fires", type=int, default=300, help="fire() calls per backend")
    parser.add_argument("--lots", type=int, default=1_000_000, help="lots in the trace database")
    parser.add_argument("--db", type=Path, default=None, help="reuse/keep this database file")
    parser.add_argument("--full-load-max", type=int, default=200_000)
    parser.add_argument("--skip-fire", action="store_true")
    parser.add_argument("--skip-trace", action="store_true", help="only the fire throughput")
    args = parser.parse_args()
    logging.getLogger("qualityflow").setLevel(logging.WARNING)
    if not args.skip_fire:
        report_fire_rates(args.fires)
    if not args.skip_trace:
        report_cold_trace(args.lots, args.db, args.full_load_max)


if __name__ == "__main__":
    main()
