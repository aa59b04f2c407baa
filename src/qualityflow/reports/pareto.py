"""Pareto analysis: which few groups make most of the complaints, or of the nonconformances.

:func:`pareto` groups complaints (by category, product, root cause, channel, customer),
:func:`nonconformance_pareto` nonconformances (by supplier, characteristic, defect); both
give a :class:`Pareto`, rendered the same way with its own headings.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from qualityflow.i18n import N_, _, current_locale, format_percent, label, using
from qualityflow.models import Batch, Complaint, Incident
from qualityflow.models.nonconformance import Nonconformance
from qualityflow.reports._doc import Table, blocks_to_html, blocks_to_markdown
from qualityflow.reports._html import page
from qualityflow.reports._svg import bar_chart_svg

_UNCATEGORISED = N_("uncategorised")
_UNKNOWN_PRODUCT = N_("unknown product")
_NOT_INVESTIGATED = N_("not investigated")
_NO_SUPPLIER = N_("no supplier")
_PLACEHOLDERS = frozenset({_UNCATEGORISED, _UNKNOWN_PRODUCT, _NOT_INVESTIGATED, _NO_SUPPLIER})
_BY: dict[str, str] = {
    "category": N_("category"),
    "product": N_("product"),
    "root_cause": N_("root cause"),
    "channel": N_("channel"),
    "customer": N_("customer"),
    "supplier": N_("supplier"),
    "characteristic": N_("characteristic"),
    "defect": N_("defect"),
}
# What a Pareto counts, and its headings: (title, count column, none, chart, section).
_TEXTS: dict[str, tuple[str, str, str, str, str]] = {
    "complaints": (
        N_("## Pareto of complaints by {dimension}"),
        N_("complaints"),
        N_("No complaints."),
        N_("Complaints by {dimension} ({total})"),
        N_("Pareto of complaints by {dimension}"),
    ),
    "nonconformances": (
        N_("## Pareto of nonconformances by {dimension}"),
        N_("nonconformances"),
        N_("No nonconformances."),
        N_("Nonconformances by {dimension} ({total})"),
        N_("Pareto of nonconformances by {dimension}"),
    ),
}

__all__ = [
    "NONCONFORMANCE_PARETO_DIMENSIONS",
    "PARETO_DIMENSIONS",
    "Pareto",
    "ParetoRow",
    "nonconformance_pareto",
    "pareto",
]

ParetoDimension = Literal["category", "product", "root_cause", "channel", "customer"]
PARETO_DIMENSIONS: tuple[str, ...] = ("category", "product", "root_cause", "channel", "customer")
"""What complaints can be grouped by."""

NonconformanceDimension = Literal["supplier", "characteristic", "defect"]
NONCONFORMANCE_PARETO_DIMENSIONS: tuple[str, ...] = ("supplier", "characteristic", "defect")
"""What nonconformances can be grouped by."""


@dataclass(frozen=True)
class ParetoRow:
    """One bar of the Pareto chart: the group, its count, share and cumulative share (0-1)."""

    key: str
    count: int
    share: float
    cumulative: float


@dataclass(frozen=True)
class Pareto:
    """Complaints (or nonconformances) grouped by one dimension, largest group first.

    ``vital_few`` are the groups that together make up the first 80 % of them (the group
    that crosses 80 % included): where improvement pays most. ``of`` says what is
    counted: ``"complaints"`` or ``"nonconformances"``.
    """

    by: str
    rows: tuple[ParetoRow, ...]
    total: int
    locale: str | None = None
    of: str = "complaints"

    @property
    def vital_few(self) -> list[str]:
        """The groups that make up the first 80 % of complaints."""
        keys: list[str] = []
        for row in self.rows:
            keys.append(row.key)
            if row.cumulative >= 0.8:
                break
        return keys

    def _show(self, key: str) -> str:
        """Return the group as a person reads it (keys stay language-neutral)."""
        if key in _PLACEHOLDERS:
            return _(key)
        return label(key) if self.by in ("channel", "root_cause") else key

    def _dimension(self) -> str:
        return _(_BY.get(self.by, self.by.replace("_", " ")))

    def _text(self, n: int) -> str:
        return _(_TEXTS[self.of][n])

    def _table(self) -> Table:
        return Table.of(
            (self._dimension(), self._text(1), _("share"), _("cumulative")),
            [
                (self._show(r.key), r.count, format_percent(r.share), format_percent(r.cumulative))
                for r in self.rows
            ],
        )

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the table as Markdown, with the vital few named (in ``locale``)."""
        with using(locale or self.locale):
            title = self._text(0).format(dimension=self._dimension())
            if not self.rows:
                return f"{title}\n\n" + self._text(2) + "\n"
            vital = _(", ").join(self._show(k) for k in self.vital_few)
            return (
                f"{title}\n\n{blocks_to_markdown([self._table()])}\n\n"
                + _("Vital few (80 %): {groups}.").format(groups=vital)
                + "\n"
            )

    def to_svg(self, locale: str | None = None) -> str:
        """Draw the Pareto chart: bars by count, a line for the cumulative share."""
        with using(locale or self.locale):
            return bar_chart_svg(
                [self._show(r.key) for r in self.rows],
                [float(r.count) for r in self.rows],
                cumulative=[r.cumulative * 100 for r in self.rows],
                title=self._text(3).format(dimension=self._dimension(), total=self.total),
                svg_id=f"pareto-{self.by}",
            )

    def to_html_fragment(self, locale: str | None = None) -> str:
        """Render a ``<section>`` with the chart and the table, for embedding in a page."""
        with using(locale or self.locale):
            title = html.escape(self._text(4).format(dimension=self._dimension()))
            return (
                f'<section class="pareto"><h2>{title}</h2>'
                f"<figure>{self.to_svg()}</figure>{blocks_to_html([self._table()])}</section>"
            )

    def to_html(self, locale: str | None = None) -> str:
        """Render a self-contained HTML page with the chart and the table."""
        with using(locale or self.locale):
            return page(
                _("Pareto by {dimension}").format(
                    dimension=self.by if current_locale() == "en" else self._dimension()
                ),
                self.to_html_fragment(),
            )


def _key(complaint: Complaint, by: str, causes: dict[str, str]) -> str:
    if by == "category":
        return complaint.category or _UNCATEGORISED
    if by == "product":
        return complaint.product or _UNKNOWN_PRODUCT
    if by == "channel":
        return complaint.channel.value
    if by == "customer":
        return complaint.customer_id
    if complaint.incident_id is not None and complaint.incident_id in causes:
        return causes[complaint.incident_id]
    return _NOT_INVESTIGATED


def pareto(
    complaints: Iterable[Complaint],
    by: ParetoDimension = "category",
    *,
    incidents: Iterable[Incident] = (),
    locale: str | None = None,
) -> Pareto:
    """Group complaints by ``by`` and rank the groups, largest first (ties by name).

    ``by="root_cause"`` groups by the six-M category of the root cause of the incident each
    complaint was escalated to (pass those ``incidents``); complaints without one count
    as ``not investigated``. The keys stay language-neutral (values and English
    placeholders); ``locale`` is the default language of the renderings.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> at = datetime(2026, 3, 5, tzinfo=timezone.utc)
    >>> cs = [qf.Complaint(id=f"C{i}", customer_id="SHOP", channel="phone", received_at=at,
    ...                    description="d", category=cat)
    ...       for i, cat in enumerate(["broken", "broken", "broken", "stale"])]
    >>> [(r.key, r.count) for r in qf.pareto(cs).rows]
    [('broken', 3), ('stale', 1)]

    """
    if by not in PARETO_DIMENSIONS:
        raise ValueError(f"by={by!r}: group complaints by one of {', '.join(PARETO_DIMENSIONS)}")
    causes: dict[str, str] = {}
    for inc in incidents:
        if inc.root_cause is not None:
            causes[inc.id] = inc.root_cause.category.value
    counts = Counter(_key(c, by, causes) for c in complaints)
    return _ranked(counts, by, locale, "complaints")


def _ranked(counts: Counter[str], by: str, locale: str | None, of: str) -> Pareto:
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows: list[ParetoRow] = []
    running = 0
    for key, count in ranked:
        running += count
        rows.append(ParetoRow(key, count, count / total, running / total))
    return Pareto(by=by, rows=tuple(rows), total=total, locale=locale, of=of)


def nonconformance_pareto(
    nonconformances: Iterable[Nonconformance],
    by: NonconformanceDimension = "supplier",
    *,
    lots: Iterable[Batch] = (),
    locale: str | None = None,
) -> Pareto:
    """Group nonconformances by supplier, characteristic or defect, largest group first.

    ``by="supplier"`` takes the nonconformance's ``supplier_id``, else that of its lot
    (pass the ``lots``); those without one count as ``no supplier``. Characteristics and
    defects are grouped as recorded (the same words in the same case make one group).

    Examples
    --------
    >>> import qualityflow as qf
    >>> kg = qf.Quantity(amount=1, unit="kg")
    >>> ncs = [qf.Nonconformance(id=f"NC-{i}", batch_id=f"L-{i}", quantity=kg,
    ...        characteristic=c, defect="out of spec", supplier_id=s)
    ...        for i, (c, s) in enumerate([("moisture", "SUP-MILL"), ("moisture", "SUP-MILL"),
    ...                                    ("foreign matter", "SUP-SUGAR")])]
    >>> [(r.key, r.count) for r in nonconformance_pareto(ncs).rows]
    [('SUP-MILL', 2), ('SUP-SUGAR', 1)]
    >>> nonconformance_pareto(ncs, "characteristic").vital_few
    ['moisture', 'foreign matter']

    """
    if by not in NONCONFORMANCE_PARETO_DIMENSIONS:
        raise ValueError(
            f"by={by!r}: group nonconformances by one of "
            f"{', '.join(NONCONFORMANCE_PARETO_DIMENSIONS)}"
        )
    suppliers = {b.id: b.supplier_id for b in lots}

    def key(nc: Nonconformance) -> str:
        if by == "characteristic":
            return nc.characteristic
        if by == "defect":
            return nc.defect
        return nc.supplier_id or suppliers.get(nc.batch_id) or _NO_SUPPLIER

    return _ranked(Counter(key(n) for n in nonconformances), by, locale, "nonconformances")
