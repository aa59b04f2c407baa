"""FDA asks for the FSMA 204 sortable spreadsheet within 24 hours: the recall desk writes it."""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow.interop import FSMA204_COLUMNS

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "epcis"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"EPCIS test data folder {DATA} not present (sibling shared/)"
)
GDST = "urn:gdst:example.org:product:lot:class:"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def salad_plant() -> qf.Genealogy:
    kg = lambda n: qf.Quantity(amount=n, unit="kg")  # noqa: E731
    return qf.Genealogy.build(
        [
            qf.Batch(
                id="LETTUCE-88",
                kind="raw_material",
                product="romaine lettuce",
                quantity=kg(300),
                supplier_id="FARM-SALINAS",
                produced_at=T0,
            ),
            qf.Batch(
                id="SALAD-12",
                kind="finished",
                product="bagged salad 250 g",
                quantity=kg(280),
                line="L3",
                produced_at=T0 + timedelta(hours=5),
            ),
        ],
        [("LETTUCE-88", "SALAD-12", kg(290))],
        [
            qf.Shipment(
                id="SHP-9",
                batch_id="SALAD-12",
                customer_id="FreshMart DC",
                quantity=kg(200),
                shipped_at=T0 + timedelta(days=1),
            )
        ],
    )


def test_recall_impact_gives_one_row_per_cte_with_the_kdes(tmp_path: Path) -> None:
    plant = salad_plant()
    out = qf.to_fsma204(plant.recall_impact("LETTUCE-88"), tmp_path / "fsma.csv", genealogy=plant)
    rows = read_csv(out)
    assert list(rows[0]) == list(FSMA204_COLUMNS)
    ctes = [(r["Traceability Lot Code (TLC)"], r["Critical Tracking Event (CTE)"]) for r in rows]
    assert ctes == [
        ("LETTUCE-88", "Receiving"),
        ("SALAD-12", "Transformation"),
        ("SALAD-12", "Shipping"),
    ]
    transformation = rows[1]
    assert transformation["Input TLCs (transformation)"] == "LETTUCE-88"
    assert transformation["Quantity"] == "280" and transformation["Unit of Measure"] == "kg"
    assert transformation["Location of CTE"] == "L3"
    shipping = rows[2]
    assert shipping["Ship-To Location"] == "FreshMart DC"
    assert shipping["Event Date"] == "2026-03-03"
    assert shipping["Quantity"] == "200"
    assert shipping["Reference Document Number"] == "SHP-9"


def test_xlsx_by_suffix_is_a_sortable_sheet(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    plant = salad_plant()
    out = qf.to_fsma204(plant.trace_forward("LETTUCE-88"), tmp_path / "fsma.xlsx")
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == FSMA204_COLUMNS
    assert sheet.auto_filter.ref is not None
    assert {row[0] for row in values[1:]} == {"LETTUCE-88", "SALAD-12"}


def test_xlsx_without_openpyxl_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    plant = salad_plant()
    with pytest.raises(qf.InteropError, match=r"qualityflow\[xlsx\]"):
        qf.to_fsma204(plant.recall_impact("LETTUCE-88"), tmp_path / "fsma.xlsx")
    assert not (tmp_path / "fsma.xlsx").exists()


def test_something_else_than_a_trace_or_impact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(qf.InteropError, match="Trace or a RecallImpact"):
        qf.to_fsma204(["LETTUCE-88"], tmp_path / "fsma.csv")  # type: ignore[arg-type]
    assert not (tmp_path / "fsma.csv").exists()


@needs_data
def test_partner_chain_a_recall_lists_shipping_and_receiving_with_epcis_references(
    tmp_path: Path,
) -> None:
    g = qf.load_epcis(DATA / "opentraceability" / "traceback_tests.jsonld").genealogy
    out = qf.to_fsma204(
        g.recall_impact(GDST + "hatchery.1u.tf12012021"), tmp_path / "a.csv", genealogy=g
    )
    rows = read_csv(out)
    canned = [
        r for r in rows if r["Traceability Lot Code (TLC)"] == GDST + "processor.2u.v1-0122-2022"
    ]
    by_cte = {r["Critical Tracking Event (CTE)"]: r for r in canned}
    assert set(by_cte) == {"Transformation", "Shipping", "Receiving"}
    assert by_cte["Transformation"]["Product Description"] == "Can of Tuna"
    assert (
        by_cte["Transformation"]["Input TLCs (transformation)"]
        == GDST + "processor.10u.commingle-01232022"
    )
    assert by_cte["Shipping"]["Ship-To Location"] == "urn:gdst:example.org:party:importer.1u"
    assert by_cte["Shipping"]["Reference Document Type"] == "EPCIS event"
    assert (
        by_cte["Receiving"]["Location of CTE"] == "urn:gdst:example.org:location:loc:importer.123u"
    )
    assert by_cte["Receiving"]["Event Date"] == "2022-02-03"
    hatchery = [
        r for r in rows if r["Traceability Lot Code (TLC)"] == GDST + "hatchery.1u.tf12012021"
    ]
    assert hatchery[0]["Critical Tracking Event (CTE)"] == "Harvesting"
    keys = [
        (r["Traceability Lot Code (TLC)"], r["Event Date"], r["Event Time (UTC)"]) for r in rows
    ]
    assert keys == sorted(keys)
