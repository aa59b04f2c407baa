"""The recall as a case: legal clocks, consignees, returns, effectiveness, reports, CLI.

Acceptance (issue 14): a grade I food recall decided on 2025-09-30 09:00 (Shanghai) has its
start deadline 24 h later and its completion deadline on the tenth CN working day after the
notice, each with its legal basis, and ``qms.overdue()`` lists them when missed; the demo's
BISC-0302/BISC-0303 recall runs end to end (four shipments, three customers, 5100 packs),
on memory, a real SQLite file and PostgreSQL when the server answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow import cli
from qualityflow.cli.recalls import recall_app
from qualityflow.demo import run_demo
from qualityflow.errors import UnitMismatchError
from qualityflow.lifecycle import presets
from qualityflow.lifecycle.calendar import WorkingCalendar
from qualityflow.lifecycle.recall import RECALL_LIFECYCLE, recall_progress
from qualityflow.models.recall import Consignee, Recall, RecallReturn
from qualityflow.reports.recall_case import (
    progress_report,
    public_notice,
    recall_plan,
    recall_summary,
)
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    emergency_team,
    server_url,
    temporary_database,
)

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 9, 30, 9, 0, tzinfo=SH)


def jars(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="jar")


def packs(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="pack")


def decide_recall(
    qms: qf.QualityFlow, incident_id: str, batch_ids: list[str], at: datetime
) -> None:
    """Report, assess and contain an incident with a recall decision taken at ``at``."""
    qms.incidents.add(
        qf.Incident(
            id=incident_id,
            title="Glass splinters in jam",
            severity="critical",
            reported_at=at - timedelta(hours=1),
            batch_ids=batch_ids,
            product="strawberry jam 340 g",
        )
    )
    team = emergency_team(qf.TeamMember(name="Dana Ruiz", role="QA manager", department="quality"))
    assessment = qf.ImpactAssessment(
        severity="critical",
        batch_ids=batch_ids,
        recall_required=True,
        risk="cuts",
        regions=["CN-31"],
        rationale="the affected lots reached the market",
    )
    qms.incidents.fire(
        incident_id,
        "assess",
        actor="Dana Ruiz",
        at=at - timedelta(minutes=30),
        team=team,
        assessment=assessment,
    )
    qms.incidents.fire(
        incident_id,
        "contain",
        actor="Dana Ruiz",
        at=at,
        containment=[
            qf.ContainmentAction(batch_id=b, action="recall", by="Sam Patel", at=at)
            for b in batch_ids
        ],
        recall=qf.RecallDecision(initiated_at=at, batch_ids=batch_ids, reason="glass splinters"),
    )


def jam_plant(qms: qf.QualityFlow) -> None:
    qms.batches.add(
        qf.Batch(
            id="JAM-0929", kind="finished", product="strawberry jam 340 g", quantity=jars(1000)
        )
    )
    for sid, customer, n in (("SHP-1", "CUST-A", 400), ("SHP-2", "CUST-B", 300)):
        qms.shipments.add(
            qf.Shipment(
                id=sid,
                batch_id="JAM-0929",
                customer_id=customer,
                quantity=jars(n),
                shipped_at=T0 - timedelta(days=1),
                region="Shanghai",
            )
        )


@pytest.fixture
def food() -> Iterator[qf.QualityFlow]:
    qms = qf.QualityFlow(load_entry_points=False, settings={})
    jam_plant(qms)
    decide_recall(qms, "INC-JAM", ["JAM-0929"], T0)
    yield qms
    qms.close()


# ---------------------------------------------------------------- legal clocks (acceptance)


def test_grade_one_food_recall_start_deadline_is_24_hours_after_the_decision(
    food: qf.QualityFlow,
) -> None:
    recall = food.recalls.open(
        "INC-JAM", grade="I", presets=[presets.CN_FOOD_RECALL_2015], actor="Dana Ruiz", at=T0
    )
    assert recall.calendar_region == "CN" and recall.time_zone == "Asia/Shanghai"
    due = {d.what: d for d in food.recalls.progress(recall.id).deadlines}
    assert due["start"].due == T0 + timedelta(hours=24)
    assert "24小时内启动召回" in due["start"].legal_basis
    assert "食品召回管理办法" in due["report_plan"].legal_basis
    assert "complete" not in due  # counts from the notice, which is not issued yet
    nxt = food.recalls.progress(recall.id).next_deadline
    assert nxt is not None and nxt.due == T0 + timedelta(hours=24) and nxt.legal_basis

    assert [d for d in food.overdue(T0 + timedelta(hours=23)) if d.subject_kind == "recall"] == []
    late = [d for d in food.overdue(T0 + timedelta(hours=25)) if d.subject_kind == "recall"]
    assert {d.what for d in late} == {"start", "report_plan"}
    assert all(d.late_by == timedelta(hours=1) and d.legal_basis for d in late)
    notices = [e.notification for e in food.storage.outbox(pending_only=False)]
    assert any(n.kind == "overdue" and n.subject_kind == "recall" for n in notices)


def test_completion_deadline_is_the_tenth_cn_working_day_after_the_notice(
    food: qf.QualityFlow,
) -> None:
    rid = food.recalls.open(
        "INC-JAM", grade="I", presets=["CN_FOOD_RECALL_2015"], actor="Dana Ruiz", at=T0
    ).id
    notice = T0 + timedelta(hours=2)
    recall = food.recalls.fire(rid, "start", actor="Dana Ruiz", at=notice)
    assert recall.notice_at == notice and recall.status.value == "notified"
    due = {d.what: d for d in food.recalls.progress(rid).deadlines}
    assert "start" not in due  # met within 24 h
    complete = due["complete"]
    assert complete.due.astimezone(SH).date() == date(2025, 10, 21)  # National Day skipped
    assert "10个工作日" in complete.legal_basis

    # the plan is reported: that deadline is met
    food.recalls.report(rid, "report_plan", to="SAMR Shanghai", at=notice, actor="Dana Ruiz")
    assert "report_plan" not in {d.what for d in food.recalls.progress(rid).deadlines}
    assert food.overdue(datetime(2025, 10, 21, 23, 0, tzinfo=SH)) == []
    late = food.overdue(datetime(2025, 10, 22, 9, 0, tzinfo=SH))
    assert [(d.subject_kind, d.what) for d in late] == [("recall", "complete")]
    assert "发布通知之日起10个工作日内完成" in late[0].legal_basis


def test_a_start_made_late_stays_a_breach(food: qf.QualityFlow) -> None:
    rid = food.recalls.open("INC-JAM", grade="I", presets=["CN_FOOD_RECALL_2015"], actor="QA").id
    food.recalls.fire(rid, "start", actor="QA", at=T0 + timedelta(hours=27))
    late = {d.what: d for d in food.overdue(T0 + timedelta(days=2))}
    assert late["start"].met_at == T0 + timedelta(hours=27)
    assert late["start"].late_by == timedelta(hours=3)


def test_grade_three_and_a_deadline_policy_plugin(food: qf.QualityFlow) -> None:
    rid = food.recalls.open("INC-JAM", grade="III", presets=["CN_FOOD_RECALL_2015"], actor="QA").id
    due = {d.what: d for d in food.recalls.progress(rid).deadlines}
    assert due["start"].due == T0 + timedelta(hours=72)

    class NoClocks:
        @qf.hookimpl
        def qualityflow_deadline_policy(self, entity: object) -> list[qf.Deadline] | None:
            return [] if isinstance(entity, Recall) else None

    food.plugins.pm.register(NoClocks())
    assert food.recalls.progress(rid).deadlines == []


def test_open_needs_a_recall_decision_and_opens_once(food: qf.QualityFlow) -> None:
    food.incidents.add(qf.Incident(id="INC-X", title="Mould", severity="minor", reported_at=T0))
    with pytest.raises(qf.TransitionError, match="no recall decision"):
        food.recalls.open("INC-X", grade="II", actor="QA")
    with pytest.raises(qf.NotFoundError):
        food.recalls.open("INC-NOPE", grade="II", actor="QA")
    with pytest.raises(ValueError, match="unknown preset"):
        food.recalls.open("INC-JAM", grade="I", presets=["CN_FOOD"], actor="QA")
    food.recalls.open("INC-JAM", grade="I", actor="QA")
    with pytest.raises(qf.TransitionError, match="already on file"):
        food.recalls.open("INC-JAM", grade="I", actor="QA")
    assert food.storage.count("recall") == 1


# ------------------------------------------------------------------ end to end (acceptance)


def _backends() -> list[str]:
    return ["memory", "sqlite", "postgresql", "mysql"]


@pytest.fixture(params=_backends())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sunrise.db'}"
    else:
        env = POSTGRESQL_ENV if request.param == "postgresql" else MYSQL_ENV
        try:
            with temporary_database(server_url(env)) as database_url:
                yield database_url
        except ConnectionError as exc:
            pytest.skip(f"{request.param} tests skipped ({env} or its default): {exc}")


def _state(qms: qf.QualityFlow, rid: str) -> tuple[int, int, int]:
    recall = qms.recalls.get(rid)
    return recall.version, len(recall.history), len(qms.storage.outbox(pending_only=False))


def test_demo_recall_runs_end_to_end(url: str) -> None:
    qms = qf.QualityFlow(url, load_entry_points=False, settings={})
    run = run_demo(qms)
    decided = qms.incidents.get(run.incident_id).recall
    assert decided is not None
    t = decided.initiated_at
    recall = qms.recalls.open(
        run.incident_id, grade="I", presets=["CN_FOOD_RECALL_2015"], actor="Dana Ruiz", at=t
    )
    rid = recall.id
    assert recall.batch_ids == ["BISC-0302", "BISC-0303"]
    assert [s.shipment_id for s in recall.shipments] == [
        "SHP-9001",
        "SHP-9002",
        "SHP-9003",
        "SHP-9004",
    ]
    customers = ["CUST-CORNERSHOP", "CUST-FRESHMART", "CUST-MEGAMART"]
    progress = qms.recalls.progress(rid)
    assert progress.consignees == customers
    assert progress.shipped == {"pack": packs(5100)}
    assert progress.recovery_rate == 0

    # Closing now is refused with what is missing, and nothing is written.
    before = _state(qms, rid)
    with pytest.raises(qf.TransitionError) as refused:
        qms.recalls.fire(rid, "close", actor="Dana Ruiz", at=t)
    text = "\n".join(refused.value.reasons)
    assert "only from: completed" in text
    assert "the recall notice has no time" in text
    assert "consignee CUST-MEGAMART has not been sent the recall notice" in text
    assert "CUST-MEGAMART still holds 3000 pack" in text
    assert "there is no summary" in text
    assert _state(qms, rid) == before

    qms.recalls.fire(rid, "start", actor="Dana Ruiz", at=t + timedelta(minutes=30))
    qms.recalls.report(rid, "report_plan", to="SAMR", at=t + timedelta(hours=1), actor="Dana Ruiz")
    with pytest.raises(qf.TransitionError, match="CUST-CORNERSHOP has not been sent"):
        qms.recalls.fire(rid, "recover", actor="Dana Ruiz", at=t + timedelta(hours=1))
    for n, customer in enumerate(customers):
        sent = t + timedelta(hours=1, minutes=n)
        qms.recalls.notify(rid, customer, channel="email", at=sent, actor="Sam Patel")
    for n, customer in enumerate(customers):
        got = t + timedelta(hours=2, minutes=n)
        qms.recalls.confirm(rid, customer, at=got, actor="Sam Patel", by=f"buyer {customer}")
    progress = qms.recalls.progress(rid)
    assert progress.notified == progress.confirmed == customers
    qms.recalls.fire(rid, "recover", actor="Dana Ruiz", at=t + timedelta(hours=3))

    day = t + timedelta(days=1)
    qms.recalls.record_return(
        rid, "CUST-FRESHMART", returned=packs(1500), at=day, actor="Sam Patel", evidence="GRN 4411"
    )
    qms.recalls.record_return(
        rid, "CUST-MEGAMART", returned=packs(2000), at=day, actor="Sam Patel", evidence="GRN 4412"
    )
    progress = qms.recalls.progress(rid)
    assert progress.recovered == {"pack": packs(3500)}
    assert progress.recovery_rate == Decimal(3500) / Decimal(5100)
    report = progress_report(qms.recalls.get(rid), progress).to_markdown()
    assert (
        "阶段性进展报告" in report
        and "| pack | 5100 pack | 3500 pack | 68.6% | 1600 pack |" in report
    )

    before = _state(qms, rid)
    with pytest.raises(qf.TransitionError) as refused:
        qms.recalls.fire(rid, "complete", actor="Dana Ruiz", at=day)
    assert any("CUST-CORNERSHOP still holds 600 pack" in r for r in refused.value.reasons)
    assert any("CUST-MEGAMART still holds 1000 pack" in r for r in refused.value.reasons)
    assert _state(qms, rid) == before

    qms.recalls.record_return(
        rid,
        "CUST-MEGAMART",
        returned=packs(800),
        destroyed=packs(200),
        at=day + timedelta(hours=2),
        actor="Sam Patel",
        evidence="destruction witnessed, certificate D-17",
    )
    qms.recalls.record_return(
        rid,
        "CUST-CORNERSHOP",
        destroyed=packs(600),
        at=day + timedelta(hours=3),
        actor="Sam Patel",
        evidence="photos of the crushed packs",
    )
    progress = qms.recalls.progress(rid)
    assert progress.recovered == {"pack": packs(5100)} and progress.recovery_rate == 1
    assert progress.accounted == customers and progress.missing == []
    qms.recalls.fire(rid, "complete", actor="Dana Ruiz", at=day + timedelta(hours=4))

    before = _state(qms, rid)
    with pytest.raises(qf.TransitionError, match="there is no summary"):
        qms.recalls.fire(rid, "close", actor="Dana Ruiz", at=day + timedelta(hours=5))
    assert _state(qms, rid) == before
    summary = "5100 of 5100 packs recovered: 3300 returned, 800 destroyed on site."
    closed = qms.recalls.fire(
        rid, "close", actor="Dana Ruiz", at=day + timedelta(hours=5), summary=summary
    )
    assert closed.status.value == "closed" and qf.verify_history(closed)
    assert [r.trigger for r in closed.history].count("record_return") == 4
    qms.close()

    # Everything is stored: read it back through a fresh service.
    again = (
        qf.QualityFlow(url, load_entry_points=False, settings={}) if url != "memory://" else None
    )
    if again is not None:
        stored = again.recalls.get(rid)
        assert stored == closed and qf.verify_history(stored)
        doc = recall_summary(stored)
        md = doc.to_markdown()
        assert summary in md and "100.0%" in md and "certificate D-17" in md
        assert "<h1>Recall summary" in doc.to_html()
        again.close()


def test_returns_need_the_recall_started_and_the_shipped_unit(food: qf.QualityFlow) -> None:
    rid = food.recalls.open("INC-JAM", grade="I", actor="QA", at=T0).id
    with pytest.raises(qf.TransitionError, match="cannot 'record_return' while it is 'planned'"):
        food.recalls.record_return(rid, "CUST-A", returned=jars(1), at=T0, actor="QA")
    food.recalls.fire(rid, "start", actor="QA", at=T0)
    before = _state(food, rid)
    with pytest.raises(UnitMismatchError) as wrong:
        food.recalls.record_return(
            rid, "CUST-A", returned=qf.Quantity(amount=2, unit="kg"), at=T0, actor="QA"
        )
    assert "CUST-A was shipped 400 jar" in str(wrong.value) and "give it in jar" in str(wrong.value)
    with pytest.raises(qf.TransitionError, match="shipped only 400 jar"):
        food.recalls.record_return(rid, "CUST-A", returned=jars(401), at=T0, actor="QA")
    with pytest.raises(qf.NotFoundError, match="not a consignee of recall"):
        food.recalls.notify(rid, "CUST-Z", channel="phone", at=T0, actor="QA")
    with pytest.raises(qf.TransitionError, match="or it has no notice"):
        food.recalls.confirm(rid, "CUST-A", at=T0, actor="QA")
    assert _state(food, rid) == before
    food.recalls.notify(rid, "CUST-A", channel="phone", at=T0 + timedelta(hours=1), actor="QA")
    with pytest.raises(qf.TransitionError, match="before the previous step"):
        food.recalls.confirm(rid, "CUST-A", at=T0, actor="QA")
    with pytest.raises(qf.TransitionError, match="in the future"):
        food.recalls.confirm(rid, "CUST-A", at=datetime(2099, 1, 1, tzinfo=SH), actor="QA")


def test_effectiveness_target_completes_without_full_accounting(food: qf.QualityFlow) -> None:
    rid = food.recalls.open(
        "INC-JAM",
        grade="II",
        actor="QA",
        at=T0,
        effectiveness="C",
        recovery_target=Decimal("0.9"),
    ).id
    food.recalls.fire(rid, "start", actor="QA", at=T0)
    for customer in ("CUST-A", "CUST-B"):
        food.recalls.notify(rid, customer, channel="phone", at=T0, actor="QA")
    food.recalls.fire(rid, "recover", actor="QA", at=T0)
    food.recalls.record_return(rid, "CUST-A", returned=jars(400), at=T0, actor="QA")
    food.recalls.record_return(rid, "CUST-B", returned=jars(200), at=T0, actor="QA")
    with pytest.raises(qf.TransitionError) as refused:
        food.recalls.fire(rid, "complete", actor="QA", at=T0)
    reasons = refused.value.reasons
    assert any("0 of 1 consignee check(s)" in r for r in reasons)  # 10 % of 2, rounded up
    assert any("below the target 90%" in r for r in reasons)
    food.recalls.check(rid, "CUST-B", effective=True, at=T0, actor="QA", method="phone survey")
    with pytest.raises(qf.TransitionError, match=r"recovery rate in jar is 85\.7%"):
        food.recalls.fire(rid, "complete", actor="QA", at=T0)
    food.recalls.record_return(rid, "CUST-B", destroyed=jars(50), at=T0, actor="QA")
    assert food.recalls.fire(rid, "complete", actor="QA", at=T0).status.value == "completed"


def test_unreachable_consignee_is_accounted_for_and_terminate_needs_a_note(
    food: qf.QualityFlow,
) -> None:
    rid = food.recalls.open("INC-JAM", grade="I", actor="QA", at=T0).id
    food.recalls.fire(rid, "start", actor="QA", at=T0)
    food.recalls.unreachable(rid, "CUST-B", reason="shop closed down", at=T0, actor="QA")
    progress = food.recalls.progress(rid)
    assert progress.accounted == ["CUST-B"]
    with pytest.raises(qf.TransitionError, match="terminating a recall needs a note"):
        food.recalls.fire(rid, "terminate", actor="QA", at=T0)
    done = food.recalls.fire(rid, "terminate", actor="QA", at=T0, note="authority agreed")
    assert done.status.value == "terminated"
    assert food.overdue(T0 + timedelta(days=60)) == [
        d for d in food.overdue(T0 + timedelta(days=60)) if d.subject_kind != "recall"
    ]


def test_save_changes_descriptive_fields_only(food: qf.QualityFlow) -> None:
    recall = food.recalls.open("INC-JAM", grade="I", actor="QA", at=T0)
    recall.public_notice = "Customers may return the jars to any store."
    recall = food.recalls.save(recall, actor="QA", reason="store returns")
    assert food.recalls.get(recall.id).public_notice.startswith("Customers")
    assert [c.field for c in recall.amendments[-1].changes] == ["public_notice"]
    recall.summary = "done"
    with pytest.raises(qf.TransitionError, match="summary change"):
        food.recalls.save(recall, actor="QA")
    forged = recall.model_copy(update={"status": "closed", "summary": None})
    with pytest.raises(qf.TransitionError, match="status"):
        food.recalls.save(forged, actor="QA")
    with pytest.raises(qf.TransitionError, match="initial state"):
        food.recalls.add(forged.model_copy(update={"id": "RCL-2"}))


def test_documents_render_as_markdown_and_html(food: qf.QualityFlow) -> None:
    recall = food.recalls.open(
        "INC-JAM", grade="I", presets=["CN_FOOD_RECALL_2015"], actor="QA", at=T0
    )
    plan = recall_plan(recall)
    md = plan.to_markdown()
    assert "召回计划" in md and "SHP-1" in md and "24小时内启动召回" in md
    assert "level A" in md
    notice = public_notice(recall, company="Sunrise Foods", contact="400-800-1234")
    assert (
        "Sunrise Foods is recalling strawberry jam 340 g, lot(s) JAM-0929" in notice.to_markdown()
    )
    page = progress_report(recall, now=T0 + timedelta(days=2)).to_html()
    assert page.startswith("<!DOCTYPE html>") and "LATE by" in page and "<script" not in page
    assert recall_progress(recall).next_step == "start"


def test_recall_model_round_trips_and_lifecycle_data() -> None:
    t = datetime(2026, 3, 5, tzinfo=timezone.utc)
    c = Consignee(
        id="C", shipped=[packs(10)], returns=[RecallReturn(at=t, by="x", returned=packs(4))]
    )
    r = Recall(
        id="R",
        incident_id="I",
        grade="II",
        reason="r",
        opened_at=t,
        opened_by="x",
        learned_at=t,
        consignees=[c],
    )
    assert Recall.model_validate_json(r.model_dump_json()) == r
    with pytest.raises(ValueError, match="cannot exceed"):
        Consignee(
            id="C", shipped=[packs(1)], returns=[RecallReturn(at=t, by="x", returned=packs(2))]
        )
    assert RECALL_LIFECYCLE.to_mermaid().startswith("stateDiagram-v2")
    assert RECALL_LIFECYCLE.allowed(r) == []  # start needs the notice time


# ----------------------------------------------------------------------------- properties


_attempt = st.tuples(
    st.sampled_from(["CUST-A", "CUST-B"]),
    st.integers(min_value=0, max_value=450),
    st.sampled_from(["jar", "jar", "jar", "kg"]),
    st.sampled_from(["returned", "destroyed", "corrected"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_attempt, min_size=1, max_size=8))
def test_recovered_never_exceeds_shipped_per_unit(
    attempts: list[tuple[str, int, str, str]],
) -> None:
    qms = qf.QualityFlow(load_entry_points=False, settings={})
    jam_plant(qms)
    decide_recall(qms, "INC-JAM", ["JAM-0929"], T0)
    rid = qms.recalls.open("INC-JAM", grade="I", actor="QA", at=T0).id
    qms.recalls.fire(rid, "start", actor="QA", at=T0)
    shipped = {"CUST-A": 400, "CUST-B": 300}
    expected = {"CUST-A": 0, "CUST-B": 0}
    for customer, amount, unit, how in attempts:
        before = _state(qms, rid)
        quantity = qf.Quantity(amount=amount, unit=unit)
        try:
            qms.recalls.record_return(
                rid,
                customer,
                at=T0,
                actor="QA",
                returned=quantity if how == "returned" else None,
                destroyed=quantity if how == "destroyed" else None,
                corrected=quantity if how == "corrected" else None,
            )
        except UnitMismatchError as exc:
            assert unit != "jar" and "give it in jar" in str(exc)
            assert _state(qms, rid) == before
            continue
        except qf.TransitionError as exc:
            assert expected[customer] + amount > shipped[customer]
            assert "cannot exceed what was shipped" in str(exc)
            assert _state(qms, rid) == before
            continue
        assert unit == "jar"
        expected[customer] += amount
    recall = qms.recalls.get(rid)
    for c in recall.consignees:
        assert c.recovered().get("jar", jars(0)) == jars(expected[c.id])
        assert c.recovered().get("jar", jars(0)) <= c.shipped[0]
        assert set(c.recovered()) <= {"jar"}
    progress = qms.recalls.progress(rid)
    assert progress.recovered.get("jar", jars(0)) <= progress.shipped["jar"]
    assert progress.recovery_rate is not None and 0 <= progress.recovery_rate <= 1
    qms.close()


# ------------------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_recall_sub_app(tmp_path: Path) -> None:
    cli.console.width = cli.err_console.width = 200
    db = f"sqlite:///{tmp_path / 'sunrise.db'}"
    qms = qf.QualityFlow(db, load_entry_points=False, settings={})
    run_demo(qms)
    qms.close()

    def call(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(recall_app, [*args, "--db", db])
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        return result.exit_code, result.stdout, result.stderr

    at = "2026-03-05T12:00:00+00:00"
    code, out, _ = call(
        "open", "INC-5", "--grade", "I", "--preset", "CN_FOOD_RECALL_2015", "--actor", "Dana",
        "--at", at,
    )  # fmt: skip
    assert code == 0 and "RCL-INC-5: opened (grade I), 3 consignee(s), 4 shipment(s)" in out
    assert call("fire", "RCL-INC-5", "start", "--actor", "Dana", "--at", at)[0] == 0
    customers = {"CUST-CORNERSHOP": 600, "CUST-FRESHMART": 1500, "CUST-MEGAMART": 3000}
    for customer in customers:
        assert call("notify", "RCL-INC-5", customer, "--channel", "email", "--actor", "Sam",
                    "--at", at)[0] == 0  # fmt: skip
        assert call("confirm", "RCL-INC-5", customer, "--actor", "Sam", "--at", at)[0] == 0
    assert call("fire", "RCL-INC-5", "recover", "--actor", "Dana", "--at", at)[0] == 0
    code, _, err = call("return", "RCL-INC-5", "CUST-MEGAMART", "--returned", "3 kg",
                        "--actor", "Sam", "--at", at)  # fmt: skip
    assert code == 1 and "give it in pack" in err
    code, _, err = call("return", "RCL-INC-5", "CUST-MEGAMART", "--returned", "lots",
                        "--actor", "Sam")  # fmt: skip
    assert code == 2 and "is not a quantity" in err
    for customer, n in customers.items():
        code, out, _ = call("return", "RCL-INC-5", customer, "--returned", f"{n} pack",
                            "--actor", "Sam", "--at", at, "--evidence", "GRN")  # fmt: skip
        assert code == 0 and "still there: 0 pack" in out
    code, out, _ = call("progress", "RCL-INC-5")
    assert code == 0 and "recovery rate 100.0%" in out and "notified 3/3" in out
    code, out, _ = call("progress", "RCL-INC-5", "--json")
    assert json.loads(out)["shipped"] == {"pack": "5100"}
    assert call("fire", "RCL-INC-5", "complete", "--actor", "Dana", "--at", at)[0] == 0
    code, _, err = call("fire", "RCL-INC-5", "close", "--actor", "Dana", "--at", at)
    assert code == 1 and "there is no summary" in err
    code, out, _ = call("fire", "RCL-INC-5", "close", "--actor", "Dana", "--at", at,
                        "--summary", "All 5100 packs back.")  # fmt: skip
    assert code == 0 and "closed" in out
    html = tmp_path / "summary.html"
    code, out, _ = call("report", "RCL-INC-5", "summary", "--html", str(html))
    assert code == 0 and "All 5100 packs back." in out and html.read_text().startswith("<!DOCTYPE")
    code, out, _ = call("report", "RCL-INC-5", "progress")
    assert code == 0 and "| pack | 5100 pack | 5100 pack | 100.0% | 0 pack |" in out
    assert call("report", "RCL-INC-5", "memo")[0] == 2
    assert call("progress", "RCL-NOPE")[0] == 3


# --------------------------------------------------------------------------------- example


def test_the_recall_example_tells_its_story(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "examples" / "recall_case.py"
    env = {k: v for k, v in os.environ.items() if k != "QUALITYFLOW_URL"}
    # This checkout's sources first, whatever the installed copy or a relative PYTHONPATH.
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for fact in (
        "4 shipments to 3 consignees: 5100 pack",
        "closing now is refused:",
        "start due 2026-03-06 19:00 CST",
        "recovery rate 68.6%",
        "RCL-INC-5 closed; history intact: True",
    ):
        assert fact in done.stdout, fact
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ docs


def test_the_recalls_page_shows_the_machine_as_it_is() -> None:
    import re

    page = Path(__file__).resolve().parents[1] / "docs" / "recalls.md"
    blocks = dict(
        (m.group(1), m.group(2))
        for m in re.finditer(
            r"<!-- generated: (\w+) -->\n(.*?)<!-- end generated -->",
            page.read_text(encoding="utf-8"),
            re.S,
        )
    )
    assert blocks["recall_diagram"] == f"\n```mermaid\n{RECALL_LIFECYCLE.to_mermaid()}```\n\n"
    assert blocks["recall_guards"] == f"\n{RECALL_LIFECYCLE.guard_table()}\n", (
        "regenerate the guard table in docs/recalls.md from RECALL_LIFECYCLE.guard_table()"
    )
    nav = (page.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
    assert "recalls.md" in nav


def test_consignee_notices_do_not_meet_authority_steps(food: qf.QualityFlow) -> None:
    rid = food.recalls.open(
        "INC-JAM",
        grade="I",
        presets=[presets.EU_GPSR_ART20, presets.CN_CONSUMER_PRODUCTS],
        actor="QA",
        at=T0,
        calendar=WorkingCalendar.for_region("CN"),
    ).id
    food.recalls.fire(rid, "start", actor="QA", at=T0)
    food.recalls.notify(rid, "CUST-A", channel="email", at=T0, actor="QA")
    food.recalls.report(rid, "report_plan", to="SAMR", at=T0, actor="QA")
    steps = {d.what: d for d in food.recalls.progress(rid).deadlines}
    assert set(steps) == {"notify", "report"}  # neither met by the consignee notice
    assert steps["notify"].legal_basis.startswith("Regulation (EU) 2023/988")
    # CN: learned Tue 2025-09-30; the holiday runs to 10-08, so Thu 10-09 and Fri 10-10
    assert steps["report"].due.date() == date(2025, 10, 10)
    food.recalls.report(rid, "notify", to="Safety Business Gateway", at=T0, actor="QA")
    food.recalls.report(rid, "report", to="SAMR", at=T0, actor="QA", reference="R-1")
    assert food.recalls.progress(rid).deadlines == []
    assert food.recalls.progress(rid).next_deadline is None


def test_fire_cannot_rewrite_the_scope_or_bypass_the_commands(food: qf.QualityFlow) -> None:
    rid = food.recalls.open("INC-JAM", grade="I", actor="QA", at=T0).id
    before = _state(food, rid)
    with pytest.raises(qf.TransitionError, match="consignees cannot be set with 'start'"):
        food.recalls.fire(rid, "start", actor="QA", at=T0, consignees=[])
    with pytest.raises(qf.TransitionError, match=r"qms\.recalls\.record_return"):
        food.recalls.fire(rid, "record_return", actor="QA", at=T0)
    assert _state(food, rid) == before
