"""Customer complaints and their parts: contacts, resolution, follow-up."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, model_validator

from qualityflow.i18n import _
from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.evidence import Evidence
from qualityflow.models.records import Amendment, Severity, TransitionRecord

__all__ = [
    "Channel",
    "Complaint",
    "ComplaintStatus",
    "ComplaintVerification",
    "Contact",
    "Direction",
    "FollowUp",
    "Resolution",
    "ResolutionKind",
    "VerificationConclusion",
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


class VerificationConclusion(str, Enum):
    """What the information verification found (规范投诉受理与信息核实)."""

    OUR_PRODUCT = "our_product"
    """The complaint concerns our product: it may be investigated."""
    NOT_OUR_PRODUCT = "not_our_product"
    """Not our product (another maker's, a counterfeit, not bought from us): reject it."""
    INCONCLUSIVE = "inconclusive"
    """Not settled yet: ask for the sample, photos or the lot number and verify again."""


class ComplaintVerification(QFModel):
    """The check of a complaint's information before it is investigated.

    Recorded with the complaint's ``investigate`` trigger (``conclusion`` our_product) or
    its ``reject`` trigger (not_our_product: the finding is the rejection's reason), as
    ``information_verification=...``. ``finding`` says what was found; it is required
    unless the conclusion is our_product.

    Examples
    --------
    >>> v = ComplaintVerification(product_confirmed=True, lot_confirmed=True,
    ...     photo_evidence=True, conclusion="our_product", by="QA Li",
    ...     at="2026-03-02T10:00:00+00:00")
    >>> v.conclusion.value, v.counterfeit_suspected
    ('our_product', False)

    """

    product_confirmed: bool = False
    """The product named is one we make (name, packaging, label checked)."""
    lot_confirmed: bool = False
    """The lot (batch code, best-before date) was read and is one of ours."""
    proof_of_purchase: bool = False
    """A receipt, order number or platform order shows where and when it was bought."""
    sample_received: bool = False
    """The complained-about sample is in our hands."""
    photo_evidence: bool = False
    """Photos or a video of the product and the defect were received."""
    counterfeit_suspected: bool = False
    """The packaging, code or seller suggests a counterfeit."""
    conclusion: VerificationConclusion
    finding: str = ""
    by: NonEmpty
    at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> ComplaintVerification:
        if self.conclusion is VerificationConclusion.OUR_PRODUCT:
            if not self.product_confirmed:
                raise ValueError(
                    _(
                        "conclusion our_product needs product_confirmed=True: check the "
                        "product's name, packaging and label first, or conclude inconclusive"
                    )
                )
            if not (self.sample_received or self.photo_evidence):
                raise ValueError(
                    _(
                        "conclusion our_product needs sample_received=True or "
                        "photo_evidence=True: ask the customer for the sample or photos "
                        "of the product and the defect, or conclude inconclusive"
                    )
                )
            if self.counterfeit_suspected:
                raise ValueError(
                    _(
                        "conclusion our_product contradicts counterfeit_suspected=True: "
                        "check the sample against our packaging and codes, then conclude "
                        "our_product or not_our_product (inconclusive until then)"
                    )
                )
        elif not self.finding.strip():
            raise ValueError(
                _(
                    "conclusion {conclusion} needs a finding: say what was found (for example "
                    "'lot code 2403A is not one of ours'), the customer is told it"
                ).format(conclusion=self.conclusion.value)
            )
        return self

    @property
    def concerns_our_product(self) -> bool:
        """Whether the verification concluded that the complaint concerns our product."""
        return self.conclusion is VerificationConclusion.OUR_PRODUCT


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
    information_verification: ComplaintVerification | None = None
    """Recorded with ``investigate`` or ``reject`` only (never by save())."""
    incident_id: Id | None = None
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)
