"""The QualityFlow service, told as a biscuit plant's incident desk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.storage import MemoryStorage, SQLStorage
from qualityflow.testing import emergency_team

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def kg(amount: int) -> qf.Quantity:
    return qf.Quantity(amount=amount, unit="kg")


class Inbox:
    """A notifier that keeps what it receives and can be switched to fail."""

    def __init__(self, name: str, *, failing: bool = False) -> None:
        self.name = name
        self.failing = failing
        self.received: list[qf.Notification] = []

    @qf.hookimpl
    def qualityflow_notify(self, notification: qf.Notification) -> None:
        if self.failing:
            raise ConnectionError(f"{self.name} is unreachable")
        self.received.append(notification)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox("qa-inbox")


@pytest.fixture
def qms(url: str, inbox: Inbox) -> Iterator[qf.QualityFlow]:
    with qf.QualityFlow(url, plugins=[inbox], load_entry_points=False) as service:
        _stock_the_plant(service)
        yield service


def _stock_the_plant(qms: qf.QualityFlow) -> None:
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    qms.batches.add(
        qf.Batch(
            id="FLOUR-0412",
            kind="raw_material",
            product="wheat flour",
            quantity=kg(1000),
            supplier_id="SUP-MILL",
        )
    )
    qms.batches.add(
        qf.Batch(id="DOUGH-0301", kind="intermediate", product="biscuit dough", quantity=kg(800))
    )
    for id in ("BISC-0301", "BISC-0302", "BISC-0303"):
        qms.batches.add(
            qf.Batch(id=id, kind="finished", product="butter biscuits", quantity=kg(300))
        )
    qms.link("FLOUR-0412", "DOUGH-0301", kg(400))
    qms.link("DOUGH-0301", "BISC-0301", kg(300))
    qms.link("DOUGH-0301", "BISC-0302", kg(300))
    qms.shipments.add(
        qf.Shipment(
            id="SHIP-881",
            batch_id="BISC-0301",
            customer_id="CUST-FRESHMART",
            quantity=kg(120),
            shipped_at=T0 + timedelta(days=1),
            region="North",
        )
    )
    qms.incidents.add(
        qf.Incident(
            id="INC-14",
            title="Metal fragment found in biscuit pack",
            severity="critical",
            reported_at=T0,
            reported_by="Line 2 operator",
            batch_ids=["BISC-0301", "BISC-0302", "BISC-0303"],
        )
    )


LEADER = qf.TeamMember(name="Li Na", role="leader", department="quality")


def _assess(qms: qf.QualityFlow, *, recall: bool = False) -> qf.Incident:
    return qms.incidents.fire(
        "INC-14",
        "assess",
        actor="Li Na",
        at=T0 + timedelta(hours=1),
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-0301", "BISC-0302", "BISC-0303"],
            regions=["North"],
            risk="injury from metal",
            recall_required=recall,
            rationale="the affected lots reached the market",
        ),
    )


def _action(batch_id: str, action: str) -> qf.ContainmentAction:
    return qf.ContainmentAction.model_validate(
        {"batch_id": batch_id, "action": action, "by": "Li Na", "at": T0 + timedelta(hours=2)}
    )


def _status(qms: qf.QualityFlow, batch_id: str) -> str:
    return qms.batches.get(batch_id).status.value


# -- transitions, containment and notifications ------------------------------------------


def test_containment_sets_batch_statuses_in_the_same_transaction(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    _assess(qms, recall=True)
    incident = qms.incidents.fire(
        "INC-14",
        "contain",
        actor="Li Na",
        at=T0 + timedelta(hours=2),
        containment=[
            _action("BISC-0301", "recall"),
            _action("BISC-0302", "quarantine"),
            _action("BISC-0303", "stop_shipment"),
        ],
        recall=qf.RecallDecision(
            initiated_at=T0 + timedelta(hours=2),
            batch_ids=["BISC-0301"],
            customer_ids=["CUST-FRESHMART"],
            reason="metal fragment in shipped lot",
        ),
    )
    assert incident.status.value == "contained"
    assert incident.version == 3
    assert qf.verify_history(incident)
    assert [_status(qms, b) for b in ("BISC-0301", "BISC-0302", "BISC-0303")] == [
        "recalled",
        "quarantined",
        "on_hold",
    ]
    assert [(n.kind, n.subject_id) for n in inbox.received] == [
        ("transition", "INC-14"),
        ("transition", "INC-14"),
        ("recall", "INC-14"),
        ("batch_status", "BISC-0301"),
        ("batch_status", "BISC-0302"),
        ("batch_status", "BISC-0303"),
    ]
    assert "assessed -> contained" in inbox.received[1].title
    assert "released -> recalled" in inbox.received[3].title
    assert qms.deliver_pending() == []
    # Each status containment set is recorded like a hold or a release.
    entries = qms.batches.get("BISC-0302").attributes["status_changes"]
    assert isinstance(entries, list) and len(entries) == 1
    assert entries[0] == {
        "at": (T0 + timedelta(hours=2)).isoformat(),
        "by": "Li Na",
        "from": "released",
        "to": "quarantined",
        "reason": "contained by incident INC-14 (contain)",
        "incident": "INC-14",
        "trigger": "contain",
    }


def test_a_stricter_status_is_never_relaxed_by_a_later_hold(qms: qf.QualityFlow) -> None:
    # Another incident scraps BISC-0302 first.
    qms.incidents.add(
        qf.Incident(
            id="INC-13",
            title="Wet packs",
            severity="minor",
            reported_at=T0,
            batch_ids=["BISC-0302"],
        )
    )
    qms.incidents.fire(
        "INC-13",
        "assess",
        actor="Li Na",
        at=T0 + timedelta(minutes=30),
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(severity="minor", batch_ids=["BISC-0302"]),
    )
    qms.incidents.fire(
        "INC-13",
        "contain",
        actor="Li Na",
        at=T0 + timedelta(hours=2),
        containment=[_action("BISC-0302", "scrap")],
    )
    _assess(qms)
    qms.incidents.fire(
        "INC-14",
        "contain",
        actor="Li Na",
        at=T0 + timedelta(hours=2),
        containment=[
            _action("BISC-0301", "hold"),
            _action("BISC-0301", "quarantine"),
            _action("BISC-0302", "hold"),
            _action("BISC-0303", "hold"),
        ],
    )
    assert _status(qms, "BISC-0302") == "scrapped"
    assert _status(qms, "BISC-0301") == "quarantined"


def test_a_refused_trigger_changes_nothing(qms: qf.QualityFlow, inbox: Inbox) -> None:
    _assess(qms)
    before = qms.incidents.get("INC-14")
    with pytest.raises(qf.TransitionError) as refused:
        qms.incidents.fire(
            "INC-14", "contain", actor="Li Na", containment=[_action("BISC-0301", "hold")]
        )
    assert any("BISC-0302" in reason for reason in refused.value.reasons)
    assert qms.incidents.get("INC-14") == before
    assert _status(qms, "BISC-0301") == "released"
    assert len(inbox.received) == 1
    assert len(qms.storage.outbox(pending_only=False)) == 1


def test_containment_of_a_batch_not_on_file_is_refused_whole(qms: qf.QualityFlow) -> None:
    qms.incidents.add(
        qf.Incident(
            id="INC-15",
            title="Soap taste",
            severity="minor",
            reported_at=T0,
            batch_ids=["BISC-0999"],
        )
    )
    qms.incidents.fire(
        "INC-15",
        "assess",
        actor="Li Na",
        team=emergency_team(LEADER),
        assessment=qf.ImpactAssessment(severity="minor", batch_ids=["BISC-0999", "BISC-0301"]),
    )
    with pytest.raises(qf.TransitionError, match="BISC-0999"):
        qms.incidents.fire(
            "INC-15",
            "contain",
            actor="Li Na",
            containment=[_action("BISC-0999", "hold"), _action("BISC-0301", "hold")],
        )
    assert qms.incidents.get("INC-15").status.value == "assessed"
    assert _status(qms, "BISC-0301") == "released"


def test_status_changes_only_through_fire(qms: qf.QualityFlow) -> None:
    incident = qms.incidents.get("INC-14")
    incident.status = qf.IncidentStatus.CLOSED
    with pytest.raises(qf.TransitionError, match="fire"):
        qms.incidents.save(incident, actor="Li Na")
    incident = qms.incidents.get("INC-14")
    incident.description = "found by the metal detector on line 2"
    saved = qms.incidents.save(incident, actor="Li Na", reason="detail from the line")
    assert saved.version == 2
    (amendment,) = saved.amendments
    assert amendment.actor == "Li Na" and amendment.reason == "detail from the line"
    assert [(c.field, c.old, c.new) for c in amendment.changes] == [
        ("description", "", "found by the metal detector on line 2")
    ]


def test_an_incident_cannot_be_added_already_closed(qms: qf.QualityFlow) -> None:
    with pytest.raises(qf.TransitionError, match="initial state"):
        qms.incidents.add(
            qf.Incident(id="INC-99", title="Backdated", severity="minor", status="closed")
        )
    with pytest.raises(qf.NotFoundError):
        qms.incidents.get("INC-99")


def test_a_stale_save_is_a_concurrency_error(qms: qf.QualityFlow) -> None:
    mine = qms.incidents.get("INC-14")
    _assess(qms)
    mine.description = "typed while someone else assessed"
    with pytest.raises(qf.ConcurrencyError, match="INC-14"):
        qms.incidents.save(mine, actor="Li Na")
    assert qms.incidents.get("INC-14").description == ""


def test_complaints_fire_through_the_same_service(qms: qf.QualityFlow, inbox: Inbox) -> None:
    qms.complaints.add(
        qf.Complaint(
            id="CMP-77",
            customer_id="CUST-FRESHMART",
            channel="phone",
            received_at=T0,
            description="hard object in the biscuit",
            batch_ids=["BISC-0301"],
        )
    )
    contact = qf.Contact(
        at=T0 + timedelta(minutes=30),
        direction="outbound",
        channel="phone",
        message="Sorry; we are investigating and will call back today.",
        by="Service desk",
    )
    complaint = qms.complaints.fire(
        "CMP-77", "acknowledge", actor="Service desk", contacts=[contact]
    )
    assert complaint.status.value == "acknowledged"
    assert inbox.received[-1].subject_kind == "complaint"
    assert qms.complaints.list(status="acknowledged")[0].id == "CMP-77"


def test_an_escalated_complaint_is_listed_on_its_incident(qms: qf.QualityFlow) -> None:
    qms.complaints.add(
        qf.Complaint(
            id="CMP-78",
            customer_id="CUST-CORNER",
            channel="social_media",
            received_at=T0,
            description="photo of a metal shard in a biscuit",
        )
    )
    with pytest.raises(qf.TransitionError, match="INC-404"):
        qms.complaints.fire("CMP-78", "escalate", actor="Service desk", incident_id="INC-404")
    assert qms.complaints.get("CMP-78").incident_id is None
    complaint = qms.complaints.fire(
        "CMP-78", "escalate", actor="Service desk", incident_id="INC-14"
    )
    assert complaint.incident_id == "INC-14"
    assert complaint.status.value == "received"
    assert qms.incidents.get("INC-14").complaint_ids == ["CMP-78"]


# -- notifiers that fail -------------------------------------------------------------------


def test_a_failing_notifier_is_retried_and_never_stops_the_others(url: str) -> None:
    pager = Inbox("night-pager", failing=True)
    mail = Inbox("qa-mail")
    with qf.QualityFlow(url, plugins=[pager, mail], load_entry_points=False) as qms:
        _stock_the_plant(qms)
        incident = _assess(qms)
        assert incident.status.value == "assessed"  # committed despite the pager
        assert len(mail.received) == 1
        pending = qms.deliver_pending()
        assert len(pending) == 1
        assert pending[0].deliveries["night-pager"].attempts == 2
        assert pending[0].deliveries["qa-mail"].ok
        pager.failing = False
        assert qms.deliver_pending() == []
        assert [n.subject_id for n in pager.received] == ["INC-14"]
        assert len(mail.received) == 1  # not delivered twice
    with qf.QualityFlow(url, plugins=[pager, mail], load_entry_points=False) as reopened:
        if url != "memory://":
            assert reopened.deliver_pending() == []


def test_pending_notifications_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    pager = Inbox("night-pager", failing=True)
    with qf.QualityFlow(url, plugins=[pager], load_entry_points=False) as qms:
        _stock_the_plant(qms)
        _assess(qms)
    pager = Inbox("night-pager")
    with qf.QualityFlow(url, plugins=[pager], load_entry_points=False) as qms:
        assert qms.deliver_pending() == []
    assert [n.title for n in pager.received] == ["Incident INC-14: reported -> assessed (assess)"]


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []

    @qf.hookimpl
    def qualityflow_transitioned(self, entity: Any, record: qf.TransitionRecord) -> None:
        self.seen.append((entity.id, entity.version, record.dest))
        raise RuntimeError("observers cannot undo a committed transition")


def test_transitioned_sees_the_committed_entity(url: str) -> None:
    observer = Observer()
    with qf.QualityFlow(url, plugins=[observer], load_entry_points=False) as qms:
        _stock_the_plant(qms)
        _assess(qms)
        assert observer.seen == [("INC-14", 2, "assessed")]
        assert qms.incidents.get("INC-14").status.value == "assessed"


class CancelSignOff:
    @qf.hookimpl
    def qualityflow_extra_guards(self, lifecycle: Any, trigger: str, entity: Any) -> list[str]:
        if lifecycle is qf.INCIDENT_LIFECYCLE and trigger == "cancel" and not entity.lessons:
            return ["record why it was unfounded as a lesson before cancelling"]
        return []


def test_plugin_guards_join_the_lifecycle_reasons(url: str) -> None:
    with qf.QualityFlow(url, plugins=[CancelSignOff()], load_entry_points=False) as qms:
        _stock_the_plant(qms)
        with pytest.raises(qf.TransitionError) as refused:
            qms.incidents.fire("INC-14", "cancel", actor="Li Na")
        assert "record why it was unfounded as a lesson before cancelling" in (
            refused.value.reasons
        )
        assert len(refused.value.reasons) >= 2  # the built-in "needs a note" as well
        assert qms.incidents.get("INC-14").status.value == "reported"
        cancelled = qms.incidents.fire(
            "INC-14",
            "cancel",
            actor="Li Na",
            note="the fragment came from the customer's tin",
            lessons=["check the customer's packaging first"],
        )
        assert cancelled.status.value == "cancelled"


# -- suppliers and genealogy -------------------------------------------------------------


def test_a_suspended_suppliers_lot_needs_a_recorded_override(
    qms: qf.QualityFlow, inbox: Inbox
) -> None:
    qms.suppliers.decide(
        "SUP-MILL", "suspended", actor="QA manager", reason="mould in two flour lots"
    )
    assert inbox.received[-1].kind == "supplier_status"
    with pytest.raises(qf.GenealogyError, match=r"SUP-MILL.*suspended"):
        qms.link("FLOUR-0412", "BISC-0303")
    assert "BISC-0303" not in qms.trace_forward("FLOUR-0412").ids
    override = qf.LinkOverride(reason="lot re-tested by external lab", approver="QA manager")
    qms.link("FLOUR-0412", "BISC-0303", kg(50), override=override)
    assert "BISC-0303" in qms.trace_forward("FLOUR-0412").ids
    (edge,) = [e for e in qms.storage.edges() if e.output_id == "BISC-0303"]
    assert edge.override is not None and edge.override["approver"] == "QA manager"
    assert qf.verify_decisions(qms.suppliers.get("SUP-MILL"))


def test_links_refuse_unknown_lots_and_cycles(qms: qf.QualityFlow) -> None:
    with pytest.raises(qf.GenealogyError, match="SUGAR-0001"):
        qms.link("SUGAR-0001", "DOUGH-0301")
    with pytest.raises(qf.GenealogyError, match="cycle"):
        qms.link("BISC-0301", "FLOUR-0412")
    assert len(qms.storage.edges()) == 4


def test_held_batches_are_not_shipped(qms: qf.QualityFlow) -> None:
    qms.inspections.add(
        qf.Inspection(id="FQC-0302", batch_id="BISC-0302", stage="final", result="fail", at=T0)
    )
    assert _status(qms, "BISC-0302") == "on_hold"
    with pytest.raises(qf.GenealogyError, match="on_hold"):
        qms.shipments.add(
            qf.Shipment(
                id="SHIP-882",
                batch_id="BISC-0302",
                customer_id="CUST-CORNER",
                quantity=kg(10),
                shipped_at=T0,
            )
        )
    assert qms.shipments.list() == [qms.shipments.get("SHIP-881")]


def test_service_traces_agree_with_the_whole_genealogy(qms: qf.QualityFlow) -> None:
    whole = qms.genealogy
    assert qms.trace_forward("FLOUR-0412").ids == whole.trace_forward("FLOUR-0412").ids
    assert qms.trace_backward("SHIP-881").ids == {"BISC-0301", "DOUGH-0301", "FLOUR-0412"}
    assert qms.trace_forward("FLOUR-0412").path_to("SHIP-881") == [
        "FLOUR-0412",
        "DOUGH-0301",
        "BISC-0301",
        "SHIP-881",
    ]
    impact = qms.recall_impact("FLOUR-0412")
    assert impact.customer_ids == whole.recall_impact("FLOUR-0412").customer_ids
    assert impact.customer_ids == {"CUST-FRESHMART"}
    causes = qms.common_causes("BISC-0301", "BISC-0302")
    assert causes[0].id in {"DOUGH-0301", "FLOUR-0412"}
    with pytest.raises(qf.GenealogyError):
        qms.trace_forward("NO-SUCH-LOT")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=20), st.integers(0, 9))
def test_a_trace_loaded_from_storage_equals_the_full_trace(
    pairs: set[tuple[int, int]], start: int
) -> None:
    with qf.QualityFlow(load_entry_points=False) as qms:
        for i in range(10):
            qms.batches.add(
                qf.Batch(id=f"LOT-{i}", kind="intermediate", product="mix", quantity=kg(10))
            )
        for a, b in sorted(pairs):
            if a < b:
                qms.link(f"LOT-{a}", f"LOT-{b}")
        lot = f"LOT-{start}"
        assert qms.trace_forward(lot).ids == qms.genealogy.trace_forward(lot).ids
        assert qms.trace_backward(lot).ids == qms.genealogy.trace_backward(lot).ids


# -- deadlines ---------------------------------------------------------------------------


def test_overdue_deadlines_are_notified_once(qms: qf.QualityFlow, inbox: Inbox) -> None:
    late = qms.overdue(T0 + timedelta(days=3))
    assert {d.subject_id for d in late} == {"INC-14"}
    assert "assess" in [d.what for d in late]
    assert all(d.late_by is not None and d.late_by > timedelta(0) for d in late)
    again = qms.overdue(T0 + timedelta(days=3, hours=1))
    assert [d.what for d in again] == [d.what for d in late]
    overdue_notices = [n for n in inbox.received if n.kind == "overdue"]
    assert sorted(n.title.split(": ")[1].split()[0] for n in overdue_notices) == sorted(
        d.what for d in late
    )


class TwoHourContainment:
    """A toy factory's rule: critical incidents are contained within two hours."""

    @qf.hookimpl
    def qualityflow_deadline_policy(self, entity: Any) -> list[qf.Deadline] | None:
        if isinstance(entity, qf.Incident) and entity.severity.value == "critical":
            return [
                qf.Deadline(
                    subject_kind="incident",
                    subject_id=entity.id,
                    what="contain",
                    due=entity.reported_at + timedelta(hours=2),
                    severity=entity.severity,
                )
            ]
        return None


def test_a_plugin_deadline_policy_replaces_the_defaults(url: str) -> None:
    with qf.QualityFlow(url, plugins=[TwoHourContainment()], load_entry_points=False) as qms:
        _stock_the_plant(qms)
        qms.incidents.add(
            qf.Incident(id="INC-16", title="Loose eyes", severity="minor", reported_at=T0)
        )
        late = qms.overdue(T0 + timedelta(days=30))
        assert ("INC-14", "contain") in [(d.subject_id, d.what) for d in late]
        assert ("INC-14", "assess") not in [(d.subject_id, d.what) for d in late]
        assert "INC-16" in {d.subject_id for d in late}  # defaults for the rest


def test_closed_or_cancelled_incidents_are_never_overdue(qms: qf.QualityFlow) -> None:
    qms.incidents.fire("INC-14", "cancel", actor="Li Na", note="false alarm: tin lid shard")
    assert qms.overdue(T0 + timedelta(days=30)) == []


# -- repositories, URLs, lifetime ----------------------------------------------------------


def test_list_filters_on_any_field(qms: qf.QualityFlow) -> None:
    assert [b.id for b in qms.batches.list(supplier_id="SUP-MILL")] == ["FLOUR-0412"]
    assert [b.id for b in qms.batches.list(kind="finished", status="released")] == [
        "BISC-0301",
        "BISC-0302",
        "BISC-0303",
    ]
    assert [b.id for b in qms.batches.list(ids=["BISC-0302", "DOUGH-0301"])] == [
        "BISC-0302",
        "DOUGH-0301",
    ]
    with pytest.raises(TypeError, match="colour"):
        qms.batches.list(colour="red")


def test_repositories_refuse_the_wrong_record_type(qms: qf.QualityFlow) -> None:
    with pytest.raises(TypeError, match="Batch"):
        qms.batches.add(qf.Supplier(id="SUP-X", name="X"))  # type: ignore[arg-type]


def test_an_unknown_url_scheme_names_the_installed_ones() -> None:
    with pytest.raises(qf.StorageError) as caught:
        qf.QualityFlow("oracle://qms@plant/qms", load_entry_points=False)
    assert "'oracle'" in str(caught.value)
    for scheme in ("memory", "sqlite", "postgresql", "mysql"):
        assert scheme in str(caught.value)


class Vault:
    """A plugin backend: the plant's own scheme."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    @qf.hookimpl
    def qualityflow_register_storage(self, register: Any) -> None:
        def factory(url: str) -> qf.Storage:
            self.opened.append(url)
            return MemoryStorage(url)

        register("vault", factory)


def test_a_plugin_storage_scheme_is_usable_by_url() -> None:
    vault = Vault()
    with qf.QualityFlow("vault://line-2", plugins=[vault], load_entry_points=False) as qms:
        qms.suppliers.add(qf.Supplier(id="SUP-BOX", name="Carton Co"))
        assert qms.suppliers.get("SUP-BOX").name == "Carton Co"
    assert vault.opened == ["vault://line-2"]


def test_closing_the_service_closes_the_storage(tmp_path: Path) -> None:
    qms = qf.QualityFlow(f"sqlite:///{tmp_path / 'close.db'}", load_entry_points=False)
    with qms:
        qms.suppliers.add(qf.Supplier(id="SUP-BOX", name="Carton Co"))
    reopened = qf.QualityFlow(f"sqlite:///{tmp_path / 'close.db'}", load_entry_points=False)
    assert reopened.suppliers.get("SUP-BOX").version == 1
    reopened.close()


def test_the_service_never_freezes_the_garbage_collector(
    qms: qf.QualityFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long-running application asks for genealogies again and again; gc.freeze() on
    # every one would keep them all alive. The library never calls it.
    import gc

    frozen_before = gc.get_freeze_count()
    assert len(qms.genealogy) > 0
    qms.trace_forward("FLOUR-0412")
    assert gc.get_freeze_count() == frozen_before


def test_without_notifiers_a_fire_records_its_notice_delivered_in_the_same_commit(
    url: str,
) -> None:
    # A toy factory that switched its notifiers off: the transition notice is still queued
    # (a later deliver_pending has nothing to resend) and no second transaction is needed.
    with qf.QualityFlow(url, load_entry_points=False) as qms:
        qms.plugins.pm.unregister(name="notify.logging")
        assert qms.plugins.notifiers() == []
        qms.incidents.add(
            qf.Incident(
                id="INC-TEDDY-4",
                title="Loose eyes on teddy bears",
                severity="major",
                reported_at=datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc),
            )
        )
        commits: list[object] = []
        storage = qms.storage
        if isinstance(storage, SQLStorage):
            sa.event.listen(storage.engine, "commit", lambda conn: commits.append(conn))
        qms.incidents.fire(
            "INC-TEDDY-4",
            "assess",
            actor="QA Mira",
            team=emergency_team(qf.TeamMember(name="QA Mira", role="leader", department="quality")),
            assessment=qf.ImpactAssessment(
                severity="major",
                batch_ids=["TEDDY-0412"],
                risk="choking hazard",
                regions=["CN-31"],
                rationale="the affected lots reached the market",
            ),
        )
        if isinstance(storage, SQLStorage):
            assert len(commits) == 1
        [entry] = storage.outbox(pending_only=False)
        assert entry.delivered and entry.deliveries == {}
        assert entry.notification.subject_id == "INC-TEDDY-4"
        assert qms.deliver_pending() == []
