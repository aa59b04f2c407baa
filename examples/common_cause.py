"""Finding the common cause of several complaints: one cocoa lot behind a bitter taste.

Over two weeks the Hillside Bakery receives four complaints about a bitter, soapy
aftertaste in its chocolate-chip cookies, from different shops, about different batches.
Each on its own looks like a one-off. The example:

1. takes the complaints and the batches they name;
2. asks the genealogy which upstream lots, suppliers and lines those batches share, ranked
   so that a lot feeding exactly the complained batches beats the flour that feeds
   everything ("learn from one case, fix similar ones" starts with seeing the pattern);
3. shows the Pareto of all complaints by category, where the taste complaints stand out;
4. opens one incident for the common cause and escalates every complaint to it.

Run ``python examples/common_cause.py`` from anywhere; it writes no files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import qualityflow as qf

START = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)


def q(amount: int, unit: str) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit=unit)


def build_bakery(qms: qf.QualityFlow) -> None:
    """Two cocoa lots, two palm-fat lots, flour and sugar that feed everything; 8 batches."""
    suppliers = [
        ("SUP-COCOA", "Golden Coast Cocoa", "cocoa mass"),
        ("SUP-FAT", "Palmyra Oils", "palm fat"),
        ("SUP-MILL", "Northfield Mill", "wheat flour"),
        ("SUP-SUGAR", "Eastport Sugar", "sugar"),
    ]
    for sid, name, material in suppliers:
        qms.suppliers.add(qf.Supplier(id=sid, name=name, materials=[material]))
    lots = [
        ("COCOA-7", "cocoa mass", "SUP-COCOA"),
        ("COCOA-8", "cocoa mass", "SUP-COCOA"),
        ("FAT-31", "palm fat", "SUP-FAT"),
        ("FAT-32", "palm fat", "SUP-FAT"),
        ("FLOUR-55", "wheat flour", "SUP-MILL"),
        ("SUGAR-9", "sugar", "SUP-SUGAR"),
    ]
    for lot_id, product, supplier in lots:
        qms.batches.add(
            qf.Batch(
                id=lot_id,
                kind="raw_material",
                product=product,
                quantity=q(5000, "kg"),
                supplier_id=supplier,
            )
        )
    # batch: (cocoa lot, fat lot, line)
    recipe = {
        "COOK-11": ("COCOA-7", "FAT-31", "L1"),
        "COOK-12": ("COCOA-8", "FAT-31", "L1"),
        "COOK-13": ("COCOA-8", "FAT-32", "L2"),
        "COOK-14": ("COCOA-7", "FAT-32", "L2"),
        "COOK-15": ("COCOA-7", "FAT-31", "L1"),
        "COOK-16": ("COCOA-8", "FAT-32", "L2"),
        "COOK-17": ("COCOA-8", "FAT-31", "L1"),
        "COOK-18": ("COCOA-7", "FAT-32", "L2"),
    }
    for i, (batch_id, (cocoa, fat, line)) in enumerate(recipe.items()):
        qms.batches.add(
            qf.Batch(
                id=batch_id,
                kind="finished",
                product="chocolate-chip cookies 300 g",
                quantity=q(6000, "pack"),
                line=line,
                produced_at=START + timedelta(hours=12 * i),
            )
        )
        for lot in (cocoa, fat, "FLOUR-55", "SUGAR-9"):
            qms.link(lot, batch_id, q(200, "kg"))


COMPLAINTS = [
    ("CMP-71", "SHOP-ELM", "COOK-11", "taste", "Bitter, soapy aftertaste."),
    ("CMP-72", "SHOP-OAK", "COOK-14", "taste", "Cookies taste of soap."),
    ("CMP-73", "SHOP-ASH", "COOK-12", "broken", "Half the cookies broken."),
    ("CMP-74", "SHOP-ELM", "COOK-15", "taste", "Strange bitter taste after a few bites."),
    ("CMP-75", "SHOP-FIR", "COOK-18", "taste", "Soapy flavour, kids refused them."),
    ("CMP-76", "SHOP-OAK", "COOK-13", "packaging", "Tray cracked."),
]


def main() -> None:
    qms = qf.QualityFlow("memory://")
    build_bakery(qms)
    for i, (cid, shop, batch, category, text) in enumerate(COMPLAINTS):
        qms.complaints.add(
            qf.Complaint(
                id=cid,
                customer_id=shop,
                channel="distributor" if i % 2 else "email",
                received_at=START + timedelta(days=3 + 2 * i),
                description=text,
                batch_ids=[batch],
                product="chocolate-chip cookies 300 g",
                category=category,
            )
        )

    # 1. The taste complaints and their batches.
    taste = [c for c in qms.complaints.list() if c.category == "taste"]
    batches = sorted({b for c in taste for b in c.batch_ids})
    print(f"{len(taste)} taste complaints about batches {', '.join(batches)}")

    # 2. What do those batches share upstream?
    print("Shared upstream, most telling first (reach = batches fed, specificity = how")
    print("much of what it feeds was complained about):")
    causes = qms.common_causes(*batches)
    for cause in causes:
        print(
            f"  {cause.kind:<8} {cause.id:<10} reach {cause.reach}/{len(batches)}  "
            f"specificity {cause.specificity:.2f}"
        )
    top = causes[0]
    print(f"Most likely common cause: {top.kind} {top.id}")

    # 3. The Pareto of all complaints: where the effort pays.
    chart = qf.pareto(qms.complaints.list(), "category")
    print(chart.to_markdown())

    # 4. One incident for the common cause; every taste complaint escalates to it.
    suspects = sorted(qms.trace_forward(top.id).ids & {b.id for b in qms.batches.list()})
    qms.incidents.add(
        qf.Incident(
            id="INC-40",
            title=f"Soapy off-taste traced to {top.id}",
            severity="major",
            reported_at=START + timedelta(days=14),
            reported_by="QA manager",
            batch_ids=suspects,
            description=f"{len(taste)} complaints share {top.id}; lab to test for rancidity.",
            complaint_ids=[c.id for c in taste],
        )
    )
    for c in taste:
        contact = qf.Contact(
            at=START + timedelta(days=14),
            direction="outbound",
            channel="email",
            message="Thank you for telling us; we are investigating the cocoa used.",
            by="consumer care",
        )
        qms.complaints.fire(c.id, "acknowledge", actor="consumer care", contacts=[contact])
        qms.complaints.fire(c.id, "verify", actor="consumer care")
        qms.complaints.escalate(c.id, incident_id="INC-40", actor="QA manager")
    linked = [c.id for c in qms.complaints.list() if c.incident_id == "INC-40"]
    print(f"INC-40 opened for batches {', '.join(suspects)}; escalated: {', '.join(linked)}")


if __name__ == "__main__":
    main()
