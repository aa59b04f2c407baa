"""Recall documents: the recall plan, the public notice, the progress report and the summary.

Each is built from the :class:`~qualityflow.models.recall.Recall` alone (its scope,
consignees, legal clocks and history) and renders as Markdown or as one self-contained
HTML page, like the 8D report. The progress report (阶段性进展报告) shows recovered ÷
shipped per unit; the summary times each legal step against its clock.

Examples
--------
>>> import qualityflow as qf
>>> from qualityflow.demo import run_demo
>>> qms = qf.QualityFlow(load_entry_points=False, settings={})
>>> recall = qms.recalls.open(run_demo(qms).incident_id, grade="I", actor="Dana Ruiz",
...                           presets=["CN_FOOD_RECALL_2015"])
>>> print(progress_report(recall).to_markdown().splitlines()[0])
# Recall progress report (阶段性进展报告): RCL-INC-5

"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from qualityflow.lifecycle.recall import (
    RecallProgress,
    legal_dues,
    met_steps,
    recall_progress,
)
from qualityflow.lifecycle.timelimits import Deadline
from qualityflow.models import Quantity
from qualityflow.models.recall import Consignee, Recall
from qualityflow.reports._doc import (
    Block,
    Bullets,
    Paragraph,
    Table,
    blocks_to_html,
    blocks_to_markdown,
    fmt_duration,
    fmt_time,
)
from qualityflow.reports._html import page

__all__ = [
    "RECALL_DOCUMENTS",
    "RecallDocument",
    "RecallSection",
    "progress_report",
    "public_notice",
    "recall_document",
    "recall_plan",
    "recall_summary",
]

DocumentKind = Literal["plan", "notice", "progress", "summary"]

RECALL_DOCUMENTS: tuple[str, ...] = ("plan", "notice", "progress", "summary")
"""The recall documents :func:`recall_document` builds, by kind."""


@dataclass(frozen=True)
class RecallSection:
    """One section of a recall document: its title and content."""

    title: str
    blocks: tuple[Block, ...]

    def to_markdown(self) -> str:
        """Render the section with its ``##`` heading."""
        return f"## {self.title}\n\n{blocks_to_markdown(self.blocks)}"


@dataclass(frozen=True)
class RecallDocument:
    """A recall document (plan, notice, progress, summary) as Markdown or an HTML page."""

    kind: str
    title: str
    recall_id: str
    header: tuple[tuple[str, str], ...]
    sections: tuple[RecallSection, ...]

    def section(self, title: str) -> RecallSection:
        """Return the section whose title starts with ``title``."""
        for s in self.sections:
            if s.title.startswith(title):
                return s
        raise KeyError(
            f"no section {title!r}; sections: {', '.join(s.title for s in self.sections)}"
        )

    def to_markdown(self) -> str:
        """Render the document as Markdown."""
        parts = [f"# {self.title}"]
        if self.header:
            parts.append(blocks_to_markdown([Table.of(("field", "value"), self.header)]))
        parts.extend(s.to_markdown() for s in self.sections)
        return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        """Render the document as one self-contained HTML page (inline CSS, no scripts)."""
        esc = html.escape
        body = [f"<h1>{esc(self.title)}</h1>"]
        if self.header:
            body.append(blocks_to_html([Table.of(("field", "value"), self.header)]))
        for n, s in enumerate(self.sections, 1):
            body.append(f'<section id="s{n}"><h2>{esc(s.title)}</h2>')
            body.append(blocks_to_html(s.blocks))
            body.append("</section>")
        return page(self.title, "\n".join(body))


# --- pieces --------------------------------------------------------------------------------


def _qs(quantities: Iterable[Quantity]) -> str:
    return ", ".join(str(q) for q in quantities) or "none"


def _rate(value: object) -> str:
    from decimal import Decimal

    return f"{value:.1%}" if isinstance(value, Decimal) else "n/a"


def _header(recall: Recall) -> tuple[tuple[str, str], ...]:
    rows = [
        ("Recall", recall.id),
        ("Incident", recall.incident_id),
        ("Grade", recall.grade.value),
        ("Status", recall.status.value),
        ("Reason", recall.reason),
        ("Recall decided", fmt_time(recall.learned_at)),
        ("Opened", f"{fmt_time(recall.opened_at)} by {recall.opened_by}"),
    ]
    if recall.product:
        rows.insert(4, ("Product", recall.product))
    if recall.notice_at is not None:
        rows.append(("Notice issued", fmt_time(recall.notice_at)))
    return tuple(rows)


def _scope(recall: Recall) -> RecallSection:
    blocks: list[Block] = [
        Paragraph(f"Lots recalled: {', '.join(recall.batch_ids) or 'none'}."),
        Table.of(
            ("shipment", "lot", "consignee", "quantity", "region", "shipped"),
            [
                (s.shipment_id, s.batch_id, s.customer_id, s.quantity, s.region, s.shipped_at)
                for s in recall.shipments
            ],
        )
        if recall.shipments
        else Paragraph("No shipment of these lots left the plant."),
        Paragraph(
            f"Shipped: {_qs(recall.shipped().values())} to {len(recall.consignees)} "
            f"consignee(s); still in house: {_qs(recall.in_house)}; regions: "
            f"{', '.join(recall.regions) or 'none'}."
        ),
    ]
    return RecallSection("Scope", tuple(blocks))


def _local(recall: Recall, value: datetime) -> str:
    """Format ``value`` in the recall's time zone (UTC when it has none)."""
    if not recall.time_zone:
        return fmt_time(value)
    return value.astimezone(ZoneInfo(recall.time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def _deadline_rows(recall: Recall, now: datetime | None = None) -> list[tuple[object, ...]]:
    done = met_steps(recall)
    rows: list[tuple[object, ...]] = []
    for due in legal_dues(recall):
        met = done.get(due.step)
        took = margin = ""
        if met is not None:
            state = "met" if met <= due.due else f"met late by {fmt_duration(met - due.due)}"
            when = _local(recall, met)
            took = fmt_duration(met - recall.learned_at)
            margin = fmt_duration(due.due - met)
        elif now is not None and now > due.due:
            state, when = f"LATE by {fmt_duration(now - due.due)}", ""
        else:
            state, when = "open", ""
        basis = due.legal_basis + (" (configurable target)" if due.target else "")
        rows.append((due.step, _local(recall, due.due), state, when, took, margin, basis))
    return rows


def _deadlines(recall: Recall, now: datetime | None = None) -> RecallSection:
    rows = _deadline_rows(recall, now)
    if not recall.clocks:
        blocks: tuple[Block, ...] = (Paragraph("No legal preset was chosen for this recall."),)
    elif not rows:
        blocks = (Paragraph("No clock has started yet."),)
    else:
        blocks = (
            Table.of(
                (
                    "step",
                    "due",
                    "status",
                    "done",
                    "after the decision",
                    "time to spare",
                    "legal basis",
                ),
                rows,
            ),
        )
    pending = (
        [c.step for c in recall.clocks if c.start == "notice"] if recall.notice_at is None else []
    )
    if pending:
        blocks += (
            Paragraph(
                f"Counting from the notice once it is issued: {', '.join(dict.fromkeys(pending))}."
            ),
        )
    return RecallSection("Legal deadlines", blocks)


def _consignee_rows(consignees: Sequence[Consignee]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for c in consignees:
        recovered = {
            name: [q for r in c.returns if (q := getattr(r, name)) is not None]
            for name in ("returned", "destroyed", "corrected")
        }
        left = [q for q in c.still_at_customer() if q.amount > 0]
        still = f"unreachable: {c.unreachable.reason}" if c.unreachable is not None else _qs(left)
        check = "" if c.check is None else ("effective" if c.check.effective else "NOT effective")
        rows.append(
            (
                c.id,
                _qs(c.shipped),
                "" if c.notice is None else f"{c.notice.channel}, {fmt_time(c.notice.at)}",
                "" if c.confirmation is None else fmt_time(c.confirmation.at),
                _qs(_sum(recovered["returned"])),
                _qs(_sum(recovered["destroyed"])),
                _qs(_sum(recovered["corrected"])),
                still,
                check,
            )
        )
    return rows


def _sum(quantities: list[Quantity]) -> list[Quantity]:
    from qualityflow.models.recall import per_unit

    return list(per_unit(quantities).values())


_CONSIGNEE_HEADERS = (
    "consignee",
    "shipped",
    "notice",
    "confirmed",
    "returned",
    "destroyed",
    "corrected",
    "still at customer",
    "effectiveness check",
)


def _evidence(recall: Recall) -> RecallSection:
    items = [
        f"{c.id}, {fmt_time(r.at)}: {r.evidence}"
        for c in recall.consignees
        for r in c.returns
        if r.evidence
    ]
    return RecallSection(
        "Evidence", (Bullets(tuple(items)) if items else Paragraph("No evidence recorded yet."),)
    )


def _totals(progress: RecallProgress) -> Table:
    return Table.of(
        ("unit", "shipped", "recovered", "recovery rate (recovered ÷ shipped)", "outstanding"),
        [
            (
                unit,
                shipped,
                progress.recovered.get(unit, Quantity.zero(unit)),
                _rate(progress.recovery_rates.get(unit)),
                progress.outstanding[unit],
            )
            for unit, shipped in progress.shipped.items()
        ],
    )


# --- documents -----------------------------------------------------------------------------


def recall_plan(recall: Recall) -> RecallDocument:
    """Build the recall plan (召回计划) to report to the authority: scope, clocks, how it runs."""
    level = recall.effectiveness_level.value
    steps = Bullets(
        (
            "Stop selling and shipping the lots; seal what is in house.",
            f"Send the recall notice to each of the {len(recall.consignees)} consignee(s) "
            "and get their confirmation.",
            "Recover the product: returned, destroyed on site under witness, or corrected; "
            "record the quantities and the evidence for each consignee.",
            f"Check effectiveness at FDA 21 CFR 7.42 level {level}: "
            f"{recall.checks_required()} of {len(recall.consignees)} consignee(s)."
            + (
                f" Recovery target {recall.recovery_target:.0%}."
                if recall.recovery_target is not None
                else ""
            ),
            "Report progress to the authority and close with a summary.",
        )
    )
    consignees = Table.of(
        ("consignee", "shipments", "quantity", "regions"),
        [
            (c.id, ", ".join(c.shipment_ids), _qs(c.shipped), ", ".join(c.regions))
            for c in recall.consignees
        ],
    )
    return RecallDocument(
        "plan",
        f"Recall plan (召回计划): {recall.id}",
        recall.id,
        _header(recall),
        (
            _scope(recall),
            RecallSection("Consignees", (consignees,)),
            _deadlines(recall),
            RecallSection("How the recall runs", (steps,)),
        ),
    )


def public_notice(recall: Recall, *, company: str = "", contact: str = "") -> RecallDocument:
    """Build the public recall notice (召回公告): what, why, which lots, what to do."""
    who = company or "The manufacturer"
    product = recall.product or "the product"
    blocks: list[Block] = [
        Paragraph(
            f"{who} is recalling {product}, lot(s) {', '.join(recall.batch_ids)} "
            f"(grade {recall.grade.value} recall)."
        ),
        Paragraph(f"Reason: {recall.reason}"),
    ]
    if recall.public_notice:
        blocks.append(Paragraph(recall.public_notice))
    blocks.append(
        Bullets(
            (
                "Do not eat, use or sell the product from these lots.",
                "Return it to the place of purchase for a full refund, or keep it aside "
                "until it is collected.",
            )
        )
    )
    if recall.regions:
        blocks.append(Paragraph(f"Sold in: {', '.join(recall.regions)}."))
    if contact:
        blocks.append(Paragraph(f"Questions: {contact}."))
    return RecallDocument(
        "notice",
        f"Recall notice (召回公告): {product}",
        recall.id,
        (),
        (RecallSection("Notice", tuple(blocks)),),
    )


def progress_report(
    recall: Recall,
    progress: RecallProgress | None = None,
    *,
    now: datetime | None = None,
) -> RecallDocument:
    """Build the progress report (阶段性进展报告): recovered ÷ shipped, consignees."""
    progress = progress or recall_progress(recall)
    n = len(progress.consignees)
    status = Paragraph(
        f"Notified {len(progress.notified)} of {n} consignee(s), confirmed "
        f"{len(progress.confirmed)}, accounted for {len(progress.accounted)}; recovery rate "
        f"{_rate(progress.recovery_rate)}; effectiveness checks "
        f"{progress.checks_effective} of {progress.checks_required} required."
    )
    nxt: list[Block] = []
    if progress.next_deadline is not None:
        d: Deadline = progress.next_deadline
        nxt.append(
            Paragraph(f"Next legal deadline: {d.what} due {fmt_time(d.due)} ({d.legal_basis}).")
        )
    if progress.next_step is not None:
        if progress.missing:
            nxt.append(Paragraph(f"Before '{progress.next_step}':"))
            nxt.append(Bullets(tuple(progress.missing)))
        else:
            nxt.append(Paragraph(f"Ready for '{progress.next_step}'."))
    sections = [
        RecallSection("Recovery", (status, _totals(progress))),
        RecallSection(
            "Consignees", (Table.of(_CONSIGNEE_HEADERS, _consignee_rows(recall.consignees)),)
        ),
        _deadlines(recall, now),
    ]
    if nxt:
        sections.append(RecallSection("Next steps", tuple(nxt)))
    return RecallDocument(
        "progress",
        f"Recall progress report (阶段性进展报告): {recall.id}",
        recall.id,
        _header(recall),
        tuple(sections),
    )


def recall_summary(recall: Recall) -> RecallDocument:
    """Build the closing summary (召回总结报告): results, accounting, timeline vs clocks."""
    progress = recall_progress(recall)
    start = recall.learned_at
    timeline = Table.of(
        ("when", "after decision", "step", "state", "by", "note"),
        [
            (r.at, fmt_duration(r.at - start), r.trigger, f"{r.source} → {r.dest}", r.actor, r.note)
            for r in recall.history
        ],
    )
    summary: tuple[Block, ...] = (
        (Paragraph(recall.summary),)
        if recall.summary
        else (Paragraph("Not recorded yet: the summary."),)
    )
    return RecallDocument(
        "summary",
        f"Recall summary (召回总结报告): {recall.id}",
        recall.id,
        _header(recall),
        (
            RecallSection("Summary", summary),
            RecallSection("Recovery", (_totals(progress),)),
            RecallSection(
                "Consignees", (Table.of(_CONSIGNEE_HEADERS, _consignee_rows(recall.consignees)),)
            ),
            _evidence(recall),
            _deadlines(recall),
            RecallSection(
                "Timeline", (timeline,) if recall.history else (Paragraph("No step yet."),)
            ),
        ),
    )


def recall_document(
    recall: Recall,
    kind: str,
    *,
    progress: RecallProgress | None = None,
    now: datetime | None = None,
    company: str = "",
    contact: str = "",
) -> RecallDocument:
    """Build the recall document of ``kind``: ``plan``, ``notice``, ``progress`` or ``summary``."""
    if kind == "plan":
        return recall_plan(recall)
    if kind == "notice":
        return public_notice(recall, company=company, contact=contact)
    if kind == "progress":
        return progress_report(recall, progress, now=now)
    if kind == "summary":
        return recall_summary(recall)
    raise ValueError(f"unknown recall document {kind!r}: use one of {', '.join(RECALL_DOCUMENTS)}")
