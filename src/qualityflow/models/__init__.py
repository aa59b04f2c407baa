"""The domain models: pure data and validation (pydantic v2), no I/O.

Every model refuses unknown fields, validates assignments, and round-trips through
``model_dump_json()`` / ``model_validate_json()`` unchanged.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qualityflow.models._base import MAX_ID_LENGTH, AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.batch import (
    Batch,
    BatchKind,
    BatchStatus,
    Characteristic,
    CheckType,
    Inspection,
    InspectionResult,
    InspectionStage,
    Shipment,
)
from qualityflow.models.complaint import (
    Channel,
    Complaint,
    ComplaintStatus,
    ComplaintVerification,
    Contact,
    Direction,
    FollowUp,
    Resolution,
    ResolutionKind,
    VerificationConclusion,
)
from qualityflow.models.evidence import Evidence
from qualityflow.models.incident import (
    ActionKind,
    ActionStatus,
    ContainmentAction,
    ContainmentKind,
    CorrectiveAction,
    EmergencyTeam,
    ImpactAssessment,
    Incident,
    IncidentStatus,
    RcaMethod,
    RecallDecision,
    RootCauseAnalysis,
    SixM,
    TeamMember,
    Verification,
)
from qualityflow.models.nonconformance import (
    Disposition,
    Nonconformance,
    SupplierAction,
    SupplierResponse,
)
from qualityflow.models.notification import Message, NoticeText, Notification
from qualityflow.models.quantity import Quantity
from qualityflow.models.recall import (
    Consignee,
    EffectivenessLevel,
    Recall,
    RecallGrade,
    RecallStatus,
)
from qualityflow.models.records import (
    Amendment,
    FieldChange,
    Severity,
    Signature,
    TransitionRecord,
)
from qualityflow.models.supplier import (
    Supplier,
    SupplierDecision,
    SupplierEvaluation,
    SupplierStatus,
)

__all__ = [
    "Evidence",
    "SupplierAction",
    "Nonconformance",
    "Disposition",
    "RecallStatus",
    "RecallGrade",
    "Recall",
    "EffectivenessLevel",
    "Consignee",
    "MAX_ID_LENGTH",
    "TOP_LEVEL_MODELS",
    "ActionKind",
    "ActionStatus",
    "Amendment",
    "AwareDatetime",
    "Batch",
    "BatchKind",
    "BatchStatus",
    "Channel",
    "Characteristic",
    "CheckType",
    "Complaint",
    "ComplaintStatus",
    "ComplaintVerification",
    "Contact",
    "ContainmentAction",
    "ContainmentKind",
    "CorrectiveAction",
    "Direction",
    "EmergencyTeam",
    "FieldChange",
    "FollowUp",
    "Id",
    "ImpactAssessment",
    "Incident",
    "IncidentStatus",
    "Inspection",
    "InspectionResult",
    "InspectionStage",
    "NonEmpty",
    "Message",
    "NoticeText",
    "Notification",
    "QFModel",
    "Quantity",
    "RcaMethod",
    "RecallDecision",
    "Resolution",
    "ResolutionKind",
    "RootCauseAnalysis",
    "Severity",
    "Shipment",
    "SixM",
    "Supplier",
    "SupplierDecision",
    "SupplierEvaluation",
    "SupplierStatus",
    "TeamMember",
    "Signature",
    "TransitionRecord",
    "Verification",
    "VerificationConclusion",
    "json_schemas",
]

TOP_LEVEL_MODELS: dict[str, type[BaseModel]] = {
    "Supplier": Supplier,
    "SupplierEvaluation": SupplierEvaluation,
    "Batch": Batch,
    "Shipment": Shipment,
    "Inspection": Inspection,
    "Incident": Incident,
    "Complaint": Complaint,
    "Notification": Notification,
    "Nonconformance": Nonconformance,
    "Disposition": Disposition,
    "SupplierAction": SupplierAction,
    "SupplierResponse": SupplierResponse,
}
"""The models other applications exchange as payloads, by name."""


def json_schemas() -> dict[str, dict[str, Any]]:
    """Return the JSON Schema (draft 2020-12) of every top-level model, by model name.

    Other applications use these to validate payloads before handing them over.

    Examples
    --------
    >>> schemas = json_schemas()
    >>> schemas["Batch"]["properties"]["kind"]["$ref"]
    '#/$defs/BatchKind'

    """
    return {name: model.model_json_schema() for name, model in TOP_LEVEL_MODELS.items()}
