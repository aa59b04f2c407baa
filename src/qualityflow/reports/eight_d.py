"""The 8D report of a quality incident: D0-D8 mapped from the incident's own data.

The eight disciplines (plus D0) are the standard structure customers and auditors expect
after a quality incident. Every section is filled from what the emergency team recorded on
the :class:`~qualityflow.Incident`; a section whose data is not recorded yet says so plainly
instead of inventing text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from qualityflow.models import (
    ActionKind,
    ActionStatus,
    Batch,
    Complaint,
    Incident,
    IncidentStatus,
    Quantity,
    Shipment,
    TransitionRecord,
)
from qualityflow.reports._doc import (
    Block,
    Bullets,
    Numbered,
    Paragraph,
    Table,
    blocks_to_html,
    blocks_to_markdown,
    fmt_duration,
    fmt_time,
)
from qualityflow.reports._html import page
from qualityflow.reports._svg import GraphNode, genealogy_svg

__all__ = [
    "DISCIPLINES",
    "Discipline",
    "EightDReport",
    "GenealogyLike",
    "RecallImpactLike",
    "eight_d",
]

DISCIPLINES: tuple[tuple[str, str], ...] = (
    ("D0", "Emergency response"),
    ("D1", "Team"),
    ("D2", "Problem description"),
    ("D3", "Containment"),
    ("D4", "Root cause"),
    ("D5", "Chosen corrective actions"),
    ("D6", "Implementation and verification"),
    ("D7", "Prevention of recurrence"),
    ("D8", "Closure and recognition"),
)
"""The disciplines of an 8D report, in order: (code, title)."""

_MAX_PICTURE_NODES = 80


class RecallImpactLike(Protocol):
    """What the 8D report reads from a recall impact (``qf.RecallImpact``)."""

    @property
    def batches(self) -> Iterable[Batch]:
        """Affected batches, the suspects included."""

    @property
    def shipments(self) -> Iterable[Shipment]:
        """Affected shipments."""

    @property
    def customer_ids(self) -> Iterable[str]:
        """Customers who received affected product."""

    @property
    def regions(self) -> Iterable[str]:
        """Regions affected product was shipped to."""


class _TraceLike(Protocol):
    @property
    def ids(self) -> Iterable[str]: ...


class GenealogyLike(Protocol):
    """What the 8D report reads from a genealogy (``qf.Genealogy``)."""

    def trace_forward(self, *ids: str) -> _TraceLike:
        """Everything downstream of ``ids``."""

    def trace_backward(self, *ids: str) -> _TraceLike:
        """Everything upstream of ``ids``."""

    @property
    def graph(self) -> Any:
        """A read-only view of the networkx DiGraph."""


@dataclass(frozen=True)
class Discipline:
    """One section of the 8D report: its code (``"D4"``), title and content.

    ``recorded`` is False when the incident does not hold the data for it yet.
    """

    code: str
    title: str
    blocks: tuple[Block, ...]
    recorded: bool = True

    def to_markdown(self) -> str:
        """Render the section as Markdown, with its ``## D4 Root cause`` heading."""
        return f"## {self.code} {self.title}\n\n{blocks_to_markdown(self.blocks)}"


@dataclass(frozen=True)
class EightDReport:
    """The 8D report of one incident, renderable as Markdown or a self-contained HTML page.

    Build it with :func:`eight_d`. ``picture`` holds the nodes and edges of the recall
    picture (at most 80 nodes, suspects first); ``picture_omitted`` how many were left out.
    ``audit_head`` is the audit ledger's head when the report was made (``audit_at``),
    printed in the footer so that the printed or mailed report keeps it outside the
    database (``qualityflow audit verify --known-head ...`` checks it later).
    """

    incident: Incident
    disciplines: tuple[Discipline, ...]
    timeline: tuple[TransitionRecord, ...]
    picture: tuple[tuple[GraphNode, ...], tuple[tuple[str, str], ...]] = field(default=((), ()))
    picture_omitted: int = 0
    audit_head: str = ""
    audit_at: datetime | None = None

    def _footer(self) -> str:
        if not self.audit_head:
            return ""
        when = f" (as of {fmt_time(self.audit_at)})" if self.audit_at is not None else ""
        return f"Audit head: {self.audit_head}{when}"

    def discipline(self, code: str) -> Discipline:
        """Return the section with ``code`` (``"D0"`` .. ``"D8"``)."""
        for d in self.disciplines:
            if d.code == code.upper():
                return d
        raise KeyError(f"no discipline {code!r}; use one of D0..D8")

    @property
    def missing(self) -> list[str]:
        """Codes of the disciplines whose data is not recorded yet."""
        return [d.code for d in self.disciplines if not d.recorded]

    def _header_rows(self) -> list[tuple[str, str]]:
        inc = self.incident
        rows = [
            ("Incident", inc.id),
            ("Title", inc.title),
            ("Severity", inc.severity.value),
            ("Status", inc.status.value),
            ("Reported", f"{fmt_time(inc.reported_at)} by {inc.reported_by or 'unknown'}"),
        ]
        if inc.product:
            rows.append(("Product", inc.product))
        return rows

    def _timeline_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        start = self.incident.reported_at
        return [
            (
                fmt_time(r.at),
                fmt_duration(r.at - start),
                r.trigger,
                f"{r.source} → {r.dest}",
                r.actor,
                r.note,
            )
            for r in self.timeline
        ]

    def to_markdown(self) -> str:
        """Render the whole report as Markdown (header, timeline, D0-D8)."""
        inc = self.incident
        parts = [f"# 8D report: {inc.id} {inc.title}"]
        parts.append(blocks_to_markdown([Table.of(("field", "value"), self._header_rows())]))
        parts.append("## Timeline")
        if self.timeline:
            parts.append(
                blocks_to_markdown(
                    [
                        Table.of(
                            ("when", "after report", "trigger", "state", "by", "note"),
                            self._timeline_rows(),
                        )
                    ]
                )
            )
        else:
            parts.append("No lifecycle step recorded yet.")
        parts.extend(d.to_markdown() for d in self.disciplines)
        footer = self._footer()
        if footer:
            parts.append(f"---\n\n{footer}")
        return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        """Render the whole report as one self-contained HTML page (inline CSS and SVG, no scripts).

        The page holds the lifecycle timeline (``<ol id="timeline">``) and, when the report
        was built with a genealogy or a recall impact, the genealogy picture of the recall
        (``<svg id="genealogy">``).
        """
        esc = html.escape
        inc = self.incident
        body = [f"<h1>8D report: {esc(inc.id)} {esc(inc.title)}</h1>"]
        body.append(blocks_to_html([Table.of(("field", "value"), self._header_rows())]))
        body.append('<section id="timeline-section"><h2>Timeline</h2>')
        if self.timeline:
            items = []
            for when, elapsed, trigger, move, actor, note in self._timeline_rows():
                note_html = f" <q>{esc(note)}</q>" if note else ""
                items.append(
                    f'<li><span class="when">{esc(when)}</span> '
                    f'<span class="elapsed">(+{esc(elapsed)})</span> '
                    f"<strong>{esc(trigger)}</strong>: {esc(move)}, by {esc(actor)}"
                    f"{note_html}</li>"
                )
            body.append('<ol id="timeline" class="timeline">' + "".join(items) + "</ol>")
        else:
            body.append('<p class="missing">No lifecycle step recorded yet.</p>')
        body.append("</section>")
        nodes, edges = self.picture
        for d in self.disciplines:
            body.append(f'<section id="{d.code.lower()}"><h2>{d.code} {esc(d.title)}</h2>')
            body.append(blocks_to_html(d.blocks))
            if d.code == "D3" and nodes:
                body.append(
                    "<figure>"
                    + genealogy_svg(nodes, edges, title=f"Genealogy of the recall ({inc.id})")
                    + "<figcaption>Inputs on the left, shipments on the right; suspect "
                    "batches have a red border."
                    + (
                        f" {self.picture_omitted} more lots and shipments are not drawn; "
                        "D3 lists them all."
                        if self.picture_omitted
                        else ""
                    )
                    + "</figcaption></figure>"
                )
            body.append("</section>")
        footer = self._footer()
        if footer:
            body.append(f'<footer id="audit-head"><p>{esc(footer)}</p></footer>')
        return page(f"8D report {inc.id}", "\n".join(body))


def _not_recorded(what: str) -> Paragraph:
    return Paragraph(f"Not recorded yet: {what}.")


def _quantities(value: object) -> str:
    if isinstance(value, Quantity):
        return str(value)
    if isinstance(value, Mapping):
        return ", ".join(str(q) for q in value.values()) or "none"
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ", ".join(str(q) for q in value) or "none"
    return str(value)


def _first(history: Sequence[TransitionRecord], trigger: str) -> TransitionRecord | None:
    return next((r for r in history if r.trigger == trigger), None)


def _last(history: Sequence[TransitionRecord], trigger: str) -> TransitionRecord | None:
    return next((r for r in reversed(history) if r.trigger == trigger), None)


def _d0(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    facts = [f"Reported {fmt_time(inc.reported_at)} by {inc.reported_by or 'unknown'}."]
    if inc.detected_at is not None:
        facts.append(
            f"Detected {fmt_time(inc.detected_at)}; reported "
            f"{fmt_duration(inc.reported_at - inc.detected_at)} after detection."
        )
    facts.append(f"Severity at report: {inc.severity.value}.")
    if inc.batch_ids:
        facts.append("Suspect batches named at report: " + ", ".join(inc.batch_ids) + ".")
    blocks.append(Paragraph(" ".join(facts)))
    first_steps = sorted(inc.containment, key=lambda c: c.at)
    if first_steps:
        first = first_steps[0]
        blocks.append(
            Paragraph(
                f"First emergency containment: {first.action.value} of {first.batch_id} by "
                f"{first.by} at {fmt_time(first.at)} "
                f"({fmt_duration(first.at - inc.reported_at)} after the report)."
            )
        )
    assess = _first(inc.history, "assess")
    if assess is not None:
        blocks.append(
            Paragraph(
                f"Emergency team assessed the incident {fmt_duration(assess.at - inc.reported_at)}"
                f" after the report ({assess.actor})."
            )
        )
    recorded = bool(first_steps) or assess is not None
    if not recorded:
        blocks.append(_not_recorded("no emergency containment or assessment"))
    return Discipline("D0", "Emergency response", tuple(blocks), recorded)


def _d1(inc: Incident) -> Discipline:
    if inc.team is None:
        return Discipline("D1", "Team", (_not_recorded("no emergency team named"),), False)
    team = inc.team
    rows = [(team.leader.name, f"{team.leader.role} (leader)", team.leader.department)]
    rows += [(m.name, m.role, m.department) for m in team.members]
    return Discipline(
        "D1",
        "Team",
        (
            Paragraph(
                f"Cross-functional emergency team led by {team.leader.name}; departments: "
                + ", ".join(sorted(team.departments))
                + "."
            ),
            Table.of(("name", "role", "department"), rows),
        ),
    )


def _d2(inc: Incident, complaints: Sequence[Complaint]) -> Discipline:
    blocks: list[Block] = []
    text = inc.description or inc.title
    blocks.append(Paragraph(f"What: {text}"))
    if inc.product:
        blocks.append(Paragraph(f"Product: {inc.product}."))
    if complaints:
        blocks.append(
            Table.of(
                ("complaint", "received", "channel", "customer", "what the customer said"),
                [
                    (c.id, c.received_at, c.channel, c.customer_id, c.description)
                    for c in complaints
                ],
            )
        )
    a = inc.assessment
    if a is None:
        blocks.append(_not_recorded("no impact assessment (nature, severity, scope)"))
        return Discipline("D2", "Problem description", tuple(blocks), False)
    rows: list[tuple[str, str]] = [
        ("Severity", a.severity.value),
        ("Batches in scope", ", ".join(a.batch_ids) or "none"),
        ("Regions", ", ".join(a.regions) or "none"),
        ("Risk", a.risk or "not stated"),
        ("Recall required", "yes" if a.recall_required else "no"),
        ("Rationale", a.rationale or "not stated"),
    ]
    blocks.append(Table.of(("assessment", ""), rows))
    return Discipline("D2", "Problem description", tuple(blocks))


def _d3(inc: Incident, impact: RecallImpactLike | None) -> Discipline:
    blocks: list[Block] = []
    if inc.containment:
        blocks.append(
            Table.of(
                ("batch", "action", "by", "at", "note"),
                [(c.batch_id, c.action, c.by, c.at, c.note) for c in inc.containment],
            )
        )
    r = inc.recall
    if r is not None:
        who = f" by {r.decided_by}" if r.decided_by else ""
        blocks.append(
            Paragraph(
                f"Recall decided{who} at {fmt_time(r.initiated_at)}: {r.reason} Batches: "
                + ", ".join(r.batch_ids)
                + (". Customers: " + ", ".join(r.customer_ids) if r.customer_ids else "")
                + "."
            )
        )
    if impact is not None:
        batches = list(impact.batches)
        shipments = list(impact.shipments)
        rows: list[tuple[str, str]] = [
            ("Batches affected", ", ".join(b.id for b in batches) or "none"),
            ("Shipments", str(len(shipments))),
            ("Customers", ", ".join(sorted(impact.customer_ids)) or "none"),
            ("Regions", ", ".join(sorted(impact.regions)) or "none"),
        ]
        for attr, label in (("shipped", "Shipped"), ("in_house", "Still in house")):
            if hasattr(impact, attr):
                rows.append((label, _quantities(getattr(impact, attr))))
        blocks.append(Table.of(("recall impact", ""), rows))
    recorded = bool(inc.containment)
    if not recorded:
        blocks.insert(0, _not_recorded("no containment action"))
    return Discipline("D3", "Containment", tuple(blocks), recorded)


def _d4(inc: Incident) -> Discipline:
    rca = inc.root_cause
    if rca is None:
        return Discipline("D4", "Root cause", (_not_recorded("no root-cause analysis"),), False)
    blocks: list[Block] = [
        Paragraph(f"Problem analysed: {rca.problem} Method: {rca.method.value.replace('_', '-')}.")
    ]
    if rca.whys:
        blocks.append(Paragraph("5-Why:"))
        blocks.append(Numbered(tuple(rca.whys)))
    if rca.fishbone:
        blocks.append(Paragraph("Fishbone (six Ms):"))
        blocks.append(
            Table.of(
                ("category", "causes considered"),
                [(m.value, "; ".join(causes)) for m, causes in rca.fishbone.items() if causes],
            )
        )
    state = "confirmed" if rca.confirmed else "NOT yet confirmed"
    blocks.append(Paragraph(f"Root cause ({rca.category.value}, {state}): {rca.root_cause}"))
    return Discipline("D4", "Root cause", tuple(blocks), rca.confirmed)


def _actions_table(actions: Iterable[Any]) -> Table:
    return Table.of(
        ("id", "action", "owner", "department", "due", "status", "done"),
        [(a.id, a.description, a.owner, a.department, a.due, a.status, a.done_at) for a in actions],
    )


def _d5(inc: Incident) -> Discipline:
    corrective = [a for a in inc.actions if a.kind is ActionKind.CORRECTIVE]
    if not corrective:
        return Discipline(
            "D5", "Chosen corrective actions", (_not_recorded("no corrective action"),), False
        )
    rca = inc.root_cause
    intro = (
        f"Actions chosen against the root cause: {rca.root_cause}"
        if rca is not None
        else "Actions chosen:"
    )
    return Discipline(
        "D5", "Chosen corrective actions", (Paragraph(intro), _actions_table(corrective))
    )


def _d6(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    if inc.actions:
        done = [a for a in inc.actions if a.status is ActionStatus.DONE]
        blocks.append(Paragraph(f"{len(done)} of {len(inc.actions)} actions implemented."))
        blocks.append(
            Table.of(
                ("id", "implemented", "owner"),
                [
                    (a.id, fmt_time(a.done_at) if a.done_at else "open", a.owner)
                    for a in inc.actions
                ],
            )
        )
    v = inc.verification
    if v is None:
        blocks.append(_not_recorded("no verification of effectiveness"))
        return Discipline("D6", "Implementation and verification", tuple(blocks), False)
    verdict = "effective" if v.effective else "NOT effective"
    blocks.append(
        Paragraph(f"Verified {verdict} by {v.verified_by} at {fmt_time(v.at)}: {v.evidence}")
    )
    return Discipline("D6", "Implementation and verification", tuple(blocks))


def _d7(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    preventive = [a for a in inc.actions if a.kind is ActionKind.PREVENTIVE]
    if preventive:
        blocks.append(Paragraph("Preventive actions (learn from one case, fix similar ones):"))
        blocks.append(_actions_table(preventive))
    if inc.lessons:
        blocks.append(Paragraph("Lessons learned:"))
        blocks.append(Bullets(tuple(inc.lessons)))
    recorded = bool(preventive or inc.lessons)
    if not recorded:
        blocks.append(_not_recorded("no preventive action or lesson learned"))
    return Discipline("D7", "Prevention of recurrence", tuple(blocks), recorded)


def _d8(inc: Incident) -> Discipline:
    close = _last(inc.history, "close")
    if inc.status is not IncidentStatus.CLOSED or close is None:
        return Discipline(
            "D8",
            "Closure and recognition",
            (_not_recorded(f"the incident is {inc.status.value}, not closed"),),
            False,
        )
    blocks: list[Block] = [
        Paragraph(
            f"Closed {fmt_time(close.at)} by {close.actor}, "
            f"{fmt_duration(close.at - inc.reported_at)} after the report."
            + (f" {close.note}" if close.note else "")
        )
    ]
    if inc.team is not None:
        names = [inc.team.leader.name, *(m.name for m in inc.team.members)]
        blocks.append(Paragraph("The team is recognised for its work: " + ", ".join(names) + "."))
    return Discipline("D8", "Closure and recognition", tuple(blocks))


def _picture(
    inc: Incident, impact: RecallImpactLike | None, genealogy: GenealogyLike | None
) -> tuple[tuple[GraphNode, ...], tuple[tuple[str, str], ...], int]:
    """Return the nodes and edges to draw (suspects first), and how many were left out."""
    suspects: dict[str, None] = {}
    for wanted_ids in (
        inc.batch_ids,
        inc.assessment.batch_ids if inc.assessment else [],
        inc.recall.batch_ids if inc.recall else [],
    ):
        suspects.update(dict.fromkeys(wanted_ids))
    batches: dict[str, Batch] = {}
    shipments: dict[str, Shipment] = {}
    if impact is not None:
        batches = {b.id: b for b in impact.batches}
        shipments = {s.id: s for s in impact.shipments}
    order: dict[str, None] = dict(suspects)
    graph = genealogy.graph if genealogy is not None else None
    if genealogy is not None and graph is not None:
        present = [s for s in suspects if s in graph]
        if present:
            order.update(dict.fromkeys(sorted(genealogy.trace_backward(*present).ids)))
            order.update(dict.fromkeys(sorted(genealogy.trace_forward(*present).ids)))
    order.update(dict.fromkeys(batches))
    order.update(dict.fromkeys(shipments))
    ids = list(order)[:_MAX_PICTURE_NODES]
    omitted = len(order) - len(ids)
    wanted = set(ids)
    if graph is not None:
        edges = [(s, d) for s, d in graph.subgraph(wanted).edges()]
        for node_id in ids:
            data = graph.nodes[node_id] if node_id in graph else {}
            for value in data.values():
                if isinstance(value, Batch):
                    batches.setdefault(node_id, value)
                elif isinstance(value, Shipment):
                    shipments.setdefault(node_id, value)
    else:
        edges = [(s.batch_id, s.id) for s in shipments.values() if s.batch_id in wanted]
    nodes = []
    for node_id in ids:
        if node_id in shipments:
            s = shipments[node_id]
            nodes.append(GraphNode(node_id, "shipment", f"to {s.customer_id}"))
        elif node_id in batches:
            b = batches[node_id]
            nodes.append(
                GraphNode(node_id, b.kind.value, b.product, node_id in suspects, b.status.value)
            )
        else:
            nodes.append(GraphNode(node_id, "lot", "", node_id in suspects))
    return tuple(nodes), tuple(edges), omitted


def eight_d(
    incident: Incident,
    *,
    impact: RecallImpactLike | None = None,
    genealogy: GenealogyLike | None = None,
    complaints: Iterable[Complaint] = (),
    audit_head: str = "",
    audit_at: datetime | None = None,
) -> EightDReport:
    """Build the 8D report of ``incident``, D0-D8 mapped from its recorded data.

    Parameters
    ----------
    incident
        The incident; its ``history`` gives the timeline.
    impact
        The recall impact (``qms.recall_impact(...)`` or ``genealogy.recall_impact(...)``),
        shown in D3 and drawn in the HTML picture.
    genealogy
        The plant's genealogy; the HTML picture then shows the suspects' inputs too.
    complaints
        Complaints; those linked to the incident (by ``incident_id`` or the incident's
        ``complaint_ids``) are quoted in D2.
    audit_head, audit_at
        The audit ledger's head (``qms.audit.head()``) and when it was read; printed in
        the report's footer ("Audit head: ...") so the report publishes it.

    Examples
    --------
    >>> import qualityflow as qf
    >>> inc = qf.Incident(id="INC-1", title="Crumbly biscuits", severity="minor")
    >>> report = qf.eight_d(inc)
    >>> report.missing
    ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7', 'D8']
    >>> report.to_markdown().startswith("# 8D report: INC-1 Crumbly biscuits")
    True

    """
    linked = [
        c for c in complaints if c.incident_id == incident.id or c.id in incident.complaint_ids
    ]
    disciplines = (
        _d0(incident),
        _d1(incident),
        _d2(incident, linked),
        _d3(incident, impact),
        _d4(incident),
        _d5(incident),
        _d6(incident),
        _d7(incident),
        _d8(incident),
    )
    nodes, edges, omitted = _picture(incident, impact, genealogy)
    return EightDReport(
        incident=incident,
        disciplines=disciplines,
        timeline=tuple(incident.history),
        picture=(nodes, edges),
        picture_omitted=omitted,
        audit_head=audit_head,
        audit_at=audit_at,
    )
