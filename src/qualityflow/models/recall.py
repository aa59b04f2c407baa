"""The recall as a case: its scope, its consignees, their notices, returns and checks.

A :class:`Recall` is opened from an incident's recall decision. Its scope (the lots, the
shipments and the consignees with the quantities they received) is computed from the
genealogy when it is opened and then kept with the recall, so later changes to the plant's
records do not move what the recall is accountable for. Each :class:`Consignee` carries the
notice it was sent, its confirmation, what it returned, destroyed on site or corrected, or
why it cannot be reached, and the effectiveness check made with it.

Quantities are kept per unit: a consignee that received packs and cartons is accounted for
in both. What is recovered never exceeds what was shipped, unit by unit (the model refuses
it), and a quantity in a unit that was not shipped to the consignee is refused.

The legal clocks are stored with the recall (:class:`LegalClock`, copied from the presets
when it is opened), so the recall is judged by the rules that applied when it was opened.

Examples
--------
>>> from datetime import datetime, timezone
>>> t = datetime(2026, 3, 5, 11, 0, tzinfo=timezone.utc)
>>> packs = lambda n: Quantity(amount=n, unit="pack")
>>> c = Consignee(id="CUST-MEGAMART", shipment_ids=["SHP-9003"], shipped=[packs(1200)])
>>> c = c.model_copy(update={"returns": [RecallReturn(at=t, by="Sam Patel",
...     returned=packs(1000), destroyed=packs(200))]})
>>> str(c.still_at_customer()[0]), c.accounted_for
('0 pack', True)

"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Literal

from pydantic import Field, model_validator

from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.evidence import Evidence
from qualityflow.models.quantity import Quantity
from qualityflow.models.records import Amendment, Severity, TransitionRecord

__all__ = [
    "EFFECTIVENESS_SHARE",
    "AuthorityReport",
    "Confirmation",
    "Consignee",
    "EffectivenessCheck",
    "EffectivenessLevel",
    "LegalClock",
    "Recall",
    "RecallGrade",
    "RecallNotice",
    "RecallReturn",
    "RecallShipment",
    "RecallStatus",
    "Unreachable",
    "per_unit",
    "recovery_problems",
]


class RecallGrade(str, Enum):
    """The recall grade (China: 一级/二级/三级 召回; FDA: class I/II/III), I the most serious."""

    I = "I"  # noqa: E741 - the grade's own name
    II = "II"
    III = "III"

    @property
    def severity(self) -> Severity:
        """The severity a grade stands for in deadlines and notifications (I: critical)."""
        return {"I": Severity.CRITICAL, "II": Severity.MAJOR, "III": Severity.MINOR}[self.value]


class RecallStatus(str, Enum):
    """The states of the recall lifecycle."""

    PLANNED = "planned"
    NOTIFIED = "notified"
    RECOVERING = "recovering"
    COMPLETED = "completed"
    CLOSED = "closed"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class EffectivenessLevel(str, Enum):
    """FDA 21 CFR 7.42(b)(3) effectiveness-check levels: the share of consignees to check.

    A: every consignee; B: a share decided case by case, more than 10 % and less than
    100 %; C: 10 %; D: 2 %; E: no effectiveness checks. See :data:`EFFECTIVENESS_SHARE`.
    """

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


EFFECTIVENESS_SHARE: dict[EffectivenessLevel, Decimal] = {
    EffectivenessLevel.A: Decimal(1),
    EffectivenessLevel.B: Decimal("0.5"),
    EffectivenessLevel.C: Decimal("0.1"),
    EffectivenessLevel.D: Decimal("0.02"),
    EffectivenessLevel.E: Decimal(0),
}
"""The share of consignees each level checks, from 21 CFR 7.42(b)(3)(i)-(v).

A (100 %), C (10 %), D (2 %) and E (none) are the regulation's figures. For B the
regulation gives no figure ("some percentage ... determined on a case-by-case basis, but
greater than 10 percent and less than 100 percent"): the 50 % here is a placeholder, set
``Recall.effectiveness_share`` to the share agreed with the authority.
"""


def per_unit(quantities: Iterable[Quantity]) -> dict[str, Quantity]:
    """Sum quantities unit by unit: ``{"pack": 5100 pack, "kg": 12 kg}`` (sorted by unit).

    Examples
    --------
    >>> per_unit([Quantity(amount=2, unit="kg"), Quantity(amount=3, unit="kg")])
    {'kg': Quantity(amount=Decimal('5'), unit='kg')}

    """
    totals: dict[str, Quantity] = {}
    for q in quantities:
        totals[q.unit] = totals[q.unit] + q if q.unit in totals else q
    return dict(sorted(totals.items()))


class LegalClock(QFModel):
    """One legal clock stored with a recall (a copy of a preset's ``Clock``).

    ``step`` is due ``amount`` ``unit`` after the ``start`` event (``"learned"``: the recall
    decision; ``"notice"``: the recall notice issued), under ``legal_basis``.
    """

    preset: str
    step: NonEmpty
    start: NonEmpty
    amount: int = Field(ge=0)
    unit: Literal["hours", "working_days", "days", "days_rolled"]
    legal_basis: str
    grade: str | None = None
    target: bool = False


class RecallShipment(QFModel):
    """One shipment in a recall's scope: which lot went to which consignee, how much."""

    shipment_id: Id
    batch_id: Id
    customer_id: Id
    quantity: Quantity
    region: str | None = None
    shipped_at: AwareDatetime | None = None


class RecallNotice(QFModel):
    """The recall notice sent to one consignee: how (``channel``), when and by whom."""

    channel: NonEmpty
    at: AwareDatetime
    by: NonEmpty
    message: str = ""


class Confirmation(QFModel):
    """The consignee's confirmation that it received the notice and acts on it."""

    at: AwareDatetime
    by: NonEmpty
    note: str = ""


class RecallReturn(QFModel):
    """What a consignee sent back, destroyed on site or corrected, with the evidence.

    Each of ``returned``, ``destroyed`` and ``corrected`` is optional; at least one is given.
    """

    at: AwareDatetime
    by: NonEmpty
    returned: Quantity | None = None
    destroyed: Quantity | None = None
    corrected: Quantity | None = None
    evidence: str = ""
    attachments: list[Evidence] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> RecallReturn:
        if self.returned is None and self.destroyed is None and self.corrected is None:
            raise ValueError("a return records a returned, destroyed or corrected quantity")
        return self

    def quantities(self) -> list[Quantity]:
        """Return the quantities this entry accounts for (returned, destroyed, corrected)."""
        return [q for q in (self.returned, self.destroyed, self.corrected) if q is not None]


class Unreachable(QFModel):
    """Why the rest of a consignee's product cannot be recovered (closed shop, sold out...)."""

    reason: NonEmpty
    at: AwareDatetime
    by: NonEmpty


class AuthorityReport(QFModel):
    """A report made to an authority for one legal step (``"report_plan"``, ``"report"``...).

    Recording it meets the step's deadline; ``reference`` is the authority's case number.
    """

    step: NonEmpty
    at: AwareDatetime
    by: NonEmpty
    to: NonEmpty
    reference: str = ""
    note: str = ""


class EffectivenessCheck(QFModel):
    """An effectiveness check (21 CFR 7.42(b)(3)) made with one consignee."""

    at: AwareDatetime
    by: NonEmpty
    effective: bool
    method: str = ""
    note: str = ""


class Consignee(QFModel):
    """One consignee in a recall's scope and how far its part of the recall has got.

    ``shipped`` holds one quantity per unit (what the consignee received of the recalled
    lots); the returns never exceed it, unit by unit.
    """

    id: Id
    shipment_ids: list[Id] = Field(default_factory=list)
    shipped: list[Quantity] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    notice: RecallNotice | None = None
    confirmation: Confirmation | None = None
    returns: list[RecallReturn] = Field(default_factory=list)
    unreachable: Unreachable | None = None
    check: EffectivenessCheck | None = None

    @model_validator(mode="after")
    def _within_shipped(self) -> Consignee:
        problems = recovery_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def recovered(self) -> dict[str, Quantity]:
        """Return the returned, destroyed and corrected quantities, per unit."""
        return per_unit(q for entry in self.returns for q in entry.quantities())

    def still_at_customer(self) -> list[Quantity]:
        """Return what the consignee still holds, per shipped unit (shipped minus recovered)."""
        recovered = self.recovered()
        return [q - recovered[q.unit] if q.unit in recovered else q for q in self.shipped]

    @property
    def accounted_for(self) -> bool:
        """Everything shipped is recovered, or the consignee is unreachable with a reason."""
        if self.unreachable is not None:
            return True
        return all(q.amount == 0 for q in self.still_at_customer())


def recovery_problems(consignee: Consignee) -> list[str]:
    """Return what is wrong with a consignee's returns (a unit not shipped, too much)."""
    shipped = per_unit(consignee.shipped)
    problems = []
    for unit, quantity in consignee.recovered().items():
        if unit not in shipped:
            units = ", ".join(shipped) or "nothing"
            problems.append(
                f"consignee {consignee.id} was shipped {units}, not {unit!r}: record its "
                f"returns in the shipped unit"
            )
        elif quantity > shipped[unit]:
            problems.append(
                f"consignee {consignee.id} would have {quantity} recovered but was shipped "
                f"only {shipped[unit]}: recovered quantities cannot exceed what was shipped"
            )
    return problems


class Recall(QFModel):
    """A product recall run as a case, from the plan to the closing summary.

    Opened with ``qms.recalls.open(incident_id, grade=..., presets=...)`` from the
    incident's recall decision; ``learned_at`` is the decision's time (when the clocks that
    count from learning of the risk start) and ``notice_at`` the time the recall notice was
    issued (set by the ``start`` trigger; the completion clocks count from it).
    """

    id: Id
    incident_id: Id
    grade: RecallGrade
    status: RecallStatus = RecallStatus.PLANNED
    reason: NonEmpty
    product: str | None = None
    opened_at: AwareDatetime
    opened_by: NonEmpty
    learned_at: AwareDatetime
    notice_at: AwareDatetime | None = None
    batch_ids: list[Id] = Field(default_factory=list)
    shipments: list[RecallShipment] = Field(default_factory=list)
    consignees: list[Consignee] = Field(default_factory=list)
    in_house: list[Quantity] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    presets: list[str] = Field(default_factory=list)
    clocks: list[LegalClock] = Field(default_factory=list)
    calendar_region: str = "weekdays"
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    time_zone: str | None = None
    effectiveness_level: EffectivenessLevel = EffectivenessLevel.A
    effectiveness_share: Decimal | None = Field(default=None, ge=0, le=1)
    recovery_target: Decimal | None = Field(default=None, ge=0, le=1)
    public_notice: str = ""
    authority_reports: list[AuthorityReport] = Field(default_factory=list)
    summary: str | None = None
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)

    @property
    def severity(self) -> Severity:
        """The severity the grade stands for (I: critical, II: major, III: minor)."""
        return self.grade.severity

    def consignee(self, id: str) -> Consignee:
        """Return the consignee ``id``; a ``KeyError`` naming those in scope otherwise."""
        for c in self.consignees:
            if c.id == id:
                return c
        known = ", ".join(c.id for c in self.consignees) or "none"
        raise KeyError(f"{id!r} is not a consignee of recall {self.id} (in scope: {known})")

    def shipped(self) -> dict[str, Quantity]:
        """Return what left the plant to the consignees, per unit."""
        return per_unit(q for c in self.consignees for q in c.shipped)

    def recovered(self) -> dict[str, Quantity]:
        """Return what was returned, destroyed on site or corrected, per unit."""
        return per_unit(q for c in self.consignees for q in c.recovered().values())

    def checks_required(self) -> int:
        """How many consignees the effectiveness level asks to check (rounded up)."""
        share = self.effectiveness_share
        if share is None:
            share = EFFECTIVENESS_SHARE[self.effectiveness_level]
        n = len(self.consignees)
        return min(n, math.ceil(share * n))
