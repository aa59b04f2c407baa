"""Reports for people: the 8D report, KPIs, Pareto charts, supplier scorecard, recall drill.

Every report renders as Markdown and as a self-contained HTML page (inline CSS and SVG, no
scripts, no network), so it can be mailed, archived or printed as it is.
"""

from __future__ import annotations

from qualityflow.reports.drill import (
    DRILL_CLOCKS,
    DRILL_STEPS,
    FSMA204_BOUND,
    DrillReport,
    DrillStep,
    drill_steps,
    mock_recall,
)
from qualityflow.reports.eight_d import (
    DISCIPLINES,
    Discipline,
    EightDReport,
    SupplierEightDReport,
    eight_d,
    supplier_eight_d,
)
from qualityflow.reports.kpis import DurationStats, KPIs, kpis
from qualityflow.reports.pareto import (
    NONCONFORMANCE_PARETO_DIMENSIONS,
    PARETO_DIMENSIONS,
    Pareto,
    ParetoRow,
    nonconformance_pareto,
    pareto,
)
from qualityflow.reports.review import QualityReview, quality_review
from qualityflow.reports.scorecard import Scorecard, ScorecardRow, supplier_scorecard

__all__ = [
    "DISCIPLINES",
    "FSMA204_BOUND",
    "NONCONFORMANCE_PARETO_DIMENSIONS",
    "PARETO_DIMENSIONS",
    "Discipline",
    "DRILL_CLOCKS",
    "DRILL_STEPS",
    "DrillReport",
    "DrillStep",
    "drill_steps",
    "DurationStats",
    "EightDReport",
    "KPIs",
    "Pareto",
    "ParetoRow",
    "QualityReview",
    "Scorecard",
    "ScorecardRow",
    "SupplierEightDReport",
    "eight_d",
    "kpis",
    "mock_recall",
    "nonconformance_pareto",
    "pareto",
    "quality_review",
    "supplier_eight_d",
    "supplier_scorecard",
]
