"""The built-in guards of the incident and complaint lifecycles, by name.

A guard is a named check of an entity's own fields that returns the unmet conditions as
sentences a quality engineer understands (an empty list means the guard holds). The
lifecycles refer to guards by name in their transition data, so the same names appear in
the documentation table, in :meth:`~qualityflow.lifecycle.Lifecycle.blockers` and in the
diagrams. Each guard also lists the reason templates it can produce, for the docs.

Guards read only the entity (its history included) and the transition's note; they never
change anything.

Time order
----------
Evidence that a loop was closed must belong to the round being closed. A step that sends an
entity back (an incident's ``reopen`` or ``rework``, a complaint's ``reopen``) makes the
evidence recorded up to that moment stale, so the guards compare the evidence's own time
with the history:

* incident ``close`` and ``rework`` need a verification whose ``at`` is strictly after the
  last ``reopen`` or ``rework`` record (a verification at the very moment of the reopening
  cannot have seen the reworked actions);
* closing a reopened incident needs one distinct lesson learned per round: lessons carry no
  time, so the guard counts them (``1 + number of reopenings``) rather than dating them;
* complaint ``resolve`` and ``close`` after a ``reopen`` need a resolution communicated, and
  a follow-up made, strictly after the last reopening;
* complaint ``acknowledge`` needs an outbound contact at or after the complaint was received,
  and ``reject`` one at or after the complaint entered ``verifying`` (the last record whose
  destination is ``verifying``; an entity without such a record, imported from an older
  system, falls back to the time of receipt), so the acknowledgement does not count as
  having told the customer about the rejection.

The corrective actions themselves are not dated against a reopening: after one, the fresh
verification is the evidence that the actions (old or new) now work.

Recorded order
--------------
A caller chooses the evidence's own times, so dates alone prove nothing. Each rule above
therefore also needs the evidence to have been *recorded* after the step it must follow: a
later transition record names it in its ``fields`` (set with that trigger), an amendment
recorded later changed it, or the trigger being fired sets it now. Records written before
0.2 carry no ``recorded_at``; against them the dates alone decide, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from qualityflow.i18n import N_, _, label
from qualityflow.models import (
    ActionStatus,
    Channel,
    Complaint,
    Direction,
    Incident,
    RcaMethod,
    TransitionRecord,
    VerificationConclusion,
)

__all__ = ["COMPLAINT_GUARDS", "INCIDENT_GUARDS", "SENT_BACK", "Guard"]


@dataclass(frozen=True)
class Guard:
    """A named condition a trigger needs, with the reasons it can give when unmet.

    Parameters
    ----------
    name
        The name transitions refer to, for example ``"containment_covers_scope"``.
    requires
        What the guard asks for, in one line (used in the docs table).
    reasons
        The reason templates the check can return; ``{...}`` parts name the thing.
    check
        ``check(entity, note) -> list[str]``: the unmet conditions, empty when it holds.

    """

    name: str
    requires: str
    reasons: tuple[str, ...]
    check: Callable[[Any, str], list[str]]

    def __call__(self, entity: Any, note: str = "") -> list[str]:
        """Return the unmet conditions for ``entity`` (empty when the guard holds)."""
        return self.check(entity, note)

    def describe(self) -> str:
        """Return :attr:`requires` in the active locale (the attribute stays English).

        Examples
        --------
        >>> from qualityflow.i18n import using
        >>> with using("zh_CN"):
        ...     INCIDENT_GUARDS["actions_done"].describe()
        '所有纠正措施均已完成'

        """
        return _(self.requires)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


_PENDING: ContextVar[frozenset[str]] = ContextVar("qualityflow_pending", default=frozenset())


@contextmanager
def setting(fields: Collection[str]) -> Iterator[None]:
    """Let the guards know that the trigger being checked sets ``fields`` now.

    :meth:`qualityflow.lifecycle.Lifecycle.fire` wraps its guard checks in it, so that
    evidence given with the trigger counts as recorded after every earlier step.
    """
    token = _PENDING.set(frozenset(fields))
    try:
        yield
    finally:
        _PENDING.reset(token)


def _recorded_since(entity: Any, field: str, since: TransitionRecord) -> bool:
    """Whether ``field`` was recorded after ``since`` (a record of ``entity.history``).

    True when the trigger being checked sets it, when a later record names it in its
    ``fields``, or when an amendment recorded after ``since`` changed it. A record from
    before 0.2 (no ``recorded_at``) has no recorded order: True, the dates decide.
    """
    if field in _PENDING.get() or since.recorded_at is None:
        return True
    history = entity.history
    for record in reversed(history):
        if record is since:
            break
        if field in record.fields:
            return True
    for amendment in reversed(getattr(entity, "amendments", ())):
        recorded = amendment.recorded_at
        if recorded is None or recorded <= since.recorded_at:
            break
        if any(change.field == field for change in amendment.changes):
            return True
    return False


SENT_BACK = frozenset({"reopen", "rework"})
"""The triggers that send an incident back for another round: the evidence of the rounds
before them is stale (the guards' freshness rules, and what ``save`` may still change)."""
_REOPEN = frozenset({"reopen"})


def _last(
    history: Sequence[TransitionRecord], triggers: Collection[str]
) -> TransitionRecord | None:
    """Return the last record whose trigger is one of ``triggers`` (None: there is none)."""
    for record in reversed(history):
        if record.trigger in triggers:
            return record
    return None


def _when(moment: datetime, other: datetime) -> str:
    """``moment`` in UTC for a reason text: the date, or the time too when ``other`` shares it."""
    moment = moment.astimezone(timezone.utc)
    other = other.astimezone(timezone.utc)
    if moment.date() != other.date():
        return moment.date().isoformat()
    if moment.replace(second=0, microsecond=0) != other.replace(second=0, microsecond=0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# --- incident reason templates -------------------------------------------------------------

NO_ASSESSMENT = N_(
    "there is no impact assessment yet: record the severity, the batches and regions in "
    "scope, the risk and whether a recall is required"
)
NO_TEAM = N_(
    "no emergency team has been formed: name a leader and the members from production, "
    "technical, quality and sales"
)
BATCH_NOT_CONTAINED = N_("batch {batch_id} in the assessment's scope has no containment action")
NO_RECALL_DECISION = N_(
    "the assessment says a recall is required but no recall decision has been recorded: "
    "record which batches are recalled, from which customers and why"
)
NO_RCA = N_("there is no root-cause analysis yet: run a 5-Why or a fishbone down to the root cause")
RCA_NOT_CONFIRMED = N_("the root cause '{root_cause}' has not been confirmed yet")
NO_WHYS = N_("the 5-Why analysis records no why: write down each why down to the root cause")
NO_FISHBONE_CAUSE = N_(
    "the fishbone lists no cause under '{category}', the category of the root cause"
)
NO_ACTIONS = N_("no corrective action has been planned")
ACTION_NO_OWNER = N_("corrective action {action_id} has no owner")
ACTION_NO_DEPARTMENT = N_("corrective action {action_id} has no responsible department")
ACTION_NO_DUE = N_("corrective action {action_id} has no due date")
ACTION_OPEN = N_("corrective action {action_id} is not done yet")
NO_VERIFICATION = N_(
    "the corrective actions have not been verified yet: record a verification with its evidence"
)
VERIFICATION_INEFFECTIVE = N_(
    "the verification found the corrective actions not effective: rework them "
    "(trigger 'rework') instead of closing"
)
VERIFICATION_EFFECTIVE = N_(
    "the verification found the corrective actions effective: there is nothing to rework, "
    "close the incident instead"
)
VERIFICATION_STALE = N_(
    "the verification of {verified} predates the {step} on {step_at}; verify again: record "
    "a new verification of the corrective actions"
)
LESSONS_PER_ROUND = N_(
    "the incident has been reopened {reopens} time(s): closing it again needs a new lesson "
    "for each round, {needed} distinct lessons learned in all ({have} recorded); note what "
    "this round taught"
)
NO_LESSON = N_(
    "no lesson learned has been recorded: note what changes in procedures, standards or "
    "training so it does not recur"
)
VERIFICATION_RECORDED_BEFORE = N_(
    "the verification on file was recorded before the {step}: verify the corrective "
    "actions again and record the new verification"
)
NO_CANCEL_NOTE = N_("a cancellation needs a note saying why the incident is unfounded")

# --- complaint reason templates ------------------------------------------------------------

NOT_ACKNOWLEDGED = N_(
    "the customer has not been contacted yet: record an outbound contact acknowledging the "
    "complaint"
)
CONTACT_BEFORE_RECEIPT = N_(
    "the outbound contact of {contact_at} predates the complaint, received on {received}: "
    "record an outbound contact acknowledging the complaint"
)
NO_REJECTION_REASON = N_(
    "no rejection reason has been recorded: set rejection_reason, or give the information "
    "verification that found the complaint does not concern our product "
    "(information_verification=...)"
)
CUSTOMER_NOT_TOLD = N_(
    "the customer has not been told: record an outbound contact explaining the rejection"
)
CUSTOMER_NOT_TOLD_SINCE_VERIFYING = N_(
    "no outbound contact since the complaint entered verifying on {verifying_at} (the last "
    "was on {contact_at}, before it): the customer has not been told about the rejection; "
    "record an outbound contact explaining it"
)
NOT_TOLD_SINCE_VERIFYING_RECORDED = N_(
    "the outbound contacts on file were recorded before the complaint entered verifying: "
    "record the contact explaining the rejection (give contacts=... with 'reject')"
)
NO_RESOLUTION = N_(
    "there is no resolution yet: record the remedy (refund, replacement, repair, "
    "compensation or explanation)"
)
RESOLUTION_NOT_COMMUNICATED = N_(
    "the resolution ({kind}) has not been communicated to the customer: set its communicated_at"
)
RESOLUTION_STALE = N_(
    "the resolution ({kind}) was communicated on {communicated}, before the reopening on "
    "{reopened}: record the new resolution and when the customer was told"
)
NO_FOLLOW_UP = N_(
    "there is no satisfaction follow-up yet: ask the customer whether they are satisfied, "
    "or record the failed attempts to reach them"
)
FOLLOW_UP_EMPTY = N_(
    "the follow-up records neither the customer's satisfaction nor a failed attempt to reach them"
)
RESOLUTION_RECORDED_BEFORE = N_(
    "the resolution ({kind}) on file was recorded before the reopening: record the new "
    "resolution and when the customer was told"
)
FOLLOW_UP_RECORDED_BEFORE = N_(
    "the follow-up on file was recorded before the reopening: follow up with the customer "
    "again and record it"
)
FOLLOW_UP_STALE = N_(
    "the follow-up of {follow_up} predates the reopening on {reopened}; follow up with the "
    "customer again"
)
NO_INCIDENT_LINK = N_("no incident is linked: give the incident_id of the new or existing incident")
NO_INFORMATION_VERIFICATION = N_(
    "the complaint's information has not been verified: check the product and lot, the proof "
    "of purchase and the sample or photos, and give the result with 'investigate' "
    "(information_verification=qf.ComplaintVerification(...))"
)
INFORMATION_BEFORE_RECEIPT = N_(
    "the information verification of {verified} predates the complaint, received on "
    "{received}: verify this complaint's information and record that verification"
)
INFORMATION_NOT_OURS = N_(
    "the information verification by {by} found the complaint does not concern our product "
    "({finding}): reject it with that finding, telling the customer, instead of investigating"
)
INFORMATION_INCONCLUSIVE = N_(
    "the information verification by {by} is inconclusive ({finding}): ask the customer for "
    "the sample, photos or the lot number, and record a verification that confirms it "
    "concerns our product"
)


# --- incident checks -----------------------------------------------------------------------


def _impact_assessment(incident: Incident, note: str) -> list[str]:
    return [_(NO_ASSESSMENT)] if incident.assessment is None else []


def _emergency_team(incident: Incident, note: str) -> list[str]:
    return [_(NO_TEAM)] if incident.team is None else []


def _containment_covers_scope(incident: Incident, note: str) -> list[str]:
    if incident.assessment is None:
        return []
    contained = {action.batch_id for action in incident.containment}
    return [
        _(BATCH_NOT_CONTAINED).format(batch_id=batch_id)
        for batch_id in dict.fromkeys(incident.assessment.batch_ids)
        if batch_id not in contained
    ]


def _recall_decided(incident: Incident, note: str) -> list[str]:
    assessment = incident.assessment
    if assessment is not None and assessment.recall_required and incident.recall is None:
        return [_(NO_RECALL_DECISION)]
    return []


def _root_cause_confirmed(incident: Incident, note: str) -> list[str]:
    rca = incident.root_cause
    if rca is None:
        return [_(NO_RCA)]
    reasons = []
    if not rca.confirmed:
        reasons.append(_(RCA_NOT_CONFIRMED).format(root_cause=rca.root_cause))
    if rca.method is RcaMethod.FIVE_WHY:
        if not any(not _blank(why) for why in rca.whys):
            reasons.append(_(NO_WHYS))
    elif not any(not _blank(cause) for cause in rca.fishbone.get(rca.category, ())):
        reasons.append(_(NO_FISHBONE_CAUSE).format(category=label(rca.category)))
    return reasons


def _actions_planned(incident: Incident, note: str) -> list[str]:
    if not incident.actions:
        return [_(NO_ACTIONS)]
    reasons = []
    for action in incident.actions:
        if _blank(action.owner):
            reasons.append(_(ACTION_NO_OWNER).format(action_id=action.id))
        if _blank(action.department):
            reasons.append(_(ACTION_NO_DEPARTMENT).format(action_id=action.id))
        if action.due is None:
            reasons.append(_(ACTION_NO_DUE).format(action_id=action.id))
    return reasons


def _actions_done(incident: Incident, note: str) -> list[str]:
    if not incident.actions:
        return [_(NO_ACTIONS)]
    return [
        _(ACTION_OPEN).format(action_id=action.id)
        for action in incident.actions
        if action.status is not ActionStatus.DONE
    ]


def _stale_verification(incident: Incident) -> list[str]:
    """Refuse a verification not strictly after the last reopen or rework (a tie is stale)."""
    verification = incident.verification
    if verification is None:
        return []
    sent_back = _last(incident.history, SENT_BACK)
    if sent_back is None:
        return []
    step = _("reopening") if sent_back.trigger == "reopen" else _("rework")
    if verification.at <= sent_back.at:
        return [
            _(VERIFICATION_STALE).format(
                verified=_when(verification.at, sent_back.at),
                step=step,
                step_at=_when(sent_back.at, verification.at),
            )
        ]
    if not _recorded_since(incident, "verification", sent_back):
        return [_(VERIFICATION_RECORDED_BEFORE).format(step=step)]
    return []


def _effective_verification(incident: Incident, note: str) -> list[str]:
    if incident.verification is None:
        return [_(NO_VERIFICATION)]
    stale = _stale_verification(incident)
    if stale:
        return stale
    return [] if incident.verification.effective else [_(VERIFICATION_INEFFECTIVE)]


def _ineffective_verification(incident: Incident, note: str) -> list[str]:
    if incident.verification is None:
        return [_(NO_VERIFICATION)]
    stale = _stale_verification(incident)
    if stale:
        return stale
    return [_(VERIFICATION_EFFECTIVE)] if incident.verification.effective else []


def _lesson_learned(incident: Incident, note: str) -> list[str]:
    lessons = {lesson.strip() for lesson in incident.lessons if not _blank(lesson)}
    if not lessons:
        return [_(NO_LESSON)]
    reopens = sum(1 for record in incident.history if record.trigger == "reopen")
    if len(lessons) > reopens:
        return []
    return [_(LESSONS_PER_ROUND).format(reopens=reopens, needed=reopens + 1, have=len(lessons))]


def _cancel_note(entity: Any, note: str) -> list[str]:
    return [_(NO_CANCEL_NOTE)] if _blank(note) else []


# --- complaint checks ----------------------------------------------------------------------


def _last_outbound(complaint: Complaint) -> datetime | None:
    """Return the latest outbound contact's time (None: the customer was never contacted)."""
    times = [c.at for c in complaint.contacts if c.direction is Direction.OUTBOUND]
    return max(times) if times else None


def _acknowledged(complaint: Complaint, note: str) -> list[str]:
    last = _last_outbound(complaint)
    if last is None:
        return [_(NOT_ACKNOWLEDGED)]
    if last >= complaint.received_at:
        return []
    return [
        _(CONTACT_BEFORE_RECEIPT).format(
            contact_at=_when(last, complaint.received_at),
            received=_when(complaint.received_at, last),
        )
    ]


def _not_ours(complaint: Complaint) -> bool:
    """Whether the recorded information verification found it is not our product."""
    found = complaint.information_verification
    return found is not None and found.conclusion is VerificationConclusion.NOT_OUR_PRODUCT


def _rejection_reason(complaint: Complaint, note: str) -> list[str]:
    if _blank(complaint.rejection_reason) and not _not_ours(complaint):
        return [_(NO_REJECTION_REASON)]
    return []


VERIFIED_CHANNELS: frozenset[Channel] = frozenset({Channel.PLATFORM_12315})
"""The channels whose complaints are investigated only once their information is verified:
the regulator's 12315 platform. A policy may ask it of every complaint
(``qf.RolePolicy(verify_information=True)``; ``qf.policies.STRICT`` does)."""


def _information_verified(complaint: Complaint, note: str) -> list[str]:
    found = complaint.information_verification
    if found is None:
        return [_(NO_INFORMATION_VERIFICATION)] if complaint.channel in VERIFIED_CHANNELS else []
    if found.at < complaint.received_at:
        return [
            _(INFORMATION_BEFORE_RECEIPT).format(
                verified=_when(found.at, complaint.received_at),
                received=_when(complaint.received_at, found.at),
            )
        ]
    if found.conclusion is VerificationConclusion.NOT_OUR_PRODUCT:
        return [_(INFORMATION_NOT_OURS).format(by=found.by, finding=found.finding.strip())]
    if found.conclusion is VerificationConclusion.INCONCLUSIVE:
        return [_(INFORMATION_INCONCLUSIVE).format(by=found.by, finding=found.finding.strip())]
    return []


def _verifying_record(complaint: Complaint) -> TransitionRecord | None:
    """Return the record by which the complaint last entered ``verifying`` (None: none says)."""
    for record in reversed(complaint.history):
        if record.dest == "verifying" and record.source != "verifying":
            return record
    return None


def _entered_verifying(complaint: Complaint) -> datetime:
    """When the complaint last entered ``verifying`` (its receipt when no record says)."""
    record = _verifying_record(complaint)
    return complaint.received_at if record is None else record.at


def _customer_told(complaint: Complaint, note: str) -> list[str]:
    last = _last_outbound(complaint)
    if last is None:
        return [_(CUSTOMER_NOT_TOLD)]
    since = _entered_verifying(complaint)
    if last < since:
        return [
            _(CUSTOMER_NOT_TOLD_SINCE_VERIFYING).format(
                verifying_at=_when(since, last), contact_at=_when(last, since)
            )
        ]
    entered = _verifying_record(complaint)
    if entered is not None and not _recorded_since(complaint, "contacts", entered):
        return [_(NOT_TOLD_SINCE_VERIFYING_RECORDED)]
    return []


def _resolution_communicated(complaint: Complaint, note: str) -> list[str]:
    resolution = complaint.resolution
    if resolution is None:
        return [_(NO_RESOLUTION)]
    communicated = resolution.communicated_at
    if communicated is None:
        return [_(RESOLUTION_NOT_COMMUNICATED).format(kind=label(resolution.kind))]
    reopened = _last(complaint.history, _REOPEN)
    if reopened is None:
        return []
    if communicated <= reopened.at:
        return [
            _(RESOLUTION_STALE).format(
                kind=label(resolution.kind),
                communicated=_when(communicated, reopened.at),
                reopened=_when(reopened.at, communicated),
            )
        ]
    if not _recorded_since(complaint, "resolution", reopened):
        return [_(RESOLUTION_RECORDED_BEFORE).format(kind=label(resolution.kind))]
    return []


def _follow_up(complaint: Complaint, note: str) -> list[str]:
    follow_up = complaint.follow_up
    if follow_up is None:
        return [_(NO_FOLLOW_UP)]
    if follow_up.satisfied is None and follow_up.attempts < 1:
        return [_(FOLLOW_UP_EMPTY)]
    reopened = _last(complaint.history, _REOPEN)
    if reopened is None:
        return []
    if follow_up.at <= reopened.at:
        return [
            _(FOLLOW_UP_STALE).format(
                follow_up=_when(follow_up.at, reopened.at),
                reopened=_when(reopened.at, follow_up.at),
            )
        ]
    if not _recorded_since(complaint, "follow_up", reopened):
        return [_(FOLLOW_UP_RECORDED_BEFORE)]
    return []


def _incident_link(complaint: Complaint, note: str) -> list[str]:
    return [_(NO_INCIDENT_LINK)] if _blank(complaint.incident_id) else []


def _index(guards: Sequence[Guard]) -> dict[str, Guard]:
    return {guard.name: guard for guard in guards}


INCIDENT_GUARDS: dict[str, Guard] = _index(
    [
        Guard(
            "impact_assessment",
            N_("an impact assessment (nature, severity, scope, recall decision)"),
            (NO_ASSESSMENT,),
            _impact_assessment,
        ),
        Guard(
            "emergency_team",
            N_("a cross-functional emergency team with a named leader"),
            (NO_TEAM,),
            _emergency_team,
        ),
        Guard(
            "containment_covers_scope",
            N_("a containment action for every batch in the assessment's scope"),
            (BATCH_NOT_CONTAINED,),
            _containment_covers_scope,
        ),
        Guard(
            "recall_decided",
            N_("a recall decision when the assessment says recall"),
            (NO_RECALL_DECISION,),
            _recall_decided,
        ),
        Guard(
            "root_cause_confirmed",
            N_(
                "a confirmed root cause: 5-Why with at least one why, or a fishbone with at "
                "least one cause in the root cause's category"
            ),
            (NO_RCA, RCA_NOT_CONFIRMED, NO_WHYS, NO_FISHBONE_CAUSE),
            _root_cause_confirmed,
        ),
        Guard(
            "actions_planned",
            N_("at least one corrective action, each with owner, department and due date"),
            (NO_ACTIONS, ACTION_NO_OWNER, ACTION_NO_DEPARTMENT, ACTION_NO_DUE),
            _actions_planned,
        ),
        Guard(
            "actions_done",
            N_("every corrective action done"),
            (NO_ACTIONS, ACTION_OPEN),
            _actions_done,
        ),
        Guard(
            "effective_verification",
            N_(
                "a verification that found the actions effective, recorded after the last "
                "reopening or rework"
            ),
            (
                NO_VERIFICATION,
                VERIFICATION_RECORDED_BEFORE,
                VERIFICATION_STALE,
                VERIFICATION_INEFFECTIVE,
            ),
            _effective_verification,
        ),
        Guard(
            "lesson_learned",
            N_("at least one lesson learned, and one more distinct lesson per reopening"),
            (NO_LESSON, LESSONS_PER_ROUND),
            _lesson_learned,
        ),
        Guard(
            "ineffective_verification",
            N_(
                "a verification that found the actions not effective, recorded after the last "
                "reopening or rework"
            ),
            (
                NO_VERIFICATION,
                VERIFICATION_RECORDED_BEFORE,
                VERIFICATION_STALE,
                VERIFICATION_EFFECTIVE,
            ),
            _ineffective_verification,
        ),
        Guard(
            "cancel_note",
            N_("a note saying why the incident is unfounded"),
            (NO_CANCEL_NOTE,),
            _cancel_note,
        ),
    ]
)
"""The incident guards by name."""

COMPLAINT_GUARDS: dict[str, Guard] = _index(
    [
        Guard(
            "acknowledged",
            N_("an outbound contact acknowledging the complaint, at or after its receipt"),
            (NOT_ACKNOWLEDGED, CONTACT_BEFORE_RECEIPT),
            _acknowledged,
        ),
        Guard(
            "information_verified",
            N_(
                "for a complaint from the 12315 platform, an information verification; any "
                "verification given is at or after the complaint's receipt and concludes it "
                "concerns our product"
            ),
            (
                NO_INFORMATION_VERIFICATION,
                INFORMATION_BEFORE_RECEIPT,
                INFORMATION_NOT_OURS,
                INFORMATION_INCONCLUSIVE,
            ),
            _information_verified,
        ),
        Guard(
            "rejection_reason",
            N_(
                "a rejection reason, or an information verification that found the complaint "
                "does not concern our product"
            ),
            (NO_REJECTION_REASON,),
            _rejection_reason,
        ),
        Guard(
            "customer_told",
            N_(
                "an outbound contact telling the customer, at or after the complaint entered "
                "verifying"
            ),
            (
                CUSTOMER_NOT_TOLD,
                NOT_TOLD_SINCE_VERIFYING_RECORDED,
                CUSTOMER_NOT_TOLD_SINCE_VERIFYING,
            ),
            _customer_told,
        ),
        Guard(
            "resolution_communicated",
            N_(
                "a resolution with the time it was communicated to the customer, after the last "
                "reopening"
            ),
            (
                NO_RESOLUTION,
                RESOLUTION_NOT_COMMUNICATED,
                RESOLUTION_RECORDED_BEFORE,
                RESOLUTION_STALE,
            ),
            _resolution_communicated,
        ),
        Guard(
            "follow_up",
            N_(
                "a follow-up after the last reopening: the customer's satisfaction, or recorded "
                "failed attempts"
            ),
            (NO_FOLLOW_UP, FOLLOW_UP_EMPTY, FOLLOW_UP_RECORDED_BEFORE, FOLLOW_UP_STALE),
            _follow_up,
        ),
        Guard(
            "incident_link",
            N_("the id of the new or existing incident"),
            (NO_INCIDENT_LINK,),
            _incident_link,
        ),
    ]
)
"""The complaint guards by name."""
