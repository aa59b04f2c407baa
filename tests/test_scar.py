"""Supplier corrective action requests (SCAR), as the supplier quality engineer tells it.

The 300 kg of wet flour go back to Northfield Mill with a SCAR: the mill has two weeks to
say how it contained the problem, what the root cause was and what it changes. It does not
answer in time, so the SCAR shows up as overdue and costs the mill on its scorecard; when
it answers, a thin first answer is sent back, the second one is verified and closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli.nc import app as nc_cli
from qualityflow.errors import ProtectedFieldError
from qualityflow.lifecycle.nonconformance import SCAR_LIFECYCLE
from qualityflow.models.nonconformance import Disposition, SupplierAction, SupplierResponse
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, Clock, server_url, temporary_database

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LOT = "FLOUR-0412"
NC = "NC-IQC-0412"
SCAR = "SCAR-NC-IQC-0412"
DUE = date(2026, 3, 16)  # two weeks


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


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
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    elif request.param == "postgresql":
        yield from _server(POSTGRESQL_ENV, "PostgreSQL")
    else:
        yield from _server(MYSQL_ENV, "MySQL/MariaDB")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


def _plant(url: str, clock: Clock) -> qf.QualityFlow:
    qms = qf.QualityFlow(url, load_entry_points=False, clock=clock)
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
    qms.inspections.add(
        qf.Inspection(
            id="IQC-0412",
            batch_id=LOT,
            stage="incoming",
            result="fail",
            at=T0,
            characteristics=[
                qf.Characteristic(name="moisture", value=Decimal("15.8"), upper=14.5, unit="%")
            ],
        )
    )
    qms.nonconformances.dispose(
        NC,
        [
            Disposition(kind="use_as_is", quantity=kg(1200), approver="QA manager Li"),
            Disposition(kind="rework", quantity=kg(500)),
            Disposition(kind="return_to_supplier", quantity=kg(300)),
        ],
        actor="MRB chair Ana",
    )
    return qms


@pytest.fixture
def qms(url: str, clock: Clock) -> Iterator[qf.QualityFlow]:
    with _plant(url, clock) as service:
        yield service


def _answer(at: datetime, **changes: str) -> SupplierResponse:
    fields = {
        "containment": "held the 3 other lots milled on 27 Feb; re-tested moisture",
        "root_cause": "dryer 2 thermocouple drifted 6 K low after a bearing change",
        "corrective_action": "thermocouple replaced; calibration after every maintenance",
        "evidence": "calibration certificate CAL-2231, moisture log week 10",
        "responded_by": "Mill QA Bo",
        "responded_at": at.isoformat(),
        **changes,
    }
    return SupplierResponse.model_validate_json(json.dumps(fields))


def test_a_scar_goes_to_the_mill_overdue_when_unanswered_closed_after_verification(
    qms: qf.QualityFlow, clock: Clock
) -> None:
    scar = qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
    assert (scar.id, scar.supplier_id, scar.nonconformance_ids) == (SCAR, "SUP-MILL", [NC])
    assert scar.requested_at == T0 and scar.status.value == "requested"
    assert "moisture" in scar.description and "300" not in scar.id
    assert [s.id for s in qms.supplier_actions.list(supplier_id="SUP-MILL")] == [SCAR]

    # The supplier 8D's clocks: acknowledged within one working day (Tuesday), contained
    # within two (Wednesday), the full answer by the due day. On Tuesday evening nothing
    # is late; a day after the due day all three are.
    assert qms.overdue(datetime(2026, 3, 3, 23, 59, tzinfo=timezone.utc)) == []
    thursday = {d.what for d in qms.overdue(datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc))}
    assert thursday == {"acknowledge", "contain"}
    clock.advance(days=16)
    late = sorted(qms.overdue(clock.now), key=lambda d: d.due)
    assert [(d.subject_kind, d.subject_id, d.what) for d in late] == [
        ("supplier_action", SCAR, "acknowledge"),
        ("supplier_action", SCAR, "contain"),
        ("supplier_action", SCAR, "respond"),
    ]
    assert [d.due.date() for d in late] == [date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 17)]
    assert late[-1].late_by == timedelta(days=1, hours=6)
    titles = [e.notification.title for e in qms.storage.outbox(pending_only=False)]
    assert f"Supplier action {SCAR}: respond overdue (due 2026-03-17T00:00:00+00:00)" in titles

    qms.supplier_actions.fire(SCAR, "acknowledge", actor="Mill QA Bo")
    still = sorted(d.what for d in qms.overdue(clock.now))
    assert still == ["contain", "respond"]  # acknowledged, still no answer
    with pytest.raises(qf.TransitionError, match="has not responded yet"):
        qms.supplier_actions.fire(SCAR, "respond", actor="Mill QA Bo")
    thin = _answer(clock.now, corrective_action="operators told to be careful")
    qms.supplier_actions.fire(SCAR, "respond", actor="Mill QA Bo", response=thin)
    assert qms.overdue(clock.now) == []

    with pytest.raises(qf.TransitionError, match="what the response lacks"):
        qms.supplier_actions.fire(SCAR, "reject", actor="SQE Priya")
    back = qms.supplier_actions.fire(
        SCAR, "reject", actor="SQE Priya", note="'be careful' is not a corrective action"
    )
    assert back.status.value == "acknowledged"
    # waiting again for a full answer; the containment came with the first response
    assert [d.what for d in qms.overdue(clock.now)] == ["respond"]

    clock.advance(days=2)
    qms.supplier_actions.fire(SCAR, "respond", actor="Mill QA Bo", response=_answer(clock.now))
    stale = qf.Verification(
        effective=True, evidence="early look", verified_by="SQE Priya", at=clock.now
    )
    with pytest.raises(qf.TransitionError, match="predates the supplier's response"):
        qms.supplier_actions.fire(SCAR, "verify", actor="SQE Priya", verification=stale)
    clock.advance(days=21)
    verdict = qf.Verification(
        effective=True,
        evidence="3 following lots at 13.1-13.6 % moisture",
        verified_by="SQE Priya",
        at=clock.now,
    )
    qms.supplier_actions.fire(SCAR, "verify", actor="SQE Priya", verification=verdict)
    closed = qms.supplier_actions.fire(SCAR, "close", actor="SQE Priya")
    assert closed.status.value == "closed"
    assert [r.trigger for r in closed.history] == [
        "acknowledge",
        "respond",
        "reject",
        "respond",
        "verify",
        "close",
    ]
    assert qf.verify_history(closed)
    assert {r.entity for r in closed.history} == {f"supplier_action/{SCAR}"}
    stamps = [r.recorded_at for r in closed.history]
    assert None not in stamps and stamps == sorted(stamps)
    assert closed.history[1].fields == ["response"]
    assert closed.response is not None and closed.response.root_cause.startswith("dryer 2")
    assert qms.overdue(clock.now) == []


def test_a_malformed_supplier_answer_is_refused_naming_the_field(qms: qf.QualityFlow) -> None:
    qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
    qms.supplier_actions.fire(SCAR, "acknowledge", actor="Mill QA Bo")
    portal = {"containment": "held", "corrective_action": "new sieve", "responded_by": "Bo"}
    with pytest.raises(ValidationError) as err:
        SupplierResponse.model_validate(portal)
    assert {e["loc"] for e in err.value.errors()} == {("root_cause",), ("responded_at",)}
    with pytest.raises(ValidationError, match="root_cause"):
        qms.supplier_actions.fire(SCAR, "respond", actor="Bo", response=portal)
    stored = qms.supplier_actions.get(SCAR)
    assert stored.status.value == "acknowledged" and stored.response is None
    assert "SupplierResponse" in qf.json_schemas()
    assert "root_cause" in qf.json_schemas()["SupplierResponse"]["required"]


def test_answers_and_due_days_change_only_through_the_commands(
    qms: qf.QualityFlow, clock: Clock
) -> None:
    scar = qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
    scar.due = date(2026, 6, 30)
    scar.response = _answer(clock.now)
    with pytest.raises(
        ProtectedFieldError, match="cannot change due: the due day was given"
    ) as err:
        qms.supplier_actions.save(scar, actor="SQE Priya")
    assert err.value.fields == ["due", "response"]
    assert "fire(id, 'respond', response=" in err.value.reasons[1]
    fresh = qms.supplier_actions.get(SCAR)
    fresh.description += " (mill informed by phone)"
    assert qms.supplier_actions.save(fresh, actor="SQE Priya").due == DUE
    with pytest.raises(qf.TransitionError, match="and no response"):
        qms.supplier_actions.add(
            fresh.model_copy(update={"id": "SCAR-X", "version": 0, "response": _answer(T0)})
        )


def test_an_ineffective_verification_sends_the_response_back(
    qms: qf.QualityFlow, clock: Clock
) -> None:
    qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
    qms.supplier_actions.fire(SCAR, "acknowledge", actor="Bo")
    qms.supplier_actions.fire(SCAR, "respond", actor="Bo", response=_answer(clock.now))
    clock.advance(days=30)
    failed = qf.Verification(
        effective=False, evidence="next lot 15.1 %", verified_by="SQE Priya", at=clock.now
    )
    with pytest.raises(qf.TransitionError, match="reject the response"):
        qms.supplier_actions.fire(SCAR, "verify", actor="SQE Priya", verification=failed)
    assert qms.supplier_actions.get(SCAR).verification is None  # nothing was written


def test_a_scar_needs_a_supplier_a_reason_and_a_due_day_not_past(url: str, clock: Clock) -> None:
    with qf.QualityFlow(url, load_entry_points=False, clock=clock) as qms:
        qms.batches.add(qf.Batch(id="SALT-1", kind="raw_material", product="salt", quantity=kg(50)))
        qms.batches.add(
            qf.Batch(
                id="SUGAR-1",
                kind="raw_material",
                product="sugar",
                quantity=kg(50),
                supplier_id="SUP-SWEET",
            )
        )
        for lot in ("SALT-1", "SUGAR-1"):
            qms.inspections.add(
                qf.Inspection(id=f"IQC-{lot}", batch_id=lot, stage="incoming", result="fail")
            )
        with pytest.raises(qf.TransitionError, match=r"lot SALT-1 .* has no supplier"):
            qms.supplier_actions.request("NC-IQC-SALT-1", due=DUE, actor="Priya")
        with pytest.raises(qf.TransitionError, match="neither returns a part"):
            qms.supplier_actions.request("NC-IQC-SUGAR-1", due=DUE, actor="Priya")
        with pytest.raises(qf.TransitionError, match="before the request"):
            qms.supplier_actions.request(
                "NC-IQC-SUGAR-1", due=date(2026, 3, 1), actor="Priya", supplier_caused=True
            )
        assert qms.supplier_actions.list() == []
        assert not qms.nonconformances.get("NC-IQC-SUGAR-1").supplier_caused
        scar = qms.supplier_actions.request(
            "NC-IQC-SUGAR-1", due=DUE, actor="Priya", supplier_caused=True
        )
        assert scar.supplier_id == "SUP-SWEET"
        assert qms.nonconformances.get("NC-IQC-SUGAR-1").supplier_caused
        again = qms.supplier_actions.request("NC-IQC-SUGAR-1", due=DUE, actor="Priya")
        assert again.id == "SCAR-NC-IQC-SUGAR-1-2"
        with pytest.raises(qf.TransitionError, match="saying why the SCAR is withdrawn"):
            qms.supplier_actions.fire(again.id, "cancel", actor="Priya")
        qms.supplier_actions.fire(again.id, "cancel", actor="Priya", note="duplicate")
        assert {d.subject_id for d in qms.overdue(clock.now + timedelta(days=30))} == {scar.id}


def test_an_overdue_scar_costs_the_supplier_on_its_scorecard(
    qms: qf.QualityFlow, clock: Clock
) -> None:
    qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
    on_time = qms.suppliers.evaluate("SUP-MILL", period="2026-03", at=T0 + timedelta(days=3))
    assert "scar" not in on_time.scores  # not due yet: nothing to judge
    late = qms.suppliers.evaluate("SUP-MILL", period="2026-03", at=T0 + timedelta(days=20))
    assert late.scores["scar"] == 0
    assert f"answered on time: 0/1 (late or overdue: {SCAR})" in late.note
    assert late.weighted_total < on_time.weighted_total

    clock.advance(days=5)
    qms.supplier_actions.fire(SCAR, "acknowledge", actor="Bo")
    qms.supplier_actions.fire(SCAR, "respond", actor="Bo", response=_answer(clock.now))
    answered = qms.suppliers.evaluate("SUP-MILL", period="2026-03", at=T0 + timedelta(days=20))
    assert answered.scores["scar"] == 100
    assert "answered on time: 1/1" in answered.note


def test_score_supplier_reads_scars_directly() -> None:
    mill = qf.Supplier(id="SUP-MILL", name="Northfield Mill")
    lot = qf.Batch(
        id="F-1", kind="raw_material", product="flour", quantity=kg(1), supplier_id="SUP-MILL"
    )
    check = qf.Inspection(id="I-1", batch_id="F-1", stage="incoming", result="pass")
    scars = [
        SupplierAction(
            id=f"SCAR-{n}",
            supplier_id=supplier,
            nonconformance_ids=["NC-1"],
            due=DUE,
            requested_at=T0,
        )
        for n, supplier in enumerate(["SUP-MILL", "SUP-MILL", "SUP-OTHER"])
    ]
    later = T0 + timedelta(days=30)
    e = qf.score_supplier(
        mill, period="2026-03", inspections=[check], lots=[lot], supplier_actions=scars, at=later
    )
    assert e.scores["scar"] == 0 and e.weights["scar"] == 10
    assert "late or overdue: SCAR-0, SCAR-1" in e.note
    without = qf.score_supplier(mill, period="2026-03", inspections=[check], lots=[lot], at=later)
    assert "scar" not in without.scores


def test_the_scar_lifecycle_is_plain_data() -> None:
    assert SCAR_LIFECYCLE.states == [
        "requested",
        "acknowledged",
        "responded",
        "verified",
        "closed",
        "cancelled",
    ]
    reject = next(t for t in SCAR_LIFECYCLE.transitions if t["trigger"] == "reject")
    assert (reject["source"], reject["dest"]) == (["responded"], "acknowledged")
    scar = SupplierAction(id="S", supplier_id="M", nonconformance_ids=["NC-1"], due=DUE)
    assert SCAR_LIFECYCLE.allowed(scar) == ["acknowledge"]
    assert SupplierAction.model_validate_json(scar.model_dump_json()) == scar
    assert "responded --> acknowledged: reject" in SCAR_LIFECYCLE.to_mermaid()
    assert SCAR_LIFECYCLE.sets("respond") == {"response"}
    assert SCAR_LIFECYCLE.sets("verify") == {"verification"}
    with pytest.raises(qf.TransitionError, match="'due' is not set with 'acknowledge'"):
        SCAR_LIFECYCLE.fire(scar, "acknowledge", actor="Bo", due=date(2099, 1, 1))
    assert scar.status.value == "requested" and scar.due == DUE


def test_scar_list_and_show_from_the_command_line(tmp_path: Path, clock: Clock) -> None:
    import qualityflow.cli as cli

    cli.console.width = cli.err_console.width = 200
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    with _plant(db, clock) as qms:
        qms.supplier_actions.request(NC, due=DUE, actor="SQE Priya")
        qms.supplier_actions.fire(SCAR, "acknowledge", actor="Bo")
        qms.supplier_actions.fire(SCAR, "respond", actor="Bo", response=_answer(clock.now))
    runner = CliRunner()
    result = runner.invoke(nc_cli, ["scar", "list", "--db", db])
    assert result.exit_code == 0 and SCAR in result.stdout and "2026-03-16" in result.stdout
    result = runner.invoke(nc_cli, ["scar", "list", "--supplier", "SUP-OTHER", "--db", db])
    assert "0 supplier actions" in result.stdout
    result = runner.invoke(nc_cli, ["scar", "list", "--json", "--db", db])
    assert [s["id"] for s in json.loads(result.stdout)] == [SCAR]
    result = runner.invoke(nc_cli, ["scar", "show", SCAR, "--db", db])
    assert result.exit_code == 0
    assert "root cause: dryer 2 thermocouple" in result.stdout and "verify" in result.stdout
    result = runner.invoke(nc_cli, ["scar", "show", SCAR, "--json", "--db", db])
    assert json.loads(result.stdout)["status"] == "responded"
    result = runner.invoke(nc_cli, ["scar", "show", "SCAR-404", "--db", db])
    assert result.exit_code == 3


# --- the supplier 8D's clocks in working days ------------------------------------------------


def _scar_at(requested: datetime, **changes: object) -> qf.SupplierAction:
    return qf.SupplierAction(
        id="SCAR-FILM-7",
        supplier_id="SUP-PACK",
        batch_ids=["FILM-0057"],
        due=requested.date() + timedelta(days=30),
        requested_at=requested,
        **changes,  # type: ignore[arg-type]
    )


def test_a_scar_requested_on_friday_is_acknowledged_by_monday_and_contained_by_tuesday() -> None:
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)
    due = {d.what: d.due for d in qf.DefaultDeadlinePolicy().deadlines(_scar_at(friday))}
    assert due == {
        "acknowledge": datetime(2026, 3, 10, tzinfo=timezone.utc),  # end of Monday
        "contain": datetime(2026, 3, 11, tzinfo=timezone.utc),  # end of Tuesday
        "respond": datetime(2026, 4, 6, tzinfo=timezone.utc),  # end of the due day
    }


def test_a_chinese_plant_counts_the_scar_clocks_on_the_official_calendar() -> None:
    # Requested on the eve of National Day 2025 (1-8 October off, Saturday 11 October a
    # make-up working day): acknowledged by 9 October, contained by 10 October.
    eve = datetime(2025, 9, 30, 9, 0, tzinfo=timezone.utc)
    plant = qf.DefaultDeadlinePolicy(
        scar_calendar=qf.WorkingCalendar.for_region("CN"), scar_acknowledge_days=1
    )
    due = {d.what: d.due.date() for d in plant.deadlines(_scar_at(eve))}
    assert due["acknowledge"] == date(2025, 10, 10)  # the end of Thursday 9 October
    assert due["contain"] == date(2025, 10, 11)  # the end of Friday 10 October
    stricter = qf.DefaultDeadlinePolicy(scar_acknowledge_days=0, scar_contain_days=1)
    same_day = {d.what: d.due for d in stricter.deadlines(_scar_at(eve))}
    assert same_day["acknowledge"] == datetime(2025, 10, 1, tzinfo=timezone.utc)


@given(
    requested=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
        lambda d: d.replace(tzinfo=timezone.utc)
    ),
    ack=st.integers(min_value=0, max_value=10),
    contain=st.integers(min_value=0, max_value=10),
)
def test_scar_clocks_fall_at_the_end_of_a_working_day_and_in_order(
    requested: datetime, ack: int, contain: int
) -> None:
    policy = qf.DefaultDeadlinePolicy(scar_acknowledge_days=ack, scar_contain_days=contain)
    due = {d.what: d.due for d in policy.deadlines(_scar_at(requested))}
    for what in ("acknowledge", "contain"):
        last_day = (due[what] - timedelta(days=1)).date()
        assert due[what].time() == datetime.min.time()
        assert due[what] > requested
        days = ack if what == "acknowledge" else contain
        assert days == 0 or last_day.weekday() < 5  # the clock ends on a working day
    assert (due["acknowledge"] <= due["contain"]) == (ack <= contain)
