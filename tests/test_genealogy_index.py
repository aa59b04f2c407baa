"""The genealogy's one traversal index, followed through random interleavings of changes.

Every trace is checked against networkx's own ``descendants`` / ``ancestors`` on the public
graph view, on both walks of the index (plain Python for small frontiers, numpy per level
for wide ones), with the append buffer merged into new rows often (a tiny threshold) and
never; recall impacts against a genealogy rebuilt from scratch from the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.genealogy import _index
from qualityflow.testing import example_genealogy

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
KINDS = ["raw_material", "packaging", "intermediate", "finished"]
STATUSES = ["released", "quarantined", "on_hold"]


def batch(i: int, kind: str, amount: Decimal, status: str = "released") -> qf.Batch:
    return qf.Batch(
        id=f"B{i}",
        kind=kind,
        product="product",
        quantity=qf.Quantity(amount=amount, unit="pack"),
        status=status,
        supplier_id=f"SUP-{i % 3}",
        line=f"L{i % 2}",
    )


def shipment(k: int, batch_id: str, amount: Decimal) -> qf.Shipment:
    return qf.Shipment(
        id=f"S{k}",
        batch_id=batch_id,
        customer_id=f"C{k % 4}",
        quantity=qf.Quantity(amount=amount, unit="pack"),
        shipped_at=T0,
        region=None if k % 5 == 0 else f"R{k % 3}",
    )


def wide(g: qf.Genealogy) -> qf.Genealogy:
    g._dict_budget = 0
    g._index_min_nodes = 0
    return g


def check_traces(g: qf.Genealogy) -> None:
    view = g.graph
    for node in list(g):
        assert g.trace_forward(node).ids == nx.descendants(view, node)
        assert g.trace_backward(node).ids == nx.ancestors(view, node)
        assert g.trace_forward(node, depth=1).ids == set(view.successors(node))


def same_impact(a: qf.RecallImpact, b: qf.RecallImpact) -> None:
    # Amounts compare as numbers: a vectorised sum may write 100.0 where Python writes 100.
    assert a.ids == b.ids
    assert (a.customer_ids, a.regions) == (b.customer_ids, b.regions)
    assert (a.shipped, a.in_house, a.in_house_by_status) == (
        b.shipped,
        b.in_house,
        b.in_house_by_status,
    )


amounts = st.decimals(min_value=0, max_value=500, places=1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), start=st.integers(0, 6), merge_min=st.sampled_from([1, 3, 10**9]))
def test_random_changes_and_queries_agree_with_networkx(
    data: st.DataObject, start: int, merge_min: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_index, "_MERGE_MIN", merge_min)
        random_changes(data, start)


def random_changes(data: st.DataObject, start: int) -> None:
    # Start from a bulk build (compiled rows) of a few batches in a chain, or from nothing.
    first = [batch(i, KINDS[min(i, 3)], Decimal(100)) for i in range(start)]
    chain = [(f"B{i}", f"B{i + 1}", None) for i in range(start - 1)]
    g = qf.Genealogy.build(first, chain) if start else qf.Genealogy()
    small = qf.Genealogy.build(first, chain) if start else qf.Genealogy()
    both = [wide(g), small]
    n_batches = start
    n_ships = 0
    for _ in range(data.draw(st.integers(1, 25), label="steps")):
        op = data.draw(st.sampled_from(["batch", "link", "ship", "update", "query"]))
        if op == "batch" or n_batches == 0:
            b = batch(n_batches, data.draw(st.sampled_from(KINDS)), data.draw(amounts))
            for x in both:
                x.add_batch(b)
            n_batches += 1
        elif op == "link" and n_batches >= 2:
            u, v = sorted(data.draw(st.lists(st.integers(0, n_batches - 1), min_size=2,
                                             max_size=2, unique=True)))  # fmt: skip
            q = data.draw(st.none() | amounts.map(lambda a: qf.Quantity(amount=a, unit="kg")))
            if data.draw(st.booleans()):
                u, v = v, u  # may close a cycle: refused on both, nothing changes
            for x in both:
                try:
                    x.link(f"B{u}", f"B{v}", q)
                except qf.GenealogyError as exc:
                    assert "cycle" in str(exc)
        elif op == "ship":
            s = shipment(
                n_ships, f"B{data.draw(st.integers(0, n_batches - 1))}", data.draw(amounts)
            )
            for x in both:
                x.add_shipment(s)
            n_ships += 1
        elif op == "update":
            old = g.batch(f"B{data.draw(st.integers(0, n_batches - 1))}")
            new = qf.Batch.model_validate(
                {
                    **old.model_dump(),
                    "status": data.draw(st.sampled_from(STATUSES)),
                    "kind": data.draw(st.sampled_from(KINDS)),
                    "quantity": qf.Quantity(amount=data.draw(amounts), unit="pack"),
                }
            )
            for x in both:
                x.update_batch(new)
        else:
            suspects = data.draw(st.lists(st.sampled_from(list(g)), min_size=1, max_size=3))
            same_impact(g.recall_impact(*suspects), small.recall_impact(*suspects))
        assert nx.utils.graphs_equal(g.graph, small.graph)
    for x in both:
        check_traces(x)
        assert nx.is_directed_acyclic_graph(x.graph)
    rebuilt = qf.Genealogy.build(g.batches(), g.links(), g.shipments())
    assert nx.utils.graphs_equal(rebuilt.graph, g.graph)
    for node in list(g):
        same_impact(g.recall_impact(node), wide(rebuilt).recall_impact(node))
        same_impact(small.recall_impact(node), rebuilt.recall_impact(node))
        assert g.common_causes(node) == rebuilt.common_causes(node)


def test_the_graph_is_a_read_only_networkx_view_that_algorithms_accept() -> None:
    g = example_genealogy()
    view = g.graph
    assert isinstance(view, nx.DiGraph)
    assert nx.is_frozen(view)
    assert nx.descendants(view, "COCOA-7") == g.trace_forward("COCOA-7").ids
    assert nx.ancestors(view, "SHIP-2") == g.trace_backward("SHIP-2").ids
    assert nx.has_path(view, "FLOUR-3", "SHIP-3")
    assert next(sorted(level) for level in nx.topological_generations(view)) == [
        "COCOA-7",
        "FILM-2",
        "FLOUR-3",
    ]
    changes: list[Callable[[], object]] = [
        lambda: view.add_edge("BISC-1", "COCOA-7"),
        lambda: view.add_node("X"),
        lambda: view.remove_node("MIX-1"),
        lambda: view.remove_edge("MIX-1", "BISC-1"),
    ]
    for change in changes:
        with pytest.raises(nx.NetworkXError, match="Frozen"):
            change()
    g.add_batch(batch(99, "finished", Decimal(5)))
    g.link("MIX-2", "B99")
    assert "B99" in nx.descendants(view, "FLOUR-3")  # the view follows the genealogy


def test_a_single_change_does_not_recompile_the_index() -> None:
    plant = example_genealogy()
    g = qf.Genealogy.build(plant.batches(), plant.links(), plant.shipments())
    assert g._index.n_extra == 0 and g._index.compiled == len(g)
    rows = g._index.succ_idx
    g.add_batch(batch(50, "finished", Decimal(10)))
    g.link("MIX-1", "B50")
    g.add_shipment(shipment(50, "B50", Decimal(4)))
    wide(g)
    impact = g.recall_impact("COCOA-7")
    assert {"B50", "S50"} <= impact.ids
    assert g._index.succ_idx is rows  # the change went to the append buffer
    assert g._index.n_extra == 2


def test_the_append_buffer_is_merged_once_it_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_index, "_MERGE_MIN", 2)
    g = example_genealogy()
    for k in range(4):
        g.add_shipment(shipment(100 + k, "BISC-3", Decimal(1)))
    assert g.trace_forward("MIX-2").ids == {"BISC-3", "SHIP-3", *(f"S{100 + k}" for k in range(4))}
    assert g._index.n_extra == 0 and g._index.compiled == len(g)


def test_library_code_never_touches_networkx_internals() -> None:
    import pathlib
    import re

    import qualityflow

    root = pathlib.Path(qualityflow.__file__).parent
    private = re.compile(r"\._(succ|pred|adj|node|clear_cache)\b|nx\._")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


def test_no_gc_freeze_in_library_code() -> None:
    import pathlib

    import qualityflow

    root = pathlib.Path(qualityflow.__file__).parent
    assert [p.name for p in root.rglob("*.py") if "gc.freeze()" in p.read_text()
            and "never" not in p.read_text()] == []  # fmt: skip
