"""Batch genealogy and recall impact: trace lots forward and back, find common causes.

The genealogy is a :class:`networkx.DiGraph` of batch and shipment ids, wrapped by
:class:`Genealogy`; see the "Recall impact analysis" page of the documentation.
"""

from __future__ import annotations

from qualityflow.genealogy.graph import Genealogy, Link
from qualityflow.genealogy.results import (
    CommonCause,
    DataIssue,
    MassBalance,
    RecallImpact,
    Trace,
)

__all__ = [
    "CommonCause",
    "DataIssue",
    "Genealogy",
    "Link",
    "MassBalance",
    "RecallImpact",
    "Trace",
]
