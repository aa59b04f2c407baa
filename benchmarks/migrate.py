"""How long ``qualityflow db upgrade`` takes on a large 0.1.0 database.

Builds a 0.1.0 SQLite database (the 0.1.0 schema and the 0.1.0 demo's rows from
``tests/data/qf010_demo.json``, copied ``--copies`` times with suffixed ids, so 33
entities, 27 edges and 13 outbox rows per copy), then times
``qualityflow.storage.migrations.upgrade`` (0001 -> 0002: ledger start over every row,
outbox rekeyed) and ``qms.audit.verify()`` on the result. ``--url`` runs it on a server
database instead (it must be empty).

Run: ``.venv/bin/python benchmarks/migrate.py [--copies 3000] [--url URL]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import qualityflow as qf  # noqa: E402
from qualityflow.storage import migrations  # noqa: E402
from test_migrations import (  # noqa: E402
    OLD,
    ROWS,
    _driver,
    old_edges,
    old_entities,
    old_meta,
    old_outbox,
)


def _suffixed(text: str, ids: list[str], tag: str) -> str:
    for id in ids:
        text = text.replace(f'"{id}"', f'"{id}{tag}"').replace(f":{id}:", f":{id}{tag}:")
    return text


def build(url: str, copies: int) -> None:
    ids = sorted({i for _, i, *_ in ROWS["qf_entities"]}, key=len, reverse=True)
    engine = sa.create_engine(_driver(url))
    with engine.begin() as conn:
        OLD.create_all(conn)
        conn.execute(old_meta.insert(), [dict(key=k, value=v) for k, v in ROWS["qf_meta"]])
        seq = 0
        for n in range(copies):
            tag = "" if n == 0 else f"-{n}"
            conn.execute(
                old_entities.insert(),
                [
                    dict(kind=k, id=i + tag, status=s, version=v, data=_suffixed(d, ids, tag))
                    for k, i, s, v, d in ROWS["qf_entities"]
                ],
            )
            conn.execute(
                old_edges.insert(),
                [
                    dict(input_id=i + tag, output_id=o + tag, kind=k, quantity=q, override=ov)
                    for i, o, k, q, ov in ROWS["qf_edges"]
                ],
            )
            rows = []
            for _, key, sk, si, note, d, dl in ROWS["qf_outbox"]:
                seq += 1
                data = json.loads(note)
                data["id"] = data["id"] + tag
                rows.append(
                    dict(
                        seq=seq,
                        key=key + tag,
                        subject_kind=sk,
                        subject_id=si + tag,
                        notification=json.dumps(data),
                        deliveries=d,
                        delivered=dl,
                    )
                )
            conn.execute(old_outbox.insert(), rows)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=3000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'old.db'}"
        t0 = time.perf_counter()
        build(url, args.copies)
        built = time.perf_counter() - t0
        n = args.copies
        print(
            f"0.1.0 database: {33 * n:,} entities, {27 * n:,} edges, {13 * n:,} outbox rows "
            f"(built in {built:.1f} s)"
        )
        t0 = time.perf_counter()
        result = migrations.upgrade(url)
        print(f"upgrade {result.before} -> {result.after}: {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        result = migrations.upgrade(url)
        print(f"upgrade again (no-op): {(time.perf_counter() - t0) * 1000:.1f} ms")
        with qf.QualityFlow(url, load_entry_points=False) as qms:
            t0 = time.perf_counter()
            report = qms.audit.verify()
            print(
                f"audit verify: ok={report.ok}, {len(report.before_ledger):,} rows before the "
                f"ledger, {time.perf_counter() - t0:.2f} s"
            )


if __name__ == "__main__":
    main()
