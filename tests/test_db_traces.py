"""The service answers traces, recalls and common causes from the database.

On random plants stored in memory, in SQLite and on the servers, ``qms.trace_forward``,
``qms.trace_backward``, ``qms.recall_impact``, ``qms.common_causes`` and
``qms.local_genealogy`` (which load only what the question reaches) give exactly what the
whole genealogy (``qms.genealogy``) gives: the same ids in the same order, the same paths,
the same errors for unknown ids.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.genealogy import Genealogy
from qualityflow.service import facade
from qualityflow.storage.sql import SQLStorage
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
UNKNOWN = "NO-SUCH-LOT"
# Mixed case and non-ASCII ids: the canonical link order must not depend on collation.
NAMES = ["Lot", "LOT", "lot", "Löt", "L0T"]


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


def pack(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="pack")


@st.composite
def plants(draw: st.DrawFn) -> dict[str, Any]:
    """A random plant: tiers of raw lots, mixes and finished batches, links, shipments."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    n_raw = draw(st.integers(1, 5))
    n_mix = draw(st.integers(0, 4))
    n_fin = draw(st.integers(1, 5))
    batches: list[qf.Batch] = []
    tiers: list[list[str]] = [[], [], []]
    for tier, (kind, count) in enumerate(
        (("raw_material", n_raw), ("intermediate", n_mix), ("finished", n_fin))
    ):
        for i in range(count):
            id = f"{rng.choice(NAMES)}-{tier}{i}"
            tiers[tier].append(id)
            batches.append(
                qf.Batch(
                    id=id,
                    kind=kind,
                    product=f"product {tier}",
                    quantity=pack(rng.randint(1, 50) * 10) if tier == 2 else kg(100),
                    supplier_id=rng.choice(["SUP-A", "SUP-B", None]) if tier == 0 else None,
                    line=rng.choice(["L1", "L2", None]) if tier else None,
                )
            )
    order = [b.id for b in batches]
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :] if rng.random() < 0.35]
    rng.shuffle(pairs)  # stored in random order: the answers must not depend on it
    shipments = []
    for k, fin in enumerate(tiers[2]):
        for j in range(rng.randint(0, 2)):
            shipments.append(
                qf.Shipment(
                    id=f"SHIP-{k}{j}",
                    batch_id=fin,
                    customer_id=rng.choice(["CUST-A", "CUST-B", "CUST-C"]),
                    quantity=pack(rng.randint(1, 5)),
                    shipped_at=T0,
                    region=rng.choice(["EU", "US", None]),
                )
            )
    rng.shuffle(shipments)
    nodes = order + [s.id for s in shipments]
    starts = draw(st.lists(st.sampled_from([*nodes, UNKNOWN]), min_size=1, max_size=3))
    return {
        "batches": batches,
        "links": pairs,
        "shipments": shipments,
        "starts": starts,
        "depth": draw(st.one_of(st.none(), st.integers(0, 3))),
        "top": draw(st.integers(0, 6)),
        "complained": draw(
            st.lists(st.sampled_from([*tiers[2], *tiers[1], UNKNOWN]), min_size=1, max_size=4)
        ),
    }


def store(qms: qf.QualityFlow, plant: dict[str, Any]) -> None:
    with qms.storage.transaction():
        for batch in plant["batches"]:
            qms.batches.add(batch)
        for a, b in plant["links"]:
            qms.link(a, b, kg(5))
        for shipment in plant["shipments"]:
            qms.shipments.add(shipment)


def outcome(call: Any) -> tuple[str, Any]:
    """Run ``call``; return ("ok", value) or ("error", (type, message))."""
    try:
        return "ok", call()
    except qf.QualityFlowError as exc:
        return "error", (type(exc).__name__, str(exc))


def trace_answer(trace: qf.Trace) -> tuple[Any, ...]:
    return (
        trace.direction,
        trace.starts,
        trace.depth,
        trace.ordered_ids,
        {id: trace.path_to(id) for id in trace.ordered_ids},
        [b.id for b in trace.batches],
        [s.id for s in trace.shipments],
    )


def impact_answer(impact: qf.RecallImpact) -> tuple[Any, ...]:
    return (
        impact.suspect_ids,
        impact.batches,
        impact.shipments,
        impact.customer_ids,
        impact.regions,
        impact.shipped,
        impact.in_house,
        impact.in_house_by_status,
    )


def sheet(impact_source: Genealogy, ids: list[str], path: Path) -> str:
    qf.to_fsma204(impact_source.recall_impact(*ids), path, genealogy=impact_source)
    return path.read_text(encoding="utf-8")


@contextmanager
def tuned(**values: int) -> Iterator[None]:
    """Set the service's thresholds (facade module constants) for a block."""
    saved = {name: getattr(facade, name) for name in values}
    for name, value in values.items():
        setattr(facade, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(facade, name, value)


def assert_same_answers(qms: qf.QualityFlow, plant: dict[str, Any], tmp: Path) -> None:
    whole = qms.genealogy
    starts, depth = plant["starts"], plant["depth"]
    known = [s for s in starts if s != UNKNOWN]
    assert qms.known(*starts) == frozenset(known)
    for direction in ("forward", "backward"):
        db = outcome(
            lambda d=direction: trace_answer(getattr(qms, f"trace_{d}")(*starts, depth=depth))
        )
        mem = outcome(
            lambda d=direction: trace_answer(getattr(whole, f"trace_{d}")(*starts, depth=depth))
        )
        assert db == mem
        assert (db[0] == "error") == (UNKNOWN in starts)
    db_impact = outcome(lambda: impact_answer(qms.recall_impact(*starts)))
    assert db_impact == outcome(lambda: impact_answer(whole.recall_impact(*starts)))
    complained, top = plant["complained"], plant["top"]
    expected = outcome(lambda: whole.common_causes(*complained, top=top))
    # The service loads the whole genealogy when the candidates feed much of the plant
    # (facade._WHOLE_PLANT); on these small plants that is most of the time, so the
    # partial load is checked on its own too.
    for whole_plant in (facade._WHOLE_PLANT, 10**9):
        with tuned(_WHOLE_PLANT=whole_plant):
            assert outcome(lambda: qms.common_causes(*complained, top=top)) == expected
    if UNKNOWN not in starts:
        local = qms.local_genealogy(*starts, inputs=True)
        assert sheet(local, starts, tmp / "local.csv") == sheet(whole, starts, tmp / "whole.csv")
        around = qms.local_genealogy(*starts, upstream=True)
        for direction in ("forward", "backward"):
            got = getattr(around, f"trace_{direction}")(*starts)
            assert trace_answer(got) == trace_answer(getattr(whole, f"trace_{direction}")(*starts))


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(plants())
def test_memory_storage_answers_as_the_whole_genealogy(plant: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp, qf.QualityFlow(load_entry_points=False) as qms:
        store(qms, plant)
        for small_part in (facade._SMALL_PART, 0):  # built one by one, and in bulk
            with tuned(_SMALL_PART=small_part):
                assert_same_answers(qms, plant, Path(tmp))


@SETTINGS
@given(plants())
def test_sqlite_answers_as_the_whole_genealogy(plant: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'plant.db'}"
        with qf.QualityFlow(url, load_entry_points=False) as qms:
            store(qms, plant)
        with qf.QualityFlow(url, load_entry_points=False) as qms:  # a fresh process's view
            for small_part in (facade._SMALL_PART, 0):
                with tuned(_SMALL_PART=small_part):
                    assert_same_answers(qms, plant, Path(tmp))


def _server_database(env: str, label: str) -> Iterator[str]:
    url = server_url(env)
    try:
        with temporary_database(url) as database_url:
            yield database_url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture(scope="module")
def postgresql_database() -> Iterator[str]:
    yield from _server_database(POSTGRESQL_ENV, "PostgreSQL")


@pytest.fixture(scope="module")
def mysql_database() -> Iterator[str]:
    yield from _server_database(MYSQL_ENV, "MySQL/MariaDB")


def _on_server(url: str, plant: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        qms = qf.QualityFlow(url, load_entry_points=False)
        try:
            store(qms, plant)
            assert_same_answers(qms, plant, Path(tmp))
        finally:
            assert isinstance(qms.storage, SQLStorage)
            qms.storage.drop_schema()
            qms.close()


SERVER_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@SERVER_SETTINGS
@given(plant=plants())
def test_postgresql_answers_as_the_whole_genealogy(
    postgresql_database: str, plant: dict[str, Any]
) -> None:
    _on_server(postgresql_database, plant)


@SERVER_SETTINGS
@given(plant=plants())
def test_mariadb_answers_as_the_whole_genealogy(mysql_database: str, plant: dict[str, Any]) -> None:
    _on_server(mysql_database, plant)


def test_common_causes_loads_only_what_its_answer_needs(tmp_path: Path) -> None:
    """A lot of another supplier, far from the complaints, is never loaded."""
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        for id, kind, supplier in [
            ("COCOA-1", "raw_material", "SUP-COCOA"),
            ("COCOA-2", "raw_material", "SUP-COCOA"),
            ("SALT-1", "raw_material", "SUP-SALT"),
            ("BISC-1", "finished", None),
            ("BISC-2", "finished", None),
            ("BISC-3", "finished", None),
            *[(f"SALT-{i}", "raw_material", "SUP-SALT") for i in range(2, 9)],
            ("CRACKER-1", "finished", None),
        ]:
            qms.batches.add(
                qf.Batch(
                    id=id, kind=kind, product=id.lower(), quantity=kg(10), supplier_id=supplier
                )
            )
        for a, b in [
            ("COCOA-1", "BISC-1"),
            ("COCOA-1", "BISC-2"),
            ("COCOA-2", "BISC-3"),
            ("SALT-1", "CRACKER-1"),
        ]:
            qms.link(a, b)
        loaded: list[set[str] | None] = []
        load = qms._genealogy_of

        def spy(nodes: set[str] | None, every: Any = None) -> Genealogy:
            loaded.append(None if nodes is None else set(nodes))
            return load(nodes, every)

        qms._genealogy_of = spy  # type: ignore[method-assign]
        causes = qms.common_causes("BISC-1", "BISC-2")
        qms._genealogy_of = load  # type: ignore[method-assign]
        assert causes == qms.genealogy.common_causes("BISC-1", "BISC-2")
        assert [(c.kind, c.id, c.specificity) for c in causes] == [
            ("lot", "COCOA-1", 1.0),
            ("supplier", "SUP-COCOA", pytest.approx(2 / 3)),
        ]
        assert None not in loaded
        assert all("SALT-1" not in nodes and "CRACKER-1" not in nodes for nodes in loaded if nodes)


def test_known_names_the_stored_batches_and_shipments_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.batches.add(qf.Batch(id="BISC-1", kind="finished", product="b", quantity=pack(10)))
        qms.shipments.add(
            qf.Shipment(
                id="SHIP-1", batch_id="BISC-1", customer_id="C", quantity=pack(1), shipped_at=T0
            )
        )
        qms.suppliers.add(qf.Supplier(id="SUP-1", name="mill"))
        assert qms.known("BISC-1", "SHIP-1", "SUP-1", "bisc-1") == {"BISC-1", "SHIP-1"}
        assert qms.known() == frozenset()
