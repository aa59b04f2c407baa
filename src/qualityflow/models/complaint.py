"""Customer complaints and their parts: contacts, resolution, follow-up."""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.evidence import Evidence
from qualityflow.models.records import Amendment, Severity, TransitionRecord

__all__ = [
    "Channel",
    "Complaint",
    "ComplaintStatus",
    "Contact",
    "Direction",
    "FollowUp",
    "Resolution",
    "ResolutionKind",
]


class Channel(str, Enum):
    """How a complaint or contact reached us (multi-channel intake)."""

    PHONE = "phone"
    EMAIL = "email"
    ONLINE_CHAT = "online_chat"
    SOCIAL_MEDIA = "social_media"
    IN_PERSON = "in_person"
    DISTRIBUTOR = "distributor"
    PLATFORM_12315 = "platform_12315"
    """Forwarded by the regulator's 12315 platform (全国12315平台): its clocks apply."""
    ECOMMERCE = "ecommerce"
    """An e-commerce platform's complaint or review channel (Tmall, JD, Pinduoduo...)."""
    WECHAT = "wechat"
    LETTER = "letter"


class ComplaintStatus(str, Enum):
    """The states of the complaint lifecycle."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    VERIFYING = "verifying"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"


class Direction(str, Enum):
    """Whether the customer contacted us or we contacted the customer."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Contact(QFModel):
    """One exchange with the customer."""

    at: AwareDatetime
    direction: Direction
    channel: Channel
    message: NonEmpty
    by: NonEmpty
    attachments: list[Evidence] = Field(default_factory=list)


class ResolutionKind(str, Enum):
    """The remedy offered to the customer."""

    REFUND = "refund"
    REPLACEMENT = "replacement"
    REPAIR = "repair"
    COMPENSATION = "compensation"
    EXPLANATION = "explanation"


class Resolution(QFModel):
    """The response and remedy, and when the customer was told."""

    kind: ResolutionKind
    description: NonEmpty
    communicated_at: AwareDatetime | None = None


class FollowUp(QFModel):
    """The satisfaction follow-up: the customer's verdict, or the failed attempts to reach them."""

    at: AwareDatetime
    satisfied: bool | None = None
    score: int | None = Field(default=None, ge=1, le=5)
    attempts: int = Field(default=1, ge=0)
    note: str = ""


class Complaint(QFModel):
    """A customer complaint, from intake to the satisfaction follow-up."""

    id: Id
    customer_id: Id
    channel: Channel
    received_at: AwareDatetime
    description: NonEmpty
    batch_ids: list[Id] = Field(default_factory=list)
    severity: Severity = Severity.MINOR
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    product: str | None = None
    category: str | None = None
    contacts: list[Contact] = Field(default_factory=list)
    resolution: Resolution | None = None
    follow_up: FollowUp | None = None
    rejection_reason: str | None = None
    incident_id: Id | None = None
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)
