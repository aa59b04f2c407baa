"""What the audit ledger costs, and how fast ``qms.audit.verify()`` walks a plant.

1. The ledger's cost on the write path: committed ``qms.incidents.fire`` calls per second
   on SQLite (file, WAL), PostgreSQL and MariaDB with the ledger (as shipped) and with the
   ledger append switched off (patched out, for the comparison only), next to the baseline
   of bare single-row JSON inserts (one transaction each) through the same engine, in the
   same run. Each is measured ``--rounds`` times interleaved; the best round counts (the
   machine may be shared).
2. ``qms.audit.verify()`` over ``--incidents`` incidents of ``--records`` history records
   each (default 10,000 x 10 = 100,000 records) in a SQLite file, built straight through
   the storage in one transaction (legal, chained, bound records and ledger entries),
   next to the baselines of merely loading every row and JSON-parsing it, and of
   loading and validating every row as its model.

Servers come from ``QUALITYFLOW_TEST_POSTGRESQL_URL`` / ``QUALITYFLOW_TEST_MYSQL_URL``
(defaults: the project's local servers); a server that does not answer is skipped.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/audit.py [--fires 300] [--rounds 3]
[--incidents 10000] [--records 10] [--skip-fire] [--skip-verify]``
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

import qualityflow as qf
from qualityflow.lifecycle import chain
from qualityflow.lifecycle.audit import state_digest
from qualityflow.storage.sql import SQLStorage
from qualityflow.testing.servers import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


# -- 1. the ledger's cost on fire ----------------------------------------------------------


@contextmanager
def ledger_off() -> Iterator[None]:
    """Patch the SQL ledger append out (comparison only: the audit then fails)."""
    append, undo = SQLStorage._ledger_append, SQLStorage._ledger_undo
    SQLStorage._ledger_append = lambda self, *a, **k: (0, "", "")  # type: ignore[method-assign]
    SQLStorage._ledger_undo = lambda self, *a, **k: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        SQLStorage._ledger_append = append  # type: ignore[method-assign]
        SQLStorage._ledger_undo = undo  # type: ignore[method-assign]


def _fires(qms: qf.QualityFlow, prefix: str, n: int) -> float:
    for i in range(n):
        qms.incidents.add(
            qf.Incident(
                id=f"{prefix}-{i}",
                title="Foreign body in noodles",
                severity="minor",
                reported_at=T0,
            )
        )
    assessment = qf.ImpactAssessment(severity="minor", risk="choking")
    team = qf.EmergencyTeam(leader=LEADER)
    start = time.perf_counter()
    for i in range(n):
        qms.incidents.fire(
            f"{prefix}-{i}", "assess", actor="Li Na", at=T0, team=team, assessment=assessment
        )
    return n / (time.perf_counter() - start)


def _bare(storage: SQLStorage, table: sa.Table, prefix: str, sample: str, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        with storage.engine.begin() as conn:
            conn.execute(table.insert().values(id=f"{prefix}-{i}", data=sample))
    return n / (time.perf_counter() - start)


def fire_rates(url: str, n: int, rounds: int) -> tuple[float, float, float]:
    """Return the best (fire/s with ledger, fire/s without, bare inserts/s) at ``url``."""
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        bare = sa.Table(
            "bench_bare",
            sa.MetaData(),
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("data", sa.Text().with_variant(sa.dialects.mysql.LONGTEXT(), "mysql")),
        )
        bare.create(storage.engine, checkfirst=True)
        with_ledger = without = inserts = 0.0
        sample = ""
        for r in range(rounds):
            with_ledger = max(with_ledger, _fires(qms, f"L{r}", n))
            with ledger_off():
                without = max(without, _fires(qms, f"N{r}", n))
            sample = sample or qms.incidents.get(f"L{r}-0").model_dump_json()
            inserts = max(inserts, _bare(storage, bare, f"B{r}", sample, n))
        bare.drop(storage.engine)
        if not url.startswith("sqlite"):
            storage.drop_schema()
    return with_ledger, without, inserts


def save_cost(url: str, n: int, rounds: int) -> tuple[float, float]:
    """Return the best seconds per ``storage.save`` with and without the ledger.

    All saves run in one transaction, so no commit is timed: this is the ledger's own cost
    per write (its statements and hashing), which the commit then dwarfs.
    """
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        storage = qms.storage
        lot = storage.add(
            qf.Batch(
                id="LOT-1",
                kind="raw_material",
                product="flour",
                quantity=qf.Quantity(amount=1, unit="kg"),
            )
        )
        on = off = float("inf")
        for _ in range(rounds):
            for ledger in (True, False):
                with ledger_off() if not ledger else _nothing(), storage.transaction():
                    start = time.perf_counter()
                    for _ in range(n):
                        lot = storage.save(lot)
                    each = (time.perf_counter() - start) / n
                if ledger:
                    on = min(on, each)
                else:
                    off = min(off, each)
        if not url.startswith("sqlite"):
            assert isinstance(storage, SQLStorage)
            storage.drop_schema()
    return on, off


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def report_fire_rates(n: int, rounds: int) -> None:
    print("\n== committed fire()/s with and without the ledger vs bare JSON inserts/s")
    print(f"   ({n} each, one transaction each, best of {rounds} interleaved rounds)")
    print(
        f"{'backend':<12}{'fire/s':>9}{'no ledger':>11}{'insert/s':>10}"
        f"{'fire/insert':>13}{'no-ledger/insert':>18}{'ledger cost':>13}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        targets: list[tuple[str, Callable[[], str]]] = [
            ("SQLite WAL", lambda: f"sqlite:///{Path(tmp) / 'bench2.db'}"),
            ("PostgreSQL", lambda: server_url(POSTGRESQL_ENV)),
            ("MariaDB", lambda: server_url(MYSQL_ENV)),
        ]
        costs: list[tuple[str, str]] = []
        for label, make_url in targets:
            url = make_url()
            try:
                if url.startswith("sqlite"):
                    fires, bare_fires, inserts = fire_rates(url, n, rounds)
                else:
                    with temporary_database(url) as db_url:
                        fires, bare_fires, inserts = fire_rates(db_url, n, rounds)
            except ConnectionError as exc:
                print(f"{label:<12}skipped: {exc}")
                continue
            cost = 1 / fires - 1 / bare_fires
            print(
                f"{label:<12}{fires:>9.0f}{bare_fires:>11.0f}{inserts:>10.0f}"
                f"{fires / inserts:>13.2f}{bare_fires / inserts:>18.2f}"
                f"{cost * 1e6:>10.0f} us"
            )
            costs.append((label, url))
        print("\n== the ledger's own cost per write: storage.save() in one open transaction")
        print(f"{'backend':<12}{'with ledger':>13}{'without':>10}{'ledger':>10}")
        for label, url in costs:
            if url.startswith("sqlite"):
                on, off = save_cost(url, 5 * n, rounds)
            else:
                with temporary_database(url) as db_url:
                    on, off = save_cost(db_url, 5 * n, rounds)
            print(f"{label:<12}{on * 1e6:>10.0f} us{off * 1e6:>7.0f} us{(on - off) * 1e6:>7.0f} us")


# -- 2. verify over 100,000 history records ------------------------------------------------

_STEPS: tuple[tuple[str, str, str], ...] = (
    ("assess", "reported", "assessed"),
    ("contain", "assessed", "contained"),
    ("investigate", "contained", "investigating"),
    ("correct", "investigating", "correcting"),
    ("verify", "correcting", "verifying"),
    ("rework", "verifying", "correcting"),
    ("verify", "correcting", "verifying"),
    ("close", "verifying", "closed"),
    ("reopen", "closed", "investigating"),
    ("correct", "investigating", "correcting"),
)


def _incident(number: int, records: int) -> qf.Incident:
    """An incident with ``records`` legal, chained, bound records (the last sealing its state)."""
    id = f"INC-{number:06d}"
    incident = qf.Incident(
        id=id,
        title=f"Foreign body in noodles, line {number % 7}",
        severity="minor",
        reported_at=T0,
        batch_ids=[f"NOODLE-{number:06d}"],
        lessons=["sieve check every shift"],
    )
    history: list[qf.TransitionRecord] = []
    for k in range(records):
        # Beyond the table, loop verify -> close -> reopen -> correct.
        step = k if k < len(_STEPS) else 6 + (k - len(_STEPS)) % 4
        trigger, source, dest = _STEPS[step]
        at = T0 + timedelta(minutes=10 * k)
        incident.status = dest  # type: ignore[assignment]
        state = state_digest(incident) if k == records - 1 else ""
        history.append(
            chain(
                history,
                qf.TransitionRecord(
                    at=at,
                    recorded_at=at,
                    actor="Li Na",
                    trigger=trigger,
                    source=source,
                    dest=dest,
                    note="checked at the sieve",
                    entity=f"incident/{id}",
                    state=state,
                ),
            )
        )
    incident.history = history
    return incident


def build_audit_db(path: Path, incidents: int, records: int) -> None:
    """Write ``incidents`` incidents straight through the storage, in one transaction."""
    with qf.QualityFlow(f"sqlite:///{path}", load_entry_points=False) as qms:
        storage = qms.storage
        with storage.transaction():
            for n in range(incidents):
                storage.add(_incident(n, records))


def report_verify(incidents: int, records: int, keep: Path | None) -> None:
    total = incidents * records
    print(f"\n== qms.audit.verify() over {incidents:,} incidents x {records} = {total:,} records")
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "audit.db"
        if not path.exists():
            start = time.perf_counter()
            build_audit_db(path, incidents, records)
            print(
                f"built in {time.perf_counter() - start:.1f} s ({path.stat().st_size / 1e6:.0f} MB)"
            )
        url = f"sqlite:///{path}"
        # Baseline 1: load every row and JSON-parse it.
        start = time.perf_counter()
        conn = sqlite3.connect(path)
        parsed = [json.loads(data) for (data,) in conn.execute("SELECT data FROM qf_entities")]
        conn.close()
        load_json = time.perf_counter() - start
        # Baseline 2: load every row and validate it as its model.
        start = time.perf_counter()
        conn = sqlite3.connect(path)
        models = [
            qf.Incident.model_validate_json(data)
            for (data,) in conn.execute("SELECT data FROM qf_entities")
        ]
        conn.close()
        load_models = time.perf_counter() - start
        assert len(parsed) == len(models) == incidents
        with qf.QualityFlow(url, load_entry_points=False) as qms:
            start = time.perf_counter()
            report = qms.audit.verify(known_heads=[qms.audit.head()])
            elapsed = time.perf_counter() - start
        assert report.ok, str(report)[:2000]
        assert report.records == total, report.records
        print(f"{'load + json.loads every row':<44}{load_json:>8.2f} s")
        print(f"{'load + model_validate_json every row':<44}{load_models:>8.2f} s")
        print(
            f"{'qms.audit.verify()':<44}{elapsed:>8.2f} s  ({report.ledger:,} ledger entries; "
            f"{elapsed / load_json:.1f}x the JSON load, goal < 10 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fires", type=int, default=300, help="fire() calls per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=10, help="history records each")
    parser.add_argument("--db", type=Path, default=None, help="reuse/keep this database file")
    parser.add_argument("--skip-fire", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    args = parser.parse_args()
    logging.getLogger("qualityflow").setLevel(logging.WARNING)
    if not args.skip_fire:
        report_fire_rates(args.fires, args.rounds)
    if not args.skip_verify:
        report_verify(args.incidents, args.records, args.db)


if __name__ == "__main__":
    main()
