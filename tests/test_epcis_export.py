"""A biscuit plant sends its genealogy to a retailer as EPCIS, and reads it back unchanged."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf

# The shared data sit beside the repository (``../shared``); a git worktree one level deeper
# finds them too.
DATA = next(
    (
        parent / "shared" / "datasets" / "epcis"
        for parent in Path(__file__).resolve().parents[1:4]
        if (parent / "shared" / "datasets" / "epcis").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "datasets" / "epcis",
)
SCHEMA = DATA / "gs1-EPCIS" / "EPCIS-JSON-Schema.json"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"EPCIS test data folder {DATA} not present (sibling shared/)"
)
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def same_graph(a: qf.Genealogy, b: qf.Genealogy) -> None:
    assert sorted(a.batches(), key=lambda x: x.id) == sorted(b.batches(), key=lambda x: x.id)
    assert sorted(a.links(), key=str) == sorted(b.links(), key=str)
    assert sorted(a.shipments(), key=lambda x: x.id) == sorted(b.shipments(), key=lambda x: x.id)


def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def biscuit_plant() -> qf.Genealogy:
    kg = lambda n: qf.Quantity(amount=n, unit="kg")  # noqa: E731
    lots = [
        qf.Batch(
            id="FLOUR-0412",
            kind="raw_material",
            product="wheat flour",
            quantity=kg(1000),
            supplier_id="SUP-MILL",
        ),
        qf.Batch(
            id="BUTTER 7/B",
            kind="raw_material",
            product="butter",
            quantity=kg("250.5"),
            produced_at=T0 - timedelta(days=3),
        ),
        qf.Batch(
            id="FILM-22",
            kind="packaging",
            product="flow-wrap film",
            quantity=qf.Quantity(amount=12, unit="roll"),
        ),
        qf.Batch(
            id="DOUGH-1",
            kind="intermediate",
            product="shortbread dough",
            quantity=kg(600),
            line="L1",
            produced_at=T0,
        ),
        qf.Batch(
            id="BISC-0301",
            kind="finished",
            product="butter biscuits 200 g",
            quantity=qf.Quantity(amount=2800, unit="tray"),
            line="L2",
            produced_at=T0 + timedelta(hours=2),
            status="quarantined",
            attributes={"shelf_life_days": 180, "allergens": ["gluten", "milk"]},
        ),
    ]
    links = [
        ("FLOUR-0412", "DOUGH-1", kg(400)),
        ("BUTTER 7/B", "DOUGH-1", kg("200.25")),
        ("DOUGH-1", "BISC-0301", kg(590)),
        ("FILM-22", "BISC-0301", None),
    ]
    shipments = [
        qf.Shipment(
            id="SHIP-1",
            batch_id="BISC-0301",
            customer_id="Corner Shop Ltd",
            quantity=qf.Quantity(amount=1200, unit="tray"),
            shipped_at=T0 + timedelta(days=1),
            region="north",
        ),
        qf.Shipment(
            id="SHIP-2",
            batch_id="BISC-0301",
            customer_id="Corner Shop Ltd",
            quantity=qf.Quantity(amount=1200, unit="tray"),
            shipped_at=T0 + timedelta(days=1),
        ),
    ]
    return qf.Genealogy.build(lots, links, shipments)


@needs_data
def test_export_validates_against_gs1_schema_and_reads_back_to_the_same_plant() -> None:
    plant = biscuit_plant()
    document = qf.to_epcis(plant)
    text = json.dumps(document)
    errors = [e.message for e in validator().iter_errors(json.loads(text))]
    assert errors == []
    back = qf.load_epcis(text)
    assert back.warnings == []
    same_graph(plant, back.genealogy)


def test_two_identical_shipments_under_different_ids_both_survive_the_round_trip() -> None:
    plant = biscuit_plant()
    back = qf.load_epcis(qf.to_epcis(plant)).genealogy
    assert {s.id for s in back.shipments()} == {"SHIP-1", "SHIP-2"}


@needs_data
@pytest.mark.parametrize(
    "name",
    [
        "opentraceability/traceback_tests.jsonld",
        "opentraceability/all_wholechain_events.jsonld",
        "opentraceability/querydoc_example01.xml",
        "openepcis-test-resources/GS1_US_Pharma_Example_2_2_1_1.xml",
        "ot-node/perutnina_gs1.xml",
    ],
)
def test_partner_data_reexported_is_schema_valid_and_reads_back_the_same(name: str) -> None:
    imported = qf.load_epcis(DATA / name).genealogy
    document = json.loads(json.dumps(qf.to_epcis(imported)))
    assert list(validator().iter_errors(document)) == []
    same_graph(imported, qf.load_epcis(document).genealogy)


ids = (
    st.text(alphabet=st.sampled_from("ABCxyz019-_./: é"), min_size=1, max_size=12)
    .map(lambda s: s.strip())
    .filter(lambda s: bool(s) and not s.startswith("urn:"))
)
units = st.sampled_from(["kg", "g", "pack", "tray", "EA", "roll", "l"])
amounts = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def plants(draw: st.DrawFn) -> qf.Genealogy:
    names = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    batches = [
        qf.Batch(
            id=name,
            kind=draw(st.sampled_from(list(qf.BatchKind))),
            product=draw(st.sampled_from(["flour", "dough", "biscuits", "tissue roll"])),
            quantity=qf.Quantity(amount=draw(amounts), unit=draw(units)),
            produced_at=draw(st.none() | st.just(T0 + timedelta(minutes=n))),
            line=draw(st.none() | st.sampled_from(["L1", "line 2"])),
        )
        for n, name in enumerate(names)
    ]
    links = []
    for i in range(1, len(names)):
        for j in draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True)):
            quantity = draw(
                st.none() | st.builds(lambda a, u: qf.Quantity(amount=a, unit=u), amounts, units)
            )
            links.append((names[j], names[i], quantity))
    shipments = [
        qf.Shipment(
            id=f"S{n}-{draw(ids)}",
            batch_id=draw(st.sampled_from(names)),
            customer_id=draw(ids),
            quantity=qf.Quantity(amount=draw(amounts), unit=draw(units)),
            shipped_at=T0 + timedelta(hours=draw(st.integers(0, 1000))),
            region=draw(st.none() | st.sampled_from(["EU", "north"])),
        )
        for n in range(draw(st.integers(0, 4)))
    ]
    return qf.Genealogy.build(batches, links, shipments)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants())
def test_any_plant_round_trips_through_epcis(plant: qf.Genealogy) -> None:
    back = qf.load_epcis(json.dumps(qf.to_epcis(plant)), strict=False)
    same_graph(plant, back.genealogy)


def test_quantities_keep_their_decimals() -> None:
    plant = biscuit_plant()
    back = qf.load_epcis(qf.to_epcis(plant)).genealogy
    links = {(s, t): q for s, t, q in back.links()}
    assert links[("BUTTER 7/B", "DOUGH-1")] == qf.Quantity(amount=Decimal("200.25"), unit="kg")
