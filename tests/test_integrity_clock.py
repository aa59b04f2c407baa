"""Two clocks: the caller says when it happened, the service says when it was recorded.

Told as a careless or hostile application would try it: backdating a reopening so the old
verification counts again, evidence dated in 2099, an acknowledgement dated in the future
that "told the customer" about a rejection, a clock set backwards, and the few minutes of
tolerance used to make old evidence look newer than a reopening. Each is refused and
leaves the stored record as it was; the recorded order is what the freshness rules trust.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.testing import Clock

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def plant(backend_url: str) -> Iterator[tuple[qf.QualityFlow, Clock]]:
    """The two-clock rules on every backend: memory, SQLite, PostgreSQL and MariaDB."""
    clock = Clock(T0)
    qms = qf.QualityFlow(backend_url, clock=clock, load_entry_points=False)
    yield qms, clock
    qms.close()


def team() -> qf.EmergencyTeam:
    member = qf.TeamMember
    return qf.EmergencyTeam(
        leader=member(name="Dana Ruiz", role="leader", department="quality"),
        members=[
            member(name="Jon Park", role="production", department="production"),
            member(name="Mia Chen", role="technical", department="technical"),
            member(name="Sam Ito", role="sales", department="sales"),
        ],
    )


def verification(at: datetime, effective: bool = True) -> qf.Verification:
    return qf.Verification(
        effective=effective,
        evidence="metal detector rejects 0 in 40 000 packs",
        verified_by="Dana Ruiz",
        at=at,
    )


def close_incident(qms: qf.QualityFlow, clock: Clock, id: str = "INC-1") -> qf.Incident:
    """Walk an incident to closed, one hour of the service clock per step."""
    qms.incidents.add(
        qf.Incident(id=id, title="Metal chip in biscuits", severity="minor", reported_at=clock.now)
    )
    action = qf.CorrectiveAction(
        id="CA-1",
        description="blade interval",
        owner="Ana",
        department="maintenance",
        due=date(2026, 3, 9),
    )
    rca = qf.RootCauseAnalysis(
        method="five_why",
        problem="chip",
        whys=["blade chipped"],
        root_cause="no interval",
        category="machine",
        confirmed=True,
    )
    steps: list[tuple[str, dict[str, Any]]] = [
        ("assess", {"team": team(), "assessment": qf.ImpactAssessment(severity="minor")}),
        ("contain", {}),
        ("investigate", {}),
        ("correct", {"root_cause": rca, "actions": [action]}),
        ("verify", {"actions": [action.model_copy(update={"status": qf.ActionStatus.DONE})]}),
    ]
    for trigger, data in steps:
        clock.advance(HOUR)
        qms.incidents.fire(id, trigger, actor="Dana Ruiz", **data)
    clock.advance(HOUR)
    return qms.incidents.fire(
        id,
        "close",
        actor="Dana Ruiz",
        verification=verification(clock.now),
        lessons=["blades have a service life"],
    )


def refused(qms: qf.QualityFlow, kind: str, id: str, trigger: str, **kw: Any) -> list[str]:
    repo = qms.incidents if kind == "incident" else qms.complaints
    before = repo.get(id).model_dump_json()
    with pytest.raises(qf.TransitionError) as err:
        repo.fire(id, trigger, **kw)
    assert repo.get(id).model_dump_json() == before, "a refused fire must write nothing"
    return err.value.reasons


# --- the caller's time ------------------------------------------------------------------------


def test_a_reopening_dated_before_the_old_verification_is_refused(plant: Any) -> None:
    qms, clock = plant
    closed = close_incident(qms, clock)
    clock.advance(DAY)
    backdated = closed.verification.at - HOUR
    (reason,) = refused(qms, "incident", "INC-1", "reopen", actor="Dana Ruiz", at=backdated)
    assert "before the previous step ('close'" in reason
    assert "give a time at or after it" in reason


def test_a_reopened_incident_does_not_close_on_the_old_verification(plant: Any) -> None:
    qms, clock = plant
    close_incident(qms, clock)
    clock.advance(DAY)
    qms.incidents.fire("INC-1", "reopen", actor="Dana Ruiz", note="second chip found")
    for trigger in ("correct", "verify"):
        clock.advance(HOUR)
        qms.incidents.fire("INC-1", trigger, actor="Dana Ruiz")
    clock.advance(HOUR)
    reasons = refused(
        qms,
        "incident",
        "INC-1",
        "close",
        actor="Dana Ruiz",
        lessons=["blades have a service life", "check the spare blades too"],
    )
    assert any("predates the reopening" in r for r in reasons)


def test_evidence_dated_in_the_future_is_refused_and_nothing_is_written(plant: Any) -> None:
    qms, clock = plant
    close_incident(qms, clock)
    clock.advance(DAY)
    qms.incidents.fire("INC-1", "reopen", actor="Dana Ruiz", note="second chip")
    for trigger in ("correct", "verify"):
        clock.advance(HOUR)
        qms.incidents.fire("INC-1", trigger, actor="Dana Ruiz")
    in_2099 = datetime(2099, 1, 1, tzinfo=timezone.utc)
    (reason,) = refused(
        qms,
        "incident",
        "INC-1",
        "close",
        actor="Dana Ruiz",
        verification=verification(in_2099),
        lessons=["a", "b"],
    )
    assert reason.startswith("verification.at is 2099-01-01T00:00:00+00:00, in the future")
    assert "give the time it really happened" in reason


def test_a_step_dated_in_the_future_is_refused_beyond_the_tolerance(plant: Any) -> None:
    qms, clock = plant
    qms.incidents.add(qf.Incident(id="INC-2", title="Hair in tissue pack", severity="minor"))
    (reason,) = refused(
        qms,
        "incident",
        "INC-2",
        "cancel",
        actor="QA",
        note="unfounded",
        at=clock.now + timedelta(minutes=6),
    )
    assert "in the future" in reason and "0:05:00 ahead is accepted" in reason
    # Within the tolerance (a workstation clock a little ahead) it is accepted.
    done = qms.incidents.fire(
        "INC-2", "cancel", actor="QA", note="unfounded", at=clock.now + timedelta(minutes=4)
    )
    assert done.history[-1].recorded_at == clock.now


def test_a_future_acknowledgement_does_not_tell_the_customer_about_a_rejection(
    plant: Any,
) -> None:
    qms, clock = plant
    qms.complaints.add(
        qf.Complaint(
            id="CMP-1",
            customer_id="FRESHMART",
            channel="phone",
            received_at=clock.now,
            description="soft biscuits",
        )
    )

    def contact(at: datetime, message: str) -> qf.Contact:
        return qf.Contact(
            at=at, direction="outbound", channel="phone", message=message, by="Mo Chen"
        )

    # The acknowledgement claims to have been made next week: refused as future evidence.
    next_week = clock.now + 7 * DAY
    (reason,) = refused(
        qms,
        "complaint",
        "CMP-1",
        "acknowledge",
        actor="Mo",
        contacts=[contact(next_week, "we are on it")],
    )
    assert reason.startswith("contacts[0].at is") and "in the future" in reason
    # Dated honestly, it acknowledges; but it cannot also count as explaining a rejection
    # after the complaint entered verifying, even when dated within the tolerance window
    # after that step.
    clock.advance(HOUR)
    qms.complaints.fire(
        "CMP-1",
        "acknowledge",
        actor="Mo",
        contacts=[contact(clock.now + timedelta(minutes=4), "we are on it")],
    )
    qms.complaints.fire("CMP-1", "verify", actor="Mo")
    reasons = refused(
        qms, "complaint", "CMP-1", "reject", actor="Mo", rejection_reason="stored in a damp cellar"
    )
    assert reasons == [qf.lifecycle.guards.NOT_TOLD_SINCE_VERIFYING_RECORDED]
    clock.advance(HOUR)
    told = qms.complaints.fire(
        "CMP-1",
        "reject",
        actor="Mo",
        rejection_reason="stored in a damp cellar",
        contacts=[*qms.complaints.get("CMP-1").contacts, contact(clock.now, "the reason is...")],
    )
    assert told.status.value == "rejected"


def test_a_case_reported_in_the_future_is_refused(plant: Any) -> None:
    qms, clock = plant
    with pytest.raises(qf.TransitionError, match=r"reported_at is 2026-03-09.*in the future"):
        qms.incidents.add(
            qf.Incident(id="INC-F", title="Chip", severity="minor", reported_at=clock.now + 7 * DAY)
        )
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-F")


# --- the recorded order -----------------------------------------------------------------------


def test_the_tolerance_window_cannot_make_an_old_verification_look_fresh(plant: Any) -> None:
    qms, clock = plant
    close_incident(qms, clock, "INC-3")
    # Reopen and close again, the verification dated 4 minutes ahead (within tolerance).
    clock.advance(HOUR)
    qms.incidents.fire("INC-3", "reopen", actor="Dana Ruiz", note="chip again")
    for trigger in ("correct", "verify"):
        qms.incidents.fire("INC-3", trigger, actor="Dana Ruiz")
    ahead = verification(clock.now + timedelta(minutes=4))
    qms.incidents.fire(
        "INC-3", "close", actor="Dana Ruiz", verification=ahead, lessons=["one", "two"]
    )
    # One minute later it is reopened: by the dates, the verification (4 min ahead) is
    # newer than this reopening; by the recorded order it is older, and that decides.
    clock.advance(timedelta(minutes=1))
    qms.incidents.fire("INC-3", "reopen", actor="Dana Ruiz", note="and again")
    for trigger in ("correct", "verify"):
        qms.incidents.fire("INC-3", trigger, actor="Dana Ruiz")
    stored = qms.incidents.get("INC-3")
    assert stored.verification is not None
    assert stored.verification.at > stored.history[-3].at  # the dates would let it pass
    reasons = refused(
        qms, "incident", "INC-3", "close", actor="Dana Ruiz", lessons=["one", "two", "three"]
    )
    assert reasons == [qf.lifecycle.guards.VERIFICATION_RECORDED_BEFORE.format(step="reopening")]
    clock.advance(HOUR)
    fresh = qms.incidents.fire(
        "INC-3",
        "close",
        actor="Dana Ruiz",
        lessons=["one", "two", "three"],
        verification=verification(clock.now),
    )
    assert fresh.status.value == "closed"


def test_recorded_order_refuses_a_verification_recorded_before_the_reopening() -> None:
    """Without the service: the lifecycle alone, a verification dated after the reopening
    but recorded before it (the tolerance window) does not count."""
    lc = qf.INCIDENT_LIFECYCLE
    now = T0 + 10 * DAY
    inc = qf.Incident(id="INC-9", title="Chip", severity="minor", reported_at=T0)
    rca = qf.RootCauseAnalysis(
        method="five_why",
        problem="p",
        whys=["w"],
        root_cause="r",
        category="machine",
        confirmed=True,
    )
    action = qf.CorrectiveAction(
        id="CA-1", description="d", owner="o", department="m", due=date(2026, 3, 9), status="done"
    )
    at = T0
    for trigger, data in [
        ("assess", {"team": team(), "assessment": qf.ImpactAssessment(severity="minor")}),
        ("contain", {}),
        ("investigate", {}),
        ("correct", {"root_cause": rca, "actions": [action]}),
        ("verify", {}),
    ]:
        at += HOUR
        lc.fire(inc, trigger, actor="QA", at=at, recorded_at=now, **data)
    # Verified "4 minutes from now" (accepted: within the tolerance), closed now.
    lc.fire(
        inc,
        "close",
        actor="QA",
        at=now,
        recorded_at=now,
        verification=verification(now + timedelta(minutes=4)),
        lessons=["l1"],
    )
    lc.fire(inc, "reopen", actor="QA", at=now + timedelta(minutes=1), recorded_at=now)
    lc.fire(inc, "correct", actor="QA", at=now + timedelta(minutes=2), recorded_at=now)
    lc.fire(inc, "verify", actor="QA", at=now + timedelta(minutes=2), recorded_at=now)
    # By the dates the old verification (now+4 min) is after the reopening (now+1 min);
    # by the recorded order it is not.
    assert inc.verification is not None and inc.verification.at > inc.history[-3].at
    reasons = lc.blockers(inc, "close")
    assert qf.lifecycle.guards.VERIFICATION_RECORDED_BEFORE.format(step="reopening") in reasons
    assert not [r for r in reasons if "verification" in r and "recorded before" not in r]
    stamps = [r.recorded_at for r in inc.history]
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(stamps))


def test_a_clock_set_backwards_still_records_in_order(plant: Any) -> None:
    qms, clock = plant
    qms.incidents.add(
        qf.Incident(id="INC-6", title="Chip", severity="minor", reported_at=clock.now)
    )
    clock.advance(DAY)
    qms.incidents.fire(
        "INC-6", "assess", actor="QA", team=team(), assessment=qf.ImpactAssessment(severity="minor")
    )
    first = qms.incidents.get("INC-6").history[-1]
    clock.set(clock.now - timedelta(minutes=10))  # the server clock is corrected back
    qms.incidents.fire("INC-6", "contain", actor="QA")
    second = qms.incidents.get("INC-6").history[-1]
    assert second.at == first.at  # the default time does not go back either
    assert first.recorded_at is not None and second.recorded_at is not None
    assert second.recorded_at > first.recorded_at
    assert second.recorded_at - first.recorded_at == timedelta(microseconds=1)
    assert qf.verify_history(qms.incidents.get("INC-6"))


def test_a_record_names_its_entity_fields_and_state(plant: Any) -> None:
    qms, clock = plant
    closed = close_incident(qms, clock, "INC-7")
    last = closed.history[-1]
    assert last.entity == "incident/INC-7"
    assert last.fields == ["lessons", "verification"]
    assert last.state == qf.lifecycle.audit.state_digest(closed)
    assert last.recorded_at == clock.now
    # The record is bound: the same history on another incident does not verify as its own.
    assert all(r.entity == "incident/INC-7" for r in closed.history)


def test_records_from_before_two_clocks_still_verify_and_use_their_dates() -> None:
    """A 0.1 history (no recorded_at) keeps its hashes; the dates decide freshness."""
    old = qf.lifecycle.chain(
        [],
        qf.TransitionRecord(
            at=T0, actor="QA", trigger="cancel", source="reported", dest="cancelled", note="dup"
        ),
    )
    inc = qf.Incident(
        id="INC-8",
        title="Chip",
        severity="minor",
        reported_at=T0,
        status="cancelled",
        history=[old],
    )
    assert qf.verify_history(inc)
    assert "recorded_at" not in old.model_dump(exclude_defaults=True)


# --- property: whatever the caller and the clock do ------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moves=st.lists(
        st.tuples(
            st.integers(min_value=-48, max_value=48),  # clock move in hours
            st.integers(min_value=-72, max_value=2),  # caller's 'at' relative to the clock, h
        ),
        min_size=1,
        max_size=12,
    )
)
def test_stored_histories_are_in_order_whatever_the_times(moves: list[tuple[int, int]]) -> None:
    clock = Clock(T0 + 100 * DAY)
    qms = qf.QualityFlow(clock=clock, load_entry_points=False)
    qms.complaints.add(
        qf.Complaint(
            id="CMP-P", customer_id="C", channel="phone", received_at=T0, description="soft"
        )
    )
    for hours, offset in moves:
        clock.set(clock.now + timedelta(hours=hours))
        at = clock.now + timedelta(hours=offset)
        try:
            qms.complaints.fire("CMP-P", "escalate", actor="QA", at=at, incident_id="INC-1")
        except qf.TransitionError:
            pass
        else:
            assert at <= clock.now + qms.clock_tolerance
    history = qms.complaints.get("CMP-P").history
    ats = [r.at for r in history]
    stamps = [r.recorded_at for r in history]
    assert ats == sorted(ats)
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(stamps))
    assert qf.verify_history(qms.complaints.get("CMP-P"))
