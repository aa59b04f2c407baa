"""Inline SVG pictures drawn without any external library: genealogy and bar charts.

The pictures are plain SVG text with their styles inline, so an HTML report that embeds
them stays one self-contained file that opens offline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["GraphNode", "bar_chart_svg", "genealogy_svg"]

_FILL = {
    "raw_material": "#e8f1fb",
    "packaging": "#eef7ee",
    "intermediate": "#fff6e0",
    "finished": "#fde8e8",
    "shipment": "#f0ecf8",
}
_STROKE_SUSPECT = "#c62828"
_NODE_W = 150
_NODE_H = 44
_GAP_X = 60
_GAP_Y = 16
_MARGIN = 16


@dataclass(frozen=True)
class GraphNode:
    """One box of the genealogy picture."""

    id: str
    kind: str
    label: str = ""
    suspect: bool = False
    status: str = ""


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering: every node sits one layer right of its furthest input."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in edges:
        preds[dst].append(src)
    layer: dict[str, int] = {}

    def depth(node: str, seen: frozenset[str]) -> int:
        if node in layer:
            return layer[node]
        if node in seen:  # defensive: a cycle would recurse forever
            return 0
        value = max((depth(p, seen | {node}) + 1 for p in preds[node]), default=0)
        layer[node] = value
        return value

    for node in nodes:
        depth(node, frozenset())
    return layer


def genealogy_svg(
    nodes: Sequence[GraphNode],
    edges: Iterable[tuple[str, str]],
    *,
    title: str = "Genealogy of the recall",
) -> str:
    """Draw a left-to-right layered picture of a genealogy (inputs left, shipments right).

    Suspect batches get a red border; each kind of node its own fill colour.

    Examples
    --------
    >>> svg = genealogy_svg([GraphNode("FLOUR-1", "raw_material"),
    ...                      GraphNode("BISC-1", "finished", suspect=True)],
    ...                     [("FLOUR-1", "BISC-1")])
    >>> svg.startswith("<svg") and "BISC-1" in svg
    True

    """
    ids = [n.id for n in nodes]
    known = set(ids)
    edge_list = [(s, d) for s, d in edges if s in known and d in known]
    layer = _layers(ids, edge_list)
    columns: dict[int, list[str]] = {}
    for node_id in ids:
        columns.setdefault(layer[node_id], []).append(node_id)
    # Order each column by the mean position of its inputs, which keeps edges short.
    position: dict[str, float] = {}
    preds: dict[str, list[str]] = {n: [] for n in ids}
    for src, dst in edge_list:
        preds[dst].append(src)
    for col in sorted(columns):
        members = columns[col]
        members.sort(
            key=lambda n: (
                sum(position[p] for p in preds[n]) / len(preds[n]) if preds[n] else 0.0,
                n,
            )
        )
        for row, node_id in enumerate(members):
            position[node_id] = float(row)
    rows = max((len(m) for m in columns.values()), default=0)
    width = _MARGIN * 2 + len(columns) * _NODE_W + max(len(columns) - 1, 0) * _GAP_X
    height = _MARGIN * 2 + 24 + rows * _NODE_H + max(rows - 1, 0) * _GAP_Y
    xy: dict[str, tuple[int, int]] = {}
    for col, members in columns.items():
        x = _MARGIN + col * (_NODE_W + _GAP_X)
        offset = (rows - len(members)) * (_NODE_H + _GAP_Y) // 2
        for row, node_id in enumerate(members):
            xy[node_id] = (x, _MARGIN + 24 + offset + row * (_NODE_H + _GAP_Y))
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="genealogy" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{esc(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
        f'<text x="{_MARGIN}" y="{_MARGIN + 8}" font-size="13" font-weight="bold">'
        f"{esc(title)}</text>",
    ]
    for src, dst in edge_list:
        x1, y1 = xy[src]
        x2, y2 = xy[dst]
        sx, sy = x1 + _NODE_W, y1 + _NODE_H // 2
        ex, ey = x2, y2 + _NODE_H // 2
        mid = (sx + ex) // 2
        parts.append(
            f'<path class="edge" d="M {sx} {sy} C {mid} {sy}, {mid} {ey}, {ex} {ey}" '
            f'fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)">'
            f"<title>{esc(src)} → {esc(dst)}</title></path>"
        )
    for node in nodes:
        x, y = xy[node.id]
        stroke = _STROKE_SUSPECT if node.suspect else "#777"
        width_px = 2.5 if node.suspect else 1
        fill = _FILL.get(node.kind, "#f5f5f5")
        label = node.label or node.kind.replace("_", " ")
        if len(label) > 24:
            label = label[:23] + "…"
        status = f" [{node.status}]" if node.status else ""
        parts.append(
            f'<g class="node" data-id="{esc(node.id)}" data-kind="{esc(node.kind)}">'
            f"<title>{esc(node.id)} ({esc(node.kind)}){esc(status)}</title>"
            f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width_px}"/>'
            f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{esc(node.id[:24])}</text>'
            f'<text x="{x + 8}" y="{y + 34}" fill="#444">{esc(label)}{esc(status)}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    cumulative: Sequence[float] | None = None,
    title: str = "",
    svg_id: str = "chart",
) -> str:
    """Draw a vertical bar chart, with an optional cumulative-percentage line (Pareto).

    Examples
    --------
    >>> "<rect" in bar_chart_svg(["crumbly", "foreign body"], [7, 3], title="Complaints")
    True

    """
    esc = html.escape
    bar_w, gap, plot_h, left, top, bottom = 56, 18, 180, 40, 36, 70
    n = len(values)
    width = left + n * (bar_w + gap) + gap + 40
    height = top + plot_h + bottom
    top_value = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{esc(svg_id)}" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{esc(title)}</title>",
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{esc(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 30}" y2="{top + plot_h}" '
        'stroke="#333"/>',
    ]
    points: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + gap + i * (bar_w + gap)
        h = round(plot_h * value / top_value)
        y = top + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{bar_w}" height="{h}" fill="#4a78b5">'
            f"<title>{esc(label)}: {value:g}</title></rect>"
            f'<text x="{x + bar_w / 2}" y="{y - 4}" text-anchor="middle">{value:g}</text>'
            f'<text x="{x + bar_w / 2}" y="{top + plot_h + 14}" text-anchor="end" '
            f'transform="rotate(-30 {x + bar_w / 2} {top + plot_h + 14})">'
            f"{esc(label[:20])}</text>"
        )
        if cumulative is not None:
            cy = top + plot_h - plot_h * cumulative[i] / 100
            points.append(f"{x + bar_w / 2},{cy:.1f}")
    if cumulative is not None and points:
        parts.append(
            f'<polyline class="cumulative" points="{" ".join(points)}" fill="none" '
            'stroke="#c62828" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{width - 28}" y="{top + 4}" fill="#c62828">100%</text>'
            f'<line x1="{left}" y1="{top + plot_h * 0.2:.1f}" x2="{width - 30}" '
            f'y2="{top + plot_h * 0.2:.1f}" stroke="#c62828" stroke-dasharray="4 3" '
            'stroke-width="0.8"/>'
            f'<text x="{width - 28}" y="{top + plot_h * 0.2 + 4:.1f}" fill="#c62828">80%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
