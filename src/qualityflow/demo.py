"""The demo plant: Sunrise Biscuits, a biscuit factory with two lines, and its worst week.

:func:`plant` returns the plant's master data (suppliers, lots, mixes, finished batches,
the links between them and the shipments) as plain models; :func:`run_demo` stores it in a
:class:`~qualityflow.QualityFlow` and plays the week: a consumer posts a photo of a metal
shard on social media, the complaint escalates to an incident, the emergency team assesses
it, recalls and quarantines, finds the root cause with 5-Why and fishbone, corrects,
verifies and closes, and the consumer is followed up. ``qualityflow demo`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from qualityflow.errors import NotFoundError
from qualityflow.models import (
    ActionStatus,
    Batch,
    Complaint,
    ComplaintVerification,
    Contact,
    ContainmentAction,
    CorrectiveAction,
    EmergencyTeam,
    FollowUp,
    ImpactAssessment,
    Incident,
    Inspection,
    Quantity,
    RecallDecision,
    Resolution,
    RootCauseAnalysis,
    Shipment,
    Supplier,
    TeamMember,
    Verification,
)
from qualityflow.prevention import sampling_plan

if TYPE_CHECKING:
    from qualityflow.service import QualityFlow

__all__ = ["MONDAY", "DemoPlant", "DemoRun", "plant", "run_demo", "stock"]

MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
"""06:00 UTC on the Monday the week starts."""


@dataclass(frozen=True)
class DemoPlant:
    """The demo plant's master data, ready to store or to build a genealogy from."""

    suppliers: tuple[Supplier, ...]
    batches: tuple[Batch, ...]
    links: tuple[tuple[str, str, Quantity | None], ...]
    shipments: tuple[Shipment, ...]
    inspections: tuple[Inspection, ...] = ()


@dataclass(frozen=True)
class DemoRun:
    """The ids the demo created (suffixed with ``tag`` when an earlier run used the plain ones)."""

    tag: str
    incident_id: str
    complaint_id: str
    suspect_batch_id: str
    flour_lot_id: str


def _q(amount: int, unit: str) -> Quantity:
    return Quantity(amount=amount, unit=unit)


def plant(tag: str = "") -> DemoPlant:
    """Return Sunrise Biscuits' suppliers, lots, mixes, batches, links and shipments.

    ``tag`` is appended to every batch and shipment id so that several runs can share one
    database.

    Examples
    --------
    >>> p = plant()
    >>> len(p.suppliers), len(p.batches), len(p.shipments), len(p.inspections)
    (4, 14, 8, 5)

    """
    t = tag
    mon = MONDAY
    suppliers = (
        Supplier(id="SUP-MILL", name="Northfield Mill", materials=["wheat flour"]),
        Supplier(id="SUP-DAIRY", name="Valley Dairy Co-op", materials=["butter"]),
        Supplier(id="SUP-SUGAR", name="Eastport Sugar", materials=["sugar"]),
        Supplier(id="SUP-PACK", name="Flexipack Films", materials=["flow-wrap film"]),
    )

    def lot(id: str, product: str, amount: int, unit: str, supplier: str, days: int) -> Batch:
        return Batch(
            id=id + t,
            kind="packaging" if supplier == "SUP-PACK" else "raw_material",
            product=product,
            quantity=_q(amount, unit),
            supplier_id=supplier,
            produced_at=mon - timedelta(days=days),
        )

    def made(
        id: str, kind: str, product: str, amount: int, unit: str, line: str, hours: int
    ) -> Batch:
        return Batch(
            id=id + t,
            kind=kind,
            product=product,
            quantity=_q(amount, unit),
            line=line,
            produced_at=mon + timedelta(hours=hours),
            attributes={"shift": "night" if hours % 24 >= 16 else "day"},
        )

    batches = (
        lot("FLOUR-0412", "wheat flour", 2000, "kg", "SUP-MILL", 5),
        lot("FLOUR-0413", "wheat flour", 2000, "kg", "SUP-MILL", 4),
        lot("BUTTER-221", "butter", 600, "kg", "SUP-DAIRY", 3),
        lot("SUGAR-088", "sugar", 800, "kg", "SUP-SUGAR", 10),
        lot("FILM-0057", "flow-wrap film", 40, "roll", "SUP-PACK", 20),
        made("MIX-0302A", "intermediate", "butter biscuit dough", 900, "kg", "L2", 16),
        made("MIX-0302B", "intermediate", "butter biscuit dough", 900, "kg", "L2", 20),
        made("MIX-0303A", "intermediate", "oat cookie dough", 900, "kg", "L1", 26),
        made("MIX-0303B", "intermediate", "butter biscuit dough", 900, "kg", "L1", 28),
        made("BISC-0302", "finished", "butter biscuits 200 g", 4000, "pack", "L2", 18),
        made("BISC-0303", "finished", "butter biscuits 200 g", 4000, "pack", "L2", 22),
        made("OAT-0303", "finished", "oat cookies 250 g", 3500, "pack", "L1", 28),
        made("BISC-0304", "finished", "butter biscuits 200 g", 4000, "pack", "L1", 30),
        made("BISC-0305", "finished", "butter biscuits 200 g", 4000, "pack", "L1", 34),
    )
    links_plain: list[tuple[str, str, Quantity | None]] = [
        ("FLOUR-0412", "MIX-0302A", _q(540, "kg")),
        ("BUTTER-221", "MIX-0302A", _q(180, "kg")),
        ("SUGAR-088", "MIX-0302A", _q(180, "kg")),
        ("FLOUR-0412", "MIX-0302B", _q(540, "kg")),
        ("BUTTER-221", "MIX-0302B", _q(180, "kg")),
        ("SUGAR-088", "MIX-0302B", _q(180, "kg")),
        ("FLOUR-0413", "MIX-0303A", _q(600, "kg")),
        ("SUGAR-088", "MIX-0303A", _q(150, "kg")),
        ("FLOUR-0413", "MIX-0303B", _q(540, "kg")),
        ("BUTTER-221", "MIX-0303B", _q(180, "kg")),
        ("SUGAR-088", "MIX-0303B", _q(180, "kg")),
        ("MIX-0302A", "BISC-0302", _q(900, "kg")),
        ("MIX-0302B", "BISC-0303", _q(900, "kg")),
        ("MIX-0303A", "OAT-0303", _q(900, "kg")),
        ("MIX-0303B", "BISC-0304", _q(450, "kg")),
        ("MIX-0303B", "BISC-0305", _q(450, "kg")),
        ("FILM-0057", "BISC-0302", _q(4, "roll")),
        ("FILM-0057", "BISC-0303", _q(4, "roll")),
        ("FILM-0057", "BISC-0304", _q(4, "roll")),
    ]
    links = tuple((a + t, b + t, q) for a, b, q in links_plain)

    def ship(id: str, batch: str, customer: str, packs: int, region: str, day: int) -> Shipment:
        return Shipment(
            id=id + t,
            batch_id=batch + t,
            customer_id=customer,
            quantity=_q(packs, "pack"),
            shipped_at=mon + timedelta(days=day, hours=4),
            region=region,
        )

    shipments = (
        ship("SHP-9001", "BISC-0302", "CUST-FRESHMART", 1500, "north", 1),
        ship("SHP-9002", "BISC-0302", "CUST-CORNERSHOP", 600, "north", 1),
        ship("SHP-9003", "BISC-0302", "CUST-MEGAMART", 1200, "east", 2),
        ship("SHP-9004", "BISC-0303", "CUST-MEGAMART", 1800, "east", 2),
        ship("SHP-9005", "OAT-0303", "CUST-FRESHMART", 2000, "north", 2),
        ship("SHP-9006", "BISC-0304", "CUST-PANTRY", 2500, "south", 3),
        ship("SHP-9007", "BISC-0305", "CUST-FRESHMART", 1000, "north", 3),
        ship("SHP-9008", "OAT-0303", "CUST-PANTRY", 900, "south", 3),
    )
    inspections = []
    for b in batches:
        if b.kind.value not in ("raw_material", "packaging"):
            continue
        sampling = sampling_plan(int(b.quantity.amount), "1.0")
        marginal = b.id.startswith("FILM")
        inspections.append(
            Inspection(
                id=f"IQC-{b.id}",
                batch_id=b.id,
                stage="incoming",
                result="conditional" if marginal else "pass",
                at=(b.produced_at or mon) + timedelta(days=1),
                inspector="Raj Singh (goods-in QC)",
                sample_size=sampling.sample_size,
                accept=sampling.accept,
                reject=sampling.reject,
                defects=sampling.accept if marginal else 0,
                note="seal strength at the lower limit" if marginal else "",
            )
        )
    return DemoPlant(suppliers, batches, links, shipments, tuple(inspections))


def stock(qms: QualityFlow, plant: DemoPlant) -> QualityFlow:
    """Store ``plant``'s suppliers, lots, links, shipments and inspections in ``qms``.

    All in one transaction, through the service (so links and shipments are checked as in
    production); suppliers already on file are kept, so a second run can share them.
    Returns ``qms``.

    Examples
    --------
    >>> import qualityflow as qf
    >>> qms = stock(qf.QualityFlow(load_entry_points=False), plant())
    >>> sorted(qms.trace_forward("FILM-0057").ids)[:2]
    ['BISC-0302', 'BISC-0303']

    """
    with qms.storage.transaction():
        for supplier in plant.suppliers:
            try:
                qms.suppliers.get(supplier.id)
            except NotFoundError:
                qms.suppliers.add(supplier)
        for batch in plant.batches:
            qms.batches.add(batch)
        for input_id, output_id, quantity in plant.links:
            qms.link(input_id, output_id, quantity)
        for shipment in plant.shipments:
            qms.shipments.add(shipment)
        for inspection in plant.inspections:
            qms.inspections.add(inspection)
    return qms


def _free_tag(qms: QualityFlow) -> str:
    """Return the id suffix for this run: none the first time, then ``-R2``, ``-R3``..."""
    n = 1
    while True:
        tag = "" if n == 1 else f"-R{n}"
        try:
            qms.incidents.get("INC-5" + tag)
        except NotFoundError:
            return tag
        n += 1


def run_demo(qms: QualityFlow) -> DemoRun:
    """Store the demo plant in ``qms`` and play its week, from complaint to closed 8D.

    Every step goes through the lifecycles' guards, exactly as a real application would.
    Running it again on the same database adds a new run with suffixed ids.
    """
    tag = _free_tag(qms)
    p = plant(tag)
    stock(qms, p)

    thu = MONDAY + timedelta(days=3)  # Thursday 06:00
    suspect, sibling = "BISC-0302" + tag, "BISC-0303" + tag
    cid, iid = "CMP-17" + tag, "INC-5" + tag
    care = "Lena Fox (consumer care)"

    # 1. A consumer posts a photo of a metal shard on social media.
    qms.complaints.add(
        Complaint(
            id=cid,
            customer_id="CONSUMER-@crunchlover",
            channel="social_media",
            received_at=thu + timedelta(hours=1, minutes=10),
            description="Posted a photo of a sharp metal shard found in a butter biscuit.",
            severity="critical",
            product="butter biscuits 200 g",
            category="foreign body",
        )
    )
    reply = Contact(
        at=thu + timedelta(hours=1, minutes=35),
        direction="outbound",
        channel="social_media",
        message="We are so sorry. Please keep the pack; we have sent you a private message.",
        by=care,
    )
    qms.complaints.fire(cid, "acknowledge", actor=care, at=reply.at, contacts=[reply])
    evidence = Contact(
        at=thu + timedelta(hours=2, minutes=20),
        direction="inbound",
        channel="social_media",
        message=f"Photo of the pack: lot code {suspect}, best before 2026-09-02.",
        by="CONSUMER-@crunchlover",
    )
    qms.complaints.fire(
        cid,
        "verify",
        actor=care,
        at=evidence.at,
        note="lot code confirmed from the photo",
        contacts=[reply, evidence],
        batch_ids=[suspect],
    )

    # 2. The complaint escalates to an incident; the emergency team forms and assesses.
    reported = thu + timedelta(hours=2, minutes=40)
    qms.complaints.escalate(
        cid,
        actor=care,
        at=reported,
        incident=Incident(
            id=iid,
            title="Metal fragment in butter biscuits",
            severity="critical",
            reported_at=reported,
            reported_by=care,
            detected_at=evidence.at,  # the photo's lot code confirmed the hazard
            batch_ids=[suspect],
            product="butter biscuits 200 g",
            description=(
                "A consumer found a 3 mm steel fragment in a sealed pack of lot "
                f"{suspect} (line L2, Monday night shift)."
            ),
        ),
    )
    leader = TeamMember(name="Dana Ruiz", role="QA manager", department="quality")
    team = EmergencyTeam(
        leader=leader,
        members=[
            TeamMember(name="Ole Berg", role="line L2 supervisor", department="production"),
            TeamMember(name="Mia Chen", role="process engineer", department="technical"),
            TeamMember(name="Sam Patel", role="key-account manager", department="sales"),
        ],
    )
    impact = qms.recall_impact(suspect, sibling)
    assessment = ImpactAssessment(
        severity="critical",
        batch_ids=[suspect, sibling],
        regions=sorted(impact.regions),
        risk="Physical hazard: cuts to mouth and broken teeth.",
        recall_required=True,
        rationale=(
            "Both batches ran on line L2 through the same metal detector on the Monday night "
            "shift; packs of both are on retail shelves."
        ),
    )
    qms.incidents.fire(
        iid,
        "assess",
        actor=leader.name,
        at=reported + timedelta(minutes=50),
        team=team,
        assessment=assessment,
    )

    # 3. Containment: recall what was shipped, quarantine what is still in the warehouse.
    contain_at = reported + timedelta(hours=2, minutes=20)
    qms.incidents.fire(
        iid,
        "contain",
        actor=leader.name,
        at=contain_at,
        note="recall notices sent to every customer; warehouse bay 4 sealed",
        containment=[
            ContainmentAction(batch_id=suspect, action="recall", by="Sam Patel", at=contain_at),
            ContainmentAction(
                batch_id=sibling,
                action="recall",
                by="Sam Patel",
                at=contain_at,
                note="shipped packs recalled, remaining stock quarantined in bay 4",
            ),
        ],
        recall=RecallDecision(
            initiated_at=contain_at,
            batch_ids=[suspect, sibling],
            customer_ids=sorted(impact.customer_ids),
            reason="Metal fragment hazard in butter biscuits from line L2.",
            decided_by=leader.name,
        ),
    )
    qms.complaints.fire(
        cid,
        "investigate",
        actor=care,
        at=contain_at,
        information_verification=ComplaintVerification(
            product_confirmed=True,
            lot_confirmed=True,
            photo_evidence=True,
            conclusion="our_product",
            finding=f"our butter biscuits 200 g, lot {suspect}: the photo shows our pack",
            by=care,
            at=contain_at,
        ),
    )

    # 4. Root cause: 5-Why and fishbone over the six Ms.
    qms.incidents.fire(iid, "investigate", actor="Mia Chen", at=contain_at + timedelta(hours=1))
    rca = RootCauseAnalysis(
        method="five_why",
        problem="Steel fragments passed the metal detector on line L2.",
        whys=[
            "Why did the fragment reach the pack? The L2 metal detector did not reject it.",
            "Why not? Its sensitivity had drifted to 3.5 mm (spec: 2.0 mm Fe).",
            "Why was the drift not caught? The test-piece check was skipped on night shift.",
            "Why was it skipped? The check is not on the night-shift start-up checklist.",
            "Why not? The checklist was copied from day shift before the check was added.",
        ],
        fishbone={
            "machine": ["detector sensitivity drift", "worn sieve mesh on the mixer"],
            "method": ["night-shift checklist lacks the test-piece check"],
            "man": ["new night-shift operator"],
            "material": ["no metal found in flour lot samples"],
            "measurement": ["test pieces not verified since January"],
            "environment": ["vibration from the new packer next to the detector"],
        },
        root_cause=(
            "The night-shift start-up checklist lacks the metal-detector test-piece check."
        ),
        category="method",
        confirmed=True,
    )
    fri = thu + timedelta(days=1)
    actions = [
        CorrectiveAction(
            id="CA-1",
            description="Add the test-piece check (Fe 2.0 mm, non-Fe 2.5 mm, SS 3.0 mm) to "
            "every shift's start-up checklist",
            owner="Ole Berg",
            department="production",
            due=date(2026, 3, 9),
        ),
        CorrectiveAction(
            id="CA-2",
            description="Recalibrate the L2 metal detector and replace the mixer sieve mesh",
            owner="Mia Chen",
            department="technical",
            due=date(2026, 3, 7),
        ),
        CorrectiveAction(
            id="PA-1",
            description="Audit the checklists of every line and shift against the HACCP plan",
            owner="Dana Ruiz",
            department="quality",
            due=date(2026, 3, 20),
            kind="preventive",
        ),
    ]
    qms.incidents.fire(
        iid,
        "correct",
        actor="Mia Chen",
        at=fri + timedelta(hours=10),
        root_cause=rca,
        actions=actions,
    )

    # 5. The consumer gets a remedy; the actions are done and verified.
    sat = thu + timedelta(days=2)
    remedy = Resolution(
        kind="replacement",
        description="Apology from the plant manager, replacement case and refund; the lot "
        "has been recalled and the line's detector checks tightened.",
        communicated_at=sat + timedelta(hours=4),
    )
    qms.complaints.fire(cid, "resolve", actor=care, at=sat + timedelta(hours=4), resolution=remedy)
    done_at = [fri + timedelta(hours=12), fri + timedelta(hours=4), thu + timedelta(days=11)]
    finished = [
        a.model_copy(update={"status": ActionStatus.DONE, "done_at": when})
        for a, when in zip(actions, done_at, strict=True)
    ]
    qms.incidents.fire(
        iid,
        "verify",
        actor="Dana Ruiz",
        at=thu + timedelta(days=11, hours=2),
        actions=finished,
    )
    qms.complaints.fire(
        cid,
        "close",
        actor=care,
        at=thu + timedelta(days=7),
        follow_up=FollowUp(
            at=thu + timedelta(days=7),
            satisfied=True,
            score=4,
            note="Thanked us for the quick answer; will keep buying.",
        ),
    )

    # 6. Verification over two weeks of production, lessons learned, closure.
    closed_at = thu + timedelta(days=21)
    qms.incidents.fire(
        iid,
        "close",
        actor="Dana Ruiz",
        at=closed_at,
        note="8D signed off by the plant manager",
        verification=Verification(
            effective=True,
            evidence="42 shifts of test-piece logs on all lines, zero misses; no metal "
            "complaints since the recall.",
            verified_by="Dana Ruiz",
            at=closed_at - timedelta(hours=3),
        ),
        lessons=[
            "Every new shift pattern gets a checklist review against the HACCP plan before "
            "it starts.",
            "Detector test pieces are verified monthly, not only at the annual audit.",
        ],
    )
    return DemoRun(
        tag=tag,
        incident_id=iid,
        complaint_id=cid,
        suspect_batch_id=suspect,
        flour_lot_id="FLOUR-0412" + tag,
    )
