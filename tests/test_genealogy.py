"""Batch genealogy at a biscuit plant: tracing lots, recall impact, refused links."""

from __future__ import annotations

import gc
import io
import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import networkx as nx
import pytest

import qualityflow as qf
from qualityflow.testing import example_genealogy

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def kg(amount: float | str) -> qf.Quantity:
    return qf.Quantity(amount=Decimal(str(amount)), unit="kg")


def packs(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="pack")


@pytest.fixture
def plant() -> qf.Genealogy:
    """The documented example: cocoa and flour into doughs, doughs into biscuits."""
    return example_genealogy()


def test_trace_forward_from_a_cocoa_lot_reaches_its_doughs_biscuits_and_shipments(
    plant: qf.Genealogy,
) -> None:
    trace = plant.trace_forward("COCOA-7")
    assert trace.ids == {"MIX-1", "BISC-1", "BISC-2", "SHIP-1", "SHIP-2"}
    assert "COCOA-7" not in trace.ids
    assert trace.path_to("SHIP-1") == ["COCOA-7", "MIX-1", "BISC-1", "SHIP-1"]
    assert {b.id for b in trace.batches} == {"MIX-1", "BISC-1", "BISC-2"}
    assert sorted(trace.subgraph.nodes) == sorted(trace.ids | {"COCOA-7"})


def test_trace_backward_from_a_shipment_finds_every_lot_in_it(plant: qf.Genealogy) -> None:
    trace = plant.trace_backward("SHIP-2")
    assert trace.ids == {"BISC-2", "MIX-1", "FILM-2", "COCOA-7", "FLOUR-3"}
    path = trace.path_to("COCOA-7")
    assert path[0] == "SHIP-2" and path[-1] == "COCOA-7"
    assert all(plant.graph.has_edge(b, a) for a, b in itertools.pairwise(path))


def test_depth_limits_the_trace_to_direct_outputs(plant: qf.Genealogy) -> None:
    assert plant.trace_forward("FLOUR-3", depth=1).ids == {"MIX-1", "MIX-2"}
    assert plant.trace_forward("FLOUR-3", depth=0).ids == frozenset()
    with pytest.raises(qf.GenealogyError, match="not in this forward trace"):
        plant.trace_forward("FLOUR-3", depth=1).path_to("BISC-1")


def test_unknown_ids_are_named_and_nothing_changes(plant: qf.Genealogy) -> None:
    before = nx.to_dict_of_dicts(plant.graph)
    with pytest.raises(qf.GenealogyError, match="'SUGAR-9'"):
        plant.trace_forward("COCOA-7", "SUGAR-9")
    with pytest.raises(qf.GenealogyError, match="SUGAR-9"):
        plant.link("SUGAR-9", "MIX-1", kg(10))
    with pytest.raises(qf.GenealogyError, match="MIX-404"):
        plant.add_shipment(
            qf.Shipment(
                id="SHIP-9",
                batch_id="MIX-404",
                customer_id="CUST-X",
                quantity=packs(1),
                shipped_at=T0,
            )
        )
    assert nx.to_dict_of_dicts(plant.graph) == before
    assert "SHIP-9" not in plant


def test_a_link_that_closes_a_cycle_is_refused_with_the_cycle_named(plant: qf.Genealogy) -> None:
    before = nx.to_dict_of_dicts(plant.graph)
    with pytest.raises(qf.GenealogyError, match="COCOA-7 -> MIX-1 -> BISC-1 -> COCOA-7"):
        plant.link("BISC-1", "COCOA-7")
    with pytest.raises(qf.GenealogyError, match="itself"):
        plant.link("MIX-1", "MIX-1")
    # A batch of links with one bad link leaves none of them behind.
    with pytest.raises(qf.GenealogyError, match="cycle"):
        plant.link_many([("FILM-2", "MIX-2", None), ("BISC-3", "FLOUR-3", None)])
    assert nx.to_dict_of_dicts(plant.graph) == before


def test_shipments_cannot_be_linked_as_inputs_or_outputs(plant: qf.Genealogy) -> None:
    with pytest.raises(qf.GenealogyError, match="'SHIP-1' is a shipment"):
        plant.link("SHIP-1", "MIX-2")
    with pytest.raises(qf.GenealogyError, match="'SHIP-1' is a shipment"):
        plant.link("MIX-2", "SHIP-1")


def test_linking_the_same_lot_twice_adds_the_quantities(plant: qf.Genealogy) -> None:
    plant.link("COCOA-7", "MIX-1", kg(50))
    assert plant.graph.edges["COCOA-7", "MIX-1"]["quantity"] == kg(250)
    assert plant.mass_balance("COCOA-7").used == kg(250)


def test_the_graph_view_is_read_only_but_works_with_networkx(plant: qf.Genealogy) -> None:
    view = plant.graph
    with pytest.raises(nx.NetworkXError):
        view.add_edge("BISC-1", "COCOA-7")
    assert nx.is_directed_acyclic_graph(view)
    assert nx.descendants(view, "COCOA-7") == plant.trace_forward("COCOA-7").ids
    assert view.nodes["COCOA-7"]["supplier"] == "SUP-COCOA"
    assert view.nodes["SHIP-2"]["customer"] == "CUST-BERG"
    assert view.nodes["BISC-2"]["entity"] is plant.batch("BISC-2")


def test_accessors_for_the_service(plant: qf.Genealogy) -> None:
    assert len(plant) == 11
    assert "BISC-3" in plant and "NOPE" not in plant
    assert plant.batch("BISC-3").product == "butter biscuits 200 g"
    assert plant.shipment("SHIP-3").customer_id == "CUST-ALDA"
    with pytest.raises(qf.GenealogyError, match="is a batch, not a shipment"):
        plant.shipment("BISC-3")
    with pytest.raises(qf.GenealogyError, match="not in the genealogy"):
        plant.batch("NOPE")
    assert {b.id for b in plant.batches()} | {s.id for s in plant.shipments()} == set(plant)
    rebuilt = qf.Genealogy.build(plant.batches(), plant.links(), plant.shipments())
    assert nx.to_dict_of_dicts(rebuilt.graph) == nx.to_dict_of_dicts(plant.graph)


def test_recall_of_the_cocoa_lot_counts_shipped_and_in_house_stock(plant: qf.Genealogy) -> None:
    impact = plant.recall_impact("COCOA-7")
    assert {b.id for b in impact.batches} == {"COCOA-7", "MIX-1", "BISC-1", "BISC-2"}
    assert {s.id for s in impact.shipments} == {"SHIP-1", "SHIP-2"}
    assert impact.customer_ids == {"CUST-ALDA", "CUST-BERG"}
    assert impact.regions == {"north", "south"}
    assert impact.shipped == {"pack": packs(1500 + 1000)}
    # BISC-1 released, 4000 made, 1500 shipped; BISC-2 quarantined, 4000 made, 1000 shipped.
    assert impact.in_house == {"pack": packs(2500 + 3000)}
    assert impact.released == {"pack": packs(2500)}
    assert impact.quarantined == {"pack": packs(3000)}
    assert {b.id for b in impact.still_released} == {"COCOA-7", "MIX-1", "BISC-1"}
    data = impact.to_dict()
    assert data["shipped"] == {"pack": "2500"}
    assert data["customer_ids"] == ["CUST-ALDA", "CUST-BERG"]
    assert "2 shipments to 2 customers" in str(impact)


def test_a_status_change_is_seen_after_update_batch(plant: qf.Genealogy) -> None:
    held = plant.batch("BISC-1").model_copy()
    held.status = qf.BatchStatus.QUARANTINED
    plant.update_batch(held)
    impact = plant.recall_impact("COCOA-7")
    assert impact.released == {}
    assert impact.quarantined == {"pack": packs(5500)}


def test_bulk_build_reports_every_problem_and_builds_nothing() -> None:
    flour = qf.Batch(id="FLOUR-1", kind="raw_material", product="flour", quantity=kg(100))
    dough = qf.Batch(id="DOUGH-1", kind="intermediate", product="dough", quantity=kg(100))
    with pytest.raises(qf.GenealogyError) as err:
        qf.Genealogy.build(
            [flour, dough, flour],
            [("FLOUR-1", "DOUGH-1", kg(5)), ("SALT-1", "DOUGH-1", None)],
        )
    assert "'FLOUR-1' is given twice" in str(err.value)
    assert "SALT-1" in str(err.value)
    with pytest.raises(qf.GenealogyError, match="cycle"):
        qf.Genealogy.build(
            [flour, dough], [("FLOUR-1", "DOUGH-1", None), ("DOUGH-1", "FLOUR-1", None)]
        )


def test_mass_balance_reports_over_consumption(plant: qf.Genealogy) -> None:
    plant.link("COCOA-7", "MIX-2", kg(400))  # 200 kg already went into MIX-1; the lot is 500 kg
    balance = plant.mass_balance("COCOA-7")
    assert balance.over_by == kg(100)
    assert not balance.ok
    issues = plant.check()
    assert [i.kind for i in issues] == ["over_consumed"]
    assert issues[0].ids == ("COCOA-7",)


def test_orphan_shipments_and_dates_out_of_order() -> None:
    g = qf.Genealogy()
    g.add_batch(
        qf.Batch(id="TISSUE-1", kind="finished", product="tissue rolls", quantity=packs(100))
    )
    g.add_batch(
        qf.Batch(
            id="PULP-1",
            kind="raw_material",
            product="pulp",
            quantity=kg(500),
            produced_at=T0 + timedelta(days=2),
        )
    )
    g.add_batch(
        qf.Batch(
            id="TISSUE-2",
            kind="finished",
            product="tissue rolls",
            quantity=packs(100),
            produced_at=T0,
        )
    )
    g.link("PULP-1", "TISSUE-2", kg(50))
    g.add_shipment(
        qf.Shipment(
            id="SHIP-1", batch_id="TISSUE-1", customer_id="C1", quantity=packs(10), shipped_at=T0
        )
    )
    assert [s.id for s in g.orphan_shipments()] == ["SHIP-1"]
    assert g.consumed_before_produced() == [("PULP-1", "TISSUE-2")]
    assert {i.kind for i in g.check()} == {"orphan_shipment", "consumed_before_produced"}


def test_csv_edge_lists_round_trip(plant: qf.Genealogy) -> None:
    out = io.StringIO()
    text = plant.to_csv(out)
    assert out.getvalue() == text
    assert text.splitlines()[0] == "input_id,output_id,quantity,unit"
    assert qf.Genealogy.read_links_csv(text) == list(plant.links())
    rebuilt = qf.Genealogy.build(plant.batches(), qf.Genealogy.read_links_csv(io.StringIO(text)))
    assert set(rebuilt.graph.edges) == {(u, v) for u, v, _ in plant.links()}


def test_bad_csv_names_the_line() -> None:
    with pytest.raises(qf.InteropError, match="line 3"):
        qf.Genealogy.read_links_csv("input_id,output_id,quantity,unit\nA,B,1,kg\nA,C,lots,kg\n")
    with pytest.raises(qf.InteropError, match="input_id"):
        qf.Genealogy.read_links_csv("from,to\nA,B\n")


def test_mermaid_and_dot_pictures_of_a_trace(plant: qf.Genealogy) -> None:
    trace = plant.trace_forward("COCOA-7")
    mermaid = trace.to_mermaid()
    assert mermaid.startswith("flowchart LR")
    assert mermaid.count(" --> ") + mermaid.count(" -->|") == trace.subgraph.number_of_edges()
    assert "class n0 suspect" in mermaid
    dot = plant.to_dot(plant.recall_impact("COCOA-7"))
    assert dot.startswith("digraph genealogy {") and dot.rstrip().endswith("}")
    assert '"COCOA-7" -> "MIX-1" [label="200 kg"];' in dot
    assert "fillcolor" in dot


def test_a_lot_of_unknown_quantity_is_never_judged_over_consumed() -> None:
    # EPCIS imports record a lot whose quantity was never declared as zero, flagged unknown.
    g = qf.Genealogy()
    g.add_batch(
        qf.Batch(
            id="urn:epc:class:lgtin:4012345.012345.LOT7",
            kind="raw_material",
            product="hazelnut paste",
            quantity=qf.Quantity(amount=0, unit="unknown"),
            attributes={"quantity_known": False},
        )
    )
    g.add_batch(qf.Batch(id="SPREAD-1", kind="finished", product="spread", quantity=kg(900)))
    g.link("urn:epc:class:lgtin:4012345.012345.LOT7", "SPREAD-1", kg(300))
    balance = g.mass_balance("urn:epc:class:lgtin:4012345.012345.LOT7")
    assert not balance.known
    assert balance.over_by is None and balance.remaining is None
    assert g.check() == []


def test_questions_without_ids_are_refused_clearly(plant: qf.Genealogy) -> None:
    with pytest.raises(qf.GenealogyError, match="at least one"):
        plant.trace_forward()
    with pytest.raises(qf.GenealogyError, match="at least one"):
        plant.recall_impact()
    with pytest.raises(qf.GenealogyError, match="top must be at least 1"):
        plant.common_causes("BISC-1", "BISC-2", top=0)
    with pytest.raises(qf.GenealogyError, match="depth"):
        plant.trace_backward("BISC-1", depth=-1)


def test_bulk_build_restores_the_garbage_collector(plant: qf.Genealogy) -> None:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    qf.Genealogy.build(plant.batches(), plant.links(), plant.shipments())
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # a small plant is not frozen
    with pytest.raises(qf.GenealogyError):
        qf.Genealogy.build(plant.batches(), [("NOPE", "MIX-1", None)])
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    with pytest.warns(DeprecationWarning, match="freeze"):
        qf.Genealogy.build(plant.batches(), plant.links(), plant.shipments(), freeze=True)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # freeze=True is ignored: never gc.freeze()


def test_a_shipment_among_the_suspects_is_counted_once(plant: qf.Genealogy) -> None:
    # The complaint names both the batch and the shipment it arrived in.
    assert "SHIP-1" not in plant.trace_forward("BISC-1", "SHIP-1").ids
    impact = plant.recall_impact("BISC-1", "SHIP-1")
    assert [s.id for s in impact.shipments] == ["SHIP-1"]
    assert impact.shipped == {"pack": packs(1500)}


def test_bulk_build_adds_up_a_lot_added_twice_like_link_does() -> None:
    salt = qf.Batch(id="SALT-1", kind="raw_material", product="salt", quantity=kg(25))
    dough = qf.Batch(id="DOUGH-1", kind="intermediate", product="dough", quantity=kg(500))
    crackers = qf.Batch(id="CRACK-1", kind="finished", product="crackers", quantity=packs(900))
    links = [("SALT-1", "DOUGH-1", kg(2)), ("DOUGH-1", "CRACK-1", None)]
    bulk = qf.Genealogy.build([salt, dough, crackers], [*links, ("SALT-1", "DOUGH-1", kg(3))])
    step = qf.Genealogy.build([salt, dough, crackers], links)
    step.link("SALT-1", "DOUGH-1", kg(3))
    assert bulk.graph.edges["SALT-1", "DOUGH-1"]["quantity"] == kg(5)
    assert nx.to_dict_of_dicts(bulk.graph) == nx.to_dict_of_dicts(step.graph)
    bulk._index_min_nodes = bulk._dict_budget = 0  # force the CSR index
    assert bulk.trace_forward("SALT-1").ordered_ids == ["DOUGH-1", "CRACK-1"]
    assert list(bulk._index.succ_idx) == [1, 2]  # the duplicate link is one CSR entry


def test_the_plant_wide_index_follows_every_change(plant: qf.Genealogy) -> None:
    plant._index_min_nodes = plant._dict_budget = 0  # every trace on the CSR index
    assert plant.recall_impact("COCOA-7").released == {"pack": packs(2500)}
    held = plant.batch("BISC-1").model_copy()
    held.status = qf.BatchStatus.QUARANTINED
    plant.update_batch(held)
    assert plant.recall_impact("COCOA-7").released == {}
    plant.add_batch(
        qf.Batch(id="BISC-4", kind="finished", product="cocoa biscuits", quantity=packs(800))
    )
    plant.link("MIX-1", "BISC-4", kg(100))
    plant.add_shipment(
        qf.Shipment(
            id="SHIP-4", batch_id="BISC-4", customer_id="CUST-CARO", quantity=packs(300),
            shipped_at=T0, region="east",
        )
    )  # fmt: skip
    impact = plant.recall_impact("COCOA-7")
    assert "CUST-CARO" in impact.customer_ids
    assert impact.shipped == {"pack": packs(1500 + 1000 + 300)}
    assert impact.released == {"pack": packs(500)}
    assert plant.trace_backward("SHIP-4").ids == {"BISC-4", "MIX-1", "COCOA-7", "FLOUR-3"}
