"""Key performance indicators of incident and complaint handling, from the audit history."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from qualityflow.models import Complaint, Incident, Quantity, Shipment, TransitionRecord
from qualityflow.reports._doc import Table, blocks_to_markdown, fmt_duration

__all__ = ["DurationStats", "KPIs", "kpis"]


@dataclass(frozen=True)
class DurationStats:
    """How long a step took over a set of cases: count, mean, median and worst case."""

    count: int
    mean: timedelta | None
    median: timedelta | None
    worst: timedelta | None

    @classmethod
    def of(cls, durations: Sequence[timedelta]) -> DurationStats:
        """Summarise ``durations`` (empty gives count 0 and ``None`` figures)."""
        if not durations:
            return cls(0, None, None, None)
        seconds = [d.total_seconds() for d in durations]
        return cls(
            count=len(seconds),
            mean=timedelta(seconds=statistics.fmean(seconds)),
            median=timedelta(seconds=statistics.median(seconds)),
            worst=max(durations),
        )


@dataclass(frozen=True)
class KPIs:
    """Indicators of how fast and how well incidents and complaints are handled.

    Durations are measured from the audit history: from ``reported_at`` (incidents) or
    ``received_at`` (complaints) to the first record of the step's trigger.
    ``sla_breach_rate`` is the share of checked open incidents and complaints with at least
    one overdue deadline at ``as_of`` (``None`` when none was checked).
    ``complaints_per_million`` counts complaints per million ``unit`` shipped.
    """

    as_of: datetime | None
    complaint_acknowledge: DurationStats
    incident_assess: DurationStats
    incident_contain: DurationStats
    incident_close: DurationStats
    complaint_close: DurationStats
    sla_checked: int
    sla_breached: int
    complaints: int
    shipped: Quantity | None
    complaints_per_million: Decimal | None

    @property
    def sla_breach_rate(self) -> float | None:
        """Breached / checked, or ``None`` when nothing was checked."""
        return self.sla_breached / self.sla_checked if self.sla_checked else None

    def to_markdown(self) -> str:
        """Render the indicators as a Markdown table."""

        def fmt(d: timedelta | None) -> str:
            return "n/a" if d is None else fmt_duration(d)

        rows = []
        for label, stats in (
            ("Complaint: time to acknowledge", self.complaint_acknowledge),
            ("Incident: time to assess", self.incident_assess),
            ("Incident: time to contain", self.incident_contain),
            ("Incident: time to close", self.incident_close),
            ("Complaint: time to close", self.complaint_close),
        ):
            rows.append((label, stats.count, fmt(stats.mean), fmt(stats.median), fmt(stats.worst)))
        table = Table.of(("indicator", "cases", "mean", "median", "worst"), rows)
        rate = self.sla_breach_rate
        sla = (
            "SLA breach rate: n/a (nothing open to check)"
            if rate is None
            else f"SLA breach rate: {rate:.0%} ({self.sla_breached} of {self.sla_checked} open)"
        )
        per_million = (
            "n/a (nothing shipped)"
            if self.complaints_per_million is None or self.shipped is None
            else f"{self.complaints_per_million:.1f} per million {self.shipped.unit}"
            f" ({self.complaints} complaints, {self.shipped} shipped)"
        )
        return (
            "## KPIs\n\n"
            + blocks_to_markdown([table])
            + f"\n\n{sla}.\n\nComplaints: {per_million}.\n"
        )


def _first_at(history: Iterable[TransitionRecord], trigger: str) -> datetime | None:
    return next((r.at for r in history if r.trigger == trigger), None)


def _durations(
    items: Iterable[tuple[datetime, Iterable[TransitionRecord]]], trigger: str
) -> list[timedelta]:
    out = []
    for start, history in items:
        end = _first_at(history, trigger)
        if end is not None:
            out.append(end - start)
    return out


def _shipped(shipments: Sequence[Shipment], unit: str | None) -> Quantity | None:
    if not shipments:
        return None
    units = sorted({s.quantity.unit for s in shipments})
    if unit is None:
        if len(units) > 1:
            raise ValueError(
                f"shipments are in several units ({', '.join(units)}): pass unit= to say "
                "which one complaints per million units should count"
            )
        unit = units[0]
    total = Quantity.zero(unit)
    for s in shipments:
        if s.quantity.unit == unit:
            total = total + s.quantity
    return total


def kpis(
    incidents: Iterable[Incident],
    complaints: Iterable[Complaint] = (),
    shipments: Iterable[Shipment] = (),
    *,
    unit: str | None = None,
    overdue_ids: Iterable[str] | None = None,
    as_of: datetime | None = None,
) -> KPIs:
    """Compute the handling KPIs of ``incidents`` and ``complaints``.

    Parameters
    ----------
    incidents, complaints
        The cases; their ``history`` gives the step times.
    shipments
        What was shipped in the period, for complaints per million units.
    unit
        The shipment unit to count (needed only when shipments use several units).
    overdue_ids
        Ids of open cases with a breached deadline (from ``qf.overdue(cases, now)`` or
        ``qms.overdue()``); with it, ``sla_breach_rate`` is computed over the open cases.
    as_of
        When the SLA check was made (for the record).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import qualityflow as qf
    >>> t = datetime(2026, 3, 5, 8, tzinfo=timezone.utc)
    >>> c = qf.Complaint(id="C1", customer_id="SHOP", channel="email", received_at=t,
    ...                  description="Soft biscuits")
    >>> c.history.append(qf.TransitionRecord(at=t + timedelta(hours=2), actor="desk",
    ...                  trigger="acknowledge", source="received", dest="acknowledged"))
    >>> str(qf.kpis([], [c]).complaint_acknowledge.median)
    '2:00:00'

    """
    incident_list = list(incidents)
    complaint_list = list(complaints)
    shipment_list = list(shipments)
    inc_items = [(i.reported_at, i.history) for i in incident_list]
    cmp_items = [(c.received_at, c.history) for c in complaint_list]
    checked = breached = 0
    if overdue_ids is not None:
        late = set(overdue_ids)
        open_ids = [i.id for i in incident_list if i.status.value not in ("closed", "cancelled")]
        open_ids += [c.id for c in complaint_list if c.status.value not in ("closed", "rejected")]
        checked = len(open_ids)
        breached = sum(1 for i in open_ids if i in late)
    shipped = _shipped(shipment_list, unit)
    per_million = (
        None
        if shipped is None or shipped.amount == 0
        else Decimal(len(complaint_list)) * 1_000_000 / shipped.amount
    )
    return KPIs(
        as_of=as_of,
        complaint_acknowledge=DurationStats.of(_durations(cmp_items, "acknowledge")),
        incident_assess=DurationStats.of(_durations(inc_items, "assess")),
        incident_contain=DurationStats.of(_durations(inc_items, "contain")),
        incident_close=DurationStats.of(_durations(inc_items, "close")),
        complaint_close=DurationStats.of(_durations(cmp_items, "close")),
        sla_checked=checked,
        sla_breached=breached,
        complaints=len(complaint_list),
        shipped=shipped,
        complaints_per_million=per_million,
    )
