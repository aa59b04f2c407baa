"""Small ready-made plants for examples, doctests and tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from qualityflow.genealogy import Genealogy, Link
from qualityflow.models import (
    Batch,
    ComplaintVerification,
    EmergencyTeam,
    Quantity,
    Shipment,
    TeamMember,
)

__all__ = ["emergency_team", "example_genealogy", "verified_information"]


def example_genealogy() -> Genealogy:
    """Build the small biscuit plant used in the documentation's examples.

    Cocoa lot ``COCOA-7`` and flour lot ``FLOUR-3`` go into dough ``MIX-1``; flour
    alone into ``MIX-2``. ``MIX-1`` makes finished batches ``BISC-1`` and ``BISC-2``
    (quarantined), ``MIX-2`` makes ``BISC-3``; film ``FILM-2`` wraps all three.
    ``SHIP-1``..``SHIP-3`` ship them to two customers.

    Examples
    --------
    >>> from qualityflow.testing import example_genealogy
    >>> example_genealogy()
    Genealogy(8 batches, 3 shipments, 9 links)

    """
    t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

    def q(amount: int, unit: str) -> Quantity:
        return Quantity(amount=Decimal(amount), unit=unit)

    def lot(id: str, kind: str, product: str, amount: int, unit: str, **extra: Any) -> Batch:
        return Batch.model_validate(
            {"id": id, "kind": kind, "product": product, "quantity": q(amount, unit), **extra}
        )

    batches = [
        lot("COCOA-7", "raw_material", "cocoa powder", 500, "kg", supplier_id="SUP-COCOA"),
        lot("FLOUR-3", "raw_material", "wheat flour", 2000, "kg", supplier_id="SUP-MILL"),
        lot("FILM-2", "packaging", "flow-wrap film", 10000, "m", supplier_id="SUP-FILM"),
        lot("MIX-1", "intermediate", "cocoa dough", 800, "kg", line="L1", produced_at=t0),
        lot("MIX-2", "intermediate", "plain dough", 900, "kg", line="L1", produced_at=t0),
        lot("BISC-1", "finished", "cocoa biscuits 200 g", 4000, "pack", line="L2",
            produced_at=t0 + timedelta(hours=4)),
        lot("BISC-2", "finished", "cocoa biscuits 200 g", 4000, "pack", line="L2",
            status="quarantined", produced_at=t0 + timedelta(hours=6)),
        lot("BISC-3", "finished", "butter biscuits 200 g", 4500, "pack", line="L2",
            produced_at=t0 + timedelta(hours=8)),
    ]  # fmt: skip
    links: list[Link] = [
        ("COCOA-7", "MIX-1", q(200, "kg")),
        ("FLOUR-3", "MIX-1", q(600, "kg")),
        ("FLOUR-3", "MIX-2", q(900, "kg")),
        ("MIX-1", "BISC-1", q(400, "kg")),
        ("MIX-1", "BISC-2", q(400, "kg")),
        ("MIX-2", "BISC-3", q(900, "kg")),
        ("FILM-2", "BISC-1", q(3000, "m")),
        ("FILM-2", "BISC-2", q(3000, "m")),
        ("FILM-2", "BISC-3", q(3000, "m")),
    ]

    def ship(id: str, batch: str, customer: str, amount: int, region: str) -> Shipment:
        return Shipment(
            id=id,
            batch_id=batch,
            customer_id=customer,
            quantity=q(amount, "pack"),
            shipped_at=t0 + timedelta(days=1),
            region=region,
        )

    shipments = [
        ship("SHIP-1", "BISC-1", "CUST-ALDA", 1500, "north"),
        ship("SHIP-2", "BISC-2", "CUST-BERG", 1000, "south"),
        ship("SHIP-3", "BISC-3", "CUST-ALDA", 2000, "north"),
    ]
    g = Genealogy()
    for b in batches:
        g.add_batch(b)
    g.link_many(links)
    for s in shipments:
        g.add_shipment(s)
    return g


def emergency_team(leader: TeamMember | None = None) -> EmergencyTeam:
    """Return an emergency team as the guide asks: a leader and the heads of each department.

    The members cover production, technical, quality and sales (the departments a major or
    critical incident's team needs, :data:`qualityflow.people.TEAM_DEPARTMENTS`), leaving
    out the leader's own department.

    Examples
    --------
    >>> from qualityflow.testing import emergency_team
    >>> team = emergency_team()
    >>> team.leader.name, sorted(team.departments)
    ('Li Na', ['production', 'quality', 'sales', 'technical'])

    """
    chief = leader or TeamMember(name="Li Na", role="leader", department="quality")
    heads = {
        "production": "Wang Wei",
        "technical": "Zhang Min",
        "quality": "Chen Jie",
        "sales": "Liu Yang",
    }
    own = chief.department.strip().lower()
    members = [
        TeamMember(name=name, role=f"head of {department}", department=department)
        for department, name in heads.items()
        if department != own
    ]
    return EmergencyTeam(leader=chief, members=members)


def verified_information(at: datetime | str, by: str = "QA Chen Jie") -> ComplaintVerification:
    """Return an information verification that a complaint concerns our product.

    What a complaint needs before ``investigate``: the product and lot confirmed, the
    proof of purchase and the sample in hand, no counterfeit suspected. Give it with the
    trigger: ``fire(id, "investigate", information_verification=verified_information(at))``.

    Examples
    --------
    >>> from qualityflow.testing import verified_information
    >>> v = verified_information("2026-03-02T10:00:00+00:00")
    >>> v.concerns_our_product, v.by
    (True, 'QA Chen Jie')

    """
    return ComplaintVerification.model_validate(
        {
            "product_confirmed": True,
            "lot_confirmed": True,
            "proof_of_purchase": True,
            "sample_received": True,
            "conclusion": "our_product",
            "finding": "our product and lot; the sample shows the defect described",
            "by": by,
            "at": at,
        }
    )
