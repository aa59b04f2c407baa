"""Genealogy pictures and edge lists: Mermaid and Graphviz DOT text, CSV in and out.

Everything returns text or writes to a file-like object the caller opened; nothing here
opens paths, so the domain core stays free of I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import networkx as nx

from qualityflow.errors import InteropError
from qualityflow.models import Quantity

__all__ = ["dot", "mermaid", "read_links_csv", "write_links_csv"]

CSV_HEADER = ("input_id", "output_id", "quantity", "unit")

_SHAPES_MERMAID = {
    "raw_material": ('[/"', '"/]'),
    "packaging": ('[/"', '"/]'),
    "intermediate": ('["', '"]'),
    "finished": ('[["', '"]]'),
    "shipment": ('>"', '"]'),
}
_SHAPES_DOT = {
    "raw_material": "invtrapezium",
    "packaging": "invtrapezium",
    "intermediate": "box",
    "finished": "box3d",
    "shipment": "cds",
}


def _label(data: dict[str, Any], node: str) -> str:
    detail = data.get("customer") if data["kind"] == "shipment" else data.get("product")
    return f"{node}\n{detail}" if detail else node


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def mermaid(graph: nx.DiGraph, nodes: Sequence[str], marked: set[str]) -> str:
    """Mermaid ``flowchart LR`` of ``nodes`` and the links among them.

    Node ids are replaced by ``n0``, ``n1``... (lot ids may hold characters Mermaid does
    not accept); the labels carry the real ids. ``marked`` ids are styled as suspects.
    """
    names = {node: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart LR"]
    for node, name in names.items():
        data = graph.nodes[node]
        left, right = _SHAPES_MERMAID.get(data["kind"], ('["', '"]'))
        lines.append(f"  {name}{left}{_mermaid_text(_label(data, node))}{right}")
    for node, name in names.items():
        for other, edge in graph.succ[node].items():
            if other in names:
                q = edge.get("quantity")
                arrow = f' -->|"{_mermaid_text(str(q))}"| ' if q is not None else " --> "
                lines.append(f"  {name}{arrow}{names[other]}")
    if marked:
        lines.append("  classDef suspect fill:#f96,stroke:#c30")
        lines.append("  class " + ",".join(names[m] for m in nodes if m in marked) + " suspect")
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(graph: nx.DiGraph, nodes: Sequence[str], marked: set[str]) -> str:
    """Graphviz DOT ``digraph`` of ``nodes`` and the links among them."""
    chosen = set(nodes)
    lines = ["digraph genealogy {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    for node in nodes:
        data = graph.nodes[node]
        attrs = [f"label={_dot_text(_label(data, node))}"]
        attrs.append(f"shape={_SHAPES_DOT.get(data['kind'], 'box')}")
        if node in marked:
            attrs.append('style=filled, fillcolor="#ff9966"')
        lines.append(f"  {_dot_text(node)} [{', '.join(attrs)}];")
    for node in nodes:
        for other, edge in graph.succ[node].items():
            if other in chosen:
                q = edge.get("quantity")
                label = f" [label={_dot_text(str(q))}]" if q is not None else ""
                lines.append(f"  {_dot_text(node)} -> {_dot_text(other)}{label};")
    lines.append("}")
    return "\n".join(lines)


def write_links_csv(
    links: Iterable[tuple[str, str, Quantity | None]], file: IO[str] | None = None
) -> str:
    """Write links as CSV with the header ``input_id,output_id,quantity,unit``.

    Unknown quantities leave the last two columns empty. Returns the text and, when
    ``file`` is given, writes it there too.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for u, v, q in links:
        writer.writerow((u, v, "", "") if q is None else (u, v, str(q.amount), q.unit))
    text = buffer.getvalue()
    if file is not None:
        file.write(text)
    return text


def read_links_csv(source: str | IO[str]) -> list[tuple[str, str, Quantity | None]]:
    """Read links from CSV text or an open text file (the format of :func:`write_links_csv`).

    The header row is required; ``quantity`` and ``unit`` may be missing or empty together.
    """
    name = getattr(source, "name", "<csv text>")
    text = source if isinstance(source, str) else source.read()
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    lacking = [f for f in ("input_id", "output_id") if f not in fields]
    if lacking:
        raise InteropError(
            f"{name}, line 1: the header must name input_id and output_id (and optionally "
            f"quantity, unit); {', '.join(lacking)} missing, got {fields}"
        )
    links: list[tuple[str, str, Quantity | None]] = []
    for row in reader:
        line = reader.line_num
        u = (row.get("input_id") or "").strip()
        v = (row.get("output_id") or "").strip()
        if not u or not v:
            raise InteropError(f"{name}, line {line}: input_id and output_id are both needed")
        amount = (row.get("quantity") or "").strip()
        unit = (row.get("unit") or "").strip()
        if not amount and not unit:
            links.append((u, v, None))
            continue
        if not amount or not unit:
            raise InteropError(
                f"{name}, line {line}: give both quantity and unit, or neither "
                f"(got quantity={amount!r}, unit={unit!r})"
            )
        try:
            value = Decimal(amount)
            q = Quantity(amount=value, unit=unit)
        except (InvalidOperation, ValueError) as exc:
            raise InteropError(
                f"{name}, line {line}: quantity {amount!r} {unit!r} is not a non-negative "
                f"number: {str(exc).splitlines()[0]}"
            ) from None
        links.append((u, v, q))
    return links
