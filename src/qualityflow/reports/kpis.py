"""Key performance indicators of incident and complaint handling, from the audit history."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from qualityflow.i18n import N_, _, format_decimal, format_percent, label, using
from qualityflow.lifecycle import DefaultDeadlinePolicy
from qualityflow.models import Complaint, Incident, Quantity, Shipment, TransitionRecord
from qualityflow.reports._doc import (
    Block,
    Paragraph,
    Table,
    blocks_to_html,
    blocks_to_markdown,
    fmt_duration,
)

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
    ``sla_breach_rate`` is the share of time-limited steps that were late: reporting
    (after detection), assessing and containing incidents, acknowledging and resolving
    complaints, each against the deadline policy's limit for the case's severity. A step
    counts once it was done, or once its deadline passed before ``as_of`` without it
    while the case is still open (a rejected complaint is never resolved, rightly);
    ``sla_breaches`` names the late ones. ``complaints_per_million`` counts complaints per
    million ``unit`` shipped (to two decimals).
    """

    as_of: datetime
    complaint_acknowledge: DurationStats
    incident_assess: DurationStats
    incident_contain: DurationStats
    incident_close: DurationStats
    complaint_close: DurationStats
    sla_checked: int
    sla_breached: int
    sla_breaches: tuple[str, ...]
    complaints: int
    shipped: Quantity | None
    complaints_per_million: Decimal | None
    locale: str | None = None

    @property
    def sla_breach_rate(self) -> float | None:
        """Late steps / steps due, or ``None`` when no step was due yet."""
        return self.sla_breached / self.sla_checked if self.sla_checked else None

    def _blocks(self) -> list[Block]:
        def fmt(d: timedelta | None) -> str:
            return _("n/a") if d is None else fmt_duration(d)

        rows = []
        for indicator, stats in (
            (N_("Complaint: time to acknowledge"), self.complaint_acknowledge),
            (N_("Incident: time to assess"), self.incident_assess),
            (N_("Incident: time to contain"), self.incident_contain),
            (N_("Incident: time to close"), self.incident_close),
            (N_("Complaint: time to close"), self.complaint_close),
        ):
            rows.append(
                (_(indicator), stats.count, fmt(stats.mean), fmt(stats.median), fmt(stats.worst))
            )
        table = Table.of((_("indicator"), _("cases"), _("mean"), _("median"), _("worst")), rows)
        rate = self.sla_breach_rate
        sla = (
            _("SLA breach rate: n/a (no time-limited step due yet).")
            if rate is None
            else _("SLA breach rate: {rate} ({late} of {checked} time-limited steps late").format(
                rate=format_percent(rate), late=self.sla_breached, checked=self.sla_checked
            )
            + (_(": ") + _("; ").join(self.sla_breaches) if self.sla_breaches else "")
            + _(").")
        )
        per_million = (
            _("n/a (nothing shipped)")
            if self.complaints_per_million is None or self.shipped is None
            else _("{rate} per million {unit} ({complaints} complaints, {shipped} shipped)").format(
                rate=format_decimal(self.complaints_per_million, "0.0"),
                unit=self.shipped.unit,
                complaints=self.complaints,
                shipped=self.shipped,
            )
        )
        return [table, Paragraph(sla), Paragraph(_("Complaints: {rate}.").format(rate=per_million))]

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the indicators as a Markdown table with the SLA and complaint rates.

        ``locale`` (default: the one :func:`kpis` was given, else the active one) chooses
        the language.
        """
        with using(locale or self.locale):
            return _("## KPIs") + "\n\n" + blocks_to_markdown(self._blocks()) + "\n"

    def to_html_fragment(self, locale: str | None = None) -> str:
        """Render a ``<section id="kpis">`` for embedding in a page."""
        with using(locale or self.locale):
            heading = _("KPIs")
            return (
                f'<section id="kpis"><h2>{heading}</h2>{blocks_to_html(self._blocks())}</section>'
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


def _sla(
    incidents: Sequence[Incident],
    complaints: Sequence[Complaint],
    limits: DefaultDeadlinePolicy,
    as_of: datetime,
) -> tuple[int, list[str]]:
    """Count the time-limited steps due by ``as_of`` and describe the late ones."""
    # (case, step, due, done at, whether the case has ended)
    steps: list[tuple[str, str, datetime, datetime | None, bool]] = []
    for inc in incidents:
        ended = inc.status.value in ("closed", "cancelled")
        if inc.detected_at is not None:
            due = inc.detected_at + limits.report_within
            steps.append((inc.id, "report", due, inc.reported_at, ended))
        for what, within in (("assess", limits.assess_within), ("contain", limits.contain_within)):
            due = inc.reported_at + within[inc.severity]
            steps.append((inc.id, what, due, _first_at(inc.history, what), ended))
    for c in complaints:
        ended = c.status.value in ("closed", "rejected")
        for what, within in (
            ("acknowledge", limits.acknowledge_within),
            ("resolve", limits.resolve_within),
        ):
            due = c.received_at + within[c.severity]
            steps.append((c.id, what, due, _first_at(c.history, what), ended))
    checked = 0
    late: list[str] = []
    for case_id, what, due, done, ended in steps:
        if done is None and (due >= as_of or ended):
            continue  # not due yet, or the case ended without the step (rejected, cancelled)
        checked += 1
        lateness = (done or as_of) - due
        if lateness > timedelta(0):
            text = (
                _("{case} {step} late by {lateness} (done)")
                if done is not None
                else _("{case} {step} late by {lateness} (still open)")
            )
            late.append(
                text.format(case=case_id, step=label(what), lateness=fmt_duration(lateness))
            )
    return checked, late


def kpis(
    incidents: Iterable[Incident],
    complaints: Iterable[Complaint] = (),
    shipments: Iterable[Shipment] = (),
    *,
    unit: str | None = None,
    limits: DefaultDeadlinePolicy | None = None,
    as_of: datetime | None = None,
    locale: str | None = None,
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
    limits
        The time limits by severity for the SLA breach rate (default:
        ``qf.DefaultDeadlinePolicy()``, the limits ``qf.overdue`` applies).
    as_of
        When the SLA is judged (default now): a step not done by then counts as late
        once its deadline has passed.
    locale
        The language of the late-step descriptions and the default of the renderings
        (``None``: the active locale when rendering).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import qualityflow as qf
    >>> t = datetime(2026, 3, 5, 8, tzinfo=timezone.utc)
    >>> c = qf.Complaint(id="C1", customer_id="SHOP", channel="email", received_at=t,
    ...                  description="Soft biscuits")
    >>> c.history.append(qf.TransitionRecord(at=t + timedelta(hours=2), actor="desk",
    ...                  trigger="acknowledge", source="received", dest="acknowledged"))
    >>> k = qf.kpis([], [c], as_of=t + timedelta(days=1))
    >>> str(k.complaint_acknowledge.median), k.sla_breach_rate
    ('2:00:00', 0.0)

    """
    incident_list = list(incidents)
    complaint_list = list(complaints)
    shipment_list = list(shipments)
    when = as_of or datetime.now(timezone.utc)
    inc_items = [(i.reported_at, i.history) for i in incident_list]
    cmp_items = [(c.received_at, c.history) for c in complaint_list]
    with using(locale):
        checked, late = _sla(incident_list, complaint_list, limits or DefaultDeadlinePolicy(), when)
    shipped = _shipped(shipment_list, unit)
    per_million = (
        None
        if shipped is None or shipped.amount == 0
        else (Decimal(len(complaint_list)) * 1_000_000 / shipped.amount).quantize(Decimal("0.01"))
    )
    return KPIs(
        as_of=when,
        complaint_acknowledge=DurationStats.of(_durations(cmp_items, "acknowledge")),
        incident_assess=DurationStats.of(_durations(inc_items, "assess")),
        incident_contain=DurationStats.of(_durations(inc_items, "contain")),
        incident_close=DurationStats.of(_durations(inc_items, "close")),
        complaint_close=DurationStats.of(_durations(cmp_items, "close")),
        sla_checked=checked,
        sla_breached=len(late),
        sla_breaches=tuple(late),
        complaints=len(complaint_list),
        shipped=shipped,
        complaints_per_million=per_million,
        locale=locale,
    )
