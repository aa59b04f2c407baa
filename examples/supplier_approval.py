"""Keeping a flour supplier on the approved list, or not: the prevention chapter as a story.

A biscuit plant buys wheat flour from Northfield Mill. Every lot is sampled at goods-in
(ISO 2859-1, level II, AQL 2.5) and its moisture measured. Lots keep failing; the monthly
scorecard drops the mill to conditional, then to suspended; its next lot cannot go into a
mix until the plant QA manager records an override. Retained samples, training and similar
past incidents close the loop. The service applies the rules: recording a failed inspection
holds the lot, ``qms.batches.release`` refuses while the latest check failed,
``qms.suppliers.evaluate``/``recommend`` score the mill from what is on file.

Records live in a :class:`qualityflow.QualityFlow` service (``memory://`` by default; pass
a URL such as ``sqlite:///plant.db`` to keep them). Run it with
``python examples/supplier_approval.py [URL]``; it needs only qualityflow.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import qualityflow as qf
from qualityflow import prevention

MARCH = datetime(2026, 3, 1, tzinfo=timezone.utc)
APRIL = datetime(2026, 4, 1, tzinfo=timezone.utc)
MAY = datetime(2026, 5, 1, tzinfo=timezone.utc)


def say(text: str = "") -> None:
    print(text)


def flour_lot(lot_id: str) -> qf.Batch:
    """A 1000-bag lot of wheat flour from Northfield Mill."""
    return qf.Batch(
        id=lot_id,
        kind="raw_material",
        product="wheat flour",
        quantity=qf.Quantity(amount=1000, unit="bag"),
        supplier_id="SUP-MILL",
    )


def goods_in(
    qms: qf.QualityFlow, lot_id: str, moisture: str, damaged_bags: int, at: datetime
) -> qf.Inspection:
    """Sample a 1000-bag lot at goods-in and record it (the service holds a failed lot)."""
    plan = qf.sampling_plan(1000, "2.5")
    check = qf.evaluate_inspection(
        id=f"IQC-{lot_id}",
        batch_id=lot_id,
        stage="incoming",
        characteristics=[
            qf.Characteristic(name="moisture", value=Decimal(moisture), upper=14, unit="%")
        ],
        plan=plan,
        defects=damaged_bags,
        at=at,
        inspector="Goods-in QC Ravi",
    )
    qms.inspections.add(check)
    status = qms.batches.get(lot_id).status
    verdict = check.result.value.upper()
    say(
        f"  {at:%d %b}  {lot_id}: moisture {moisture} %, {damaged_bags} damaged of "
        f"{plan.sample_size} sampled -> {verdict:4}  (lot now {status.value})"
    )
    return check


class PrintNotices:
    """A tiny plugin: print every notification the service sends."""

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        say(
            f"  [notification to {', '.join(notification.recipients) or 'all'}] "
            f"{notification.title}"
        )


def main(url: str = "memory://") -> None:
    with qf.QualityFlow(url, plugins=[PrintNotices()]) as qms:
        run(qms)


def run(qms: qf.QualityFlow) -> None:
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill", materials=["wheat flour"]))
    for n in range(1, 11):
        qms.batches.add(flour_lot(f"FLOUR-{n}"))
    qms.batches.add(
        qf.Batch(
            id="MIX-40",
            kind="intermediate",
            product="butter dough",
            quantity=qf.Quantity(amount=800, unit="kg"),
            line="L1",
        )
    )
    qms.batches.add(
        qf.Batch(
            id="BISC-40",
            kind="finished",
            product="butter biscuits 200 g",
            quantity=qf.Quantity(amount=4000, unit="pack"),
            line="L2",
            produced_at=APRIL + timedelta(days=5),
        )
    )
    plan = qf.sampling_plan(1000, "2.5")
    say("Goods-in sampling plan for a 1000-bag flour lot (ISO 2859-1, level II, AQL 2.5):")
    say(
        f"  code letter {plan.code_letter}: inspect {plan.sample_size} bags, accept with "
        f"{plan.accept} damaged or fewer, reject with {plan.reject} or more"
    )

    say("\nMarch deliveries")
    goods_in(qms, "FLOUR-1", "13.1", 1, MARCH + timedelta(days=2))
    goods_in(qms, "FLOUR-2", "14.8", 0, MARCH + timedelta(days=9))
    goods_in(qms, "FLOUR-3", "13.4", 6, MARCH + timedelta(days=16))
    goods_in(qms, "FLOUR-4", "13.0", 2, MARCH + timedelta(days=23))
    goods_in(qms, "FLOUR-5", "12.9", 0, MARCH + timedelta(days=30))

    q1 = qms.suppliers.evaluate(
        "SUP-MILL", period="2026-03", start=MARCH, end=APRIL, at=APRIL, evaluated_by="QA Dana"
    )
    say(f"\nMarch scorecard: {q1.weighted_total:.1f}/100 ({q1.note})")
    recommended = qms.suppliers.recommend("SUP-MILL")
    say(f"Policy recommends: {recommended.value}")
    mill = qms.suppliers.decide(
        "SUP-MILL",
        recommended,
        actor="QA manager Dana Price",
        reason=f"March scorecard {q1.weighted_total:.0f}/100",
        evidence="scorecard 2026-03; IQC-FLOUR-2, IQC-FLOUR-3",
        at=APRIL,
    )

    say("\nApril: FLOUR-6 passes goods-in and goes into dough MIX-40 for biscuits BISC-40")
    goods_in(qms, "FLOUR-6", "13.9", 0, APRIL + timedelta(days=3))
    qms.link("FLOUR-6", "MIX-40", qf.Quantity(amount=24, unit="bag"))  # conditional: allowed
    qms.link("MIX-40", "BISC-40", qf.Quantity(amount=800, unit="kg"))
    goods_in(qms, "FLOUR-7", "15.2", 0, APRIL + timedelta(days=10))
    try:
        qms.batches.release("FLOUR-7", actor="Production planner Joe", reason="dough line idle")
    except qf.TransitionError as refused:
        say(f"  release of FLOUR-7 REFUSED: {'; '.join(refused.reasons)}")
    goods_in(qms, "FLOUR-8", "14.6", 3, APRIL + timedelta(days=17))
    rancid = qms.incidents.add(
        qf.Incident(
            id="INC-12",
            title="Rancid taste in butter biscuits",
            description="Stale, rancid taste reported by two retailers",
            severity="major",
            reported_at=APRIL + timedelta(days=20),
            batch_ids=["BISC-40"],
            root_cause=qf.RootCauseAnalysis(
                method="five_why",
                problem="rancid taste",
                whys=["fat oxidised", "flour too moist and stored warm"],
                root_cause="flour delivered above 14 % moisture",
                category="material",
                confirmed=True,
            ),
        )
    )
    say(f"  {rancid.reported_at:%d %b}  incident {rancid.id}: {rancid.title} (batch BISC-40)")
    upstream = sorted(qms.trace_backward("BISC-40").ids)
    say(f"           BISC-40 was made from {', '.join(upstream)}")
    goods_in(qms, "FLOUR-9", "13.5", 9, APRIL + timedelta(days=24))

    genealogy = qms.genealogy
    q2 = qms.suppliers.evaluate(
        "SUP-MILL", period="2026-04", start=APRIL, end=MAY, at=MAY, evaluated_by="QA Dana"
    )
    say(f"\nApril scorecard: {q2.weighted_total:.1f}/100 ({q2.note})")
    recommended = qms.suppliers.recommend("SUP-MILL")
    say(f"Policy recommends: {recommended.value}")
    mill = qms.suppliers.decide(
        "SUP-MILL",
        recommended,
        actor="QA manager Dana Price",
        reason=f"April scorecard {q2.weighted_total:.0f}/100 and incident INC-12",
        evidence="scorecard 2026-04; INC-12 5-Why",
        at=MAY,
    )

    say("\nMay: a new lot arrives and production wants it in today's dough")
    qms.batches.add(
        qf.Batch(
            id="MIX-41",
            kind="intermediate",
            product="butter dough",
            quantity=qf.Quantity(amount=800, unit="kg"),
            line="L1",
        )
    )
    try:
        qms.link("FLOUR-10", "MIX-41", qf.Quantity(amount=24, unit="bag"))
    except qf.GenealogyError as refused:
        say(f"  REFUSED: {refused}")
    override = qf.LinkOverride(
        reason="external lab report L-2291: moisture 13.2 %, peroxide value in spec",
        approver="Plant QA manager Ortiz",
        at=MAY + timedelta(hours=3),
        lot_id="FLOUR-10",
    )
    qms.link("FLOUR-10", "MIX-41", qf.Quantity(amount=24, unit="bag"), override=override)
    say(f"  Linked with an override by {override.approver}: {override.reason}")
    for reason in prevention.link_blockers(qms.batches.get("FLOUR-7"), mill, override):
        say(f"  FLOUR-7 stays out: {reason}")

    say("\nDecision history (hash-chained, as stored):")
    for d in mill.decisions:
        say(f"  {d.at:%Y-%m-%d} {d.source.value:>11} -> {d.dest.value:<11} {d.reason}")
    say(f"  chain verifies: {qf.verify_decisions(qms.suppliers.get('SUP-MILL'))}")

    say("\nRetained samples for the incident (the batch and the lots it was made from):")
    for sample in [
        qf.RetainedSample(
            id=f"RS-{batch_id}",
            batch_id=batch_id,
            location=location,
            taken_at=APRIL + timedelta(days=5),
            retain_until=APRIL + timedelta(days=5 + days),
            quantity=qf.Quantity(amount=amount, unit=unit),
        )
        for batch_id, location, days, amount, unit in [
            ("BISC-40", "retain room B, shelf 3", 270, 6, "pack"),
            ("FLOUR-6", "lab store, bin 12", 365, 2, "kg"),
            ("FLOUR-5", "lab store, bin 11", 30, 2, "kg"),
        ]
    ]:
        qms.samples.add(sample)
    for s in qms.samples_for(rancid):
        say(f"  {s.id} at {s.location}, kept until {s.retain_until:%d %b %Y}")
    due = qms.samples_due(MAY + timedelta(days=30))
    say(f"  due for disposal on {MAY + timedelta(days=30):%d %b}: {[s.id for s in due]}")

    say("\nLesson and training")
    rancid.actions.append(
        qf.CorrectiveAction(
            id="INC-12-CA-1",
            description="Revise SOP-03 goods-in: reject flour above 14 % moisture",
            owner="QA Lena",
            department="quality",
            due=date(2026, 5, 15),
        )
    )
    qms.incidents.save(rancid, actor="QA Lena", reason="corrective action planned")
    qms.training_requirements.add(
        qf.TrainingRequirement(
            action_id="INC-12-CA-1",
            procedure="SOP-03 rev D",
            people=["Ravi", "Mei", "Tomas"],
            since=MAY,
        )
    )
    qms.training_records.add(
        qf.TrainingRecord(
            person="Ravi", procedure="SOP-03 rev D", at=MAY + timedelta(days=2), trainer="QA Lena"
        )
    )
    waiting = [o.person for o in qms.open_training("INC-12")]
    say(f"  still to be trained on SOP-03 rev D: {', '.join(waiting)}")
    say(f"  lesson open: {qms.lesson_open('INC-12')}")
    rancid = qms.incidents.get("INC-12")
    spread = qf.spread_lesson(
        rancid,
        "Check flour moisture on every delivery before it goes into the silo",
        ["cracker line L3", "wafer line L4"],
        owner="Production manager Ines",
        department="production",
        due=date(2026, 6, 1),
    )
    rancid.actions.extend(spread)
    qms.incidents.save(rancid, actor="Production manager Ines", reason="lesson spread")
    for action in spread:
        say(f"  preventive action {action.id}: {action.description}")

    say("\nSimilar past cases for INC-12:")
    history: list[qf.Incident | qf.Complaint] = [
        qf.Incident(
            id="INC-3",
            title="Stale taste in butter biscuits",
            severity="minor",
            reported_at=MARCH - timedelta(days=200),
            product="butter biscuits 200 g",
            root_cause=qf.RootCauseAnalysis(
                method="five_why",
                problem="stale taste",
                whys=["flour moist"],
                root_cause="flour stored next to the proofer",
                category="material",
                confirmed=True,
            ),
        ),
        qf.Complaint(
            id="CMP-88",
            customer_id="CUST-FRESHMART",
            channel="email",
            received_at=MARCH - timedelta(days=40),
            description="Biscuits taste rancid",
            product="butter biscuits 200 g",
        ),
        qf.Incident(
            id="INC-7",
            title="Torn flow-wrap film",
            severity="minor",
            reported_at=MARCH - timedelta(days=90),
        ),
    ]
    for hit in qf.similar_incidents(rancid, history, genealogy=genealogy):
        say(f"  {hit.kind} {hit.id} (score {hit.score}): {'; '.join(hit.reasons)}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
