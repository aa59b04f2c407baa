"""The default supplier scorecard and the policy that recommends a status from it.

:func:`score_supplier` turns what the library already holds into a
:class:`~qualityflow.SupplierEvaluation` for one period, on up to four criteria (0-100):

``quality``
    Incoming-inspection pass rate of the supplier's lots: a pass counts 1, a conditional
    result (accepted under concession) 0.5, a failure 0. Scored from ``min_inspections``
    (default 3) inspections in the period: one conditional lot is too little to judge a
    supplier on (the lot itself is held, dispositioned and, if need be, sent back).
``incidents``
    100 minus penalty points for each incident the supplier **caused**: critical 50,
    major 25, minor 10 (not below 0). An incident counts against a supplier when its root
    cause is confirmed and either lies in the material category with one of the
    supplier's lots upstream of the affected batches, or names the supplier (its id, or
    its name, in the root-cause analysis). An incident upstream of its lots whose cause is
    elsewhere (a night-shift checklist, a worn sieve) or not confirmed yet does not count;
    the evaluation's note says why.
``complaints``
    The same for customer complaints, through the incident each was escalated to
    (``incident_id``): critical 30, major 15, minor 5.
``delivery``
    Share of deliveries on time (only when deliveries are given).
``scar``
    Share of its supplier corrective action requests (SCAR) answered on time: a SCAR
    counts once its response is due (the end of its ``due`` day, UTC) or given; answered
    by then counts 1, answered late or still unanswered (overdue) 0. Cancelled SCARs do not
    count.

Criteria without data in the period are left out rather than scored 100; default weights
are quality 50, incidents 20, complaints 10, delivery 20, scar 10.

The evaluation's note also states the supplier's nonconformance rate, by lots and by
quantity (:func:`nonconformance_rate`), when ``nonconformances`` are given: a fact for the
reviewer rather than a criterion, since the failed inspections that open most
nonconformances already count in ``quality``.

:class:`DefaultSupplierPolicy` recommends approved from 80, conditional from 60, suspended
from 30 and disqualified below 30. It never lifts a supplier more than one step at a time
(suspended comes back as conditional first) and never lifts a disqualified one: that takes a
human decision with evidence (:func:`~qualityflow.prevention.decide`). A plugin can replace
the policy with any object that has a ``recommend(evaluation, supplier)`` method.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import model_validator

from qualityflow.models import (
    AwareDatetime,
    Batch,
    Complaint,
    Id,
    Incident,
    Inspection,
    InspectionResult,
    InspectionStage,
    QFModel,
    Quantity,
    RootCauseAnalysis,
    Severity,
    SixM,
    Supplier,
    SupplierEvaluation,
    SupplierStatus,
)
from qualityflow.models.nonconformance import Nonconformance, ScarStatus, SupplierAction
from qualityflow.prevention._protocols import (
    BatchLookup,
    TracesBackward,
    batch_index,
    upstream_ids,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "DefaultSupplierPolicy",
    "Delivery",
    "NonconformanceRate",
    "SupplierPolicy",
    "names_supplier",
    "nonconformance_rate",
    "score_supplier",
]


DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "quality": Decimal(50),
    "incidents": Decimal(20),
    "complaints": Decimal(10),
    "delivery": Decimal(20),
    "scar": Decimal(10),
}
"""Default criterion weights of :func:`score_supplier`."""

_INCIDENT_PENALTY = {Severity.CRITICAL: 50, Severity.MAJOR: 25, Severity.MINOR: 10}
_COMPLAINT_PENALTY = {Severity.CRITICAL: 30, Severity.MAJOR: 15, Severity.MINOR: 5}


class Delivery(QFModel):
    """One delivery by a supplier: when it was due and when it arrived.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> d = Delivery(supplier_id="SUP-MILL", due=datetime(2026, 3, 2, 8, tzinfo=timezone.utc),
    ...              delivered_at=datetime(2026, 3, 2, 7, tzinfo=timezone.utc))
    >>> d.on_time
    True

    """

    supplier_id: Id
    due: AwareDatetime
    delivered_at: AwareDatetime
    lot_id: Id | None = None

    @property
    def on_time(self) -> bool:
        """Whether it arrived no later than due."""
        return self.delivered_at <= self.due


@runtime_checkable
class SupplierPolicy(Protocol):
    """Recommends a supplier status from an evaluation (replaceable by a plugin)."""

    def recommend(self, evaluation: SupplierEvaluation, supplier: Supplier) -> SupplierStatus:
        """Return the status the evaluation calls for; a human still decides."""
        ...


class DefaultSupplierPolicy(QFModel):
    """Score bands: approved from 80, conditional from 60, suspended from 30, else disqualified.

    Upgrades go one step at a time and never out of disqualified (see the module notes).

    Examples
    --------
    >>> import qualityflow as qf
    >>> e = qf.SupplierEvaluation(period="2026-Q1", scores={"quality": 65}, weights={"quality": 1})
    >>> DefaultSupplierPolicy().recommend(e, qf.Supplier(id="S", name="Mill")).value
    'conditional'

    """

    approve_at: Decimal = Decimal(80)
    conditional_at: Decimal = Decimal(60)
    suspend_at: Decimal = Decimal(30)

    @model_validator(mode="after")
    def _ordered(self) -> DefaultSupplierPolicy:
        if not self.approve_at >= self.conditional_at >= self.suspend_at:
            raise ValueError(
                "thresholds must satisfy approve_at >= conditional_at >= suspend_at, got "
                f"{self.approve_at}, {self.conditional_at}, {self.suspend_at}"
            )
        return self

    def recommend(self, evaluation: SupplierEvaluation, supplier: Supplier) -> SupplierStatus:
        """Return the recommended status for ``supplier`` given ``evaluation``."""
        total = evaluation.weighted_total
        if total >= self.approve_at:
            banded = SupplierStatus.APPROVED
        elif total >= self.conditional_at:
            banded = SupplierStatus.CONDITIONAL
        elif total >= self.suspend_at:
            banded = SupplierStatus.SUSPENDED
        else:
            banded = SupplierStatus.DISQUALIFIED
        order = [
            SupplierStatus.DISQUALIFIED,
            SupplierStatus.SUSPENDED,
            SupplierStatus.CONDITIONAL,
            SupplierStatus.APPROVED,
        ]
        current = order.index(supplier.status)
        wanted = order.index(banded)
        if wanted <= current:
            return banded
        if supplier.status is SupplierStatus.DISQUALIFIED:
            return SupplierStatus.DISQUALIFIED
        return order[current + 1]


def _percent(part: Decimal, whole: int) -> Decimal:
    """``part / whole`` in percent, to two decimals, without trailing zeros."""
    value = (part * 100 / whole).quantize(Decimal("0.01"))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _within(at: datetime | date | None, start: datetime | None, end: datetime | None) -> bool:
    if at is None:
        return True
    if isinstance(at, datetime):
        moment = at
    else:
        moment = datetime(at.year, at.month, at.day, tzinfo=timezone.utc)
    return (start is None or moment >= start) and (end is None or moment < end)


def score_supplier(
    supplier: Supplier,
    *,
    period: str,
    inspections: Iterable[Inspection],
    incidents: Iterable[Incident] = (),
    complaints: Iterable[Complaint] = (),
    genealogy: TracesBackward | None = None,
    deliveries: Iterable[Delivery] | None = None,
    weights: Mapping[str, Decimal | int | float] | None = None,
    lots: BatchLookup | None = None,
    supplier_actions: Iterable[SupplierAction] = (),
    nonconformances: Iterable[Nonconformance] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    evaluated_by: str = "qualityflow scorecard",
    at: datetime | None = None,
    min_inspections: int = 3,
) -> SupplierEvaluation:
    """Evaluate ``supplier`` for ``period`` from inspections, incidents, complaints, deliveries.

    Parameters
    ----------
    supplier
        The supplier to score.
    period
        The period's label, e.g. ``"2026-Q1"``.
    inspections, incidents, complaints
        Records of the plant; those outside ``[start, end)`` (by ``at``, ``reported_at``,
        ``received_at``) are ignored, as are those not about the supplier's lots.
    genealogy
        A :class:`~qualityflow.Genealogy` (or anything with ``trace_backward``): finds the
        supplier's lots upstream of an incident's batches (see the ``incidents`` criterion
        for when such an incident counts against the supplier).
    deliveries
        :class:`Delivery` records; gives the ``delivery`` criterion.
    weights
        Criterion weights, replacing :data:`DEFAULT_WEIGHTS` (criteria not named get none).
    lots
        The plant's batches (mapping or iterable); the supplier's lots are those with its
        ``supplier_id``. Defaults to the genealogy's batches.
    supplier_actions
        SCARs (:class:`~qualityflow.SupplierAction`); those to this supplier requested in
        the period give the ``scar`` criterion, judged at ``at``.
    nonconformances
        Nonconformances (:class:`~qualityflow.Nonconformance`); the note states the
        supplier's nonconformance rate in the period by lots and by quantity
        (:func:`nonconformance_rate`). It is a fact shown, not a criterion scored: the
        failed inspections that open most of them already count in ``quality``.
    start, end
        The period as a half-open time range; ``None`` leaves that side open.
    evaluated_by, at
        Recorded on the evaluation (``at`` defaults to now).
    min_inspections
        How many incoming inspections of its lots the period needs before ``quality`` is
        scored (fewer: left out, with the reason in the note).

    Raises
    ------
    ValueError
        When there is nothing to score (no inspected lot, no delivery, no weight left).

    Examples
    --------
    >>> import qualityflow as qf
    >>> mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    >>> lots = [qf.Batch(id=f"FLOUR-{i}", kind="raw_material", product="flour",
    ...         quantity=qf.Quantity(amount=1000, unit="kg"), supplier_id="SUP-MILL")
    ...         for i in range(4)]
    >>> checks = [qf.Inspection(id=f"IQC-{i}", batch_id=f"FLOUR-{i}", stage="incoming",
    ...           result="fail" if i == 0 else "pass") for i in range(4)]
    >>> e = score_supplier(mill, period="2026-03", inspections=checks, lots=lots)
    >>> e.scores
    {'quality': Decimal('75'), 'incidents': Decimal('100'), 'complaints': Decimal('100')}

    """
    by_id = batch_index(lots, genealogy)
    own_lots = {b.id for b in by_id.values() if b.supplier_id == supplier.id}

    scores: dict[str, Decimal] = {}
    notes: list[str] = []

    incoming = [
        i
        for i in inspections
        if i.stage is InspectionStage.INCOMING
        and i.batch_id in own_lots
        and _within(i.at, start, end)
    ]
    if incoming and len(incoming) < min_inspections:
        notes.append(
            f"quality not scored: {len(incoming)} incoming inspection(s) in the period, "
            f"{min_inspections} needed"
        )
    elif incoming:
        points = sum(
            (
                Decimal(1)
                if i.result is InspectionResult.PASS
                else Decimal("0.5")
                if i.result is InspectionResult.CONDITIONAL
                else Decimal(0)
                for i in incoming
            ),
            Decimal(0),
        )
        scores["quality"] = _percent(points, len(incoming))
        failed = sorted(i.batch_id for i in incoming if i.result is InspectionResult.FAIL)
        notes.append(
            f"incoming inspections: {len(incoming) - len(failed)}/{len(incoming)} not failed"
            + (f" (failed: {', '.join(failed)})" if failed else "")
        )

    if incoming or own_lots:
        every_incident = list(incidents)
        caused: dict[str, str] = {}  # incident id -> why it counts against the supplier
        spared: list[str] = []  # upstream of its lots, but caused elsewhere
        for inc in every_incident:
            upstream = upstream_ids(inc.batch_ids, genealogy) & own_lots
            why = _caused_by(inc.root_cause, supplier, upstream)
            if why is not None:
                caused[inc.id] = why
            elif upstream and _within(inc.reported_at, start, end):
                spared.append(f"{inc.id} ({_cause_elsewhere(inc.root_cause)})")
        hit_incidents = [
            inc
            for inc in every_incident
            if inc.id in caused and _within(inc.reported_at, start, end)
        ]
        penalty = sum(_INCIDENT_PENALTY[i.severity] for i in hit_incidents)
        scores["incidents"] = Decimal(max(0, 100 - penalty))
        if hit_incidents:
            notes.append(
                "incidents it caused: "
                + ", ".join(f"{i.id} ({i.severity.value}, {caused[i.id]})" for i in hit_incidents)
            )
        hit_complaints = []
        for c in complaints:
            if not _within(c.received_at, start, end):
                continue
            if c.incident_id in caused:
                hit_complaints.append(c)
            elif upstream_ids(c.batch_ids, genealogy) & own_lots:
                spared.append(
                    f"{c.id} (escalated to {c.incident_id}, not caused by it)"
                    if c.incident_id
                    else f"{c.id} (not escalated to an incident it caused)"
                )
        penalty = sum(_COMPLAINT_PENALTY[c.severity] for c in hit_complaints)
        scores["complaints"] = Decimal(max(0, 100 - penalty))
        if hit_complaints:
            notes.append(
                "complaints through incidents it caused: "
                + ", ".join(f"{c.id} ({c.severity.value}, {c.incident_id})" for c in hit_complaints)
            )
        if spared:
            notes.append("not counted against it: " + ", ".join(spared))

    if deliveries is not None:
        own = [d for d in deliveries if d.supplier_id == supplier.id and _within(d.due, start, end)]
        if own:
            on_time = sum(1 for d in own if d.on_time)
            scores["delivery"] = _percent(Decimal(on_time), len(own))
            notes.append(f"deliveries on time: {on_time}/{len(own)}")

    rate = nonconformance_rate(
        supplier.id, by_id.values(), nonconformances, inspections=incoming, start=start, end=end
    )
    if rate.affected_lots:
        notes.append(rate.describe())

    moment = at if at is not None else datetime.now(timezone.utc)
    scar_on_time, scar_late = _scar_record(supplier.id, supplier_actions, start, end, moment)
    if scar_on_time or scar_late:
        counted = len(scar_on_time) + len(scar_late)
        scores["scar"] = _percent(Decimal(len(scar_on_time)), counted)
        notes.append(
            f"supplier corrective actions answered on time: {len(scar_on_time)}/{counted}"
            + (f" (late or overdue: {', '.join(scar_late)})" if scar_late else "")
        )

    chosen = {k: Decimal(str(v)) for k, v in (weights or DEFAULT_WEIGHTS).items()}
    scores = {k: v for k, v in scores.items() if chosen.get(k, Decimal(0)) > 0}
    if not scores:
        raise ValueError(
            f"nothing to score for supplier {supplier.id} in {period}: no lot of it is known "
            "(pass lots= or a genealogy holding its lots) and no delivery was given"
        )
    return SupplierEvaluation(
        period=period,
        scores=scores,
        weights={k: chosen[k] for k in scores},
        evaluated_by=evaluated_by,
        at=moment,
        note="; ".join(notes),
    )


def _caused_by(
    rca: RootCauseAnalysis | None, supplier: Supplier, upstream_lots: set[str]
) -> str | None:
    """Why an incident with this root cause counts against ``supplier`` (None: it does not)."""
    if rca is None or not rca.confirmed:
        return None
    if names_supplier(rca, supplier):
        return "its root cause names the supplier"
    if rca.category is SixM.MATERIAL and upstream_lots:
        return f"material root cause, lot {', '.join(sorted(upstream_lots))} upstream"
    return None


def _cause_elsewhere(rca: RootCauseAnalysis | None) -> str:
    if rca is None:
        return "no root cause yet"
    if not rca.confirmed:
        return "root cause not confirmed yet"
    return f"root cause in {rca.category.value}"


def names_supplier(rca: RootCauseAnalysis, supplier: Supplier) -> bool:
    """Tell whether the root-cause analysis names the supplier: its id as a word, or its name.

    >>> import qualityflow as qf
    >>> rca = qf.RootCauseAnalysis(method="five_why", problem="sour", category="material",
    ...     root_cause="powder stored warm at Alpine Dairy")
    >>> names_supplier(rca, qf.Supplier(id="SUP-DAIRY", name="Alpine Dairy"))
    True
    """
    text = " ".join(
        [rca.problem, rca.root_cause, *rca.whys, *(c for v in rca.fishbone.values() for c in v)]
    )
    words = set(re.findall(r"[\w.-]+", text))
    if supplier.id in words:
        return True
    name = supplier.name.strip()
    return len(name) >= 4 and name.casefold() in text.casefold()


def _scar_record(
    supplier_id: str,
    actions: Iterable[SupplierAction],
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Split the supplier's SCARs due or answered in the period into on time and late."""
    on_time: list[str] = []
    late: list[str] = []
    for scar in actions:
        if scar.supplier_id != supplier_id or scar.status is ScarStatus.CANCELLED:
            continue
        if not _within(scar.requested_at, start, end):
            continue
        due = datetime.combine(scar.due + timedelta(days=1), time(0), tzinfo=timezone.utc)
        answered = next((r.at for r in scar.history if r.trigger == "respond"), None)
        if answered is not None:
            (on_time if answered <= due else late).append(scar.id)
        elif now > due:
            late.append(scar.id)
    return sorted(on_time), sorted(late)


@dataclass(frozen=True)
class NonconformanceRate:
    """A supplier's nonconformance rate in a period, by lots and by quantity.

    ``lots`` are the supplier's lots received in the period (split-off child lots of a
    disposition are not lots of their own), ``affected_lots`` those with a nonconformance
    opened in the period; ``received`` and ``affected`` sum their quantities and the
    nonconformances' held quantities, one entry per unit.
    """

    supplier_id: str
    lots: tuple[str, ...]
    affected_lots: tuple[str, ...]
    nonconformance_ids: tuple[str, ...]
    received: dict[str, Quantity]
    affected: dict[str, Quantity]

    @property
    def lot_rate(self) -> float | None:
        """The share of lots with a nonconformance (0-1), ``None`` without lots."""
        return len(self.affected_lots) / len(self.lots) if self.lots else None

    def quantity_rate(self, unit: str) -> float | None:
        """Return the share of the quantity received in ``unit`` held by nonconformances."""
        whole = self.received.get(unit)
        if whole is None or whole.amount <= 0:
            return None
        part = self.affected.get(unit, Quantity.zero(unit))
        return float(part.amount / whole.amount)

    def describe(self) -> str:
        """Say it in one line (the evaluation's note)."""
        quantities = ", ".join(
            f"{self.affected.get(u, Quantity.zero(u))} of {q}" for u, q in self.received.items()
        )
        return (
            f"nonconformances: {len(self.affected_lots)} of {len(self.lots)} lots "
            f"({', '.join(self.affected_lots)}: {', '.join(self.nonconformance_ids)})"
            + (f", {quantities}" if quantities else "")
        )


def nonconformance_rate(
    supplier_id: str,
    lots: Iterable[Batch],
    nonconformances: Iterable[Nonconformance],
    *,
    inspections: Iterable[Inspection] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> NonconformanceRate:
    """Return the supplier's nonconformance rate in ``[start, end)`` by lots and quantity.

    The lots received in the period are the supplier's lots inspected (``inspections``)
    or produced in it, and every lot with a nonconformance opened in it; without
    ``start`` and ``end`` every lot of the supplier counts. Child lots split off by a
    disposition (``attributes["parent_lot"]``) are parts of their parent, not lots.

    Examples
    --------
    >>> import qualityflow as qf
    >>> kg = lambda n: qf.Quantity(amount=n, unit="kg")
    >>> lots = [qf.Batch(id=f"FLOUR-{i}", kind="raw_material", product="flour",
    ...         quantity=kg(1000), supplier_id="SUP-MILL") for i in range(4)]
    >>> nc = qf.Nonconformance(id="NC-1", batch_id="FLOUR-0", quantity=kg(400),
    ...                        characteristic="moisture", defect="15.8 %")
    >>> rate = nonconformance_rate("SUP-MILL", lots, [nc])
    >>> rate.lot_rate, rate.quantity_rate("kg")
    (0.25, 0.1)
    >>> rate.describe()
    'nonconformances: 1 of 4 lots (FLOUR-0: NC-1), 400 kg of 4000 kg'

    """
    own = {
        b.id: b for b in lots if b.supplier_id == supplier_id and not b.attributes.get("parent_lot")
    }
    hits = [n for n in nonconformances if n.batch_id in own and _within(n.opened_at, start, end)]
    if start is None and end is None:
        counted = set(own)
    else:
        counted = {
            i.batch_id for i in inspections if i.batch_id in own and _within(i.at, start, end)
        }
        counted |= {
            b.id
            for b in own.values()
            if b.produced_at is not None and _within(b.produced_at, start, end)
        }
    counted |= {n.batch_id for n in hits}
    received: dict[str, Quantity] = {}
    for lot_id in sorted(counted):
        q = own[lot_id].quantity
        received[q.unit] = received.get(q.unit, Quantity.zero(q.unit)) + q
    affected: dict[str, Quantity] = {}
    for n in hits:
        q = n.quantity
        affected[q.unit] = affected.get(q.unit, Quantity.zero(q.unit)) + q
    return NonconformanceRate(
        supplier_id=supplier_id,
        lots=tuple(sorted(counted)),
        affected_lots=tuple(sorted({n.batch_id for n in hits})),
        nonconformance_ids=tuple(sorted(n.id for n in hits)),
        received=received,
        affected=affected,
    )
