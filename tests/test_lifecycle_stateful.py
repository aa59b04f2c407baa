"""Random triggers with random data at a biscuit plant's incident and a tissue mill's complaint.

Whatever the emergency team or the complaint desk does, in whatever order, with whatever
half-filled records: a refused trigger changes nothing, the history verifies, the status is
the last record's destination, and no incident is ever closed without a confirmed root
cause, done corrective actions, an effective verification and a lesson learned. Evidence
belongs to its round: no closed incident's verification predates its last reopening or
rework (and each reopening adds a lesson), no rejected complaint lacks a contact since it
entered verifying, and no resolved or closed complaint rests on a resolution or follow-up
from before its last reopening.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from pydantic import ValidationError

import qualityflow as qf
from qualityflow.lifecycle import INCIDENT_GUARDS
from qualityflow.testing import emergency_team, verified_information

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
# evidence dated at, before and after the times the clock below reaches (7 min per step)
TIMES = st.sampled_from([T0, T0 + timedelta(hours=1), T0 + timedelta(hours=3)])
INC = qf.INCIDENT_LIFECYCLE
CMP = qf.COMPLAINT_LIFECYCLE
BATCHES = ["BISC-0301", "BISC-0302"]

# --- random incident parts, valid and not ---------------------------------------------------

teams = st.none() | st.just(
    qf.EmergencyTeam(leader=qf.TeamMember(name="Lena", role="lead", department="quality"))
)
assessments = st.none() | st.builds(
    qf.ImpactAssessment,
    severity=st.just("critical"),
    batch_ids=st.lists(st.sampled_from(BATCHES), max_size=2, unique=True),
    recall_required=st.booleans(),
)
containments = st.lists(
    st.builds(
        qf.ContainmentAction,
        batch_id=st.sampled_from(BATCHES),
        action=st.sampled_from(list(qf.ContainmentKind)),
        by=st.just("Jon"),
        at=st.just(T0),
    ),
    max_size=2,
)
recalls = st.none() | st.just(
    qf.RecallDecision(initiated_at=T0, batch_ids=BATCHES[:1], reason="metal in packs")
)
root_causes = st.none() | st.builds(
    qf.RootCauseAnalysis,
    method=st.sampled_from(list(qf.RcaMethod)),
    problem=st.just("metal fragment"),
    whys=st.lists(st.sampled_from(["blade chipped", " "]), max_size=2),
    fishbone=st.dictionaries(
        st.sampled_from(list(qf.SixM)), st.lists(st.just("worn blade"), max_size=1), max_size=2
    ),
    root_cause=st.just("no blade replacement interval"),
    category=st.sampled_from([qf.SixM.MACHINE, qf.SixM.MAN]),
    confirmed=st.booleans(),
)


@st.composite
def corrective_actions(draw: st.DrawFn) -> qf.CorrectiveAction:
    done = draw(st.booleans())
    return qf.CorrectiveAction(
        id=draw(st.sampled_from(["CA-1", "CA-2", "CA-3"])),
        description="new blade interval",
        owner=draw(st.sampled_from([None, "", "Ana"])),
        department=draw(st.sampled_from([None, "maintenance"])),
        due=draw(st.sampled_from([None, date(2026, 3, 9)])),
        status="done" if done else "open",
        done_at=T0 if done else None,
    )


verifications = st.none() | st.builds(
    qf.Verification,
    effective=st.booleans(),
    evidence=st.just("no rejects in 40 000 packs"),
    verified_by=st.just("Lena"),
    at=TIMES,
)

incident_data = st.fixed_dictionaries(
    {},
    optional={
        "team": teams,
        "assessment": assessments,
        "containment": containments,
        "recall": recalls,
        "root_cause": root_causes,
        "actions": st.lists(corrective_actions(), max_size=3),
        "verification": verifications,
        "lessons": st.sampled_from(
            [[], [" "], ["plan blade life"], ["plan blade life", "check after changes"]]
        ),
        # invalid data: must be refused without a trace
        "severity": st.sampled_from(["critical", "catastrophic"]),
        "colour": st.just("red"),
    },
)

# --- random complaint parts ----------------------------------------------------------------

contacts = st.lists(
    st.builds(
        qf.Contact,
        at=TIMES,
        direction=st.sampled_from(list(qf.Direction)),
        channel=st.just(qf.Channel.PHONE),
        message=st.just("about the rolls"),
        by=st.just("Mo"),
    ),
    max_size=2,
)
resolutions = st.none() | st.builds(
    qf.Resolution,
    kind=st.sampled_from(list(qf.ResolutionKind)),
    description=st.just("replace two pallets"),
    communicated_at=st.none() | TIMES,
)
follow_ups = st.none() | st.builds(
    qf.FollowUp,
    at=TIMES,
    satisfied=st.none() | st.booleans(),
    attempts=st.integers(min_value=0, max_value=2),
)
complaint_data = st.fixed_dictionaries(
    {},
    optional={
        "contacts": contacts,
        "resolution": resolutions,
        "follow_up": follow_ups,
        "rejection_reason": st.sampled_from([None, "", "damp storage"]),
        "incident_id": st.sampled_from([None, "", "INC-2026-021"]),
        "channel": st.sampled_from(["phone", "carrier pigeon"]),
        "information_verification": st.sampled_from(
            [
                None,
                verified_information(T0),
                {"conclusion": "our_product", "by": "QA", "at": T0.isoformat()},
                {"conclusion": "not_our_product", "finding": "fake", "by": "QA", "at": T0},
            ]
        ),
    },
)

_DONE = qf.CorrectiveAction(
    id="CA-1",
    description="blade interval",
    owner="Ana",
    department="maintenance",
    due=date(2026, 3, 9),
    status="done",
    done_at=T0,
)
HAPPY_INCIDENT: dict[str, tuple[str, dict[str, Any]]] = {
    "reported": (
        "assess",
        {
            "assessment": qf.ImpactAssessment(
                severity="critical",
                batch_ids=BATCHES,
                regions=["CN-31"],
                risk="injury to consumers",
                rationale="the affected lots reached the market",
            ),
            # The team the guide asks for: the service's policy refuses a leader alone.
            "team": emergency_team(qf.TeamMember(name="Lena", role="lead", department="quality")),
        },
    ),
    "assessed": (
        "contain",
        {
            "containment": [
                qf.ContainmentAction(batch_id=b, action="hold", by="Jon", at=T0) for b in BATCHES
            ],
            "recall": qf.RecallDecision(initiated_at=T0, batch_ids=BATCHES, reason="metal"),
        },
    ),
    "contained": ("investigate", {}),
    "investigating": (
        "correct",
        {
            "root_cause": qf.RootCauseAnalysis(
                method="five_why",
                problem="metal",
                whys=["blade chipped"],
                root_cause="no blade interval",
                category="machine",
                confirmed=True,
            ),
            "actions": [
                qf.CorrectiveAction(
                    id="CA-1",
                    description="blade interval",
                    owner="Ana",
                    department="maintenance",
                    due=date(2026, 3, 9),
                )
            ],
        },
    ),
    "correcting": ("verify", {"actions": [_DONE]}),
    "verifying": ("close", {}),  # fresh evidence: see PlantLifecycles._fresh
}
HAPPY_COMPLAINT: dict[str, tuple[str, dict[str, Any]]] = {
    "received": (
        "acknowledge",
        {
            "contacts": [
                qf.Contact(at=T0, direction="outbound", channel="phone", message="on it", by="Mo")
            ]
        },
    ),
    "acknowledged": ("verify", {}),
    "verifying": ("investigate", {}),
    "investigating": ("resolve", {}),  # fresh evidence: see PlantLifecycles._fresh
    "resolved": ("close", {}),
}

notes = st.sampled_from(["", "  ", "duplicate of INC-2026-013"])


def _snapshot(entity: Any) -> tuple[str, frozenset[str]]:
    return entity.model_dump_json(), frozenset(entity.model_fields_set)


class PlantLifecycles(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.incident = qf.Incident(
            id="INC-2026-014", title="Metal in biscuits", severity="critical", reported_at=T0
        )
        self.complaint = qf.Complaint(
            id="CMP-2026-088",
            customer_id="CUST-FRESHMART",
            channel="email",
            received_at=T0,
            description="Rolls tear at the perforation",
        )
        self.clock = T0
        self.fired = 0

    def _fire(
        self, lifecycle: qf.Lifecycle, entity: Any, trigger: str, note: str, data: Any
    ) -> None:
        before = _snapshot(entity)
        length = len(entity.history)
        self.clock += timedelta(minutes=7)
        try:
            record = lifecycle.fire(entity, trigger, actor="QA", at=self.clock, note=note, **data)
        except (qf.TransitionError, ValidationError):
            assert _snapshot(entity) == before, f"refused {trigger!r} changed the entity"
            return
        self.fired += 1
        assert len(entity.history) == length + 1
        assert entity.history[-1] is record
        assert record.trigger == trigger
        assert record.dest == entity.status.value
        for name, value in data.items():  # the data given is what was stored
            validated = type(entity).model_validate({**entity.model_dump(), name: value})
            assert getattr(entity, name) == getattr(validated, name)

    @rule(trigger=st.sampled_from([*INC.triggers, "approve"]), data=incident_data, note=notes)
    def fire_at_incident(self, trigger: str, data: dict[str, Any], note: str) -> None:
        self._fire(INC, self.incident, trigger, note, data)

    @rule(trigger=st.sampled_from([*CMP.triggers, "approve"]), data=complaint_data, note=notes)
    def fire_at_complaint(self, trigger: str, data: dict[str, Any], note: str) -> None:
        self._fire(CMP, self.complaint, trigger, note, data)

    def _fresh(self, entity: Any, trigger: str) -> dict[str, Any]:
        """Evidence dated just after the clock, so it postdates any reopening."""
        now = self.clock + timedelta(minutes=1)
        if trigger == "close" and isinstance(entity, qf.Incident):
            round_ = sum(1 for r in self.incident.history if r.trigger == "reopen")
            return {
                "verification": qf.Verification(
                    effective=True, evidence="no rejects", verified_by="Lena", at=now
                ),
                "lessons": [*self.incident.lessons, f"lesson of round {round_}"],
            }
        if trigger == "resolve":
            return {
                "resolution": qf.Resolution(
                    kind="replacement", description="two pallets", communicated_at=now
                )
            }
        if trigger == "close":
            return {"follow_up": qf.FollowUp(at=now, satisfied=True)}
        if trigger == "investigate" and isinstance(entity, qf.Complaint):
            return {"information_verification": verified_information(now)}
        if trigger == "reject":
            told = qf.Contact(
                at=now, direction="outbound", channel="phone", message="damp storage", by="Mo"
            )
            return {
                "rejection_reason": "damp storage",
                "contacts": [*self.complaint.contacts, told],
            }
        return {}

    @rule()
    def the_team_does_its_job(self) -> None:
        """Take the incident one step along the happy path, so deep states are reached."""
        step = HAPPY_INCIDENT.get(self.incident.status.value)
        if step is not None:
            data = {**step[1], **self._fresh(self.incident, step[0])}
            self._fire(INC, self.incident, step[0], "", data)

    @rule(reject=st.booleans())
    def the_desk_does_its_job(self, reject: bool) -> None:
        step = HAPPY_COMPLAINT.get(self.complaint.status.value)
        if step is not None:
            trigger = "reject" if reject and step[0] == "investigate" else step[0]
            data = {**step[1], **self._fresh(self.complaint, trigger)}
            self._fire(CMP, self.complaint, trigger, "", data)

    @rule()
    def a_second_fragment_turns_up(self) -> None:
        """Reopen a closed incident, so that closing again is exercised too."""
        if self.incident.status is qf.IncidentStatus.CLOSED:
            self._fire(INC, self.incident, "reopen", "fragment in BISC-0317", {})

    @rule()
    def the_customer_is_not_satisfied(self) -> None:
        if self.complaint.status in (qf.ComplaintStatus.RESOLVED, qf.ComplaintStatus.CLOSED):
            self._fire(CMP, self.complaint, "reopen", "the new rolls tear too", {})

    @rule()
    def allowed_triggers_really_fire(self) -> None:
        for lifecycle, entity in ((INC, self.incident), (CMP, self.complaint)):
            for trigger in lifecycle.allowed(entity):
                copy = entity.model_copy(deep=True)
                lifecycle.fire(copy, trigger, actor="QA", at=self.clock)

    @invariant()
    def history_verifies_and_ends_in_the_status(self) -> None:
        for entity in (self.incident, self.complaint):
            assert qf.verify_history(entity)
            if entity.history:
                assert entity.status.value == entity.history[-1].dest
            else:
                assert entity.status.value in (INC.initial, CMP.initial)

    @invariant()
    def no_incident_is_closed_without_the_loop(self) -> None:
        inc = self.incident
        event(f"incident {inc.status.value}, complaint {self.complaint.status.value}")
        if inc.status is not qf.IncidentStatus.CLOSED:
            return
        for name in ("root_cause_confirmed", "actions_planned", "actions_done"):
            assert INCIDENT_GUARDS[name](inc) == []
        assert inc.root_cause is not None and inc.root_cause.confirmed
        assert inc.actions and all(a.status is qf.ActionStatus.DONE for a in inc.actions)
        assert inc.verification is not None and inc.verification.effective
        assert any(lesson.strip() for lesson in inc.lessons)
        # the verification belongs to this round, and each reopening taught something
        sent_back = [r.at for r in inc.history if r.trigger in ("reopen", "rework")]
        assert not sent_back or inc.verification.at > sent_back[-1]
        reopens = sum(1 for r in inc.history if r.trigger == "reopen")
        if reopens:
            event("incident closed again after a reopening")
        assert len({lesson.strip() for lesson in inc.lessons if lesson.strip()}) > reopens

    @invariant()
    def no_complaint_rests_on_answers_from_an_earlier_round(self) -> None:
        cmp = self.complaint
        status = cmp.status
        if status is qf.ComplaintStatus.REJECTED:
            event("complaint rejected")
            entered = [r.at for r in cmp.history if r.dest == "verifying"][-1]
            assert cmp.rejection_reason and cmp.rejection_reason.strip()
            assert any(
                c.direction is qf.Direction.OUTBOUND and c.at >= entered for c in cmp.contacts
            )
        reopened = [r.at for r in cmp.history if r.trigger == "reopen"]
        if status in (qf.ComplaintStatus.RESOLVED, qf.ComplaintStatus.CLOSED):
            assert cmp.resolution is not None and cmp.resolution.communicated_at is not None
            assert not reopened or cmp.resolution.communicated_at > reopened[-1]
        if status is qf.ComplaintStatus.CLOSED:
            if reopened:
                event("complaint closed again after a reopening")
            assert cmp.follow_up is not None
            assert not reopened or cmp.follow_up.at > reopened[-1]


PlantLifecycles.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_triggers_keep_the_lifecycle_rules = PlantLifecycles.TestCase
