"""The built-in guards of the incident and complaint lifecycles, by name.

A guard is a named check of an entity's own fields that returns the unmet conditions as
sentences a quality engineer understands (an empty list means the guard holds). The
lifecycles refer to guards by name in their transition data, so the same names appear in
the documentation table, in :meth:`~qualityflow.lifecycle.Lifecycle.blockers` and in the
diagrams. Each guard also lists the reason templates it can produce, for the docs.

Guards read only the entity and the transition's note; they never change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qualityflow.models import (
    ActionStatus,
    Complaint,
    Direction,
    Incident,
    RcaMethod,
)

__all__ = ["COMPLAINT_GUARDS", "INCIDENT_GUARDS", "Guard"]


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


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


# --- incident reason templates -------------------------------------------------------------

NO_ASSESSMENT = (
    "there is no impact assessment yet: record the severity, the batches and regions in "
    "scope, the risk and whether a recall is required"
)
NO_TEAM = (
    "no emergency team has been formed: name a leader and the members from production, "
    "technical, quality and sales"
)
BATCH_NOT_CONTAINED = "batch {batch_id} in the assessment's scope has no containment action"
NO_RECALL_DECISION = (
    "the assessment says a recall is required but no recall decision has been recorded: "
    "record which batches are recalled, from which customers and why"
)
NO_RCA = "there is no root-cause analysis yet: run a 5-Why or a fishbone down to the root cause"
RCA_NOT_CONFIRMED = "the root cause '{root_cause}' has not been confirmed yet"
NO_WHYS = "the 5-Why analysis records no why: write down each why down to the root cause"
NO_FISHBONE_CAUSE = "the fishbone lists no cause under '{category}', the category of the root cause"
NO_ACTIONS = "no corrective action has been planned"
ACTION_NO_OWNER = "corrective action {action_id} has no owner"
ACTION_NO_DEPARTMENT = "corrective action {action_id} has no responsible department"
ACTION_NO_DUE = "corrective action {action_id} has no due date"
ACTION_OPEN = "corrective action {action_id} is not done yet"
NO_VERIFICATION = (
    "the corrective actions have not been verified yet: record a verification with its evidence"
)
VERIFICATION_INEFFECTIVE = (
    "the verification found the corrective actions not effective: rework them "
    "(trigger 'rework') instead of closing"
)
VERIFICATION_EFFECTIVE = (
    "the verification found the corrective actions effective: there is nothing to rework, "
    "close the incident instead"
)
NO_LESSON = (
    "no lesson learned has been recorded: note what changes in procedures, standards or "
    "training so it does not recur"
)
NO_CANCEL_NOTE = "a cancellation needs a note saying why the incident is unfounded"

# --- complaint reason templates ------------------------------------------------------------

NOT_ACKNOWLEDGED = (
    "the customer has not been contacted yet: record an outbound contact acknowledging the "
    "complaint"
)
NO_REJECTION_REASON = "no rejection reason has been recorded: set rejection_reason"
CUSTOMER_NOT_TOLD = (
    "the customer has not been told: record an outbound contact explaining the rejection"
)
NO_RESOLUTION = (
    "there is no resolution yet: record the remedy (refund, replacement, repair, "
    "compensation or explanation)"
)
RESOLUTION_NOT_COMMUNICATED = (
    "the resolution ({kind}) has not been communicated to the customer: set its communicated_at"
)
NO_FOLLOW_UP = (
    "there is no satisfaction follow-up yet: ask the customer whether they are satisfied, "
    "or record the failed attempts to reach them"
)
FOLLOW_UP_EMPTY = (
    "the follow-up records neither the customer's satisfaction nor a failed attempt to reach them"
)
NO_INCIDENT_LINK = "no incident is linked: give the incident_id of the new or existing incident"


# --- incident checks -----------------------------------------------------------------------


def _impact_assessment(incident: Incident, note: str) -> list[str]:
    return [NO_ASSESSMENT] if incident.assessment is None else []


def _emergency_team(incident: Incident, note: str) -> list[str]:
    return [NO_TEAM] if incident.team is None else []


def _containment_covers_scope(incident: Incident, note: str) -> list[str]:
    if incident.assessment is None:
        return []
    contained = {action.batch_id for action in incident.containment}
    return [
        BATCH_NOT_CONTAINED.format(batch_id=batch_id)
        for batch_id in dict.fromkeys(incident.assessment.batch_ids)
        if batch_id not in contained
    ]


def _recall_decided(incident: Incident, note: str) -> list[str]:
    assessment = incident.assessment
    if assessment is not None and assessment.recall_required and incident.recall is None:
        return [NO_RECALL_DECISION]
    return []


def _root_cause_confirmed(incident: Incident, note: str) -> list[str]:
    rca = incident.root_cause
    if rca is None:
        return [NO_RCA]
    reasons = []
    if not rca.confirmed:
        reasons.append(RCA_NOT_CONFIRMED.format(root_cause=rca.root_cause))
    if rca.method is RcaMethod.FIVE_WHY:
        if not any(not _blank(why) for why in rca.whys):
            reasons.append(NO_WHYS)
    elif not any(not _blank(cause) for cause in rca.fishbone.get(rca.category, ())):
        reasons.append(NO_FISHBONE_CAUSE.format(category=rca.category.value))
    return reasons


def _actions_planned(incident: Incident, note: str) -> list[str]:
    if not incident.actions:
        return [NO_ACTIONS]
    reasons = []
    for action in incident.actions:
        if _blank(action.owner):
            reasons.append(ACTION_NO_OWNER.format(action_id=action.id))
        if _blank(action.department):
            reasons.append(ACTION_NO_DEPARTMENT.format(action_id=action.id))
        if action.due is None:
            reasons.append(ACTION_NO_DUE.format(action_id=action.id))
    return reasons


def _actions_done(incident: Incident, note: str) -> list[str]:
    if not incident.actions:
        return [NO_ACTIONS]
    return [
        ACTION_OPEN.format(action_id=action.id)
        for action in incident.actions
        if action.status is not ActionStatus.DONE
    ]


def _effective_verification(incident: Incident, note: str) -> list[str]:
    if incident.verification is None:
        return [NO_VERIFICATION]
    return [] if incident.verification.effective else [VERIFICATION_INEFFECTIVE]


def _ineffective_verification(incident: Incident, note: str) -> list[str]:
    if incident.verification is None:
        return [NO_VERIFICATION]
    return [VERIFICATION_EFFECTIVE] if incident.verification.effective else []


def _lesson_learned(incident: Incident, note: str) -> list[str]:
    return [] if any(not _blank(lesson) for lesson in incident.lessons) else [NO_LESSON]


def _cancel_note(entity: Any, note: str) -> list[str]:
    return [NO_CANCEL_NOTE] if _blank(note) else []


# --- complaint checks ----------------------------------------------------------------------


def _has_outbound(complaint: Complaint) -> bool:
    return any(contact.direction is Direction.OUTBOUND for contact in complaint.contacts)


def _acknowledged(complaint: Complaint, note: str) -> list[str]:
    return [] if _has_outbound(complaint) else [NOT_ACKNOWLEDGED]


def _rejection_reason(complaint: Complaint, note: str) -> list[str]:
    return [NO_REJECTION_REASON] if _blank(complaint.rejection_reason) else []


def _customer_told(complaint: Complaint, note: str) -> list[str]:
    return [] if _has_outbound(complaint) else [CUSTOMER_NOT_TOLD]


def _resolution_communicated(complaint: Complaint, note: str) -> list[str]:
    resolution = complaint.resolution
    if resolution is None:
        return [NO_RESOLUTION]
    if resolution.communicated_at is None:
        return [RESOLUTION_NOT_COMMUNICATED.format(kind=resolution.kind.value)]
    return []


def _follow_up(complaint: Complaint, note: str) -> list[str]:
    follow_up = complaint.follow_up
    if follow_up is None:
        return [NO_FOLLOW_UP]
    if follow_up.satisfied is None and follow_up.attempts < 1:
        return [FOLLOW_UP_EMPTY]
    return []


def _incident_link(complaint: Complaint, note: str) -> list[str]:
    return [NO_INCIDENT_LINK] if _blank(complaint.incident_id) else []


def _index(guards: Sequence[Guard]) -> dict[str, Guard]:
    return {guard.name: guard for guard in guards}


INCIDENT_GUARDS: dict[str, Guard] = _index(
    [
        Guard(
            "impact_assessment",
            "an impact assessment (nature, severity, scope, recall decision)",
            (NO_ASSESSMENT,),
            _impact_assessment,
        ),
        Guard(
            "emergency_team",
            "a cross-functional emergency team with a named leader",
            (NO_TEAM,),
            _emergency_team,
        ),
        Guard(
            "containment_covers_scope",
            "a containment action for every batch in the assessment's scope",
            (BATCH_NOT_CONTAINED,),
            _containment_covers_scope,
        ),
        Guard(
            "recall_decided",
            "a recall decision when the assessment says recall",
            (NO_RECALL_DECISION,),
            _recall_decided,
        ),
        Guard(
            "root_cause_confirmed",
            "a confirmed root cause: 5-Why with at least one why, or a fishbone with at "
            "least one cause in the root cause's category",
            (NO_RCA, RCA_NOT_CONFIRMED, NO_WHYS, NO_FISHBONE_CAUSE),
            _root_cause_confirmed,
        ),
        Guard(
            "actions_planned",
            "at least one corrective action, each with owner, department and due date",
            (NO_ACTIONS, ACTION_NO_OWNER, ACTION_NO_DEPARTMENT, ACTION_NO_DUE),
            _actions_planned,
        ),
        Guard(
            "actions_done",
            "every corrective action done",
            (NO_ACTIONS, ACTION_OPEN),
            _actions_done,
        ),
        Guard(
            "effective_verification",
            "a verification that found the actions effective",
            (NO_VERIFICATION, VERIFICATION_INEFFECTIVE),
            _effective_verification,
        ),
        Guard(
            "lesson_learned",
            "at least one lesson learned",
            (NO_LESSON,),
            _lesson_learned,
        ),
        Guard(
            "ineffective_verification",
            "a verification that found the actions not effective",
            (NO_VERIFICATION, VERIFICATION_EFFECTIVE),
            _ineffective_verification,
        ),
        Guard(
            "cancel_note",
            "a note saying why the incident is unfounded",
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
            "an outbound contact acknowledging the complaint",
            (NOT_ACKNOWLEDGED,),
            _acknowledged,
        ),
        Guard(
            "rejection_reason",
            "a rejection reason",
            (NO_REJECTION_REASON,),
            _rejection_reason,
        ),
        Guard(
            "customer_told",
            "an outbound contact telling the customer",
            (CUSTOMER_NOT_TOLD,),
            _customer_told,
        ),
        Guard(
            "resolution_communicated",
            "a resolution with the time it was communicated to the customer",
            (NO_RESOLUTION, RESOLUTION_NOT_COMMUNICATED),
            _resolution_communicated,
        ),
        Guard(
            "follow_up",
            "a follow-up: the customer's satisfaction, or recorded failed attempts",
            (NO_FOLLOW_UP, FOLLOW_UP_EMPTY),
            _follow_up,
        ),
        Guard(
            "incident_link",
            "the id of the new or existing incident",
            (NO_INCIDENT_LINK,),
            _incident_link,
        ),
    ]
)
"""The complaint guards by name."""
