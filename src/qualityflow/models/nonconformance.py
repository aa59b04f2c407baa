"""Nonconformances with dispositions by quantity, and supplier corrective actions (SCAR).

A :class:`Nonconformance` records what is wrong with a lot (or with material found on the
line): the quantity affected, the characteristic, the defect and the evidence. Its
:class:`Disposition` parts say what is done with that quantity (used as is under a
concession, reworked, regraded, returned to the supplier, scrapped); several parts may split
one lot, and each part becomes its own child lot in the genealogy (the service does that).

A :class:`SupplierAction` (SCAR, "supplier corrective action request", a supplier 8D) asks
the supplier of a nonconforming lot for its containment, root cause and corrective action,
and records our verification of the answer.

Both are pure data; their lifecycles live in :mod:`qualityflow.lifecycle.nonconformance`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum

from pydantic import Field, model_validator

from qualityflow.i18n import _
from qualityflow.models._base import AwareDatetime, Id, NonEmpty, QFModel
from qualityflow.models.incident import Verification
from qualityflow.models.quantity import Quantity
from qualityflow.models.records import Amendment, Severity, TransitionRecord

__all__ = [
    "DISPOSITION_LABELS",
    "Disposition",
    "DispositionKind",
    "Nonconformance",
    "NonconformanceStatus",
    "ScarStatus",
    "SupplierAction",
    "SupplierResponse",
]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NonconformanceStatus(str, Enum):
    """The states of the nonconformance lifecycle."""

    OPEN = "open"
    DISPOSITIONED = "dispositioned"
    CLOSED = "closed"


class DispositionKind(str, Enum):
    """What is done with a part of the nonconforming quantity."""

    USE_AS_IS = "use_as_is"
    REWORK = "rework"
    REGRADE = "regrade"
    RETURN_TO_SUPPLIER = "return_to_supplier"
    SCRAP = "scrap"


DISPOSITION_LABELS: dict[DispositionKind, str] = {
    DispositionKind.USE_AS_IS: "CONCESSION",
    DispositionKind.REWORK: "REWORK",
    DispositionKind.REGRADE: "REGRADE",
    DispositionKind.RETURN_TO_SUPPLIER: "RETURN",
    DispositionKind.SCRAP: "SCRAP",
}
"""The label in a child lot's id: ``FLOUR-0412/REWORK-1``, ``FLOUR-0412/CONCESSION-1``."""


class Disposition(QFModel):
    """One part of a nonconforming quantity and what is done with it.

    ``approver`` is required for ``use_as_is`` (a concession: somebody with the authority
    accepts the deviation); ``regrade_to`` optionally names the lower grade or product the
    part becomes. ``lot_id`` is the child lot the part became, set by the service (or given,
    to choose the id); ``at`` and ``by`` are set by the service too.

    Examples
    --------
    >>> part = Disposition(kind="rework", quantity=Quantity(amount=500, unit="kg"),
    ...                    note="re-sift through 1 mm mesh")
    >>> part.kind.value, str(part.quantity)
    ('rework', '500 kg')

    """

    kind: DispositionKind
    quantity: Quantity
    note: str = ""
    approver: str | None = None
    regrade_to: str | None = None
    lot_id: Id | None = None
    at: AwareDatetime | None = None
    by: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Disposition:
        if self.quantity.amount <= 0:
            raise ValueError(
                f"a {self.kind.value} disposition of {self.quantity} disposes of nothing: give "
                "a positive quantity"
            )
        if self.regrade_to is not None and self.kind is not DispositionKind.REGRADE:
            raise ValueError(
                f"regrade_to applies to regrade dispositions only, not {self.kind.value}"
            )
        return self


class Nonconformance(QFModel):
    """Something about a lot that does not conform, and what is done with the quantity.

    Opened automatically by a failed or conditional inspection (``inspection_id`` set), or
    by hand for something found on the line (``found_on`` names where). ``quantity`` is the
    quantity affected (held); the dispositions never add up to more than it, in its unit.
    ``incident_id`` is set by an escalation; ``supplier_caused`` says the defect is the
    supplier's (which, like a return to the supplier, allows a SCAR).

    Examples
    --------
    >>> nc = Nonconformance(id="NC-1", batch_id="FLOUR-0412",
    ...     quantity=Quantity(amount=2000, unit="kg"), characteristic="moisture",
    ...     defect="moisture 15.8 % (max 14.5 %)")
    >>> nc.status.value, nc.dispositioned
    ('open', Quantity(amount=Decimal('0'), unit='kg'))

    """

    id: Id
    batch_id: Id
    quantity: Quantity
    characteristic: NonEmpty
    defect: NonEmpty
    status: NonconformanceStatus = NonconformanceStatus.OPEN
    evidence: str = ""
    inspection_id: Id | None = None
    found_on: str | None = None
    supplier_id: Id | None = None
    supplier_caused: bool = False
    opened_at: AwareDatetime = Field(default_factory=_utcnow)
    opened_by: str = ""
    dispositions: list[Disposition] = Field(default_factory=list)
    incident_id: Id | None = None
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)

    @property
    def dispositioned(self) -> Quantity:
        """The quantity the dispositions cover so far (in the held unit).

        Raises :class:`~qualityflow.errors.UnitMismatchError` when a disposition is in
        another unit (the lifecycle never lets one in).
        """
        total = Quantity.zero(self.quantity.unit)
        for part in self.dispositions:
            total = total + part.quantity
        return total

    @property
    def undispositioned(self) -> Quantity:
        """The held quantity no disposition covers yet."""
        done = self.dispositioned
        if done > self.quantity:
            return Quantity.zero(self.quantity.unit)
        return self.quantity - done


class ScarStatus(str, Enum):
    """The states of the supplier corrective action (SCAR) lifecycle."""

    REQUESTED = "requested"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    VERIFIED = "verified"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SupplierResponse(QFModel):
    """The supplier's answer to a SCAR: containment, root cause, corrective action, evidence.

    Validated as one JSON document (``SupplierResponse.model_json_schema()``), so a supplier
    portal can hand it over as is.
    """

    containment: NonEmpty
    root_cause: NonEmpty
    corrective_action: NonEmpty
    evidence: str = ""
    preventive_action: str = ""
    responded_by: NonEmpty
    responded_at: AwareDatetime


class SupplierAction(QFModel):
    """A supplier corrective action request (SCAR, a supplier 8D).

    It answers one or more nonconformances (``nonconformance_ids``), an incident whose
    confirmed root cause is material (``incident_id``), or the supplier's lots that
    :meth:`~qualityflow.QualityFlow.common_causes` pointed at (``batch_ids``, also set
    for an incident: the supplier's lots upstream of it); at least one of the three.
    ``due`` is the day by which the supplier's response is due (overdue after the end of
    that day, UTC, while the SCAR waits for a response). ``verification`` is ours: whether
    the supplier's corrective action worked.

    Examples
    --------
    >>> from datetime import date
    >>> scar = SupplierAction(id="SCAR-1", supplier_id="SUP-MILL", nonconformance_ids=["NC-1"],
    ...                       due=date(2026, 3, 20))
    >>> scar.status.value
    'requested'

    """

    id: Id
    supplier_id: Id
    nonconformance_ids: list[Id] = Field(default_factory=list)
    due: date
    status: ScarStatus = ScarStatus.REQUESTED
    severity: Severity = Severity.MAJOR
    requested_at: AwareDatetime = Field(default_factory=_utcnow)
    requested_by: str = ""
    description: str = ""
    response: SupplierResponse | None = None
    verification: Verification | None = None
    history: list[TransitionRecord] = Field(default_factory=list)
    amendments: list[Amendment] = Field(default_factory=list)
    version: int = Field(default=0, ge=0)
    incident_id: Id | None = None
    batch_ids: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_a_source(self) -> SupplierAction:
        if not (self.nonconformance_ids or self.incident_id or self.batch_ids):
            raise ValueError(
                _(
                    "SCAR {id} says nothing about what it answers: give nonconformance_ids, "
                    "incident_id or the supplier's batch_ids"
                ).format(id=self.id)
            )
        return self

    @property
    def sources(self) -> list[str]:
        """What the SCAR answers, for reading: nonconformances, the incident, the lots.

        >>> SupplierAction(id="S-1", supplier_id="M", incident_id="INC-7",
        ...                batch_ids=["FLOUR-1"], due=date(2099, 1, 1)).sources
        ['INC-7', 'FLOUR-1']
        """
        return [
            *self.nonconformance_ids,
            *([self.incident_id] if self.incident_id else []),
            *self.batch_ids,
        ]
