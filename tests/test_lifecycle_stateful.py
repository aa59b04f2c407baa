"""Random triggers with random data at a biscuit plant's incident and a tissue mill's complaint.

Whatever the emergency team or the complaint desk does, in whatever order, with whatever
half-filled records: a refused trigger changes nothing, the history verifies, the status is
the last record's destination, and no incident is ever closed without a confirmed root
cause, done corrective actions, an effective verification and a lesson learned.
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

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
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
    at=st.just(T0),
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
        "lessons": st.sampled_from([[], [" "], ["plan blade life"]]),
        # invalid data: must be refused without a trace
        "severity": st.sampled_from(["critical", "catastrophic"]),
        "colour": st.just("red"),
    },
)

# --- random complaint parts ----------------------------------------------------------------

contacts = st.lists(
    st.builds(
        qf.Contact,
        at=st.just(T0),
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
    communicated_at=st.none() | st.just(T0),
)
follow_ups = st.none() | st.builds(
    qf.FollowUp,
    at=st.just(T0),
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
            "assessment": qf.ImpactAssessment(severity="critical", batch_ids=BATCHES),
            "team": qf.EmergencyTeam(
                leader=qf.TeamMember(name="Lena", role="lead", department="quality")
            ),
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
    "verifying": (
        "close",
        {
            "verification": qf.Verification(
                effective=True, evidence="no rejects", verified_by="Lena", at=T0
            ),
            "lessons": ["plan blade life"],
        },
    ),
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
    "investigating": (
        "resolve",
        {
            "resolution": qf.Resolution(
                kind="replacement", description="two pallets", communicated_at=T0
            )
        },
    ),
    "resolved": ("close", {"follow_up": qf.FollowUp(at=T0, satisfied=True)}),
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

    @rule()
    def the_team_does_its_job(self) -> None:
        """Take the incident one step along the happy path, so deep states are reached."""
        step = HAPPY_INCIDENT.get(self.incident.status.value)
        if step is not None:
            self._fire(INC, self.incident, step[0], "", step[1])

    @rule()
    def the_desk_does_its_job(self) -> None:
        step = HAPPY_COMPLAINT.get(self.complaint.status.value)
        if step is not None:
            self._fire(CMP, self.complaint, step[0], "", step[1])

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


PlantLifecycles.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_triggers_keep_the_lifecycle_rules = PlantLifecycles.TestCase
