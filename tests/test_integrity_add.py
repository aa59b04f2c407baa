"""Issue 11, item 2: add() accepts incidents and complaints only in their initial state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

import qualityflow as qf
from qualityflow.lifecycle import chain, verify_chain

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def qms(backend_url: str) -> Iterator[qf.QualityFlow]:
    """The attacks run on every backend: memory, SQLite, PostgreSQL and MariaDB."""
    with qf.QualityFlow(backend_url, load_entry_points=False) as service:
        yield service


def test_a_forged_reported_to_closed_chain_is_refused(qms: qf.QualityFlow) -> None:
    forged = chain(
        [],
        qf.TransitionRecord(
            at=T0, actor="nobody", trigger="close", source="reported", dest="closed"
        ),
    )
    incident = qf.Incident(
        id="INC-F", title="Forged", severity="minor", status="closed", history=[forged]
    )
    assert verify_chain(incident.history)  # self-consistent...
    assert not qf.verify_history(incident)  # ...but reported -> closed is no transition
    with pytest.raises(qf.TransitionError, match=r"initial state.*fire"):
        qms.incidents.add(incident)
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-F")


def test_a_closed_incidents_history_copied_onto_a_new_id_is_refused(qms: qf.QualityFlow) -> None:
    qms.incidents.add(qf.Incident(id="INC-1", title="Real", severity="minor"))
    qms.incidents.fire("INC-1", "cancel", actor="QA", note="duplicate", at=T0)
    done = qms.incidents.get("INC-1")
    copy = done.model_copy(update={"id": "INC-2", "version": 0})
    with pytest.raises(qf.TransitionError, match="initial state"):
        qms.incidents.add(copy)
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-2")


def test_a_complaint_added_in_a_later_state_is_refused(qms: qf.QualityFlow) -> None:
    complaint = qf.Complaint(
        id="CMP-1",
        customer_id="C",
        channel="phone",
        received_at=T0,
        description="soft",
        status="rejected",
        rejection_reason="counterfeit",
    )
    with pytest.raises(qf.TransitionError, match="initial state"):
        qms.complaints.add(complaint)


# --- bringing in a case with a past ------------------------------------------------------------


def _old_closed_incident(*, with_evidence: bool) -> qf.Incident:
    """A closed incident as another QMS would export it: its history chained with chain()."""
    from datetime import date, datetime, timedelta, timezone

    t0 = datetime(2025, 5, 2, 8, 0, tzinfo=timezone.utc)
    leader = qf.TeamMember(name="Li Na", role="leader", department="quality")
    fields: dict[str, object] = {}
    if with_evidence:
        fields = {
            "team": qf.EmergencyTeam(leader=leader),
            "assessment": qf.ImpactAssessment(severity="minor"),
            "root_cause": qf.RootCauseAnalysis(
                method="five_why",
                problem="torn labels",
                whys=["glue too cold"],
                root_cause="no glue temperature check",
                category="method",
                confirmed=True,
            ),
            "actions": [
                qf.CorrectiveAction(
                    id="CA-1",
                    description="glue check",
                    owner="Wu",
                    department="production",
                    due=date(2025, 5, 9),
                    status="done",
                    done_at=t0 + timedelta(days=3),
                )
            ],
            "verification": qf.Verification(
                effective=True,
                evidence="no torn labels in 3 weeks",
                verified_by="Li Na",
                at=t0 + timedelta(days=25),
            ),
            "lessons": ["check glue temperature at start-up"],
        }
    history: list[qf.TransitionRecord] = []
    steps = [
        ("assess", "reported", "assessed"),
        ("contain", "assessed", "contained"),
        ("investigate", "contained", "investigating"),
        ("correct", "investigating", "correcting"),
        ("verify", "correcting", "verifying"),
        ("close", "verifying", "closed"),
    ]
    for days, (trigger, source, dest) in enumerate(steps):
        history.append(
            qf.lifecycle.chain(
                history,
                qf.TransitionRecord(
                    at=t0 + timedelta(days=5 * days),
                    actor="Li Na",
                    trigger=trigger,
                    source=source,
                    dest=dest,
                ),
            )
        )
    return qf.Incident(
        id="OLD-12",
        title="Torn labels on detergent bottles",
        severity="minor",
        reported_at=t0,
        status="closed",
        history=history,
        **fields,  # type: ignore[arg-type]
    )


def test_a_forged_closed_history_is_not_imported_either(qms: qf.QualityFlow) -> None:
    forged = _old_closed_incident(with_evidence=False)
    assert qf.verify_history(forged)  # a self-consistent chain...
    with pytest.raises(qf.TransitionError) as err:
        qms.incidents.import_case(forged, imported_by="IT migration")
    assert "step 1 of 6 ('assess'" in err.value.reasons[0]
    assert err.value.trigger == "import"
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("OLD-12")


def test_an_honest_old_case_is_imported_through_the_guards(qms: qf.QualityFlow) -> None:
    old = _old_closed_incident(with_evidence=True)
    stored = qms.incidents.import_case(old, imported_by="IT migration", reason="old QMS")
    assert stored.status.value == "closed"
    assert [r.trigger for r in stored.history] == [r.trigger for r in old.history]
    assert [r.at for r in stored.history] == [r.at for r in old.history]
    assert all(r.entity == "incident/OLD-12" and r.recorded_at for r in stored.history)
    assert stored.amendments[0].actor == "IT migration"
    assert stored.amendments[0].reason == "old QMS"
    assert qf.verify_history(qms.incidents.get("OLD-12"))
    assert qms.audit.verify().ok, str(qms.audit.verify())
