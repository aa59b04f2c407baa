"""Write throughput: single links, bulk links and batches, and a simulated plant day.

Each figure is set against a baseline measured in the same run, on the same database and
driver:

a. ``qms.link`` calls per second (each its own transaction: the genealogy lock, both
   ends, the supplier, the cycle check, the edge, its ledger entry) against a bare
   insert of the same edge row, one transaction each, interleaved call by call. Goal:
   within 3x.
b. ``qms.link_many`` of ``--links`` links (default 1,000,000) in one call against a bare
   ``executemany`` of the same edge rows in one transaction. Goal: within 3x.
c. ``qms.batches.add_many`` of ``--batches`` batches (default 1,000,000) against a bare
   ``executemany`` of the same entity rows (the same JSON) in one transaction. Goal:
   within 3x.
d. A simulated plant day (``--day`` scales it; 1 = 10k batches, 20k links, 5k shipments,
   200 incidents, 500 complaints) through the service, against bare inserts of the same
   rows. Two ways: the bulk calls (add_many, link_many; incidents and complaints one by
   one, they have no bulk call), all in one ``qms.storage.transaction()``, against one
   ``executemany`` per table, goal within 2.5x; and (with ``--one-by-one``) one service
   call per record against one bare insert per record, each its own transaction (how
   the issue measured 5.5x).

Bare rows go into scratch tables with the layout and indexes of ``qf_entities`` and
``qf_edges`` (no ledger: that is what the service adds). SQLite is a file (WAL,
``synchronous=FULL``); PostgreSQL and MariaDB come from ``QUALITYFLOW_TEST_POSTGRESQL_URL``
/ ``QUALITYFLOW_TEST_MYSQL_URL`` (defaults: the project's local servers), skipped when
they do not answer. The machine may be shared: read the ratios.

Run: ``.venv/bin/python benchmarks/writes.py [--backends sqlite,postgresql,mysql]
[--links 1000000] [--batches 1000000] [--single 300] [--day 1] [--one-by-one]
[--repeat 1] [--skip a,b,c,d]``;
a quick run: ``--links 20000 --batches 20000 --single 100 --day 0.1``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import qualityflow as qf
from qualityflow.storage.sql import SQLStorage, edges_table, entities
from qualityflow.testing.servers import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
KG = qf.Quantity(amount=25, unit="kg")
PACKS = qf.Quantity(amount=400, unit="pack")
HAS_BULK = hasattr(qf.QualityFlow, "link_many")


# -- helpers ----------------------------------------------------------------------------


@contextlib.contextmanager
def service(url: str) -> Iterator[qf.QualityFlow]:
    qms = qf.QualityFlow(url, load_entry_points=False)
    try:
        yield qms
    finally:
        storage = qms.storage
        if isinstance(storage, SQLStorage) and not url.startswith("sqlite"):
            storage.drop_schema()
        qms.close()


def scratch(storage: SQLStorage) -> tuple[sa.Table, sa.Table]:
    """Create empty copies of qf_entities and qf_edges (same columns and indexes)."""
    md = sa.MetaData()
    bare_entities = entities.to_metadata(md, name="bench_entities")
    bare_edges = edges_table.to_metadata(md, name="bench_edges")
    for table in (bare_entities, bare_edges):
        for index in list(table.indexes):
            index.name = f"bench_{index.name}"
    md.drop_all(storage.engine, checkfirst=True)
    md.create_all(storage.engine)
    return bare_entities, bare_edges


def drop(storage: SQLStorage, *tables: sa.Table) -> None:
    for table in tables:
        table.drop(storage.engine, checkfirst=True)


def bare_many(storage: SQLStorage, table: sa.Table, rows: list[dict[str, Any]]) -> float:
    """Seconds to insert ``rows`` with executemany in one transaction (driver cursor)."""
    columns = list(rows[0])
    compiled = table.insert().compile(dialect=storage.engine.dialect, column_keys=columns)
    names = compiled.positiontup if storage.engine.dialect.positional else None
    params: list[Any] = [tuple(r[n] for n in names) for r in rows] if names is not None else rows
    start = time.perf_counter()
    with storage.engine.begin() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for i in range(0, len(params), 20_000):
            cursor.executemany(compiled.string, params[i : i + 20_000])
        cursor.close()
    return time.perf_counter() - start


def bare_each(storage: SQLStorage, table: sa.Table, rows: list[dict[str, Any]]) -> float:
    """Seconds to insert ``rows`` one transaction each (SQLAlchemy Core, as an app would)."""
    insert = table.insert()
    start = time.perf_counter()
    for row in rows:
        with storage.engine.begin() as conn:
            conn.execute(insert, row)
    return time.perf_counter() - start


def batch(id: str, kind: str, supplier: str | None = None) -> qf.Batch:
    product = {"raw_material": "wheat flour", "intermediate": "dough", "finished": "biscuits"}
    return qf.Batch(
        id=id,
        kind=kind,
        product=product[kind],
        quantity=PACKS if kind == "finished" else KG,
        supplier_id=supplier,
        line="L2",
        produced_at=T0,
    )


def entity_row(entity: Any) -> dict[str, Any]:
    stored = entity.model_copy(update={"version": 1})
    return {
        "kind": qf.storage.kind_of(entity),
        "id": entity.id,
        "status": qf.storage.base.status_of(stored),
        "version": 1,
        "data": stored.model_dump_json(),
    }


def edge_row(u: str, v: str, q: qf.Quantity | None, kind: str = "link") -> dict[str, Any]:
    return {
        "input_id": u,
        "output_id": v,
        "kind": kind,
        "quantity": None if q is None else q.model_dump_json(),
        "override": None,
    }


def plant(
    lots: int, links: int, tag: str = ""
) -> tuple[list[qf.Batch], list[tuple[str, str, Any]]]:
    """40 % raw lots, 30 % mixes, 30 % finished; links raw -> mix and mix -> finished."""
    n_raw, n_mix = int(lots * 0.4), int(lots * 0.3)
    n_fin = lots - n_raw - n_mix
    raws = [f"{tag}RAW-{i:07d}" for i in range(n_raw)]
    mixes = [f"{tag}MIX-{i:07d}" for i in range(n_mix)]
    fins = [f"{tag}FIN-{i:07d}" for i in range(n_fin)]
    batches = [
        *(batch(i, "raw_material", f"SUP-{n % 20}") for n, i in enumerate(raws)),
        *(batch(i, "intermediate") for i in mixes),
        *(batch(i, "finished") for i in fins),
    ]
    pairs: list[tuple[str, str, Any]] = []
    seen: set[tuple[str, str]] = set()
    k = 0
    while len(pairs) < links:
        # Round k: every mix takes raw lot (k-th pick), every finished batch a mix.
        for m, mix in enumerate(mixes):
            pair = (raws[(m * 7 + k * 13) % n_raw], mix)
            if pair not in seen and len(pairs) < links:
                seen.add(pair)
                pairs.append((*pair, KG))
        for f, fin in enumerate(fins):
            pair = (mixes[(f * 5 + k * 11) % n_mix], fin)
            if pair not in seen and len(pairs) < links:
                seen.add(pair)
                pairs.append((*pair, None))
        k += 1
    return batches, pairs


def ratio_line(label: str, service_s: float, bare_s: float, goal: float, unit: str = "s") -> None:
    ratio = service_s / bare_s
    verdict = "meets" if ratio <= goal else "MISSES"
    print(
        f"  {label:<44}{service_s:>9.2f} {unit}  bare {bare_s:>8.2f} {unit}  "
        f"ratio {ratio:5.2f}  goal <= {goal}: {verdict}"
    )


# -- a. single links ---------------------------------------------------------------------


def single_links(url: str, n: int) -> None:
    with service(url) as qms:
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="Northfield Mill"))
        for i in range(n):
            qms.batches.add(batch(f"RAW-{i}", "raw_material", "SUP-1"))
            qms.batches.add(batch(f"MIX-{i}", "intermediate"))
        _, bare_edges = scratch(storage)
        insert = bare_edges.insert()
        # Interleaved (one bare insert, one link, ...) so that both see the same moments
        # of a shared machine's load and disk.
        linked = bare = 0.0
        for i in range(n):
            row = edge_row(f"RAW-{i}", f"MIX-{i}", KG)
            start = time.perf_counter()
            with storage.engine.begin() as conn:
                conn.execute(insert, row)
            bare += time.perf_counter() - start
            start = time.perf_counter()
            qms.link(f"RAW-{i}", f"MIX-{i}", KG)
            linked += time.perf_counter() - start
        drop(storage, bare_edges)
        print(f"  link: {n / linked:,.0f}/s, bare edge insert (own transaction): {n / bare:,.0f}/s")
        ratio_line(f"{n} x qms.link (interleaved)", linked, bare, 3.0)


# -- b. and c. bulk ----------------------------------------------------------------------


def bulk(
    factory: Callable[[], contextlib.AbstractContextManager[str]],
    n_batches: int,
    n_links: int,
    parts: set[str],
    repeat: int,
) -> None:
    """(c) then (b), each repetition on a fresh database; the best of each is reported."""
    if not HAS_BULK:
        print("  (this qualityflow has no add_many/link_many: skipped)")
        return
    lots = max(n_batches, n_links + 10)
    batches, links = plant(lots, n_links)
    best: dict[str, list[float]] = {"b": [], "b bare": [], "c": [], "c bare": []}
    for _ in range(repeat):
        with factory() as url, service(url) as qms:
            storage = qms.storage
            assert isinstance(storage, SQLStorage)
            bare_entities, bare_edges = scratch(storage)
            if "c" in parts:
                rows = [entity_row(b) for b in batches[:n_batches]]
                best["c bare"].append(bare_many(storage, bare_entities, rows))
                del rows
                start = time.perf_counter()
                qms.batches.add_many(batches[:n_batches])
                best["c"].append(time.perf_counter() - start)
            stored = n_batches if "c" in parts else 0
            if len(batches) > stored:
                qms.batches.add_many(batches[stored:])
            if "b" in parts:
                rows = [edge_row(u, v, q) for u, v, q in links]
                best["b bare"].append(bare_many(storage, bare_edges, rows))
                del rows
                start = time.perf_counter()
                qms.link_many(links)
                best["b"].append(time.perf_counter() - start)
            drop(storage, bare_entities, bare_edges)
    if "c" in parts:
        ratio_line(f"c. batches.add_many({n_batches:,})", min(best["c"]), min(best["c bare"]), 3.0)
    if "b" in parts:
        ratio_line(f"b. link_many({n_links:,})", min(best["b"]), min(best["b bare"]), 3.0)


# -- d. the plant day --------------------------------------------------------------------


def plant_day(scale: float) -> dict[str, Any]:
    n_batches, n_links = int(10_000 * scale), int(20_000 * scale)
    n_ship, n_inc, n_comp = int(5_000 * scale), max(1, int(200 * scale)), max(1, int(500 * scale))
    batches, links = plant(n_batches, n_links, tag="D")
    fins = [b.id for b in batches if b.kind.value == "finished"]
    shipments = [
        qf.Shipment(
            id=f"SHIP-{i:06d}",
            batch_id=fins[i % len(fins)],
            customer_id=f"CUST-{i % 300}",
            quantity=qf.Quantity(amount=20, unit="pack"),
            shipped_at=T0 + timedelta(hours=8),
            region="EU",
        )
        for i in range(n_ship)
    ]
    incidents = [
        qf.Incident(
            id=f"INC-{i:04d}",
            title="Foreign body in biscuits",
            severity="minor",
            reported_at=T0,
            batch_ids=[fins[i % len(fins)]],
        )
        for i in range(n_inc)
    ]
    complaints = [
        qf.Complaint(
            id=f"CMP-{i:04d}",
            customer_id=f"CUST-{i % 300}",
            channel="phone",
            received_at=T0,
            description="broken biscuits in the pack",
            batch_ids=[fins[i % len(fins)]],
        )
        for i in range(n_comp)
    ]
    return {
        "batches": batches,
        "links": links,
        "shipments": shipments,
        "incidents": incidents,
        "complaints": complaints,
    }


def day_rows(day: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [
        entity_row(e)
        for key in ("batches", "shipments", "incidents", "complaints")
        for e in day[key]
    ]
    edges = [edge_row(u, v, q) for u, v, q in day["links"]]
    edges += [edge_row(s.batch_id, s.id, s.quantity, "ship") for s in day["shipments"]]
    return rows, edges


def run_day(qms: qf.QualityFlow, day: dict[str, Any], *, use_bulk: bool) -> float:
    start = time.perf_counter()
    if use_bulk:  # the day's import in one transaction, as the bare rows go in
        with qms.storage.transaction():
            qms.batches.add_many(day["batches"])
            qms.link_many(day["links"])
            qms.shipments.add_many(day["shipments"])
            for i in day["incidents"]:
                qms.incidents.add(i)
            for c in day["complaints"]:
                qms.complaints.add(c)
        return time.perf_counter() - start
    else:
        for b in day["batches"]:
            qms.batches.add(b)
        for u, v, q in day["links"]:
            qms.link(u, v, q)
        for s in day["shipments"]:
            qms.shipments.add(s)
    for i in day["incidents"]:
        qms.incidents.add(i)
    for c in day["complaints"]:
        qms.complaints.add(c)
    return time.perf_counter() - start


def simulated_day(
    url_factory: Callable[[], contextlib.AbstractContextManager[str]],
    scale: float,
    one_by_one: bool,
) -> None:
    day = plant_day(scale)
    rows, edges = day_rows(day)
    label = (
        f"{len(day['batches'])} batches, {len(day['links'])} links, {len(day['shipments'])} "
        f"shipments, {len(day['incidents'])} incidents, {len(day['complaints'])} complaints"
    )
    print(f"  plant day: {label}")
    if HAS_BULK:
        with url_factory() as url, service(url) as qms:
            storage = qms.storage
            assert isinstance(storage, SQLStorage)
            bare_entities, bare_edges = scratch(storage)
            bare = bare_many(storage, bare_entities, rows) + bare_many(storage, bare_edges, edges)
            took = run_day(qms, day, use_bulk=True)
            assert qms.audit.verify().ok
            drop(storage, bare_entities, bare_edges)
            ratio_line("d. day via bulk calls vs bare executemany", took, bare, 2.5)
    if one_by_one:
        with url_factory() as url, service(url) as qms:
            storage = qms.storage
            assert isinstance(storage, SQLStorage)
            bare_entities, bare_edges = scratch(storage)
            bare = bare_each(storage, bare_entities, rows) + bare_each(storage, bare_edges, edges)
            took = run_day(qms, day, use_bulk=False)
            drop(storage, bare_entities, bare_edges)
            ratio_line("d'. day one call per record vs bare 1 row/tx", took, bare, 2.5)


# -- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--single", type=int, default=300, help="links for (a)")
    parser.add_argument("--links", type=int, default=1_000_000, help="links for (b)")
    parser.add_argument("--batches", type=int, default=1_000_000, help="batches for (c)")
    parser.add_argument("--day", type=float, default=1.0, help="plant-day scale for (d)")
    parser.add_argument("--one-by-one", action="store_true", help="(d) also one call per record")
    parser.add_argument("--skip", default="", help="parts to skip, e.g. b,c")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (b)/(c); best kept")
    args = parser.parse_args()
    logging.getLogger("qualityflow").setLevel(logging.WARNING)
    parts = {"a", "b", "c", "d"} - set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1000))

        def sqlite_url() -> contextlib.AbstractContextManager[str]:
            return contextlib.nullcontext(f"sqlite:///{Path(tmp) / f'writes-{next(counter)}.db'}")

        def server(env: str) -> Callable[[], contextlib.AbstractContextManager[str]]:
            return lambda: temporary_database(server_url(env))

        targets = {
            "sqlite": ("SQLite (file, WAL)", sqlite_url),
            "postgresql": ("PostgreSQL", server(POSTGRESQL_ENV)),
            "mysql": ("MariaDB", server(MYSQL_ENV)),
        }
        for name in args.backends.split(","):
            label, factory = targets[name]
            print(f"\n== {label}")
            try:
                if "a" in parts:
                    with factory() as url:
                        single_links(url, args.single)
                if parts & {"b", "c"}:
                    bulk(factory, args.batches, args.links, parts, args.repeat)
                if "d" in parts:
                    simulated_day(factory, args.day, args.one_by_one)
            except ConnectionError as exc:
                print(f"  skipped: {exc}")


if __name__ == "__main__":
    main()
