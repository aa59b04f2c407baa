"""Quality incidents and their parts: team, assessment, containment, root cause, actions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum

from pydantic import Field, model_validator

from qualityflow.i18n import _
from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.evidence import Evidence
from qualityflow.models.records import Amendment, Severity, TransitionRecord

__all__ = [
    "ActionKind",
    "ActionStatus",
    "ContainmentAction",
    "ContainmentKind",
    "CorrectiveAction",
    "EmergencyTeam",
    "ImpactAssessment",
    "Incident",
    "IncidentStatus",
    "RcaMethod",
    "RecallDecision",
    "RootCauseAnalysis",
    "SixM",
    "TeamMember",
    "Verification",
]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class IncidentStatus(str, Enum):
    """The states of the incident lifecycle."""

    REPORTED = "reported"
    ASSESSED = "assessed"
    CONTAINED = "contained"
    INVESTIGATING = "investigating"
    CORRECTING = "correcting"
    VERIFYING = "verifying"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SixM(str, Enum):
    """The six cause categories of the fishbone (Ishikawa) diagram."""

    MAN = "man"
    MACHINE = "machine"
    MATERIAL = "material"
    METHOD = "method"
    ENVIRONMENT = "environment"
    MEASUREMENT = "measurement"


class TeamMember(QFModel):
    """A member of the emergency team, from one department, in one role."""

    name: NonEmpty
    role: NonEmpty
    department: NonEmpty


class EmergencyTeam(QFModel):
    """The cross-functional emergency team with its named leader."""

    leader: TeamMember
    members: list[TeamMember] = Field(default_factory=list)

    @property
    def departments(self) -> set[str]:
        """The departments represented, the leader's included."""
        return {self.leader.department, *(m.department for m in self.members)}


class ImpactAssessment(QFModel):
    """The nature, severity and scope of an incident, and whether to recall."""

    severity: Severity
    batch_ids: list[Id] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    risk: str = ""
    recall_required: bool = False
    rationale: str = ""


class ContainmentKind(str, Enum):
    """How suspect product is isolated so it is no longer produced, shipped or used."""

    QUARANTINE = "quarantine"
    HOLD = "hold"
    SCRAP = "scrap"
    RECALL = "recall"
    STOP_SHIPMENT = "stop_shipment"


class ContainmentAction(QFModel):
    """One containment step on one batch."""

    batch_id: Id
    action: ContainmentKind
    by: NonEmpty
    at: AwareDatetime
    note: str = ""
    attachments: list[Evidence] = Field(default_factory=list)


class RecallDecision(QFModel):
    """The decision to recall batches from the market, and from whom."""

    initiated_at: AwareDatetime
    batch_ids: list[Id]
    customer_ids: list[Id] = Field(default_factory=list)
    reason: NonEmpty
    decided_by: str = ""


class RcaMethod(str, Enum):
    """Root-cause analysis methods."""

    FIVE_WHY = "five_why"
    FISHBONE = "fishbone"


class RootCauseAnalysis(QFModel):
    """A root-cause analysis by 5-Why or fishbone, down to the root cause."""

    method: RcaMethod
    problem: NonEmpty
    whys: list[str] = Field(default_factory=list)
    fishbone: dict[SixM, list[str]] = Field(default_factory=dict)
    root_cause: NonEmpty
    category: SixM
    confirmed: bool = False
    attachments: list[Evidence] = Field(default_factory=list)


class ActionKind(str, Enum):
    """Corrective actions remove a cause; preventive ones stop it elsewhere."""

    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


class ActionStatus(str, Enum):
    """Whether a corrective action is finished."""

    OPEN = "open"
    DONE = "done"


class CorrectiveAction(QFModel):
    """A corrective or preventive action with its owner, department and deadline.

    Owner, department and due date may be missing while the action is drafted; the
    lifecycle refuses to start correcting until each action has all three.
    """

    id: Id
    description: NonEmpty
    owner: str | None = None
    department: str | None = None
    due: date | None = None
    kind: ActionKind = ActionKind.CORRECTIVE
    status: ActionStatus = ActionStatus.OPEN
    done_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _done_has_date(self) -> CorrectiveAction:
        if self.done_at is not None and self.status is not ActionStatus.DONE:
            raise ValueError(_("done_at is set but status is not 'done'"))
        return self


class Verification(QFModel):
    """Whether the corrective actions worked, with the evidence."""

    effective: bool
    evidence: NonEmpty
    verified_by: NonEmpty
    at: AwareDatetime
    attachments: list[Evidence] = Field(default_factory=list)


class Incident(QFModel):
    """A product-quality incident, from report to closed loop.

    Only ``id``, ``title`` and ``severity`` are needed to report one; everything else
    starts empty and is filled as the emergency team works.
    """

    id: Id
    title: NonEmpty
    severity: Severity
    status: IncidentStatus = IncidentStatus.REPORTED
    reported_at: AwareDatetime = Field(default_factory=_utcnow)
    reported_by: str = ""
    detected_at: AwareDatetime | None = None
    batch_ids: list[Id] = Field(default_factory=list)
    description: str = ""
    product: str | None = None
    complaint_ids: list[Id] = Field(default_factory=list)
    team: EmergencyTeam | None = None
    assessment: ImpactAssessment | None = None
    containment: list[ContainmentAction] = Field(default_factory=list)
    recall: RecallDecision | None = None
    root_cause: RootCauseAnalysis | None = None
    actions: list[CorrectiveAction] = Field(default_factory=list)
    verification: Verification | None = None
    lessons: list[str] = Field(default_factory=list)
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)
