"""Property-based checks of the genealogy on random plants (random DAGs of lots).

Every plant is checked twice: on the adjacency dictionaries (small traces) and with the
CSR index forced on (the path plant-wide recalls take), against plain breadth-first search
and a recall total computed by hand.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from datetime import datetime, timezone
from decimal import Decimal

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
KINDS = ["raw_material", "packaging", "intermediate", "finished"]
STATUSES = ["released", "quarantined", "on_hold"]
UNITS = ["kg", "pack"]

amounts = st.decimals(min_value=0, max_value=5000, places=2)


@st.composite
def plants(draw: st.DrawFn) -> tuple[list[qf.Batch], list[qf.genealogy.Link], list[qf.Shipment]]:
    """A random plant: batches in production order, links only from earlier to later."""
    n = draw(st.integers(min_value=1, max_value=25))
    batches = [
        qf.Batch(
            id=f"B{i}",
            kind=draw(st.sampled_from(KINDS)),
            product="product",
            quantity=qf.Quantity(amount=draw(amounts), unit=draw(st.sampled_from(UNITS))),
            status=draw(st.sampled_from(STATUSES)),
        )
        for i in range(n)
    ]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
            max_size=3 * n,
            unique=True,
        )
    )
    links = [
        (
            f"B{a}",
            f"B{b}",
            draw(st.none() | amounts.map(lambda x: qf.Quantity(amount=x, unit="kg"))),
        )
        for a, b in pairs
    ]
    n_ship = draw(st.integers(min_value=0, max_value=2 * n))
    shipments = [
        qf.Shipment(
            id=f"S{k}",
            batch_id=f"B{draw(st.integers(0, n - 1))}",
            customer_id=draw(st.sampled_from(["C1", "C2", "C3"])),
            quantity=qf.Quantity(amount=draw(amounts), unit=draw(st.sampled_from(UNITS))),
            shipped_at=T0,
            region=draw(st.sampled_from([None, "north", "south"])),
        )
        for k in range(n_ship)
    ]
    return batches, links, shipments


Plant = tuple[list[qf.Batch], list[qf.genealogy.Link], list[qf.Shipment]]


def both_paths(plant: Plant) -> list[qf.Genealogy]:
    """The same plant built in bulk (dict traces) and one by one (CSR index forced)."""
    batches, links, shipments = plant
    bulk = qf.Genealogy.build(batches, links, shipments)
    step = qf.Genealogy()
    for b in batches:
        step.add_batch(b)
    for u, v, q in links:
        step.link(u, v, q)
    for s in shipments:
        step.add_shipment(s)
    step._dict_budget = 0
    step._index_min_nodes = 0
    return [bulk, step]


def plain_bfs(adj: dict[str, list[str]], starts: list[str], depth: int | None) -> set[str]:
    seen = set(starts)
    queue = deque((s, 0) for s in starts)
    while queue:
        node, d = queue.popleft()
        if depth is not None and d >= depth:
            continue
        for other in adj[node]:
            if other not in seen:
                seen.add(other)
                queue.append((other, d + 1))
    return seen - set(starts)


def adjacency(plant: Plant) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    batches, links, shipments = plant
    ids = [b.id for b in batches] + [s.id for s in shipments]
    succ: dict[str, list[str]] = {node: [] for node in ids}
    pred: dict[str, list[str]] = {node: [] for node in succ}
    for u, v in [(u, v) for u, v, _ in links] + [(s.batch_id, s.id) for s in shipments]:
        succ[u].append(v)
        pred[v].append(u)
    return succ, pred


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(plants(), st.data())
def test_traces_equal_a_plain_breadth_first_search(plant: Plant, data: st.DataObject) -> None:
    succ, pred = adjacency(plant)
    ids = list(succ)
    starts = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
    depth = data.draw(st.none() | st.integers(0, 4))
    for g in both_paths(plant):
        forward = g.trace_forward(*starts, depth=depth)
        backward = g.trace_backward(*starts, depth=depth)
        assert forward.ids == plain_bfs(succ, starts, depth)
        assert backward.ids == plain_bfs(pred, starts, depth)
        for trace in (forward, backward):
            for target in list(trace.ids)[:5]:
                path = trace.path_to(target)
                assert path[0] in starts and path[-1] == target
                step = succ if trace.direction == "forward" else pred
                assert all(b in step[a] for a, b in itertools.pairwise(path))


@fast
@given(plants(), st.data())
def test_recall_totals_equal_a_hand_computation(plant: Plant, data: st.DataObject) -> None:
    batches, _, shipments = plant
    succ, _ = adjacency(plant)
    suspects = data.draw(st.lists(st.sampled_from([b.id for b in batches]), min_size=1))
    affected = plain_bfs(succ, suspects, None) | set(suspects)
    by_id = {b.id: b for b in batches}
    hit_ships = [s for s in shipments if s.id in affected]
    shipped: dict[str, Decimal] = defaultdict(Decimal)
    for s in hit_ships:
        shipped[s.quantity.unit] += s.quantity.amount
    in_house: dict[str, Decimal] = defaultdict(Decimal)
    by_status: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for b in batches:
        if b.id not in affected or b.kind is not qf.BatchKind.FINISHED:
            continue
        out = sum(
            (
                s.quantity.amount
                for s in shipments
                if s.batch_id == b.id and s.quantity.unit == b.quantity.unit
            ),
            Decimal(0),
        )
        left = max(b.quantity.amount - out, Decimal(0))
        in_house[b.quantity.unit] += left
        by_status[b.status.value][b.quantity.unit] += left

    for g in both_paths(plant):
        impact = g.recall_impact(*suspects)
        assert {b.id for b in impact.batches} == {n for n in affected if n in by_id}
        assert len(impact.batches) == len({b.id for b in impact.batches})
        assert {s.id for s in impact.shipments} == {s.id for s in hit_ships}
        assert impact.customer_ids == {s.customer_id for s in hit_ships}
        assert impact.regions == {s.region for s in hit_ships if s.region}
        assert {u: q.amount for u, q in impact.shipped.items()} == shipped
        assert {u: q.amount for u, q in impact.in_house.items()} == in_house
        assert {
            st_: {u: q.amount for u, q in per.items()}
            for st_, per in impact.in_house_by_status.items()
        } == by_status


@fast
@given(plants(), st.data())
def test_links_that_would_close_a_cycle_are_always_refused(
    plant: Plant, data: st.DataObject
) -> None:
    batches, _, _ = plant
    ids = [b.id for b in batches]
    u = data.draw(st.sampled_from(ids))
    v = data.draw(st.sampled_from(ids))
    for g in both_paths(plant):
        before = nx.to_dict_of_dicts(g.graph)
        closes = u == v or nx.has_path(g.graph, v, u)
        if closes:
            with pytest.raises(qf.GenealogyError):
                g.link(u, v)
            assert nx.to_dict_of_dicts(g.graph) == before
        else:
            g.link(u, v)
            assert nx.is_directed_acyclic_graph(g.graph)
            assert g.trace_forward(u).ids >= {v}


@fast
@given(plants(), st.data())
def test_bulk_build_refuses_cycles_like_link_does(plant: Plant, data: st.DataObject) -> None:
    batches, links, shipments = plant
    if not links:
        return
    u, v, _ = data.draw(st.sampled_from(links))
    with pytest.raises(qf.GenealogyError, match="cycle"):
        qf.Genealogy.build(batches, [*links, (v, u, None)], shipments)


def bfs_distances(adj: dict[str, list[str]], starts: list[str]) -> dict[str, int]:
    dist = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        for other in adj[node]:
            if other not in dist:
                dist[other] = dist[node] + 1
                queue.append(other)
    return dist


@fast
@given(plants(), st.data())
def test_forward_traces_stay_right_when_shipping_batches_gain_links_later(
    plant: Plant, data: st.DataObject
) -> None:
    # The goods-in clerk books shipments as trucks leave and production links lots
    # afterwards, so batches that already ship gain inputs and outputs later; a refused
    # batch of links (closing a cycle) must leave the forward traces as they were.
    batches, links, shipments = plant
    g = qf.Genealogy()
    for b in batches:
        g.add_batch(b)
    for s in shipments:
        g.add_shipment(s)
    split = data.draw(st.integers(0, len(links)))
    for u, v, q in links[:split]:
        g.link(u, v, q)
    if links[:split]:
        u, v, _ = data.draw(st.sampled_from(links[:split]))
        with pytest.raises(qf.GenealogyError, match="cycle"):
            g.link_many([*links[split:], (v, u, None)])
    g.link_many(links[split:])
    succ, _ = adjacency(plant)
    starts = data.draw(st.lists(st.sampled_from(list(succ)), min_size=1, max_size=3))
    trace = g.trace_forward(*starts)
    assert trace.ids == plain_bfs(succ, starts, None)
    assert len(trace.ordered_ids) == len(trace.ids)
    dist = bfs_distances(succ, list(dict.fromkeys(starts)))
    assert [dist[i] for i in trace.ordered_ids] == sorted(dist[i] for i in trace.ordered_ids)
    bulk = qf.Genealogy.build(batches, links, shipments)
    assert bulk.trace_forward(*starts).ids == trace.ids
