"""Prevention: the approved-supplier list, sampling plans, release rules and lessons.

Pure domain functions (no I/O) that the :class:`~qualityflow.QualityFlow` service calls:

* suppliers: :func:`decide` (recorded, hash-chained status decisions),
  :func:`verify_decisions`, :func:`link_blockers` with :class:`LinkOverride`;
* sampling: :func:`sampling_plan` (ISO 2859-1 / ANSI Z1.4 single sampling, normal
  inspection).
"""

from __future__ import annotations

from qualityflow.prevention.sampling import (
    AQL_VALUES,
    CODE_LETTERS,
    INSPECTION_LEVELS,
    SAMPLE_SIZES,
    SamplingPlan,
    code_letter,
    sampling_plan,
)
from qualityflow.prevention.suppliers import (
    BLOCKED_SUPPLIER_STATUSES,
    LinkOverride,
    decide,
    ensure_linkable,
    link_blockers,
    status_change_notification,
    verify_decisions,
)

__all__ = [
    "AQL_VALUES",
    "BLOCKED_SUPPLIER_STATUSES",
    "CODE_LETTERS",
    "INSPECTION_LEVELS",
    "SAMPLE_SIZES",
    "LinkOverride",
    "SamplingPlan",
    "code_letter",
    "decide",
    "ensure_linkable",
    "link_blockers",
    "sampling_plan",
    "status_change_notification",
    "verify_decisions",
]
