"""Nonconformance and disposition by quantity, as a quality engineer tells it.

Monday morning at the goods-in dock: 2,000 kg of wheat flour (80 sacks) from Northfield Mill
fail incoming inspection on moisture. The nonconformance opens with the lot held; the
review board splits it: 1,200 kg used under a concession the QA manager signs, 500 kg
re-dried (rework), 300 kg sent back to the mill. Each part is its own child lot, so when the
re-dried flour later turns out bad, its recall does not reach what went back to the mill.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli.nc import app as nc_cli
from qualityflow.errors import ProtectedFieldError
from qualityflow.lifecycle.nonconformance import NONCONFORMANCE_LIFECYCLE
from qualityflow.models.nonconformance import Disposition, Nonconformance
from qualityflow.service.nonconformances import CHILD_STATUS
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    Clock,
    emergency_team,
    server_url,
    temporary_database,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

LOT = "FLOUR-0412"
NC = "NC-IQC-0412"


def kg(n: int | str | Decimal) -> qf.Quantity:
    return qf.Quantity(amount=Decimal(str(n)), unit="kg")


def _server(env: str, label: str) -> Iterator[str]:
    try:
        with temporary_database(server_url(env)) as url:
            yield url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every backend: memory, a real SQLite file, PostgreSQL and MariaDB (fresh databases)."""
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    elif request.param == "postgresql":
        yield from _server(POSTGRESQL_ENV, "PostgreSQL")
    else:
        yield from _server(MYSQL_ENV, "MySQL/MariaDB")


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"


def _plant(url: str) -> qf.QualityFlow:
    qms = qf.QualityFlow(url, load_entry_points=False, clock=Clock(T0))
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    qms.batches.add(
        qf.Batch(
            id=LOT,
            kind="raw_material",
            product="wheat flour",
            quantity=kg(2000),
            supplier_id="SUP-MILL",
        )
    )
    return qms


def _fail_incoming(qms: qf.QualityFlow) -> None:
    plan = qf.sampling_plan(80, "2.5")  # 80 sacks of 25 kg
    qms.inspections.add(
        qf.Inspection(
            id="IQC-0412",
            batch_id=LOT,
            stage="incoming",
            result="fail",
            at=T0,
            inspector="QC Amira",
            characteristics=[
                qf.Characteristic(name="moisture", value=Decimal("15.8"), upper=14.5, unit="%")
            ],
            sample_size=plan.sample_size,
            accept=plan.accept,
            reject=plan.reject,
            defects=plan.reject,
        )
    )


@pytest.fixture
def qms(url: str) -> Iterator[qf.QualityFlow]:
    with _plant(url) as service:
        _fail_incoming(service)
        yield service


SPLIT = [
    Disposition(kind="use_as_is", quantity=kg(1200), approver="QA manager Li", note="bread only"),
    Disposition(kind="rework", quantity=kg(500), note="re-dry to 13.5 %"),
    Disposition(kind="return_to_supplier", quantity=kg(300)),
]


def _nothing_written(qms: qf.QualityFlow, outbox_before: int) -> None:
    nc = qms.nonconformances.get(NC)
    assert nc.status.value == "open" and nc.dispositions == [] and nc.history == []
    assert nc.version == 1
    assert [b.id for b in qms.batches.list()] == [LOT]
    assert qms.batches.get(LOT).status.value == "on_hold"
    assert qms.storage.edges() == []
    assert len(qms.storage.outbox(pending_only=False)) == outbox_before


# -- opening ---------------------------------------------------------------------------------


def test_a_failed_incoming_inspection_opens_a_nonconformance_with_the_lot_held(
    any_url: str,
) -> None:
    with _plant(any_url) as qms:
        _fail_incoming(qms)
        assert qms.batches.get(LOT).status.value == "on_hold"
        nc = qms.nonconformances.get(NC)
        assert nc.batch_id == LOT and nc.quantity == kg(2000)
        assert nc.inspection_id == "IQC-0412" and nc.supplier_id == "SUP-MILL"
        assert nc.characteristic == "moisture"
        assert "15.8 %" in nc.defect and "max 14.5" in nc.defect
        plan = qf.sampling_plan(80, "2.5")
        assert (
            f"{plan.reject} defective in a sample of {plan.sample_size} "
            f"(accept {plan.accept}, reject {plan.reject})"
        ) in nc.evidence
        assert nc.opened_by == "QC Amira" and nc.opened_at == T0
        assert [n.id for n in qms.nonconformances.list(batch_id=LOT)] == [NC]
        kinds = [e.notification.kind for e in qms.storage.outbox(pending_only=False)]
        assert "nonconformance" in kinds and "batch_status" in kinds


def test_the_nonconformance_opens_in_the_inspections_transaction(url: str) -> None:
    """If the nonconformance cannot be stored, the inspection and the hold are not either."""
    with _plant(url) as qms:
        qms.nonconformances.add(
            Nonconformance(
                id=NC, batch_id=LOT, quantity=kg(1), characteristic="x", defect="squatter"
            )
        )
        with pytest.raises(qf.StorageError, match="already exists"):
            _fail_incoming(qms)
        assert qms.inspections.list() == []
        assert qms.batches.get(LOT).status.value == "released"


def test_a_conditional_inspection_opens_one_without_holding_and_a_pass_opens_none(
    url: str,
) -> None:
    with _plant(url) as qms:
        qms.inspections.add(
            qf.Inspection(id="IQC-1", batch_id=LOT, stage="incoming", result="pass")
        )
        assert qms.nonconformances.list() == []
        qms.inspections.add(
            qf.Inspection(
                id="IQC-2",
                batch_id=LOT,
                stage="incoming",
                result="conditional",
                note="ash 0.62 % (max 0.60 %), accepted for biscuits",
            )
        )
        nc = qms.nonconformances.get("NC-IQC-2")
        assert nc.defect == "ash 0.62 % (max 0.60 %), accepted for biscuits"
        assert qms.batches.get(LOT).status.value == "released"


def test_opened_by_hand_for_flour_found_on_the_line(url: str) -> None:
    with _plant(url) as qms:
        with pytest.raises(qf.TransitionError, match="not in the unit of lot FLOUR-0412"):
            qms.nonconformances.open(
                LOT,
                characteristic="x",
                defect="y",
                actor="Tom",
                quantity=qf.Quantity(amount=3, unit="sack"),
            )
        with pytest.raises(qf.TransitionError, match="no more than lot FLOUR-0412's 2000 kg"):
            qms.nonconformances.open(
                LOT, characteristic="x", defect="y", actor="Tom", quantity=kg(2500)
            )
        with pytest.raises(qf.TransitionError, match="in the future"):
            qms.nonconformances.open(
                LOT, characteristic="x", defect="y", actor="Tom", at=T0 + timedelta(days=1)
            )
        assert qms.nonconformances.list() == []
        nc = qms.nonconformances.open(
            LOT,
            characteristic="foreign matter",
            defect="sack thread in the sifter",
            actor="Operator Tom",
            found_on="line 2 sifter",
            quantity=kg(250),
        )
        assert (nc.id, nc.found_on, nc.quantity) == ("NC-FLOUR-0412-1", "line 2 sifter", kg(250))
        assert qms.batches.get(LOT).status.value == "on_hold"


# -- disposition by quantity ----------------------------------------------------------------


def test_the_lot_is_split_into_concession_rework_and_return(any_url: str) -> None:
    with _plant(any_url) as qms:
        _fail_incoming(qms)
        qms.batches.add(
            qf.Batch(id="BREAD-77", kind="finished", product="farmhouse loaf", quantity=kg(2600))
        )
        nc = qms.nonconformances.dispose(NC, SPLIT, actor="MRB chair Ana", note="MRB 2026-11")
        assert nc.status.value == "dispositioned"
        ids = [d.lot_id for d in nc.dispositions]
        assert ids == [f"{LOT}/CONCESSION-1", f"{LOT}/REWORK-1", f"{LOT}/RETURN-1"]
        assert all(d.by == "MRB chair Ana" and d.at == T0 for d in nc.dispositions)
        children = {b.id: b for b in qms.batches.list() if b.id.startswith(f"{LOT}/")}
        assert {i: (b.quantity, b.status.value) for i, b in children.items()} == {
            f"{LOT}/CONCESSION-1": (kg(1200), "released"),
            f"{LOT}/REWORK-1": (kg(500), "on_hold"),
            f"{LOT}/RETURN-1": (kg(300), "quarantined"),
        }
        concession = children[f"{LOT}/CONCESSION-1"]
        assert concession.attributes["approver"] == "QA manager Li"
        assert concession.supplier_id == "SUP-MILL" and concession.product == "wheat flour"
        # the parts differ: the parent stays held, its material lives on in the children
        parent = qms.batches.get(LOT)
        assert parent.status.value == "on_hold"
        splits = parent.attributes["dispositions"]
        assert isinstance(splits, list)
        assert [(e["lot_id"], e["quantity"]) for e in splits] == [  # type: ignore[index,call-overload]
            (f"{LOT}/CONCESSION-1", {"amount": "1200", "unit": "kg"}),
            (f"{LOT}/REWORK-1", {"amount": "500", "unit": "kg"}),
            (f"{LOT}/RETURN-1", {"amount": "300", "unit": "kg"}),
        ]
        edges = {(e.input_id, e.output_id): e.quantity for e in qms.storage.edges()}
        assert edges == {(LOT, i): children[i].quantity for i in children}
        assert qms.trace_forward(LOT).ids == set(children)
        # the concession part goes into bread; the re-dried part turns out bad later
        qms.link(f"{LOT}/CONCESSION-1", "BREAD-77", kg(1200))
        impact = qms.recall_impact(f"{LOT}/REWORK-1")
        assert {b.id for b in impact.batches} == {f"{LOT}/REWORK-1"}
        assert f"{LOT}/RETURN-1" not in qms.trace_forward(f"{LOT}/REWORK-1").ids
        assert qms.trace_backward(f"{LOT}/RETURN-1").ids == {LOT}
        closed = qms.nonconformances.fire(NC, "close", actor="QA manager Li")
        assert closed.status.value == "closed"
        assert [r.trigger for r in closed.history] == ["dispose", "close"]
        assert qf.verify_history(closed)
        assert closed.history[0].entity == f"nonconformance/{NC}"
        assert closed.history[0].fields == ["dispositions"]
        assert closed.history[0].recorded_at == T0


def test_two_boards_disposing_at_once_never_exceed_the_held_quantity(any_url: str) -> None:
    """Two sessions (two services on SQL, threads on one memory store) race for 2000 kg."""
    import threading

    with _plant(any_url) as first:
        _fail_incoming(first)
        second = first if any_url == "memory://" else _plant_again(any_url)
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def board(qms: qf.QualityFlow, kind: str) -> None:
            barrier.wait()
            try:
                qms.nonconformances.dispose(
                    NC, [Disposition(kind=kind, quantity=kg(1200))], actor=f"board {kind}"
                )
                outcomes.append("ok")
            except (qf.TransitionError, qf.ConcurrencyError, qf.StorageError) as exc:
                outcomes.append(exc)

        threads = [
            threading.Thread(target=board, args=(first, "rework")),
            threading.Thread(target=board, args=(second, "scrap")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        if second is not first:
            second.close()
        assert sorted(map(str, outcomes)).count("ok") == 1, outcomes
        nc = first.nonconformances.get(NC)
        assert nc.dispositioned == kg(1200)
        children = [b for b in first.batches.list() if b.id.startswith(f"{LOT}/")]
        assert [b.quantity for b in children] == [kg(1200)]
        assert [e.output_id for e in first.storage.edges()] == [children[0].id]


def _plant_again(url: str) -> qf.QualityFlow:
    return qf.QualityFlow(url, load_entry_points=False, clock=Clock(T0))


def test_a_concession_needs_an_approver(qms: qf.QualityFlow) -> None:
    before = len(qms.storage.outbox(pending_only=False))
    unsigned = [Disposition(kind="use_as_is", quantity=kg(1200)), *SPLIT[1:]]
    with pytest.raises(qf.TransitionError) as err:
        qms.nonconformances.dispose(NC, unsigned, actor="Ana")
    assert err.value.reasons == [
        "disposition 1 uses 1200 kg as is (a concession) without an approver: name who "
        "approves the concession"
    ]
    _nothing_written(qms, before)


def test_over_disposition_is_refused_naming_the_quantities_and_writes_nothing(
    any_url: str,
) -> None:
    with _plant(any_url) as qms:
        _fail_incoming(qms)
        before = len(qms.storage.outbox(pending_only=False))
        too_much = [*SPLIT[:2], Disposition(kind="return_to_supplier", quantity=kg(400))]
        with pytest.raises(qf.TransitionError) as err:
            qms.nonconformances.dispose(NC, too_much, actor="Ana")
        assert err.value.trigger == "dispose" and err.value.state == "open"
        assert err.value.reasons == [
            "the dispositions add up to 2100 kg, more than the 2000 kg held by nonconformance "
            "NC-IQC-0412 (lot FLOUR-0412): reduce them by 100 kg"
        ]
        _nothing_written(qms, before)


def test_mixed_units_are_refused_and_write_nothing(any_url: str) -> None:
    with _plant(any_url) as qms:
        _fail_incoming(qms)
        before = len(qms.storage.outbox(pending_only=False))
        pounds = qf.Quantity(amount=660, unit="lb")
        mixed = [*SPLIT[:2], Disposition(kind="return_to_supplier", quantity=pounds)]
        with pytest.raises(qf.TransitionError) as err:
            qms.nonconformances.dispose(NC, mixed, actor="Ana")
        assert err.value.reasons == [
            "disposition 3 (return_to_supplier, 660 lb) is in 'lb' but nonconformance "
            "NC-IQC-0412 holds 2000 kg in 'kg': give every disposition in kg"
        ]
        _nothing_written(qms, before)


def test_quantity_arithmetic_refuses_mixed_units_too() -> None:
    nc = Nonconformance(
        id="NC-1",
        batch_id=LOT,
        quantity=kg(10),
        characteristic="x",
        defect="y",
        dispositions=[Disposition(kind="scrap", quantity=qf.Quantity(amount=1, unit="lb"))],
    )
    with pytest.raises(qf.errors.UnitMismatchError, match="'kg' and 'lb'"):
        _ = nc.dispositioned


def test_dispositions_in_several_steps_never_exceed_the_held_quantity(
    qms: qf.QualityFlow,
) -> None:
    qms.nonconformances.dispose(NC, [SPLIT[1]], actor="Ana")
    with pytest.raises(qf.TransitionError, match="the 2000 kg held"):
        qms.nonconformances.fire(NC, "close", actor="Li")
    with pytest.raises(qf.TransitionError, match="1500 kg of the 2000 kg held"):
        qms.nonconformances.fire(NC, "close", actor="Li")
    with pytest.raises(qf.TransitionError, match="add up to 2100 kg"):
        qms.nonconformances.dispose(NC, [Disposition(kind="scrap", quantity=kg(1600))], actor="Ana")
    with pytest.raises(qf.TransitionError, match="no disposition was given"):
        qms.nonconformances.dispose(NC, [], actor="Ana")
    with pytest.raises(qf.TransitionError, match="say who fires 'dispose'"):
        qms.nonconformances.dispose(NC, [SPLIT[1]], actor="  ")
    nc = qms.nonconformances.dispose(
        NC, [Disposition(kind="rework", quantity=kg(1500))], actor="Ana"
    )
    assert [d.lot_id for d in nc.dispositions] == [f"{LOT}/REWORK-1", f"{LOT}/REWORK-2"]
    assert nc.dispositioned == kg(2000) and nc.undispositioned == kg(0)
    assert [r.source + ">" + r.dest for r in nc.history] == [
        "open>dispositioned",
        "dispositioned>dispositioned",
    ]
    assert qms.batches.get(LOT).status.value == "on_hold"  # all rework: stays held
    assert qms.nonconformances.fire(NC, "close", actor="Li").status.value == "closed"


def test_two_nonconformances_cannot_dispose_of_more_than_the_lot(qms: qf.QualityFlow) -> None:
    found = qms.nonconformances.open(
        LOT, characteristic="foreign matter", defect="sack thread", actor="Operator Tom"
    )
    qms.nonconformances.dispose(
        found.id, [Disposition(kind="scrap", quantity=kg(1500))], actor="Ana"
    )
    with pytest.raises(qf.TransitionError) as err:
        qms.nonconformances.dispose(NC, [Disposition(kind="rework", quantity=kg(600))], actor="Ana")
    assert err.value.reasons == [
        "lot FLOUR-0412 holds 2000 kg in all and 1500 kg of it is already dispositioned by "
        "NC-FLOUR-0412-1: this nonconformance may dispose of at most 500 kg, not 600 kg"
    ]
    assert qms.nonconformances.get(NC).dispositions == []
    nc = qms.nonconformances.dispose(
        NC, [Disposition(kind="rework", quantity=kg(500))], actor="Ana"
    )
    assert nc.dispositioned == kg(500)


@pytest.mark.parametrize(
    ("kinds", "status"),
    [
        (["scrap", "scrap"], "scrapped"),
        (["use_as_is", "regrade"], "released"),
        (["return_to_supplier"], "quarantined"),
        (["rework", "scrap"], "on_hold"),
    ],
)
def test_the_lot_takes_the_status_its_parts_share(
    qms: qf.QualityFlow, kinds: list[str], status: str
) -> None:
    share = Decimal(2000) / len(kinds)
    parts = [
        Disposition(
            kind=k, quantity=kg(share), approver="QA manager Li" if k == "use_as_is" else None
        )
        for k in kinds
    ]
    qms.nonconformances.dispose(NC, parts, actor="Ana")
    assert qms.batches.get(LOT).status.value == status
    changes = qms.batches.get(LOT).attributes["status_changes"]
    if status != "on_hold":
        assert changes[-1]["nonconformance"] == NC  # type: ignore[index,call-overload]


def test_a_partial_disposition_leaves_the_lot_as_it_is(qms: qf.QualityFlow) -> None:
    qms.nonconformances.dispose(NC, [Disposition(kind="scrap", quantity=kg(300))], actor="Ana")
    assert qms.batches.get(LOT).status.value == "on_hold"
    assert qms.batches.get(f"{LOT}/SCRAP-1").status.value == "scrapped"


def test_a_regraded_part_becomes_the_lower_grade(qms: qf.QualityFlow) -> None:
    part = Disposition(kind="regrade", quantity=kg(2000), regrade_to="feed-grade flour")
    nc = qms.nonconformances.dispose(NC, [part], actor="Ana")
    child = qms.batches.get(f"{LOT}/REGRADE-1")
    assert child.product == "feed-grade flour" and nc.dispositions[0].regrade_to == child.product


def test_a_lot_contained_by_an_open_incident_is_not_used_as_is(qms: qf.QualityFlow) -> None:
    team = emergency_team(qf.TeamMember(name="Li", role="leader", department="quality"))
    assessment = qf.ImpactAssessment(
        severity="major",
        batch_ids=[LOT],
        regions=["none: the lot has not left the plant's warehouse"],
        risk="mould",
        recall_required=False,
        rationale="not shipped",
    )
    qms.incidents.add(qf.Incident(id="INC-9", title="Mouldy flour", severity="major"))
    qms.incidents.fire("INC-9", "assess", actor="Li", team=team, assessment=assessment)
    hold = qf.ContainmentAction(batch_id=LOT, action="quarantine", by="Li", at=T0)
    qms.incidents.fire("INC-9", "contain", actor="Li", containment=[hold])
    with pytest.raises(qf.TransitionError, match="contained by open incident INC-9"):
        qms.nonconformances.dispose(NC, SPLIT, actor="Ana")
    scrap = qms.nonconformances.dispose(
        NC, [Disposition(kind="scrap", quantity=kg(2000))], actor="Ana"
    )
    assert scrap.status.value == "dispositioned"


def test_dispose_only_through_dispose_and_escalate_links_an_incident(
    qms: qf.QualityFlow,
) -> None:
    with pytest.raises(qf.TransitionError, match=r"qms\.nonconformances\.dispose"):
        qms.nonconformances.fire(NC, "dispose", actor="Ana", dispositions=SPLIT)
    with pytest.raises(qf.TransitionError, match="incident 'INC-404' is not on file"):
        qms.nonconformances.fire(NC, "escalate", actor="Li", incident_id="INC-404")
    with pytest.raises(qf.TransitionError, match="no incident is linked"):
        qms.nonconformances.fire(NC, "escalate", actor="Li")
    qms.incidents.add(qf.Incident(id="INC-9", title="Wet flour from the mill", severity="minor"))
    nc = qms.nonconformances.fire(NC, "escalate", actor="Li", incident_id="INC-9")
    assert (nc.status.value, nc.incident_id) == ("open", "INC-9")


def test_the_status_and_history_change_only_through_the_lifecycle(qms: qf.QualityFlow) -> None:
    nc = qms.nonconformances.get(NC)
    nc.status = "closed"  # type: ignore[assignment]
    with pytest.raises(ProtectedFieldError, match=r"save\(\) cannot change status: use qms"):
        qms.nonconformances.save(nc, actor="Li")
    grown = qms.nonconformances.get(NC)
    grown.quantity = kg(2500)
    grown.dispositions = [Disposition(kind="scrap", quantity=kg(2500))]
    with pytest.raises(ProtectedFieldError) as err:
        qms.nonconformances.save(grown, actor="Li")
    assert err.value.fields == ["quantity", "dispositions"]
    assert err.value.reasons[1].startswith(
        "nonconformance 'NC-IQC-0412': save() cannot change dispositions: use "
        "qms.nonconformances.dispose(id, dispositions, actor=...)"
    )
    fresh = qms.nonconformances.get(NC)
    fresh.evidence += "; photo of the sacks on file"
    saved = qms.nonconformances.save(fresh, actor="Li", reason="photo filed")
    assert saved.version == 2
    assert [c.field for c in saved.amendments[-1].changes] == ["evidence"]
    with pytest.raises(qf.TransitionError, match="initial state"):
        qms.nonconformances.add(fresh.model_copy(update={"id": "NC-2", "status": "closed"}))
    with pytest.raises(qf.TransitionError, match="and no dispositions"):
        qms.nonconformances.add(
            fresh.model_copy(update={"id": "NC-2", "version": 0, "dispositions": SPLIT})
        )


class BigConcessionsNeedThePlantManager:
    """A company rule: more than 1,000 kg used as is needs the plant manager's signature."""

    @qf.hookimpl
    def qualityflow_extra_guards(self, lifecycle: Any, trigger: str, entity: Any) -> list[str]:
        if lifecycle.name != "nonconformance" or trigger != "dispose":
            return []
        return [
            f"{d.quantity} used as is needs the plant manager's approval"
            for d in entity.dispositions
            if d.kind.value == "use_as_is"
            and d.quantity > kg(1000)
            and d.approver != "Plant manager Wu"
        ]


def test_company_rules_join_the_disposition_guards() -> None:
    with qf.QualityFlow(
        plugins=[BigConcessionsNeedThePlantManager()], load_entry_points=False
    ) as qms:
        qms.batches.add(
            qf.Batch(id=LOT, kind="raw_material", product="wheat flour", quantity=kg(2000))
        )
        _fail_incoming(qms)
        with pytest.raises(qf.TransitionError) as err:
            qms.nonconformances.dispose(NC, SPLIT, actor="Ana")
        assert err.value.reasons == ["1200 kg used as is needs the plant manager's approval"]
        signed = [SPLIT[0].model_copy(update={"approver": "Plant manager Wu"}), *SPLIT[1:]]
        assert qms.nonconformances.dispose(NC, signed, actor="Ana").status.value == "dispositioned"


def test_the_lifecycle_is_plain_data_on_one_shared_machine() -> None:
    assert NONCONFORMANCE_LIFECYCLE.states == ["open", "dispositioned", "closed"]
    triggers = {t["trigger"] for t in NONCONFORMANCE_LIFECYCLE.transitions}
    assert triggers == {"dispose", "close", "escalate"}
    escalations = [t for t in NONCONFORMANCE_LIFECYCLE.transitions if t["trigger"] == "escalate"]
    assert escalations[0]["dest"] is None
    nc = Nonconformance(id="NC-1", batch_id=LOT, quantity=kg(10), characteristic="x", defect="y")
    assert NONCONFORMANCE_LIFECYCLE.allowed(nc) == []
    assert NONCONFORMANCE_LIFECYCLE.blockers(nc, "close") == [
        "a nonconformance cannot 'close' while it is 'open' (only from: dispositioned); from "
        "'open' the triggers are: dispose, escalate"
    ]
    assert "| `within_held_quantity` | `dispose`, `close` |" in (
        NONCONFORMANCE_LIFECYCLE.guard_table()
    )
    assert Nonconformance.model_validate_json(nc.model_dump_json()) == nc
    assert CHILD_STATUS[qf.models.nonconformance.DispositionKind.REWORK].value == "on_hold"


def test_the_docs_show_the_machines_as_they_are() -> None:
    import re

    from qualityflow.lifecycle.nonconformance import SCAR_LIFECYCLE

    page = Path(__file__).resolve().parents[1] / "docs" / "nonconformance.md"
    block = re.compile(r"<!-- generated: (\w+) -->\n(.*?)<!-- end generated -->", re.S)
    on_page = {m.group(1): m.group(2) for m in block.finditer(page.read_text(encoding="utf-8"))}
    expected = {}
    for name, lifecycle in (("nonconformance", NONCONFORMANCE_LIFECYCLE), ("scar", SCAR_LIFECYCLE)):
        expected[f"{name}_diagram"] = f"\n```mermaid\n{lifecycle.to_mermaid()}```\n\n"
        expected[f"{name}_guards"] = f"\n{lifecycle.guard_table()}\n"
    assert on_page == expected


def test_the_docs_code_runs_and_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    page = Path(__file__).resolve().parents[1] / "docs" / "nonconformance.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    exec(compile("\n".join(blocks), "docs/nonconformance.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2000 kg on_hold",
        "['FLOUR-0412/CONCESSION-1', 'FLOUR-0412/REWORK-1', 'FLOUR-0412/RETURN-1']",
        "SCAR-NC-IQC-0412 SUP-MILL",
    ]


# -- property: random splits ----------------------------------------------------------------

KINDS = ["use_as_is", "rework", "regrade", "return_to_supplier", "scrap"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    held=st.integers(min_value=1, max_value=5000),
    parts=st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.decimals(min_value="0.001", max_value="3000", places=3),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_random_splits_never_exceed_the_held_quantity(
    held: int, parts: list[tuple[str, Decimal]]
) -> None:
    with qf.QualityFlow(load_entry_points=False, clock=Clock(T0)) as qms:
        qms.batches.add(qf.Batch(id="LOT", kind="raw_material", product="flour", quantity=kg(held)))
        qms.inspections.add(qf.Inspection(id="I", batch_id="LOT", stage="incoming", result="fail"))
        asked = [
            Disposition(kind=k, quantity=kg(a), approver="QA" if k == "use_as_is" else None)
            for k, a in parts
        ]
        total = sum((a for _, a in parts), Decimal(0))
        try:
            nc = qms.nonconformances.dispose("NC-I", asked, actor="Ana")
        except qf.TransitionError as err:
            assert total > held
            assert f"add up to {kg(total)}" in err.reasons[0]
            assert qms.batches.list() == [qms.batches.get("LOT")]
            assert qms.storage.edges() == []
            assert qms.nonconformances.get("NC-I").dispositions == []
            return
        assert total <= held
        assert nc.dispositioned == kg(total) <= nc.quantity
        children = [b for b in qms.batches.list() if b.id != "LOT"]
        assert len(children) == len(parts)
        assert sum((b.quantity for b in children), kg(0)) == nc.dispositioned
        linked = [e.quantity for e in qms.storage.edges() if e.input_id == "LOT"]
        assert sum((q for q in linked if q is not None), kg(0)) == nc.dispositioned


# -- command line ---------------------------------------------------------------------------


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    import qualityflow.cli as cli

    cli.console.width = cli.err_console.width = 200
    result = CliRunner().invoke(nc_cli, [*args, "--db", db])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_nc_list_show_dispose_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    with _plant(db) as qms:
        _fail_incoming(qms)
    code, out, _ = _cli(db, "nc", "list")
    assert code == 0 and NC in out and "open" in out and "2000 kg" in out
    code, out, _ = _cli(db, "nc", "list", "--json")
    [listed] = json.loads(out)  # JSON and nothing else, ids and values as stored
    assert code == 0 and listed["id"] == NC and listed["status"] == "open"
    code, out, _ = _cli(db, "nc", "dispose", NC, "--part", "rework=2100", "--actor", "Ana")
    assert code == 1
    code, _, err = _cli(db, "nc", "dispose", NC, "--part", "rework=2100", "--actor", "Ana")
    assert "add up to 2100 kg, more than the 2000 kg held" in err
    code, _, err = _cli(db, "nc", "dispose", NC, "--part", "rework", "--actor", "Ana")
    assert code == 2 and "KIND=AMOUNT" in err
    code, out, err = _cli(
        db,
        "nc",
        "dispose",
        NC,
        "--part",
        "use_as_is=1200",
        "--part",
        "rework=500kg",
        "--part",
        "return_to_supplier=300",
        "--approver",
        "QA manager Li",
        "--actor",
        "Ana",
    )
    assert code == 0, err
    assert f"{LOT}/CONCESSION-1" in out and "dispositioned" in out
    code, out, _ = _cli(db, "nc", "show", NC)
    assert code == 0 and f"{LOT}/RETURN-1" in out and "300 kg" in out and "close" in out
    code, out, _ = _cli(db, "nc", "show", NC, "--json")
    assert json.loads(out)["dispositions"][1]["lot_id"] == f"{LOT}/REWORK-1"
    code, _, err = _cli(db, "nc", "show", "NC-404")
    assert code == 3 and "NC-404" in err


# -- the example ----------------------------------------------------------------------------


def test_the_example_tells_the_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["nonconformance.py"])  # not pytest's own options
    script = Path(__file__).resolve().parents[1] / "examples" / "nonconformance.py"
    out: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: out.append(" ".join(map(str, a))))
    runpy.run_path(str(script), run_name="__main__")
    text = "\n".join(out)
    for fact in (
        "NC-IQC-0412 opened: moisture",
        "2100 kg refused",
        "FLOUR-0412/REWORK-1 (500 kg, on_hold)",
        "recall of FLOUR-0412/REWORK-1 reaches: FLOUR-0412/REWORK-1",
        "SCAR-NC-IQC-0412 overdue",
        "SCAR-NC-IQC-0412 closed",
    ):
        assert fact in text, fact
    assert list(tmp_path.iterdir()) == []
