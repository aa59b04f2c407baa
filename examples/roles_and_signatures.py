"""A plant adopts the STRICT policy: who may act, independent verification, signatures.

Sunrise Biscuits finds a metal fragment in a pack of butter biscuits. Under
``qf.policies.STRICT`` the rules of the guide are the service's, whoever calls it: the
emergency team must cover production, technical, quality and sales; the assessment must
state scope, regions, risk and rationale; a quality engineer runs the 8D but only the QA
manager closes; the owner of a corrective action may not verify it; verifying and closing
are signed electronically (the plant's password check is a ``qualityflow_authenticate``
plugin); the photo behind the verification is an evidence file whose alteration the audit
reports.

Run it with ``python examples/roles_and_signatures.py [URL]`` (``memory://`` by default);
it needs only qualityflow.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import qualityflow as qf
from qualityflow.models import Signature
from qualityflow.people import Actor, policies
from qualityflow.testing import Clock

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

DANA = Actor(id="dana", name="Dana Weber", roles=frozenset({"qa_manager"}), department="quality")
LENA = Actor(
    id="lena", name="Lena Ortiz", roles=frozenset({"quality_engineer"}), department="quality"
)
ANA = Actor(
    id="ana", name="Ana Silva", roles=frozenset({"quality_engineer"}), department="technical"
)
TOM = Actor(id="tom", name="Tom Berg", roles=frozenset({"production"}), department="production")

PASSWORDS = {"dana": "s3cret-dana", "lena": "s3cret-lena", "ana": "s3cret-ana"}


class PlantLogin:
    """The plant's own check of a signer's password (21 CFR 11.200: id and password)."""

    @qf.hookimpl
    def qualityflow_authenticate(self, actor: Actor, credential: object) -> bool:
        return PASSWORDS.get(actor.id) == credential


def say(text: str = "") -> None:
    print(text)


def refused(what: str, step: object) -> None:
    """Run ``step``; print the refusal it must give."""
    try:
        step()  # type: ignore[operator]
    except (qf.PermissionDenied, qf.TransitionError) as err:
        say(f"{what} is refused: {err}")
    else:
        raise SystemExit(f"{what} was accepted: the policy does not hold")


def main(url: str = "memory://") -> None:
    logging.getLogger("qualityflow").setLevel(logging.CRITICAL + 1)  # quiet the log notifier
    clock = Clock(T0)
    with qf.QualityFlow(
        url,
        policy=policies.STRICT,
        actors=[DANA, LENA, ANA, TOM],
        plugins=[PlantLogin()],
        load_entry_points=False,
        clock=clock,
    ) as qms:
        qms.batches.add(
            qf.Batch(
                id="BISC-0302",
                kind="finished",
                product="butter biscuits 200 g",
                quantity=qf.Quantity(amount=4800, unit="pack"),
            )
        )
        qms.incidents.add(
            qf.Incident(
                id="INC-30",
                title="Metal fragment in butter biscuits",
                severity="critical",
                reported_at=T0,
                reported_by="Customer service",
            )
        )
        leader = qf.TeamMember(name="Lena Ortiz", role="leader", department="quality")
        scope = qf.ImpactAssessment(severity="critical", batch_ids=["BISC-0302"], risk="cuts")
        clock.advance(hours=1)
        refused(
            "Assessing with a team of one",
            lambda: qms.incidents.fire(
                "INC-30",
                "assess",
                actor="lena",
                team=qf.EmergencyTeam(leader=leader),
                assessment=scope,
            ),
        )
        team = qf.EmergencyTeam(
            leader=leader,
            members=[
                qf.TeamMember(name="Tom Berg", role="line manager", department="production"),
                qf.TeamMember(name="Ana Silva", role="technologist", department="technical"),
                qf.TeamMember(name="Sam Roy", role="key accounts", department="sales"),
            ],
        )
        refused(
            "Assessing without regions and rationale",
            lambda: qms.incidents.fire(
                "INC-30", "assess", actor="lena", team=team, assessment=scope
            ),
        )
        full = scope.model_copy(
            update={"regions": ["CN-31", "CN-32"], "rationale": "packs on shelves in 2 provinces"}
        )
        qms.incidents.fire("INC-30", "assess", actor="lena", team=team, assessment=full)
        clock.advance(hours=1)
        hold = qf.ContainmentAction(
            batch_id="BISC-0302", action="quarantine", by="Tom Berg", at=clock.now
        )
        qms.incidents.fire("INC-30", "contain", actor="tom", containment=[hold])
        say(f"Tom (production) contained BISC-0302: {qms.batches.get('BISC-0302').status.value}")
        clock.advance(hours=1)
        qms.incidents.fire("INC-30", "investigate", actor="lena")
        fix = qf.CorrectiveAction(
            id="CA-1",
            description="Replace the worn sieve screen; check screens every shift",
            owner="Ana Silva",
            department="technical",
            due=date(2026, 3, 9),
            status="done",
            done_at=clock.advance(hours=3),
        )
        why = qf.RootCauseAnalysis(
            method="five_why",
            problem="metal fragment in a pack",
            whys=["a piece of sieve screen broke off", "the screen was worn through"],
            root_cause="sieve screens are not checked for wear",
            category="machine",
            confirmed=True,
        )
        qms.incidents.fire("INC-30", "correct", actor="lena", root_cause=why, actions=[fix])
        clock.advance(hours=1)
        refused(
            "Verifying without a signature",
            lambda: qms.incidents.fire("INC-30", "verify", actor="lena"),
        )
        refused(
            "Verifying with a wrong password",
            lambda: qms.incidents.fire(
                "INC-30",
                "verify",
                actor="lena",
                signature=Signature(meaning="actions verified done"),
                credential="guess",
            ),
        )
        qms.incidents.fire(
            "INC-30",
            "verify",
            actor="lena",
            signature=Signature(meaning="actions verified done"),
            credential=PASSWORDS["lena"],
        )
        with tempfile.TemporaryDirectory() as camera:
            photo = Path(camera) / "new-screen.jpg"
            photo.write_bytes(b"\xff\xd8 photo of the new sieve screen, 3 weeks on")
            evidence = qms.evidence.put(photo, by="Dana Weber")  # copied into the blob store
        clock.advance(days=21)

        lessons = ["Wear parts that touch product get a per-shift check"]

        def close(actor: str, verified_by: str) -> qf.Incident:
            """Dana's (or someone's) signed close on a verification recorded by ``verified_by``."""
            verification = qf.Verification(
                effective=True,
                evidence="no metal found in 21 days of packs; screens checked every shift",
                verified_by=verified_by,
                at=clock.now,
                attachments=[evidence],
            )
            return qms.incidents.fire(
                "INC-30",
                "close",
                actor=actor,
                verification=verification,
                lessons=lessons,
                signature=Signature(meaning="approved closure"),
                credential=PASSWORDS[actor],
            )

        refused("Lena (quality engineer) closing", lambda: close("lena", "Lena Ortiz"))
        refused(
            "Closing on Ana's verification of her own action", lambda: close("dana", "Ana Silva")
        )
        closed = close("dana", "Dana Weber")
        record = closed.history[-1]
        assert record.signature is not None
        say(
            f"INC-30 is {closed.status.value}: signed by {record.signature.signer_name} "
            f"({record.signature.signer_id}) at {record.signature.signed_at:%Y-%m-%d %H:%M} "
            f"UTC, meaning {record.signature.meaning!r}"
        )
        report = qf.eight_d(closed).to_markdown()
        lines = [line for line in report.splitlines() if "approved closure" in line]
        say(f"The 8D shows it: {lines[0].strip()}")
        say(f"Audit: ok={qms.audit.verify(blobs=True).ok}")
        Path(evidence.uri.removeprefix("file://")).write_bytes(b"another photo")
        after = qms.audit.verify(blobs=True)
        say(f"After the photo was swapped on disk: ok={after.ok}; {after.problems[0]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "memory://")
