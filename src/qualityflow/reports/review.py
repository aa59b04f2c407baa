"""The periodic quality review: KPIs, Pareto charts and the supplier scorecard on one page.

This is the management-review pack of the guide's "review and improvement" step: how fast
cases were handled, which few categories, products and root causes make most complaints,
and how the suppliers score, as one Markdown document or one self-contained HTML page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from qualityflow.i18n import N_, _, using
from qualityflow.models import Complaint, Incident, Shipment
from qualityflow.reports._doc import fmt_time
from qualityflow.reports._html import page
from qualityflow.reports.kpis import KPIs, kpis
from qualityflow.reports.pareto import Pareto, pareto
from qualityflow.reports.scorecard import Scorecard

_DEFAULT_TITLE = N_("Quality review")

__all__ = ["QualityReview", "quality_review"]


@dataclass(frozen=True)
class QualityReview:
    """KPIs, the Pareto of complaints by category, product and root cause, and a scorecard."""

    title: str
    kpis: KPIs
    paretos: tuple[Pareto, ...]
    scorecard: Scorecard | None = None
    locale: str | None = None

    def _title(self) -> str:
        return _(self.title) if self.title == _DEFAULT_TITLE else self.title

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the review as one Markdown document (in ``locale``, default the builder's)."""
        with using(locale or self.locale):
            as_of = _("As of {at}.").format(at=fmt_time(self.kpis.as_of))
            parts = [f"# {self._title()}", as_of, self.kpis.to_markdown()]
            parts += [p.to_markdown() for p in self.paretos]
            if self.scorecard is not None:
                parts.append(self.scorecard.to_markdown())
            return "\n\n".join(part.strip() for part in parts) + "\n"

    def to_html(self, locale: str | None = None) -> str:
        """Render the review as one self-contained HTML page with its charts."""
        with using(locale or self.locale):
            as_of = _("As of {at}.").format(at=fmt_time(self.kpis.as_of))
            body = [
                f"<h1>{html.escape(self._title())}</h1>",
                f'<p class="meta">{html.escape(as_of)}</p>',
                self.kpis.to_html_fragment(),
                *(p.to_html_fragment() for p in self.paretos),
            ]
            if self.scorecard is not None:
                body.append(self.scorecard.to_html_fragment())
            return page(self._title(), "\n".join(body))


def quality_review(
    incidents: Iterable[Incident],
    complaints: Iterable[Complaint],
    shipments: Iterable[Shipment] = (),
    *,
    title: str = _DEFAULT_TITLE,
    scorecard: Scorecard | None = None,
    unit: str | None = None,
    as_of: datetime | None = None,
    locale: str | None = None,
) -> QualityReview:
    """Build the periodic quality review of the given cases.

    The Paretos group complaints by category, product and root-cause category (through the
    incidents they were escalated to). Pass a :func:`supplier_scorecard` to include it.
    ``locale`` is the language of the renderings (``None``: the active one when rendering);
    the default title is translated, a given one is shown as given.

    Examples
    --------
    >>> import qualityflow as qf
    >>> review = qf.quality_review([], [])
    >>> [p.by for p in review.paretos]
    ['category', 'product', 'root_cause']
    >>> review.to_html().count("<svg")
    3

    """
    incident_list = list(incidents)
    complaint_list = list(complaints)
    return QualityReview(
        title=title,
        kpis=kpis(incident_list, complaint_list, shipments, unit=unit, as_of=as_of, locale=locale),
        paretos=tuple(
            pareto(complaint_list, by, incidents=incident_list)
            for by in ("category", "product", "root_cause")
        ),
        scorecard=scorecard,
        locale=locale,
    )
