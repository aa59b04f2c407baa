"""Issue 11, item 2: add() accepts incidents and complaints only in their initial state."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import qualityflow as qf
from qualityflow.lifecycle import chain, verify_chain

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_a_forged_reported_to_closed_chain_is_refused() -> None:
    qms = qf.QualityFlow()
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


def test_a_closed_incidents_history_copied_onto_a_new_id_is_refused() -> None:
    qms = qf.QualityFlow()
    qms.incidents.add(qf.Incident(id="INC-1", title="Real", severity="minor"))
    qms.incidents.fire("INC-1", "cancel", actor="QA", note="duplicate", at=T0)
    done = qms.incidents.get("INC-1")
    copy = done.model_copy(update={"id": "INC-2", "version": 0})
    with pytest.raises(qf.TransitionError, match="initial state"):
        qms.incidents.add(copy)
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-2")


def test_a_complaint_added_in_a_later_state_is_refused() -> None:
    qms = qf.QualityFlow()
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
