"""The incident and complaint lifecycles, told as a biscuit plant and a tissue mill.

A metal fragment is found in butter biscuits (batch BISC-0301, and BISC-0302 from the same
line); the emergency team assesses, contains, finds the root cause, corrects, verifies and
closes. A supermarket complains about tissue rolls tearing along the perforation; the
complaint is acknowledged, verified, investigated, resolved and followed up.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

import qualityflow as qf
from qualityflow.lifecycle import INCIDENT_MACHINE
from qualityflow.testing import verified_information

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
INC = qf.INCIDENT_LIFECYCLE
CMP = qf.COMPLAINT_LIFECYCLE


# --- the biscuit plant's records -----------------------------------------------------------


def foreign_body_incident(**fields: Any) -> qf.Incident:
    return qf.Incident(
        id="INC-2026-014",
        title="Metal fragment in butter biscuits",
        severity="critical",
        reported_at=T0,
        reported_by="line 2 operator Sam Weber",
        batch_ids=["BISC-0301"],
        **fields,
    )


def emergency_team() -> qf.EmergencyTeam:
    return qf.EmergencyTeam(
        leader=qf.TeamMember(name="Lena Ortiz", role="leader", department="quality"),
        members=[
            qf.TeamMember(name="Jon Park", role="line lead", department="production"),
            qf.TeamMember(name="Ana Ruiz", role="engineer", department="technical"),
            qf.TeamMember(name="Mo Chen", role="key accounts", department="sales"),
        ],
    )


def assessment(recall: bool = False) -> qf.ImpactAssessment:
    return qf.ImpactAssessment(
        severity="critical",
        batch_ids=["BISC-0301", "BISC-0302"],
        regions=["North"],
        risk="choking and cuts from metal fragments",
        recall_required=recall,
        rationale="two packs with fragments from the same sheeter shift",
    )


def contain(batch_id: str, action: str = "quarantine") -> qf.ContainmentAction:
    return qf.ContainmentAction(batch_id=batch_id, action=action, by="Jon Park", at=T0)


def recall_decision() -> qf.RecallDecision:
    return qf.RecallDecision(
        initiated_at=T0 + timedelta(hours=3),
        batch_ids=["BISC-0301"],
        customer_ids=["CUST-FRESHMART"],
        reason="metal fragments found in retail packs",
    )


def five_why(confirmed: bool = True, whys: list[str] | None = None) -> qf.RootCauseAnalysis:
    return qf.RootCauseAnalysis(
        method="five_why",
        problem="metal fragment in biscuits",
        whys=["the sheeter blade chipped", "the blade was past its service life"]
        if whys is None
        else whys,
        root_cause="no blade replacement interval in the maintenance plan",
        category="machine",
        confirmed=confirmed,
    )


def fishbone(causes: dict[str, list[str]]) -> qf.RootCauseAnalysis:
    return qf.RootCauseAnalysis(
        method="fishbone",
        problem="metal fragment in biscuits",
        fishbone=causes,
        root_cause="worn sheeter blade",
        category="machine",
        confirmed=True,
    )


def action(
    id: str = "CA-1",
    *,
    owner: str | None = "Ana Ruiz",
    department: str | None = "maintenance",
    due: date | None = date(2026, 3, 9),
    done: bool = False,
) -> qf.CorrectiveAction:
    return qf.CorrectiveAction(
        id=id,
        description="add a 500-hour blade replacement interval to the maintenance plan",
        owner=owner,
        department=department,
        due=due,
        status="done" if done else "open",
        done_at=T0 + timedelta(days=5) if done else None,
    )


def verification(effective: bool = True, days: float = 20) -> qf.Verification:
    return qf.Verification(
        effective=effective,
        evidence="metal detector rejects 0 in 40 000 packs over two weeks",
        verified_by="Lena Ortiz",
        at=T0 + timedelta(days=days),
    )


def fire(entity: Any, trigger: str, hours: float = 1, **kw: Any) -> qf.TransitionRecord:
    """Fire at ``T0 + hours``, or at the previous step's time if that is later.

    Steps are recorded in the order they happen (a step dated before the previous one is
    refused, see the two-clock tests), so a setup step never goes back in time.
    """
    lifecycle = INC if isinstance(entity, qf.Incident) else CMP
    at = T0 + timedelta(hours=hours)
    if entity.history and entity.history[-1].at > at:
        at = entity.history[-1].at
    return lifecycle.fire(entity, trigger, actor="Lena Ortiz", at=at, **kw)


def incident_in(state: str) -> qf.Incident:
    """The incident walked along the happy path up to ``state``."""
    inc = foreign_body_incident()
    path: list[tuple[str, dict[str, Any]]] = [
        ("assess", {"assessment": assessment(), "team": emergency_team()}),
        ("contain", {"containment": [contain("BISC-0301"), contain("BISC-0302", "hold")]}),
        ("investigate", {}),
        ("correct", {"root_cause": five_why(), "actions": [action()]}),
        ("verify", {"actions": [action(done=True)]}),
        ("close", {"verification": verification(), "lessons": ["blades have a service life"]}),
    ]
    for i, (trigger, data) in enumerate(path):
        if inc.status.value == state:
            break
        fire(inc, trigger, hours=i + 1, **data)
    assert inc.status.value == state
    return inc


def snapshot(entity: Any) -> tuple[str, set[str]]:
    return entity.model_dump_json(), set(entity.model_fields_set)


def assert_refused(entity: Any, trigger: str, *expected: str, **kw: Any) -> list[str]:
    before = snapshot(entity)
    with pytest.raises(qf.TransitionError) as err:
        fire(entity, trigger, **kw)
    assert snapshot(entity) == before, "a refused trigger must change nothing"
    assert err.value.trigger == trigger
    assert err.value.state == entity.status.value
    for reason in expected:
        assert reason in err.value.reasons
    return err.value.reasons


# --- the incident loop ---------------------------------------------------------------------


def test_the_whole_loop_closes_with_a_verifiable_history() -> None:
    inc = incident_in("closed")
    assert [r.trigger for r in inc.history] == [
        "assess",
        "contain",
        "investigate",
        "correct",
        "verify",
        "close",
    ]
    assert inc.history[-1].dest == "closed" == inc.status.value
    assert inc.history[0].actor == "Lena Ortiz"
    assert qf.verify_history(inc)
    # the data given with each trigger was stored on the incident
    assert inc.team is not None and inc.team.leader.name == "Lena Ortiz"
    assert {c.batch_id for c in inc.containment} == {"BISC-0301", "BISC-0302"}
    assert inc.actions[0].status is qf.ActionStatus.DONE


def test_assess_needs_an_assessment_and_a_team() -> None:
    inc = foreign_body_incident()
    reasons = assert_refused(inc, "assess")
    assert any("impact assessment" in r for r in reasons)
    assert any("emergency team" in r for r in reasons)
    assert_refused(inc, "assess", assessment=assessment())
    fire(inc, "assess", assessment=assessment(), team=emergency_team())
    assert inc.status is qf.IncidentStatus.ASSESSED


def test_contain_names_each_batch_in_scope_without_containment() -> None:
    inc = incident_in("assessed")
    assert_refused(
        inc,
        "contain",
        "batch BISC-0302 in the assessment's scope has no containment action",
        containment=[contain("BISC-0301")],
    )
    fire(inc, "contain", containment=[contain("BISC-0301"), contain("BISC-0302", "scrap")])
    assert inc.status is qf.IncidentStatus.CONTAINED


def test_contain_needs_a_recall_decision_when_the_assessment_says_recall() -> None:
    inc = foreign_body_incident()
    fire(inc, "assess", assessment=assessment(recall=True), team=emergency_team())
    full = [contain("BISC-0301", "recall"), contain("BISC-0302", "stop_shipment")]
    reasons = assert_refused(inc, "contain", containment=full)
    assert reasons == [qf.lifecycle.guards.NO_RECALL_DECISION]
    fire(inc, "contain", containment=full, recall=recall_decision())
    assert inc.recall is not None and inc.status is qf.IncidentStatus.CONTAINED


def test_investigate_has_no_guard() -> None:
    inc = incident_in("contained")
    assert INC.blockers(inc, "investigate") == []
    assert INC.allowed(inc) == ["investigate"]


@pytest.mark.parametrize(
    ("rca", "expected"),
    [
        (None, qf.lifecycle.guards.NO_RCA),
        (
            five_why(confirmed=False),
            "the root cause 'no blade replacement interval in the maintenance plan' "
            "has not been confirmed yet",
        ),
        (five_why(whys=[]), qf.lifecycle.guards.NO_WHYS),
        (
            fishbone({"material": ["flour sieve torn"]}),
            "the fishbone lists no cause under 'machine', the category of the root cause",
        ),
    ],
)
def test_correct_needs_a_confirmed_root_cause(
    rca: qf.RootCauseAnalysis | None, expected: str
) -> None:
    inc = incident_in("investigating")
    assert_refused(inc, "correct", expected, root_cause=rca, actions=[action()])


def test_a_fishbone_with_a_cause_in_the_root_cause_category_is_enough() -> None:
    inc = incident_in("investigating")
    rca = fishbone({"machine": ["sheeter blade worn"], "man": ["no blade check on the round"]})
    fire(inc, "correct", root_cause=rca, actions=[action()])
    assert inc.status is qf.IncidentStatus.CORRECTING


def test_correct_names_each_incomplete_corrective_action() -> None:
    inc = incident_in("investigating")
    assert_refused(inc, "correct", "no corrective action has been planned", root_cause=five_why())
    reasons = assert_refused(
        inc,
        "correct",
        root_cause=five_why(),
        actions=[
            action("CA-1"),
            action("CA-2", due=None),
            action("CA-3", owner=" ", department=None),
        ],
    )
    assert reasons == [
        "corrective action CA-2 has no due date",
        "corrective action CA-3 has no owner",
        "corrective action CA-3 has no responsible department",
    ]


def test_verify_needs_every_action_done() -> None:
    inc = incident_in("investigating")
    fire(inc, "correct", root_cause=five_why(), actions=[action("CA-1"), action("CA-2")])
    assert_refused(
        inc,
        "verify",
        "corrective action CA-2 is not done yet",
        actions=[action("CA-1", done=True), action("CA-2")],
    )
    fire(inc, "verify", actions=[action("CA-1", done=True), action("CA-2", done=True)])
    assert inc.status is qf.IncidentStatus.VERIFYING


def test_close_needs_an_effective_verification_and_a_lesson() -> None:
    inc = incident_in("verifying")
    reasons = assert_refused(inc, "close")
    assert qf.lifecycle.guards.NO_VERIFICATION in reasons
    assert qf.lifecycle.guards.NO_LESSON in reasons
    assert_refused(
        inc,
        "close",
        qf.lifecycle.guards.VERIFICATION_INEFFECTIVE,
        verification=verification(effective=False),
        lessons=["check blades"],
    )
    assert_refused(inc, "close", qf.lifecycle.guards.NO_LESSON, verification=verification())
    fire(inc, "close", verification=verification(), lessons=["blades wear: plan their life"])
    assert inc.status is qf.IncidentStatus.CLOSED


def test_close_cannot_undo_the_loop_with_its_data() -> None:
    # 'close' sets only the verification and the lessons: the actions and the root cause
    # that 'correct' and 'verify' relied on cannot be replaced with it ...
    inc = incident_in("verifying")
    assert_refused(
        inc,
        "close",
        "the field 'actions' is not set with 'close' (it sets: lessons, verification); it is "
        "set with 'investigate' or 'correct' or 'verify' or 'rework'",
        verification=verification(),
        lessons=["x"],
        actions=[action(done=True), action("CA-9")],
    )
    assert_refused(
        inc,
        "close",
        "the field 'root_cause' is not set with 'close' (it sets: lessons, verification); it "
        "is set with 'investigate' or 'correct'",
        verification=verification(),
        lessons=["x"],
        root_cause=None,
    )
    # ... and the guards re-check them at closing all the same (an entity changed by hand).
    inc.__dict__["root_cause"] = None
    assert qf.lifecycle.guards.NO_RCA in INC.blockers(inc, "close")


def test_rework_needs_an_ineffective_verification_and_goes_back_to_correcting() -> None:
    inc = incident_in("verifying")
    assert_refused(inc, "rework", qf.lifecycle.guards.NO_VERIFICATION)
    assert_refused(
        inc, "rework", qf.lifecycle.guards.VERIFICATION_EFFECTIVE, verification=verification()
    )
    fire(inc, "rework", verification=verification(effective=False))
    assert inc.status is qf.IncidentStatus.CORRECTING
    assert inc.history[-1].source == "verifying"


@pytest.mark.parametrize("state", ["reported", "assessed"])
def test_cancel_needs_a_note_saying_why(state: str) -> None:
    inc = incident_in(state)
    assert_refused(inc, "cancel", qf.lifecycle.guards.NO_CANCEL_NOTE, note="   ")
    assert "cancel" not in INC.allowed(inc)
    assert "cancel" in INC.allowed(inc, note="the fragment was a piece of the customer's tin")
    fire(inc, "cancel", note="the fragment was a piece of the customer's tin")
    assert inc.status is qf.IncidentStatus.CANCELLED
    assert inc.history[-1].note == "the fragment was a piece of the customer's tin"


def test_cancel_is_not_possible_once_contained() -> None:
    inc = incident_in("contained")
    (reason,) = assert_refused(inc, "cancel", note="changed our mind")
    assert "'contained'" in reason and "investigate" in reason


def test_reopen_goes_back_to_investigating() -> None:
    inc = incident_in("closed")
    fire(inc, "reopen", hours=100, note="a second fragment in BISC-0317")
    assert inc.status is qf.IncidentStatus.INVESTIGATING
    assert qf.verify_history(inc)


# --- refusals change nothing ---------------------------------------------------------------


def test_invalid_data_leaves_the_incident_exactly_as_it_was() -> None:
    inc = incident_in("investigating")
    before = snapshot(inc)
    with pytest.raises(ValidationError):
        fire(inc, "correct", root_cause=five_why(), actions=[{"id": "CA-1"}])
    assert snapshot(inc) == before
    with pytest.raises(ValidationError):
        fire(inc, "correct", root_cause=five_why(), colour="red")
    assert snapshot(inc) == before


def test_an_empty_actor_is_refused_and_changes_nothing() -> None:
    inc = incident_in("contained")
    before = snapshot(inc)
    with pytest.raises(qf.TransitionError, match="actor"):
        INC.fire(inc, "investigate", actor="  ", at=T0 + timedelta(days=1))
    assert snapshot(inc) == before


@pytest.mark.parametrize(
    "at",
    [
        T0 + timedelta(days=1),
        datetime(2026, 3, 3, 7, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_records_are_sealed_exactly_as_the_model_would_seal_them(at: datetime) -> None:
    inc = incident_in("contained")
    record = INC.fire(inc, "investigate", actor="  Jürgen Müller ", at=at, note='says "ok"\n')
    validated = qf.TransitionRecord.model_validate_json(record.model_dump_json())
    assert validated == record
    assert record.actor == "Jürgen Müller"
    assert record.hash == qf.lifecycle.record_hash(validated)
    assert record.prev_hash == inc.history[-2].hash


def test_unknown_trigger_lists_the_triggers_that_exist() -> None:
    inc = foreign_body_incident()
    (reason,) = assert_refused(inc, "approve")
    for trigger in ("assess", "contain", "investigate", "correct", "verify", "close"):
        assert trigger in reason
    with pytest.raises(qf.TransitionError):
        INC.blockers(inc, "approve")


def test_a_note_that_is_not_text_is_refused() -> None:
    inc = foreign_body_incident()
    before = snapshot(inc)
    with pytest.raises(qf.TransitionError, match="note"):
        INC.fire(inc, "cancel", actor="QA", note=None)  # type: ignore[arg-type]
    assert snapshot(inc) == before


def test_a_naive_time_is_refused() -> None:
    inc = foreign_body_incident()
    before = snapshot(inc)
    with pytest.raises(qf.TransitionError, match="timezone"):
        INC.fire(inc, "cancel", actor="QA", note="dup", at=datetime(2026, 3, 2, 8, 0))
    assert snapshot(inc) == before


@pytest.mark.parametrize("field", ["status", "history", "version"])
def test_fields_the_lifecycle_manages_cannot_be_set_through_fire(field: str) -> None:
    inc = foreign_body_incident()
    value: Any = {"status": "closed", "history": [], "version": 3}[field]
    (reason,) = assert_refused(inc, "cancel", note="dup", **{field: value})
    assert repr(field) in reason


def test_fire_refuses_the_wrong_entity_type() -> None:
    with pytest.raises(TypeError, match="Complaint"):
        CMP.fire(foreign_body_incident(), "acknowledge", actor="QA")


def test_at_defaults_to_now_in_utc() -> None:
    inc = foreign_body_incident()
    before = datetime.now(timezone.utc)
    record = INC.fire(inc, "cancel", actor="QA", note="duplicate of INC-2026-013")
    assert before <= record.at <= datetime.now(timezone.utc)
    assert record.at.utcoffset() == timedelta(0)


# --- extra guards (company rules, from plugins via the service) ----------------------------


def test_extra_guards_join_the_built_in_reasons() -> None:
    seen: list[tuple[str, str]] = []

    def sales_must_be_on_the_team(lifecycle: qf.Lifecycle, trigger: str, entity: Any) -> list[str]:
        seen.append((lifecycle.name, trigger))
        team = entity.team
        if trigger == "assess" and (team is None or "sales" not in team.departments):
            return ["the emergency team has nobody from sales"]
        return []

    inc = foreign_body_incident()
    solo = qf.EmergencyTeam(leader=emergency_team().leader)
    reasons = assert_refused(
        inc,
        "assess",
        "the emergency team has nobody from sales",
        assessment=assessment(),
        team=solo,
        extra_guards=sales_must_be_on_the_team,
    )
    assert reasons == ["the emergency team has nobody from sales"]
    assert ("incident", "assess") in seen
    assert INC.blockers(inc, "assess", extra_guards=sales_must_be_on_the_team)[-1] == (
        "the emergency team has nobody from sales"
    )
    fire(
        inc,
        "assess",
        assessment=assessment(),
        team=emergency_team(),
        extra_guards=sales_must_be_on_the_team,
    )
    assert inc.status is qf.IncidentStatus.ASSESSED


# --- the tissue mill's complaint -----------------------------------------------------------


def tissue_complaint() -> qf.Complaint:
    return qf.Complaint(
        id="CMP-2026-088",
        customer_id="CUST-FRESHMART",
        channel="email",
        received_at=T0,
        description="Tissue rolls tear along the perforation when pulled",
        batch_ids=["TIS-2207"],
        severity="major",
        contacts=[
            qf.Contact(
                at=T0,
                direction="inbound",
                channel="email",
                message="Customers return rolls that tear at every sheet",
                by="FreshMart buyer",
            )
        ],
    )


def outbound(message: str, hours: float = 2) -> qf.Contact:
    return qf.Contact(
        at=T0 + timedelta(hours=hours),
        direction="outbound",
        channel="phone",
        message=message,
        by="Mo Chen",
    )


def complaint_in(state: str) -> qf.Complaint:
    cmp = tissue_complaint()
    path: list[tuple[str, dict[str, Any]]] = [
        ("acknowledge", {"contacts": [*cmp.contacts, outbound("we are on it")]}),
        ("verify", {}),
        (
            "investigate",
            {"information_verification": verified_information(T0 + timedelta(hours=3))},
        ),
        (
            "resolve",
            {
                "resolution": qf.Resolution(
                    kind="replacement",
                    description="two pallets replaced",
                    communicated_at=T0 + timedelta(days=3),
                )
            },
        ),
        ("close", {"follow_up": qf.FollowUp(at=T0 + timedelta(days=10), satisfied=True)}),
    ]
    for i, (trigger, data) in enumerate(path):
        if cmp.status.value == state:
            break
        fire(cmp, trigger, hours=i + 1, **data)
    assert cmp.status.value == state
    return cmp


def test_the_complaint_loop_closes_with_a_verifiable_history() -> None:
    cmp = complaint_in("closed")
    assert [r.dest for r in cmp.history] == [
        "acknowledged",
        "verifying",
        "investigating",
        "resolved",
        "closed",
    ]
    assert qf.verify_history(cmp)


def test_acknowledge_needs_an_outbound_contact() -> None:
    cmp = tissue_complaint()
    assert_refused(cmp, "acknowledge", qf.lifecycle.guards.NOT_ACKNOWLEDGED)
    fire(cmp, "acknowledge", contacts=[*cmp.contacts, outbound("thank you, we are checking")])
    assert cmp.status is qf.ComplaintStatus.ACKNOWLEDGED


def test_reject_needs_a_reason_and_the_customer_told() -> None:
    cmp = complaint_in("verifying")
    assert_refused(cmp, "reject", qf.lifecycle.guards.NO_REJECTION_REASON)
    unacknowledged = tissue_complaint()
    unacknowledged.status = qf.ComplaintStatus.VERIFYING  # imported from an older system
    reasons = assert_refused(
        unacknowledged, "reject", rejection_reason="rolls were stored in a wet warehouse"
    )
    assert reasons == [qf.lifecycle.guards.CUSTOMER_NOT_TOLD]
    fire(
        cmp,
        "reject",
        rejection_reason="the rolls were stored in a wet warehouse",
        contacts=[*cmp.contacts, outbound("the tearing comes from damp storage", hours=30)],
    )
    assert cmp.status is qf.ComplaintStatus.REJECTED


def test_resolve_needs_a_resolution_communicated_to_the_customer() -> None:
    cmp = complaint_in("investigating")
    assert_refused(cmp, "resolve", qf.lifecycle.guards.NO_RESOLUTION)
    draft = qf.Resolution(kind="refund", description="refund two pallets")
    assert_refused(
        cmp,
        "resolve",
        "the resolution (refund) has not been communicated to the customer: set its "
        "communicated_at",
        resolution=draft,
    )
    told = draft.model_copy(update={"communicated_at": T0 + timedelta(days=2)})
    fire(cmp, "resolve", resolution=told)
    assert cmp.status is qf.ComplaintStatus.RESOLVED


def test_close_needs_a_follow_up_or_failed_attempts() -> None:
    cmp = complaint_in("resolved")
    assert_refused(cmp, "close", qf.lifecycle.guards.NO_FOLLOW_UP)
    nothing = qf.FollowUp(at=T0 + timedelta(days=9), satisfied=None, attempts=0)
    assert_refused(cmp, "close", qf.lifecycle.guards.FOLLOW_UP_EMPTY, follow_up=nothing)
    unreachable = qf.FollowUp(
        at=T0 + timedelta(days=9), satisfied=None, attempts=3, note="no answer"
    )
    fire(cmp, "close", follow_up=unreachable)
    assert cmp.status is qf.ComplaintStatus.CLOSED


def test_close_cannot_wipe_the_resolution_with_its_data() -> None:
    # Found by the stateful test: closing with resolution=None in the data would leave a
    # closed complaint whose customer was never told of a remedy.
    cmp = complaint_in("resolved")
    follow_up = qf.FollowUp(at=T0 + timedelta(days=9), satisfied=True, score=4)
    assert_refused(
        cmp,
        "close",
        "the field 'resolution' is not set with 'close' (it sets: contacts, follow_up); it is "
        "set with 'resolve'",
        resolution=None,
        follow_up=follow_up,
    )
    assert cmp.resolution is not None and cmp.follow_up is None
    cmp.__dict__["resolution"] = None  # changed by hand: the guard still sees it
    assert qf.lifecycle.guards.NO_RESOLUTION in CMP.blockers(cmp, "close")


@pytest.mark.parametrize("state", ["resolved", "closed"])
def test_an_unsatisfied_customer_reopens_the_complaint(state: str) -> None:
    cmp = complaint_in(state)
    fire(cmp, "reopen", hours=300, note="the replacement rolls tear too")
    assert cmp.status is qf.ComplaintStatus.INVESTIGATING
    assert qf.verify_history(cmp)


def test_escalate_links_an_incident_and_keeps_the_state() -> None:
    cmp = complaint_in("investigating")
    assert_refused(cmp, "escalate", qf.lifecycle.guards.NO_INCIDENT_LINK)
    record = fire(cmp, "escalate", incident_id="INC-2026-021")
    assert cmp.status is qf.ComplaintStatus.INVESTIGATING
    assert (record.source, record.dest, record.trigger) == (
        "investigating",
        "investigating",
        "escalate",
    )
    assert cmp.incident_id == "INC-2026-021"
    assert qf.verify_history(cmp)


def test_a_rejected_complaint_cannot_be_escalated() -> None:
    cmp = complaint_in("verifying")
    fire(cmp, "reject", rejection_reason="misuse", contacts=[*cmp.contacts, outbound("misuse")])
    assert CMP.allowed(cmp) == []
    assert_refused(cmp, "escalate", incident_id="INC-1")


# --- evidence must belong to the round being closed -----------------------------------------

DAY = 24  # hours, for fire(..., hours=...)


def test_a_reopened_incident_cannot_close_on_the_old_verification() -> None:
    """A second fragment turns up a month later: March's verification proves nothing now."""
    inc = incident_in("closed")  # verified effective on 2026-03-22
    fire(inc, "reopen", hours=30 * DAY, note="a second fragment in BISC-0317")  # 2026-04-01
    fire(inc, "correct", hours=31 * DAY, actions=[action(done=True), action("CA-2")])
    fire(inc, "verify", hours=34 * DAY, actions=[action(done=True), action("CA-2", done=True)])
    lessons = ["blades have a service life", "check the sheeter after every blade change"]
    stale = (
        "the verification of 2026-03-22 predates the reopening on 2026-04-01; verify again: "
        "record a new verification of the corrective actions"
    )
    reasons = assert_refused(inc, "close", stale, hours=35 * DAY, lessons=lessons)
    assert reasons == [stale]
    # neither closing nor reworking on the old verdict: the team must verify again
    assert INC.allowed(inc) == []
    assert INC.blockers(inc, "rework") == [stale]
    fire(inc, "close", hours=35 * DAY, lessons=lessons, verification=verification(days=34))
    assert inc.status is qf.IncidentStatus.CLOSED
    assert qf.verify_history(inc)


def test_a_verification_at_the_very_moment_of_the_reopening_is_stale() -> None:
    inc = incident_in("closed")
    fire(inc, "reopen", hours=30 * DAY)
    fire(inc, "correct", hours=30 * DAY + 1)
    fire(inc, "verify", hours=30 * DAY + 2)
    lessons = ["blades have a service life", "a second check after blade changes"]
    same_moment = verification(days=30)
    probe = inc.model_copy(update={"verification": same_moment, "lessons": lessons})
    (reason,) = INC.blockers(probe, "close")
    assert reason.startswith(
        "the verification of 2026-04-01 06:00:00 UTC predates the reopening on "
        "2026-04-01 06:00:00 UTC"
    )
    a_minute_later = verification(days=30 + 1 / (24 * 60))
    fire(inc, "close", hours=30 * DAY + 3, verification=a_minute_later, lessons=lessons)
    assert inc.status is qf.IncidentStatus.CLOSED


def test_rework_after_a_reopening_needs_a_verification_of_this_round() -> None:
    inc = incident_in("closed")
    # the customer's second complaint shows the blade interval did not work
    fire(inc, "reopen", hours=30 * DAY, verification=verification(effective=False, days=29))
    fire(inc, "correct", hours=31 * DAY)
    fire(inc, "verify", hours=32 * DAY)
    (reason,) = assert_refused(inc, "rework", hours=33 * DAY)
    assert reason.startswith("the verification of 2026-03-31 predates the reopening on 2026-04-01")
    fire(inc, "rework", hours=33 * DAY + 1, verification=verification(effective=False, days=33))
    assert inc.status is qf.IncidentStatus.CORRECTING


def test_after_a_rework_a_backdated_effective_verification_cannot_close() -> None:
    inc = incident_in("verifying")
    fire(inc, "rework", hours=10 * DAY, verification=verification(effective=False, days=10))
    fire(inc, "verify", hours=15 * DAY)
    lessons = ["blades have a service life"]
    backdated = verification(days=9)  # before the rework on 2026-03-12
    (reason,) = assert_refused(
        inc, "close", hours=16 * DAY, verification=backdated, lessons=lessons
    )
    assert reason.startswith("the verification of 2026-03-11 predates the rework on 2026-03-12")
    # a second rework needs a new verdict too, not the one that caused the first
    assert INC.blockers(inc, "rework")[0].startswith(
        "the verification of 2026-03-12 06:00:00 UTC predates the rework on 2026-03-12 06:00:00 UTC"
    )
    fire(inc, "close", hours=16 * DAY, verification=verification(days=15), lessons=lessons)
    assert inc.status is qf.IncidentStatus.CLOSED


def test_closing_a_reopened_incident_needs_a_new_lesson() -> None:
    inc = incident_in("closed")
    fire(inc, "reopen", hours=30 * DAY)
    fire(inc, "correct", hours=31 * DAY)
    fire(inc, "verify", hours=32 * DAY)
    expected = (
        "the incident has been reopened 1 time(s): closing it again needs a new lesson for "
        "each round, 2 distinct lessons learned in all (1 recorded); note what this round "
        "taught"
    )
    fresh = verification(days=33)
    assert assert_refused(inc, "close", hours=34 * DAY, verification=fresh) == [expected]
    repeated = ["blades have a service life", "  blades have a service life ", " "]
    assert assert_refused(inc, "close", hours=34 * DAY, verification=fresh, lessons=repeated) == [
        expected
    ]
    fire(
        inc,
        "close",
        hours=34 * DAY,
        verification=fresh,
        lessons=["blades have a service life", "fragments can hide in the rework bin"],
    )
    assert inc.status is qf.IncidentStatus.CLOSED


def test_reject_needs_a_contact_since_verifying_the_acknowledgement_does_not_count() -> None:
    cmp = tissue_complaint()
    fire(cmp, "acknowledge", hours=1, contacts=[*cmp.contacts, outbound("on it", hours=1)])
    fire(cmp, "verify", hours=5)  # the lab checks the returned rolls
    expected = (
        "no outbound contact since the complaint entered verifying on 2026-03-02 11:00 UTC "
        "(the last was on 2026-03-02 07:00 UTC, before it): the customer has not been told "
        "about the rejection; record an outbound contact explaining it"
    )
    reason = "the rolls were stored in a wet warehouse"
    assert assert_refused(cmp, "reject", hours=30, rejection_reason=reason) == [expected]
    buyer_calls = qf.Contact(
        at=T0 + timedelta(hours=29),
        direction="inbound",
        channel="phone",
        message="any news?",
        by="FreshMart buyer",
    )
    with_inbound = [*cmp.contacts, buyer_calls]
    assert assert_refused(
        cmp, "reject", hours=30, rejection_reason=reason, contacts=with_inbound
    ) == [expected]
    told = [*with_inbound, outbound("the tearing comes from damp storage", hours=30)]
    fire(cmp, "reject", hours=30, rejection_reason=reason, contacts=told)
    assert cmp.status is qf.ComplaintStatus.REJECTED


def test_a_reopened_complaint_cannot_be_resolved_or_closed_on_the_old_answers() -> None:
    cmp = complaint_in("closed")  # told on 2026-03-05, followed up on 2026-03-12
    fire(cmp, "reopen", hours=12 * DAY, note="the replacement rolls tear too")  # 2026-03-14
    old_resolution = (
        "the resolution (replacement) was communicated on 2026-03-05, before the reopening "
        "on 2026-03-14: record the new resolution and when the customer was told"
    )
    assert assert_refused(cmp, "resolve", hours=13 * DAY) == [old_resolution]
    assert "resolve" not in CMP.allowed(cmp)
    refund = qf.Resolution(
        kind="refund", description="full refund", communicated_at=T0 + timedelta(days=15)
    )
    fire(cmp, "resolve", hours=15 * DAY, resolution=refund)
    old_follow_up = (
        "the follow-up of 2026-03-12 predates the reopening on 2026-03-14; follow up with the "
        "customer again"
    )
    assert assert_refused(cmp, "close", hours=20 * DAY) == [old_follow_up]
    satisfied = qf.FollowUp(at=T0 + timedelta(days=20), satisfied=True)
    fire(cmp, "close", hours=20 * DAY, follow_up=satisfied)
    assert cmp.status is qf.ComplaintStatus.CLOSED
    assert qf.verify_history(cmp)


def test_a_resolved_complaint_reopened_needs_a_new_resolution() -> None:
    cmp = complaint_in("resolved")
    fire(cmp, "reopen", hours=4 * DAY)
    (reason,) = assert_refused(cmp, "resolve", hours=5 * DAY)
    assert reason.startswith("the resolution (replacement) was communicated on 2026-03-05,")


def test_escalating_a_closed_complaint_cannot_undo_its_resolution_or_follow_up() -> None:
    cmp = complaint_in("closed")
    not_set = "the field '{}' is not set with 'escalate' (it sets: contacts, incident_id)"
    for name in ("follow_up", "resolution"):
        (reason,) = assert_refused(cmp, "escalate", incident_id="INC-9", **{name: None})
        assert reason.startswith(not_set.format(name))
    fire(cmp, "reopen", hours=12 * DAY)
    old_resolution = cmp.resolution
    refund = qf.Resolution(
        kind="refund", description="full refund", communicated_at=T0 + timedelta(days=13)
    )
    fire(cmp, "resolve", hours=13 * DAY, resolution=refund)
    # the answers from before the reopening cannot be slipped back in by escalating: the
    # data is refused, and the guards would see the stale answer all the same
    (reason,) = assert_refused(
        cmp, "escalate", hours=14 * DAY, incident_id="INC-9", resolution=old_resolution
    )
    assert reason.startswith(not_set.format("resolution"))
    probe = cmp.model_copy()
    probe.__dict__.update(resolution=old_resolution, incident_id="INC-9")
    (reason,) = CMP.blockers(probe, "escalate")
    assert reason.startswith("the resolution (replacement) was communicated on 2026-03-05,")
    fire(cmp, "close", hours=20 * DAY, follow_up=qf.FollowUp(at=T0 + timedelta(days=20)))
    old_follow_up = qf.FollowUp(at=T0 + timedelta(days=10), satisfied=True)
    probe = cmp.model_copy()
    probe.__dict__.update(follow_up=old_follow_up, incident_id="INC-9")
    (reason,) = CMP.blockers(probe, "escalate")
    assert reason.startswith("the follow-up of 2026-03-12 predates the reopening on 2026-03-14")
    fire(cmp, "escalate", hours=21 * DAY, incident_id="INC-9")
    assert (cmp.status, cmp.incident_id) == (qf.ComplaintStatus.CLOSED, "INC-9")


def test_a_contact_before_the_complaint_does_not_acknowledge_it() -> None:
    cmp = tissue_complaint()
    sales_call = outbound("new price list", hours=-48)
    expected = (
        "the outbound contact of 2026-02-28 predates the complaint, received on 2026-03-02: "
        "record an outbound contact acknowledging the complaint"
    )
    assert assert_refused(cmp, "acknowledge", contacts=[*cmp.contacts, sales_call]) == [expected]
    fire(cmp, "acknowledge", contacts=[*cmp.contacts, sales_call, outbound("on it", hours=1)])
    assert cmp.status is qf.ComplaintStatus.ACKNOWLEDGED


# --- the machines themselves ---------------------------------------------------------------


def test_states_and_triggers_are_those_of_the_design() -> None:
    assert INC.states == [
        "reported",
        "assessed",
        "contained",
        "investigating",
        "correcting",
        "verifying",
        "closed",
        "cancelled",
    ]
    assert {t["trigger"] for t in INC.transitions} == {
        "assess",
        "contain",
        "investigate",
        "correct",
        "verify",
        "close",
        "rework",
        "cancel",
        "reopen",
    }
    assert CMP.states == [
        "received",
        "acknowledged",
        "verifying",
        "investigating",
        "resolved",
        "closed",
        "rejected",
    ]
    assert {t["trigger"] for t in CMP.transitions} == {
        "acknowledge",
        "verify",
        "investigate",
        "resolve",
        "close",
        "reject",
        "reopen",
        "escalate",
    }


def test_one_shared_machine_without_models_or_auto_transitions() -> None:
    assert INC.machine is INCIDENT_MACHINE
    assert INCIDENT_MACHINE.models == []
    assert "to_closed" not in INCIDENT_MACHINE.events
    incidents = [incident_in("assessed") for _ in range(3)]
    assert INCIDENT_MACHINE.models == []
    assert all(not hasattr(i, "trigger") and not hasattr(i, "may_contain") for i in incidents)


def test_the_plain_data_agrees_with_the_machine() -> None:
    for lifecycle in (INC, CMP):
        for t in lifecycle.transitions:
            event = lifecycle.machine.events[t["trigger"]]
            for source in t["source"]:
                (transition,) = event.transitions[source]
                assert transition.dest == t["dest"]
        assert set(lifecycle.machine.states) == set(lifecycle.states)


def test_transitions_returns_copies() -> None:
    data = INC.transitions
    data[0]["guards"].append("nothing")
    assert "nothing" not in INC.transitions[0]["guards"]


@pytest.mark.parametrize("lifecycle", [INC, CMP], ids=["incident", "complaint"])
def test_every_trigger_refuses_the_fields_it_does_not_set(lifecycle: Any) -> None:
    """Each transition declares the fields it sets; any other field in the data is refused."""
    protected = {"id", "status", "history", "amendments", "version"}
    for trigger in lifecycle.triggers:
        sets = lifecycle.sets(trigger)
        assert sets <= set(lifecycle.model.model_fields) - protected
        for name in sorted(set(lifecycle.model.model_fields) - protected - sets):
            entity = foreign_body_incident() if lifecycle is INC else tissue_complaint()
            before = snapshot(entity)
            with pytest.raises(qf.TransitionError) as err:
                lifecycle.fire(entity, trigger, actor="QA", **{name: getattr(entity, name)})
            assert snapshot(entity) == before
            if " cannot " in err.value.reasons[0]:  # wrong state: the route comes first
                continue
            (reason,) = err.value.reasons
            assert reason.startswith(f"the field {name!r} is not set with {trigger!r}")
