"""qualityflow: quality-management workflows for light industry.

Typed models of suppliers, batches, inspections, shipments, incidents and complaints;
state machines that enforce the closed loop; a batch genealogy for recall impact; plugin
hooks for storage and notifications. Start with ``import qualityflow as qf``.
"""

from __future__ import annotations

from qualityflow.errors import (
    ConcurrencyError,
    GenealogyError,
    InteropError,
    NotFoundError,
    QualityFlowError,
    StorageError,
    TransitionError,
    UnitMismatchError,
)
from qualityflow.models import (
    ActionKind,
    ActionStatus,
    Batch,
    BatchKind,
    BatchStatus,
    Channel,
    Characteristic,
    CheckType,
    Complaint,
    ComplaintStatus,
    Contact,
    ContainmentAction,
    ContainmentKind,
    CorrectiveAction,
    Direction,
    EmergencyTeam,
    FollowUp,
    ImpactAssessment,
    Incident,
    IncidentStatus,
    Inspection,
    InspectionResult,
    InspectionStage,
    Notification,
    Quantity,
    RcaMethod,
    RecallDecision,
    Resolution,
    ResolutionKind,
    RootCauseAnalysis,
    Severity,
    Shipment,
    SixM,
    Supplier,
    SupplierDecision,
    SupplierEvaluation,
    SupplierStatus,
    TeamMember,
    TransitionRecord,
    Verification,
    json_schemas,
)

__version__ = "0.1.0"

__all__ = [
    "ActionKind",
    "ActionStatus",
    "Batch",
    "BatchKind",
    "BatchStatus",
    "Channel",
    "Characteristic",
    "CheckType",
    "Complaint",
    "ComplaintStatus",
    "ConcurrencyError",
    "Contact",
    "ContainmentAction",
    "ContainmentKind",
    "CorrectiveAction",
    "Direction",
    "EmergencyTeam",
    "FollowUp",
    "GenealogyError",
    "ImpactAssessment",
    "Incident",
    "IncidentStatus",
    "Inspection",
    "InspectionResult",
    "InspectionStage",
    "InteropError",
    "NotFoundError",
    "Notification",
    "QualityFlowError",
    "Quantity",
    "RcaMethod",
    "RecallDecision",
    "Resolution",
    "ResolutionKind",
    "RootCauseAnalysis",
    "Severity",
    "Shipment",
    "SixM",
    "StorageError",
    "Supplier",
    "SupplierDecision",
    "SupplierEvaluation",
    "SupplierStatus",
    "TeamMember",
    "TransitionError",
    "TransitionRecord",
    "UnitMismatchError",
    "Verification",
    "__version__",
    "json_schemas",
]

# Each layer adds its public names in its own block below: an import, then `__all__ += [...]`.
# --- lifecycle ---
from qualityflow.lifecycle import (
    COMPLAINT_LIFECYCLE,
    INCIDENT_LIFECYCLE,
    Deadline,
    DeadlinePolicy,
    DefaultDeadlinePolicy,
    Lifecycle,
    deadlines,
    overdue,
    verify_history,
)

__all__ += [
    "COMPLAINT_LIFECYCLE",
    "INCIDENT_LIFECYCLE",
    "Deadline",
    "DeadlinePolicy",
    "DefaultDeadlinePolicy",
    "Lifecycle",
    "deadlines",
    "overdue",
    "verify_history",
]

# --- genealogy ---
from qualityflow.genealogy import (
    CommonCause,
    DataIssue,
    Genealogy,
    MassBalance,
    RecallImpact,
    Trace,
)

__all__ += ["CommonCause", "DataIssue", "Genealogy", "MassBalance", "RecallImpact", "Trace"]

# --- prevention ---
from qualityflow.prevention import (
    DefaultSupplierPolicy,
    Delivery,
    LinkOverride,
    OpenTraining,
    RetainedSample,
    SamplingPlan,
    Similar,
    SupplierPolicy,
    TrainingRecord,
    TrainingRequirement,
    apply_inspection,
    decide,
    ensure_linkable,
    evaluate_inspection,
    lesson_open,
    link_blockers,
    open_training,
    release_blockers,
    samples_due_for_disposal,
    samples_for,
    sampling_plan,
    score_supplier,
    similar_incidents,
    spread_lesson,
    status_change_notification,
    verify_decisions,
)

__all__ += [
    "DefaultSupplierPolicy",
    "Delivery",
    "LinkOverride",
    "OpenTraining",
    "RetainedSample",
    "SamplingPlan",
    "Similar",
    "SupplierPolicy",
    "TrainingRecord",
    "TrainingRequirement",
    "apply_inspection",
    "decide",
    "ensure_linkable",
    "evaluate_inspection",
    "lesson_open",
    "link_blockers",
    "open_training",
    "release_blockers",
    "samples_due_for_disposal",
    "samples_for",
    "sampling_plan",
    "score_supplier",
    "similar_incidents",
    "spread_lesson",
    "status_change_notification",
    "verify_decisions",
]

# --- plugins / storage / notify / service ---
from qualityflow.plugins import hookimpl, hookspec
from qualityflow.service import QualityFlow
from qualityflow.storage import Storage

__all__ += ["QualityFlow", "Storage", "hookimpl", "hookspec"]

from qualityflow.notify import (
    AppriseNotifier,
    DeliveryError,
    EmailNotifier,
    LoggingNotifier,
    NotifierConfigError,
    WebhookNotifier,
    builtin_notifiers,
    verify_signature,
)

__all__ += [
    "AppriseNotifier",
    "DeliveryError",
    "EmailNotifier",
    "LoggingNotifier",
    "NotifierConfigError",
    "WebhookNotifier",
    "builtin_notifiers",
    "verify_signature",
]

# --- interop ---
from qualityflow.interop import EpcisImport, EpcisWarning, load_epcis, to_epcis, to_fsma204

__all__ += ["EpcisImport", "EpcisWarning", "load_epcis", "to_epcis", "to_fsma204"]

# --- reports ---
from qualityflow.reports import (
    DrillReport,
    EightDReport,
    KPIs,
    Pareto,
    QualityReview,
    Scorecard,
    eight_d,
    kpis,
    mock_recall,
    pareto,
    quality_review,
    supplier_scorecard,
)

__all__ += [
    "DrillReport",
    "EightDReport",
    "KPIs",
    "Pareto",
    "QualityReview",
    "Scorecard",
    "eight_d",
    "kpis",
    "mock_recall",
    "pareto",
    "quality_review",
    "supplier_scorecard",
]
