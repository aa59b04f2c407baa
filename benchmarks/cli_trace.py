"""Fresh ``qualityflow trace`` / ``recall`` processes on large SQLite and PostgreSQL plants.

Each command runs in a fresh process (``python -m qualityflow ... --db URL``), as a user
would run it, on a synthetic plant of ``--lots`` lots (default 1,000,000; the plant of
``benchmarks/storage.py``: 40 % raw lots, 30 % mixes, 30 % finished batches, about 1.4
links per lot). Wall time and peak resident memory are those of that process alone
(``os.wait4``). The goals (issue 19): ``trace LOT`` and ``recall LOT`` under 2 s wall and
250 MB peak at 1M lots, on SQLite and on PostgreSQL.

The baseline, in the same run, is the old path: a fresh process that imports the command
line and loads the whole genealogy (``qms.genealogy``) to check the ids and trace, as
``trace`` and ``recall`` did. It runs on the ``--baseline-lots`` plant (default 100,000),
and on the big one too when it is at most ``--full-load-max`` lots.

``qms.common_causes`` of two finished batches that share a mix, on a plant of
``--baseline-lots`` lots whose raw lots come from one supplier per thousand lots, runs in
a fresh process against ``qms.genealogy.common_causes`` (the old service path).

Then, in one process on the big SQLite plant, ``qms.recall_impact`` of one lot right after
one ``qms.link`` (and after one ``shipments.add``) against a warm call (the goal: within
2x). The in-memory ``Genealogy``'s incremental index has its own figure in
``benchmarks/genealogy.py`` (section 4, ``--scale 1`` is 1M nodes).

The machine may be shared: read each figure next to its baseline. ``CPU s`` (user +
system time of the process) moves less with the machine's load than the wall time; the
``trace UNKNOWN`` row (start-up, imports, one look-up, exit 3) is the floor of every
command.

Run: ``.venv/bin/python benchmarks/cli_trace.py [--lots 1000000] [--baseline-lots 100000]
[--dir DIR] [--skip-postgresql] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from storage import build_plant_db, plant_rows

import qualityflow as qf
from qualityflow.storage.sql import SQLStorage
from qualityflow.testing.servers import POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
FIN = "FIN-0000042"
INCIDENT = "INC-BENCH-1"

OLD_PATH = """
import sys
import qualityflow.cli  # the command line's imports, as the old commands paid them
import qualityflow as qf
qms = qf.QualityFlow(sys.argv[1], load_entry_points=False)
genealogy = qms.genealogy
assert sys.argv[2] in genealogy
trace = genealogy.trace_forward(sys.argv[2])
paths = [trace.path_to(i) for i in sorted(trace.ids)]
print(len(paths))
"""


# A small launcher forks and execs the command and reports its rusage: a child's peak
# RSS on Linux starts at its parent's (the high-water mark survives fork and exec), so the
# command is not started from this process, which holds a loaded service.
LAUNCH = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(
    time.perf_counter() - start,
    usage.ru_maxrss,
    os.waitstatus_to_exitcode(status),
    usage.ru_utime + usage.ru_stime,
)
"""


def measure(argv: list[str]) -> tuple[float, float, int, float]:
    """Run ``argv`` in a fresh process; return (wall s, peak RSS MB, exit code, CPU s)."""
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCH, *argv],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2]), float(out[3])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "qualityflow", *args]


def raw_lot_of(url: str) -> str:
    """Return a raw lot upstream of FIN (a service trace)."""
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        upstream = qms.trace_backward(FIN)
    return sorted(i for i in upstream.ids if i.startswith("RAW-"))[0]


def add_incident(url: str) -> None:
    """Add an incident on FIN, for ``report 8d`` (once)."""
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        try:
            qms.incidents.get(INCIDENT)
        except qf.NotFoundError:
            qms.incidents.add(
                qf.Incident(
                    id=INCIDENT,
                    title="Foreign body in biscuits",
                    severity="major",
                    reported_at=T0,
                    batch_ids=[FIN],
                )
            )


def commands(url: str, raw: str, tmp: Path) -> dict[str, list[str]]:
    return {
        "trace LOT": cli("trace", raw, "--db", url),
        "recall LOT": cli("recall", raw, "--db", url),
        "trace FIN --backward": cli("trace", FIN, "--backward", "--db", url),
        "recall LOT --drill --fsma204": cli(
            "recall", raw, "--drill", "--fsma204", str(tmp / "drill.csv"), "--db", url
        ),
        "export-fsma204 LOT": cli("export-fsma204", raw, "--out", str(tmp / "x.csv"), "--db", url),
        "report 8d INC": cli("report", "8d", INCIDENT, "--db", url),
        "trace UNKNOWN (exit 3)": cli("trace", "NO-SUCH-LOT", "--db", url),
    }


def report(label: str, lots: int, url: str, rounds: int, full_load: bool) -> None:
    print(f"\n== {label}, {lots:,} lots: fresh processes (median of {rounds})")
    add_incident(url)
    raw = raw_lot_of(url)
    print(f"   (LOT = {raw}, a raw lot upstream of {FIN})")
    print(f"{'command':<32}{'wall s':>9}{'CPU s':>8}{'peak MB':>10}{'exit':>6}   goal")
    with tempfile.TemporaryDirectory() as tmp:
        runs = commands(url, raw, Path(tmp))
        if full_load:
            runs["baseline: old path (load all)"] = [sys.executable, "-c", OLD_PATH, url, raw]
        for name, argv in runs.items():
            results = [measure(argv) for _ in range(rounds)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[3] for r in results)
            peak = max(r[1] for r in results)
            code = results[-1][2]
            goal = ""
            if name in ("trace LOT", "recall LOT"):
                ok = wall < 2.0 and peak < 250
                goal = f"< 2 s, < 250 MB: {'met' if ok else 'MISSED'}"
            print(f"{name:<32}{wall:>9.2f}{cpu:>8.2f}{peak:>10.0f}{code:>6}   {goal}")


def recall_after_change(url: str, rounds: int) -> None:
    print("\n== qms.recall_impact of one lot right after one change vs warm (one process)")
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        raw = raw_lot_of(url)
        mix = next(i for i in sorted(qms.trace_forward(raw, depth=1).ids))
        stamp = time.strftime("%H%M%S")
        warm: list[float] = []
        after: dict[str, list[float]] = {"link": [], "add_shipment": []}
        qms.recall_impact(raw)
        for k in range(rounds):
            new = f"FIN-NEW-{stamp}-{k}"
            qms.batches.add(
                qf.Batch(
                    id=new,
                    kind="finished",
                    product="biscuits",
                    quantity=qf.Quantity(amount=100, unit="pack"),
                )
            )
            for name in after:
                start = time.perf_counter()
                qms.recall_impact(raw)
                warm.append(time.perf_counter() - start)
                if name == "link":
                    qms.link(mix, new)
                else:
                    qms.shipments.add(
                        qf.Shipment(
                            id=f"SHIP-NEW-{stamp}-{k}",
                            batch_id=new,
                            customer_id="CUST-NEW",
                            quantity=qf.Quantity(amount=3, unit="pack"),
                            shipped_at=T0,
                        )
                    )
                start = time.perf_counter()
                impact = qms.recall_impact(raw)
                after[name].append(time.perf_counter() - start)
        w = statistics.median(warm)
        for name, values in after.items():
            m = statistics.median(values)
            print(
                f"after one {name:<13}: {m * 1000:7.1f} ms vs warm {w * 1000:7.1f} ms -> "
                f"{m / w:.2f}x (goal <= 2x; {len(impact.batches)} batches, "
                f"{len(impact.shipments)} shipments)"
            )


def build_sqlite(path: Path, lots: int, suppliers: int = 1) -> str:
    if not path.exists():
        start = time.perf_counter()
        build_plant_db(path, lots, suppliers=suppliers)
        print(f"built {path.name} in {time.perf_counter() - start:.0f} s")
    return f"sqlite:///{path}"


CAUSES = """
import sys, time
import qualityflow as qf
qms = qf.QualityFlow(sys.argv[1], load_entry_points=False)
ids = sys.argv[3:]
start = time.perf_counter()
if sys.argv[2] == "service":
    causes = qms.common_causes(*ids)
else:
    causes = qms.genealogy.common_causes(*ids)
print(time.perf_counter() - start, repr([(c.kind, c.id, c.reach, c.specificity) for c in causes]))
"""


def report_common_causes(folder: Path, lots: int, rounds: int) -> None:
    """``qms.common_causes`` of two finished batches sharing a mix vs the whole genealogy's."""
    suppliers = max(1, lots // 1000)
    url = build_sqlite(folder / f"plant-{lots}-suppliers.db", lots, suppliers)
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        mix = sorted(i for i in qms.trace_backward(FIN, depth=1).ids)[0]
        fins = sorted(i for i in qms.trace_forward(mix, depth=1).ids)
    if len(fins) < 2:
        fins = [FIN, *[f for f in fins if f != FIN]]
    ids = [FIN, *[f for f in fins if f != FIN][:1]]
    print(
        f"\n== qms.common_causes({', '.join(ids)}) on a {lots:,}-lot SQLite plant with "
        f"{suppliers:,} suppliers, fresh processes (median of {rounds})"
    )
    answers = {}
    for how in ("service", "whole"):
        runs = []
        for _ in range(rounds):
            out = subprocess.run(
                [sys.executable, "-c", CAUSES, url, how, *ids],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            seconds, answer = out.split(" ", 1)
            runs.append(float(seconds))
            answers[how] = answer.strip()
        label = "qms.common_causes (database)" if how == "service" else "baseline: qms.genealogy"
        print(f"{label:<32}{statistics.median(runs):>9.2f} s")
    same = "identical" if answers["service"] == answers["whole"] else "DIFFERENT"
    print(f"answers {same}: {answers['service'][:150]}")


def build_postgresql(url: str, lots: int) -> None:
    """Write the same plant into the (empty) PostgreSQL database at ``url`` with COPY."""
    start = time.perf_counter()
    with qf.QualityFlow(url, load_entry_points=False) as qms:  # creates the schema
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        raw = storage.engine.raw_connection()
        try:
            entity_chunks, edge_rows = plant_rows(lots)
            with raw.cursor() as cursor:
                with cursor.copy(
                    "COPY qf_entities (kind, id, status, version, data) FROM STDIN"
                ) as copy:
                    for chunk in entity_chunks:
                        for row in chunk:
                            copy.write_row(
                                (row["kind"], row["id"], row["status"], row["version"], row["data"])
                            )
                with cursor.copy("COPY qf_edges (input_id, output_id, kind) FROM STDIN") as copy:
                    for edge in edge_rows():
                        copy.write_row((edge["input_id"], edge["output_id"], edge["kind"]))
                cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    print(f"built the PostgreSQL plant in {time.perf_counter() - start:.0f} s (COPY)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--baseline-lots", type=int, default=100_000)
    parser.add_argument("--full-load-max", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="keep/reuse the SQLite files here")
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--skip-change", action="store_true", help="skip recall after a change")
    parser.add_argument("--skip-causes", action="store_true", help="skip common_causes")
    parser.add_argument("--skip-big", action="store_true", help="only the baseline-size plant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        small = build_sqlite(folder / f"plant-{args.baseline_lots}.db", args.baseline_lots)
        report("SQLite", args.baseline_lots, small, args.rounds, full_load=True)
        if not args.skip_causes:
            report_common_causes(folder, args.baseline_lots, args.rounds)
        if args.skip_big:
            return
        big = build_sqlite(folder / f"plant-{args.lots}.db", args.lots)
        report("SQLite", args.lots, big, args.rounds, args.lots <= args.full_load_max)
        if not args.skip_change:
            recall_after_change(big, 5)
        if not args.skip_postgresql:
            try:
                with temporary_database(server_url(POSTGRESQL_ENV)) as url:
                    build_postgresql(url, args.lots)
                    report("PostgreSQL", args.lots, url, args.rounds, full_load=False)
            except ConnectionError as exc:
                print(f"\nPostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()
