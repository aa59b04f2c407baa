"""The supplier scorecard: every supplier's evaluation for a period, side by side.

The scores come from :func:`qualityflow.score_supplier` (incoming-inspection pass rate,
incidents and complaints traced back to the supplier's lots, deliveries on time); the
report ranks suppliers by weighted total and shows the status the supplier policy
recommends next to the current one, so the approved-supplier list can be reviewed at a
glance. A human still decides (``qms.suppliers.decide``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from qualityflow.i18n import N_, _, format_decimal, label, using
from qualityflow.models import (
    Batch,
    Complaint,
    Incident,
    Inspection,
    Supplier,
    SupplierEvaluation,
    SupplierStatus,
)
from qualityflow.models.nonconformance import Nonconformance
from qualityflow.prevention import (
    DefaultSupplierPolicy,
    SupplierPolicy,
    TracesBackward,
    score_supplier,
)
from qualityflow.reports._doc import Table, blocks_to_html, blocks_to_markdown, signed_note
from qualityflow.reports._html import page
from qualityflow.reports._svg import bar_chart_svg

_CRITERIA: dict[str, str] = {
    "quality": N_("quality"),
    "incidents": N_("incidents"),
    "complaints": N_("complaints"),
    "delivery": N_("delivery"),
}

__all__ = ["Scorecard", "ScorecardRow", "supplier_scorecard"]


@dataclass(frozen=True)
class ScorecardRow:
    """One supplier's line: its evaluation (``None`` when there was nothing to score)."""

    supplier: Supplier
    evaluation: SupplierEvaluation | None
    recommended: SupplierStatus | None
    note: str = ""

    @property
    def total(self) -> float | None:
        """The weighted total 0-100, or ``None`` when not scored."""
        return None if self.evaluation is None else float(self.evaluation.weighted_total)

    @property
    def needs_decision(self) -> bool:
        """True when the policy recommends a status other than the current one."""
        return self.recommended is not None and self.recommended is not self.supplier.status


@dataclass(frozen=True)
class Scorecard:
    """Suppliers ranked by weighted total for one period, unscored ones last."""

    period: str
    rows: tuple[ScorecardRow, ...]
    locale: str | None = None

    @property
    def criteria(self) -> list[str]:
        """The criteria scored for at least one supplier, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.rows:
            if row.evaluation is not None:
                seen.update(dict.fromkeys(row.evaluation.scores))
        return list(seen)

    def row(self, supplier_id: str) -> ScorecardRow:
        """Return the row of ``supplier_id``."""
        for row in self.rows:
            if row.supplier.id == supplier_id:
                return row
        raise KeyError(f"supplier {supplier_id!r} is not on the scorecard")

    def _table(self) -> Table:
        criteria = self.criteria
        rows = []
        for r in self.rows:
            scores = r.evaluation.scores if r.evaluation else {}
            rows.append(
                (
                    r.supplier.id,
                    r.supplier.name,
                    *(format_decimal(scores[c], "0") if c in scores else "" for c in criteria),
                    "" if r.total is None else format_decimal(r.total, "0.0"),
                    r.supplier.status,
                    (label(r.recommended) + (_(" (decide)") if r.needs_decision else ""))
                    if r.recommended
                    else r.note,
                )
            )
        headers = (_(_CRITERIA[c]) if c in _CRITERIA else c for c in criteria)
        return Table.of(
            (_("supplier"), _("name"), *headers, _("total"), _("status"), _("recommended")), rows
        )

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the scorecard as a Markdown table (in ``locale``, default the builder's)."""
        with using(locale or self.locale):
            title = _("## Supplier scorecard {period}").format(period=self.period)
            if not self.rows:
                return f"{title}\n\n" + _("No suppliers.") + "\n"
            decide = [r.supplier.id for r in self.rows if r.needs_decision]
            tail = "\n\n" + (
                _("Status decisions to review: {ids}.").format(ids=_(", ").join(decide))
                if decide
                else _("No status change recommended.")
            )
            decisions = self._decisions()
            signed = (
                "\n" + _("Last status decisions:") + "\n\n" + blocks_to_markdown([decisions]) + "\n"
                if decisions.rows
                else ""
            )
            return (
                f"{title}\n\n{blocks_to_markdown([self._table()])}{tail}\n{self._basis_md()}"
                f"{signed}"
            )

    def _decisions(self) -> Table:
        """Each supplier's last status decision: when, who, why, and its signature."""
        rows = [
            (
                r.supplier.id,
                f"{label(d.source)} → {label(d.dest)}",
                d.at,
                d.actor,
                signed_note(d),
            )
            for r in self.rows
            for d in r.supplier.decisions[-1:]
        ]
        return Table.of((_("supplier"), _("decision"), _("when"), _("by"), _("reason")), rows)

    def _basis(self) -> list[tuple[str, str]]:
        """Each scored supplier's evaluation note: what its scores rest on, and why."""
        return [
            (r.supplier.id, r.evaluation.note)
            for r in self.rows
            if r.evaluation is not None and r.evaluation.note
        ]

    def _basis_md(self) -> str:
        basis = self._basis()
        if not basis:
            return ""
        lines = "".join(f"- {supplier}: {note}\n" for supplier, note in basis)
        return "\n" + _("What the scores rest on:") + "\n\n" + lines

    def to_svg(self, locale: str | None = None) -> str:
        """Draw the weighted totals as a bar chart, best supplier first."""
        scored = [r for r in self.rows if r.total is not None]
        with using(locale or self.locale):
            return bar_chart_svg(
                [r.supplier.id for r in scored],
                [round(r.total or 0.0, 1) for r in scored],
                title=_("Supplier scores {period} (0-100)").format(period=self.period),
                svg_id="scorecard",
            )

    def to_html_fragment(self, locale: str | None = None) -> str:
        """Render a ``<section>`` with the chart and the table, for embedding in a page."""
        with using(locale or self.locale):
            title = html.escape(_("Supplier scorecard {period}").format(period=self.period))
            return (
                f'<section class="scorecard"><h2>{title}</h2>'
                f"<figure>{self.to_svg()}</figure>{blocks_to_html([self._table()])}"
                f"{self._basis_html()}{self._decisions_html()}</section>"
            )

    def _decisions_html(self) -> str:
        decisions = self._decisions()
        if not decisions.rows:
            return ""
        title = html.escape(_("Last status decisions:"))
        return f"<p>{title}</p>{blocks_to_html([decisions])}"

    def _basis_html(self) -> str:
        basis = self._basis()
        if not basis:
            return ""
        items = "".join(
            f"<li><b>{html.escape(supplier)}</b>: {html.escape(note)}</li>"
            for supplier, note in basis
        )
        return f"<p>{html.escape(_('What the scores rest on:'))}</p><ul>{items}</ul>"

    def to_html(self, locale: str | None = None) -> str:
        """Render a self-contained HTML page with the chart and the table."""
        with using(locale or self.locale):
            return page(
                _("Supplier scorecard {period}").format(period=self.period),
                self.to_html_fragment(),
            )


def supplier_scorecard(
    suppliers: Iterable[Supplier],
    *,
    period: str,
    inspections: Iterable[Inspection],
    incidents: Iterable[Incident] = (),
    complaints: Iterable[Complaint] = (),
    genealogy: TracesBackward | None = None,
    lots: Iterable[Batch] | None = None,
    nonconformances: Iterable[Nonconformance] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    policy: SupplierPolicy | None = None,
    at: datetime | None = None,
    locale: str | None = None,
) -> Scorecard:
    """Score every supplier for ``period`` and rank them.

    The arguments are those of :func:`qualityflow.score_supplier`, applied to each
    supplier; ``policy`` recommends a status from each evaluation (default
    ``DefaultSupplierPolicy``). A supplier with nothing to score in the period (no
    inspected lot) is listed last with the reason. ``locale`` is the default language of
    the renderings (``None``: the active one when rendering). With ``nonconformances``
    each supplier's basis states its nonconformance rate by lots and quantity.

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    >>> dairy = qf.Supplier(id="SUP-DAIRY", name="Valley Dairy")
    >>> lots = [qf.Batch(id=f"FLOUR-{i}", kind="raw_material", product="flour",
    ...         quantity=qf.Quantity(amount=1000, unit="kg"), supplier_id="SUP-MILL")
    ...         for i in range(4)]
    >>> checks = [qf.Inspection(id=f"IQC-{i}", batch_id=f"FLOUR-{i}", stage="incoming",
    ...           result="fail" if i == 0 else "pass") for i in range(4)]
    >>> card = qf.supplier_scorecard([mill, dairy], period="2026-03", inspections=checks,
    ...                              lots=lots)
    >>> [(r.supplier.id, r.total) for r in card.rows]
    [('SUP-MILL', 84.375), ('SUP-DAIRY', None)]

    """
    chosen = policy or DefaultSupplierPolicy()
    inspection_list = list(inspections)
    incident_list = list(incidents)
    complaint_list = list(complaints)
    lot_list = None if lots is None else list(lots)
    nc_list = list(nonconformances)
    scored: list[ScorecardRow] = []
    unscored: list[ScorecardRow] = []
    for supplier in suppliers:
        try:
            evaluation = score_supplier(
                supplier,
                period=period,
                inspections=inspection_list,
                incidents=incident_list,
                complaints=complaint_list,
                genealogy=genealogy,
                lots=lot_list,
                nonconformances=nc_list,
                start=start,
                end=end,
                at=at,
            )
        except ValueError as exc:
            with using(locale):
                note = _("not scored: {reason}").format(reason=exc)
            unscored.append(ScorecardRow(supplier, None, None, note))
            continue
        scored.append(ScorecardRow(supplier, evaluation, chosen.recommend(evaluation, supplier)))
    scored.sort(key=lambda r: (-(r.total or 0.0), r.supplier.id))
    return Scorecard(period=period, rows=tuple(scored + unscored), locale=locale)
