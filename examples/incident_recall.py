"""Emergency response to a quality incident, end to end, with a recall: a toy factory.

Brightbear Toys sews teddy bears on two lines. A retailer reports that button eyes come
off a bear when pulled: a choking hazard for small children. The example walks the
guide's incident chapter with the library:

1. report the incident (fast: nobody may sit on it);
2. form the cross-functional emergency team and assess nature, severity and scope, with
   the recall impact computed from the batch genealogy;
3. contain: recall what was shipped, quarantine what is still in the warehouse;
4. find the root cause with a fishbone over the six Ms, confirmed by a 5-Why;
5. correct with owned, dated actions; verify they worked; learn the lesson; close;
6. print the 8D report, write it as a self-contained HTML page, and drill a mock recall.

Every step goes through the lifecycle's guards: try removing a field and the library
refuses with a sentence saying what is missing. Run ``python examples/incident_recall.py``
from anywhere; files go to a temporary directory only.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import qualityflow as qf

MONDAY = datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)


def q(amount: int, unit: str) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit=unit)


def build_factory(qms: qf.QualityFlow) -> None:
    """Suppliers' lots, sewn batches and shipments of Brightbear Toys."""
    qms.suppliers.add(qf.Supplier(id="SUP-EYES", name="Kowloon Trims", materials=["eyes"]))
    qms.suppliers.add(qf.Supplier(id="SUP-PLUSH", name="Lancashire Plush", materials=["plush"]))
    lots = [
        ("EYES-2211", "safety eyes 12 mm", 40000, "pc", "SUP-EYES"),
        ("EYES-2212", "safety eyes 12 mm", 40000, "pc", "SUP-EYES"),
        ("PLUSH-88", "brown plush fabric", 900, "m", "SUP-PLUSH"),
    ]
    for lot_id, product, amount, unit, supplier in lots:
        qms.batches.add(
            qf.Batch(
                id=lot_id,
                kind="raw_material",
                product=product,
                quantity=q(amount, unit),
                supplier_id=supplier,
            )
        )
    bears = [("BEAR-0601", "EYES-2211", "A"), ("BEAR-0602", "EYES-2211", "A")]
    bears += [("BEAR-0603", "EYES-2212", "B")]
    for i, (batch_id, eyes, line) in enumerate(bears):
        qms.batches.add(
            qf.Batch(
                id=batch_id,
                kind="finished",
                product="Brightbear classic 30 cm",
                quantity=q(5000, "pc"),
                line=line,
                produced_at=MONDAY + timedelta(hours=8 * i),
            )
        )
        qms.link(eyes, batch_id, q(10000, "pc"))
        qms.link("PLUSH-88", batch_id, q(300, "m"))
    shipments = [
        ("SHP-1", "BEAR-0601", "TOYLAND", 3000, "north"),
        ("SHP-2", "BEAR-0601", "KIDZMART", 1500, "west"),
        ("SHP-3", "BEAR-0602", "KIDZMART", 2000, "west"),
        ("SHP-4", "BEAR-0603", "TOYLAND", 4000, "north"),
    ]
    for shipment_id, batch_id, customer, amount, region in shipments:
        qms.shipments.add(
            qf.Shipment(
                id=shipment_id,
                batch_id=batch_id,
                customer_id=customer,
                quantity=q(amount, "pc"),
                shipped_at=MONDAY + timedelta(days=2),
                region=region,
            )
        )


def main() -> None:
    # The built-in logging notifier announces every committed step; show it inline.
    logging.basicConfig(level=logging.INFO, format="   notified: %(message)s", stream=sys.stdout)
    # Only the notifications: the state machine library logs its own steps at INFO too.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    qms = qf.QualityFlow("memory://")
    build_factory(qms)
    t = MONDAY + timedelta(days=4)  # Friday 06:00

    # 1. Report: the retailer's call reaches QA; the incident is logged within the hour.
    qms.incidents.add(
        qf.Incident(
            id="INC-21",
            title="Button eyes pull off Brightbear classic",
            severity="critical",
            detected_at=t,
            reported_at=t + timedelta(minutes=25),
            reported_by="KIDZMART store QA",
            batch_ids=["BEAR-0601"],
            product="Brightbear classic 30 cm",
            description="Eyes come off at about 40 N; EN 71-1 requires 90 N. Choking hazard.",
        )
    )
    print("1. Reported INC-21 (critical), 25 min after detection.")

    # 2. Team and assessment. The suspect eye lot fed two batches: trace it.
    suspect_lot = "EYES-2211"
    affected = sorted(
        b.id for b in qms.recall_impact(suspect_lot).batches if b.kind.value == "finished"
    )
    impact = qms.recall_impact(*affected)
    print(f"2. The eye lot {suspect_lot} went into {', '.join(affected)}: {impact}")
    refused = None
    try:
        qms.incidents.fire("INC-21", "assess", actor="Ana Costa", at=t + timedelta(hours=1))
    except qf.TransitionError as err:
        refused = err
    assert refused is not None
    print(f"   assess without a team is refused: {refused.reasons[0]}")
    team = qf.EmergencyTeam(
        leader=qf.TeamMember(name="Ana Costa", role="quality manager", department="quality"),
        members=[
            qf.TeamMember(name="Raj Patel", role="sewing supervisor", department="production"),
            qf.TeamMember(name="Lena Berg", role="product safety", department="technical"),
            qf.TeamMember(name="Tom Reyes", role="retail accounts", department="sales"),
        ],
    )
    qms.incidents.fire(
        "INC-21",
        "assess",
        actor="Ana Costa",
        at=t + timedelta(hours=1),
        team=team,
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=affected,
            regions=sorted(impact.regions),
            risk="Choking hazard for children under 3.",
            recall_required=True,
            rationale="Both batches used eye lot EYES-2211; 6500 bears are in stores.",
        ),
    )
    print(f"   assessed by the team led by {team.leader.name}; recall required.")

    # 3. Containment: a recall for shipped bears, quarantine for the rest.
    at = t + timedelta(hours=3)
    incident = qms.incidents.fire(
        "INC-21",
        "contain",
        actor="Ana Costa",
        at=at,
        containment=[
            qf.ContainmentAction(batch_id=b, action="recall", by="Tom Reyes", at=at)
            for b in affected
        ],
        recall=qf.RecallDecision(
            initiated_at=at,
            batch_ids=affected,
            customer_ids=sorted(impact.customer_ids),
            reason="Eyes fail the EN 71-1 torque and tension test.",
            decided_by="Ana Costa",
        ),
    )
    statuses = {b: qms.batches.get(b).status.value for b in affected}
    print(f"3. Contained: batch statuses now {statuses}; customers {sorted(impact.customer_ids)}.")

    # 4. Root cause: fishbone over the six Ms, then 5-Why on the likeliest bone.
    qms.incidents.fire("INC-21", "investigate", actor="Lena Berg", at=at + timedelta(hours=1))
    rca = qf.RootCauseAnalysis(
        method="fishbone",
        problem="Safety eyes of lot EYES-2211 pull out at 40 N.",
        fishbone={
            "material": ["EYES-2211 washers 0.3 mm thinner than drawing"],
            "machine": ["washer press force not monitored"],
            "method": ["incoming inspection checks eye diameter only"],
            "measurement": ["no pull test at goods-in"],
            "man": [],
            "environment": [],
        },
        whys=[
            "Why do eyes pull out? The locking washers do not grip the shank.",
            "Why not? The washers of lot EYES-2211 are 0.3 mm thinner than drawn.",
            "Why was that not caught? Goods-in measures the eye diameter only.",
        ],
        root_cause="Thin locking washers in lot EYES-2211, not covered by goods-in checks.",
        category="material",
        confirmed=True,
    )
    actions = [
        qf.CorrectiveAction(
            id="CA-1",
            description="Add a 90 N pull test per AQL 0.65 sample to eye goods-in",
            owner="Lena Berg",
            department="quality",
            due=date(2026, 6, 10),
        ),
        qf.CorrectiveAction(
            id="PA-1",
            description="Review goods-in plans of every safety-critical trim",
            owner="Ana Costa",
            department="quality",
            due=date(2026, 6, 30),
            kind="preventive",
        ),
    ]
    qms.incidents.fire(
        "INC-21", "correct", actor="Lena Berg", at=at + timedelta(days=1),
        root_cause=rca, actions=actions,
    )  # fmt: skip
    print(f"4. Root cause ({rca.category.value}): {rca.root_cause}")

    # 5. Actions done, verified, lessons learned, closed.
    done = [
        a.model_copy(update={"status": qf.ActionStatus.DONE, "done_at": at + timedelta(days=5)})
        for a in actions
    ]
    qms.incidents.fire(
        "INC-21", "verify", actor="Ana Costa", at=at + timedelta(days=6), actions=done
    )
    incident = qms.incidents.fire(
        "INC-21",
        "close",
        actor="Ana Costa",
        at=at + timedelta(days=20),
        note="8D sent to KIDZMART and TOYLAND",
        verification=qf.Verification(
            effective=True,
            evidence="12 incoming eye lots pull-tested, all above 120 N.",
            verified_by="Ana Costa",
            at=at + timedelta(days=19),
        ),
        lessons=["Safety-critical trims get a functional test at goods-in, not only a size check."],
    )
    intact = qf.verify_history(incident)
    print(f"5. {incident.id} is {incident.status.value}; history intact: {intact}")

    # 6. The 8D report and a mock-recall drill.
    report = qf.eight_d(incident, impact=impact, genealogy=qms.genealogy)
    print(f"6. 8D report: disciplines not recorded: {report.missing or 'none'}")
    print(report.discipline("D4").to_markdown())
    out = Path(tempfile.mkdtemp(prefix="qualityflow-8d-")) / "INC-21-8D.html"
    out.write_text(report.to_html(), encoding="utf-8")
    print(f"   HTML report written to {out}")
    drill = qf.mock_recall(qms, "EYES-2212")
    print(
        f"   Mock recall of EYES-2212: {len(drill.customer_ids)} customer(s) named in "
        f"{drill.elapsed.total_seconds():.3f} s (bound 24 h): "
        f"{'PASSED' if drill.within_bound else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
