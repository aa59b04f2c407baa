"""Importing partners' EPCIS data and exporting the FDA FSMA 204 spreadsheet.

A salad processor receives traceability events from its partners as GS1 EPCIS: a grower
ships lettuce lots, a co-packer turns them into bagged salad and ships it to retailers.
When FDA asks for the records of a suspect lot (FSMA 204: within 24 hours), the plant
loads the events, traces the lot and writes the sortable spreadsheet.

1. The co-packer's EPCIS 2.0 JSON-LD document is made here with ``qf.to_epcis`` (so the
   example runs anywhere), loaded back with ``qf.load_epcis``, stored in the service.
2. A recall of one lettuce lot is traced and written as the FSMA 204 CSV.
3. If the shared sample data sets are present (``../shared/datasets/epcis`` beside the
   repository, or ``$QUALITYFLOW_EPCIS_DIR``), the GS1 Interoperability Exercise's shrimp
   scenario (EPCIS 1.2 XML, real-world flaws included) is loaded too: its flaws come back
   as warnings, not crashes. Without the data sets that part is skipped with a note.

Run ``python examples/epcis_fsma204.py`` from anywhere; files go to a temporary directory.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import qualityflow as qf

HARVEST = datetime(2026, 7, 6, 5, 0, tzinfo=timezone.utc)
OUT = Path(tempfile.mkdtemp(prefix="qualityflow-fsma-"))


def partner_genealogy() -> qf.Genealogy:
    """What the grower and the co-packer recorded: lettuce lots into salad bags, shipped."""

    def lot(id: str, kind: str, product: str, amount: int, unit: str, hours: int) -> qf.Batch:
        return qf.Batch(
            id=id,
            kind=kind,
            product=product,
            quantity=qf.Quantity(amount=amount, unit=unit),
            produced_at=HARVEST + timedelta(hours=hours),
        )

    batches = [
        lot("LET-0706-F3", "raw_material", "romaine lettuce", 4000, "kg", 0),
        lot("LET-0706-F4", "raw_material", "romaine lettuce", 3500, "kg", 1),
        lot("SAL-0707-A", "finished", "caesar salad kit 300 g", 9000, "bag", 26),
        lot("SAL-0707-B", "finished", "caesar salad kit 300 g", 8000, "bag", 30),
    ]
    links = [
        ("LET-0706-F3", "SAL-0707-A", qf.Quantity(amount=2700, unit="kg")),
        ("LET-0706-F3", "SAL-0707-B", qf.Quantity(amount=1200, unit="kg")),
        ("LET-0706-F4", "SAL-0707-B", qf.Quantity(amount=1200, unit="kg")),
    ]
    shipments = [
        qf.Shipment(
            id=f"ASN-{n}",
            batch_id=batch,
            customer_id=customer,
            quantity=qf.Quantity(amount=amount, unit="bag"),
            shipped_at=HARVEST + timedelta(hours=40),
            region=region,
        )
        for n, (batch, customer, amount, region) in enumerate(
            [
                ("SAL-0707-A", "FRESHMART-DC-EAST", 6000, "east"),
                ("SAL-0707-A", "CORNERSHOP-DC", 3000, "north"),
                ("SAL-0707-B", "FRESHMART-DC-WEST", 8000, "west"),
            ],
            1,
        )
    ]
    return qf.Genealogy.build(batches, links, shipments)


def shared_datasets() -> Path | None:
    """The shared EPCIS sample data sets, if this machine has them."""
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "datasets" / "epcis"]
    if os.environ.get("QUALITYFLOW_EPCIS_DIR"):
        candidates.insert(0, Path(os.environ["QUALITYFLOW_EPCIS_DIR"]))
    return next((c for c in candidates if c.is_dir()), None)


def main() -> None:
    # 1. The partner's document, loaded and stored.
    document = OUT / "copacker-epcis.jsonld"
    document.write_text(json.dumps(qf.to_epcis(partner_genealogy()), indent=1))
    loaded = qf.load_epcis(document)
    print(f"1. Loaded {len(loaded.events)} EPCIS events: {loaded.genealogy}")
    qms = qf.QualityFlow("memory://")
    for batch in loaded.genealogy.batches():
        qms.batches.add(batch)
    for src, dst, quantity in loaded.genealogy.links():
        qms.link(src, dst, quantity)
    for shipment in loaded.genealogy.shipments():
        qms.shipments.add(shipment)

    # 2. FDA asks about lettuce lot LET-0706-F3: trace and write the spreadsheet.
    impact = qms.recall_impact("LET-0706-F3")
    print(f"2. {impact}")
    sheet = qf.to_fsma204(impact, OUT / "fsma204-LET-0706-F3.csv", genealogy=qms.genealogy)
    with sheet.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    events = sorted({r["Critical Tracking Event (CTE)"] for r in rows})
    print(f"   FSMA 204 sheet {sheet.name}: {len(rows)} rows, events {', '.join(events)}")
    for row in rows[:4]:
        tlc, cte = row["Traceability Lot Code (TLC)"], row["Critical Tracking Event (CTE)"]
        print(
            f"   {tlc:<14} {cte:<14} {row['Quantity']:>6} {row['Unit of Measure']:<4} "
            f"to {row['Ship-To Location']}"
        )
    drill = qf.mock_recall(qms, "LET-0706-F3")
    print(f"   answered in {drill.elapsed.total_seconds():.3f} s of the 24 h FSMA 204 allows")

    # 3. Real partner data, if the shared data sets are here.
    root = shared_datasets()
    shrimp = None if root is None else root / "InteroperabilityExercise"
    shrimp_file = None
    if shrimp is not None:
        shrimp_file = next(iter(sorted(shrimp.glob("*Shrimp*.xml"))), None)
    if shrimp_file is None:
        print("3. Skipped: the shared EPCIS data sets are not on this machine.")
        return
    real = qf.load_epcis(shrimp_file)
    print(f"3. {shrimp_file.name}: {real.genealogy}, {len(real.warnings)} warnings, e.g.")
    for warning in real.warnings[:2]:
        print(f"   - {str(warning).split(': ', 1)[-1][:110]}")
    first = next(iter(real.genealogy.batches()))
    sheet = qf.to_fsma204(
        real.genealogy.recall_impact(first.id), OUT / "fsma204-shrimp.csv", genealogy=real.genealogy
    )
    print(f"   FSMA 204 sheet for {first.product} written: {sheet.name}")


if __name__ == "__main__":
    main()
