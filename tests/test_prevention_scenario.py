"""The prevention chapter as a scenario: a flour supplier whose lots keep failing.

Northfield Mill supplies wheat flour to a biscuit plant. Every lot is sampled at goods-in
(ISO 2859-1, level II, AQL 2.5 for moisture-damaged bags) and its moisture measured. In
March two of five lots fail; the scorecard drops the mill to conditional. In April three
of four fail and a customer's rancid-biscuit incident traces back to one of its lots: the
mill is suspended, its next lot cannot go into a mix, and the plant QA manager records an
override for one urgently needed lot that an external lab has cleared.
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow import prevention

MARCH = datetime(2026, 3, 1, tzinfo=timezone.utc)
APRIL = datetime(2026, 4, 1, tzinfo=timezone.utc)
MAY = datetime(2026, 5, 1, tzinfo=timezone.utc)


def flour(lot_id: str) -> qf.Batch:
    return qf.Batch(
        id=lot_id,
        kind="raw_material",
        product="wheat flour",
        quantity=qf.Quantity(amount=1000, unit="kg"),
        supplier_id="SUP-MILL",
    )


def goods_in(lot: qf.Batch, *, moisture: str, damaged_bags: int, at: datetime) -> qf.Inspection:
    """Incoming inspection of a 1000-bag lot: 80 bags sampled, moisture measured."""
    plan = qf.sampling_plan(1000, "2.5")
    check = qf.evaluate_inspection(
        id=f"IQC-{lot.id}",
        batch_id=lot.id,
        stage="incoming",
        characteristics=[
            qf.Characteristic(name="moisture", value=Decimal(moisture), upper=14, unit="%")
        ],
        plan=plan,
        defects=damaged_bags,
        at=at,
        inspector="Goods-in QC Ravi",
    )
    prevention.apply_inspection(lot, check)
    return check


@pytest.fixture
def plant(flour_mill: qf.Supplier) -> dict[str, object]:
    lots = {f"FLOUR-{n}": flour(f"FLOUR-{n}") for n in range(1, 10)}
    sugar = qf.Batch(
        id="SUGAR-1",
        kind="raw_material",
        product="sugar",
        quantity=qf.Quantity(amount=500, unit="kg"),
        supplier_id="SUP-SUGAR",
    )
    mix = qf.Batch(
        id="MIX-40",
        kind="intermediate",
        product="butter dough",
        quantity=qf.Quantity(amount=800, unit="kg"),
        line="L1",
    )
    biscuits = qf.Batch(
        id="BISC-40",
        kind="finished",
        product="butter biscuits 200 g",
        quantity=qf.Quantity(amount=4000, unit="pack"),
        line="L2",
    )
    genealogy = qf.Genealogy.build(
        [*lots.values(), sugar, mix, biscuits],
        [("FLOUR-6", "MIX-40", None), ("SUGAR-1", "MIX-40", None), ("MIX-40", "BISC-40", None)],
        [],
    )
    return {"mill": flour_mill, "lots": lots, "genealogy": genealogy}


def test_failing_supplier_is_downgraded_then_blocked_then_overridden(
    plant: dict[str, object],
) -> None:
    mill = plant["mill"]
    lots = plant["lots"]
    genealogy = plant["genealogy"]
    assert isinstance(mill, qf.Supplier)
    assert isinstance(lots, dict)
    assert isinstance(genealogy, qf.Genealogy)
    policy = qf.DefaultSupplierPolicy()

    # --- March: two of five lots fail goods-in (one on moisture, one on damaged bags).
    march = [
        goods_in(lots["FLOUR-1"], moisture="13.1", damaged_bags=1, at=MARCH + timedelta(days=2)),
        goods_in(lots["FLOUR-2"], moisture="14.8", damaged_bags=0, at=MARCH + timedelta(days=9)),
        goods_in(lots["FLOUR-3"], moisture="13.4", damaged_bags=6, at=MARCH + timedelta(days=16)),
        goods_in(lots["FLOUR-4"], moisture="13.0", damaged_bags=2, at=MARCH + timedelta(days=23)),
        goods_in(lots["FLOUR-5"], moisture="12.9", damaged_bags=0, at=MARCH + timedelta(days=30)),
    ]
    assert [c.result.value for c in march] == ["pass", "fail", "fail", "pass", "pass"]
    # Failed lots went on hold at goods-in; the others stay released.
    assert [lots[f"FLOUR-{n}"].status.value for n in range(1, 6)] == [
        "released",
        "on_hold",
        "on_hold",
        "released",
        "released",
    ]

    q1 = qf.score_supplier(
        mill,
        period="2026-03",
        inspections=march,
        incidents=[],
        complaints=[],
        genealogy=genealogy,
        start=MARCH,
        end=APRIL,
    )
    assert q1.scores["quality"] == 60
    assert policy.recommend(q1, mill) is qf.SupplierStatus.CONDITIONAL
    mill.evaluations.append(q1)
    prevention.decide(
        mill,
        policy.recommend(q1, mill),
        actor="QA manager Dana Price",
        reason=f"March scorecard {q1.weighted_total:.0f}/100: {q1.note}",
        evidence="scorecard 2026-03",
        at=APRIL,
    )
    assert mill.status is qf.SupplierStatus.CONDITIONAL
    # A conditional supplier's lots may still be used.
    assert prevention.link_blockers(lots["FLOUR-6"], mill) == []

    # --- April: FLOUR-6 passed and went into MIX-40 -> BISC-40; biscuits go rancid.
    april = [
        goods_in(lots["FLOUR-6"], moisture="13.9", damaged_bags=0, at=APRIL + timedelta(days=3)),
        goods_in(lots["FLOUR-7"], moisture="15.2", damaged_bags=0, at=APRIL + timedelta(days=10)),
        goods_in(lots["FLOUR-8"], moisture="14.6", damaged_bags=3, at=APRIL + timedelta(days=17)),
        goods_in(lots["FLOUR-9"], moisture="13.5", damaged_bags=9, at=APRIL + timedelta(days=24)),
    ]
    rancid = qf.Incident(
        id="INC-12",
        title="Rancid taste in butter biscuits",
        severity="major",
        reported_at=APRIL + timedelta(days=20),
        batch_ids=["BISC-40"],
        root_cause=qf.RootCauseAnalysis(
            method="five_why",
            problem="rancid taste in BISC-40",
            whys=["the fat oxidised", "the flour's moisture was high and it went off"],
            root_cause="FLOUR-6 stored damp at the mill",
            category="material",
            confirmed=True,
        ),
    )
    q2 = qf.score_supplier(
        mill,
        period="2026-04",
        inspections=[*march, *april],
        incidents=[rancid],
        complaints=[],
        genealogy=genealogy,
        start=APRIL,
        end=MAY,
    )
    assert q2.scores["quality"] == 25
    assert q2.scores["incidents"] == 75  # one major incident traced back to FLOUR-6
    assert "INC-12 (major, material root cause, lot FLOUR-6 upstream)" in q2.note
    assert policy.recommend(q2, mill) is qf.SupplierStatus.SUSPENDED
    decision = prevention.decide(
        mill,
        policy.recommend(q2, mill),
        actor="QA manager Dana Price",
        reason=f"April scorecard {q2.weighted_total:.0f}/100: {q2.note}",
        evidence="scorecard 2026-04; incident INC-12",
        at=MAY,
    )
    notice = prevention.status_change_notification(mill, decision, recipients=["purchasing"])
    assert notice.title == "Supplier SUP-MILL (Northfield Mill): conditional -> suspended"

    # --- May: a new lot arrives. It cannot go into a mix.
    new_lot = flour("FLOUR-10")
    [reason] = prevention.link_blockers(new_lot, mill)
    assert reason.startswith(
        "lot FLOUR-10 comes from supplier SUP-MILL (Northfield Mill), which is suspended"
    )
    with pytest.raises(qf.GenealogyError, match="suspended"):
        prevention.ensure_linkable(new_lot, mill)

    # The plant QA manager overrides for this one lot, with a reason on record.
    override = qf.LinkOverride(
        reason="external lab report L-2291: moisture 13.2 %, peroxide value in spec",
        approver="Plant QA manager Ortiz",
        at=MAY + timedelta(hours=3),
        lot_id="FLOUR-10",
    )
    assert prevention.link_blockers(new_lot, mill, override) == []
    assert override.model_dump()["reason"].startswith("external lab report")
    # The override does not release lots that failed goods-in.
    assert prevention.link_blockers(lots["FLOUR-7"], mill, override) != []

    # The whole history is on record and verifiable.
    assert [d.dest.value for d in mill.decisions] == ["conditional", "suspended"]
    assert qf.verify_decisions(mill)


def test_policy_brings_a_recovered_supplier_back_one_step_at_a_time(
    flour_mill: qf.Supplier,
) -> None:
    prevention.decide(flour_mill, "suspended", actor="QA", reason="mould", at=MARCH)
    perfect = qf.SupplierEvaluation(
        period="2026-06", scores={"quality": 100}, weights={"quality": 1}
    )
    policy = qf.DefaultSupplierPolicy()
    assert policy.recommend(perfect, flour_mill) is qf.SupplierStatus.CONDITIONAL
    prevention.decide(
        flour_mill,
        "conditional",
        actor="QA",
        reason="three clean trial lots",
        evidence="IQC-T1..T3",
        at=APRIL,
    )
    assert policy.recommend(perfect, flour_mill) is qf.SupplierStatus.APPROVED


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_example_script_tells_the_story(
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = Path(__file__).resolve().parents[1] / "examples" / "supplier_approval.py"
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"
    monkeypatch.setattr(sys, "argv", [str(script), url])
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "Policy recommends: conditional" in out
    assert "Policy recommends: suspended" in out
    assert "approved -> conditional" in out and "conditional -> suspended" in out
    assert "REFUSED: cannot link 'FLOUR-10' into 'MIX-41': lot FLOUR-10 comes from" in out
    assert "Linked with an override by Plant QA manager Ortiz" in out
    assert "chain verifies: True" in out
