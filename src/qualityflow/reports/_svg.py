"""Inline SVG pictures: the genealogy of a recall and bar charts, as self-contained text.

The pictures are plain SVG text with their styles inline, so an HTML report that embeds
them stays one self-contained file that opens offline. Nothing is ever shortened: boxes
and margins are sized from an estimate of each text's width, long identifiers fold onto
several lines at their natural break points, and edges of the genealogy run through the
gaps between boxes (a layered, Sugiyama-style layout), never behind a node.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from qualityflow.i18n import _

__all__ = [
    "Box",
    "GenealogyLayout",
    "GraphNode",
    "Route",
    "bar_chart_svg",
    "fold",
    "genealogy_svg",
    "layout_genealogy",
    "text_width",
]

_FILL = {
    "raw_material": "#e8f1fb",
    "packaging": "#eef7ee",
    "intermediate": "#fff6e0",
    "finished": "#fde8e8",
    "shipment": "#f0ecf8",
}
_STROKE_SUSPECT = "#c62828"
_FONT = 11  # px, the pictures' text size
_LINE = 14  # px from one baseline to the next
_ASCENT = 0.95  # em above the baseline that a line's glyphs may reach
_DESCENT = 0.3  # em below it
_PAD_X = 8  # px between a box's border and its text
_PAD_Y = 6
_MIN_NODE_W = 120
_MAX_LINE_W = 230  # px: a longer id or label folds onto the next line
_GAP_X = 60  # px between two columns: the edges run here
_GAP_Y = 16  # px between two boxes (or an edge's waypoint) of one column
_WAYPOINT_H = 4  # px of a column's height an edge passing through it takes
_MARGIN = 16
_TITLE_H = 24
_SWEEPS = 4  # barycenter sweeps (down and up) of the crossing reduction


# Width of one character in em for the sans-serif fonts browsers use (DejaVu Sans, Arial,
# Liberation Sans), rounded up: an estimate that errs wide, so text stays in its box.
_NARROW = frozenset(" !'(),-./:;I[]`fijlrt|")
_WIDE_LATIN = frozenset("%@MWmw&")


def _n(value: float) -> str:
    """Write a coordinate or a value in full, to two decimals at most (never ``1e+06``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _char_em(char: str, bold: bool) -> float:
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0  # CJK ideographs, kana, full-width forms
    if unicodedata.combining(char):
        return 0.0
    if char in _NARROW:
        em = 0.4
    elif char in _WIDE_LATIN:
        em = 1.0
    elif char.isupper():
        em = 0.76
    elif char.isdigit():
        em = 0.64
    elif char.islower():
        em = 0.62
    else:
        em = 0.8
    return em * 1.06 if bold else em


def text_width(text: str, size: float = _FONT, *, bold: bool = False) -> float:
    """Estimate how wide ``text`` is drawn, in px, at ``size`` px in a sans-serif font.

    The estimate errs on the wide side (1 em for a CJK character, about 0.6-0.8 em for a
    Latin one), so a box or margin sized from it holds the text.

    Examples
    --------
    >>> text_width("BISC-0302") < text_width("BISC-0302", bold=True)
    True
    >>> text_width("投诉") == 22.0
    True

    """
    return sum(_char_em(c, bold) for c in text) * size


_PIECE = re.compile(r"[^:.\-/_\s]+[:.\-/_\s]*|[:.\-/_\s]+")


def fold(text: str, max_width: float, *, size: float = _FONT, bold: bool = False) -> list[str]:
    """Fold ``text`` onto lines no wider than ``max_width`` px, at its natural break points.

    Lines break after ':', '.', '-', '/', '_' or a space, and nothing is dropped: the lines
    joined give ``text`` back. A piece with no break point that is wider than a line on
    its own is cut where the line is full.

    Examples
    --------
    >>> fold("urn:epc:class:lgtin:4012345.012345.BISC-0302-2026-03-02", 150)
    ['urn:epc:class:lgtin:', '4012345.012345.BISC-', '0302-2026-03-02']
    >>> "".join(fold("urn:epc:id:sscc:4012345.SHP-9001", 60)) == "urn:epc:id:sscc:4012345.SHP-9001"
    True

    """
    lines: list[str] = []
    line = ""
    for piece in _PIECE.findall(text):
        if line and text_width(line + piece.rstrip(), size, bold=bold) > max_width:
            lines.append(line)
            line = ""
        while text_width(piece.rstrip(), size, bold=bold) > max_width:
            cut = 1
            while cut < len(piece) and text_width(piece[: cut + 1], size, bold=bold) <= max_width:
                cut += 1
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    if line or not lines:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class GraphNode:
    """One box of the genealogy picture."""

    id: str
    kind: str
    label: str = ""
    suspect: bool = False
    status: str = ""

    def lines(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the box's text: the id (bold) and the label, each folded onto lines."""
        label = self.label or self.kind.replace("_", " ")
        if self.status:
            label += f" [{self.status}]"
        id_lines = fold(self.id, _MAX_LINE_W, bold=True)
        return tuple(id_lines), tuple(fold(label, _MAX_LINE_W))


@dataclass(frozen=True)
class Box:
    """Where one node is drawn: its rectangle, its layer (column) and its text lines."""

    node: GraphNode
    layer: int
    x: float
    y: float
    width: float
    height: float
    id_lines: tuple[str, ...]
    label_lines: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """Where one edge runs: from the source box's right side to the target's left side.

    ``points`` start on the source's border and end on the target's; between them, each
    layer the edge passes through adds two points, where it enters and leaves that
    column, in a slot of its own between the boxes.
    """

    source: str
    target: str
    points: tuple[tuple[float, float], ...]

    def path(self) -> str:
        """Return the SVG path: curves across the gaps between columns, lines through them."""
        (x, y), *rest = self.points
        d = [f"M {_n(x)} {_n(y)}"]
        for i, (nx_, ny) in enumerate(rest):
            if i % 2 == 0:  # across a gap: an S-curve, monotone in x
                mid = (x + nx_) / 2
                d.append(f"C {_n(mid)} {_n(y)}, {_n(mid)} {_n(ny)}, {_n(nx_)} {_n(ny)}")
            else:  # through a column, in the waypoint's slot
                d.append(f"L {_n(nx_)} {_n(ny)}")
            x, y = nx_, ny
        return " ".join(d)


@dataclass(frozen=True)
class GenealogyLayout:
    """The placed picture: the size, each node's box and each edge's route."""

    width: float
    height: float
    boxes: dict[str, Box]
    routes: tuple[Route, ...]
    columns: tuple[tuple[float, float], ...]  # (x, width) of each layer's column


def _box_height(lines: int) -> float:
    return 2 * _PAD_Y + (_ASCENT + _DESCENT) * _FONT + (lines - 1) * _LINE


def _crossings(order: list[list[int]], down: dict[int, list[int]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(order):
        pos = {v: i for i, v in enumerate(lower)}
        ends = [(i, pos[w]) for i, v in enumerate(upper) for w in down[v] if w in pos]
        total += sum(
            1 for a, b in ends for c, d in ends if a < c and b > d
        )  # pairs of edges that swap order between the two layers
    return total


def _reduce_crossings(
    order: list[list[int]], up: dict[int, list[int]], down: dict[int, list[int]], key: list[str]
) -> list[list[int]]:
    """Barycenter sweeps down and up the layers; the order with the fewest crossings wins."""

    def sweep(layers: range, neighbours: dict[int, list[int]], ref: int) -> None:
        for layer in layers:
            pos = {v: i for i, v in enumerate(order[layer + ref])}
            here = {v: i for i, v in enumerate(order[layer])}

            def barycenter(v: int, pos: dict[int, int] = pos, here: dict[int, int] = here) -> float:
                near = [pos[w] for w in neighbours[v] if w in pos]
                return sum(near) / len(near) if near else float(here[v])

            order[layer].sort(key=lambda v: (barycenter(v), key[v]))

    best = [list(layer) for layer in order]
    fewest = _crossings(order, down)
    for _sweep in range(_SWEEPS):
        if fewest == 0:
            break
        sweep(range(1, len(order)), up, -1)
        sweep(range(len(order) - 2, -1, -1), down, +1)
        count = _crossings(order, down)
        if count < fewest:
            best, fewest = [list(layer) for layer in order], count
    return best


def _spaced(wanted: Sequence[float], spacing: Sequence[float]) -> list[float]:
    """Return positions nearest ``wanted`` (least squares) that keep order and spacing.

    Each position is at least ``spacing[i]`` below the one before; solved as an isotonic
    regression, pooling neighbours that would collide.

    >>> _spaced([10, 0, 50], [20, 20])
    [-5.0, 15.0, 50.0]

    """
    offsets = list(itertools.accumulate(spacing, initial=0.0))
    blocks: list[list[float]] = []  # [sum, count] of runs pulled to one shifted position
    for value, offset in zip(wanted, offsets, strict=True):
        blocks.append([value - offset, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    shifted = [total / count for total, count in blocks for _run in range(int(count))]
    return [z + offset for z, offset in zip(shifted, offsets, strict=True)]


def layout_genealogy(
    nodes: Sequence[GraphNode], edges: Iterable[tuple[str, str]]
) -> GenealogyLayout:
    """Place a genealogy left to right in layers, the routes of its edges between boxes.

    Each node sits one layer right of its furthest input (networkx's topological
    generations). An edge that skips layers gets a waypoint in every layer in between,
    which takes a slot of that column like a small box, so it runs through a gap. The
    order within the layers comes from barycenter sweeps that reduce crossings, ties broken
    by id, so the same genealogy always gives the same picture. Edges whose ends are not
    among ``nodes`` are left out; edges that close a cycle raise :class:`ValueError`.

    Examples
    --------
    >>> layout = layout_genealogy(
    ...     [GraphNode("FLOUR-1", "raw_material"), GraphNode("MIX-1", "intermediate"),
    ...      GraphNode("BISC-1", "finished")],
    ...     [("FLOUR-1", "MIX-1"), ("MIX-1", "BISC-1"), ("FLOUR-1", "BISC-1")])
    >>> [layout.boxes[n].layer for n in ("FLOUR-1", "MIX-1", "BISC-1")]
    [0, 1, 2]
    >>> skip = next(r for r in layout.routes if r.target == "BISC-1" and r.source == "FLOUR-1")
    >>> len(skip.points)  # start, through the MIX-1 column (in and out), end
    4

    """
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(n.id for n in nodes)
    graph.add_edges_from(sorted({(s, d) for s, d in edges if s in graph and d in graph}))
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        pass
    else:
        path = " -> ".join([*(edge[0] for edge in cycle), cycle[0][0]])
        raise ValueError(
            _(
                "the genealogy picture's links close the cycle {path}; links run from input "
                "to output, check their direction"
            ).format(path=path)
        )
    by_id = {n.id: n for n in nodes}
    layer_of = {
        node: depth
        for depth, generation in enumerate(nx.topological_generations(graph))
        for node in generation
    }
    layers = max(layer_of.values(), default=-1) + 1

    # Vertices: the real nodes, then one waypoint per edge and layer it passes through.
    key: list[str] = sorted(by_id)
    index = {node: i for i, node in enumerate(key)}
    vertex_layer = [layer_of[node] for node in key]
    up: dict[int, list[int]] = {i: [] for i in range(len(key))}
    down: dict[int, list[int]] = {i: [] for i in range(len(key))}
    chains: list[tuple[str, str, list[int]]] = []
    for src, dst in sorted(graph.edges()):
        chain = [index[src]]
        for layer in range(layer_of[src] + 1, layer_of[dst]):
            waypoint = len(key)
            key.append(f"{src}\x00{dst}\x00{layer:06d}")
            vertex_layer.append(layer)
            up[waypoint], down[waypoint] = [], []
            chain.append(waypoint)
        chain.append(index[dst])
        for a, b in itertools.pairwise(chain):
            down[a].append(b)
            up[b].append(a)
        chains.append((src, dst, chain))
    order: list[list[int]] = [[] for _layer in range(layers)]
    for v in sorted(range(len(key)), key=lambda v: key[v]):
        order[vertex_layer[v]].append(v)
    order = _reduce_crossings(order, up, down, key)

    # Sizes: boxes fit their folded text; a column is as wide as its widest box.
    text = {node.id: node.lines() for node in nodes}
    size: dict[str, tuple[float, float]] = {}
    for node_id, (id_lines, label_lines) in text.items():
        widest = max(
            [text_width(line, bold=True) for line in id_lines]
            + [text_width(line) for line in label_lines]
        )
        size[node_id] = (widest + 2 * _PAD_X, _box_height(len(id_lines) + len(label_lines)))
    columns: list[tuple[float, float]] = []
    x = float(_MARGIN)
    for layer in range(layers):
        width = max([_MIN_NODE_W] + [size[key[v]][0] for v in order[layer] if v < len(by_id)])
        columns.append((x, math.ceil(width)))
        x += math.ceil(width) + _GAP_X

    def height_of(v: int) -> float:
        return size[key[v]][1] if v < len(by_id) else _WAYPOINT_H

    stacks = [
        sum(height_of(v) for v in members) + _GAP_Y * max(len(members) - 1, 0) for members in order
    ]
    tallest = max(stacks, default=0.0)
    top: dict[int, float] = {}
    for layer, members in enumerate(order):
        y = (tallest - stacks[layer]) / 2
        for v in members:
            top[v] = y
            y += height_of(v) + _GAP_Y
    # Straighten: move each column towards its neighbours, keeping its order and spacing.
    for _sweep in range(_SWEEPS):
        for layers_in_turn, neighbours in (
            (range(1, layers), up),
            (range(layers - 2, -1, -1), down),
        ):
            for layer in layers_in_turn:
                members = order[layer]
                wanted = []
                for v in members:
                    near = [top[w] + height_of(w) / 2 for w in neighbours[v]]
                    middle = sum(near) / len(near) if near else top[v] + height_of(v) / 2
                    wanted.append(middle - height_of(v) / 2)
                spacing = [height_of(v) + _GAP_Y for v in members[:-1]]
                top.update(zip(members, _spaced(wanted, spacing), strict=True))
    lowest = min(top.values(), default=0.0)
    for v in top:
        top[v] += _MARGIN + _TITLE_H - lowest
    tallest = max((top[v] + height_of(v) for v in top), default=0.0) - _MARGIN - _TITLE_H

    boxes: dict[str, Box] = {}
    for node in nodes:
        v = index[node.id]
        col_x, col_w = columns[layer_of[node.id]]
        id_lines, label_lines = text[node.id]
        boxes[node.id] = Box(
            node, layer_of[node.id], col_x, top[v], col_w, size[node.id][1], id_lines, label_lines
        )

    # Ports: a box's edges leave (and arrive) spread down its side, ordered by where they go.
    def centre(v: int) -> float:
        return top[v] + height_of(v) / 2

    ports: dict[tuple[int, int, int], float] = {}
    for v in range(len(by_id)):
        for side, linked in ((+1, down[v]), (-1, up[v])):
            ordered = sorted(linked, key=lambda w: (centre(w), key[w]))
            for i, w in enumerate(ordered):
                ports[(v, w, side)] = top[v] + height_of(v) * (i + 1) / (len(ordered) + 1)
    routes = []
    for src, dst, chain in chains:
        s, d = chain[0], chain[-1]
        col_x, col_w = columns[layer_of[src]]
        points = [(col_x + col_w, ports[(s, chain[1], +1)])]
        for w in chain[1:-1]:
            wx, ww = columns[vertex_layer[w]]
            points += [(wx, centre(w)), (wx + ww, centre(w))]
        points.append((columns[layer_of[dst]][0], ports[(d, chain[-2], -1)]))
        routes.append(Route(src, dst, tuple(points)))
    width = max(x - _GAP_X + _MARGIN, 0.0) if layers else 2.0 * _MARGIN
    height = _MARGIN * 2 + _TITLE_H + tallest
    return GenealogyLayout(
        float(math.ceil(width)), float(math.ceil(height)), boxes, tuple(routes), tuple(columns)
    )


def _tspans(lines: Sequence[str], x: float, first_baseline: float) -> str:
    esc = html.escape
    return "".join(
        f'<tspan x="{_n(x)}" y="{_n(first_baseline + i * _LINE)}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )


def genealogy_svg(
    nodes: Sequence[GraphNode],
    edges: Iterable[tuple[str, str]],
    *,
    title: str = "Genealogy of the recall",
) -> str:
    """Draw a left-to-right layered picture of a genealogy (inputs left, shipments right).

    Suspect batches get a red border; each kind of node its own fill colour. Every id is
    drawn in full (folded onto several lines when long) and every edge runs between the
    boxes; see :func:`layout_genealogy`.

    Examples
    --------
    >>> svg = genealogy_svg([GraphNode("FLOUR-1", "raw_material"),
    ...                      GraphNode("BISC-1", "finished", suspect=True)],
    ...                     [("FLOUR-1", "BISC-1")])
    >>> svg.startswith("<svg") and "BISC-1" in svg
    True

    """
    layout = layout_genealogy(nodes, edges)
    esc = html.escape
    title_w = math.ceil(2 * _MARGIN + text_width(title, 13, bold=True))
    width, height = max(layout.width, title_w), layout.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="genealogy" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'font-family="sans-serif" font-size="{_FONT}">',
        f"<title>{esc(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
        f'<text x="{_MARGIN}" y="{_MARGIN + 8}" font-size="13" font-weight="bold">'
        f"{esc(title)}</text>",
    ]
    for route in layout.routes:
        parts.append(
            f'<path class="edge" data-source="{esc(route.source)}" '
            f'data-target="{esc(route.target)}" d="{route.path()}" fill="none" stroke="#555" '
            f'stroke-width="1.2" marker-end="url(#arrow)">'
            f"<title>{esc(route.source)} → {esc(route.target)}</title></path>"
        )
    for node in nodes:
        box = layout.boxes[node.id]
        stroke = _STROKE_SUSPECT if node.suspect else "#777"
        width_px = 2.5 if node.suspect else 1
        fill = _FILL.get(node.kind, "#f5f5f5")
        status = f" [{node.status}]" if node.status else ""
        tx = box.x + _PAD_X
        baseline = box.y + _PAD_Y + _ASCENT * _FONT
        label_baseline = baseline + len(box.id_lines) * _LINE
        parts.append(
            f'<g class="node" data-id="{esc(node.id)}" data-kind="{esc(node.kind)}">'
            f"<title>{esc(node.id)} ({esc(node.kind)}){esc(status)}</title>"
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
            f'height="{_n(box.height)}" rx="6" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{width_px}"/>'
            f'<text class="id" font-weight="bold">{_tspans(box.id_lines, tx, baseline)}</text>'
            f'<text class="label" fill="#444">'
            f"{_tspans(box.label_lines, tx, label_baseline)}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


# A label is drawn rotated by this angle (counter-clockwise) below its bar.
_TILT = math.radians(30)


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    cumulative: Sequence[float] | None = None,
    title: str = "",
    svg_id: str = "chart",
) -> str:
    """Draw a vertical bar chart, with an optional cumulative-percentage line (Pareto).

    Labels are drawn in full, tilted under their bars; the margins grow to hold the
    longest one and the width to hold the title. With ``cumulative`` (percentages, one per
    bar) the chart adds the cumulative line and a dashed marker at 80 %.

    Examples
    --------
    >>> "<rect" in bar_chart_svg(["crumbly", "foreign body"], [7, 3], title="Complaints")
    True

    """
    esc = html.escape
    bar_w, gap, plot_h, top, label_dy = 56, 18, 180, 36, 14
    cos, sin = math.cos(_TILT), math.sin(_TILT)
    ascent, descent = _ASCENT * _FONT, _DESCENT * _FONT
    widths = [text_width(label) for label in labels]
    # A label ends (text-anchor="end") under its bar's centre and rises to the left: its
    # far corner is w·cos left of that point and w·sin + descent·cos below the baseline.
    left = 40.0
    for i, w in enumerate(widths):
        reach = w * cos + ascent * sin + 6
        left = max(left, reach - (gap + i * (bar_w + gap) + bar_w / 2))
    left = math.ceil(left)
    drop = max((w * sin + descent * cos for w in widths), default=0.0)
    bottom = math.ceil(label_dy + drop + 8)
    n = len(values)
    plot_right = left + n * (bar_w + gap) + gap
    marks_w = text_width("100%") + 8
    title_w = text_width(title, 13, bold=True) + 16
    width = math.ceil(max(plot_right + 2 + marks_w, title_w))
    height = top + plot_h + bottom
    top_value = max(values, default=0) or 1
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{esc(svg_id)}" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="{_FONT}">',
        f"<title>{esc(title)}</title>",
        f'<text x="8" y="18" font-size="13" font-weight="bold">{esc(title)}</text>',
        f'<line x1="{left}" y1="{base}" x2="{plot_right}" y2="{base}" stroke="#333"/>',
    ]
    points: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + gap + i * (bar_w + gap)
        h = round(plot_h * value / top_value)
        y = base - h
        cx = x + bar_w / 2
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{h}" fill="#4a78b5">'
            f"<title>{esc(label)}: {_n(value)}</title></rect>"
            f'<text x="{_n(cx)}" y="{y - 4}" text-anchor="middle">{_n(value)}</text>'
            f'<text class="axis-label" x="{_n(cx)}" y="{base + label_dy}" text-anchor="end" '
            f'transform="rotate(-30 {_n(cx)} {base + label_dy})">{esc(label)}</text>'
        )
        if cumulative is not None:
            cy = base - plot_h * cumulative[i] / 100
            points.append(f"{_n(cx)},{cy:.1f}")
    if cumulative is not None and points:
        marker_y = top + plot_h * 0.2
        parts.append(
            f'<polyline class="cumulative" points="{" ".join(points)}" fill="none" '
            'stroke="#c62828" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{plot_right + 2}" y="{top + 4}" fill="#c62828">100%</text>'
            f'<line class="marker-80" x1="{left}" y1="{marker_y:.1f}" x2="{plot_right}" '
            f'y2="{marker_y:.1f}" stroke="#c62828" stroke-dasharray="4 3" stroke-width="0.8"/>'
            f'<text x="{plot_right + 2}" y="{marker_y + 4:.1f}" fill="#c62828">80%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
