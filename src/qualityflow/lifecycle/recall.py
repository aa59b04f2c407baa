"""The recall lifecycle, its guards and its legal deadlines.

One shared ``transitions.Machine`` (the pattern of :mod:`qualityflow.lifecycle.machine`)
moves every :class:`~qualityflow.models.recall.Recall`::

    planned -> notified -> recovering -> completed -> closed
    planned -> cancelled          notified/recovering -> terminated

* ``start`` (planned -> notified): the recall notice is issued (``notice_at``); the clocks
  counting from the notice start;
* ``recover`` (notified -> recovering): the notice was sent to every consignee;
* ``complete`` (recovering -> completed): every consignee accounted for (returned,
  destroyed on site, corrected, or unreachable with a reason), or the effectiveness target
  met (FDA 21 CFR 7.42 level: enough consignees checked and found effective, and the
  recovery target reached when one is set);
* ``close`` (completed -> closed): a summary, and what ``complete`` needed still holds;
* ``terminate`` (notified, recovering -> terminated) and ``cancel`` (planned -> cancelled):
  a note saying why.

The work on consignees is recorded as steps that keep the state (``dest`` ``None``), so
each notice, confirmation, return, unreachable consignee, effectiveness check and
authority report is a hash-chained history record: ``notify``, ``confirm``,
``record_return``, ``unreachable``, ``check`` and ``report``.

Examples
--------
>>> RECALL_LIFECYCLE.states[:5]
['planned', 'notified', 'recovering', 'completed', 'closed']

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from transitions import Machine

from qualityflow.i18n import N_, _
from qualityflow.lifecycle.calendar import Region, WorkingCalendar
from qualityflow.lifecycle.guards import Guard
from qualityflow.lifecycle.machine import Lifecycle, _machine
from qualityflow.lifecycle.presets import Clock, LegalDue, Preset
from qualityflow.lifecycle.timelimits import Deadline
from qualityflow.models.quantity import Quantity
from qualityflow.models.recall import (
    Consignee,
    EffectivenessLevel,
    LegalClock,
    Recall,
    RecallStatus,
    per_unit,
)

__all__ = [
    "RECALL_GUARDS",
    "RECALL_LIFECYCLE",
    "RECALL_MACHINE",
    "RECALL_STATES",
    "RECALL_TRANSITIONS",
    "RecallDeadlinePolicy",
    "RecallProgress",
    "calendar_of",
    "effectiveness_shortfall",
    "legal_clocks",
    "legal_dues",
    "FORWARD_STEPS",
    "met_steps",
    "missing_for",
    "recall_progress",
    "recovery_rates",
]

# --- reason templates ----------------------------------------------------------------------
# Marked with N_ (the English text is the message id) and translated where they are used,
# at check time, so ``locale=`` on blockers and fire gives the reasons in that locale.

NO_NOTICE_TIME = N_(
    "the recall notice has no time: give notice_at (when the notice was issued), not before "
    "the recall decision"
)
NOT_NOTIFIED = N_(
    "consignee {id} has not been sent the recall notice: record it with "
    "qms.recalls.notify(recall_id, '{id}', channel=..., at=..., actor=...)"
)
CONFIRMED_BEFORE_NOTICE = N_(
    "consignee {id}'s confirmation is dated before its notice, or it has no notice: confirm "
    "only a notice that was sent"
)
RETURN_IN_OTHER_UNIT = N_(
    "consignee {id} was shipped {units}, not {unit}: record its returns in the shipped unit"
)
RECOVERED_OVER_SHIPPED = N_(
    "consignee {id} would have {quantity} recovered but was shipped only {shipped}: "
    "recovered quantities cannot exceed what was shipped"
)
NOT_ACCOUNTED = N_(
    "consignee {id} still holds {left} of the recalled lots: record what was returned, "
    "destroyed on site or corrected (qms.recalls.record_return), or why it cannot be reached"
)
EFFECTIVENESS_SHORT = N_(
    "or meet the effectiveness target: {done} of {needed} consignee check(s) found effective "
    "(level {level})"
)
CHECK_INEFFECTIVE = N_(
    "the effectiveness check with consignee {id} found the recall not effective: follow up "
    "with it and check again"
)
RATE_SHORT = N_("the recovery rate in {unit} is {rate}, below the target {target}")
LEVEL_E = N_(
    "effectiveness level E makes no checks, so only accounting for every consignee completes "
    "the recall"
)
NO_SUMMARY = N_(
    "there is no summary: write what was recovered, how, what was done with it and what was "
    "learned (summary=...)"
)
NO_TERMINATE_NOTE = N_("terminating a recall needs a note saying why")
NO_CANCEL_NOTE = N_("cancelling a recall needs a note saying why")
NO_REPORT = N_(
    "no new authority report is given: record it with qms.recalls.report(recall_id, step, "
    "to=..., at=..., actor=...)"
)


def _notice_time(recall: Recall, note: str) -> list[str]:
    if recall.notice_at is None or recall.notice_at < recall.learned_at:
        return [_(NO_NOTICE_TIME)]
    return []


def _all_notified(recall: Recall, note: str) -> list[str]:
    return [_(NOT_NOTIFIED).format(id=c.id) for c in recall.consignees if c.notice is None]


def _confirmations(recall: Recall, note: str) -> list[str]:
    return [
        _(CONFIRMED_BEFORE_NOTICE).format(id=c.id)
        for c in recall.consignees
        if c.confirmation is not None and (c.notice is None or c.confirmation.at < c.notice.at)
    ]


def _recovery_problems(consignee: Consignee) -> list[str]:
    """:func:`~qualityflow.models.recall.recovery_problems` in the active locale."""
    shipped = per_unit(consignee.shipped)
    problems = []
    for unit, quantity in consignee.recovered().items():
        if unit not in shipped:
            problems.append(
                _(RETURN_IN_OTHER_UNIT).format(
                    id=consignee.id, units=", ".join(shipped) or _("nothing"), unit=repr(unit)
                )
            )
        elif quantity > shipped[unit]:
            problems.append(
                _(RECOVERED_OVER_SHIPPED).format(
                    id=consignee.id, quantity=quantity, shipped=shipped[unit]
                )
            )
    return problems


def _within_shipped(recall: Recall, note: str) -> list[str]:
    return [p for c in recall.consignees for p in _recovery_problems(c)]


def recovery_rates(recall: Recall) -> dict[str, Decimal]:
    """Recovered divided by shipped, per unit (units with nothing shipped left out)."""
    recovered = recall.recovered()
    rates = {}
    for unit, shipped in recall.shipped().items():
        if shipped.amount > 0:
            got = recovered[unit].amount if unit in recovered else Decimal(0)
            rates[unit] = got / shipped.amount
    return rates


def effectiveness_shortfall(recall: Recall) -> list[str]:
    """Return what keeps the effectiveness target from being met (empty: it is met).

    The reasons are in the active locale (:func:`qualityflow.i18n.using`).
    """
    if recall.effectiveness_level is EffectivenessLevel.E:
        return [_(LEVEL_E)]
    reasons = [
        _(CHECK_INEFFECTIVE).format(id=c.id)
        for c in recall.consignees
        if c.check is not None and not c.check.effective
    ]
    needed = recall.checks_required()
    done = sum(1 for c in recall.consignees if c.check is not None and c.check.effective)
    if done < needed or reasons:
        reasons.append(
            _(EFFECTIVENESS_SHORT).format(
                done=done, needed=needed, level=recall.effectiveness_level.value
            )
        )
    target = recall.recovery_target
    if target is not None:
        for unit, rate in recovery_rates(recall).items():
            if rate < target:
                reasons.append(
                    _(RATE_SHORT).format(unit=unit, rate=f"{rate:.1%}", target=f"{target:.0%}")
                )
    return reasons


def _accounted_or_effective(recall: Recall, note: str) -> list[str]:
    open_ones = [c for c in recall.consignees if not c.accounted_for]
    if not open_ones:
        return []
    reasons = [
        _(NOT_ACCOUNTED).format(
            id=c.id, left=", ".join(str(q) for q in c.still_at_customer() if q.amount > 0)
        )
        for c in open_ones
    ]
    shortfall = effectiveness_shortfall(recall)
    if not shortfall:
        return []
    return reasons + shortfall


def _new_report(recall: Recall, note: str) -> list[str]:
    reported = sum(1 for r in recall.history if r.trigger == "report")
    return [] if len(recall.authority_reports) > reported else [_(NO_REPORT)]


def _summary(recall: Recall, note: str) -> list[str]:
    return [_(NO_SUMMARY)] if recall.summary is None or not recall.summary.strip() else []


def _note(template: str) -> Any:
    def check(recall: Recall, note: str) -> list[str]:
        return [_(template)] if not note.strip() else []

    return check


RECALL_GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard(
            "notice_time",
            N_("the time the recall notice was issued, not before the decision"),
            (NO_NOTICE_TIME,),
            _notice_time,
        ),
        Guard(
            "all_notified",
            N_("a recall notice sent to every consignee (channel, time)"),
            (NOT_NOTIFIED,),
            _all_notified,
        ),
        Guard(
            "confirmations",
            N_("each confirmation after its consignee's notice"),
            (CONFIRMED_BEFORE_NOTICE,),
            _confirmations,
        ),
        Guard(
            "within_shipped",
            N_("recovered quantities within what was shipped, in the shipped unit"),
            (RETURN_IN_OTHER_UNIT, RECOVERED_OVER_SHIPPED),
            _within_shipped,
        ),
        Guard(
            "accounted_or_effective",
            N_("every consignee accounted for, or the effectiveness target met"),
            (NOT_ACCOUNTED, EFFECTIVENESS_SHORT, CHECK_INEFFECTIVE, RATE_SHORT, LEVEL_E),
            _accounted_or_effective,
        ),
        Guard(
            "new_report",
            N_("an authority report not yet recorded in the history"),
            (NO_REPORT,),
            _new_report,
        ),
        Guard("summary", N_("a closing summary"), (NO_SUMMARY,), _summary),
        Guard(
            "terminate_note",
            N_("a note saying why the recall ends early"),
            (NO_TERMINATE_NOTE,),
            _note(NO_TERMINATE_NOTE),
        ),
        Guard(
            "cancel_note",
            N_("a note saying why the recall is called off"),
            (NO_CANCEL_NOTE,),
            _note(NO_CANCEL_NOTE),
        ),
    )
}
"""The recall guards by name."""

RECALL_STATES: tuple[str, ...] = tuple(s.value for s in RecallStatus)

_WORKING = ["notified", "recovering"]

RECALL_TRANSITIONS: tuple[dict[str, Any], ...] = (
    {
        "trigger": "start",
        "source": ["planned"],
        "dest": "notified",
        "guards": ["notice_time"],
        "sets": ["notice_at"],
    },
    {"trigger": "notify", "source": _WORKING, "dest": None, "guards": [], "sets": ["consignees"]},
    {
        "trigger": "confirm",
        "source": _WORKING,
        "dest": None,
        "guards": ["confirmations"],
        "sets": ["consignees"],
    },
    {
        "trigger": "record_return",
        "source": _WORKING,
        "dest": None,
        "guards": ["within_shipped"],
        "sets": ["consignees"],
    },
    {
        "trigger": "unreachable",
        "source": _WORKING,
        "dest": None,
        "guards": [],
        "sets": ["consignees"],
    },
    {"trigger": "check", "source": _WORKING, "dest": None, "guards": [], "sets": ["consignees"]},
    {
        "trigger": "report",
        "source": ["planned", "notified", "recovering", "completed"],
        "dest": None,
        "guards": ["new_report"],
        "sets": ["authority_reports"],
    },
    {
        "trigger": "recover",
        "source": ["notified"],
        "dest": "recovering",
        "guards": ["all_notified"],
    },
    {
        "trigger": "complete",
        "source": ["recovering"],
        "dest": "completed",
        "guards": ["all_notified", "within_shipped", "accounted_or_effective"],
    },
    {
        "trigger": "close",
        "source": ["completed"],
        "dest": "closed",
        "guards": ["all_notified", "within_shipped", "accounted_or_effective", "summary"],
        "sets": ["summary"],
    },
    {
        "trigger": "terminate",
        "source": ["notified", "recovering"],
        "dest": "terminated",
        "guards": ["terminate_note"],
    },
    {"trigger": "cancel", "source": ["planned"], "dest": "cancelled", "guards": ["cancel_note"]},
)
"""The recall transitions as plain data; the consignee steps keep the state (``dest`` None)."""

RECALL_MACHINE: Machine = _machine(RECALL_STATES, RECALL_TRANSITIONS)
"""The one ``transitions.Machine`` every recall goes through (``model=None``)."""

RECALL_LIFECYCLE = Lifecycle(
    "recall", Recall, RECALL_STATES, RECALL_TRANSITIONS, RECALL_GUARDS, RECALL_MACHINE
)
"""The recall lifecycle: planned -> notified -> recovering -> completed -> closed, with
terminate and cancel; notify, confirm, record_return, unreachable, check and report record
the work on consignees and authorities without moving the state."""


# --- deadlines -----------------------------------------------------------------------------

_FINISHED = frozenset({"closed", "terminated", "cancelled"})


def legal_clocks(preset: Preset) -> list[LegalClock]:
    """Copy a preset's clocks into the data a recall stores."""
    return [
        LegalClock(
            preset=preset.name,
            step=c.step,
            start=c.start,
            amount=c.amount,
            unit=c.unit,
            legal_basis=c.legal_basis,
            grade=c.grade,
            target=c.target,
        )
        for c in preset.clocks
    ]


def calendar_of(recall: Recall) -> WorkingCalendar:
    """Return the working-day calendar the recall's clocks count on."""
    region: Region = recall.calendar_region  # type: ignore[assignment]
    return WorkingCalendar.for_region(region, holidays=recall.holidays, workdays=recall.workdays)


def _events(recall: Recall) -> dict[str, datetime]:
    events = {"learned": recall.learned_at}
    if recall.notice_at is not None:
        events["notice"] = recall.notice_at
    if recall.time_zone:
        zone = ZoneInfo(recall.time_zone)
        events = {k: v.astimezone(zone) for k, v in events.items()}
    return events


def legal_dues(recall: Recall) -> list[LegalDue]:
    """Every due time of the recall's clocks whose start event has happened (met or not)."""
    preset = Preset(
        "+".join(recall.presets),
        tuple(
            Clock(c.step, c.start, c.amount, c.unit, c.legal_basis, c.grade, c.target)
            for c in recall.clocks
        ),
    )
    return preset.due(_events(recall), grade=recall.grade.value, calendar=calendar_of(recall))


def met_steps(recall: Recall) -> dict[str, datetime]:
    """Return the legal steps done and when: ``start``/``complete`` fired, or a report.

    Only the forward triggers count as steps (a consignee's ``notify`` does not meet a
    preset's ``notify``-the-authority step); every other step is met by an authority
    report naming it (``qms.recalls.report(id, "notify", to=...)``).
    """
    done: dict[str, datetime] = {}
    for record in recall.history:
        if record.trigger in FORWARD_STEPS:
            done.setdefault(record.trigger, record.at)
    for report in recall.authority_reports:
        done.setdefault(report.step, report.at)
    return done


@dataclass(frozen=True)
class RecallDeadlinePolicy:
    """The deadlines of an open recall from the legal clocks stored with it.

    A step is met once the history holds the forward trigger of its name (``start``,
    ``complete``) or an authority report for it (``qms.recalls.report(id, "report_plan",
    ...)``). A step met late stays listed with ``met_at``, like a late incident report.
    Closed, terminated and cancelled recalls have none.
    """

    def deadlines(self, recall: Recall) -> list[Deadline]:
        """Return ``recall``'s open (and late-met) deadlines, ``late_by`` unset."""
        if recall.status.value in _FINISHED:
            return []
        done = met_steps(recall)
        found = []
        for due in legal_dues(recall):
            met_at = done.get(due.step)
            if met_at is not None and met_at <= due.due:
                continue
            found.append(
                Deadline(
                    subject_kind="recall",
                    subject_id=recall.id,
                    what=due.step,
                    due=due.due,
                    severity=recall.severity,
                    met_at=met_at,
                    legal_basis=due.legal_basis,
                )
            )
        return found


# --- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecallProgress:
    """Where a recall stands: quantities per unit, consignees, checks, the next deadline.

    ``shipped`` and ``recovered`` are per unit (recovered: returned, destroyed on site or
    corrected); ``recovery_rate`` is recovered divided by shipped when one unit was shipped
    (the lowest unit's rate when several were; ``None`` when nothing was shipped), and
    ``recovery_rates`` has each unit's. ``consignees`` lists the consignee ids in scope,
    ``notified``, ``confirmed`` and ``accounted`` those that have got that far.
    ``next_deadline`` is the earliest legal deadline not met yet (with its
    ``legal_basis``); ``deadlines`` all of them, late-met ones included. ``missing`` says
    what the recall's next forward step still needs.
    """

    recall_id: str
    status: str
    shipped: dict[str, Quantity]
    recovered: dict[str, Quantity]
    recovery_rate: Decimal | None
    recovery_rates: dict[str, Decimal]
    consignees: list[str]
    notified: list[str]
    confirmed: list[str]
    accounted: list[str]
    still_at_customers: dict[str, list[Quantity]]
    checks_required: int
    checks_effective: int
    next_deadline: Deadline | None
    deadlines: list[Deadline]
    next_step: str | None
    missing: list[str]

    @property
    def outstanding(self) -> dict[str, Quantity]:
        """Shipped minus recovered, per unit."""
        return {
            unit: q - self.recovered[unit] if unit in self.recovered else q
            for unit, q in self.shipped.items()
        }


_NEXT_STEP = {
    "planned": "start",
    "notified": "recover",
    "recovering": "complete",
    "completed": "close",
}


def recall_progress(recall: Recall, deadlines: Sequence[Deadline] | None = None) -> RecallProgress:
    """Compute a recall's :class:`RecallProgress` (``deadlines`` default: its legal clocks).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from qualityflow.models import Quantity
    >>> from qualityflow.models.recall import Consignee, Recall
    >>> t = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    >>> r = Recall(id="RCL-1", incident_id="INC-5", grade="I", reason="metal", opened_at=t,
    ...     opened_by="QA", learned_at=t, consignees=[Consignee(id="CUST-A",
    ...     shipped=[Quantity(amount=100, unit="pack")])])
    >>> p = recall_progress(r)
    >>> p.recovery_rate, p.next_step, p.missing[0][:33]
    (Decimal('0'), 'start', 'the recall notice has no time: gi')

    """
    if deadlines is None:
        deadlines = RecallDeadlinePolicy().deadlines(recall)
    rates = recovery_rates(recall)
    open_deadlines = sorted((d for d in deadlines if d.met_at is None), key=lambda d: d.due)
    step = _NEXT_STEP.get(recall.status.value)
    missing = RECALL_LIFECYCLE.blockers(recall, step) if step is not None else []
    return RecallProgress(
        recall_id=recall.id,
        status=recall.status.value,
        shipped=recall.shipped(),
        recovered=recall.recovered(),
        recovery_rate=min(rates.values()) if rates else None,
        recovery_rates=rates,
        consignees=[c.id for c in recall.consignees],
        notified=[c.id for c in recall.consignees if c.notice is not None],
        confirmed=[c.id for c in recall.consignees if c.confirmation is not None],
        accounted=[c.id for c in recall.consignees if c.accounted_for],
        still_at_customers={
            c.id: [q for q in c.still_at_customer() if q.amount > 0]
            for c in recall.consignees
            if not c.accounted_for
        },
        checks_required=recall.checks_required(),
        checks_effective=sum(
            1 for c in recall.consignees if c.check is not None and c.check.effective
        ),
        next_deadline=open_deadlines[0] if open_deadlines else None,
        deadlines=list(deadlines),
        next_step=step,
        missing=missing,
    )


FORWARD_STEPS: tuple[str, ...] = ("start", "recover", "complete", "close")
"""The recall's forward triggers, in order."""


def missing_for(recall: Recall, trigger: str, note: str = "") -> list[str]:
    """Return what stands between ``recall`` and ``trigger`` along the forward path.

    For a forward trigger that is further ahead than the next step (``close`` while
    ``recovering``), the unmet conditions of every step up to it, so a refusal says
    everything that is missing, not only that the state is wrong. Empty when the trigger
    is not a forward one or the recall is past it.
    """
    if trigger not in FORWARD_STEPS:
        return []
    nxt = _NEXT_STEP.get(recall.status.value)
    if nxt is None:
        return []
    first, last = FORWARD_STEPS.index(nxt), FORWARD_STEPS.index(trigger)
    if first > last:
        return []
    reasons: list[str] = []
    by_trigger = {t["trigger"]: t for t in RECALL_TRANSITIONS}
    for step in FORWARD_STEPS[first : last + 1]:
        for name in by_trigger[step]["guards"]:
            reasons.extend(RECALL_GUARDS[name].check(recall, note))
    return list(dict.fromkeys(reasons))
