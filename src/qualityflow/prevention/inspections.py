"""Inspections at the three stages and the release rules they feed.

* :func:`evaluate_inspection` builds an :class:`~qualityflow.Inspection` whose result is
  derived, not typed in: any characteristic out of its limits (or judged failed) fails it,
  and so do defects reaching the sampling plan's rejection number.
* :func:`apply_inspection` updates the inspected batch's status: a failed inspection puts a
  released batch on hold, whatever the stage. A pass never lifts a hold by itself (the hold
  may come from an incident's containment); releasing again is a decision, and
  :func:`release_blockers` says whether it may be taken.
* :func:`release_blockers` lists why a batch may not be released: recalled or scrapped, the
  latest inspection at some stage failed, a finished batch without a passed final
  inspection (when the plant's settings require one), or a lot from a suspended or
  disqualified supplier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from qualityflow.models import (
    Batch,
    BatchKind,
    BatchStatus,
    Characteristic,
    CheckType,
    Inspection,
    InspectionResult,
    InspectionStage,
    Supplier,
)
from qualityflow.prevention.sampling import SamplingPlan
from qualityflow.prevention.suppliers import BLOCKED_SUPPLIER_STATUSES, LinkOverride

__all__ = ["apply_inspection", "evaluate_inspection", "latest_inspections", "release_blockers"]


def evaluate_inspection(
    *,
    id: str,
    batch_id: str,
    stage: InspectionStage | str,
    characteristics: Sequence[Characteristic] = (),
    plan: SamplingPlan | None = None,
    defects: int = 0,
    at: datetime | None = None,
    inspector: str = "",
    check_type: CheckType | str | None = None,
    note: str = "",
) -> Inspection:
    """Build an inspection whose result follows from what was measured and found.

    The result is ``fail`` when a characteristic does not conform, or when ``defects``
    reaches the plan's rejection number (with no plan: when any defect is found);
    otherwise ``pass``. The plan's sample size and Ac/Re numbers are recorded on it.

    Examples
    --------
    >>> import qualityflow as qf
    >>> moisture = qf.Characteristic(name="moisture", value=15.2, upper=14.5, unit="%")
    >>> check = evaluate_inspection(id="IQC-7", batch_id="FLOUR-7", stage="incoming",
    ...                             characteristics=[moisture])
    >>> check.result.value
    'fail'
    >>> plan = qf.sampling_plan(1000, 2.5)
    >>> evaluate_inspection(id="FQC-1", batch_id="BISC-1", stage="final", plan=plan,
    ...                     defects=5).result.value
    'pass'

    """
    nonconforming = [c.name for c in characteristics if not c.conforms]
    reasons: list[str] = []
    if nonconforming:
        reasons.append("out of limits: " + ", ".join(nonconforming))
    if plan is not None:
        if defects >= plan.reject:
            reasons.append(
                f"{defects} nonconforming in a sample of {plan.sample_size} "
                f"reaches Re {plan.reject} (AQL {plan.aql})"
            )
    elif defects > 0:
        reasons.append(f"{defects} defect(s) found and no sampling plan accepts any")
    text = note
    if reasons and not note:
        text = "; ".join(reasons)
    return Inspection(
        id=id,
        batch_id=batch_id,
        stage=InspectionStage(stage),
        result=InspectionResult.FAIL if reasons else InspectionResult.PASS,
        at=at,
        inspector=inspector,
        check_type=CheckType(check_type) if check_type is not None else None,
        characteristics=list(characteristics),
        sample_size=plan.sample_size if plan is not None else None,
        accept=plan.accept if plan is not None else None,
        reject=plan.reject if plan is not None else None,
        defects=defects,
        note=text,
    )


def apply_inspection(batch: Batch, inspection: Inspection) -> BatchStatus:
    """Update ``batch``'s status from ``inspection`` and return the status.

    A failed inspection puts a released batch on hold (quarantined, recalled and scrapped
    batches keep their status). A pass or a conditional result (accepted under concession)
    changes nothing.

    Raises
    ------
    ValueError
        When the inspection is of another batch.

    Examples
    --------
    >>> import qualityflow as qf
    >>> lot = qf.Batch(id="FLOUR-7", kind="raw_material", product="wheat flour",
    ...                quantity=qf.Quantity(amount=1000, unit="kg"))
    >>> apply_inspection(lot, qf.Inspection(id="IQC-7", batch_id="FLOUR-7",
    ...                                     stage="incoming", result="fail")).value
    'on_hold'

    """
    if inspection.batch_id != batch.id:
        raise ValueError(
            f"inspection {inspection.id} is of batch {inspection.batch_id}, not {batch.id}"
        )
    if inspection.result is InspectionResult.FAIL and batch.status is BatchStatus.RELEASED:
        batch.status = BatchStatus.ON_HOLD
    return batch.status


def latest_inspections(
    batch_id: str, inspections: Iterable[Inspection]
) -> dict[InspectionStage, Inspection]:
    """Return the latest inspection of ``batch_id`` per stage (by ``at``, then order)."""
    latest: dict[InspectionStage, Inspection] = {}
    for inspection in inspections:
        if inspection.batch_id != batch_id:
            continue
        previous = latest.get(inspection.stage)
        if (
            previous is None
            or previous.at is None
            or inspection.at is None
            or inspection.at >= previous.at
        ):
            latest[inspection.stage] = inspection
    return latest


def release_blockers(
    batch: Batch,
    inspections: Iterable[Inspection],
    *,
    require_final_inspection: bool = True,
    supplier: Supplier | None = None,
    override: LinkOverride | None = None,
) -> list[str]:
    """Return why ``batch`` may not be released now (empty when it may).

    Parameters
    ----------
    batch
        The batch or lot to release.
    inspections
        Inspections of the plant (those of other batches are ignored).
    require_final_inspection
        The plant's setting: a finished batch needs a passed (or conditionally accepted)
        final inspection.
    supplier, override
        The lot's supplier, and an override lifting a suspended/disqualified block.

    Examples
    --------
    >>> import qualityflow as qf
    >>> bisc = qf.Batch(id="BISC-1", kind="finished", product="butter biscuits",
    ...                 quantity=qf.Quantity(amount=4000, unit="pack"), status="on_hold")
    >>> release_blockers(bisc, [])
    ['finished batch BISC-1 has no final inspection; record a passed one before release']

    """
    blockers: list[str] = []
    if batch.status in (BatchStatus.RECALLED, BatchStatus.SCRAPPED):
        blockers.append(f"batch {batch.id} is {batch.status.value} and cannot be released")
    latest = latest_inspections(batch.id, inspections)
    for stage in InspectionStage:
        found = latest.get(stage)
        if found is not None and found.result is InspectionResult.FAIL:
            blockers.append(
                f"the latest {stage.value.replace('_', '-')} inspection of {batch.id} "
                f"({found.id}) failed; re-inspect or scrap"
            )
    if (
        require_final_inspection
        and batch.kind is BatchKind.FINISHED
        and InspectionStage.FINAL not in latest
    ):
        blockers.append(
            f"finished batch {batch.id} has no final inspection; record a passed one before release"
        )
    if (
        supplier is not None
        and supplier.status in BLOCKED_SUPPLIER_STATUSES
        and (override is None or (override.lot_id is not None and override.lot_id != batch.id))
    ):
        blockers.append(
            f"lot {batch.id} comes from supplier {supplier.id} ({supplier.name}), which is "
            f"{supplier.status.value}; record an override with a reason and an approver"
        )
    return blockers
