"""The prevention chapter through the service: a biscuit plant's goods-in, release desk and
retain room, on an in-memory store and on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def kg(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="kg")


class Inbox:
    """The QA inbox: keeps every notification."""

    name = "qa-inbox"

    def __init__(self) -> None:
        self.received: list[qf.Notification] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.received.append(notification)

    def of_kind(self, kind: str) -> list[qf.Notification]:
        return [n for n in self.received if n.kind == kind]


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def qms(url: str, inbox: Inbox) -> Iterator[qf.QualityFlow]:
    with qf.QualityFlow(url, plugins=[inbox], load_entry_points=False, settings={}) as service:
        _stock(service)
        yield service


def _stock(qms: qf.QualityFlow) -> None:
    """Northfield Mill's flour, a sugar lot, a dough mix and two biscuit batches."""
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    qms.suppliers.add(qf.Supplier(id="SUP-SUGAR", name="Delta Sugar"))
    for n in (1, 2, 3, 4):
        qms.batches.add(
            qf.Batch(
                id=f"FLOUR-{n}",
                kind="raw_material",
                product="wheat flour",
                quantity=kg(1000),
                supplier_id="SUP-MILL",
            )
        )
    qms.batches.add(
        qf.Batch(
            id="SUGAR-1",
            kind="raw_material",
            product="sugar",
            quantity=kg(500),
            supplier_id="SUP-SUGAR",
        )
    )
    qms.batches.add(
        qf.Batch(id="MIX-40", kind="intermediate", product="butter dough", quantity=kg(800))
    )
    for id in ("BISC-40", "BISC-41"):
        qms.batches.add(
            qf.Batch(id=id, kind="finished", product="butter biscuits", quantity=kg(400))
        )


def changes(batch: qf.Batch) -> list[dict[str, Any]]:
    """The holds and releases recorded on a batch."""
    return cast(list[dict[str, Any]], batch.attributes.get("status_changes", []))


def moisture_check(
    id: str, lot: str, moisture: str, at: datetime, stage: str = "incoming"
) -> qf.Inspection:
    return qf.evaluate_inspection(
        id=id,
        batch_id=lot,
        stage=stage,
        characteristics=[
            qf.Characteristic(name="moisture", value=Decimal(moisture), upper=14, unit="%")
        ],
        at=at,
        inspector="Goods-in QC Ravi",
    )


# -- goods-in, hold, mix, re-inspection, release ---------------------------------------------


def test_a_failed_lot_is_held_kept_out_of_the_mix_and_released_after_a_passed_reinspection(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    stored = qms.inspections.add(moisture_check("IQC-1", "FLOUR-1", "15.2", T0))
    assert stored.result is qf.InspectionResult.FAIL and stored.version == 1
    lot = qms.batches.get("FLOUR-1")
    assert lot.status is qf.BatchStatus.ON_HOLD
    [change] = changes(lot)
    assert change["from"] == "released" and change["to"] == "on_hold"
    assert change["inspection"] == "IQC-1" and "moisture" in change["reason"]
    [notice] = inbox.of_kind("batch_status")
    assert notice.subject_id == "FLOUR-1" and "released -> on_hold" in notice.title

    with pytest.raises(qf.GenealogyError, match="FLOUR-1"):
        qms.link("FLOUR-1", "MIX-40", kg(400))
    assert qms.trace_forward("FLOUR-1").ids == set()

    with pytest.raises(qf.TransitionError, match="IQC-1") as refused:
        qms.batches.release("FLOUR-1", actor="QA lead Mia", reason="production is waiting")
    assert refused.value.trigger == "release"
    assert qms.batches.get("FLOUR-1").version == lot.version  # nothing written

    qms.inspections.add(moisture_check("IQC-1B", "FLOUR-1", "13.6", T0 + timedelta(hours=5)))
    assert qms.batches.get("FLOUR-1").status is qf.BatchStatus.ON_HOLD  # a pass lifts nothing
    released = qms.batches.release(
        "FLOUR-1", actor="QA lead Mia", reason="IQC-1B re-test in spec", at=T0 + timedelta(hours=6)
    )
    assert released.status is qf.BatchStatus.RELEASED
    last = changes(released)[-1]
    assert last == {
        "at": (T0 + timedelta(hours=6)).isoformat(),
        "by": "QA lead Mia",
        "from": "on_hold",
        "to": "released",
        "reason": "IQC-1B re-test in spec",
    }
    assert [n.title.split(": ")[1] for n in inbox.of_kind("batch_status")] == [
        "released -> on_hold",
        "on_hold -> released",
    ]
    qms.link("FLOUR-1", "MIX-40", kg(400))
    assert qms.trace_forward("FLOUR-1").ids == {"MIX-40"}


def test_a_conditional_acceptance_leaves_the_lot_in_use(qms: qf.QualityFlow, inbox: Inbox) -> None:
    qms.inspections.add(
        qf.Inspection(
            id="IQC-2",
            batch_id="FLOUR-2",
            stage="incoming",
            result="conditional",
            at=T0,
            note="bag labels smudged, accepted under concession C-14",
        )
    )
    assert qms.batches.get("FLOUR-2").status is qf.BatchStatus.RELEASED
    assert inbox.of_kind("batch_status") == []
    qms.link("FLOUR-2", "MIX-40", kg(400))


def test_an_inspection_of_a_lot_not_on_file_is_refused_and_not_stored(qms: qf.QualityFlow) -> None:
    with pytest.raises(qf.NotFoundError, match=r"FLOUR-99.*qms\.batches\.add"):
        qms.inspections.add(moisture_check("IQC-99", "FLOUR-99", "13.0", T0))
    assert qms.inspections.list() == []


def test_a_recorded_verdict_cannot_be_rewritten_only_annotated(qms: qf.QualityFlow) -> None:
    failed = qms.inspections.add(moisture_check("IQC-3", "FLOUR-3", "15.0", T0))
    rewritten = failed.model_copy(update={"result": qf.InspectionResult.CONDITIONAL})
    with pytest.raises(qf.TransitionError, match="re-inspection"):
        qms.inspections.save(rewritten)
    failed.note = "supplier informed by phone"
    assert qms.inspections.save(failed).note == "supplier informed by phone"
    assert qms.inspections.get("IQC-3").result is qf.InspectionResult.FAIL


def test_a_lot_from_a_suspended_supplier_is_released_only_with_an_override(
    qms: qf.QualityFlow,
) -> None:
    qms.inspections.add(moisture_check("IQC-4", "FLOUR-4", "15.1", T0))
    qms.inspections.add(moisture_check("IQC-4B", "FLOUR-4", "13.2", T0 + timedelta(hours=2)))
    qms.suppliers.decide("SUP-MILL", "suspended", actor="QA manager", reason="wet flour", at=T0)
    with pytest.raises(qf.TransitionError, match="suspended"):
        qms.batches.release("FLOUR-4", actor="QA lead Mia")
    override = qf.LinkOverride(
        reason="lab report L-2291 in spec", approver="Plant QA manager Ortiz", lot_id="FLOUR-4"
    )
    released = qms.batches.release("FLOUR-4", actor="QA lead Mia", override=override)
    entry = changes(released)[-1]
    assert entry["override"]["approver"] == "Plant QA manager Ortiz"


# -- finished goods ------------------------------------------------------------------------


def _hold_by_patrol(qms: qf.QualityFlow, batch_id: str) -> None:
    """Put a batch on hold the recorded way: a patrol check fails, the re-check passes."""
    qms.inspections.add(
        qf.Inspection(
            id=f"IPC-{batch_id}", batch_id=batch_id, stage="in_process", result="fail", at=T0
        )
    )
    qms.inspections.add(
        qf.Inspection(
            id=f"IPC-{batch_id}-B",
            batch_id=batch_id,
            stage="in_process",
            result="pass",
            at=T0 + timedelta(hours=1),
        )
    )
    assert qms.batches.get(batch_id).status is qf.BatchStatus.ON_HOLD


def test_a_finished_batch_needs_a_passed_final_inspection_before_release(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    _hold_by_patrol(qms, "BISC-40")
    with pytest.raises(qf.TransitionError, match="no final inspection"):
        qms.batches.release("BISC-40", actor="QA lead Mia")
    qms.inspections.add(
        qf.Inspection(id="FQC-40", batch_id="BISC-40", stage="final", result="fail", at=T0)
    )
    with pytest.raises(qf.TransitionError, match="FQC-40"):
        qms.batches.release("BISC-40", actor="QA lead Mia")
    qms.inspections.add(
        qf.Inspection(
            id="FQC-40B", batch_id="BISC-40", stage="final", result="pass", at=T0 + timedelta(1)
        )
    )
    assert qms.batches.release("BISC-40", actor="QA lead Mia").status is qf.BatchStatus.RELEASED
    assert inbox.of_kind("batch_status")[-1].subject_id == "BISC-40"


def test_a_plant_without_final_inspection_can_release_finished_batches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mill.db'}"
    with qf.QualityFlow(
        url, load_entry_points=False, settings={"require_final_inspection": "false"}
    ) as qms:
        assert qms.require_final_inspection is False
        qms.batches.add(
            qf.Batch(
                id="ROLL-7",
                kind="finished",
                product="tissue roll",
                quantity=kg(90),
                status="on_hold",
            )
        )
        assert qms.batches.release("ROLL-7", actor="Shift QA").status is qf.BatchStatus.RELEASED


def test_an_unclear_setting_is_refused() -> None:
    with pytest.raises(qf.QualityFlowError, match="require_final_inspection"):
        qf.QualityFlow(load_entry_points=False, settings={"require_final_inspection": "maybe"})


def test_recalled_released_and_incident_held_batches_are_not_released(qms: qf.QualityFlow) -> None:
    with pytest.raises(qf.TransitionError, match="already released"):
        qms.batches.release("BISC-41", actor="QA lead Mia")
    qms.batches.add(
        qf.Batch(
            id="BISC-43",
            kind="finished",
            product="butter biscuits",
            quantity=kg(100),
            status="recalled",
        )
    )
    with pytest.raises(qf.TransitionError, match="recalled and cannot be released"):
        qms.batches.release("BISC-43", actor="QA lead Mia")

    qms.inspections.add(
        qf.Inspection(id="FQC-40", batch_id="BISC-40", stage="final", result="pass")
    )
    qms.incidents.add(
        qf.Incident(
            id="INC-12",
            title="Rancid taste",
            severity="major",
            reported_at=T0,
            batch_ids=["BISC-40"],
            containment=[qf.ContainmentAction(batch_id="BISC-40", action="hold", by="QA", at=T0)],
        )
    )
    _hold_by_patrol(qms, "BISC-40")
    with pytest.raises(qf.TransitionError, match="open incident INC-12"):
        qms.batches.release("BISC-40", actor="QA lead Mia")


# -- supplier evaluation -------------------------------------------------------------------


def _a_bad_march(qms: qf.QualityFlow) -> None:
    """Two of four flour lots fail goods-in; a complaint about BISC-40 traces to FLOUR-1."""
    for n, moisture in [(1, "13.1"), (2, "15.4"), (3, "14.9"), (4, "13.0")]:
        qms.inspections.add(
            moisture_check(f"IQC-{n}", f"FLOUR-{n}", moisture, T0 + timedelta(days=n))
        )
    qms.link("FLOUR-1", "MIX-40", kg(400))
    qms.link("MIX-40", "BISC-40", kg(400))
    qms.complaints.add(
        qf.Complaint(
            id="CMP-88",
            customer_id="CUST-FRESHMART",
            channel="email",
            received_at=T0 + timedelta(days=10),
            description="Biscuits taste stale",
            severity="major",
            batch_ids=["BISC-40"],
        )
    )


def test_the_scorecard_counts_stored_inspections_and_charges_what_the_supplier_caused(
    qms: qf.QualityFlow,
) -> None:
    _a_bad_march(qms)
    march = qms.suppliers.evaluate(
        "SUP-MILL",
        period="2026-03",
        start=T0,
        end=T0 + timedelta(days=30),
        at=T0 + timedelta(days=30),
        evaluated_by="QA manager Dana",
    )
    assert march.scores["quality"] == Decimal(50)
    # CMP-88 is about BISC-40, made from FLOUR-1 through MIX-40, but no root cause ties it
    # to the mill yet: it is not charged, and the note says so.
    assert march.scores["complaints"] == Decimal(100)
    assert "CMP-88 (not escalated to an incident it caused)" in march.note
    # The stale taste is investigated: the mill's flour was old (a material root cause).
    qms.incidents.add(
        qf.Incident(
            id="INC-88",
            title="Stale biscuits BISC-40",
            severity="major",
            reported_at=T0 + timedelta(days=11),
            batch_ids=["BISC-40"],
            root_cause=qf.RootCauseAnalysis(
                method="five_why",
                problem="stale taste",
                whys=["the flour was old"],
                root_cause="FLOUR-1 milled long before delivery",
                category="material",
                confirmed=True,
            ),
        )
    )
    again = qms.suppliers.evaluate(
        "SUP-MILL", period="2026-03", start=T0, at=T0 + timedelta(days=30)
    )
    assert again.scores["incidents"] == Decimal(75)  # one major incident, through MIX-40
    assert "INC-88 (major, material root cause, lot FLOUR-1 upstream)" in again.note
    mill = qms.suppliers.get("SUP-MILL")
    assert mill.evaluations == [march, again]
    assert mill.status is qf.SupplierStatus.APPROVED  # evaluating decides nothing
    sugar = qms.suppliers.evaluate("SUP-SUGAR", period="2026-03", start=T0)
    assert "complaints" in sugar.scores and sugar.scores["complaints"] == Decimal(100)


def test_the_default_policy_recommends_and_a_plugin_policy_replaces_it(url: str) -> None:
    class StrictPolicy:
        """A baby-food plant: any failed incoming lot suspends the supplier."""

        @qf.hookimpl
        def qualityflow_supplier_policy(self) -> qf.SupplierPolicy:
            return self

        def recommend(
            self, evaluation: qf.SupplierEvaluation, supplier: qf.Supplier
        ) -> qf.SupplierStatus:
            failing = evaluation.scores.get("quality", Decimal(100)) < 100
            return qf.SupplierStatus.SUSPENDED if failing else supplier.status

    with qf.QualityFlow(url, load_entry_points=False, settings={}) as plain:
        _stock(plain)
        _a_bad_march(plain)
        with pytest.raises(qf.QualityFlowError, match="evaluate"):
            plain.suppliers.recommend("SUP-MILL")
        evaluation = plain.suppliers.evaluate("SUP-MILL", period="2026-03")
        expected = qf.DefaultSupplierPolicy().recommend(evaluation, plain.suppliers.get("SUP-MILL"))
        assert plain.suppliers.recommend("SUP-MILL") is expected
        assert expected is not qf.SupplierStatus.SUSPENDED
    strict_url = url if url == "memory://" else url.replace("plant.db", "strict.db")
    with qf.QualityFlow(
        strict_url, plugins=[StrictPolicy()], load_entry_points=False, settings={}
    ) as strict:
        _stock(strict)
        _a_bad_march(strict)
        strict.suppliers.evaluate("SUP-MILL", period="2026-03")
        assert strict.suppliers.recommend("SUP-MILL") is qf.SupplierStatus.SUSPENDED
        assert strict.suppliers.get("SUP-MILL").status is qf.SupplierStatus.APPROVED


def test_a_plugin_policy_without_recommend_is_refused_clearly() -> None:
    class Broken:
        @qf.hookimpl
        def qualityflow_supplier_policy(self) -> object:
            return "strict"

    with qf.QualityFlow(plugins=[Broken()], load_entry_points=False, settings={}) as qms:
        qms.suppliers.add(
            qf.Supplier(
                id="SUP-X",
                name="X",
                evaluations=[
                    qf.SupplierEvaluation(
                        period="Q1", scores={"quality": 90}, weights={"quality": 1}
                    )
                ],
            )
        )
        with pytest.raises(qf.QualityFlowError, match="recommend"):
            qms.suppliers.recommend("SUP-X")


def test_nothing_to_score_is_a_clear_error_and_keeps_the_supplier(qms: qf.QualityFlow) -> None:
    qms.suppliers.add(qf.Supplier(id="SUP-NEW", name="New Packaging Ltd"))
    with pytest.raises(qf.QualityFlowError, match="nothing to score"):
        qms.suppliers.evaluate("SUP-NEW", period="2026-03")
    assert qms.suppliers.get("SUP-NEW").evaluations == []


# -- retained samples and training --------------------------------------------------------


def _sample(batch_id: str, days: int, location: str = "retain room B") -> qf.RetainedSample:
    return qf.RetainedSample(
        id=f"RS-{batch_id}",
        batch_id=batch_id,
        location=location,
        taken_at=T0,
        retain_until=T0 + timedelta(days=days),
        quantity=qf.Quantity(amount=2, unit="kg"),
    )


def test_samples_for_a_complaint_are_found_through_the_genealogy(qms: qf.QualityFlow) -> None:
    _a_bad_march(qms)
    for batch_id, days in [("BISC-40", 270), ("FLOUR-1", 365), ("FLOUR-2", 30), ("BISC-41", 270)]:
        qms.samples.add(_sample(batch_id, days))
    complaint = qms.complaints.get("CMP-88")
    found = [s.id for s in qms.samples_for(complaint)]
    assert found == ["RS-BISC-40", "RS-FLOUR-1"]  # the batch and the flour in its dough
    assert [s.id for s in qms.samples_for(["FLOUR-2"])] == ["RS-FLOUR-2"]

    # After a year everything is past retention, but the open complaint keeps its samples.
    due = [s.id for s in qms.samples_due(T0 + timedelta(days=400))]
    assert due == ["RS-FLOUR-2", "RS-BISC-41"]
    disposed = qms.samples.get("RS-FLOUR-2")
    disposed.disposed_at = T0 + timedelta(days=31)
    qms.samples.save(disposed)
    assert [s.id for s in qms.samples_due(T0 + timedelta(days=400))] == ["RS-BISC-41"]
    assert [s.id for s in qms.samples_for(["FLOUR-2"], include_disposed=True)] == ["RS-FLOUR-2"]


def test_a_sample_of_a_batch_not_on_file_is_refused(qms: qf.QualityFlow) -> None:
    with pytest.raises(qf.NotFoundError, match="retained sample"):
        qms.samples.add(_sample("BISC-99", 30))
    assert qms.samples.list() == []


def test_the_lesson_stays_open_until_the_people_are_trained(qms: qf.QualityFlow) -> None:
    qms.incidents.add(
        qf.Incident(
            id="INC-12",
            title="Rancid taste",
            severity="major",
            reported_at=T0,
            actions=[qf.CorrectiveAction(id="INC-12-CA-1", description="Revise SOP-03 goods-in")],
        )
    )
    need = qms.training_requirements.add(
        qf.TrainingRequirement(
            action_id="INC-12-CA-1", procedure="SOP-03 rev D", people=["Ravi", "Mei"], since=T0
        )
    )
    assert need.id == "INC-12-CA-1/SOP-03 rev D"
    assert [o.person for o in qms.open_training("INC-12")] == ["Ravi", "Mei"]
    qms.training_records.add(
        qf.TrainingRecord(
            person="Ravi", procedure="SOP-03 rev D", at=T0 + timedelta(days=2), trainer="QA Lena"
        )
    )
    # Mei's training on the old revision does not count.
    qms.training_records.add(
        qf.TrainingRecord(
            person="Mei", procedure="SOP-03 rev D", at=T0 - timedelta(days=2), trainer="QA Lena"
        )
    )
    assert [o.person for o in qms.open_training()] == ["Mei"]
    assert qms.lesson_open("INC-12") is True
    qms.training_records.add(
        qf.TrainingRecord(
            person="Mei", procedure="SOP-03 rev D", at=T0 + timedelta(days=3), trainer="QA Lena"
        )
    )
    assert qms.lesson_open(qms.incidents.get("INC-12")) is False


def test_samples_and_training_survive_reopening_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, load_entry_points=False, settings={}) as qms:
        _stock(qms)
        qms.samples.add(_sample("BISC-40", 180))
        qms.training_records.add(
            qf.TrainingRecord(person="Ravi", procedure="SOP-03", at=T0, trainer="QA Lena")
        )
    with qf.QualityFlow(url, load_entry_points=False, settings={}) as reopened:
        assert reopened.samples.get("RS-BISC-40").retain_until == T0 + timedelta(days=180)
        assert [r.person for r in reopened.training_records.list()] == ["Ravi"]
        assert reopened.storage.count("retained_sample") == 1


# -- the hold rule as a property ------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results=st.lists(st.sampled_from(["pass", "fail", "conditional"]), min_size=1, max_size=6))
def test_a_lot_is_held_once_any_check_fails_and_releasable_iff_the_latest_did_not(
    results: list[str],
) -> None:
    with qf.QualityFlow(load_entry_points=False, settings={}) as qms:
        qms.batches.add(
            qf.Batch(id="PULP-1", kind="raw_material", product="wood pulp", quantity=kg(5000))
        )
        for n, result in enumerate(results):
            qms.inspections.add(
                qf.Inspection(
                    id=f"IQC-{n}",
                    batch_id="PULP-1",
                    stage="incoming",
                    result=result,
                    at=T0 + timedelta(hours=n),
                )
            )
        lot = qms.batches.get("PULP-1")
        held = "fail" in results
        assert lot.status is (qf.BatchStatus.ON_HOLD if held else qf.BatchStatus.RELEASED)
        assert len(changes(lot)) == int(held)
        if held:
            if results[-1] == "fail":
                with pytest.raises(qf.TransitionError):
                    qms.batches.release("PULP-1", actor="QA")
                assert qms.batches.get("PULP-1").status is qf.BatchStatus.ON_HOLD
            else:
                assert qms.batches.release("PULP-1", actor="QA").status is qf.BatchStatus.RELEASED
