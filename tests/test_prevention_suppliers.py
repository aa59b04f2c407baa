"""The approved-supplier list at a biscuit plant: decisions, their audit chain, lot blocks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow import prevention


def _lot(lot_id: str, *, status: str = "released") -> qf.Batch:
    return qf.Batch(
        id=lot_id,
        kind="raw_material",
        product="wheat flour",
        quantity=qf.Quantity(amount=1000, unit="kg"),
        supplier_id="SUP-MILL",
        status=status,
    )


def test_decisions_change_status_and_chain(flour_mill: qf.Supplier, t0: datetime) -> None:
    first = prevention.decide(
        flour_mill,
        "conditional",
        actor="QA manager Dana Price",
        reason="2 of 5 flour lots failed incoming inspection (moisture) in March",
        evidence="scorecard 2026-03",
        at=t0,
    )
    second = prevention.decide(
        flour_mill,
        qf.SupplierStatus.SUSPENDED,
        actor="QA manager Dana Price",
        reason="two more lots failed after the warning",
        at=t0 + timedelta(days=14),
    )
    assert flour_mill.status is qf.SupplierStatus.SUSPENDED
    assert flour_mill.decisions == [first, second]
    assert (first.source, first.dest) == (qf.SupplierStatus.APPROVED, qf.SupplierStatus.CONDITIONAL)
    assert second.prev_hash == first.hash != ""
    assert qf.verify_decisions(flour_mill)
    assert qf.verify_history(flour_mill)
    assert flour_mill.latest_decision_at() == t0 + timedelta(days=14)


@pytest.mark.parametrize(
    ("status", "kwargs", "fragment"),
    [
        ("approved", {}, "already approved"),
        ("suspended", {"reason": "  "}, "reason is empty"),
        ("suspended", {"actor": ""}, "actor is empty"),
        ("blacklisted", {}, "status 'blacklisted' is unknown"),
    ],
)
def test_refused_decision_changes_nothing(
    flour_mill: qf.Supplier, status: str, kwargs: dict[str, str], fragment: str
) -> None:
    before = flour_mill.model_copy(deep=True)
    args = {"actor": "QA", "reason": "lots failing"} | kwargs
    with pytest.raises(qf.TransitionError) as caught:
        prevention.decide(flour_mill, status, actor=args["actor"], reason=args["reason"])
    assert caught.value.trigger == "decide"
    assert caught.value.state == "approved"
    assert any(fragment in r for r in caught.value.reasons)
    assert flour_mill == before


def test_decisions_must_be_recorded_in_order(flour_mill: qf.Supplier, t0: datetime) -> None:
    prevention.decide(flour_mill, "conditional", actor="QA", reason="late COAs", at=t0)
    with pytest.raises(qf.TransitionError, match="earlier than the last decision"):
        prevention.decide(
            flour_mill, "suspended", actor="QA", reason="mould", at=t0 - timedelta(hours=1)
        )
    naive = datetime(2026, 3, 5, 8, 0)
    with pytest.raises(qf.TransitionError, match="naive"):
        prevention.decide(flour_mill, "suspended", actor="QA", reason="mould", at=naive)
    assert flour_mill.status is qf.SupplierStatus.CONDITIONAL
    assert len(flour_mill.decisions) == 1


def test_coming_back_needs_evidence_and_disqualified_only_to_conditional(
    flour_mill: qf.Supplier, t0: datetime
) -> None:
    prevention.decide(flour_mill, "disqualified", actor="QA board", reason="falsified COAs", at=t0)
    with pytest.raises(qf.TransitionError, match="only be re-qualified as conditional"):
        prevention.decide(
            flour_mill, "approved", actor="QA board", reason="new owner", evidence="audit A-7"
        )
    with pytest.raises(qf.TransitionError, match="needs evidence"):
        prevention.decide(flour_mill, "conditional", actor="QA board", reason="new owner")
    prevention.decide(
        flour_mill,
        "conditional",
        actor="QA board",
        reason="new owner, re-audited",
        evidence="on-site audit A-7, score 86/100",
        at=t0 + timedelta(days=90),
    )
    assert flour_mill.status is qf.SupplierStatus.CONDITIONAL


def test_tampering_with_decisions_is_detected(flour_mill: qf.Supplier, t0: datetime) -> None:
    prevention.decide(flour_mill, "conditional", actor="QA", reason="moisture out of spec", at=t0)
    prevention.decide(flour_mill, "suspended", actor="QA", reason="mould in lot 0419", at=t0)
    intact = flour_mill.model_copy(deep=True)

    edited = intact.model_copy(deep=True)
    edited.decisions[0] = edited.decisions[0].model_copy(update={"reason": "price increase"})
    assert not qf.verify_decisions(edited)

    removed = intact.model_copy(deep=True)
    del removed.decisions[0]
    assert not qf.verify_decisions(removed)

    reordered = intact.model_copy(deep=True)
    reordered.decisions.reverse()
    assert not qf.verify_decisions(reordered)

    status_only = intact.model_copy(deep=True)
    status_only.status = qf.SupplierStatus.APPROVED  # reinstated without a decision
    assert not qf.verify_decisions(status_only)

    # A round trip through JSON (as storage does) keeps the chain intact.
    reloaded = qf.Supplier.model_validate_json(intact.model_dump_json())
    assert qf.verify_decisions(reloaded)


def test_status_change_notification_says_what_happened(
    flour_mill: qf.Supplier, t0: datetime
) -> None:
    decision = prevention.decide(
        flour_mill, "suspended", actor="QA", reason="mould", evidence="lab L-88", at=t0
    )
    note = prevention.status_change_notification(flour_mill, decision, recipients=["purchasing"])
    assert note.kind == "supplier_status"
    assert (note.subject_kind, note.subject_id) == ("supplier", "SUP-MILL")
    assert "approved -> suspended" in note.title
    assert "mould" in note.body and "lab L-88" in note.body
    assert note.severity is qf.Severity.MAJOR
    assert note.recipients == ["purchasing"]
    assert note.at == t0


def test_lots_of_a_suspended_supplier_are_blocked_until_overridden(
    flour_mill: qf.Supplier, t0: datetime
) -> None:
    lot = _lot("FLOUR-9")
    assert prevention.link_blockers(lot, flour_mill) == []
    prevention.decide(flour_mill, "conditional", actor="QA", reason="late COAs", at=t0)
    assert prevention.link_blockers(lot, flour_mill) == []  # conditional suppliers may deliver
    prevention.decide(flour_mill, "suspended", actor="QA", reason="mould", at=t0)

    [reason] = prevention.link_blockers(lot, flour_mill)
    assert "lot FLOUR-9 comes from supplier SUP-MILL (Northfield Mill), which is suspended" in (
        reason
    )
    with pytest.raises(qf.GenealogyError, match=r"SUP-MILL.*suspended"):
        prevention.ensure_linkable(lot, flour_mill)

    override = qf.LinkOverride(
        reason="lot re-tested by external lab, aflatoxin below limit (report L-2291)",
        approver="Plant QA manager",
        at=t0,
        lot_id="FLOUR-9",
    )
    assert prevention.link_blockers(lot, flour_mill, override) == []
    prevention.ensure_linkable(lot, flour_mill, override)
    # An override for another lot does not carry over.
    [other] = prevention.link_blockers(_lot("FLOUR-10"), flour_mill, override)
    assert "override given is for lot FLOUR-9" in other


def test_override_lifts_only_the_supplier_block(flour_mill: qf.Supplier, t0: datetime) -> None:
    prevention.decide(flour_mill, "disqualified", actor="QA", reason="falsified COAs", at=t0)
    lot = _lot("FLOUR-11", status="on_hold")
    override = qf.LinkOverride(reason="urgent order", approver="Plant manager")
    blockers = prevention.link_blockers(lot, flour_mill, override)
    assert blockers == ["lot FLOUR-11 is on hold; it must be released before it is used"]
    assert len(prevention.link_blockers(lot, flour_mill)) == 2


@pytest.mark.parametrize("status", ["quarantined", "recalled", "scrapped", "on_hold"])
def test_lots_not_released_are_blocked_whatever_the_supplier(status: str) -> None:
    [reason] = prevention.link_blockers(_lot("FLOUR-12", status=status), None)
    assert status.replace("_", " ") in reason


def test_override_needs_reason_and_approver() -> None:
    with pytest.raises(ValueError, match="approver"):
        qf.LinkOverride(reason="urgent", approver=" ")
    with pytest.raises(ValueError, match="reason"):
        qf.LinkOverride(reason="", approver="QA manager")


def test_wrong_supplier_for_the_lot_is_a_programming_error() -> None:
    other = qf.Supplier(id="SUP-SUGAR", name="Sweet Co")
    with pytest.raises(ValueError, match="comes from supplier SUP-MILL, not SUP-SUGAR"):
        prevention.link_blockers(_lot("FLOUR-13"), other)


_STATUSES = [s.value for s in qf.SupplierStatus]


@given(
    st.lists(
        st.tuples(st.sampled_from(_STATUSES), st.booleans(), st.booleans()),
        max_size=12,
    )
)
def test_any_sequence_of_decisions_keeps_a_verifiable_history(
    steps: list[tuple[str, bool, bool]],
) -> None:
    supplier = qf.Supplier(id="SUP-FILM", name="Clearwrap Films")
    at = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    for n, (status, with_reason, with_evidence) in enumerate(steps):
        before = supplier.model_copy(deep=True)
        try:
            prevention.decide(
                supplier,
                status,
                actor="QA",
                reason="monthly review" if with_reason else "",
                evidence="audit report" if with_evidence else "",
                at=at + timedelta(days=n),
            )
        except qf.TransitionError as refused:
            assert refused.reasons
            assert supplier == before  # a refused decision changes nothing
        else:
            assert supplier.decisions[-1].dest.value == status
            assert before.status.value != status
            if before.status is qf.SupplierStatus.DISQUALIFIED:
                assert status == "conditional" and with_evidence
        assert qf.verify_decisions(supplier)
        assert supplier.status is (
            supplier.decisions[-1].dest if supplier.decisions else qf.SupplierStatus.APPROVED
        )
