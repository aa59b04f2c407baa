"""Deadlines: when each step of an open incident or complaint is due, and what is late.

The guide says nobody may sit on a quality problem: an incident is reported within a set
time of its detection, assessed and contained within hours that depend on its severity, and
its corrective actions are done by their due dates; a complaint is acknowledged within a
day and resolved within a week. A :class:`DeadlinePolicy` gives an entity its deadlines;
:class:`DefaultDeadlinePolicy` holds these defaults, and a plugin can supply another policy
(the service asks the ``qualityflow_deadline_policy`` hook first).

A deadline is *met* once the entity's history shows the transition happened (an ``assess``
record meets the ``assess`` deadline); met deadlines are not listed, except a late report,
which stays a breach: it is listed with ``met_at`` set to the time it was reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal, Protocol, runtime_checkable

from qualityflow.i18n import _, label
from qualityflow.lifecycle.calendar import CalendarCoverageError, WorkingCalendar
from qualityflow.models import (
    ActionStatus,
    AwareDatetime,
    Channel,
    Complaint,
    ComplaintStatus,
    Incident,
    IncidentStatus,
    QFModel,
    Severity,
)
from qualityflow.models.nonconformance import ScarStatus, SupplierAction

__all__ = ["Deadline", "DeadlinePolicy", "DefaultDeadlinePolicy", "deadlines", "overdue"]

H = timedelta(hours=1)


class Deadline(QFModel):
    """One due time of one incident or complaint.

    ``what`` names the step: ``"report"``, ``"assess"``, ``"contain"``, ``"acknowledge"``,
    ``"resolve"`` or ``"action CA-1"``. ``late_by`` is set by :func:`overdue`; ``met_at``
    only for a step that was done, but late (a late report).
    """

    subject_kind: Literal["incident", "complaint", "recall", "supplier_action"]
    subject_id: str
    what: str
    due: AwareDatetime
    severity: Severity
    late_by: timedelta | None = None
    met_at: AwareDatetime | None = None
    legal_basis: str = ""
    """Citation of the rule that sets this due time (empty for an internal target)."""

    def __str__(self) -> str:
        """Say the deadline in the active locale (:func:`qualityflow.i18n.using`)."""
        text = _("{kind} {id}: {what} due {due}").format(
            kind=label(self.subject_kind),
            id=self.subject_id,
            what=_step(self.what),
            due=f"{self.due:%Y-%m-%d %H:%M %Z}",
        )
        if self.late_by:
            text += _(", late by {span}").format(span=_human(self.late_by))
        return text


@runtime_checkable
class DeadlinePolicy(Protocol):
    """Gives an incident, complaint or supplier action its deadlines that are not met yet.

    ``entity`` is typed ``Any`` so that policies written for incidents and complaints only
    still fit; a policy returns ``[]`` (or, as a hook, ``None``) for kinds it does not know.
    """

    def deadlines(self, entity: Any) -> list[Deadline]:
        """Return ``entity``'s open deadlines (and a late report), ``late_by`` unset."""
        ...


def _by_severity(critical: float, major: float, minor: float) -> dict[Severity, timedelta]:
    return {
        Severity.CRITICAL: critical * H,
        Severity.MAJOR: major * H,
        Severity.MINOR: minor * H,
    }


@dataclass(frozen=True)
class DefaultDeadlinePolicy:
    """The default time limits, by severity.

    Incidents: reported within ``report_within`` of ``detected_at`` (when known); assessed
    and contained within ``assess_within`` / ``contain_within`` of ``reported_at``; every
    open corrective action by the end of its due day (midnight UTC). Complaints:
    acknowledged within ``acknowledge_within`` and resolved within ``resolve_within`` of
    ``received_at``. Supplier actions (SCAR), the supplier 8D's clocks: acknowledged by the
    end (UTC) of the ``scar_acknowledge_days``-th working day after the request (default
    1), containment by the end of the ``scar_contain_days``-th (default 2; the containment
    comes with the supplier's response, so the first response meets it), and the full
    response (root cause and corrective action) by the end of the SCAR's ``due`` day
    (``qualityflow scar issue`` sets it 30 days out by default); a rejected response waits
    again. Working days are those of ``scar_calendar`` (default Monday to Friday; a plant
    in China passes ``WorkingCalendar.for_region("CN")``). Closed, cancelled and rejected
    entities have no open deadlines.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> inc = qf.Incident(id="INC-1", title="Glass in jam", severity="critical", reported_at=t0)
    >>> [(d.what, d.due.hour) for d in DefaultDeadlinePolicy().deadlines(inc)]
    [('assess', 10), ('contain', 6)]

    """

    report_within: timedelta = H
    assess_within: Mapping[Severity, timedelta] = field(
        default_factory=lambda: _by_severity(4, 24, 72)
    )
    contain_within: Mapping[Severity, timedelta] = field(
        default_factory=lambda: _by_severity(24, 48, 120)
    )
    acknowledge_within: Mapping[Severity, timedelta] = field(
        default_factory=lambda: _by_severity(24, 24, 24)
    )
    resolve_within: Mapping[Severity, timedelta] = field(
        default_factory=lambda: _by_severity(7 * 24, 7 * 24, 7 * 24)
    )
    scar_acknowledge_days: int = 1
    scar_contain_days: int = 2
    scar_calendar: WorkingCalendar | None = None
    """The working days the SCAR clocks count (None: Monday to Friday)."""

    def deadlines(self, entity: Incident | Complaint | SupplierAction) -> list[Deadline]:
        """Return ``entity``'s deadlines that are not met yet (and a late report)."""
        if isinstance(entity, Incident):
            return self._incident(entity)
        if isinstance(entity, Complaint):
            return self._complaint(entity)
        if isinstance(entity, SupplierAction):
            return self._supplier_action(entity)
        raise TypeError(
            "deadlines are for incidents, complaints and supplier actions, not "
            f"{type(entity).__name__}"
        )

    def _supplier_action(self, scar: SupplierAction) -> list[Deadline]:
        if scar.status not in (ScarStatus.REQUESTED, ScarStatus.ACKNOWLEDGED):
            return []
        calendar = self.scar_calendar or WorkingCalendar.for_region("weekdays")
        requested = scar.requested_at.astimezone(timezone.utc).date()

        def working_day(n: int) -> date:
            try:
                return calendar.add_working_days(requested, n)
            except CalendarCoverageError:  # past the calendar's data: count weekdays
                return WorkingCalendar.for_region("weekdays").add_working_days(requested, n)

        def end_of(day: date) -> datetime:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)

        def deadline(what: str, due: datetime) -> Deadline:
            return Deadline(
                subject_kind="supplier_action",
                subject_id=scar.id,
                what=what,
                due=due,
                severity=scar.severity,
            )

        found: list[Deadline] = []
        if scar.status is ScarStatus.REQUESTED:
            found.append(deadline("acknowledge", end_of(working_day(self.scar_acknowledge_days))))
        if not any(r.trigger == "respond" for r in scar.history):
            found.append(deadline("contain", end_of(working_day(self.scar_contain_days))))
        found.append(deadline("respond", end_of(scar.due)))
        return found

    def _incident(self, incident: Incident) -> list[Deadline]:
        found: list[Deadline] = []

        def due(what: str, at: datetime, met_at: datetime | None = None) -> None:
            found.append(
                Deadline(
                    subject_kind="incident",
                    subject_id=incident.id,
                    what=what,
                    due=at,
                    severity=incident.severity,
                    met_at=met_at,
                )
            )

        if incident.detected_at is not None:
            report_due = incident.detected_at + self.report_within
            if incident.reported_at > report_due:
                due("report", report_due, met_at=incident.reported_at)
        if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
            return found
        done = {record.trigger for record in incident.history}
        severity = incident.severity
        if "assess" not in done:
            due("assess", incident.reported_at + self.assess_within[severity])
        if "contain" not in done:
            due("contain", incident.reported_at + self.contain_within[severity])
        for action in incident.actions:
            if action.status is ActionStatus.OPEN and action.due is not None:
                end_of_day = datetime.combine(
                    action.due + timedelta(days=1), time(0), tzinfo=timezone.utc
                )
                due(f"action {action.id}", end_of_day)
        return found

    def _complaint(self, complaint: Complaint) -> list[Deadline]:
        if complaint.status in (ComplaintStatus.CLOSED, ComplaintStatus.REJECTED):
            return []
        done = {record.trigger for record in complaint.history}
        found = _regulator_clocks(complaint)
        for what, within in (
            ("acknowledge", self.acknowledge_within),
            ("resolve", self.resolve_within),
        ):
            if what not in done:
                found.append(
                    Deadline(
                        subject_kind="complaint",
                        subject_id=complaint.id,
                        what=what,
                        due=complaint.received_at + within[complaint.severity],
                        severity=complaint.severity,
                    )
                )
        return found


def _regulator_clocks(complaint: Complaint) -> list[Deadline]:
    """Return the 12315 platform's clocks of a complaint it forwarded (else none).

    Counted in CN working days (the State Council calendar, with make-up days); past the
    years the calendar data covers, in plain weekdays, and the legal basis says so.
    """
    if complaint.channel is not Channel.PLATFORM_12315:
        return []
    from qualityflow.lifecycle.calendar import CalendarCoverageError, WorkingCalendar
    from qualityflow.lifecycle.presets import CN_12315, PresetDeadlinePolicy

    note = ""
    try:
        found = PresetDeadlinePolicy(CN_12315, WorkingCalendar.for_region("CN")).deadlines(
            complaint
        )
    except CalendarCoverageError as exc:
        estimated = PresetDeadlinePolicy(CN_12315, WorkingCalendar.for_region("weekdays"))
        found = estimated.deadlines(complaint)
        note = _(" (estimated in weekdays: {reason})").format(reason=exc)
    return [
        d.model_copy(update={"what": REGULATOR_STEPS[d.what], "legal_basis": d.legal_basis + note})
        for d in found
    ]


REGULATOR_STEPS = {"acknowledge": "12315 acceptance", "resolve": "12315 mediation"}
"""The names of the 12315 platform's clocks, by the complaint step that meets each."""


_DEFAULT_POLICY = DefaultDeadlinePolicy()


def deadlines(
    entity: Incident | Complaint | SupplierAction, *, policy: DeadlinePolicy | None = None
) -> list[Deadline]:
    """Return ``entity``'s deadlines not met yet, by ``policy`` (default: the defaults).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> cmp = qf.Complaint(id="CMP-1", customer_id="C-1", channel="phone",
    ...     received_at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc),
    ...     description="Wet wipes dried out")
    >>> [(d.what, d.due.day) for d in deadlines(cmp)]
    [('acknowledge', 3), ('resolve', 9)]

    """
    return (policy or _DEFAULT_POLICY).deadlines(entity)


def overdue(
    entities: Iterable[Incident | Complaint | SupplierAction],
    now: datetime,
    *,
    policy: DeadlinePolicy | None = None,
) -> list[Deadline]:
    """Return the breached deadlines of ``entities`` at ``now``, the latest first.

    Each returned :class:`Deadline` has ``late_by`` set: ``now`` (or, for a step done late,
    the time it was done) minus the due time. A deadline exactly at ``now`` is not late.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import qualityflow as qf
    >>> t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    >>> inc = qf.Incident(id="INC-3", title="Loose button eyes on teddy bears",
    ...     severity="major", reported_at=t0)
    >>> [str(d) for d in overdue([inc], t0 + timedelta(hours=30))]
    ['incident INC-3: assess due 2026-03-03 06:00 UTC, late by 6 h']

    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(
            _(
                "'now' has no timezone: give an aware datetime, for example "
                "datetime.now(timezone.utc)"
            )
        )
    chosen = policy or _DEFAULT_POLICY
    late: list[Deadline] = []
    for entity in entities:
        for deadline in chosen.deadlines(entity):
            late_by = (deadline.met_at or now) - deadline.due
            if late_by > timedelta(0):
                late.append(deadline.model_copy(update={"late_by": late_by}))
    late.sort(key=lambda d: (-(d.late_by or timedelta(0)), d.subject_id, d.what))
    return late


def _step(what: str) -> str:
    """Return the step as a person reads it: ``assess``, ``action CA-1`` (English: the ids)."""
    if what.startswith("action "):
        return _("action {id}").format(id=what.removeprefix("action "))
    return label(what)


def _human(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        _("{n} d").format(n=days) if days else "",
        _("{n} h").format(n=hours) if hours else "",
        _("{n} min").format(n=minutes) if minutes else "",
    ]
    return " ".join(p for p in parts if p) or _("less than a minute")
