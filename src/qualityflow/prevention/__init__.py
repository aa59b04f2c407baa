"""Prevention: the approved-supplier list, sampling, release rules, samples, lessons.

Pure domain functions (no I/O); the :class:`~qualityflow.QualityFlow` service calls them
and stores what they return.

* Suppliers: :func:`decide` (recorded, hash-chained status decisions),
  :func:`verify_decisions`, :func:`status_change_notification`; :func:`link_blockers` and
  :func:`ensure_linkable` with :class:`LinkOverride`; the scorecard :func:`score_supplier`
  and :class:`DefaultSupplierPolicy` (a :class:`SupplierPolicy`).
* Inspections: :func:`sampling_plan` (ISO 2859-1 / ANSI Z1.4 single sampling, normal
  inspection), :func:`evaluate_inspection`, :func:`apply_inspection`,
  :func:`release_blockers`.
* Retained samples: :class:`RetainedSample`, :func:`samples_for`,
  :func:`samples_due_for_disposal`.
* Training: :class:`TrainingRequirement`, :class:`TrainingRecord`, :func:`open_training`,
  :func:`lesson_open`.
* Similar cases: :func:`similar_incidents`, :func:`spread_lesson`.
"""

from __future__ import annotations

from qualityflow.prevention._protocols import TracesBackward
from qualityflow.prevention.inspections import (
    apply_inspection,
    evaluate_inspection,
    latest_inspections,
    release_blockers,
)
from qualityflow.prevention.samples import (
    RetainedSample,
    samples_due_for_disposal,
    samples_for,
)
from qualityflow.prevention.sampling import (
    AQL_VALUES,
    CODE_LETTERS,
    INSPECTION_LEVELS,
    SAMPLE_SIZES,
    SamplingPlan,
    code_letter,
    sampling_plan,
)
from qualityflow.prevention.scorecard import (
    DEFAULT_WEIGHTS,
    DefaultSupplierPolicy,
    Delivery,
    NonconformanceRate,
    SupplierPolicy,
    nonconformance_rate,
    score_supplier,
)
from qualityflow.prevention.similar import (
    Similar,
    defect_words,
    similar_incidents,
    spread_lesson,
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
from qualityflow.prevention.training import (
    OpenTraining,
    TrainingRecord,
    TrainingRequirement,
    lesson_open,
    open_training,
)

__all__ = [
    "AQL_VALUES",
    "BLOCKED_SUPPLIER_STATUSES",
    "CODE_LETTERS",
    "DEFAULT_WEIGHTS",
    "INSPECTION_LEVELS",
    "SAMPLE_SIZES",
    "DefaultSupplierPolicy",
    "Delivery",
    "NonconformanceRate",
    "LinkOverride",
    "OpenTraining",
    "RetainedSample",
    "SamplingPlan",
    "Similar",
    "SupplierPolicy",
    "TracesBackward",
    "TrainingRecord",
    "TrainingRequirement",
    "apply_inspection",
    "code_letter",
    "decide",
    "defect_words",
    "ensure_linkable",
    "evaluate_inspection",
    "latest_inspections",
    "lesson_open",
    "link_blockers",
    "open_training",
    "release_blockers",
    "samples_due_for_disposal",
    "samples_for",
    "sampling_plan",
    "nonconformance_rate",
    "score_supplier",
    "similar_incidents",
    "spread_lesson",
    "status_change_notification",
    "verify_decisions",
]
