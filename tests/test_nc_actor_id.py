"""Nonconformance and SCAR records keep the actor's id beside the printed name."""

from __future__ import annotations

from datetime import date, timedelta

import qualityflow as qf
from qualityflow.people import Actor

PRIYA = Actor(id="priya", name="Priya Nair", roles=frozenset({"sqe"}))


def test_dispositions_and_scar_steps_record_who_by_id_and_name() -> None:
    qms = qf.QualityFlow(load_entry_points=False)
    qms.suppliers.add(qf.Supplier(id="SUP-COCOA", name="Cocoa Traders", materials=["cocoa"]))
    qms.batches.add(
        qf.Batch(
            id="COCOA-77",
            kind="raw_material",
            product="cocoa powder",
            quantity=qf.Quantity(amount=2000, unit="kg"),
            supplier_id="SUP-COCOA",
        )
    )
    nc = qms.nonconformances.open(
        "COCOA-77", characteristic="moisture", defect="above 5 %", actor=PRIYA
    )
    done = qms.nonconformances.dispose(
        nc.id,
        [qf.Disposition(kind="return_to_supplier", quantity=qf.Quantity(amount=2000, unit="kg"))],
        actor=PRIYA,
    )
    assert (done.history[-1].actor, done.history[-1].actor_id) == ("Priya Nair", "priya")
    scar = qms.supplier_actions.request(nc.id, due=date.today() + timedelta(days=30), actor=PRIYA)
    acked = qms.supplier_actions.fire(scar.id, "acknowledge", actor=PRIYA)
    assert (acked.history[-1].actor, acked.history[-1].actor_id) == ("Priya Nair", "priya")
    assert qf.verify_history(acked) and qms.audit.verify().ok
    # a plain string actor is its own id: nothing extra is kept
    plain = qms.supplier_actions.fire(scar.id, "cancel", actor="Priya", note="duplicate")
    assert plain.history[-1].actor_id == ""
