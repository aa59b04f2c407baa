"""The public names of ``qualityflow``, listed once, layer by layer.

mypy and IDEs read this stub; at run time ``lazy_loader.attach_stub`` in ``__init__.py``
reads it too. Adding a public name: add it to its layer's import below, nothing else.
Each layer loads on first access of one of its names (PEP 562), so ``import qualityflow``
stays cheap.
"""

from .errors import (
    ConcurrencyError as ConcurrencyError,
    GenealogyError as GenealogyError,
    InteropError as InteropError,
    NotFoundError as NotFoundError,
    PermissionDenied as PermissionDenied,
    ProtectedFieldError as ProtectedFieldError,
    QualityFlowError as QualityFlowError,
    RowProblem as RowProblem,
    RowsRefused as RowsRefused,
    StorageError as StorageError,
    TransitionError as TransitionError,
    UnitMismatchError as UnitMismatchError,
)
from .models import (
    ActionKind as ActionKind,
    ActionStatus as ActionStatus,
    Batch as Batch,
    BatchKind as BatchKind,
    BatchStatus as BatchStatus,
    Channel as Channel,
    Characteristic as Characteristic,
    CheckType as CheckType,
    Complaint as Complaint,
    ComplaintStatus as ComplaintStatus,
    ComplaintVerification as ComplaintVerification,
    Contact as Contact,
    ContainmentAction as ContainmentAction,
    ContainmentKind as ContainmentKind,
    CorrectiveAction as CorrectiveAction,
    Direction as Direction,
    Disposition as Disposition,
    EmergencyTeam as EmergencyTeam,
    Evidence as Evidence,
    FollowUp as FollowUp,
    ImpactAssessment as ImpactAssessment,
    Incident as Incident,
    IncidentStatus as IncidentStatus,
    Inspection as Inspection,
    InspectionResult as InspectionResult,
    InspectionStage as InspectionStage,
    MAX_ID_LENGTH as MAX_ID_LENGTH,
    Nonconformance as Nonconformance,
    Notification as Notification,
    Quantity as Quantity,
    RcaMethod as RcaMethod,
    Recall as Recall,
    RecallDecision as RecallDecision,
    Resolution as Resolution,
    ResolutionKind as ResolutionKind,
    RootCauseAnalysis as RootCauseAnalysis,
    Severity as Severity,
    Shipment as Shipment,
    Signature as Signature,
    SixM as SixM,
    Supplier as Supplier,
    SupplierAction as SupplierAction,
    SupplierDecision as SupplierDecision,
    SupplierEvaluation as SupplierEvaluation,
    SupplierStatus as SupplierStatus,
    TeamMember as TeamMember,
    TransitionRecord as TransitionRecord,
    Verification as Verification,
    VerificationConclusion as VerificationConclusion,
    json_schemas as json_schemas,
)
from .lifecycle import (
    COMPLAINT_LIFECYCLE as COMPLAINT_LIFECYCLE,
    CalendarCoverageError as CalendarCoverageError,
    Deadline as Deadline,
    DeadlinePolicy as DeadlinePolicy,
    DefaultDeadlinePolicy as DefaultDeadlinePolicy,
    INCIDENT_LIFECYCLE as INCIDENT_LIFECYCLE,
    Lifecycle as Lifecycle,
    NONCONFORMANCE_LIFECYCLE as NONCONFORMANCE_LIFECYCLE,
    RECALL_LIFECYCLE as RECALL_LIFECYCLE,
    RecallProgress as RecallProgress,
    SCAR_LIFECYCLE as SCAR_LIFECYCLE,
    WorkingCalendar as WorkingCalendar,
    deadlines as deadlines,
    overdue as overdue,
    presets as presets,
    verify_history as verify_history,
)
from .genealogy import (
    CommonCause as CommonCause,
    DataIssue as DataIssue,
    Genealogy as Genealogy,
    MassBalance as MassBalance,
    RecallImpact as RecallImpact,
    Trace as Trace,
)
from .prevention import (
    DefaultSupplierPolicy as DefaultSupplierPolicy,
    Delivery as Delivery,
    LinkOverride as LinkOverride,
    OpenTraining as OpenTraining,
    RetainedSample as RetainedSample,
    SamplingPlan as SamplingPlan,
    Similar as Similar,
    SupplierPolicy as SupplierPolicy,
    TrainingRecord as TrainingRecord,
    TrainingRequirement as TrainingRequirement,
    evaluate_inspection as evaluate_inspection,
    sampling_plan as sampling_plan,
    score_supplier as score_supplier,
    similar_incidents as similar_incidents,
    spread_lesson as spread_lesson,
    verify_decisions as verify_decisions,
)
from .plugins import (
    hookimpl as hookimpl,
    hookspec as hookspec,
)
from .storage import (
    Storage as Storage,
)
from .notify import (
    AppriseNotifier as AppriseNotifier,
    DeliveryError as DeliveryError,
    EmailNotifier as EmailNotifier,
    LoggingNotifier as LoggingNotifier,
    NotifierConfigError as NotifierConfigError,
    WebhookNotifier as WebhookNotifier,
    builtin_notifiers as builtin_notifiers,
    verify_signature as verify_signature,
)
from .interop import (
    EpcisImport as EpcisImport,
    EpcisWarning as EpcisWarning,
    load_epcis as load_epcis,
    to_epcis as to_epcis,
    to_fsma204 as to_fsma204,
)
from .reports import (
    DrillReport as DrillReport,
    DrillStep as DrillStep,
    EightDReport as EightDReport,
    KPIs as KPIs,
    Pareto as Pareto,
    QualityReview as QualityReview,
    Scorecard as Scorecard,
    eight_d as eight_d,
    kpis as kpis,
    mock_recall as mock_recall,
    nonconformance_pareto as nonconformance_pareto,
    pareto as pareto,
    quality_review as quality_review,
    supplier_eight_d as supplier_eight_d,
    supplier_scorecard as supplier_scorecard,
)
from .people import (
    Actor as Actor,
    RolePolicy as RolePolicy,
    policies as policies,
)
from .service import (
    QualityFlow as QualityFlow,
)

__version__: str
