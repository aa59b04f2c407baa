"""Wet flour at the dock: a nonconformance, a split disposition and a SCAR to the mill.

2,000 kg of wheat flour (80 sacks) from Northfield Mill fail incoming inspection on
moisture. Recording the inspection opens a nonconformance and holds the lot, in one
transaction. The review board splits the lot: 1,200 kg used for bread under a concession the
QA manager signs, 500 kg re-dried (rework), 300 kg returned to the mill. Each part becomes
its own child lot, so when the re-dried flour later turns out bad, its recall reaches only
that part. The mill gets a SCAR; it answers late (the SCAR shows as overdue), and its
answer is verified and closed.

Run it with ``python examples/nonconformance.py [URL]`` (``memory://`` by default; pass a
URL such as ``sqlite:///plant.db`` to keep the records); it needs only qualityflow.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import qualityflow as qf
from qualityflow.models.nonconformance import Disposition, SupplierResponse
from qualityflow.testing import Clock

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LOT = "FLOUR-0412"


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


def main(url: str = "memory://") -> None:
    clock = Clock(T0)
    with qf.QualityFlow(url, load_entry_points=False, clock=clock) as qms:
        qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
        qms.batches.add(
            qf.Batch(
                id=LOT,
                kind="raw_material",
                product="wheat flour",
                quantity=kg(2000),
                supplier_id="SUP-MILL",
            )
        )
        qms.batches.add(
            qf.Batch(id="BREAD-77", kind="finished", product="farmhouse loaf", quantity=kg(2600))
        )

        # 1. Goods-in: an AQL plan for 80 sacks, moisture over the limit.
        plan = qf.sampling_plan(80, "2.5")
        qms.inspections.add(
            qf.Inspection(
                id="IQC-0412",
                batch_id=LOT,
                stage="incoming",
                result="fail",
                at=T0,
                inspector="QC Amira",
                characteristics=[
                    qf.Characteristic(name="moisture", value=Decimal("15.8"), upper=14.5, unit="%")
                ],
                sample_size=plan.sample_size,
                accept=plan.accept,
                reject=plan.reject,
                defects=plan.reject,
            )
        )
        nc = qms.nonconformances.get("NC-IQC-0412")
        print(f"{nc.id} opened: {nc.characteristic}, {nc.defect}; {nc.quantity} held")
        print(f"lot {LOT} is {qms.batches.get(LOT).status.value}")

        # 2. The review board's first try adds up to more than is held: refused, nothing written.
        try:
            qms.nonconformances.dispose(
                nc.id,
                [
                    Disposition(kind="use_as_is", quantity=kg(1300), approver="QA manager Li"),
                    Disposition(kind="rework", quantity=kg(500)),
                    Disposition(kind="return_to_supplier", quantity=kg(300)),
                ],
                actor="MRB chair Ana",
            )
        except qf.TransitionError as err:
            print(f"2100 kg refused: {err.reasons[0]}")

        # 3. The split: concession, rework, return; each part its own child lot.
        nc = qms.nonconformances.dispose(
            nc.id,
            [
                Disposition(
                    kind="use_as_is",
                    quantity=kg(1200),
                    approver="QA manager Li",
                    note="bread only, where the moisture is baked out",
                ),
                Disposition(kind="rework", quantity=kg(500), note="re-dry to 13.5 %"),
                Disposition(kind="return_to_supplier", quantity=kg(300)),
            ],
            actor="MRB chair Ana",
        )
        for part in nc.dispositions:
            assert part.lot_id is not None
            child = qms.batches.get(part.lot_id)
            print(f"  {child.id} ({child.quantity}, {child.status.value})")
        qms.link(f"{LOT}/CONCESSION-1", "BREAD-77", kg(1200))

        # 4. Later the re-dried flour turns out bad: its recall stays with that part.
        impact = qms.recall_impact(f"{LOT}/REWORK-1")
        reached = ", ".join(sorted(b.id for b in impact.batches))
        print(f"recall of {LOT}/REWORK-1 reaches: {reached}")

        # 5. A SCAR to the mill, two weeks to answer.
        scar = qms.supplier_actions.request(nc.id, due=date(2026, 3, 16), actor="SQE Priya")
        clock.advance(days=16)
        for late in qms.overdue(clock.now):
            print(f"{late.subject_id} overdue: {late}")
        qms.supplier_actions.fire(scar.id, "acknowledge", actor="Mill QA Bo")
        answer = SupplierResponse(
            containment="held the 3 other lots milled on 27 Feb; re-tested moisture",
            root_cause="dryer 2 thermocouple drifted 6 K low after a bearing change",
            corrective_action="thermocouple replaced; calibration after every maintenance",
            evidence="calibration certificate CAL-2231",
            responded_by="Mill QA Bo",
            responded_at=clock.now,
        )
        qms.supplier_actions.fire(scar.id, "respond", actor="Mill QA Bo", response=answer)
        clock.advance(days=21)
        verdict = qf.Verification(
            effective=True,
            evidence="3 following lots at 13.1-13.6 % moisture",
            verified_by="SQE Priya",
            at=clock.now,
        )
        qms.supplier_actions.fire(scar.id, "verify", actor="SQE Priya", verification=verdict)
        closed = qms.supplier_actions.fire(scar.id, "close", actor="SQE Priya")
        print(f"{closed.id} {closed.status.value}; root cause: {answer.root_cause}")
        evaluation = qms.suppliers.evaluate(
            "SUP-MILL", period="2026-03", at=clock.now - timedelta(days=1)
        )
        print(f"Northfield Mill scorecard: {evaluation.note}")
        qms.nonconformances.fire(nc.id, "close", actor="QA manager Li")
        print(
            f"{nc.id} closed; history intact: {qf.verify_history(qms.nonconformances.get(nc.id))}"
        )


if __name__ == "__main__":
    main(*sys.argv[1:2])
