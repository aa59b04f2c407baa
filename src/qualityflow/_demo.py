"""A small biscuit plant used by the demo command."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel

from qualityflow.models import (
    Batch,
    Channel,
    Complaint,
    Incident,
    Quantity,
    Severity,
    Shipment,
    Supplier,
)


def build_plant() -> dict[str, BaseModel]:
    """Return a supplier, its flour lot, a biscuit batch, a shipment, an incident, a complaint."""
    t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    mill = Supplier(id="SUP-MILL", name="Northfield Mill", materials=["wheat flour"])
    flour = Batch(
        id="FLOUR-0412",
        kind="raw_material",
        product="wheat flour",
        quantity=Quantity(amount=1000, unit="kg"),
        supplier_id=mill.id,
    )
    biscuits = Batch(
        id="BISC-0301",
        kind="finished",
        product="butter biscuits 200 g",
        quantity=Quantity(amount=4000, unit="pack"),
        line="L2",
        produced_at=t0,
    )
    shipment = Shipment(
        id="SHP-9001",
        batch_id=biscuits.id,
        customer_id="CUST-FRESHMART",
        quantity=Quantity(amount=1200, unit="pack"),
        shipped_at=t0.replace(day=3),
        region="north",
    )
    complaint = Complaint(
        id="CMP-17",
        customer_id="CUST-FRESHMART",
        channel=Channel.SOCIAL_MEDIA,
        received_at=t0.replace(day=5),
        description="Hard foreign body in a biscuit",
        batch_ids=[biscuits.id],
        severity=Severity.MAJOR,
    )
    incident = Incident(
        id="INC-5",
        title="Foreign body in butter biscuits",
        severity=Severity.MAJOR,
        reported_at=t0.replace(day=5, hour=9),
        reported_by="QA shift lead",
        batch_ids=[biscuits.id],
        complaint_ids=[complaint.id],
    )
    return {
        "supplier": mill,
        "raw lot": flour,
        "finished batch": biscuits,
        "shipment": shipment,
        "complaint": complaint,
        "incident": incident,
    }
