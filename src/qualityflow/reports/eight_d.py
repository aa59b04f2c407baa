"""The 8D report of a quality incident, and the supplier 8D of a SCAR, D0-D8 from the data.

The eight disciplines (plus D0) are the standard structure customers and auditors expect
after a quality incident. Every section is filled from what the emergency team recorded on
the :class:`~qualityflow.Incident`; a section whose data is not recorded yet says so plainly
instead of inventing text. :func:`supplier_eight_d` gives the same structure for a supplier
corrective action request (:class:`~qualityflow.models.nonconformance.SupplierAction`): the
request in D0-D2, the supplier's answer in D3-D5 and D7, our verification in D6.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from qualityflow.i18n import N_, _, current_locale, label, using
from qualityflow.models import (
    ActionKind,
    ActionStatus,
    Batch,
    Complaint,
    Evidence,
    Incident,
    IncidentStatus,
    Quantity,
    Shipment,
    Supplier,
    TransitionRecord,
)
from qualityflow.models.nonconformance import Nonconformance, ScarStatus, SupplierAction
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
    signed_note,
)
from qualityflow.reports._html import page
from qualityflow.reports._svg import GraphNode, genealogy_svg

__all__ = [
    "DISCIPLINES",
    "THUMBNAIL_LIMIT",
    "AttachedEvidence",
    "Discipline",
    "EightDReport",
    "GenealogyLike",
    "RecallImpactLike",
    "SupplierEightDReport",
    "eight_d",
    "supplier_eight_d",
]

DISCIPLINES: tuple[tuple[str, str], ...] = (
    ("D0", N_("Emergency response")),
    ("D1", N_("Team")),
    ("D2", N_("Problem description")),
    ("D3", N_("Containment")),
    ("D4", N_("Root cause")),
    ("D5", N_("Chosen corrective actions")),
    ("D6", N_("Implementation and verification")),
    ("D7", N_("Prevention of recurrence")),
    ("D8", N_("Closure and recognition")),
)
"""The disciplines of an 8D report, in order: (code, English title, the message id).

``eight_d(incident, locale="zh_CN")`` titles them in Chinese (D0 准备/应急响应 ...
D8 小组祝贺/关闭).
"""

_TITLES = dict(DISCIPLINES)

_MAX_PICTURE_NODES = 80

THUMBNAIL_LIMIT = 2_000_000
"""The largest image (bytes) the HTML report embeds as a thumbnail; larger ones are listed."""

EvidenceReader = Callable[[Evidence], "bytes | None"]
"""What ``eight_d(evidence=...)`` takes: the bytes of a stored file, checked against its
hash, or ``None`` when it is missing or altered (``qms.evidence.read_verified``)."""


@dataclass(frozen=True)
class AttachedEvidence:
    """One evidence file of the appendix: the reference and where it is attached."""

    evidence: Evidence
    where: str


def _size(size: int) -> str:
    """``532 B``, ``12.4 kB``, ``3.1 MB`` (decimal units)."""
    if size < 1000:
        return _("{n} B").format(n=size)
    if size < 1_000_000:
        return _("{n} kB").format(n=f"{size / 1000:.1f}")
    return _("{n} MB").format(n=f"{size / 1_000_000:.1f}")


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

    ``recorded`` is False when the incident does not hold the data for it yet. The title
    and content are in the locale the report was built in.
    """

    code: str
    title: str
    blocks: tuple[Block, ...]
    recorded: bool = True

    def to_markdown(self) -> str:
        """Render the section as Markdown, with its ``## D4 Root cause`` heading."""
        return f"## {self.code} {self.title}\n\n{blocks_to_markdown(self.blocks)}"


def _discipline(code: str, blocks: Sequence[Block], recorded: bool = True) -> Discipline:
    return Discipline(code, _(_TITLES[code]), tuple(blocks), recorded)


class _Rendered:
    """The rendering an 8D report shares, whatever it is about (an incident, a SCAR).

    A subclass (a frozen dataclass) holds ``disciplines``, ``timeline``, ``locale``,
    ``audit_head`` and ``audit_at``, and says what the report is about: :meth:`_subject`
    (id and title), :meth:`_header_rows`, :meth:`_start` (the time the timeline counts
    from) and :meth:`_figure` (a picture under a section, HTML only).
    """

    disciplines: tuple[Discipline, ...]
    timeline: tuple[TransitionRecord, ...]
    locale: str
    audit_head: str
    audit_at: datetime | None
    evidence: tuple[AttachedEvidence, ...]
    thumbnails: Mapping[str, str]

    def _subject(self) -> tuple[str, str]:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def _subject_entity(self) -> object:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def _header_rows(self) -> list[tuple[str, str]]:  # pragma: no cover - likewise
        raise NotImplementedError

    def _start(self) -> datetime:  # pragma: no cover - likewise
        raise NotImplementedError

    def _figure(self, code: str) -> str:
        return ""

    def _evidence_table(self) -> Table:
        return Table.of(
            (
                _("file"),
                _("media type"),
                _("size"),
                _("SHA-256"),
                _("by"),
                _("when"),
                _("attached to"),
            ),
            [
                (
                    a.evidence.filename or _("(no name)"),
                    a.evidence.media_type,
                    _size(a.evidence.size),
                    a.evidence.sha256,
                    a.evidence.by or _("unknown"),
                    a.evidence.captured_at,
                    a.where,
                )
                for a in self.evidence
            ],
        )

    def _evidence_html(self) -> str:
        esc = html.escape
        title = esc(_("Appendix: evidence"))
        parts = [f'<section id="evidence"><h2>{title}</h2>']
        parts.append(blocks_to_html([self._evidence_table()]))
        figures = []
        for a in self.evidence:
            if not a.evidence.media_type.startswith("image/"):
                continue
            name = a.evidence.filename or a.evidence.sha256[:12]
            uri = self.thumbnails.get(a.evidence.sha256)
            if uri is None:
                missing = _(
                    "{file}: the image is not shown (not read, too large, missing or altered)"
                )
                figures.append(f'<p class="missing">{esc(missing.format(file=name))}</p>')
                continue
            caption = esc(f"{name} ({a.where})")
            figures.append(
                f'<figure class="thumb"><img src="{esc(uri)}" alt="{esc(name)}" '
                f'loading="lazy"><figcaption>{caption}</figcaption></figure>'
            )
        if figures:
            parts.append('<div class="thumbnails">' + "".join(figures) + "</div>")
        parts.append("</section>")
        return "".join(parts)

    def _footer(self) -> str:
        if not self.audit_head:
            return ""
        when = (
            _(" (as of {time})").format(time=fmt_time(self.audit_at))
            if self.audit_at is not None
            else ""
        )
        return _("Audit head: {head}").format(head=self.audit_head) + when

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

    def _timeline_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        start = self._start()
        of = self._subject_entity()
        return [
            (
                fmt_time(r.at),
                fmt_duration(r.at - start),
                label(r.trigger),
                f"{label(r.source, of)} → {label(r.dest, of)}",
                r.actor,
                signed_note(r),
            )
            for r in self.timeline
        ]

    def to_markdown(self) -> str:
        """Render the whole report as Markdown (header, timeline, D0-D8)."""
        with using(self.locale):
            return self._markdown()

    def _markdown(self) -> str:
        id, title = self._subject()
        parts = [_("# 8D report: {id} {title}").format(id=id, title=title)]
        parts.append(blocks_to_markdown([Table.of((_("field"), _("value")), self._header_rows())]))
        parts.append(_("## Timeline"))
        if self.timeline:
            parts.append(
                blocks_to_markdown(
                    [
                        Table.of(
                            (
                                _("when"),
                                _("after report"),
                                _("trigger"),
                                _("state"),
                                _("by"),
                                _("note"),
                            ),
                            self._timeline_rows(),
                        )
                    ]
                )
            )
        else:
            parts.append(_("No lifecycle step recorded yet."))
        parts.extend(d.to_markdown() for d in self.disciplines)
        if self.evidence:
            parts.append(_("## Appendix: evidence"))
            parts.append(blocks_to_markdown([self._evidence_table()]))
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
        with using(self.locale):
            return self._html()

    def _html(self) -> str:
        esc = html.escape
        id, title = self._subject()
        heading = _("8D report: {id} {title}").format(id=id, title=title)
        body = [f"<h1>{esc(heading)}</h1>"]
        body.append(blocks_to_html([Table.of((_("field"), _("value")), self._header_rows())]))
        timeline = esc(_("Timeline"))
        body.append(f'<section id="timeline-section"><h2>{timeline}</h2>')
        if self.timeline:
            items = []
            for when, elapsed, trigger, move, actor, note in self._timeline_rows():
                note_html = f" <q>{esc(note)}</q>" if note else ""
                items.append(
                    f'<li><span class="when">{esc(when)}</span> '
                    f'<span class="elapsed">(+{esc(elapsed)})</span> '
                    f"<strong>{esc(trigger)}</strong>: "
                    + esc(_("{move}, by {actor}").format(move=move, actor=actor))
                    + f"{note_html}</li>"
                )
            body.append('<ol id="timeline" class="timeline">' + "".join(items) + "</ol>")
        else:
            nothing = esc(_("No lifecycle step recorded yet."))
            body.append(f'<p class="missing">{nothing}</p>')
        body.append("</section>")
        for d in self.disciplines:
            body.append(f'<section id="{d.code.lower()}"><h2>{d.code} {esc(d.title)}</h2>')
            body.append(blocks_to_html(d.blocks))
            figure = self._figure(d.code)
            if figure:
                body.append(figure)
            body.append("</section>")
        if self.evidence:
            body.append(self._evidence_html())
        footer = self._footer()
        if footer:
            body.append(f'<footer id="audit-head"><p>{esc(footer)}</p></footer>')
        return page(_("8D report {id}").format(id=id), "\n".join(body))


@dataclass(frozen=True)
class EightDReport(_Rendered):
    """The 8D report of one incident, renderable as Markdown or a self-contained HTML page.

    Build it with :func:`eight_d`. ``picture`` holds the nodes and edges of the recall
    picture (at most 80 nodes, suspects first); ``picture_omitted`` how many were left out.
    ``locale`` is the language it was built in; the renderings use it too.
    ``audit_head`` is the audit ledger's head when the report was made (``audit_at``),
    printed in the footer so that the printed or mailed report keeps it outside the
    database (``qualityflow audit verify --known-head ...`` checks it later).
    """

    incident: Incident
    disciplines: tuple[Discipline, ...]
    timeline: tuple[TransitionRecord, ...]
    picture: tuple[tuple[GraphNode, ...], tuple[tuple[str, str], ...]] = field(default=((), ()))
    picture_omitted: int = 0
    locale: str = "en"
    audit_head: str = ""
    audit_at: datetime | None = None
    evidence: tuple[AttachedEvidence, ...] = ()
    thumbnails: Mapping[str, str] = field(default_factory=dict)
    """``data:`` URIs of the image evidence, by SHA-256 (filled when ``eight_d`` is given
    a reader); an image without one is listed but not shown."""

    def _subject(self) -> tuple[str, str]:
        return self.incident.id, self.incident.title

    def _subject_entity(self) -> object:
        return self.incident

    def _start(self) -> datetime:
        return self.incident.reported_at

    def _header_rows(self) -> list[tuple[str, str]]:
        inc = self.incident
        rows = [
            (_("Incident"), inc.id),
            (_("Title"), inc.title),
            (_("Severity"), label(inc.severity)),
            (_("Status"), label(inc.status)),
            (
                _("Reported"),
                _("{at} by {who}").format(
                    at=fmt_time(inc.reported_at), who=inc.reported_by or _("unknown")
                ),
            ),
        ]
        if inc.product:
            rows.append((_("Product"), inc.product))
        return rows

    def _figure(self, code: str) -> str:
        nodes, edges = self.picture
        if code != "D3" or not nodes:
            return ""
        title = _("Genealogy of the recall ({id})").format(id=self.incident.id)
        caption = _(
            "Inputs on the left, shipments on the right; suspect batches have a red border."
        )
        if self.picture_omitted:
            caption += " " + _(
                "{n} more lots and shipments are not drawn; D3 lists them all."
            ).format(n=self.picture_omitted)
        return (
            "<figure>"
            + genealogy_svg(nodes, edges, title=title)
            + f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )


def _not_recorded(what: str) -> Paragraph:
    return Paragraph(_("Not recorded yet: {what}.").format(what=what))


def _quantities(value: object) -> str:
    if isinstance(value, Quantity):
        return str(value)
    if isinstance(value, Mapping):
        return ", ".join(str(q) for q in value.values()) or _("none")
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ", ".join(str(q) for q in value) or _("none")
    return str(value)


def _first(history: Sequence[TransitionRecord], trigger: str) -> TransitionRecord | None:
    return next((r for r in history if r.trigger == trigger), None)


def _last(history: Sequence[TransitionRecord], trigger: str) -> TransitionRecord | None:
    return next((r for r in reversed(history) if r.trigger == trigger), None)


def _ids(ids: Iterable[str]) -> str:
    return _(", ").join(ids)


def _d0(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    facts = [
        _("Reported {at} by {who}.").format(
            at=fmt_time(inc.reported_at), who=inc.reported_by or _("unknown")
        )
    ]
    if inc.detected_at is not None:
        facts.append(
            _("Detected {at}; reported {after} after detection.").format(
                at=fmt_time(inc.detected_at), after=fmt_duration(inc.reported_at - inc.detected_at)
            )
        )
    facts.append(_("Severity at report: {severity}.").format(severity=label(inc.severity)))
    if inc.batch_ids:
        facts.append(_("Suspect batches named at report: {ids}.").format(ids=_ids(inc.batch_ids)))
    blocks.append(Paragraph(_join(facts)))
    first_steps = sorted(inc.containment, key=lambda c: c.at)
    if first_steps:
        first = first_steps[0]
        blocks.append(
            Paragraph(
                _(
                    "First emergency containment: {action} of {batch} by {who} at {at} "
                    "({after} after the report)."
                ).format(
                    action=label(first.action),
                    batch=first.batch_id,
                    who=first.by,
                    at=fmt_time(first.at),
                    after=fmt_duration(first.at - inc.reported_at),
                )
            )
        )
    assess = _first(inc.history, "assess")
    if assess is not None:
        blocks.append(
            Paragraph(
                _("Emergency team assessed the incident {after} after the report ({who}).").format(
                    after=fmt_duration(assess.at - inc.reported_at), who=assess.actor
                )
            )
        )
    recorded = bool(first_steps) or assess is not None
    if not recorded:
        blocks.append(_not_recorded(_("no emergency containment or assessment")))
    return _discipline("D0", blocks, recorded)


def _join(sentences: Sequence[str]) -> str:
    """Join sentences: with a space in English, without one in Chinese (full-width stops)."""
    return ("" if current_locale() == "zh_CN" else " ").join(sentences)


def _d1(inc: Incident) -> Discipline:
    if inc.team is None:
        return _discipline("D1", (_not_recorded(_("no emergency team named")),), False)
    team = inc.team
    rows = [
        (
            team.leader.name,
            _("{role} (leader)").format(role=team.leader.role),
            team.leader.department,
        )
    ]
    rows += [(m.name, m.role, m.department) for m in team.members]
    return _discipline(
        "D1",
        (
            Paragraph(
                _(
                    "Cross-functional emergency team led by {leader}; departments: {departments}."
                ).format(leader=team.leader.name, departments=_ids(sorted(team.departments)))
            ),
            Table.of((_("name"), _("role"), _("department")), rows),
        ),
    )


def _d2(inc: Incident, complaints: Sequence[Complaint]) -> Discipline:
    blocks: list[Block] = []
    text = inc.description or inc.title
    blocks.append(Paragraph(_("What: {text}").format(text=text)))
    if inc.product:
        blocks.append(Paragraph(_("Product: {product}.").format(product=inc.product)))
    if complaints:
        blocks.append(
            Table.of(
                (
                    _("complaint"),
                    _("received"),
                    _("channel"),
                    _("customer"),
                    _("what the customer said"),
                ),
                [
                    (c.id, c.received_at, c.channel, c.customer_id, c.description)
                    for c in complaints
                ],
            )
        )
    a = inc.assessment
    if a is None:
        blocks.append(_not_recorded(_("no impact assessment (nature, severity, scope)")))
        return _discipline("D2", blocks, False)
    rows: list[tuple[str, str]] = [
        (_("Severity"), label(a.severity)),
        (_("Batches in scope"), _ids(a.batch_ids) or _("none")),
        (_("Regions"), _ids(a.regions) or _("none")),
        (_("Risk"), a.risk or _("not stated")),
        (_("Recall required"), _("yes") if a.recall_required else _("no")),
        (_("Rationale"), a.rationale or _("not stated")),
    ]
    blocks.append(Table.of((_("assessment"), ""), rows))
    return _discipline("D2", blocks)


def _d3(inc: Incident, impact: RecallImpactLike | None) -> Discipline:
    blocks: list[Block] = []
    if inc.containment:
        blocks.append(
            Table.of(
                (_("batch"), _("action"), _("by"), _("at"), _("note")),
                [(c.batch_id, c.action, c.by, c.at, c.note) for c in inc.containment],
            )
        )
    r = inc.recall
    if r is not None:
        text = (
            _("Recall decided by {who} at {at}: {reason} Batches: {batches}")
            if r.decided_by
            else _("Recall decided at {at}: {reason} Batches: {batches}")
        ).format(
            who=r.decided_by,
            at=fmt_time(r.initiated_at),
            reason=r.reason,
            batches=_ids(r.batch_ids),
        )
        if r.customer_ids:
            text += _(". Customers: {customers}").format(customers=_ids(r.customer_ids))
        blocks.append(Paragraph(text + _(".")))
    if impact is not None:
        batches = list(impact.batches)
        shipments = list(impact.shipments)
        rows: list[tuple[str, str]] = [
            (_("Batches affected"), _ids(b.id for b in batches) or _("none")),
            (_("Shipments"), str(len(shipments))),
            (_("Customers"), _ids(sorted(impact.customer_ids)) or _("none")),
            (_("Regions"), _ids(sorted(impact.regions)) or _("none")),
        ]
        for attr, text_id in (("shipped", N_("Shipped")), ("in_house", N_("Still in house"))):
            if hasattr(impact, attr):
                rows.append((_(text_id), _quantities(getattr(impact, attr))))
        blocks.append(Table.of((_("recall impact"), ""), rows))
    recorded = bool(inc.containment)
    if not recorded:
        blocks.insert(0, _not_recorded(_("no containment action")))
    return _discipline("D3", blocks, recorded)


def _d4(inc: Incident) -> Discipline:
    rca = inc.root_cause
    if rca is None:
        return _discipline("D4", (_not_recorded(_("no root-cause analysis")),), False)
    method = rca.method.value.replace("_", "-") if current_locale() == "en" else label(rca.method)
    blocks: list[Block] = [
        Paragraph(
            _("Problem analysed: {problem} Method: {method}.").format(
                problem=rca.problem, method=method
            )
        )
    ]
    if rca.whys:
        blocks.append(Paragraph(_("5-Why:")))
        blocks.append(Numbered(tuple(rca.whys)))
    if rca.fishbone:
        blocks.append(Paragraph(_("Fishbone (six Ms):")))
        blocks.append(
            Table.of(
                (_("category"), _("causes considered")),
                [(label(m), _("; ").join(causes)) for m, causes in rca.fishbone.items() if causes],
            )
        )
    text = (
        _("Root cause ({category}, confirmed): {root_cause}")
        if rca.confirmed
        else _("Root cause ({category}, NOT yet confirmed): {root_cause}")
    )
    blocks.append(Paragraph(text.format(category=label(rca.category), root_cause=rca.root_cause)))
    return _discipline("D4", blocks, rca.confirmed)


def _actions_table(actions: Iterable[Any]) -> Table:
    return Table.of(
        (
            _("id"),
            _("action"),
            _("owner"),
            _("department"),
            _("due"),
            _("status"),
            _("done"),
        ),
        [(a.id, a.description, a.owner, a.department, a.due, a.status, a.done_at) for a in actions],
    )


def _d5(inc: Incident) -> Discipline:
    corrective = [a for a in inc.actions if a.kind is ActionKind.CORRECTIVE]
    if not corrective:
        return _discipline("D5", (_not_recorded(_("no corrective action")),), False)
    rca = inc.root_cause
    intro = (
        _("Actions chosen against the root cause: {root_cause}").format(root_cause=rca.root_cause)
        if rca is not None
        else _("Actions chosen:")
    )
    return _discipline("D5", (Paragraph(intro), _actions_table(corrective)))


def _d6(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    if inc.actions:
        done = [a for a in inc.actions if a.status is ActionStatus.DONE]
        blocks.append(
            Paragraph(
                _("{done} of {total} actions implemented.").format(
                    done=len(done), total=len(inc.actions)
                )
            )
        )
        blocks.append(
            Table.of(
                (_("id"), _("implemented"), _("owner")),
                [
                    (a.id, fmt_time(a.done_at) if a.done_at else label("open"), a.owner)
                    for a in inc.actions
                ],
            )
        )
    v = inc.verification
    if v is None:
        blocks.append(_not_recorded(_("no verification of effectiveness")))
        return _discipline("D6", blocks, False)
    text = (
        _("Verified effective by {who} at {at}: {evidence}")
        if v.effective
        else _("Verified NOT effective by {who} at {at}: {evidence}")
    )
    blocks.append(Paragraph(text.format(who=v.verified_by, at=fmt_time(v.at), evidence=v.evidence)))
    return _discipline("D6", blocks)


def _d7(inc: Incident) -> Discipline:
    blocks: list[Block] = []
    preventive = [a for a in inc.actions if a.kind is ActionKind.PREVENTIVE]
    if preventive:
        blocks.append(Paragraph(_("Preventive actions (learn from one case, fix similar ones):")))
        blocks.append(_actions_table(preventive))
    if inc.lessons:
        blocks.append(Paragraph(_("Lessons learned:")))
        blocks.append(Bullets(tuple(inc.lessons)))
    recorded = bool(preventive or inc.lessons)
    if not recorded:
        blocks.append(_not_recorded(_("no preventive action or lesson learned")))
    return _discipline("D7", blocks, recorded)


def _d8(inc: Incident) -> Discipline:
    close = _last(inc.history, "close")
    if inc.status is not IncidentStatus.CLOSED or close is None:
        return _discipline(
            "D8",
            (
                _not_recorded(
                    _("the incident is {status}, not closed").format(status=label(inc.status))
                ),
            ),
            False,
        )
    text = _("Closed {at} by {who}, {after} after the report.").format(
        at=fmt_time(close.at), who=close.actor, after=fmt_duration(close.at - inc.reported_at)
    )
    blocks: list[Block] = [Paragraph(_join([text, close.note]) if close.note else text)]
    if inc.team is not None:
        names = [inc.team.leader.name, *(m.name for m in inc.team.members)]
        blocks.append(
            Paragraph(_("The team is recognised for its work: {names}.").format(names=_ids(names)))
        )
    return _discipline("D8", blocks)


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
            nodes.append(
                GraphNode(node_id, "shipment", _("to {customer}").format(customer=s.customer_id))
            )
        elif node_id in batches:
            b = batches[node_id]
            nodes.append(
                GraphNode(node_id, b.kind.value, b.product, node_id in suspects, label(b.status))
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
    locale: str | None = None,
    audit_head: str = "",
    audit_at: datetime | None = None,
    evidence: EvidenceReader | None = None,
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
    locale
        The language of the report (``"en"``, ``"zh_CN"``...; ``None``: the active one,
        see :func:`qualityflow.i18n.using`). Chinese gives the standard Chinese discipline
        names (D0 准备/应急响应 ... D8 小组祝贺/关闭) and Chinese dates; ids, names and the
        recorded texts stay as recorded.
    audit_head, audit_at
        The audit ledger's head (``qms.audit.head()``) and when it was read; printed in
        the report's footer ("Audit head: ...") so the report publishes it.
    evidence
        Reads a stored evidence file for the HTML thumbnails: its bytes, checked against
        the hash, or ``None`` (``qms.evidence.read_verified``). The appendix lists every
        file attached to the incident's parts and the linked complaints' contacts either
        way; without a reader the images are listed, not shown.

    Examples
    --------
    >>> import qualityflow as qf
    >>> inc = qf.Incident(id="INC-1", title="Crumbly biscuits", severity="minor")
    >>> report = qf.eight_d(inc)
    >>> report.missing
    ['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7', 'D8']
    >>> report.to_markdown().startswith("# 8D report: INC-1 Crumbly biscuits")
    True
    >>> print(qf.eight_d(inc, locale="zh_CN").to_markdown().splitlines()[0])
    # 8D 报告：INC-1 Crumbly biscuits

    """
    with using(locale) as chosen:
        report = _build(incident, impact, genealogy, complaints, chosen)
    thumbnails: dict[str, str] = {}
    if evidence is not None:
        for item in report.evidence:
            ev = item.evidence
            if not ev.media_type.startswith("image/") or ev.size > THUMBNAIL_LIMIT:
                continue
            if ev.sha256 in thumbnails:
                continue
            data = evidence(ev)
            if data is not None:
                encoded = base64.b64encode(data).decode("ascii")
                thumbnails[ev.sha256] = f"data:{ev.media_type};base64,{encoded}"
    return dataclasses.replace(
        report, audit_head=audit_head, audit_at=audit_at, thumbnails=thumbnails
    )


def _attached(inc: Incident, complaints: Sequence[Complaint]) -> tuple[AttachedEvidence, ...]:
    """Every file attached to the incident's parts and the complaints' contacts, in D order."""
    found: list[AttachedEvidence] = []

    def add(items: Iterable[Evidence], where: str) -> None:
        found.extend(AttachedEvidence(ev, where) for ev in items)

    for c in complaints:
        for n, contact in enumerate(c.contacts, 1):
            add(
                contact.attachments,
                _("D2 complaint {id}, contact {n}").format(id=c.id, n=n),
            )
    for action in inc.containment:
        add(
            action.attachments,
            _("D3 containment of {batch} ({action})").format(
                batch=action.batch_id, action=label(action.action)
            ),
        )
    if inc.root_cause is not None:
        add(inc.root_cause.attachments, _("D4 root-cause analysis"))
    if inc.verification is not None:
        add(inc.verification.attachments, _("D6 verification"))
    return tuple(found)


def _build(
    incident: Incident,
    impact: RecallImpactLike | None,
    genealogy: GenealogyLike | None,
    complaints: Iterable[Complaint],
    locale: str,
) -> EightDReport:
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
        locale=locale,
        evidence=_attached(incident, linked),
    )


# -- the supplier 8D of a SCAR ------------------------------------------------------------


@dataclass(frozen=True)
class SupplierEightDReport(_Rendered):
    """The supplier 8D report of one SCAR, renderable as Markdown or a self-contained HTML page.

    Build it with :func:`supplier_eight_d`. D0-D2 come from the request (what was asked,
    of whom, about which nonconformances, incident and lots), D3-D5 and D7 from the
    supplier's response, D6 from our verification and D8 from the closing step; a
    section whose data is not recorded yet says so, like the incident's 8D.
    """

    scar: SupplierAction
    disciplines: tuple[Discipline, ...]
    timeline: tuple[TransitionRecord, ...]
    locale: str = "en"
    audit_head: str = ""
    audit_at: datetime | None = None
    evidence: tuple[AttachedEvidence, ...] = ()
    thumbnails: Mapping[str, str] = field(default_factory=dict)

    def _subject(self) -> tuple[str, str]:
        return self.scar.id, self.scar.description or self.scar.supplier_id

    def _subject_entity(self) -> object:
        return self.scar

    def _start(self) -> datetime:
        return self.scar.requested_at

    def _header_rows(self) -> list[tuple[str, str]]:
        scar = self.scar
        return [
            (_("SCAR"), scar.id),
            (_("Supplier"), scar.supplier_id),
            (_("Severity"), label(scar.severity)),
            (_("Status"), label(scar.status, scar)),
            (
                _("Requested"),
                _("{at} by {who}").format(
                    at=fmt_time(scar.requested_at), who=scar.requested_by or _("unknown")
                ),
            ),
            (_("Response due"), scar.due.isoformat()),
        ]


def _s0(scar: SupplierAction) -> Discipline:
    facts = [
        _("SCAR issued {at} by {who} to supplier {supplier}; response due {due}.").format(
            at=fmt_time(scar.requested_at),
            who=scar.requested_by or _("unknown"),
            supplier=scar.supplier_id,
            due=scar.due.isoformat(),
        )
    ]
    ack = _first(scar.history, "acknowledge")
    if ack is not None:
        facts.append(
            _("Acknowledged by {who} {after} after the request.").format(
                who=ack.actor, after=fmt_duration(ack.at - scar.requested_at)
            )
        )
    return _discipline("D0", (Paragraph(_join(facts)),))


def _s1(scar: SupplierAction, supplier: Supplier | None) -> Discipline:
    name = supplier.name if supplier is not None else scar.supplier_id
    rows = [(scar.requested_by or _("unknown"), _("requested the corrective action"))]
    response = scar.response
    if response is not None:
        rows.append((response.responded_by, _("answered for {supplier}").format(supplier=name)))
    if scar.verification is not None:
        rows.append((scar.verification.verified_by, _("verified the corrective action")))
    return _discipline(
        "D1",
        (
            Paragraph(_("Supplier: {name} ({id}).").format(name=name, id=scar.supplier_id)),
            Table.of((_("name"), _("part")), rows),
        ),
    )


def _s2(
    scar: SupplierAction, nonconformances: Sequence[Nonconformance], incident: Incident | None
) -> Discipline:
    blocks: list[Block] = []
    if scar.description:
        blocks.append(Paragraph(scar.description))
    if nonconformances:
        blocks.append(
            Table.of(
                (_("nonconformance"), _("lot"), _("quantity"), _("characteristic"), _("defect")),
                [
                    (n.id, n.batch_id, n.quantity, n.characteristic, n.defect)
                    for n in nonconformances
                ],
            )
        )
    else:
        if scar.nonconformance_ids:
            blocks.append(
                Paragraph(_("Nonconformances: {ids}.").format(ids=_ids(scar.nonconformance_ids)))
            )
    if scar.incident_id:
        if incident is not None and incident.root_cause is not None:
            text = _("Incident {id} ({title}); its root cause: {cause}.").format(
                id=incident.id, title=incident.title, cause=incident.root_cause.root_cause
            )
        else:
            text = _("Incident {id}.").format(id=scar.incident_id)
        blocks.append(Paragraph(text))
    if scar.batch_ids:
        blocks.append(
            Paragraph(_("The supplier's lots concerned: {ids}.").format(ids=_ids(scar.batch_ids)))
        )
    recorded = bool(blocks)
    if not recorded:
        blocks.append(_not_recorded(_("no problem description")))
    return _discipline("D2", blocks, recorded)


def _answered(code: str, text: str | None, what: str) -> Discipline:
    if text:
        return _discipline(code, (Paragraph(text),))
    return _discipline(code, (_not_recorded(what),), False)


def _s6(scar: SupplierAction) -> Discipline:
    blocks: list[Block] = []
    response = scar.response
    if response is not None and response.evidence:
        blocks.append(
            Paragraph(_("The supplier's evidence: {evidence}.").format(evidence=response.evidence))
        )
    verification = scar.verification
    if verification is None:
        blocks.append(_not_recorded(_("no verification of the supplier's corrective action")))
        return _discipline("D6", blocks, False)
    verdict = _("effective") if verification.effective else _("not effective")
    blocks.append(
        Paragraph(
            _("Verified {at} by {who}: {verdict}; {evidence}.").format(
                at=fmt_time(verification.at),
                who=verification.verified_by,
                verdict=verdict,
                evidence=verification.evidence,
            )
        )
    )
    rejected = [r for r in scar.history if r.trigger == "reject"]
    if rejected:
        blocks.append(Paragraph(_("Responses sent back before:")))
        blocks.append(Bullets(tuple(f"{fmt_time(r.at)} {r.actor}: {r.note}" for r in rejected)))
    return _discipline("D6", blocks)


def _s8(scar: SupplierAction) -> Discipline:
    close = _last(scar.history, "close")
    if scar.status is not ScarStatus.CLOSED or close is None:
        return _discipline(
            "D8",
            (
                _not_recorded(
                    _("the SCAR is {status}, not closed").format(status=label(scar.status, scar))
                ),
            ),
            False,
        )
    text = _("Closed {at} by {who}, {after} after the request.").format(
        at=fmt_time(close.at), who=close.actor, after=fmt_duration(close.at - scar.requested_at)
    )
    return _discipline("D8", (Paragraph(_join([text, close.note]) if close.note else text),))


def supplier_eight_d(
    scar: SupplierAction,
    *,
    nonconformances: Iterable[Nonconformance] = (),
    incident: Incident | None = None,
    supplier: Supplier | None = None,
    locale: str | None = None,
    audit_head: str = "",
    audit_at: datetime | None = None,
) -> SupplierEightDReport:
    """Build the supplier 8D report of ``scar``, D0-D8 mapped from the SCAR's records.

    ``nonconformances`` (those the SCAR names are described in D2), ``incident`` (its
    ``incident_id``) and ``supplier`` (for its name) add detail; ``locale``,
    ``audit_head`` and ``audit_at`` are as for :func:`eight_d`.

    Examples
    --------
    >>> from datetime import date
    >>> from qualityflow.models.nonconformance import SupplierAction
    >>> scar = SupplierAction(id="SCAR-1", supplier_id="SUP-MILL", nonconformance_ids=["NC-1"],
    ...                       due=date(2026, 3, 16), description="wet flour")
    >>> report = supplier_eight_d(scar)
    >>> report.missing
    ['D3', 'D4', 'D5', 'D6', 'D7', 'D8']
    >>> report.to_markdown().splitlines()[0]
    '# 8D report: SCAR-1 wet flour'
    >>> print(supplier_eight_d(scar, locale="zh_CN").discipline("D4").title)
    根本原因分析

    """
    with using(locale) as chosen:
        named = [n for n in nonconformances if n.id in scar.nonconformance_ids]
        response = scar.response
        disciplines = (
            _s0(scar),
            _s1(scar, supplier),
            _s2(scar, named, incident if incident and incident.id == scar.incident_id else None),
            _answered(
                "D3",
                response.containment if response else None,
                _("no containment from the supplier"),
            ),
            _answered(
                "D4",
                response.root_cause if response else None,
                _("no root cause from the supplier"),
            ),
            _answered(
                "D5",
                response.corrective_action if response else None,
                _("no corrective action from the supplier"),
            ),
            _s6(scar),
            _answered(
                "D7",
                response.preventive_action if response else None,
                _("no preventive action from the supplier"),
            ),
            _s8(scar),
        )
    return SupplierEightDReport(
        scar=scar,
        disciplines=disciplines,
        timeline=tuple(scar.history),
        locale=chosen,
        audit_head=audit_head,
        audit_at=audit_at,
    )
