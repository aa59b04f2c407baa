"""The approved-supplier list: status decisions, their audit chain, and the link rule.

A supplier's status (approved, conditional, suspended, disqualified) changes only through
:func:`decide`, which records who decided, when, why and on what evidence, as a
:class:`~qualityflow.SupplierDecision` chained by hash to the decision before it (the same
chain as the incident and complaint histories, :mod:`qualityflow.lifecycle.audit`).

Decision rules (refused decisions raise :class:`~qualityflow.TransitionError` with trigger
``"decide"`` and change nothing):

* ``actor`` and ``reason`` must be non-empty, and the status must actually change;
* moving a supplier *up* out of ``suspended`` (to conditional or approved) needs
  ``evidence``: the audit, the corrective-action report, the passed trial lots;
* a ``disqualified`` supplier may only come back as ``conditional`` (on probation), with
  evidence; it cannot be approved in one step;
* ``at`` must be timezone-aware and not earlier than the last decision.

Raw-material and packaging lots from a suspended or disqualified supplier may not be
consumed: :func:`link_blockers` says why, and a :class:`LinkOverride` with a reason and an
approver lifts that block (and only that one: a lot on hold, quarantined, recalled or
scrapped stays blocked).
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import Field

from qualityflow.errors import GenealogyError, TransitionError
from qualityflow.lifecycle.audit import chain, verify_history
from qualityflow.models import (
    AwareDatetime,
    Batch,
    BatchStatus,
    Id,
    NonEmpty,
    Notification,
    QFModel,
    Severity,
    Supplier,
    SupplierDecision,
    SupplierStatus,
)

__all__ = [
    "BLOCKED_SUPPLIER_STATUSES",
    "LinkOverride",
    "decide",
    "ensure_linkable",
    "link_blockers",
    "status_change_notification",
    "verify_decisions",
]


BLOCKED_SUPPLIER_STATUSES: frozenset[SupplierStatus] = frozenset(
    {SupplierStatus.SUSPENDED, SupplierStatus.DISQUALIFIED}
)
"""Statuses whose lots may not be released or consumed without an override."""

_RANK: dict[SupplierStatus, int] = {
    SupplierStatus.APPROVED: 3,
    SupplierStatus.CONDITIONAL: 2,
    SupplierStatus.SUSPENDED: 1,
    SupplierStatus.DISQUALIFIED: 0,
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _describe(supplier: Supplier) -> str:
    return f"supplier {supplier.id} ({supplier.name})"


def decide(
    supplier: Supplier,
    status: SupplierStatus | str,
    *,
    actor: str,
    reason: str,
    evidence: str = "",
    at: datetime | None = None,
) -> SupplierDecision:
    """Change ``supplier``'s status by a recorded, hash-chained decision.

    Appends a :class:`~qualityflow.SupplierDecision` to ``supplier.decisions`` and sets
    ``supplier.status``. The rules are in the module documentation.

    Parameters
    ----------
    supplier
        The supplier; changed in place when the decision is accepted.
    status
        The new status (``"approved"``, ``"conditional"``, ``"suspended"``,
        ``"disqualified"``).
    actor
        Who decided (name or role), e.g. ``"Purchasing manager R. Okafor"``.
    reason
        Why, in a sentence: ``"3 of the last 5 lots failed incoming inspection"``.
    evidence
        What the decision rests on: scorecard period, audit or report references.
    at
        When (timezone-aware); now by default.

    Returns
    -------
    SupplierDecision
        The recorded decision (also the last item of ``supplier.decisions``).

    Raises
    ------
    TransitionError
        ``trigger="decide"``, ``state`` the current status, ``reasons`` what is wrong;
        the supplier is left unchanged.

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    >>> d = decide(mill, "conditional", actor="QA manager",
    ...            reason="2 of 4 flour lots failed incoming inspection in March")
    >>> mill.status.value, d.source.value, d.dest.value
    ('conditional', 'approved', 'conditional')
    >>> verify_decisions(mill)
    True

    """
    current = supplier.status
    reasons: list[str] = []
    dest: SupplierStatus | None
    try:
        dest = SupplierStatus(status)
    except ValueError:
        dest = None
        reasons.append(
            f"status {status!r} is unknown: use one of "
            + ", ".join(s.value for s in SupplierStatus)
        )
    if not actor or not actor.strip():
        reasons.append("actor is empty: say who takes the decision")
    if not reason or not reason.strip():
        reasons.append("reason is empty: say why the status changes")
    when = _now() if at is None else at
    if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
        reasons.append("at is a naive datetime: give a timezone-aware one")
    elif supplier.decisions and when < supplier.decisions[-1].at:
        reasons.append(
            f"at {when.isoformat()} is earlier than the last decision "
            f"({supplier.decisions[-1].at.isoformat()}): decisions are recorded in order"
        )
    if dest is not None:
        if dest is current:
            reasons.append(f"{_describe(supplier)} is already {current.value}")
        elif current is SupplierStatus.DISQUALIFIED and dest is not SupplierStatus.CONDITIONAL:
            reasons.append(
                f"{_describe(supplier)} is disqualified: it can only be re-qualified as "
                "conditional (on probation), not made "
                f"{dest.value} in one step"
            )
        if (
            current in BLOCKED_SUPPLIER_STATUSES
            and _RANK[dest] > _RANK[current]
            and not evidence.strip()
        ):
            reasons.append(
                f"leaving {current.value} needs evidence (audit report, corrective-action "
                "report, passed trial lots)"
            )
    if reasons or dest is None:
        raise TransitionError("decide", current.value, reasons)
    record = chain(
        supplier.decisions,
        SupplierDecision(
            at=when,
            actor=actor,
            source=current,
            dest=dest,
            reason=reason,
            evidence=evidence,
        ),
    )
    supplier.decisions = [*supplier.decisions, record]
    supplier.status = dest
    return record


def verify_decisions(supplier: Supplier) -> bool:
    """Return whether ``supplier``'s decisions form an intact chain that ends in its status.

    An edited, removed, inserted or reordered decision, or a status set without a decision,
    makes this ``False``.

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    >>> _ = decide(mill, "suspended", actor="QA", reason="mould in two lots")
    >>> mill.decisions[0] = mill.decisions[0].model_copy(update={"reason": "price"})
    >>> verify_decisions(mill)
    False

    """
    return verify_history(supplier)


def status_change_notification(
    supplier: Supplier, decision: SupplierDecision, *, recipients: list[str] | None = None
) -> Notification:
    """Build the ``supplier_status`` notification the service sends after a decision.

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    >>> n = status_change_notification(mill, decide(mill, "suspended", actor="QA",
    ...                                                reason="mould in two lots"))
    >>> n.title
    'Supplier SUP-MILL (Northfield Mill): approved -> suspended'

    """
    downgraded = _RANK[decision.dest] < _RANK[decision.source]
    severity: Severity | None = None
    if decision.dest in BLOCKED_SUPPLIER_STATUSES:
        severity = Severity.MAJOR
    elif downgraded:
        severity = Severity.MINOR
    body = f"Decided by {decision.actor} at {decision.at.isoformat()}: {decision.reason}"
    if decision.evidence:
        body += f"\nEvidence: {decision.evidence}"
    if decision.dest in BLOCKED_SUPPLIER_STATUSES:
        body += "\nIts lots may not be released or consumed without a recorded override."
    return Notification(
        kind="supplier_status",
        subject_kind="supplier",
        subject_id=supplier.id,
        title=(
            f"Supplier {supplier.id} ({supplier.name}): "
            f"{decision.source.value} -> {decision.dest.value}"
        ),
        body=body,
        severity=severity,
        recipients=list(recipients or []),
        at=decision.at,
    )


class LinkOverride(QFModel):
    """A recorded exception that lets a lot from a suspended or disqualified supplier be used.

    ``reason`` says why (e.g. the lot was re-tested and passed), ``approver`` who takes
    responsibility. ``lot_id``, when given, limits the override to that lot.

    Examples
    --------
    >>> LinkOverride(reason="lot re-tested by external lab, report L-2291",
    ...              approver="QA manager").lot_id is None
    True

    """

    reason: NonEmpty
    approver: NonEmpty
    at: AwareDatetime = Field(default_factory=_now)
    lot_id: Id | None = None


def link_blockers(
    lot: Batch, supplier: Supplier | None, override: LinkOverride | None = None
) -> list[str]:
    """Return why ``lot`` may not be consumed into a batch now (empty when it may).

    Blocks a lot that is on hold, quarantined, recalled or scrapped, and a lot whose
    supplier is suspended or disqualified. An ``override`` (reason and approver) lifts the
    supplier block only. A conditional supplier does not block. ``supplier`` is the lot's
    supplier as known to the caller (``None`` when the lot has none or it is not on file).

    Raises
    ------
    ValueError
        When ``supplier`` is not the lot's supplier.

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill", status="suspended")
    >>> flour = qf.Batch(id="FLOUR-9", kind="raw_material", product="wheat flour",
    ...                  quantity=qf.Quantity(amount=500, unit="kg"), supplier_id="SUP-MILL")
    >>> print(*link_blockers(flour, mill))  # doctest: +NORMALIZE_WHITESPACE
    lot FLOUR-9 comes from supplier SUP-MILL (Northfield Mill), which is suspended; record an
    override with a reason and an approver to use it anyway
    >>> link_blockers(flour, mill, LinkOverride(reason="re-tested, passed", approver="QA manager"))
    []

    """
    if supplier is not None and lot.supplier_id is not None and supplier.id != lot.supplier_id:
        raise ValueError(
            f"lot {lot.id} comes from supplier {lot.supplier_id}, not {supplier.id}: "
            "pass the lot's own supplier"
        )
    blockers: list[str] = []
    if lot.status is not BatchStatus.RELEASED:
        blockers.append(
            f"lot {lot.id} is {lot.status.value.replace('_', ' ')}; "
            "it must be released before it is used"
        )
    if supplier is not None and supplier.status in BLOCKED_SUPPLIER_STATUSES:
        text = f"lot {lot.id} comes from {_describe(supplier)}, which is {supplier.status.value}"
        if override is None:
            blockers.append(
                text + "; record an override with a reason and an approver to use it anyway"
            )
        elif override.lot_id is not None and override.lot_id != lot.id:
            blockers.append(text + f"; the override given is for lot {override.lot_id}")
    return blockers


def ensure_linkable(
    lot: Batch, supplier: Supplier | None, override: LinkOverride | None = None
) -> None:
    """Raise :class:`~qualityflow.GenealogyError` listing :func:`link_blockers`, if any.

    Examples
    --------
    >>> import qualityflow as qf
    >>> flour = qf.Batch(id="FLOUR-9", kind="raw_material", product="wheat flour",
    ...                  quantity=qf.Quantity(amount=500, unit="kg"), status="on_hold")
    >>> try:
    ...     ensure_linkable(flour, None)
    ... except qf.GenealogyError as error:
    ...     print(error)
    cannot use lot FLOUR-9: lot FLOUR-9 is on hold; it must be released before it is used

    """
    blockers = link_blockers(lot, supplier, override)
    if blockers:
        raise GenealogyError(f"cannot use lot {lot.id}: " + "; ".join(blockers))
