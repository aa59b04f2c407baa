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

from qualityflow.i18n import N_, _, format_percent, label, using
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
    signed_note,
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
    """One section of a recall document: its title (in the document's locale) and content.

    ``key`` is the English title, for :meth:`RecallDocument.section` in any locale.
    """

    title: str
    blocks: tuple[Block, ...]
    key: str = ""

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
    locale: str = "en"

    def section(self, title: str) -> RecallSection:
        """Return the section whose title (or English title) starts with ``title``."""
        for s in self.sections:
            if s.title.startswith(title) or s.key.startswith(title):
                return s
        raise KeyError(
            f"no section {title!r}; sections: {', '.join(s.title for s in self.sections)}"
        )

    def to_markdown(self) -> str:
        """Render the document as Markdown (in the locale it was built in)."""
        with using(self.locale):
            parts = [f"# {self.title}"]
            if self.header:
                parts.append(blocks_to_markdown([Table.of((_("field"), _("value")), self.header)]))
            parts.extend(s.to_markdown() for s in self.sections)
            return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        """Render the document as one self-contained HTML page (inline CSS, no scripts)."""
        esc = html.escape
        with using(self.locale):
            body = [f"<h1>{esc(self.title)}</h1>"]
            if self.header:
                body.append(blocks_to_html([Table.of((_("field"), _("value")), self.header)]))
            for n, s in enumerate(self.sections, 1):
                body.append(f'<section id="s{n}"><h2>{esc(s.title)}</h2>')
                body.append(blocks_to_html(s.blocks))
                body.append("</section>")
            return page(self.title, "\n".join(body))


def _section(key: str, blocks: Sequence[Block]) -> RecallSection:
    """Return a section titled ``key`` (an English message id) in the active locale."""
    return RecallSection(_(key), tuple(blocks), key)


# --- pieces --------------------------------------------------------------------------------


def _qs(quantities: Iterable[Quantity]) -> str:
    return _(", ").join(str(q) for q in quantities) or _("none")


def _rate(value: object) -> str:
    from decimal import Decimal

    return f"{value:.1%}" if isinstance(value, Decimal) else _("n/a")


def _header(recall: Recall) -> tuple[tuple[str, str], ...]:
    rows = [
        (_("Recall"), recall.id),
        (_("Incident"), recall.incident_id),
        (_("Grade"), recall.grade.value),
        (_("Status"), label(recall.status, "recall")),
        (_("Reason"), recall.reason),
        (_("Recall decided"), fmt_time(recall.learned_at)),
        (
            _("Opened"),
            _("{at} by {who}").format(at=fmt_time(recall.opened_at), who=recall.opened_by),
        ),
    ]
    if recall.product:
        rows.insert(4, (_("Product"), recall.product))
    if recall.notice_at is not None:
        rows.append((_("Notice issued"), fmt_time(recall.notice_at)))
    return tuple(rows)


def _scope(recall: Recall) -> RecallSection:
    blocks: list[Block] = [
        Paragraph(
            _("Lots recalled: {ids}.").format(ids=_(", ").join(recall.batch_ids) or _("none"))
        ),
        Table.of(
            (_("shipment"), _("lot"), _("consignee"), _("quantity"), _("region"), _("shipped")),
            [
                (s.shipment_id, s.batch_id, s.customer_id, s.quantity, s.region, s.shipped_at)
                for s in recall.shipments
            ],
        )
        if recall.shipments
        else Paragraph(_("No shipment of these lots left the plant.")),
        Paragraph(
            _(
                "Shipped: {shipped} to {n} consignee(s); still in house: {in_house}; "
                "regions: {regions}."
            ).format(
                shipped=_qs(recall.shipped().values()),
                n=len(recall.consignees),
                in_house=_qs(recall.in_house),
                regions=_(", ").join(recall.regions) or _("none"),
            )
        ),
    ]
    return _section(N_("Scope"), blocks)


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
            state = (
                _("met")
                if met <= due.due
                else _("met late by {span}").format(span=fmt_duration(met - due.due))
            )
            when = _local(recall, met)
            took = fmt_duration(met - recall.learned_at)
            margin = fmt_duration(due.due - met)
        elif now is not None and now > due.due:
            state, when = _("LATE by {span}").format(span=fmt_duration(now - due.due)), ""
        else:
            state, when = label("open"), ""
        basis = due.legal_basis + (_(" (configurable target)") if due.target else "")
        rows.append((label(due.step), _local(recall, due.due), state, when, took, margin, basis))
    return rows


def _deadlines(recall: Recall, now: datetime | None = None) -> RecallSection:
    rows = _deadline_rows(recall, now)
    if not recall.clocks:
        blocks: tuple[Block, ...] = (Paragraph(_("No legal preset was chosen for this recall.")),)
    elif not rows:
        blocks = (Paragraph(_("No clock has started yet.")),)
    else:
        blocks = (
            Table.of(
                (
                    _("step"),
                    _("due"),
                    _("status"),
                    _("done"),
                    _("after the decision"),
                    _("time to spare"),
                    _("legal basis"),
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
                _("Counting from the notice once it is issued: {steps}.").format(
                    steps=_(", ").join(label(step) for step in dict.fromkeys(pending))
                )
            ),
        )
    return _section(N_("Legal deadlines"), blocks)


def _consignee_rows(consignees: Sequence[Consignee]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for c in consignees:
        recovered = {
            name: [q for r in c.returns if (q := getattr(r, name)) is not None]
            for name in ("returned", "destroyed", "corrected")
        }
        left = [q for q in c.still_at_customer() if q.amount > 0]
        still = (
            _("unreachable: {reason}").format(reason=c.unreachable.reason)
            if c.unreachable is not None
            else _qs(left)
        )
        check = (
            "" if c.check is None else (_("effective") if c.check.effective else _("NOT effective"))
        )
        rows.append(
            (
                c.id,
                _qs(c.shipped),
                ""
                if c.notice is None
                else _("{channel}, {at}").format(
                    channel=label(c.notice.channel), at=fmt_time(c.notice.at)
                ),
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
    N_("consignee"),
    N_("shipped"),
    N_("notice"),
    N_("confirmed"),
    N_("returned"),
    N_("destroyed"),
    N_("corrected"),
    N_("still at customer"),
    N_("effectiveness check"),
)


def _consignee_table(consignees: Sequence[Consignee]) -> Table:
    return Table.of(tuple(_(h) for h in _CONSIGNEE_HEADERS), _consignee_rows(consignees))


def _evidence(recall: Recall) -> RecallSection:
    items = [
        f"{c.id}, {fmt_time(r.at)}: {r.evidence}"
        for c in recall.consignees
        for r in c.returns
        if r.evidence
    ]
    return _section(
        N_("Evidence"),
        (Bullets(tuple(items)) if items else Paragraph(_("No evidence recorded yet.")),),
    )


def _totals(progress: RecallProgress) -> Table:
    return Table.of(
        (
            _("unit"),
            _("shipped"),
            _("recovered"),
            _("recovery rate (recovered ÷ shipped)"),
            _("outstanding"),
        ),
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


def recall_plan(recall: Recall, *, locale: str | None = None) -> RecallDocument:
    """Build the recall plan (召回计划) to report to the authority: scope, clocks, how it runs.

    ``locale`` (``"en"``, ``"zh_CN"``; ``None``: the active one) is the document's language.
    """
    with using(locale) as chosen:
        level = recall.effectiveness_level.value
        check = _(
            "Check effectiveness at FDA 21 CFR 7.42 level {level}: {checks} of {n} consignee(s)."
        ).format(level=level, checks=recall.checks_required(), n=len(recall.consignees))
        if recall.recovery_target is not None:
            check += " " + _("Recovery target {target}.").format(
                target=format_percent(float(recall.recovery_target))
            )
        steps = Bullets(
            (
                _("Stop selling and shipping the lots; seal what is in house."),
                _(
                    "Send the recall notice to each of the {n} consignee(s) and get their "
                    "confirmation."
                ).format(n=len(recall.consignees)),
                _(
                    "Recover the product: returned, destroyed on site under witness, or "
                    "corrected; record the quantities and the evidence for each consignee."
                ),
                check,
                _("Report progress to the authority and close with a summary."),
            )
        )
        consignees = Table.of(
            (_("consignee"), _("shipments"), _("quantity"), _("regions")),
            [
                (c.id, _(", ").join(c.shipment_ids), _qs(c.shipped), _(", ").join(c.regions))
                for c in recall.consignees
            ],
        )
        return RecallDocument(
            "plan",
            _("Recall plan (召回计划): {id}").format(id=recall.id),
            recall.id,
            _header(recall),
            (
                _scope(recall),
                _section(N_("Consignees"), (consignees,)),
                _deadlines(recall),
                _section(N_("How the recall runs"), (steps,)),
            ),
            chosen,
        )


def public_notice(
    recall: Recall, *, company: str = "", contact: str = "", locale: str | None = None
) -> RecallDocument:
    """Build the public recall notice (召回公告): what, why, which lots, what to do."""
    with using(locale) as chosen:
        who = company or _("The manufacturer")
        product = recall.product or _("the product")
        blocks: list[Block] = [
            Paragraph(
                _("{who} is recalling {product}, lot(s) {lots} (grade {grade} recall).").format(
                    who=who,
                    product=product,
                    lots=_(", ").join(recall.batch_ids),
                    grade=recall.grade.value,
                )
            ),
            Paragraph(_("Reason: {reason}").format(reason=recall.reason)),
        ]
        if recall.public_notice:
            blocks.append(Paragraph(recall.public_notice))
        blocks.append(
            Bullets(
                (
                    _("Do not eat, use or sell the product from these lots."),
                    _(
                        "Return it to the place of purchase for a full refund, or keep it "
                        "aside until it is collected."
                    ),
                )
            )
        )
        if recall.regions:
            blocks.append(
                Paragraph(_("Sold in: {regions}.").format(regions=_(", ").join(recall.regions)))
            )
        if contact:
            blocks.append(Paragraph(_("Questions: {contact}.").format(contact=contact)))
        return RecallDocument(
            "notice",
            _("Recall notice (召回公告): {product}").format(product=product),
            recall.id,
            (),
            (_section(N_("Notice"), blocks),),
            chosen,
        )


def progress_report(
    recall: Recall,
    progress: RecallProgress | None = None,
    *,
    now: datetime | None = None,
    locale: str | None = None,
) -> RecallDocument:
    """Build the progress report (阶段性进展报告): recovered ÷ shipped, consignees."""
    with using(locale) as chosen:
        progress = progress or recall_progress(recall)
        n = len(progress.consignees)
        status = Paragraph(
            _(
                "Notified {notified} of {n} consignee(s), confirmed {confirmed}, accounted "
                "for {accounted}; recovery rate {rate}; effectiveness checks {effective} of "
                "{required} required."
            ).format(
                notified=len(progress.notified),
                n=n,
                confirmed=len(progress.confirmed),
                accounted=len(progress.accounted),
                rate=_rate(progress.recovery_rate),
                effective=progress.checks_effective,
                required=progress.checks_required,
            )
        )
        nxt: list[Block] = []
        if progress.next_deadline is not None:
            d: Deadline = progress.next_deadline
            nxt.append(
                Paragraph(
                    _("Next legal deadline: {what} due {due} ({basis}).").format(
                        what=label(d.what), due=fmt_time(d.due), basis=d.legal_basis
                    )
                )
            )
        if progress.next_step is not None:
            if progress.missing:
                nxt.append(Paragraph(_("Before '{step}':").format(step=progress.next_step)))
                nxt.append(Bullets(tuple(progress.missing)))
            else:
                nxt.append(Paragraph(_("Ready for '{step}'.").format(step=progress.next_step)))
        sections = [
            _section(N_("Recovery"), (status, _totals(progress))),
            _section(N_("Consignees"), (_consignee_table(recall.consignees),)),
            _deadlines(recall, now),
        ]
        if nxt:
            sections.append(_section(N_("Next steps"), nxt))
        return RecallDocument(
            "progress",
            _("Recall progress report (阶段性进展报告): {id}").format(id=recall.id),
            recall.id,
            _header(recall),
            tuple(sections),
            chosen,
        )


def recall_summary(recall: Recall, *, locale: str | None = None) -> RecallDocument:
    """Build the closing summary (召回总结报告): results, accounting, timeline vs clocks."""
    with using(locale) as chosen:
        progress = recall_progress(recall)
        start = recall.learned_at
        timeline = Table.of(
            (_("when"), _("after decision"), _("step"), _("state"), _("by"), _("note")),
            [
                (
                    r.at,
                    fmt_duration(r.at - start),
                    label(r.trigger),
                    f"{label(r.source)} → {label(r.dest)}",
                    r.actor,
                    signed_note(r),
                )
                for r in recall.history
            ],
        )
        summary: tuple[Block, ...] = (
            (Paragraph(recall.summary),)
            if recall.summary
            else (Paragraph(_("Not recorded yet: {what}.").format(what=_("the summary"))),)
        )
        return RecallDocument(
            "summary",
            _("Recall summary (召回总结报告): {id}").format(id=recall.id),
            recall.id,
            _header(recall),
            (
                _section(N_("Summary"), summary),
                _section(N_("Recovery"), (_totals(progress),)),
                _section(N_("Consignees"), (_consignee_table(recall.consignees),)),
                _evidence(recall),
                _deadlines(recall),
                _section(
                    N_("Timeline"),
                    (timeline,) if recall.history else (Paragraph(_("No step yet.")),),
                ),
            ),
            chosen,
        )


def recall_document(
    recall: Recall,
    kind: str,
    *,
    progress: RecallProgress | None = None,
    now: datetime | None = None,
    company: str = "",
    contact: str = "",
    locale: str | None = None,
) -> RecallDocument:
    """Build the recall document of ``kind``: ``plan``, ``notice``, ``progress`` or ``summary``.

    ``locale`` (``"en"``, ``"zh_CN"``; ``None``: the active one) is the document's language.
    """
    if kind == "plan":
        return recall_plan(recall, locale=locale)
    if kind == "notice":
        return public_notice(recall, company=company, contact=contact, locale=locale)
    if kind == "progress":
        return progress_report(recall, progress, now=now, locale=locale)
    if kind == "summary":
        return recall_summary(recall, locale=locale)
    raise ValueError(f"unknown recall document {kind!r}: use one of {', '.join(RECALL_DOCUMENTS)}")
