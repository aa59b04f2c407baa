"""Tamper-evident histories: a biscuit plant's incident file cannot be quietly rewritten."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.lifecycle.audit import chain, record_hash, seal, verify_chain

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

STEPS = [
    ("assess", "reported", "assessed"),
    ("contain", "assessed", "contained"),
    ("investigate", "contained", "investigating"),
    ("correct", "investigating", "correcting"),
]


def _history() -> list[qf.TransitionRecord]:
    history: list[qf.TransitionRecord] = []
    for i, (trigger, source, dest) in enumerate(STEPS):
        record = qf.TransitionRecord(
            at=T0 + timedelta(hours=i),
            actor="QA manager Lena Ortiz",
            trigger=trigger,
            source=source,
            dest=dest,
            note=f"step {i}",
        )
        history.append(chain(history, record))
    return history


def _incident(history: list[qf.TransitionRecord]) -> qf.Incident:
    return qf.Incident(
        id="INC-2026-014",
        title="Metal fragment in butter biscuits",
        severity="critical",
        reported_at=T0,
        status=history[-1].dest if history else "reported",
        history=history,
    )


def test_record_hash_is_sha256_over_canonical_json_without_the_hash_field() -> None:
    import hashlib
    import json

    rec = _history()[0]
    payload = rec.model_dump(mode="json")
    del payload["hash"]
    # The fields added since 0.2 are left out while empty (records made before keep their hash).
    for name in ("recorded_at", "entity", "fields", "state", "signature", "actor_id"):
        if payload[name] in (None, "", []):
            del payload[name]
    expected = hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert record_hash(rec) == expected == rec.hash


def test_an_untouched_history_verifies() -> None:
    history = _history()
    assert verify_chain(history)
    assert qf.verify_history(_incident(history))
    assert history[0].prev_hash == ""
    assert all(history[i].prev_hash == history[i - 1].hash for i in range(1, len(history)))


def test_history_survives_a_json_round_trip() -> None:
    incident = _incident(_history())
    again = qf.Incident.model_validate_json(incident.model_dump_json())
    assert qf.verify_history(again)


def test_an_edited_note_is_detected() -> None:
    incident = _incident(_history())
    incident.history[1].note = "nothing to see here"
    assert not qf.verify_history(incident)


def test_an_edited_actor_is_detected_even_if_its_own_hash_is_recomputed() -> None:
    history = _history()
    forged = history[1].model_copy(update={"actor": "someone else"})
    history[1] = seal(forged, forged.prev_hash)
    assert not verify_chain(history)  # the next record still points at the old hash


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_removed_record_is_detected(index: int) -> None:
    history = _history()
    del history[index]
    assert not qf.verify_history(_incident(history))


def test_removing_the_last_record_is_detected_through_the_status() -> None:
    incident = _incident(_history())
    incident.history.pop()
    assert verify_chain(incident.history)  # a shorter chain is still a chain...
    assert not qf.verify_history(incident)  # ...but the status no longer matches it


def test_reordered_records_are_detected() -> None:
    history = _history()
    history[1], history[2] = history[2], history[1]
    assert not verify_chain(history)


def test_an_inserted_record_is_detected() -> None:
    history = _history()
    fake = qf.TransitionRecord(
        at=T0 + timedelta(minutes=30),
        actor="intruder",
        trigger="contain",
        source="assessed",
        dest="contained",
    )
    history.insert(1, seal(fake, history[0].hash))
    assert not verify_chain(history)


def test_status_moved_without_a_record_is_detected() -> None:
    incident = _incident(_history())
    incident.status = qf.IncidentStatus.CLOSED
    assert not qf.verify_history(incident)


def test_a_fresh_complaint_and_supplier_verify() -> None:
    complaint = qf.Complaint(
        id="CMP-88",
        customer_id="CUST-SHOP-12",
        channel="phone",
        received_at=T0,
        description="Tissue rolls tear along the perforation",
    )
    assert qf.verify_history(complaint)
    complaint.status = qf.ComplaintStatus.RESOLVED
    assert not qf.verify_history(complaint)


def test_supplier_decisions_use_the_same_chain() -> None:
    decisions: list[qf.SupplierDecision] = []
    decisions.append(
        chain(
            decisions,
            qf.SupplierDecision(
                at=T0,
                actor="purchasing",
                source="approved",
                dest="suspended",
                reason="two foreign-body findings in incoming flour",
            ),
        )
    )
    mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill", status="suspended")
    mill.decisions = decisions
    assert qf.verify_history(mill)
    mill.decisions[0].reason = "no reason"
    assert not qf.verify_history(mill)


def _fired_incident() -> qf.Incident:
    """A real incident taken through the loop by the lifecycle, then reopened."""
    from datetime import date

    inc = qf.Incident(id="INC-2026-020", title="Glass in jam jars", severity="critical")
    at = T0
    team = qf.EmergencyTeam(leader=qf.TeamMember(name="Lena", role="lead", department="QA"))
    done = qf.CorrectiveAction(
        id="CA-1",
        description="guard the capper",
        owner="Ana",
        department="maintenance",
        due=date(2026, 3, 9),
        status="done",
        done_at=T0,
    )
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "assess",
            {
                "assessment": qf.ImpactAssessment(
                    severity="critical",
                    regions=["CN-31"],
                    risk="injury to consumers",
                    rationale="the affected lots reached the market",
                ),
                "team": team,
            },
        ),
        ("contain", {}),
        ("investigate", {}),
        (
            "correct",
            {
                "root_cause": qf.RootCauseAnalysis(
                    method="five_why",
                    problem="glass",
                    whys=["jar chipped at the capper"],
                    root_cause="capper misaligned",
                    category="machine",
                    confirmed=True,
                ),
                "actions": [done],
            },
        ),
        ("verify", {}),
        (
            "close",
            {
                "verification": qf.Verification(
                    effective=True, evidence="no chips", verified_by="Lena", at=T0
                ),
                "lessons": ["align cappers weekly"],
            },
        ),
        ("reopen", {}),
    ]
    for trigger, data in steps:
        at += timedelta(hours=2)
        qf.INCIDENT_LIFECYCLE.fire(inc, trigger, actor="Lena", at=at, **data)
    return inc


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(["edit", "remove", "reorder", "insert"]),
    index=st.integers(min_value=0, max_value=6),
    other=st.integers(min_value=0, max_value=6),
    field=st.sampled_from(["actor", "note", "trigger", "dest", "at"]),
)
def test_any_tampering_with_a_fired_history_is_detected(
    kind: str, index: int, other: int, field: str
) -> None:
    inc = _fired_incident()
    assert qf.verify_history(inc)
    history = inc.history
    if kind == "edit":
        value = T0 - timedelta(days=1) if field == "at" else "tampered"
        setattr(history[index], field, value)
    elif kind == "remove":
        del history[index]
    elif kind == "reorder":
        assume(history[index] != history[other])
        history[index], history[other] = history[other], history[index]
    else:
        forged = history[index].model_copy(update={"note": "backdated approval"})
        history.insert(other, forged)
    assert not qf.verify_history(inc)
