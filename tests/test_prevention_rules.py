"""Release rules, three-stage inspections, retained samples, training and the scorecard.

Scenes from a tissue-paper mill and a biscuit plant.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow import prevention
from qualityflow.testing import example_genealogy

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def roll_batch(status: str = "released") -> qf.Batch:
    return qf.Batch(
        id="TISSUE-88",
        kind="finished",
        product="kitchen towel 2-ply",
        quantity=qf.Quantity(amount=1200, unit="roll"),
        line="PM2",
        status=status,
    )


# --- inspections -----------------------------------------------------------------------


def test_a_failed_characteristic_fails_the_inspection() -> None:
    check = qf.evaluate_inspection(
        id="FQC-88",
        batch_id="TISSUE-88",
        stage="final",
        characteristics=[
            qf.Characteristic(
                name="grammage", value=Decimal("17.2"), lower=16, upper=18, unit="g/m2"
            ),
            qf.Characteristic(name="perforation tears cleanly", passed=False),
        ],
        at=T0,
    )
    assert check.result is qf.InspectionResult.FAIL
    assert "perforation tears cleanly" in check.note


def test_defects_are_judged_against_the_sampling_plan() -> None:
    plan = qf.sampling_plan(1200, "1.0")  # J, n = 80, Ac 2 Re 3
    ok = qf.evaluate_inspection(
        id="FQC-1", batch_id="TISSUE-88", stage="final", plan=plan, defects=2
    )
    bad = qf.evaluate_inspection(
        id="FQC-2", batch_id="TISSUE-88", stage="final", plan=plan, defects=3
    )
    assert ok.result is qf.InspectionResult.PASS
    assert bad.result is qf.InspectionResult.FAIL
    assert (bad.sample_size, bad.accept, bad.reject) == (80, 2, 3)
    assert "reaches Re 3" in bad.note
    # Without a plan nothing is accepted.
    assert (
        qf.evaluate_inspection(id="X", batch_id="TISSUE-88", stage="final", defects=1).result
        is qf.InspectionResult.FAIL
    )


def test_in_process_checks_record_who_checked() -> None:
    patrol = qf.evaluate_inspection(
        id="IPQC-5",
        batch_id="TISSUE-88",
        stage="in_process",
        check_type="patrol",
        characteristics=[
            qf.Characteristic(name="roll diameter", value=118, lower=115, upper=121, unit="mm")
        ],
    )
    assert patrol.check_type is qf.CheckType.PATROL
    assert patrol.result is qf.InspectionResult.PASS
    with pytest.raises(ValueError, match="check_type"):
        qf.evaluate_inspection(id="FQC-9", batch_id="TISSUE-88", stage="final", check_type="self")


@pytest.mark.parametrize("stage", ["incoming", "in_process", "final"])
def test_a_failed_inspection_puts_a_released_batch_on_hold(stage: str) -> None:
    batch = roll_batch()
    failed = qf.Inspection(id="QC-1", batch_id=batch.id, stage=stage, result="fail")
    assert prevention.apply_inspection(batch, failed) is qf.BatchStatus.ON_HOLD
    assert batch.status is qf.BatchStatus.ON_HOLD
    # A later pass does not lift the hold by itself.
    passed = qf.Inspection(id="QC-2", batch_id=batch.id, stage=stage, result="pass")
    assert prevention.apply_inspection(batch, passed) is qf.BatchStatus.ON_HOLD


@pytest.mark.parametrize("status", ["quarantined", "recalled", "scrapped"])
def test_failing_does_not_overwrite_a_stronger_status(status: str) -> None:
    batch = roll_batch(status)
    failed = qf.Inspection(id="QC-1", batch_id=batch.id, stage="final", result="fail")
    assert prevention.apply_inspection(batch, failed).value == status


def test_an_inspection_of_another_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="is of batch OTHER-1, not TISSUE-88"):
        prevention.apply_inspection(
            roll_batch(), qf.Inspection(id="QC-1", batch_id="OTHER-1", stage="final", result="fail")
        )


def test_finished_batch_needs_a_passed_final_inspection_when_required() -> None:
    batch = roll_batch("on_hold")
    in_process = qf.Inspection(id="IPQC-1", batch_id=batch.id, stage="in_process", result="pass")
    [missing] = prevention.release_blockers(batch, [in_process])
    assert "no final inspection" in missing
    assert prevention.release_blockers(batch, [in_process], require_final_inspection=False) == []

    failed = qf.Inspection(id="FQC-1", batch_id=batch.id, stage="final", result="fail", at=T0)
    [reason] = prevention.release_blockers(batch, [in_process, failed])
    assert "final inspection of TISSUE-88 (FQC-1) failed" in reason
    # Re-inspection after rework passes: the latest one counts, whatever the list order.
    again = qf.Inspection(
        id="FQC-2", batch_id=batch.id, stage="final", result="pass", at=T0 + timedelta(hours=5)
    )
    assert prevention.release_blockers(batch, [again, in_process, failed]) == []


def test_recalled_batch_cannot_be_released() -> None:
    batch = roll_batch("recalled")
    passed = qf.Inspection(id="FQC-1", batch_id=batch.id, stage="final", result="pass")
    assert prevention.release_blockers(batch, [passed]) == [
        "batch TISSUE-88 is recalled and cannot be released"
    ]


def test_raw_lot_of_a_suspended_supplier_cannot_be_released(flour_mill: qf.Supplier) -> None:
    prevention.decide(flour_mill, "suspended", actor="QA", reason="mould", at=T0)
    lot = qf.Batch(
        id="FLOUR-20",
        kind="raw_material",
        product="wheat flour",
        quantity=qf.Quantity(amount=1000, unit="kg"),
        supplier_id="SUP-MILL",
        status="on_hold",
    )
    passed = qf.Inspection(id="IQC-20", batch_id=lot.id, stage="incoming", result="pass")
    [reason] = prevention.release_blockers(lot, [passed], supplier=flour_mill)
    assert "SUP-MILL (Northfield Mill), which is suspended" in reason
    override = qf.LinkOverride(reason="lab cleared", approver="QA manager")
    assert prevention.release_blockers(lot, [passed], supplier=flour_mill, override=override) == []


# --- retained samples --------------------------------------------------------------------


def _sample(sample_id: str, batch_id: str, days: int, **extra: object) -> qf.RetainedSample:
    return qf.RetainedSample.model_validate(
        {
            "id": sample_id,
            "batch_id": batch_id,
            "location": "retain room B, shelf 3",
            "taken_at": T0,
            "retain_until": T0 + timedelta(days=days),
            "quantity": qf.Quantity(amount=6, unit="pack"),
            **extra,
        }
    )


def test_samples_are_found_for_a_complaint_including_upstream_lots() -> None:
    genealogy = example_genealogy()
    samples = [
        _sample("RS-1", "BISC-1", 180),
        _sample("RS-2", "BISC-3", 180),
        _sample("RS-3", "FLOUR-3", 365),
        _sample("RS-4", "COCOA-7", 365),
        _sample("RS-5", "BISC-1", 180, disposed_at=T0 + timedelta(days=200)),
    ]
    complaint = qf.Complaint(
        id="CMP-77",
        customer_id="CUST-SHOPRITE",
        channel="email",
        received_at=T0 + timedelta(days=20),
        description="Butter biscuits taste stale",
        batch_ids=["BISC-3"],
    )
    assert [s.id for s in prevention.samples_for(complaint, samples)] == ["RS-2"]
    # BISC-3 <- MIX-2 <- FLOUR-3: the flour's retained sample can be tested too.
    assert [s.id for s in prevention.samples_for(complaint, samples, genealogy=genealogy)] == [
        "RS-2",
        "RS-3",
    ]
    assert [s.id for s in prevention.samples_for(["BISC-1"], samples, include_disposed=True)] == [
        "RS-1",
        "RS-5",
    ]


def test_samples_due_for_disposal_skip_those_still_needed() -> None:
    samples = [
        _sample("RS-1", "BISC-1", 180),
        _sample("RS-2", "BISC-2", 90),
        _sample("RS-3", "BISC-3", 400),
        _sample("RS-4", "BISC-4", 30, disposed_at=T0 + timedelta(days=31)),
    ]
    now = T0 + timedelta(days=200)
    assert [s.id for s in prevention.samples_due_for_disposal(samples, now)] == ["RS-2", "RS-1"]
    # BISC-1 is in an open complaint: its sample stays.
    assert [
        s.id for s in prevention.samples_due_for_disposal(samples, now, keep_batch_ids=["BISC-1"])
    ] == ["RS-2"]


def test_retention_dates_must_make_sense() -> None:
    with pytest.raises(ValueError, match=r"retain_until .* is before taken_at"):
        _sample("RS-9", "BISC-9", -1)


# --- training ----------------------------------------------------------------------------


def test_lesson_stays_open_until_everyone_is_trained_on_the_revision() -> None:
    incident = qf.Incident(
        id="INC-7",
        title="Metal chip in biscuits",
        severity="critical",
        actions=[
            qf.CorrectiveAction(id="CA-1", description="Revise SOP-12 metal detector check"),
            qf.CorrectiveAction(id="CA-2", description="Replace sieve mesh"),
        ],
    )
    revision_c = T0 + timedelta(days=10)
    need = qf.TrainingRequirement(
        action_id="CA-1",
        procedure="SOP-12",
        people=["Ana", "Ben", "Chen"],
        since=revision_c,
        due=date(2026, 3, 31),
    )
    unrelated = qf.TrainingRequirement(action_id="CA-99", procedure="SOP-1", people=["Zoe"])
    records = [
        qf.TrainingRecord(
            person="Ana", procedure="SOP-12", at=revision_c + timedelta(days=1), trainer="QA Lena"
        ),
        # Ben was trained on revision B, before the change: it does not count.
        qf.TrainingRecord(person="Ben", procedure="SOP-12", at=T0, trainer="QA Lena"),
    ]
    still = prevention.open_training([need, unrelated], records)
    assert [(o.action_id, o.person) for o in still] == [
        ("CA-1", "Ben"),
        ("CA-1", "Chen"),
        ("CA-99", "Zoe"),
    ]
    assert still[0].due == date(2026, 3, 31)
    assert prevention.lesson_open(incident, [need, unrelated], records)
    records += [
        qf.TrainingRecord(
            person=p, procedure="SOP-12", at=revision_c + timedelta(days=2), trainer="QA Lena"
        )
        for p in ("Ben", "Chen")
    ]
    assert not prevention.lesson_open(incident, [need, unrelated], records)
    assert prevention.lesson_open(["CA-99"], [need, unrelated], records)


def test_training_requirement_needs_people() -> None:
    with pytest.raises(ValueError):
        qf.TrainingRequirement(action_id="CA-1", procedure="SOP-12", people=[])
    with pytest.raises(ValueError, match="listed twice"):
        qf.TrainingRequirement(action_id="CA-1", procedure="SOP-12", people=["Ana", "Ana"])


# --- scorecard and policy ----------------------------------------------------------------


def test_scorecard_counts_complaints_and_deliveries(flour_mill: qf.Supplier) -> None:
    genealogy = example_genealogy()  # FLOUR-3 (SUP-MILL) feeds BISC-1..3
    stale_flour = qf.Incident(
        id="INC-31",
        title="Stale taste in biscuits",
        severity="major",
        reported_at=T0,
        batch_ids=["BISC-3"],
        root_cause=qf.RootCauseAnalysis(
            method="five_why",
            problem="biscuits taste stale",
            whys=["the fat oxidised", "the flour arrived old"],
            root_cause="flour lot FLOUR-3 milled eleven months before delivery",
            category="material",
            confirmed=True,
        ),
    )
    complaints = [
        qf.Complaint(
            id=f"CMP-{n}",
            customer_id="CUST-1",
            channel="phone",
            received_at=T0 + timedelta(days=n),
            description="stale",
            batch_ids=[batch],
            severity=severity,
            incident_id=incident,
        )
        for n, (batch, severity, incident) in enumerate(
            [
                ("BISC-3", "major", "INC-31"),
                ("BISC-1", "minor", "INC-31"),
                ("BISC-2", "minor", None),
            ],
            1,
        )
    ]
    deliveries = [
        qf.Delivery(
            supplier_id="SUP-MILL",
            due=T0 + timedelta(days=d),
            delivered_at=T0 + timedelta(days=d, hours=h),
        )
        for d, h in [(1, -2), (8, 0), (15, 30), (22, -1)]
    ] + [qf.Delivery(supplier_id="SUP-COCOA", due=T0, delivered_at=T0 + timedelta(days=9))]
    e = qf.score_supplier(
        flour_mill,
        period="2026-03",
        inspections=[
            qf.Inspection(id="IQC-3", batch_id="FLOUR-3", stage="incoming", result="conditional")
        ],
        incidents=[stale_flour],
        complaints=complaints,
        genealogy=genealogy,
        deliveries=deliveries,
        at=T0,
        min_inspections=1,
    )
    assert e.scores == {
        "quality": Decimal(50),
        "incidents": Decimal(75),
        "complaints": Decimal(80),
        "delivery": Decimal(75),
    }
    assert "INC-31 (major, material root cause, lot FLOUR-3 upstream)" in e.note
    assert "CMP-1 (major, INC-31), CMP-2 (minor, INC-31)" in e.note
    # CMP-2's twin CMP-3 was never escalated: no root cause ties it to the mill.
    assert "CMP-3 (not escalated to an incident it caused)" in e.note
    # (50 x 50 + 75 x 20 + 80 x 10 + 75 x 20) / 100
    assert e.weighted_total == Decimal("63")


def test_an_incident_caused_elsewhere_is_not_charged_to_the_suppliers_upstream() -> None:
    # A night-shift checklist was skipped: metal in biscuits made from three suppliers'
    # lots. None of them caused it; none loses points, and the note says why.
    genealogy = example_genealogy()
    checklist = qf.RootCauseAnalysis(
        method="fishbone",
        problem="metal fragment in biscuits",
        fishbone={"method": ["night shift skipped the sieve check"]},
        root_cause="sieve check skipped on the night shift",
        category="method",
        confirmed=True,
    )
    metal = qf.Incident(
        id="INC-40",
        title="Metal fragment",
        severity="critical",
        reported_at=T0,
        batch_ids=["BISC-1"],
        root_cause=checklist,
    )
    unconfirmed = metal.model_copy(
        update={"id": "INC-41", "root_cause": checklist.model_copy(update={"confirmed": False})}
    )
    for supplier in (
        qf.Supplier(id="SUP-MILL", name="Northfield Mill"),
        qf.Supplier(id="SUP-COCOA", name="Cocoa Traders"),
    ):
        e = qf.score_supplier(
            supplier,
            period="2026-03",
            inspections=[],
            incidents=[metal, unconfirmed],
            genealogy=genealogy,
            at=T0,
        )
        assert e.scores["incidents"] == 100, supplier.id
        assert "INC-40 (root cause in method)" in e.note
        assert "INC-41 (root cause not confirmed yet)" in e.note
    # The same incident whose root cause names the mill counts against the mill only.
    named = metal.model_copy(
        update={
            "id": "INC-42",
            "root_cause": checklist.model_copy(
                update={"root_cause": "Northfield Mill changed sieve supplier without notice"}
            ),
        }
    )
    mill = qf.score_supplier(
        qf.Supplier(id="SUP-MILL", name="Northfield Mill"),
        period="2026-03",
        inspections=[],
        incidents=[named],
        genealogy=genealogy,
        at=T0,
    )
    assert mill.scores["incidents"] == 50
    assert "INC-42 (critical, its root cause names the supplier)" in mill.note


def test_one_conditional_lot_is_too_little_to_score_quality_on() -> None:
    film = qf.Supplier(id="SUP-PACK", name="Film Co")
    lot = qf.Batch(
        id="FILM-1",
        kind="packaging",
        product="film",
        quantity=qf.Quantity(amount=5, unit="roll"),
        supplier_id="SUP-PACK",
    )
    one = [qf.Inspection(id="IQC-F1", batch_id="FILM-1", stage="incoming", result="conditional")]
    e = qf.score_supplier(film, period="2026-03", inspections=one, lots=[lot], at=T0)
    assert "quality" not in e.scores
    assert "quality not scored: 1 incoming inspection(s) in the period, 3 needed" in e.note
    assert qf.DefaultSupplierPolicy().recommend(e, film) is qf.SupplierStatus.APPROVED
    three = [*one, *(one[0].model_copy(update={"id": f"IQC-F{n}"}) for n in (2, 3))]
    assert qf.score_supplier(film, period="2026-03", inspections=three, lots=[lot], at=T0).scores[
        "quality"
    ] == Decimal(50)


def test_scorecard_without_data_says_what_is_missing(flour_mill: qf.Supplier) -> None:
    with pytest.raises(ValueError, match="no lot of it is known"):
        qf.score_supplier(flour_mill, period="2026-03", inspections=[], incidents=[], complaints=[])


def test_custom_weights_drop_unweighted_criteria(flour_mill: qf.Supplier) -> None:
    lot = qf.Batch(
        id="FLOUR-1",
        kind="raw_material",
        product="flour",
        quantity=qf.Quantity(amount=1, unit="t"),
        supplier_id="SUP-MILL",
    )
    e = qf.score_supplier(
        flour_mill,
        period="2026-03",
        inspections=[
            qf.Inspection(id="IQC-1", batch_id="FLOUR-1", stage="incoming", result="fail")
        ],
        lots=[lot],
        weights={"quality": 1},
        min_inspections=1,
    )
    assert e.scores == {"quality": Decimal(0)}


_ORDER = ["disqualified", "suspended", "conditional", "approved"]


@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(_ORDER),
)
def test_policy_is_monotonic_and_lifts_at_most_one_step(
    low: Decimal, high: Decimal, current: str
) -> None:
    low, high = sorted((low, high))
    supplier = qf.Supplier(id="SUP-X", name="X", status=current)
    policy = qf.DefaultSupplierPolicy()

    def rec(score: Decimal) -> int:
        e = qf.SupplierEvaluation(period="P", scores={"q": score}, weights={"q": 1})
        return _ORDER.index(policy.recommend(e, supplier).value)

    assert rec(low) <= rec(high)
    assert rec(high) <= _ORDER.index(current) + 1
    if current == "disqualified":
        assert rec(high) == 0


def test_policy_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="approve_at >= conditional_at"):
        qf.DefaultSupplierPolicy(approve_at=50, conditional_at=70)
    assert isinstance(qf.DefaultSupplierPolicy(), qf.SupplierPolicy)
