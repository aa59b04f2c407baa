"""Deadlines: nobody may sit on a quality problem.

A biscuit plant's critical foreign-body incident must be assessed within 4 hours and
contained within a day; a toy factory's minor incident has three days to be assessed; a
tissue mill acknowledges a complaint within 24 hours and resolves it within a week.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualityflow as qf

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def incident(severity: str = "critical", **fields: Any) -> qf.Incident:
    return qf.Incident(
        id=fields.pop("id", "INC-2026-014"),
        title="Metal fragment in butter biscuits",
        severity=severity,
        reported_at=T0,
        **fields,
    )


def complaint(severity: str = "major", id: str = "CMP-2026-088") -> qf.Complaint:
    return qf.Complaint(
        id=id,
        customer_id="CUST-FRESHMART",
        channel="phone",
        received_at=T0,
        description="Tissue rolls tear along the perforation",
        severity=severity,
    )


def team() -> qf.EmergencyTeam:
    return qf.EmergencyTeam(leader=qf.TeamMember(name="Lena", role="lead", department="QA"))


def scope() -> qf.ImpactAssessment:
    return qf.ImpactAssessment(
        severity="critical",
        batch_ids=["BISC-0301"],
        regions=["CN-31"],
        risk="injury to consumers",
        rationale="the affected lots reached the market",
    )


@pytest.mark.parametrize(
    ("severity", "assess_h", "contain_h"),
    [("critical", 4, 24), ("major", 24, 48), ("minor", 72, 120)],
)
def test_assess_and_contain_deadlines_depend_on_severity(
    severity: str, assess_h: int, contain_h: int
) -> None:
    found = {d.what: d for d in qf.deadlines(incident(severity))}
    assert set(found) == {"assess", "contain"}
    assert found["assess"].due == T0 + assess_h * H
    assert found["contain"].due == T0 + contain_h * H
    assert found["assess"].severity.value == severity
    assert found["assess"].late_by is None


def test_a_critical_incident_unassessed_after_six_hours_is_two_hours_late() -> None:
    (late,) = qf.overdue([incident()], T0 + 6 * H)
    assert (late.subject_kind, late.subject_id, late.what) == ("incident", "INC-2026-014", "assess")
    assert late.late_by == 2 * H
    assert str(late) == "incident INC-2026-014: assess due 2026-03-02 10:00 UTC, late by 2 h"


def test_a_deadline_exactly_now_is_not_late() -> None:
    assert qf.overdue([incident()], T0 + 4 * H) == []


def test_assessing_meets_the_assess_deadline() -> None:
    inc = incident()
    qf.INCIDENT_LIFECYCLE.fire(
        inc, "assess", actor="Lena", at=T0 + 5 * H, assessment=scope(), team=team()
    )
    assert [d.what for d in qf.deadlines(inc)] == ["contain"]
    assert qf.overdue([inc], T0 + 23 * H) == []
    (late,) = qf.overdue([inc], T0 + 30 * H)
    assert (late.what, late.late_by) == ("contain", 6 * H)


def test_a_late_report_stays_a_breach() -> None:
    inc = incident(detected_at=T0 - 3 * H)  # detected on the night shift, reported at 06:00
    (late,) = qf.overdue([inc], T0 + H)
    assert late.what == "report"
    assert late.late_by == 2 * H
    assert late.met_at == T0


def test_a_prompt_report_is_no_breach() -> None:
    inc = incident(detected_at=T0 - timedelta(minutes=20))
    assert "report" not in {d.what for d in qf.deadlines(inc)}


def test_open_corrective_actions_are_due_at_the_end_of_their_day() -> None:
    inc = incident(
        "major",
        status="correcting",
        actions=[
            qf.CorrectiveAction(
                id="CA-1",
                description="new blade interval",
                owner="Ana",
                department="maintenance",
                due=date(2026, 3, 9),
            ),
            qf.CorrectiveAction(
                id="CA-2",
                description="train the sheeter crew",
                owner="Jon",
                department="production",
                due=date(2026, 3, 5),
                status="done",
                done_at=T0 + 48 * H,
            ),
        ],
    )
    actions = [d for d in qf.deadlines(inc) if d.what.startswith("action")]
    assert [(d.what, d.due) for d in actions] == [
        ("action CA-1", datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc))
    ]
    late = qf.overdue([inc], datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc))
    by_what = {d.what: d.late_by for d in late}
    assert by_what["action CA-1"] == timedelta(hours=9, minutes=30)


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_finished_incidents_have_no_open_deadlines(status: str) -> None:
    assert qf.deadlines(incident(status=status)) == []


def test_complaint_acknowledge_in_a_day_and_resolve_in_a_week() -> None:
    found = {d.what: d.due for d in qf.deadlines(complaint())}
    assert found == {"acknowledge": T0 + 24 * H, "resolve": T0 + 7 * 24 * H}


def test_acknowledging_meets_that_deadline_only() -> None:
    cmp = complaint()
    contact = qf.Contact(
        at=T0 + H, direction="outbound", channel="phone", message="we are on it", by="Mo"
    )
    qf.COMPLAINT_LIFECYCLE.fire(cmp, "acknowledge", actor="Mo", at=T0 + H, contacts=[contact])
    assert [d.what for d in qf.deadlines(cmp)] == ["resolve"]


@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_closed_and_rejected_complaints_have_no_deadlines(status: str) -> None:
    cmp = complaint()
    cmp.status = qf.ComplaintStatus(status)
    assert qf.deadlines(cmp) == []


def test_overdue_lists_the_latest_first_across_incidents_and_complaints() -> None:
    entities: list[qf.Incident | qf.Complaint] = [
        incident("major", id="INC-A"),
        complaint(id="CMP-B"),
        incident(id="INC-C"),
    ]
    now = T0 + 50 * H
    late = qf.overdue(entities, now)
    assert [(d.subject_id, d.what) for d in late] == [
        ("INC-C", "assess"),  # due +4 h
        ("CMP-B", "acknowledge"),  # due +24 h, ties in id order
        ("INC-A", "assess"),  # due +24 h
        ("INC-C", "contain"),  # due +24 h
        ("INC-A", "contain"),  # due +48 h
    ]
    spans = [d.late_by for d in late]
    assert spans == sorted(spans, reverse=True)  # type: ignore[type-var]


def test_overdue_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone"):
        qf.overdue([incident()], datetime(2026, 3, 2, 12, 0))


def test_a_plugin_policy_replaces_the_defaults() -> None:
    class StrictRetailer:
        """A retailer's contract: every complaint acknowledged within 2 hours."""

        def deadlines(self, entity: qf.Incident | qf.Complaint) -> list[qf.Deadline]:
            if not isinstance(entity, qf.Complaint):
                return qf.DefaultDeadlinePolicy().deadlines(entity)
            return [
                qf.Deadline(
                    subject_kind="complaint",
                    subject_id=entity.id,
                    what="acknowledge",
                    due=entity.received_at + 2 * H,
                    severity=entity.severity,
                )
            ]

    assert isinstance(StrictRetailer(), qf.DeadlinePolicy)
    (late,) = qf.overdue([complaint()], T0 + 3 * H, policy=StrictRetailer())
    assert (late.what, late.late_by) == ("acknowledge", H)
    assert qf.overdue([complaint()], T0 + 3 * H) == []


def test_the_default_limits_can_be_tuned() -> None:
    policy = qf.DefaultDeadlinePolicy(
        assess_within={s: 2 * H for s in qf.Severity},
    )
    (late,) = qf.overdue([incident("minor")], T0 + 3 * H, policy=policy)
    assert (late.what, late.late_by) == ("assess", H)


@settings(max_examples=60, deadline=None)
@given(
    hours=st.integers(min_value=0, max_value=400),
    severity=st.sampled_from(["critical", "major", "minor"]),
)
def test_late_by_is_now_minus_due_and_always_positive(hours: int, severity: str) -> None:
    now = T0 + hours * H
    entities: list[qf.Incident | qf.Complaint] = [incident(severity), complaint(severity)]
    late = qf.overdue(entities, now)
    all_deadlines = [d for e in entities for d in qf.deadlines(e)]
    assert {(d.subject_id, d.what) for d in late} == {
        (d.subject_id, d.what) for d in all_deadlines if d.due < now
    }
    for d in late:
        assert d.late_by is not None and d.late_by > timedelta(0)
        assert d.late_by == now - d.due
