"""``import_case`` is not a way around the policy: who imports, and every replayed step.

The attack: a case is made where the rules did not hold (another system, or a service with
the rules switched off), then carried in with ``import_case``. The lifecycle's guards were
always replayed; the policy's rules (roles, segregation of duties, the emergency team, a
complete assessment) must be replayed too, on every backend, and nothing is stored when
one refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

import qualityflow as qf
from jam_plant import T0, jam_assessment, jam_incident, jam_lot, jam_team, steps_to_verifying
from qualityflow.people import Actor, RolePolicy, policies

DANA = Actor(id="dana", name="Dana Weber", roles=frozenset({"qa_manager"}))
LENA = Actor(id="lena", name="Lena Ortiz", roles=frozenset({"quality_engineer"}))
ANA = Actor(id="ana", name="Ana Silva", roles=frozenset({"quality_engineer"}))


@pytest.fixture
def service(backend_url: str) -> Iterator[Any]:
    made: list[qf.QualityFlow] = []

    def make(**kwargs: Any) -> qf.QualityFlow:
        qms = qf.QualityFlow(backend_url, load_entry_points=False, **kwargs)
        made.append(qms)
        return qms

    yield make
    for qms in made:
        qms.close()


def _closed_elsewhere(
    *, by: dict[str, Any], team: qf.EmergencyTeam, assessment: qf.ImpactAssessment
) -> qf.Incident:
    """A closed critical incident made in a service where no rule of the policy applies."""
    lax = qf.QualityFlow(
        load_entry_points=False, policy=RolePolicy(emergency_team=None, assessment_fields=None)
    )
    lax.batches.add(jam_lot())
    lax.incidents.add(jam_incident())
    steps = steps_to_verifying(done_at=T0 + timedelta(hours=5), team=team, assessment=assessment)
    steps.append(
        (
            "close",
            {
                "verification": qf.Verification(
                    effective=True,
                    evidence="no chips in 3 weeks",
                    verified_by=by.get("verified_by", "Dana Weber"),
                    at=T0 + timedelta(hours=7),
                ),
                "lessons": ["align cappers weekly"],
            },
        )
    )
    at = T0
    for trigger, data in steps:
        at += timedelta(hours=1)
        lax.incidents.fire("INC-1", trigger, actor=by.get(trigger, "Lena Ortiz"), at=at, **data)
    return lax.incidents.get("INC-1")


FULL = jam_assessment()


def test_an_imported_critical_incident_needs_its_team_and_a_complete_assessment(
    service: Any,
) -> None:
    # Under the open default: the assessment and the team are content rules of today.
    blank = jam_assessment(regions=[], risk="", rationale="")
    solo = qf.EmergencyTeam(leader=jam_team().leader)
    old = _closed_elsewhere(by={"close": "Dana Weber"}, team=solo, assessment=blank)
    qms = service()
    with pytest.raises(qf.PermissionDenied) as denied:
        qms.incidents.import_case(old, imported_by="IT migration")
    text = str(denied.value)
    assert "step 1 of 6" in text and "'assess'" in text
    assert "assessment.regions" in text and "leader 'Dana Weber' alone" in text
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-1")  # nothing stored
    good = _closed_elsewhere(by={"close": "Dana Weber"}, team=jam_team(), assessment=FULL)
    assert qms.incidents.import_case(good, imported_by="IT migration").status.value == "closed"
    assert qms.audit.verify().ok


def test_an_imported_verification_by_the_owner_of_the_action_is_refused(service: Any) -> None:
    # Ana owns CA-1; in the old system she also recorded the verification.
    old = _closed_elsewhere(
        by={"close": "Dana Weber", "verified_by": "Ana Silva"}, team=jam_team(), assessment=FULL
    )
    qms = service(policy=RolePolicy({}, segregation_of_duties=True))
    with pytest.raises(qf.PermissionDenied, match=r"step 5 of 6.*'verify'.*owns corrective"):
        qms.incidents.import_case(old, imported_by="IT migration")
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-1")


def test_an_incident_closed_by_its_only_actor_is_not_imported_closed(service: Any) -> None:
    old = _closed_elsewhere(by={}, team=jam_team(), assessment=FULL)  # Lena did every step
    qms = service(policy=RolePolicy({}, segregation_of_duties=["closer_not_sole_actor"]))
    with pytest.raises(qf.PermissionDenied, match="second person closes it"):
        qms.incidents.import_case(old, imported_by="IT migration")


def test_under_strict_the_importer_needs_the_role_and_each_step_its_actor_s(
    service: Any,
) -> None:
    # The old QMS knew its users: each record keeps the actor's id beside the name.
    steps = ("assess", "contain", "investigate", "correct", "verify")
    old = _closed_elsewhere(
        by={"close": DANA, **dict.fromkeys(steps, LENA)}, team=jam_team(), assessment=FULL
    )
    assert old.history[0].actor == "Lena Ortiz" and old.history[0].actor_id == "lena"
    qms = service(policy=policies.STRICT, actors=[DANA, LENA, ANA])
    with pytest.raises(qf.PermissionDenied) as denied:
        qms.incidents.import_case(old, imported_by=LENA)  # an engineer may not import
    assert denied.value.action == "incident.import" and "qa_manager" in denied.value.roles
    # Dana may import; every step is then judged by its own actor's roles: the close was
    # Dana's (a QA manager), every other step Lena's (a quality engineer).
    got = qms.incidents.import_case(old, imported_by=DANA, reason="from the old QMS")
    assert got.status.value == "closed" and got.amendments[-1].actor == "Dana Weber"
    assert [r.actor_id for r in got.history] == ["lena"] * 5 + ["dana"]  # ids kept
    # A step by somebody the plant does not know (no roles) is refused under STRICT.
    stranger = old.model_copy(update={"id": "INC-2"})
    history = list(stranger.history)
    history[0] = history[0].model_copy(update={"actor": "Temp Worker", "actor_id": ""})
    stranger = stranger.model_copy(update={"history": history})
    with pytest.raises(qf.PermissionDenied, match=r"step 1 of 6.*Temp Worker"):
        qms.incidents.import_case(stranger, imported_by=DANA)
