"""Batches and lots of every kind, shipments, and inspections."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from pydantic import Field, JsonValue, model_validator

from qualityflow.i18n import _
from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.evidence import Evidence
from qualityflow.models.quantity import Quantity
from qualityflow.models.records import Amendment

__all__ = [
    "Batch",
    "BatchKind",
    "BatchStatus",
    "Characteristic",
    "CheckType",
    "Inspection",
    "InspectionResult",
    "InspectionStage",
    "Shipment",
]


class BatchKind(str, Enum):
    """What a batch or lot is in the plant's flow."""

    RAW_MATERIAL = "raw_material"
    PACKAGING = "packaging"
    INTERMEDIATE = "intermediate"
    FINISHED = "finished"


class BatchStatus(str, Enum):
    """Whether a batch may be used or shipped."""

    RELEASED = "released"
    QUARANTINED = "quarantined"
    ON_HOLD = "on_hold"
    RECALLED = "recalled"
    SCRAPPED = "scrapped"


class Batch(QFModel):
    """A batch or lot: a supplier's raw-material lot, a mix, a finished batch.

    Examples
    --------
    >>> Batch(id="FLOUR-0412", kind="raw_material", product="wheat flour",
    ...       quantity=Quantity(amount=1000, unit="kg"), supplier_id="SUP-MILL").status.value
    'released'

    """

    id: Id
    kind: BatchKind
    product: NonEmpty
    quantity: Quantity
    status: BatchStatus = BatchStatus.RELEASED
    supplier_id: Id | None = None
    line: str | None = None
    produced_at: AwareDatetime | None = None
    attributes: dict[str, JsonValue] = Field(default_factory=dict)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)


class Shipment(QFModel):
    """A quantity of one batch shipped to one customer."""

    id: Id
    batch_id: Id
    customer_id: Id
    quantity: Quantity
    shipped_at: AwareDatetime
    region: str | None = None
    version: int = Field(default=0, ge=0)


class InspectionStage(str, Enum):
    """Where in the flow an inspection happens."""

    INCOMING = "incoming"
    IN_PROCESS = "in_process"
    FINAL = "final"


class InspectionResult(str, Enum):
    """The verdict of an inspection."""

    PASS = "pass"
    FAIL = "fail"
    CONDITIONAL = "conditional"


class CheckType(str, Enum):
    """Who checks during production: the operator, a colleague, or a patrolling inspector."""

    SELF = "self"
    MUTUAL = "mutual"
    PATROL = "patrol"


class Characteristic(QFModel):
    """One measured or attribute characteristic of an inspection.

    A numeric characteristic has ``value`` and optional ``lower``/``upper`` limits in
    ``unit``; an attribute characteristic has ``passed``.
    """

    name: NonEmpty
    value: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    unit: str | None = None
    passed: bool | None = None

    @model_validator(mode="after")
    def _measured_or_judged(self) -> Characteristic:
        if self.value is None and self.passed is None:
            raise ValueError(
                _("characteristic {name!r}: give a measured value or passed=True/False").format(
                    name=self.name
                )
            )
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(
                _(
                    "characteristic {name!r}: lower limit {lower} is above upper limit {upper}"
                ).format(name=self.name, lower=self.lower, upper=self.upper)
            )
        return self

    @property
    def conforms(self) -> bool:
        """True when the value lies within the limits and the attribute check passed."""
        if self.passed is False:
            return False
        if self.value is not None:
            if self.lower is not None and self.value < self.lower:
                return False
            if self.upper is not None and self.value > self.upper:
                return False
        return True


class Inspection(QFModel):
    """An inspection of a batch at the incoming, in-process or final stage."""

    id: Id
    batch_id: Id
    stage: InspectionStage
    result: InspectionResult
    at: AwareDatetime | None = None
    inspector: str = ""
    check_type: CheckType | None = None
    characteristics: list[Characteristic] = Field(default_factory=list)
    sample_size: int | None = Field(default=None, ge=0)
    accept: int | None = Field(default=None, ge=0)
    reject: int | None = Field(default=None, ge=1)
    defects: int = Field(default=0, ge=0)
    note: str = ""
    attachments: list[Evidence] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Inspection:
        if self.check_type is not None and self.stage is not InspectionStage.IN_PROCESS:
            raise ValueError(
                _("check_type (self, mutual, patrol) applies only to in_process inspections")
            )
        failed = [c.name for c in self.characteristics if not c.conforms]
        if failed and self.result is InspectionResult.PASS:
            raise ValueError(
                _(
                    "result is 'pass' but characteristic(s) {failed} are out of limits; "
                    "record result 'fail' or 'conditional'"
                ).format(failed=failed)
            )
        if self.accept is not None and self.reject is not None and self.reject <= self.accept:
            raise ValueError(
                _("reject number {reject} must be greater than accept number {accept}").format(
                    reject=self.reject, accept=self.accept
                )
            )
        return self
