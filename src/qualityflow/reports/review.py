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

from qualityflow.models import Complaint, Incident, Shipment
from qualityflow.reports._doc import fmt_time
from qualityflow.reports._html import page
from qualityflow.reports.kpis import KPIs, kpis
from qualityflow.reports.pareto import Pareto, pareto
from qualityflow.reports.scorecard import Scorecard

__all__ = ["QualityReview", "quality_review"]


@dataclass(frozen=True)
class QualityReview:
    """KPIs, the Pareto of complaints by category, product and root cause, and a scorecard."""

    title: str
    kpis: KPIs
    paretos: tuple[Pareto, ...]
    scorecard: Scorecard | None = None

    def to_markdown(self) -> str:
        """Render the review as one Markdown document."""
        parts = [f"# {self.title}", f"As of {fmt_time(self.kpis.as_of)}.", self.kpis.to_markdown()]
        parts += [p.to_markdown() for p in self.paretos]
        if self.scorecard is not None:
            parts.append(self.scorecard.to_markdown())
        return "\n\n".join(part.strip() for part in parts) + "\n"

    def to_html(self) -> str:
        """Render the review as one self-contained HTML page with its charts."""
        body = [
            f"<h1>{html.escape(self.title)}</h1>",
            f'<p class="meta">As of {html.escape(fmt_time(self.kpis.as_of))}.</p>',
            self.kpis.to_html_fragment(),
            *(p.to_html_fragment() for p in self.paretos),
        ]
        if self.scorecard is not None:
            body.append(self.scorecard.to_html_fragment())
        return page(self.title, "\n".join(body))


def quality_review(
    incidents: Iterable[Incident],
    complaints: Iterable[Complaint],
    shipments: Iterable[Shipment] = (),
    *,
    title: str = "Quality review",
    scorecard: Scorecard | None = None,
    unit: str | None = None,
    as_of: datetime | None = None,
) -> QualityReview:
    """Build the periodic quality review of the given cases.

    The Paretos group complaints by category, product and root-cause category (through the
    incidents they were escalated to). Pass a :func:`supplier_scorecard` to include it.

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
        kpis=kpis(incident_list, complaint_list, shipments, unit=unit, as_of=as_of),
        paretos=tuple(
            pareto(complaint_list, by, incidents=incident_list)
            for by in ("category", "product", "root_cause")
        ),
        scorecard=scorecard,
    )
