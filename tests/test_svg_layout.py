"""The genealogy picture's layout and the bar charts, checked without a browser.

A quality engineer reads the recall picture to see which lots went into which batches:
every id must be there in full, in a box that holds it, and every arrow must run between
the boxes, not behind one. These tests check the geometry the SVG is drawn from; the
Chromium tests (test_html_browser.py) check what a browser makes of it.
"""

from __future__ import annotations

import itertools
import random
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualityflow.reports._svg import (
    GenealogyLayout,
    GraphNode,
    Route,
    bar_chart_svg,
    fold,
    genealogy_svg,
    layout_genealogy,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def urn(lot: str) -> str:
    return f"urn:epc:class:lgtin:4012345.012345.{lot}-2026-03-02-SUNRISE-BISCUITS"


FLOUR, MIX, BISC, SHIP = urn("FLOUR-0412"), urn("MIX-0302"), urn("BISC-0302"), "SHP-9001"
TOPPED_UP = (
    [
        GraphNode(FLOUR, "raw_material", "wheat flour"),
        GraphNode(MIX, "intermediate", "dough"),
        GraphNode(BISC, "finished", "butter biscuits 200 g", suspect=True),
        GraphNode(SHIP, "shipment", "to 华润万家超市"),
    ],
    [(FLOUR, MIX), (MIX, BISC), (FLOUR, BISC), (BISC, SHIP), (FLOUR, SHIP)],
)


def _sample(route: Route) -> list[tuple[float, float]]:
    """Points about 1 px apart along the route, as its SVG path draws it: across a gap a
    cubic from (x0, y0) to (x1, y1) with control points (mid, y0) and (mid, y1), through a
    column a straight line."""
    out = []
    for i, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(route.points)):
        n = max(int(abs(x1 - x0) + abs(y1 - y0)), 1)
        mid = (x0 + x1) / 2
        for k in range(n + 1):
            t = k / n
            if i % 2 == 0:
                a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                out.append((a * x0 + (b + c) * mid + d * x1, (a + b) * y0 + (c + d) * y1))
            else:
                out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out


def _assert_reads_well(layout: GenealogyLayout) -> None:
    boxes = list(layout.boxes.values())
    for box in boxes:
        # every id and label line fits its box; the lines give the full id back
        assert "".join(box.id_lines) == box.node.id
        for line in box.id_lines:
            assert text_width(line, bold=True) + 16 <= box.width + 1e-9
        for line in box.label_lines:
            assert text_width(line) + 16 <= box.width + 1e-9
        assert box.x >= 0 and box.x + box.width <= layout.width
        assert box.y >= 0 and box.y + box.height <= layout.height
    for a in boxes:
        for b in boxes:
            if a is not b:
                apart = (
                    a.x + a.width <= b.x
                    or b.x + b.width <= a.x
                    or a.y + a.height <= b.y
                    or b.y + b.height <= a.y
                )
                assert apart, f"{a.node.id} overlaps {b.node.id}"
    for route in layout.routes:
        src, dst = layout.boxes[route.source], layout.boxes[route.target]
        # one waypoint (in and out of the column) for every layer the edge passes through
        assert len(route.points) == 2 * (dst.layer - src.layer)
        assert route.points[0][0] == src.x + src.width and src.y < route.points[0][1]
        assert route.points[-1][0] == dst.x and route.points[-1][1] < dst.y + dst.height
        for x, y in _sample(route):
            for box in boxes:
                if box in (src, dst):
                    continue
                inside = (
                    box.x + 1 < x < box.x + box.width - 1 and box.y + 1 < y < box.y + box.height - 1
                )
                assert not inside, f"{route.source} -> {route.target} passes behind {box.node.id}"


def test_a_lot_that_feeds_a_batch_directly_and_through_a_mix_runs_beside_the_mix() -> None:
    layout = layout_genealogy(*TOPPED_UP)
    assert [layout.boxes[n].layer for n in (FLOUR, MIX, BISC, SHIP)] == [0, 1, 2, 3]
    direct = next(r for r in layout.routes if (r.source, r.target) == (FLOUR, BISC))
    (_, in_y), (out_x, out_y) = direct.points[1:3]
    mix = layout.boxes[MIX]
    # the waypoint crosses the mix's column at one height, outside the mix's box
    assert (direct.points[1][0], out_x) == (mix.x, mix.x + mix.width)
    assert in_y == out_y and not mix.y - 16 < in_y < mix.y + mix.height + 16
    to_ship = next(r for r in layout.routes if (r.source, r.target) == (FLOUR, SHIP))
    assert len(to_ship.points) == 6  # through the mix's and the batch's columns
    _assert_reads_well(layout)


def test_long_gs1_ids_fold_at_their_break_points_and_are_never_shortened() -> None:
    layout = layout_genealogy(*TOPPED_UP)
    lines = layout.boxes[BISC].id_lines
    assert len(lines) > 1 and "".join(lines) == BISC
    assert all(line.endswith((":", ".", "-")) for line in lines[:-1])
    svg = genealogy_svg(*TOPPED_UP)
    assert "…" not in svg
    root = ET.fromstring(svg)
    for g in root.iter(f"{SVG}g"):
        drawn = "".join(t.text or "" for t in g.iter(f"{SVG}tspan"))
        assert g.get("data-id", "") in drawn
    # the column is as wide as its widest box, and that box as wide as its text
    assert layout.boxes[BISC].width >= max(text_width(line, bold=True) for line in lines) + 16


def test_crossing_reduction_puts_each_batch_level_with_its_input() -> None:
    # by id alone A and B feed Y and X crosswise; one sweep uncrosses them
    nodes = [GraphNode(i, "raw_material") for i in ("A", "B")] + [
        GraphNode(i, "finished") for i in ("X", "Y")
    ]
    layout = layout_genealogy(nodes, [("A", "Y"), ("B", "X")])
    boxes = layout.boxes
    assert boxes["A"].y < boxes["B"].y and boxes["Y"].y < boxes["X"].y


def test_the_same_genealogy_gives_the_same_picture_whatever_the_order_it_comes_in() -> None:
    nodes, edges = TOPPED_UP
    first = genealogy_svg(nodes, edges)
    assert genealogy_svg(nodes, edges) == first
    rng = random.Random(7)
    for _ in range(5):
        shuffled_nodes, shuffled_edges = list(nodes), list(edges)
        rng.shuffle(shuffled_nodes)
        rng.shuffle(shuffled_edges)
        layout = layout_genealogy(shuffled_nodes, shuffled_edges)
        same = layout_genealogy(nodes, edges)
        assert layout.boxes == same.boxes and layout.routes == same.routes


def test_edges_that_close_a_cycle_are_refused_with_the_cycle_named() -> None:
    nodes = [GraphNode(i, "intermediate") for i in ("MIX-1", "BISC-1")]
    with pytest.raises(ValueError, match="MIX-1 -> BISC-1 -> MIX-1"):
        layout_genealogy(nodes, [("MIX-1", "BISC-1"), ("BISC-1", "MIX-1")])


def test_an_empty_picture_and_edges_to_undrawn_lots_still_draw() -> None:
    assert genealogy_svg([], []).startswith("<svg")
    layout = layout_genealogy([GraphNode("BISC-1", "finished")], [("FLOUR-9", "BISC-1")])
    assert layout.routes == ()


IDS = st.sampled_from(
    ["FLOUR-0412", "MIX-1", "SHP-9001", "批次-豆粕-2026-0302", urn("BISC-0302"), urn("OAT-1")]
)


@st.composite
def genealogies(draw: st.DrawFn) -> tuple[list[GraphNode], list[tuple[str, str]]]:
    count = draw(st.integers(1, 12))
    ids = [f"{draw(IDS)}-{i}" for i in range(count)]
    nodes = [GraphNode(i, draw(st.sampled_from(["raw_material", "finished"]))) for i in ids]
    pairs = [(ids[a], ids[b]) for a in range(count) for b in range(a + 1, count)]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=20)) if pairs else []
    return nodes, edges


@settings(max_examples=60, deadline=None)
@given(genealogies())
def test_any_genealogy_is_drawn_with_boxes_apart_and_edges_between_them(
    genealogy: tuple[list[GraphNode], list[tuple[str, str]]],
) -> None:
    _assert_reads_well(layout_genealogy(*genealogy))


@given(st.text(min_size=1, max_size=120), st.integers(20, 300))
def test_folding_keeps_every_character_and_each_line_fits(text: str, width: int) -> None:
    lines = fold(text, width)
    assert "".join(lines) == text
    for line in lines:
        assert text_width(line.rstrip()) <= width or len(line) == 1


def _chart(svg: str) -> tuple[ET.Element, float, float]:
    root = ET.fromstring(svg)
    return root, float(root.get("width", 0)), float(root.get("height", 0))


def test_a_pareto_chart_grows_to_hold_its_longest_label_and_its_title() -> None:
    labels = ["metal fragment from the sieve of line L2 (night shift)", "异物（金属碎片）", "x"]
    title = "Complaints by root cause, Sunrise Biscuits plant, March 2026 (14)"
    svg = bar_chart_svg(labels, [9, 4, 1], cumulative=[64.3, 92.9, 100.0], title=title)
    root, width, height = _chart(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert set(labels) <= set(texts) and title in texts  # nothing shortened
    assert width >= text_width(title, 13, bold=True) + 8
    longest = text_width(labels[0])
    # the first label tilts 30 degrees to the left of its bar: the margin holds it
    first = next(t for t in root.iter(f"{SVG}text") if t.text == labels[0])
    assert float(first.get("x", 0)) >= longest * 0.866
    assert height - float(first.get("y", 0)) >= longest * 0.5
    assert root.find(f"{SVG}polyline[@class='cumulative']") is not None
    assert "80%" in texts and root.find(f"{SVG}line[@class='marker-80']") is not None


def test_a_short_chart_keeps_its_old_compact_size() -> None:
    _, width, height = _chart(bar_chart_svg(["crumbly", "burnt"], [7, 3], title="Complaints"))
    assert width < 250 and height < 320
    assert re.search(r">crumbly<", bar_chart_svg(["crumbly"], [7]))


def test_a_large_count_is_written_in_full_not_in_exponent_form() -> None:
    root, _, _ = _chart(bar_chart_svg(["units shipped"], [1234567.0]))
    assert "1234567" in [t.text for t in root.iter(f"{SVG}text")]
