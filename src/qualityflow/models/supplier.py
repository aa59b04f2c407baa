"""Suppliers, their approval status, evaluations and status decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from qualityflow.i18n import _
from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.records import Amendment, Signature

__all__ = ["Supplier", "SupplierDecision", "SupplierEvaluation", "SupplierStatus"]


class SupplierStatus(str, Enum):
    """Where a supplier stands on the approved-supplier list."""

    APPROVED = "approved"
    CONDITIONAL = "conditional"
    SUSPENDED = "suspended"
    DISQUALIFIED = "disqualified"


class SupplierEvaluation(QFModel):
    """One period's evaluation of a supplier from weighted criteria.

    ``scores`` holds each criterion's score (0-100), ``weights`` its weight (positive);
    both name the same criteria. :attr:`weighted_total` is the weighted mean.

    Examples
    --------
    >>> e = SupplierEvaluation(period="2026-Q3", scores={"quality": 90, "delivery": 60},
    ...                        weights={"quality": 3, "delivery": 1})
    >>> e.weighted_total
    Decimal('82.5')

    """

    period: NonEmpty
    scores: dict[str, Annotated[Decimal, Field(ge=0, le=100)]]
    weights: dict[str, Annotated[Decimal, Field(gt=0)]]
    evaluated_by: str = ""
    at: AwareDatetime | None = None
    note: str = ""

    @model_validator(mode="after")
    def _criteria_match(self) -> SupplierEvaluation:
        if not self.scores:
            raise ValueError(
                _("scores: give at least one criterion, e.g. {example}").format(
                    example="{'quality': 90}"
                )
            )
        missing = sorted(set(self.scores) - set(self.weights))
        extra = sorted(set(self.weights) - set(self.scores))
        if missing or extra:
            raise ValueError(
                _(
                    "scores and weights must name the same criteria: "
                    "no weight for {missing}, no score for {extra}"
                ).format(missing=missing, extra=extra)
            )
        return self

    @property
    def weighted_total(self) -> Decimal:
        """The weighted mean of the scores, 0-100."""
        total_weight = sum(self.weights.values(), Decimal(0))
        weighted = sum((self.scores[c] * self.weights[c] for c in self.scores), Decimal(0))
        return weighted / total_weight


class SupplierDecision(QFModel):
    """A recorded decision that changed a supplier's status, chained by hash like history.

    ``signature`` is the decision's electronic signature when the policy asks for one
    (``supplier.disqualify``, ``supplier.reapprove``; left out of the hash while empty, so
    older decisions keep their hashes). ``actor`` is the printed name, ``actor_id`` the
    actor's id when it differs (left out of the hash while empty).
    """

    at: AwareDatetime
    actor: NonEmpty
    actor_id: str = ""
    source: SupplierStatus
    dest: SupplierStatus
    reason: NonEmpty
    evidence: str = ""
    signature: Signature | None = None
    prev_hash: str = ""
    hash: str = ""


class Supplier(QFModel):
    """A supplier of raw materials or packaging and its place on the approved list."""

    id: Id
    name: NonEmpty
    status: SupplierStatus = SupplierStatus.APPROVED
    materials: list[str] = Field(default_factory=list)
    country: str | None = None
    contact: str | None = None
    evaluations: list[SupplierEvaluation] = Field(default_factory=list)
    decisions: list[SupplierDecision] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)

    def latest_decision_at(self) -> datetime | None:
        """When the status last changed by decision, or ``None``."""
        return self.decisions[-1].at if self.decisions else None
