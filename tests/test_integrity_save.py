"""Attacks on save(): every field a rule relies on is refused, and nothing is written.

Issue 11, item 3 ("save() edits what the rules guard") and item 8 ("containment is
unaudited"). Each attack is what a careless or hostile application could do through the
public API: edit the record it loaded (in place, or with ``model_copy(update=...)``) and
save it. Each is refused with a :class:`~qualityflow.errors.ProtectedFieldError` that names
the field and the command to use instead; a reload shows the stored record unchanged and
the outbox holds nothing new. The attacks run on memory, a real SQLite file, and on
PostgreSQL and MariaDB when their servers answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.errors import ProtectedFieldError
from qualityflow.lifecycle import COMPLAINT_LIFECYCLE, INCIDENT_LIFECYCLE
from qualityflow.lifecycle.audit import seal, state_digest, verify_chain
from qualityflow.models import Amendment, ComplaintVerification, FieldChange, VerificationConclusion
from qualityflow.service import GUARD_READS, RELIED_ON
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    emergency_team,
    server_url,
    temporary_database,
    verified_information,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


def kg(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="kg")


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class Inbox:
    """A notifier that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[qf.Notification] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        self.received.append(notification)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    else:
        env = POSTGRESQL_ENV if request.param == "postgresql" else MYSQL_ENV
        try:
            with temporary_database(server_url(env)) as database_url:
                yield database_url
        except ConnectionError as exc:
            pytest.skip(f"{request.param} server does not answer: {exc}")


# The attacks of the issue run on the servers too (a fresh database each, ~1 s on PostgreSQL).
on_servers = pytest.mark.parametrize(
    "url", ["memory", "sqlite", "postgresql", "mysql"], indirect=True
)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def qms(url: str, inbox: Inbox) -> Iterator[qf.QualityFlow]:
    with qf.QualityFlow(url, plugins=[inbox], load_entry_points=False) as service:
        _stock(service)
        yield service


def _stock(qms: qf.QualityFlow) -> None:
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill", materials=["flour"]))
    qms.batches.add(
        qf.Batch(
            id="FLOUR-1",
            kind="raw_material",
            product="wheat flour",
            quantity=kg(1000),
            supplier_id="SUP-MILL",
        )
    )
    qms.batches.add(
        qf.Batch(id="MIX-1", kind="intermediate", product="biscuit dough", quantity=kg(800))
    )
    for id in ("BISC-1", "BISC-2"):
        qms.batches.add(
            qf.Batch(id=id, kind="finished", product="butter biscuits", quantity=kg(300))
        )


def _incident(qms: qf.QualityFlow, id: str = "INC-1", lot: str = "BISC-1") -> None:
    qms.incidents.add(
        qf.Incident(
            id=id,
            title="Metal fragment in biscuits",
            severity="critical",
            reported_at=T0,
            batch_ids=[lot],
        )
    )


def _contained(qms: qf.QualityFlow, id: str = "INC-1", lot: str = "BISC-1") -> qf.Incident:
    _incident(qms, id, lot)
    qms.incidents.fire(
        id,
        "assess",
        actor="Li Na",
        at=h(1),
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=[lot],
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    return qms.incidents.fire(
        id,
        "contain",
        actor="Li Na",
        at=h(2),
        containment=[qf.ContainmentAction(batch_id=lot, action="quarantine", by="Li Na", at=h(2))],
    )


ROOT_CAUSE = qf.RootCauseAnalysis(
    method="five_why",
    problem="metal fragment",
    whys=["sieve torn", "no sieve check on the night shift"],
    root_cause="no sieve check on the night shift",
    category="method",
    confirmed=True,
)


def _correcting(qms: qf.QualityFlow, id: str = "INC-1", lot: str = "BISC-1") -> qf.Incident:
    _contained(qms, id, lot)
    qms.incidents.fire(id, "investigate", actor="Li Na", at=h(3))
    return qms.incidents.fire(
        id,
        "correct",
        actor="Li Na",
        at=h(4),
        root_cause=ROOT_CAUSE,
        actions=[
            qf.CorrectiveAction(
                id=f"{id}-CA-1",
                description="Check the sieve every shift",
                owner="Ole Berg",
                department="production",
                due=date(2026, 3, 9),
            )
        ],
    )


def _closed(qms: qf.QualityFlow, id: str = "INC-1", lot: str = "BISC-1") -> qf.Incident:
    incident = _correcting(qms, id, lot)
    incident.actions[0].status = qf.ActionStatus.DONE
    incident.actions[0].done_at = h(5)
    qms.incidents.save(incident, actor="Ole Berg", reason="sieve checks introduced")
    qms.incidents.fire(id, "verify", actor="Li Na", at=h(6))
    return qms.incidents.fire(
        id,
        "close",
        actor="Li Na",
        at=h(7),
        verification=qf.Verification(
            effective=True, evidence="no fragment in 40 000 packs", verified_by="QA", at=h(6.5)
        ),
        lessons=["a sieve check belongs on every shift's checklist"],
    )


def _snapshot(qms: qf.QualityFlow, repo: Any, id: str) -> tuple[dict[str, Any], int]:
    return repo.get(id).model_dump(mode="json"), len(qms.storage.outbox(pending_only=False))


def _refused(
    qms: qf.QualityFlow, repo: Any, entity: Any, field: str, *commands: str, **kw: Any
) -> ProtectedFieldError:
    """Save ``entity``: it must be refused naming ``field`` and ``commands``, writing nothing."""
    before = _snapshot(qms, repo, entity.id)
    with pytest.raises(ProtectedFieldError) as refused:
        repo.save(entity, actor=kw.pop("actor", "Mallory"), reason="tidy up", **kw)
    err = refused.value
    assert field in err.fields, err
    text = str(err)
    assert field.split(".")[0] in text
    for command in commands:
        assert command in text, (command, text)
    assert isinstance(err, qf.TransitionError) and isinstance(err, qf.QualityFlowError)
    assert _snapshot(qms, repo, entity.id) == before, "a refused save wrote something"
    return err


# -- the attacks of issue 11 -----------------------------------------------------------------


@on_servers
def test_stripping_containment_to_release_the_lot_is_refused(qms: qf.QualityFlow) -> None:
    _contained(qms)
    assert qms.batches.get("BISC-1").status is qf.BatchStatus.QUARANTINED
    incident = qms.incidents.get("INC-1")
    incident.containment = []
    _refused(qms, qms.incidents, incident, "containment", "'contain'")
    # in place, and by model_copy
    incident = qms.incidents.get("INC-1")
    incident.containment.clear()
    _refused(qms, qms.incidents, incident, "containment", "fire(")
    stripped = qms.incidents.get("INC-1").model_copy(update={"containment": [], "recall": None})
    _refused(qms, qms.incidents, stripped, "containment")
    with pytest.raises(qf.TransitionError, match="open incident INC-1"):
        qms.batches.release("BISC-1", actor="Planner Joe", reason="line idle")
    assert qms.batches.get("BISC-1").status is qf.BatchStatus.QUARANTINED


@pytest.mark.parametrize(
    ("field", "wipe"),
    [
        ("lessons", []),
        ("verification", None),
        ("root_cause", None),
        ("actions", []),
    ],
)
def test_wiping_a_closed_incidents_evidence_is_refused(
    qms: qf.QualityFlow, field: str, wipe: object
) -> None:
    _closed(qms)
    incident = qms.incidents.get("INC-1")
    setattr(incident, field, wipe)
    err = _refused(qms, qms.incidents, incident, field, "closed", "reopen")
    assert err.trigger == "save" and err.state == "closed"
    wiped = qms.incidents.get("INC-1").model_copy(update={field: wipe})
    _refused(qms, qms.incidents, wiped, field)
    assert qf.verify_history(qms.incidents.get("INC-1"))


@on_servers
def test_in_place_edits_of_closed_evidence_are_refused(qms: qf.QualityFlow) -> None:
    _closed(qms)
    incident = qms.incidents.get("INC-1")
    incident.lessons[0] = "nothing to learn"
    _refused(qms, qms.incidents, incident, "lessons", "closed")
    incident = qms.incidents.get("INC-1")
    incident.actions[0].owner = "nobody"
    _refused(qms, qms.incidents, incident, "actions")
    incident = qms.incidents.get("INC-1")
    incident.actions[0].done_at = None
    incident.actions[0].status = qf.ActionStatus.OPEN
    _refused(qms, qms.incidents, incident, "actions")
    incident = qms.incidents.get("INC-1")
    assert incident.verification is not None and incident.root_cause is not None
    incident.verification.effective = False
    _refused(qms, qms.incidents, incident, "verification")
    incident = qms.incidents.get("INC-1")
    assert incident.root_cause is not None
    incident.root_cause.confirmed = False
    _refused(qms, qms.incidents, incident, "root_cause")


@on_servers
def test_releasing_a_quarantined_lot_by_save_is_refused(qms: qf.QualityFlow) -> None:
    _contained(qms)
    lot = qms.batches.get("BISC-1")
    lot.status = qf.BatchStatus.RELEASED
    _refused(qms, qms.batches, lot, "status", "qms.batches.release", "containment")
    copy = qms.batches.get("BISC-1").model_copy(update={"status": qf.BatchStatus.RELEASED})
    _refused(qms, qms.batches, copy, "status")
    with pytest.raises(qf.GenealogyError, match="quarantined"):
        qms.shipments.add(
            qf.Shipment(
                id="SHIP-1",
                batch_id="BISC-1",
                customer_id="SHOP-1",
                quantity=kg(10),
                shipped_at=h(3),
            )
        )


def test_the_status_change_audit_of_a_batch_cannot_be_edited(qms: qf.QualityFlow) -> None:
    _contained(qms)
    lot = qms.batches.get("BISC-1")
    changes = lot.attributes["status_changes"]
    assert isinstance(changes, list) and len(changes) == 1
    changes.clear()  # in place
    _refused(qms, qms.batches, lot, "attributes.status_changes", "release")
    lot = qms.batches.get("BISC-1")
    lot.attributes = {k: v for k, v in lot.attributes.items() if k != "status_changes"}
    _refused(qms, qms.batches, lot, "attributes.status_changes")
    # other attributes are free, and recorded
    lot = qms.batches.get("BISC-1")
    lot.attributes = {**lot.attributes, "pallet": "P-17"}
    saved = qms.batches.save(lot, actor="Warehouse Kim", reason="pallet label")
    assert [(c.field, c.old, c.new) for c in saved.amendments[-1].changes] == [
        ("attributes.pallet", None, "P-17")
    ]
    assert saved.status is qf.BatchStatus.QUARANTINED


def test_a_held_lots_kind_and_supplier_cannot_be_changed(qms: qf.QualityFlow) -> None:
    _contained(qms)
    lot = qms.batches.get("BISC-1")
    lot.kind = qf.BatchKind.RAW_MATERIAL  # a raw material needs no final inspection
    _refused(qms, qms.batches, lot, "kind", "release")


@on_servers
def test_lifting_a_supplier_suspension_by_save_is_refused(qms: qf.QualityFlow) -> None:
    qms.suppliers.decide("SUP-MILL", "suspended", actor="QA manager", reason="mould in flour")
    mill = qms.suppliers.get("SUP-MILL")
    mill.status = qf.SupplierStatus.APPROVED
    _refused(qms, qms.suppliers, mill, "status", "qms.suppliers.decide")
    mill = qms.suppliers.get("SUP-MILL")
    mill.decisions.clear()
    _refused(qms, qms.suppliers, mill, "decisions", "decide")
    copy = qms.suppliers.get("SUP-MILL").model_copy(
        update={"status": qf.SupplierStatus.APPROVED, "decisions": []}
    )
    err = _refused(qms, qms.suppliers, copy, "status")
    assert set(err.fields) == {"status", "decisions"}
    # nor by moving the lot away from the suspended supplier
    lot = qms.batches.get("FLOUR-1")
    lot.supplier_id = None
    _refused(qms, qms.batches, lot, "supplier_id", "override", "decide")
    with pytest.raises(qf.GenealogyError, match="suspended"):
        qms.link("FLOUR-1", "MIX-1", kg(100))
    assert qms.suppliers.get("SUP-MILL").status is qf.SupplierStatus.SUSPENDED
    # the descriptive fields stay free
    mill = qms.suppliers.get("SUP-MILL")
    mill.contact = "quality@northfield.example"
    assert qms.suppliers.save(mill, actor="Buyer Ann").contact == "quality@northfield.example"


def test_forged_supplier_evaluations_are_refused(qms: qf.QualityFlow) -> None:
    mill = qms.suppliers.get("SUP-MILL")
    mill.evaluations = [
        qf.SupplierEvaluation(period="2026-03", scores={"quality": 100}, weights={"quality": 1})
    ]
    _refused(qms, qms.suppliers, mill, "evaluations", "qms.suppliers.evaluate")


@pytest.mark.parametrize("field", ["status", "history", "amendments"])
def test_lifecycle_fields_and_the_audit_trail_are_never_saved(
    qms: qf.QualityFlow, field: str
) -> None:
    _contained(qms)
    incident = qms.incidents.get("INC-1")
    incident.title = "Metal fragment in butter biscuits"
    incident = qms.incidents.save(incident, actor="Li Na", reason="product named")
    if field == "status":
        incident.status = qf.IncidentStatus.CLOSED
        _refused(qms, qms.incidents, incident, "status", "qms.incidents.fire")
    elif field == "history":
        incident.history.pop()
        _refused(qms, qms.incidents, incident, "history", "fire")
    else:
        incident.amendments.clear()
        _refused(qms, qms.incidents, incident, "amendments", "written by the service")
        incident = qms.incidents.get("INC-1")
        forged = incident.amendments[0].model_copy(update={"actor": "someone else"})
        incident.amendments = [forged]
        _refused(qms, qms.incidents, incident, "amendments")


def test_links_between_complaints_and_incidents_change_only_by_escalation(
    qms: qf.QualityFlow,
) -> None:
    _incident(qms)
    qms.complaints.add(
        qf.Complaint(
            id="CMP-1",
            customer_id="SHOP-1",
            channel="phone",
            received_at=T0,
            description="metal in a biscuit",
        )
    )
    complaint = qms.complaints.get("CMP-1")
    complaint.incident_id = "INC-1"
    _refused(qms, qms.complaints, complaint, "incident_id", "qms.complaints.escalate")
    incident = qms.incidents.get("INC-1")
    incident.complaint_ids = ["CMP-1"]
    _refused(qms, qms.incidents, incident, "complaint_ids", "escalate")


def test_a_change_needs_an_actor_and_an_unchanged_save_writes_nothing(
    qms: qf.QualityFlow,
) -> None:
    _incident(qms)
    stored = qms.incidents.get("INC-1")
    assert qms.incidents.save(stored) == stored  # nothing changed: a no-op
    assert qms.incidents.get("INC-1").version == stored.version
    stored.title = "Metal in biscuits, line 2"
    for actor in ("", "   "):
        with pytest.raises(qf.TransitionError, match="actor"):
            qms.incidents.save(stored, actor=actor)
    assert qms.incidents.get("INC-1").title == "Metal fragment in biscuits"


def test_a_future_time_is_refused(qms: qf.QualityFlow) -> None:
    _incident(qms)
    stored = qms.incidents.get("INC-1")
    stored.title = "Metal in biscuits, line 2"
    future = qms.now() + qms.clock_tolerance + timedelta(minutes=1)
    with pytest.raises(qf.TransitionError, match="future"):
        qms.incidents.save(stored, actor="Li Na", at=future)
    with pytest.raises(qf.TransitionError, match="time zone"):
        qms.incidents.save(stored, actor="Li Na", at=datetime(2026, 3, 2, 8))
    # evidence dated in the future does not come in through save() either
    stored = qms.incidents.get("INC-1")
    stored.verification = qf.Verification(
        effective=True,
        evidence="fresh forever",
        verified_by="QA",
        at=datetime(2099, 1, 1, tzinfo=timezone.utc),
    )
    with pytest.raises(qf.TransitionError, match=r"verification\.at is 2099.*in the future"):
        qms.incidents.save(stored, actor="Li Na")
    stored = qms.incidents.get("INC-1")
    stored.detected_at = future
    with pytest.raises(qf.TransitionError, match="detected_at"):
        qms.incidents.save(stored, actor="Li Na")
    assert qms.incidents.get("INC-1").amendments == []


# -- what save() may do, and how it is recorded ---------------------------------------------


@on_servers
def test_each_accepted_change_is_a_sealed_amendment(qms: qf.QualityFlow) -> None:
    _contained(qms)
    incident = qms.incidents.get("INC-1")
    incident.title = "Metal fragment in butter biscuits"
    incident.product = "butter biscuits 200 g"
    first = qms.incidents.save(incident, actor="Li Na", reason="product named", at=h(2.5))
    first.description = "found by the metal detector on line 2"
    second = qms.incidents.save(first, actor="Ole Berg")
    assert second.version == first.version + 1
    a, b = second.amendments
    assert (a.actor, a.reason, a.at) == ("Li Na", "product named", h(2.5))
    assert [(c.field, c.old, c.new) for c in a.changes] == [
        ("title", "Metal fragment in biscuits", "Metal fragment in butter biscuits"),
        ("product", None, "butter biscuits 200 g"),
    ]
    assert [c.field for c in b.changes] == ["description"]
    assert a.entity == b.entity == "incident/INC-1"
    assert verify_chain(second.amendments) and b.prev_hash == a.hash
    assert b.state == state_digest(second)
    assert a.recorded_at is not None and b.recorded_at is not None
    assert b.recorded_at > a.recorded_at
    last_record = second.history[-1].recorded_at
    assert last_record is None or a.recorded_at > last_record
    assert qf.verify_history(second)


def test_evidence_is_free_until_a_transition_relies_on_it(qms: qf.QualityFlow) -> None:
    _contained(qms)
    qms.incidents.fire("INC-1", "investigate", actor="Li Na", at=h(3))
    draft = qms.incidents.get("INC-1")
    draft.root_cause = ROOT_CAUSE.model_copy(update={"confirmed": False})
    draft = qms.incidents.save(draft, actor="Mia Chen", reason="5-Why draft")
    assert draft.root_cause is not None
    draft.root_cause = ROOT_CAUSE
    assert qms.incidents.save(draft, actor="Mia Chen").root_cause == ROOT_CAUSE
    # the team was relied on by 'assess' in this round
    team = qms.incidents.get("INC-1")
    team.team = None
    err = _refused(qms, qms.incidents, team, "team", "'assess'", "reopen", "rework")
    assert "this round" in str(err)


def test_actions_progress_while_correcting_and_freeze_after_verify(qms: qf.QualityFlow) -> None:
    incident = _correcting(qms)
    # owner, department and due are what 'correct' checked; 'verify' may set new actions
    incident.actions[0].owner = "somebody else"
    _refused(qms, qms.incidents, incident, "actions", "'correct'", "fire(id, 'verify', actions=")
    incident = qms.incidents.get("INC-1")
    incident.actions = incident.actions[1:]
    _refused(qms, qms.incidents, incident, "actions")
    # progress to done, and a new action appended: accepted
    incident = qms.incidents.get("INC-1")
    incident.actions[0].status = qf.ActionStatus.DONE
    incident.actions[0].done_at = h(5)
    incident.actions.append(
        qf.CorrectiveAction(id="INC-1-CA-2", description="Train the night shift")
    )
    saved = qms.incidents.save(incident, actor="Ole Berg", reason="sieve check in place")
    assert [c.field for c in saved.amendments[-1].changes] == ["actions"]
    # done stays done
    saved.actions[0].done_at = None
    saved.actions[0].status = qf.ActionStatus.OPEN
    _refused(qms, qms.incidents, saved, "actions")
    incident = qms.incidents.get("INC-1")
    incident.actions[1].status = qf.ActionStatus.DONE
    incident = qms.incidents.save(incident, actor="Ole Berg")
    qms.incidents.fire("INC-1", "verify", actor="Li Na", at=h(6))
    verifying = qms.incidents.get("INC-1")
    verifying.actions[1].done_at = h(6)  # after 'verify' relied on it: refused
    _refused(qms, qms.incidents, verifying, "actions", "'verify'")


def test_a_new_round_frees_the_evidence_again(qms: qf.QualityFlow) -> None:
    _closed(qms)
    qms.incidents.fire("INC-1", "reopen", actor="Li Na", at=h(8), note="a fragment again")
    reopened = qms.incidents.get("INC-1")
    assert reopened.root_cause is not None
    reopened.root_cause = reopened.root_cause.model_copy(update={"confirmed": False})
    saved = qms.incidents.save(reopened, actor="Mia Chen", reason="new 5-Why")
    assert saved.root_cause is not None and not saved.root_cause.confirmed


def test_a_closed_incident_takes_new_lessons_and_preventive_actions(
    qms: qf.QualityFlow,
) -> None:
    closed = _closed(qms)
    spread = qf.spread_lesson(
        closed,
        "Check the sieve on every line",
        ["cracker line L3"],
        owner="Production manager Ines",
        department="production",
        due=date(2026, 4, 1),
    )
    closed.actions.extend(spread)
    closed.lessons.append("sieves wear faster on the night shift")
    closed.title = "Metal fragment in butter biscuits (line 2)"
    saved = qms.incidents.save(closed, actor="Production manager Ines", reason="lesson spread")
    assert [c.field for c in saved.amendments[-1].changes] == ["title", "actions", "lessons"]
    assert saved.status is qf.IncidentStatus.CLOSED and qf.verify_history(saved)
    # a cancelled incident's evidence is final too
    _incident(qms, "INC-2", "BISC-2")
    qms.incidents.fire("INC-2", "cancel", actor="Li Na", at=h(1), note="a bolt from the dryer")
    cancelled = qms.incidents.get("INC-2")
    cancelled.team = emergency_team(LEADER)
    _refused(qms, qms.incidents, cancelled, "team", "cancelled")


def test_acknowledged_contacts_only_grow_and_a_resolution_stays(qms: qf.QualityFlow) -> None:
    def contact(at: datetime, message: str) -> qf.Contact:
        return qf.Contact(
            at=at, direction="outbound", channel="phone", message=message, by="Service desk"
        )

    qms.complaints.add(
        qf.Complaint(
            id="CMP-1",
            customer_id="SHOP-1",
            channel="phone",
            received_at=T0,
            description="soft biscuits",
        )
    )
    qms.complaints.fire(
        "CMP-1", "acknowledge", actor="Service desk", at=h(1), contacts=[contact(h(1), "on it")]
    )
    complaint = qms.complaints.get("CMP-1")
    complaint.contacts[0] = contact(h(1), "we never said that")
    _refused(qms, qms.complaints, complaint, "contacts", "'acknowledge'", "reopen")
    complaint = qms.complaints.get("CMP-1")
    complaint.received_at = h(3)  # after the acknowledgement: it would no longer count
    _refused(qms, qms.complaints, complaint, "received_at", "'acknowledge'")
    complaint = qms.complaints.get("CMP-1")
    complaint.contacts.append(contact(h(2), "called back"))
    complaint.category = "texture"
    assert len(qms.complaints.save(complaint, actor="Service desk").contacts) == 2
    qms.complaints.fire("CMP-1", "verify", actor="Service desk", at=h(3))
    qms.complaints.fire(
        "CMP-1",
        "investigate",
        actor="QA",
        at=h(4),
        information_verification=verified_information(h(4)),
    )
    qms.complaints.fire(
        "CMP-1",
        "resolve",
        actor="QA",
        at=h(5),
        resolution=qf.Resolution(kind="refund", description="refunded", communicated_at=h(5)),
    )
    resolved = qms.complaints.get("CMP-1")
    resolved.resolution = None
    _refused(qms, qms.complaints, resolved, "resolution", "'resolve'")


# -- escalation ------------------------------------------------------------------------------


def _complaint(qms: qf.QualityFlow, id: str = "CMP-1") -> None:
    qms.complaints.add(
        qf.Complaint(
            id=id,
            customer_id="SHOP-1",
            channel="social_media",
            received_at=T0,
            description="photo of a metal shard",
            batch_ids=["BISC-1"],
            product="butter biscuits 200 g",
            severity="major",
        )
    )


@on_servers
def test_escalation_opens_the_incident_from_the_complaint(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    _complaint(qms)
    escalated = qms.complaints.escalate(
        "CMP-1", incident_id="INC-9", incident={"title": "Metal shard"}, actor="Care", at=h(1)
    )
    assert escalated.incident_id == "INC-9" and escalated.status.value == "received"
    opened = qms.incidents.get("INC-9")
    assert (opened.batch_ids, opened.severity.value, opened.product) == (
        ["BISC-1"],
        "major",
        "butter biscuits 200 g",
    )
    assert opened.reported_by == "Care" and "CMP-1" in opened.description
    assert opened.complaint_ids == ["CMP-1"]
    (amendment,) = opened.amendments  # the link is recorded on the incident too
    assert [(c.field, c.old, c.new) for c in amendment.changes] == [
        ("complaint_ids", [], ["CMP-1"])
    ]
    assert amendment.actor == "Care" and amendment.state == state_digest(opened)
    assert inbox.received[-1].kind == "transition"
    # a second escalation to the same incident is refused, by either route
    already = "already escalated to incident 'INC-9'"
    with pytest.raises(qf.TransitionError, match=already):
        qms.complaints.escalate("CMP-1", incident_id="INC-9", actor="Care")
    with pytest.raises(qf.TransitionError, match=already):
        qms.complaints.fire("CMP-1", "escalate", actor="Care", incident_id="INC-9")
    assert len(qms.complaints.get("CMP-1").history) == 1


def test_escalation_to_a_missing_incident_or_of_a_final_complaint_writes_nothing(
    qms: qf.QualityFlow,
) -> None:
    _complaint(qms)
    with pytest.raises(qf.TransitionError, match="not on file"):
        qms.complaints.escalate("CMP-1", incident_id="INC-404", actor="Care")
    with pytest.raises(qf.QualityFlowError, match="name the incident"):
        qms.complaints.escalate("CMP-1", actor="Care")
    _incident(qms)
    with pytest.raises(qf.QualityFlowError, match="already exists"):
        qms.complaints.escalate(
            "CMP-1", incident_id="INC-1", incident={"title": "again"}, actor="Care"
        )
    # the lifecycle refuses (no actor): the new incident is not left behind
    with pytest.raises(qf.TransitionError):
        qms.complaints.escalate(
            "CMP-1", incident_id="INC-5", incident={"title": "Metal shard"}, actor=" "
        )
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-5")
    assert qms.complaints.get("CMP-1").history == []
    # rejected complaints are final
    qms.complaints.add(
        qf.Complaint(
            id="CMP-2",
            customer_id="SHOP-2",
            channel="phone",
            received_at=T0,
            description="stale",
            rejection_reason="best-before date passed",
        )
    )
    told = qf.Contact(at=h(1), direction="outbound", channel="phone", message="x", by="Care")
    qms.complaints.fire("CMP-2", "acknowledge", actor="Care", at=h(1), contacts=[told])
    qms.complaints.fire("CMP-2", "verify", actor="Care", at=h(2))
    told_again = told.model_copy(update={"at": h(3)})
    qms.complaints.fire("CMP-2", "reject", actor="Care", at=h(3), contacts=[told, told_again])
    with pytest.raises(qf.TransitionError, match="rejected"):
        qms.complaints.escalate("CMP-2", incident_id="INC-1", actor="Care")
    assert qms.incidents.get("INC-1").complaint_ids == []


def test_a_closed_complaint_is_not_escalated() -> None:
    with qf.QualityFlow(load_entry_points=False) as qms:
        _complaint(qms)
        _incident(qms)
        contact = qf.Contact(at=h(1), direction="outbound", channel="phone", message="x", by="Care")
        qms.complaints.fire("CMP-1", "acknowledge", actor="Care", at=h(1), contacts=[contact])
        qms.complaints.fire("CMP-1", "verify", actor="Care", at=h(2))
        qms.complaints.fire(
            "CMP-1",
            "investigate",
            actor="Care",
            at=h(3),
            information_verification=verified_information(h(3)),
        )
        resolution = qf.Resolution(kind="refund", description="refund", communicated_at=h(4))
        qms.complaints.fire("CMP-1", "resolve", actor="Care", at=h(4), resolution=resolution)
        follow_up = qf.FollowUp(at=h(5), satisfied=True)
        qms.complaints.fire("CMP-1", "close", actor="Care", at=h(5), follow_up=follow_up)
        with pytest.raises(qf.TransitionError, match=r"closed .*reopen"):
            qms.complaints.escalate("CMP-1", incident_id="INC-1", actor="Care")
        assert qms.incidents.get("INC-1").complaint_ids == []


# -- containment is audited (item 8) -----------------------------------------------------------


@on_servers
def test_containment_and_a_recall_write_status_changes_and_notify(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    qms.inspections.add(
        qf.Inspection(id="FQC-1", batch_id="BISC-1", stage="final", result="fail", at=h(0.5))
    )
    _incident(qms)
    qms.incidents.fire(
        "INC-1",
        "assess",
        actor="Li Na",
        at=h(1),
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-1", "BISC-2"],
            recall_required=True,
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    qms.incidents.fire(
        "INC-1",
        "contain",
        actor="Dana Ruiz",
        at=h(2),
        containment=[
            qf.ContainmentAction(batch_id="BISC-1", action="quarantine", by="Li Na", at=h(2)),
            qf.ContainmentAction(batch_id="BISC-2", action="hold", by="Li Na", at=h(2)),
        ],
        recall=qf.RecallDecision(initiated_at=h(2), batch_ids=["BISC-2"], reason="in shops"),
    )
    held = qms.batches.get("BISC-1").attributes["status_changes"]
    assert isinstance(held, list) and len(held) == 2
    assert held[0]["inspection"] == "FQC-1"  # type: ignore[index, call-overload]
    assert held[1] == {
        "at": h(2).isoformat(),
        "by": "Dana Ruiz",
        "from": "on_hold",
        "to": "quarantined",
        "reason": "contained by incident INC-1 (contain)",
        "incident": "INC-1",
        "trigger": "contain",
    }
    assert qms.batches.get("BISC-2").attributes["status_changes"] == [
        {
            "at": h(2).isoformat(),
            "by": "Dana Ruiz",
            "from": "released",
            "to": "recalled",
            "reason": "recall decided by incident INC-1",
            "incident": "INC-1",
            "trigger": "contain",
        }
    ]
    statuses = [n for n in inbox.received if n.kind == "batch_status"]
    assert [(n.subject_id, n.title.split(": ")[1]) for n in statuses] == [
        ("BISC-1", "released -> on_hold"),
        ("BISC-1", "on_hold -> quarantined"),
        ("BISC-2", "released -> recalled"),
    ]
    outbox = qms.storage.outbox(pending_only=False)
    assert sum(e.notification.kind == "batch_status" for e in outbox) == 3
    assert qms.deliver_pending() == []


def test_a_refused_containment_writes_no_status_change(qms: qf.QualityFlow, inbox: Inbox) -> None:
    _incident(qms)
    qms.incidents.fire(
        "INC-1",
        "assess",
        actor="Li Na",
        at=h(1),
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-1"],
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
    )
    with pytest.raises(qf.TransitionError, match="BISC-404"):
        qms.incidents.fire(
            "INC-1",
            "contain",
            actor="Li Na",
            at=h(2),
            containment=[
                qf.ContainmentAction(batch_id="BISC-1", action="hold", by="Li Na", at=h(2)),
                qf.ContainmentAction(batch_id="BISC-404", action="hold", by="Li Na", at=h(2)),
            ],
        )
    lot = qms.batches.get("BISC-1")
    assert lot.status is qf.BatchStatus.RELEASED and "status_changes" not in lot.attributes
    assert not [n for n in inbox.received if n.kind == "batch_status"]
    assert not [
        e for e in qms.storage.outbox(pending_only=False) if e.notification.kind == "batch_status"
    ]


# -- the field map is what the guards read ---------------------------------------------------

_IBATCH = "BISC-1"
_VERIFIED = qf.Verification(effective=True, evidence="ok", verified_by="QA", at=h(6))


def _incident_bases() -> list[qf.Incident]:
    full = qf.Incident(
        id="INC-1",
        title="Metal",
        severity="critical",
        reported_at=T0,
        batch_ids=[_IBATCH],
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=[_IBATCH],
            recall_required=True,
            regions=["CN-31"],
            risk="injury to consumers",
            rationale="the affected lots reached the market",
        ),
        containment=[qf.ContainmentAction(batch_id=_IBATCH, action="hold", by="QA", at=h(2))],
        recall=qf.RecallDecision(initiated_at=h(2), batch_ids=[_IBATCH], reason="metal"),
        root_cause=ROOT_CAUSE,
        actions=[
            qf.CorrectiveAction(
                id="CA-1",
                description="sieve",
                owner="Ole",
                department="production",
                due=date(2026, 3, 9),
                status=qf.ActionStatus.DONE,
            )
        ],
        verification=_VERIFIED,
        lessons=["check the sieve"],
    )
    no_recall = full.model_copy(
        update={
            "recall": None,
            "assessment": full.assessment.model_copy(update={"recall_required": False})
            if full.assessment
            else None,
        }
    )
    ineffective = full.model_copy(
        update={"verification": _VERIFIED.model_copy(update={"effective": False})}
    )
    return [full, no_recall, ineffective]


def _incident_alternatives(base: qf.Incident) -> dict[str, list[Any]]:
    assert base.assessment is not None and base.root_cause is not None
    return {
        "team": [None],
        "assessment": [
            None,
            base.assessment.model_copy(update={"batch_ids": [_IBATCH, "BISC-2"]}),
            base.assessment.model_copy(update={"recall_required": True}),
        ],
        "containment": [[]],
        "recall": [None],
        "root_cause": [None, base.root_cause.model_copy(update={"confirmed": False})],
        "actions": [
            [],
            [base.actions[0].model_copy(update={"status": qf.ActionStatus.OPEN, "owner": None})],
        ],
        "verification": [
            None,
            _VERIFIED.model_copy(
                update={"effective": not (base.verification or _VERIFIED).effective}
            ),
        ],
        "lessons": [[]],
        "title": ["other"],
        "severity": [qf.Severity.MINOR],
        "reported_at": [T0 + timedelta(days=36500)],
        "reported_by": ["someone"],
        "detected_at": [h(1)],
        "batch_ids": [[], ["BISC-2"]],
        "description": ["other"],
        "product": ["biscuits"],
        "complaint_ids": [["CMP-1"]],
    }


def _complaint_bases() -> list[qf.Complaint]:
    return [
        qf.Complaint(
            id="CMP-1",
            customer_id="SHOP-1",
            channel="phone",
            received_at=T0,
            description="metal",
            contacts=[
                qf.Contact(at=h(1), direction="outbound", channel="phone", message="x", by="C")
            ],
            rejection_reason="not our product",
            resolution=qf.Resolution(kind="refund", description="refund", communicated_at=h(4)),
            follow_up=qf.FollowUp(at=h(5), satisfied=True),
            incident_id="INC-1",
            information_verification=verified_information(h(2)),
        ),
        qf.Complaint(
            id="CMP-2",
            customer_id="SHOP-1",
            channel="phone",
            received_at=T0,
            description="metal",
            contacts=[
                qf.Contact(at=h(1), direction="outbound", channel="phone", message="x", by="C")
            ],
            resolution=qf.Resolution(kind="refund", description="refund", communicated_at=h(4)),
            follow_up=qf.FollowUp(at=h(5), satisfied=True),
            incident_id="INC-1",
            information_verification=_NOT_OURS,
        ),
    ]


_NOT_OURS = ComplaintVerification(
    counterfeit_suspected=True,
    photo_evidence=True,
    conclusion="not_our_product",
    finding="the lot code is not one of ours",
    by="QA",
    at=h(2),
)


def _complaint_alternatives(base: qf.Complaint) -> dict[str, list[Any]]:
    assert base.resolution is not None
    return {
        "contacts": [[], [base.contacts[0].model_copy(update={"direction": qf.Direction.INBOUND})]],
        "received_at": [T0 + timedelta(days=36500)],
        "rejection_reason": [None],
        "information_verification": [
            None,
            _NOT_OURS,
            _NOT_OURS.model_copy(update={"conclusion": VerificationConclusion.INCONCLUSIVE}),
            verified_information(h(2)),
        ],
        "resolution": [None, base.resolution.model_copy(update={"communicated_at": None})],
        "follow_up": [None, qf.FollowUp(at=h(5), satisfied=None, attempts=0)],
        "incident_id": [None],
        "customer_id": ["SHOP-2"],
        "channel": [qf.Channel.EMAIL],
        "description": ["other"],
        "batch_ids": [["BISC-2"]],
        "severity": [qf.Severity.CRITICAL],
        "product": ["biscuits"],
        "category": ["taste"],
    }


@pytest.mark.parametrize("kind", ["incident", "complaint"])
def test_guard_reads_is_what_the_guards_read(kind: str) -> None:
    lifecycle = INCIDENT_LIFECYCLE if kind == "incident" else COMPLAINT_LIFECYCLE
    assert set(GUARD_READS[kind]) == set(lifecycle.guards), "every guard is mapped"
    bases: list[Any] = _incident_bases() if kind == "incident" else _complaint_bases()
    alternatives = _incident_alternatives if kind == "incident" else _complaint_alternatives
    skip = {"id", "status", "history", "amendments", "version"}
    fields = set(lifecycle.model.model_fields) - skip
    assert fields == set(alternatives(bases[0])), "every field has an alternative to try"
    for name, guard in lifecycle.guards.items():
        holding = [b for b in bases if guard(b, "a note") == []]
        assert holding, f"no base entity satisfies {name}"
        read = set()
        for base in holding:
            for field, values in alternatives(base).items():
                for value in values:
                    probe = base.model_copy(update={field: value})
                    if guard(probe, "a note"):
                        read.add(field)
        assert read == set(GUARD_READS[kind][name]), name


def test_relied_on_follows_from_the_transitions() -> None:
    assert RELIED_ON["incident"]["root_cause"] == {"correct", "close"}
    assert RELIED_ON["incident"]["actions"] == {"correct", "verify", "close"}
    assert RELIED_ON["incident"]["verification"] == {"close", "rework"}
    assert RELIED_ON["incident"]["lessons"] == {"close"}
    assert RELIED_ON["incident"]["team"] == {"assess"}
    assert RELIED_ON["complaint"]["contacts"] == {"acknowledge", "reject"}
    assert RELIED_ON["complaint"]["resolution"] == {"resolve", "close", "escalate"}


# -- property: random edits of a closed incident -------------------------------------------

_FREE = {
    "title",
    "description",
    "product",
    "reported_by",
    "detected_at",
    "batch_ids",
    "severity",
}
_GROWS = {"lessons", "actions"}

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
_edits = st.fixed_dictionaries(
    {},
    optional={
        "title": _text.map(lambda t: f"Metal {t}"),
        "description": _text,
        "product": st.none() | _text,
        "reported_by": _text,
        "detected_at": st.none() | st.just(h(0.5)),
        "batch_ids": st.lists(st.sampled_from(["BISC-1", "BISC-2"]), max_size=2),
        "severity": st.sampled_from(list(qf.Severity)),
        "lessons": st.sampled_from(["keep", "append", "drop", "edit"]),
        "actions": st.sampled_from(["keep", "append", "drop", "reopen", "reown"]),
        "verification": st.sampled_from(["keep", "none", "ineffective"]),
        "root_cause": st.sampled_from(["keep", "none", "unconfirmed"]),
        "containment": st.sampled_from(["keep", "none"]),
        "status": st.sampled_from(list(qf.IncidentStatus)),
        "complaint_ids": st.lists(st.just("CMP-1"), max_size=1),
    },
)


def _apply(incident: qf.Incident, edits: dict[str, Any]) -> qf.Incident:
    update: dict[str, Any] = {}
    for field, edit in edits.items():
        if field == "lessons":
            update[field] = {
                "keep": incident.lessons,
                "append": [*incident.lessons, "one more"],
                "drop": [],
                "edit": ["changed"],
            }[edit]
        elif field == "actions":
            extra = qf.CorrectiveAction(id="CA-9", description="spread", kind="preventive")
            first = incident.actions[0]
            update[field] = {
                "keep": incident.actions,
                "append": [*incident.actions, extra],
                "drop": [],
                "reopen": [
                    first.model_copy(update={"status": qf.ActionStatus.OPEN, "done_at": None})
                ],
                "reown": [first.model_copy(update={"owner": "nobody"})],
            }[edit]
        elif field == "verification":
            v = incident.verification
            assert v is not None
            update[field] = {
                "keep": v,
                "none": None,
                "ineffective": v.model_copy(update={"effective": False}),
            }[edit]
        elif field == "root_cause":
            r = incident.root_cause
            assert r is not None
            update[field] = {
                "keep": r,
                "none": None,
                "unconfirmed": r.model_copy(update={"confirmed": False}),
            }[edit]
        elif field == "containment":
            update[field] = incident.containment if edit == "keep" else []
        else:
            update[field] = edit
    edited = incident.model_copy(update=update)
    return qf.Incident.model_validate(edited.model_dump(mode="json"))


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(edits=_edits)
def test_random_edits_of_a_closed_incident_are_refused_or_recorded_exactly(
    edits: dict[str, Any],
) -> None:
    with qf.QualityFlow(load_entry_points=False) as qms:
        _stock(qms)
        stored = _closed(qms)
        edited = _apply(stored, edits)
        old = stored.model_dump(mode="json")
        new = edited.model_dump(mode="json")
        diff = [
            (name, old[name], new[name])
            for name in qf.Incident.model_fields
            if name not in ("version", "amendments") and old[name] != new[name]
        ]
        allowed = all(
            name in _FREE or (name in _GROWS and len(n) >= len(o) and n[: len(o)] == o)
            for name, o, n in diff
        )
        try:
            saved = qms.incidents.save(edited, actor="Mallory", reason="random")
        except ProtectedFieldError as refused:
            event("refused")
            assert not allowed, f"an allowed edit was refused: {refused}"
            refused_fields = set(refused.fields)
            assert refused_fields and refused_fields <= {name for name, _, _ in diff}
            assert qms.incidents.get("INC-1").model_dump(mode="json") == old
            return
        assert allowed, f"a guarded edit was accepted: {diff}"
        event("accepted, unchanged" if not diff else "accepted, amended")
        if not diff:
            assert saved.version == stored.version
            return
        amendment = saved.amendments[-1]
        assert [(c.field, c.old, c.new) for c in amendment.changes] == diff
        assert amendment.state == state_digest(saved)
        assert verify_chain(saved.amendments)
        assert qms.incidents.get("INC-1") == saved


def test_an_escalation_is_notified_only_once_it_has_committed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    seen: list[tuple[str, str | None, list[str]]] = []

    class Reader:
        """A notifier that reads the database through a second connection when called."""

        @qf.hookimpl
        def qualityflow_notify(self, notification: qf.Notification) -> None:
            with qf.QualityFlow(url, load_entry_points=False) as other:
                complaint = other.complaints.get("CMP-1")
                incident = other.incidents.get("INC-9")
                seen.append((notification.kind, complaint.incident_id, incident.complaint_ids))

    with qf.QualityFlow(url, plugins=[Reader()], load_entry_points=False) as qms:
        _complaint(qms)
        qms.complaints.escalate(
            "CMP-1", incident_id="INC-9", incident={"title": "Metal shard"}, actor="Care"
        )
    assert seen == [("transition", "INC-9", ["CMP-1"])]


# -- every field of every guarded kind, one by one ------------------------------------------
#
# A stored record in the state where most is at stake (a closed incident, a closed complaint,
# a lot quarantined by an open incident whose supplier is suspended, that supplier), and
# for each field a new value: free fields are amended, exactly; the rest refused, unchanged.


def _closed_complaint(qms: qf.QualityFlow) -> None:
    _complaint(qms)
    told = qf.Contact(at=h(1), direction="outbound", channel="phone", message="on it", by="C")
    qms.complaints.fire("CMP-1", "acknowledge", actor="Care", at=h(1), contacts=[told])
    qms.complaints.fire("CMP-1", "verify", actor="Care", at=h(2))
    qms.complaints.fire(
        "CMP-1",
        "investigate",
        actor="QA",
        at=h(3),
        information_verification=verified_information(h(3)),
    )
    resolution = qf.Resolution(kind="refund", description="refunded", communicated_at=h(4))
    qms.complaints.fire("CMP-1", "resolve", actor="QA", at=h(4), resolution=resolution)
    follow_up = qf.FollowUp(at=h(5), satisfied=True, score=5)
    qms.complaints.fire("CMP-1", "close", actor="Care", at=h(5), follow_up=follow_up)


def _held_lot(qms: qf.QualityFlow) -> None:
    _contained(qms, "INC-1", "FLOUR-1")
    qms.suppliers.decide("SUP-MILL", "suspended", actor="QA manager", reason="mould")


def _forged(entity: Any) -> list[Amendment]:
    """The stored amendments and one more, forged by the caller (sealed like a real one)."""
    forged = Amendment(
        at=h(1),
        actor="Mallory",
        reason="nobody will notice",
        changes=[FieldChange(field="status", old="suspended", new="approved")],
    )
    return [
        *entity.amendments,
        seal(forged, entity.amendments[-1].hash if entity.amendments else ""),
    ]


_EVERY_FIELD: dict[str, tuple[Any, dict[str, tuple[bool, Any]]]] = {
    # kind: (set-up, {field: (free?, new value or a function of the stored record)})
    "incident": (
        _closed,
        {
            "title": (True, "Metal fragment in butter biscuits"),
            "severity": (True, qf.Severity.MAJOR),
            # when it was reported is a fact the report deadline counts from
            "reported_at": (False, T0 - timedelta(hours=1)),
            "reported_by": (True, "Line 2 operator"),
            "detected_at": (True, T0 - timedelta(minutes=30)),
            "batch_ids": (True, ["BISC-1", "BISC-2"]),
            "description": (True, "found by the metal detector"),
            "product": (True, "butter biscuits 200 g"),
            "status": (False, qf.IncidentStatus.INVESTIGATING),
            "complaint_ids": (False, ["CMP-9"]),
            "team": (False, None),
            "assessment": (False, None),
            "containment": (False, []),
            "recall": (
                False,
                qf.RecallDecision(initiated_at=h(2), batch_ids=["BISC-1"], reason="metal"),
            ),
            "root_cause": (False, None),
            "actions": (False, []),
            "verification": (False, None),
            "lessons": (False, ["something else"]),
            "history": (False, lambda e: e.history[:-1]),
            "amendments": (False, lambda e: _forged(e)),
        },
    ),
    "complaint": (
        _closed_complaint,
        {
            "customer_id": (True, "SHOP-9"),
            "channel": (True, qf.Channel.EMAIL),
            "description": (True, "photo of a metal shard in a biscuit"),
            "batch_ids": (True, ["BISC-1", "BISC-2"]),
            "severity": (True, qf.Severity.CRITICAL),
            "product": (True, "butter biscuits"),
            "category": (True, "foreign body"),
            "received_at": (False, T0 - timedelta(days=1)),
            "status": (False, qf.ComplaintStatus.INVESTIGATING),
            "contacts": (False, []),
            "resolution": (False, None),
            "follow_up": (False, None),
            "rejection_reason": (False, "not ours"),
            "information_verification": (False, None),
            "incident_id": (False, "INC-1"),
            "history": (False, lambda e: e.history[:-1]),
            "amendments": (False, lambda e: _forged(e)),
        },
    ),
    "batch": (
        _held_lot,
        {
            "product": (True, "wheat flour T550"),
            "quantity": (True, kg(990)),
            "line": (True, "silo 2"),
            "produced_at": (True, T0 - timedelta(days=3)),
            "attributes": (True, lambda e: {**e.attributes, "moisture": "13.9 %"}),
            "kind": (False, qf.BatchKind.INTERMEDIATE),
            "status": (False, qf.BatchStatus.RELEASED),
            "supplier_id": (False, None),
            "amendments": (False, lambda e: _forged(e)),
        },
    ),
    "supplier": (
        _held_lot,
        {
            "name": (True, "Northfield Mill Ltd"),
            "materials": (True, ["flour", "bran"]),
            "country": (True, "GB"),
            "contact": (True, "qa@northfield.example"),
            "status": (False, qf.SupplierStatus.APPROVED),
            "decisions": (False, []),
            "evaluations": (
                False,
                [qf.SupplierEvaluation(period="2026-03", scores={"q": 99}, weights={"q": 1})],
            ),
            "amendments": (False, lambda e: _forged(e)),
        },
    ),
}
_IDS = {"incident": "INC-1", "complaint": "CMP-1", "batch": "FLOUR-1", "supplier": "SUP-MILL"}
_MODELS: dict[str, type[Any]] = {
    "incident": qf.Incident,
    "complaint": qf.Complaint,
    "batch": qf.Batch,
    "supplier": qf.Supplier,
}


@pytest.mark.parametrize("kind", list(_EVERY_FIELD))
def test_the_field_tables_cover_every_field(kind: str) -> None:
    fields = set(_MODELS[kind].model_fields) - {"id", "version"}
    assert set(_EVERY_FIELD[kind][1]) == fields


@pytest.mark.parametrize(
    ("kind", "field"), [(k, f) for k, (_, table) in _EVERY_FIELD.items() for f in table]
)
def test_every_field_through_save(qms: qf.QualityFlow, kind: str, field: str) -> None:
    set_up, table = _EVERY_FIELD[kind]
    set_up(qms)
    if kind == "batch":
        # the supplier's suspension makes the lot's supplier_id part of the link rule
        assert qms.batches.get("FLOUR-1").status is qf.BatchStatus.QUARANTINED
    repo = getattr(qms, f"{kind}s" if kind != "batch" else "batches")
    stored = repo.get(_IDS[kind])
    free, value = table[field]
    new_value = value(stored) if callable(value) else value
    assert getattr(stored, field) != new_value, "the test must change the field"
    edited = stored.model_copy(update={field: new_value})
    if not free:
        name = "attributes.status_changes" if field == "attributes" else field
        _refused(qms, repo, edited, name, "save() cannot change" if field != "amendments" else "")
        return
    saved = repo.save(edited, actor="QA Lena", reason=f"correct the {field}")
    old, new = stored.model_dump(mode="json"), saved.model_dump(mode="json")
    changes = [(c.field, c.old, c.new) for c in saved.amendments[-1].changes]
    if field == "attributes":
        assert changes == [("attributes.moisture", None, "13.9 %")]
    else:
        assert changes == [(field, old[field], new[field])]
    assert saved.amendments[-1].state == state_digest(saved)
    assert verify_chain(saved.amendments)
    assert repo.get(_IDS[kind]).model_dump(mode="json") == new


# -- the information verification is recorded only with the trigger it decides (issue 16) --


def _verifying_complaint(qms: qf.QualityFlow) -> None:
    _complaint(qms)
    told = qf.Contact(at=h(1), direction="outbound", channel="phone", message="on it", by="C")
    qms.complaints.fire("CMP-1", "acknowledge", actor="Care", at=h(1), contacts=[told])
    qms.complaints.fire("CMP-1", "verify", actor="Care", at=h(2))


@on_servers
def test_a_verification_slipped_in_by_save_model_copy_or_in_place_edit_is_refused(
    qms: qf.QualityFlow,
) -> None:
    _verifying_complaint(qms)
    verified = verified_information(h(3))
    # in place, on the object get() returned
    complaint = qms.complaints.get("CMP-1")
    complaint.information_verification = verified
    _refused(qms, qms.complaints, complaint, "information_verification", "'investigate'")
    # model_copy (no validation) and a re-validated copy
    stored = qms.complaints.get("CMP-1")
    copied = stored.model_copy(update={"information_verification": verified})
    _refused(qms, qms.complaints, copied, "information_verification", "'reject'")
    rebuilt = qf.Complaint.model_validate(
        {**stored.model_dump(), "information_verification": verified.model_dump()}
    )
    _refused(qms, qms.complaints, rebuilt, "information_verification")
    # the edited object does not reach the stored one (a plant that verifies every
    # complaint first still finds none on file)
    assert qms.complaints.get("CMP-1").information_verification is None
    assert (
        qms.policy.check(qf.Actor(id="QA"), "complaint.investigate", qms.complaints.get("CMP-1"))
        == []
    )  # the open default asks it of 12315 complaints only
    strict = qf.RolePolicy(verify_information=True)
    assert strict.check(qf.Actor(id="QA"), "complaint.investigate", qms.complaints.get("CMP-1"))
    done = qms.complaints.fire(
        "CMP-1", "investigate", actor="QA", at=h(3), information_verification=verified
    )
    assert done.status is qf.ComplaintStatus.INVESTIGATING
    assert done.history[-1].fields == ["information_verification"]
    # once relied on, it cannot be swapped for a different finding or wiped either
    for other in (None, _NOT_OURS):
        later = qms.complaints.get("CMP-1")
        later.information_verification = other
        _refused(qms, qms.complaints, later, "information_verification")
    assert qms.audit.verify().ok


@on_servers
def test_a_verification_cannot_be_given_with_another_trigger(qms: qf.QualityFlow) -> None:
    _complaint(qms)
    told = qf.Contact(at=h(1), direction="outbound", channel="phone", message="on it", by="C")
    with pytest.raises(qf.TransitionError, match="information_verification"):
        qms.complaints.fire(
            "CMP-1",
            "acknowledge",
            actor="Care",
            at=h(1),
            contacts=[told],
            information_verification=verified_information(h(1)),
        )
    assert qms.complaints.get("CMP-1").status is qf.ComplaintStatus.RECEIVED
