"""A complaint from social media, handled through to the satisfaction follow-up.

Meadow & Co. makes hand cream. On a Saturday evening a customer posts a photo of a red
rash on her hands, tagging the brand. The example walks the guide's complaint chapter:

1. intake from the social-media channel; a public, empathetic reply within the hour
   (acknowledge needs an outbound contact);
2. verify the information: lot code, purchase, photos (moved to a private channel);
3. investigate once the information is verified (our product, our lot): the retained
   sample of the lot and the lot's release data;
4. respond with a remedy whose communication time is recorded (resolve);
5. follow up satisfaction, even when the first call is not answered (close);
6. a second post turns out to be about a counterfeit jar: the verification finds it is
   not our product, and the complaint is rejected with that finding, told to the customer.

Then the complaint KPIs of the week. Run ``python examples/social_media_complaint.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import qualityflow as qf
from qualityflow.models import ComplaintVerification

SATURDAY = datetime(2026, 5, 16, 18, 0, tzinfo=timezone.utc)
CARE = "Priya N. (consumer care)"


def contact(
    at: datetime, direction: str, message: str, channel: str = "social_media"
) -> qf.Contact:
    by = CARE if direction == "outbound" else "customer"
    return qf.Contact(at=at, direction=direction, channel=channel, message=message, by=by)


def main() -> None:
    # The plant verifies every complaint's information before investigating (the guide's
    # 规范投诉受理与信息核实); the open default asks it of 12315 complaints only.
    qms = qf.QualityFlow("memory://", policy=qf.RolePolicy(verify_information=True))
    t = SATURDAY
    qms.batches.add(
        qf.Batch(
            id="HC-2605-07",
            kind="finished",
            product="Meadow hand cream 75 ml",
            quantity=qf.Quantity(amount=12000, unit="tube"),
            line="F1",
        )
    )

    # 1. Intake and a public reply.
    complaint = qms.complaints.add(
        qf.Complaint(
            id="CMP-301",
            customer_id="@hannah_gardens",
            channel="social_media",
            received_at=t,
            description="Photo of a red rash after using Meadow hand cream, brand tagged.",
            severity="major",
            product="Meadow hand cream 75 ml",
            category="skin reaction",
        )
    )
    try:
        qms.complaints.fire("CMP-301", "acknowledge", actor=CARE, at=t + timedelta(minutes=20))
    except qf.TransitionError as err:
        print(f"acknowledge without replying first is refused: {err.reasons[0]}")
    reply = contact(
        t + timedelta(minutes=35),
        "outbound",
        "Hannah, we're so sorry to see this. Your skin comes first: we've sent you a DM.",
    )
    complaint = qms.complaints.fire(
        "CMP-301", "acknowledge", actor=CARE, at=reply.at, contacts=[reply]
    )
    print(f"1. {complaint.id} acknowledged publicly 35 min after the post.")

    # 2. Verification in a private channel: the lot code and photos.
    dm = contact(
        t + timedelta(hours=2),
        "inbound",
        "Lot HC-2605-07 on the crimp, bought at GreenLeaf pharmacy on May 12.",
        channel="online_chat",
    )
    complaint = qms.complaints.fire(
        "CMP-301",
        "verify",
        actor=CARE,
        at=dm.at,
        note="lot code and receipt photo received",
        contacts=[reply, dm],
        batch_ids=["HC-2605-07"],
    )
    print(f"2. Verified: lot {complaint.batch_ids[0]}, state {complaint.status.value}.")

    # 3. Investigation, once the information is verified: our product, our lot, her
    #    receipt and photos. Without the verification, investigate is refused.
    try:
        qms.complaints.fire("CMP-301", "investigate", actor=CARE, at=t + timedelta(days=2))
    except qf.PermissionDenied as err:
        print(f"investigate before verifying the information is refused: {err.reasons[0]}")
    verified = ComplaintVerification(
        product_confirmed=True,
        lot_confirmed=True,
        proof_of_purchase=True,
        photo_evidence=True,
        conclusion="our_product",
        finding="Meadow hand cream 75 ml, lot HC-2605-07; receipt from GreenLeaf pharmacy",
        by=CARE,
        at=t + timedelta(days=2),
    )
    complaint = qms.complaints.fire(
        "CMP-301",
        "investigate",
        actor="Dr. Ines Mora (QA)",
        at=t + timedelta(days=2),
        note="retained sample: preservative and pH in spec; no other reports for the lot",
        information_verification=verified,
    )
    print("3. Investigating: retained sample in spec, no other reports for the lot.")

    # 4. Response and remedy.
    told = t + timedelta(days=3)
    complaint = qms.complaints.fire(
        "CMP-301",
        "resolve",
        actor=CARE,
        at=told,
        resolution=qf.Resolution(
            kind="refund",
            description="Refund and a fragrance-free sample; our dermatologist's note on "
            "the lanolin in the formula, a known allergen for some people.",
            communicated_at=told,
        ),
    )
    assert complaint.resolution is not None
    print(f"4. Resolved with a {complaint.resolution.kind.value} (told {told:%a %H:%M}).")

    # 5. Follow-up: the first call is not answered; the second reaches her.
    follow_up = qf.FollowUp(
        at=t + timedelta(days=10),
        satisfied=True,
        score=5,
        attempts=2,
        note="Rash gone; she posted a thank-you under the original post.",
    )
    complaint = qms.complaints.fire(
        "CMP-301", "close", actor=CARE, at=follow_up.at, follow_up=follow_up
    )
    print(
        f"5. Closed after {follow_up.attempts} follow-up calls; satisfaction {follow_up.score}/5."
    )

    # 6. A counterfeit: the verification finds it is not our product; rejected with that
    #    finding, told to the customer.
    qms.complaints.add(
        qf.Complaint(
            id="CMP-302",
            customer_id="@bargain_bea",
            channel="social_media",
            received_at=t + timedelta(days=1),
            description="Cream smells of paint and is grey.",
            product="Meadow hand cream 75 ml",
            category="odour",
        )
    )
    # The plant's acknowledgement template: apology, what happens next, by when, who to
    # contact, filled from the complaint and its resolve deadline.
    acknowledged = qms.complaints.acknowledge(
        "CMP-302",
        actor=CARE,
        contact="Priya N. (consumer care), DM @meadowcare or +44 20 7946 0321",
        customer="Bea",
        at=t + timedelta(days=1, minutes=30),
    )
    first = acknowledged.contacts[-1]
    print(f"6. {acknowledged.id} acknowledged: {first.message.splitlines()[2][:60]}...")
    qms.complaints.fire("CMP-302", "verify", actor=CARE, at=first.at + timedelta(hours=3))
    told_fake = contact(
        t + timedelta(days=2),
        "outbound",
        "The lot code on your jar is not one of ours and Meadow has no 100 ml jar: it is a "
        "counterfeit. Please report the seller; here is a voucher for a genuine tube.",
        channel="online_chat",
    )
    rejected = qms.complaints.fire(
        "CMP-302",
        "reject",
        actor=CARE,
        at=told_fake.at,
        contacts=[first, told_fake],
        information_verification=ComplaintVerification(
            product_confirmed=False,
            photo_evidence=True,
            counterfeit_suspected=True,
            conclusion="not_our_product",
            finding="Counterfeit product: lot code and pack size do not exist.",
            by=CARE,
            at=told_fake.at,
        ),
    )
    assert rejected.information_verification is not None
    finding = rejected.information_verification.finding
    print(f"   {rejected.id} {rejected.status.value}: {finding}")

    week = qf.kpis([], qms.complaints.list(), as_of=t + timedelta(days=14))
    print(
        f"KPIs: median time to acknowledge {week.complaint_acknowledge.median}, "
        f"SLA breach rate {week.sla_breach_rate:.0%}."
    )
    history = qms.complaints.get("CMP-301").history
    print("Timeline of CMP-301:")
    for record in history:
        print(f"  {record.at:%a %d %H:%M}  {record.trigger:<11} {record.source} -> {record.dest}")


if __name__ == "__main__":
    main()
