"""Legal clocks of recall and authority-report rules, as presets.

A :class:`Preset` is a set of :class:`Clock` rules. :meth:`Preset.due` answers: given the
event that starts the clock (``"learned"`` of the risk, ``"notice"`` issued, ``"request"``
received), when it happened, the recall grade and a
:class:`~qualityflow.lifecycle.calendar.WorkingCalendar`, what is due when, and under which
rule. Presets combine with ``+`` (or :func:`combine`); for the same step the strictest (the
earliest) due time wins.

Figures are taken from the texts cited in each clock's ``legal_basis``; where a reading is
uncertain the preset's docstring says so. This is not legal advice: check the current text.

Examples
--------
>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> from qualityflow.lifecycle.calendar import WorkingCalendar
>>> t = datetime(2025, 9, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
>>> cn = WorkingCalendar.for_region("CN")
>>> for d in CN_FOOD_RECALL_2015.due({"learned": t, "notice": t}, grade="I", calendar=cn):
...     print(d.step, d.due.strftime("%Y-%m-%d %H:%M"))
report_plan 2025-10-01 09:00
start 2025-10-01 09:00
complete 2025-10-21 23:59

"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal

from qualityflow.i18n import _
from qualityflow.lifecycle.calendar import WorkingCalendar
from qualityflow.lifecycle.timelimits import Deadline
from qualityflow.models import Complaint, Incident

__all__ = [
    "AU_ACL",
    "CA_CCPSA",
    "CN_12315",
    "CN_CONSUMER_PRODUCTS",
    "CN_FOOD_RECALL_2015",
    "EU_GPSR_ART20",
    "US_CPSC_15B",
    "US_FDA_RFR",
    "US_FSMA_204",
    "Clock",
    "LegalDue",
    "Preset",
    "PresetDeadlinePolicy",
    "combine",
]

Unit = Literal["hours", "working_days", "days", "days_rolled"]


@dataclass(frozen=True)
class Clock:
    """One rule: ``step`` is due ``amount`` ``unit`` after the ``start`` event.

    ``unit``: ``"hours"`` (elapsed time), ``"working_days"`` (end of the n-th working day
    after the start day, by the calendar), ``"days"`` (end of the n-th calendar day after
    the start day, the start day not counted) or ``"days_rolled"`` (as ``"days"``, rolled
    forward to the next working day). ``grade`` limits the rule to one recall grade
    (``None``: every grade). ``target`` marks a configurable target standing in for a
    vague legal term such as "without undue delay".
    """

    step: str
    start: str
    amount: int
    unit: Unit
    legal_basis: str
    grade: str | None = None
    target: bool = False

    def due_at(self, at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the due time of this clock started at ``at`` (aware) on ``calendar``."""
        if self.unit == "hours":
            return at + timedelta(hours=self.amount)
        day = at.date()
        if self.unit == "working_days":
            day = calendar.add_working_days(day, self.amount)
        else:
            day = day + timedelta(days=self.amount)
            if self.unit == "days_rolled":
                day = calendar.roll_forward(day)
        return datetime.combine(day, time.max.replace(microsecond=0), tzinfo=at.tzinfo)


@dataclass(frozen=True)
class LegalDue:
    """A due time: ``step``, ``due`` (aware), ``legal_basis`` and the ``target`` flag."""

    step: str
    due: datetime
    legal_basis: str
    target: bool = False


@dataclass(frozen=True)
class Preset:
    """A named set of :class:`Clock` rules; ``a + b`` combines two presets."""

    name: str
    clocks: tuple[Clock, ...]

    def __add__(self, other: Preset) -> Preset:
        return Preset(f"{self.name}+{other.name}", self.clocks + other.clocks)

    def due(
        self,
        events: Mapping[str, datetime],
        *,
        grade: str | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> list[LegalDue]:
        """Return the due times of the clocks whose start event is in ``events``.

        For a step set by several clocks the earliest due time wins. Sorted by due time.
        """
        cal = calendar or WorkingCalendar.for_region("weekdays")
        best: dict[str, LegalDue] = {}
        for clock in self.clocks:
            if clock.grade is not None and clock.grade != grade:
                continue
            at = events.get(clock.start)
            if at is None:
                continue
            if at.tzinfo is None or at.utcoffset() is None:
                raise ValueError(
                    _("the {start!r} time has no timezone: give it one").format(start=clock.start)
                )
            found = LegalDue(clock.step, clock.due_at(at, cal), clock.legal_basis, clock.target)
            if clock.step not in best or found.due < best[clock.step].due:
                best[clock.step] = found
        return sorted(best.values(), key=lambda d: (d.due, d.step))


def combine(*presets: Preset) -> Preset:
    """Return one preset holding the clocks of all ``presets`` (strictest wins per step)."""
    return Preset("+".join(p.name for p in presets), tuple(c for p in presets for c in p.clocks))


_FOOD = "《食品召回管理办法》(国家食品药品监督管理总局令第12号, 2015) 第十三条/第十九条"
CN_FOOD_RECALL_2015 = Preset(
    "CN_FOOD_RECALL_2015",
    tuple(
        Clock("start", "learned", hours, "hours", f"{_FOOD}: {g}级召回 {hours}小时内启动召回", g)
        for g, hours in (("I", 24), ("II", 48), ("III", 72))
    )
    + tuple(
        Clock(
            "report_plan",
            "learned",
            hours,
            "hours",
            f"{_FOOD}: {g}级召回 {hours}小时内报告召回计划",
            g,
        )
        for g, hours in (("I", 24), ("II", 48), ("III", 72))
    )
    + tuple(
        Clock(
            "complete",
            "notice",
            n,
            "working_days",
            f"{_FOOD}: {g}级召回 发布通知之日起{n}个工作日内完成",
            g,
        )
        for g, n in (("I", 10), ("II", 20), ("III", 30))
    ),
)
"""China, food recall (SFDA order 12 of 2015): start and report the plan within 24/48/72 h
of learning of the risk (grade I/II/III); finish within 10/20/30 working days of the notice.
The article numbers are cited from memory of the 2015 text and should be checked.
"""

CN_CONSUMER_PRODUCTS = Preset(
    "CN_CONSUMER_PRODUCTS",
    (
        Clock(
            "report",
            "learned",
            2,
            "working_days",
            "《消费品召回管理暂行规定》(2019) 第十二条: "
            "知悉死亡、严重人身伤害或境外召回后2个工作日内报告",
        ),
    ),
)
"""China, consumer products (SAMR interim provisions, 2019): report within 2 working days of
learning of a death, a serious injury or an overseas recall. Article number uncertain."""

CN_12315 = Preset(
    "CN_12315",
    (
        Clock(
            "acknowledge",
            "learned",
            7,
            "working_days",
            "《市场监督管理投诉举报处理暂行办法》(2019): 收到投诉之日起7个工作日内作出受理决定",
        ),
        Clock(
            "resolve",
            "learned",
            45,
            "working_days",
            "《市场监督管理投诉举报处理暂行办法》(2019): 自受理之日起45个工作日内终结调解",
        ),
    ),
)
"""China, a complaint forwarded by the 12315 platform (SAMR Order No. 20 of 2019, interim
measures on handling market-regulation complaints and reports): the regulator decides on
acceptance within 7 working days of receiving the complaint and concludes mediation within
45 working days of accepting it. The plant's own steps that answer them are
``acknowledge`` (it takes the case up) and ``resolve``. Both clocks are counted here from
the complaint's ``received_at`` (the plant rarely learns the acceptance day), which is the
earlier, safe reading; the article numbers are not cited because they were not checked.
"""

US_FDA_RFR = Preset(
    "US_FDA_RFR",
    (
        Clock(
            "report",
            "learned",
            24,
            "hours",
            "21 U.S.C. 350f (FD&C Act s.417), Reportable Food Registry: within 24 hours",
        ),
    ),
)
"""US FDA Reportable Food Registry: report within 24 hours of determining it is reportable."""

US_CPSC_15B = Preset(
    "US_CPSC_15B",
    (
        Clock(
            "report",
            "learned",
            24,
            "hours",
            "15 U.S.C. 2064(b); 16 CFR 1115.14(e): report within 24 hours",
        ),
    ),
)
"""US CPSA section 15(b): report within 24 hours of obtaining reportable information
(16 CFR 1115.14(e); CPSC allows up to 10 days to investigate before the clock starts)."""

US_FSMA_204 = Preset(
    "US_FSMA_204",
    (
        Clock(
            "records",
            "request",
            24,
            "hours",
            "21 CFR 1.1455(c)(3) (FSMA 204): records within 24 hours of a request",
        ),
    ),
)
"""US FSMA 204 food traceability rule: sortable records within 24 hours of an FDA request."""

EU_GPSR_ART20 = Preset(
    "EU_GPSR_ART20",
    (
        Clock(
            "notify",
            "learned",
            2,
            "working_days",
            "Regulation (EU) 2023/988 (GPSR) Art. 20: 'without undue delay' (configurable target)",
            target=True,
        ),
    ),
)
"""EU GPSR Art. 20: notify via the Safety Business Gateway "without undue delay". The law
gives no figure: the 2 working days here is a configurable *target* (``target=True``);
build your own with :class:`Clock` to change it."""

AU_ACL = Preset(
    "AU_ACL",
    (
        Clock(
            "report",
            "learned",
            2,
            "days_rolled",
            "Competition and Consumer Act 2010 Sch. 2 (ACL) s.131: within 2 days",
        ),
    ),
)
"""Australia, ACL s.131 mandatory injury report: within 2 days of becoming aware, the day of
learning not counted; a due day on a weekend or public holiday rolls forward to the next
working day (Acts Interpretation Act 1901 s.36)."""

CA_CCPSA = Preset(
    "CA_CCPSA",
    (
        Clock(
            "inform",
            "learned",
            2,
            "days",
            "Canada Consumer Product Safety Act s.14(2): within 2 days",
        ),
        Clock(
            "written_report",
            "learned",
            10,
            "days",
            "Canada Consumer Product Safety Act s.14(3): written report within 10 days",
        ),
    ),
)
"""Canada CCPSA s.14: inform Health Canada within 2 days after becoming aware of an
incident, written report within 10 days. Calendar days, the day of learning not counted;
whether weekends roll forward (Interpretation Act s.26 covers holidays) is uncertain, so no
roll-forward is applied."""


def _default_events(entity: Incident | Complaint) -> Mapping[str, datetime]:
    if isinstance(entity, Incident):
        return {"learned": entity.detected_at or entity.reported_at}
    return {"learned": entity.received_at}


def _no_grade(entity: Incident | Complaint) -> str | None:
    return None


@dataclass(frozen=True)
class PresetDeadlinePolicy:
    """A deadline policy (``.deadlines(entity)``) from a preset, for :func:`overdue`.

    ``events`` gives an entity's start events (default: ``"learned"`` is an incident's
    ``detected_at`` or else ``reported_at``, a complaint's ``received_at``); ``grade`` its
    recall grade. A step is met once the entity's history holds a trigger of that name.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import qualityflow as qf
    >>> from qualityflow.lifecycle.timelimits import overdue
    >>> t0 = datetime(2025, 7, 3, 10, 0, tzinfo=timezone.utc)
    >>> inc = qf.Incident(id="INC-9", title="Lead in paint", severity="critical", reported_at=t0)
    >>> late = overdue([inc], t0 + timedelta(hours=30), policy=PresetDeadlinePolicy(US_CPSC_15B))
    >>> [(d.what, d.legal_basis[:15]) for d in late]
    [('report', '15 U.S.C. 2064(')]

    """

    preset: Preset
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    events: Callable[[Incident | Complaint], Mapping[str, datetime]] = _default_events
    grade: Callable[[Incident | Complaint], str | None] = _no_grade

    def deadlines(self, entity: Incident | Complaint) -> list[Deadline]:
        """Return ``entity``'s preset deadlines whose step is not in its history."""
        done = {record.trigger for record in entity.history}
        kind: Literal["incident", "complaint"] = (
            "incident" if isinstance(entity, Incident) else "complaint"
        )
        return [
            Deadline(
                subject_kind=kind,
                subject_id=entity.id,
                what=d.step,
                due=d.due,
                severity=entity.severity,
                legal_basis=d.legal_basis,
            )
            for d in self.preset.due(
                self.events(entity), grade=self.grade(entity), calendar=self.calendar
            )
            if d.step not in done
        ]
