"""The jam plant's glass-in-jam incident, shared by the tests of roles and signatures.

INC-1 (critical) on lot JAM-1: a chipped jar at the capper. The corrective action CA-1 is
Ana Silva's, so her verifying it is what segregation of duties refuses.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import qualityflow as qf
from qualityflow.testing import emergency_team

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def jam_lot() -> qf.Batch:
    return qf.Batch(
        id="JAM-1",
        kind="finished",
        product="strawberry jam",
        quantity=qf.Quantity(amount=400, unit="kg"),
    )


def jam_incident() -> qf.Incident:
    return qf.Incident(id="INC-1", title="Glass in jam", severity="critical", reported_at=T0)


def jam_team(leader: str = "Dana Weber") -> qf.EmergencyTeam:
    """The team the guide asks for, led by ``leader`` (quality)."""
    return emergency_team(qf.TeamMember(name=leader, role="leader", department="quality"))


def jam_assessment(**changes: Any) -> qf.ImpactAssessment:
    """A complete critical assessment of JAM-1 (``changes`` blank or alter its parts)."""
    full = qf.ImpactAssessment(
        severity="critical",
        batch_ids=["JAM-1"],
        regions=["CN-31"],
        risk="injury to consumers",
        rationale="the affected lots reached the market",
    )
    return full.model_copy(update=changes) if changes else full


def capper_fix(done_at: datetime) -> qf.CorrectiveAction:
    """CA-1, owned by Ana Silva, done at ``done_at``."""
    return qf.CorrectiveAction(
        id="CA-1",
        description="guard the capper",
        owner="Ana Silva",
        department="maintenance",
        due=date(2026, 3, 9),
        status="done",
        done_at=done_at,
    )


def capper_root_cause() -> qf.RootCauseAnalysis:
    return qf.RootCauseAnalysis(
        method="five_why",
        problem="glass",
        whys=["jar chipped at the capper"],
        root_cause="capper misaligned",
        category="machine",
        confirmed=True,
    )


def steps_to_verifying(
    *,
    done_at: datetime,
    team: qf.EmergencyTeam | None = None,
    assessment: qf.ImpactAssessment | None = None,
    **verify: Any,
) -> list[tuple[str, dict[str, Any]]]:
    """The triggers and data from ``reported`` to ``verifying`` (``verify``: its data)."""
    hold = qf.ContainmentAction(
        batch_id="JAM-1", action="hold", by="Lena", at=T0 + timedelta(hours=2)
    )
    return [
        ("assess", {"team": team or jam_team(), "assessment": assessment or jam_assessment()}),
        ("contain", {"containment": [hold]}),
        ("investigate", {}),
        ("correct", {"root_cause": capper_root_cause(), "actions": [capper_fix(done_at)]}),
        ("verify", dict(verify)),
    ]
