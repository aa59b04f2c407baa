"""A salmonella scare at a chocolate-biscuit plant: find the bad cocoa lot from complaints.

A year of production: thousands of raw lots from a handful of suppliers, every dough made
with the same mains-water lot, biscuits wrapped in film. One cocoa lot was contaminated.
Customers complain about some of the biscuits made from it; ``common_causes`` must point
at that cocoa lot, not at the water that went into everything.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

import qualityflow as qf

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)
BAD_LOT = "COCOA-0117"
WATER = "WATER-MAINS-2026"


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


@pytest.fixture(scope="module")
def plant() -> tuple[qf.Genealogy, list[str], list[str]]:
    rng = random.Random(20260105)
    batches: list[qf.Batch] = []
    links: list[qf.genealogy.Link] = []
    shipments: list[qf.Shipment] = []

    def lot(id: str, kind: str, product: str, supplier: str | None, line: str | None) -> None:
        batches.append(
            qf.Batch(
                id=id,
                kind=kind,
                product=product,
                quantity=kg(1000) if kind != "finished" else qf.Quantity(amount=5000, unit="pack"),
                supplier_id=supplier,
                line=line,
            )
        )

    lot(WATER, "raw_material", "mains water", "SUP-WATERWORKS", None)
    raw: dict[str, list[str]] = {"cocoa": [], "flour": [], "sugar": [], "butter": []}
    suppliers = {"cocoa": ["SUP-COCOA-A", "SUP-COCOA-B"], "flour": ["SUP-MILL"]}
    for material in raw:
        for i in range(500):
            id = f"{material.upper()}-{i:04d}"
            supplier = rng.choice(suppliers.get(material, [f"SUP-{material.upper()}"]))
            lot(id, "raw_material", material, supplier, None)
            raw[material].append(id)
    films = [f"FILM-{i:03d}" for i in range(200)]
    for film in films:
        lot(film, "packaging", "flow-wrap film", "SUP-FILM", None)

    bad_finished: list[str] = []
    for m in range(1500):
        mix = f"MIX-{m:04d}"
        lot(mix, "intermediate", "chocolate dough", None, f"MIXER-{m % 3}")
        cocoa = BAD_LOT if m % 180 == 7 else rng.choice(raw["cocoa"])
        inputs = {cocoa, rng.choice(raw["flour"]), rng.choice(raw["sugar"]), WATER}
        if rng.random() < 0.5:
            inputs.add(rng.choice(raw["butter"]))
        links += [(i, mix, kg(100)) for i in inputs]
        for f in range(2):
            fin = f"BISC-{m:04d}-{f}"
            lot(fin, "finished", "chocolate biscuits 200 g", None, f"OVEN-{m % 4}")
            links += [(mix, fin, kg(400)), (rng.choice(films), fin, kg(20))]
            for k in range(rng.randint(1, 3)):
                shipments.append(
                    qf.Shipment(
                        id=f"SHIP-{fin}-{k}",
                        batch_id=fin,
                        customer_id=f"CUST-{rng.randint(1, 400):03d}",
                        quantity=qf.Quantity(amount=1000, unit="pack"),
                        shipped_at=T0 + timedelta(days=m // 5),
                        region=rng.choice(["north", "south", "east", "west"]),
                    )
                )
            if cocoa == BAD_LOT:
                bad_finished.append(fin)

    genealogy = qf.Genealogy.build(batches, links, shipments)
    complained = rng.sample(bad_finished, 6)
    return genealogy, complained, bad_finished


def test_the_bad_cocoa_lot_ranks_first_above_the_water_that_feeds_everything(
    plant: tuple[qf.Genealogy, list[str], list[str]],
) -> None:
    genealogy, complained, _bad_finished = plant
    causes = genealogy.common_causes(*complained)
    assert causes[0].id == BAD_LOT and causes[0].kind == "lot"
    assert causes[0].reach == len(complained) and causes[0].share == 1.0
    water = next(c for c in causes if c.id == WATER)
    assert water.reach == len(complained)
    assert water.specificity < causes[0].specificity / 10
    assert causes.index(water) > 0
    kinds = {c.kind for c in causes}
    assert "supplier" in {c.kind for c in genealogy.common_causes(*complained, top=100)}
    assert kinds <= {"lot", "supplier", "line"}


def test_the_ranking_is_the_same_on_the_plant_wide_index(
    plant: tuple[qf.Genealogy, list[str], list[str]],
) -> None:
    genealogy, complained, _bad_finished = plant
    expected = genealogy.common_causes(*complained, top=50)
    genealogy._index_min_nodes = 0
    genealogy._dict_budget = 10
    try:
        assert genealogy.common_causes(*complained, top=50) == expected
    finally:
        genealogy._index_min_nodes = qf.Genealogy._INDEX_MIN_NODES
        genealogy._dict_budget = qf.Genealogy._DICT_BUDGET


def test_the_recall_of_the_bad_lot_reaches_every_biscuit_made_from_it(
    plant: tuple[qf.Genealogy, list[str], list[str]],
) -> None:
    genealogy, complained, bad_finished = plant
    impact = genealogy.recall_impact(BAD_LOT)
    finished = {b.id for b in impact.batches if b.kind is qf.BatchKind.FINISHED}
    assert finished == set(bad_finished)
    assert set(complained) <= finished
    assert WATER not in {b.id for b in impact.batches}
    shipped = sum((s.quantity for s in impact.shipments), qf.Quantity.zero("pack"))
    assert impact.shipped == {"pack": shipped}
    # The water recall, by contrast, touches the whole plant.
    everything = genealogy.recall_impact(WATER)
    assert len(everything.shipments) == sum(1 for _ in genealogy.shipments())
