"""The mock-recall drill as a timed exercise against a legal preset, and a recall's FSMA sheet.

Told as a recall desk runs it: the demo plant (Sunrise Biscuits) drills a grade I food
recall of its flour lot under the Chinese food recall rules, each step against the clock it
serves; a step past its clock fails the drill. Then a recall case hands over the FSMA 204
sheet of the lots in its scope.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow import cli
from qualityflow.cli import app
from qualityflow.cli.recalls import recall_app
from qualityflow.demo import plant, run_demo, stock
from qualityflow.lifecycle import presets
from qualityflow.lifecycle.calendar import WorkingCalendar
from qualityflow.reports.drill import DRILL_STEPS, drill_steps

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
CN_PLAN = "I级召回 24小时内报告召回计划"
CN_START = "I级召回 24小时内启动召回"
FSMA_BASIS = "21 CFR 1.1455(c)(3)"
HOURS = {"I": 24, "II": 48, "III": 72}


@pytest.fixture
def sunrise() -> Iterator[qf.QualityFlow]:
    """The demo plant's lots, links and shipments, stored (no incidents yet)."""
    qms = stock(qf.QualityFlow("memory://", load_entry_points=False, settings={}), plant())
    yield qms
    qms.close()


class FakeTimer:
    """A monotonic clock whose readings are given: each call returns the next one."""

    def __init__(self, *hours: float) -> None:
        self.readings = [h * 3600 for h in hours]

    def __call__(self) -> float:
        return self.readings.pop(0)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------- the drill as a scenario


def test_a_grade_one_food_recall_drill_times_each_step_against_its_clock(
    sunrise: qf.QualityFlow, tmp_path: Path
) -> None:
    sheet = tmp_path / "drill.csv"
    drill = qf.mock_recall(
        sunrise,
        "FLOUR-0412",
        preset=presets.CN_FOOD_RECALL_2015,
        grade="I",
        now=T0,
        spreadsheet=sheet,
    )
    assert [s.step for s in drill.steps] == ["trace", "impact", "consignees", "sheet"]
    clocks = {s.step: (s.clock, s.due) for s in drill.steps}
    plan_due = T0 + timedelta(hours=24)
    assert clocks == {
        "trace": ("report_plan", plan_due),
        "impact": ("report_plan", plan_due),
        "consignees": ("start", plan_due),
        "sheet": ("report_plan", plan_due),
    }
    assert CN_START in drill.step("consignees").legal_basis
    assert all(CN_PLAN in drill.step(s).legal_basis for s in ("trace", "impact", "sheet"))
    # steps follow one another: each is done after the previous, the last at the total
    done = [s.done_at for s in drill.steps]
    assert done == sorted(done) and done[-1] == T0 + drill.elapsed
    assert sum((s.took for s in drill.steps), timedelta()) == drill.elapsed
    assert all(s.passed and s.margin > timedelta(hours=23) for s in drill.steps)
    assert drill.passed and drill.preset == "CN_FOOD_RECALL_2015" and drill.grade == "I"
    # the answer itself is the plant's: the same consignees as the genealogy says
    impact = sunrise.recall_impact("FLOUR-0412")
    assert drill.customer_ids == tuple(sorted(impact.customer_ids))
    assert dict(drill.consignees) == {
        "CUST-CORNERSHOP": (qf.Quantity(amount=600, unit="pack"),),
        "CUST-FRESHMART": (qf.Quantity(amount=1500, unit="pack"),),
        "CUST-MEGAMART": (qf.Quantity(amount=3000, unit="pack"),),
    }
    assert drill.spreadsheet == sheet and read_rows(sheet)
    text = drill.to_markdown()
    assert text.startswith("## Mock-recall drill for FLOUR-0412: PASSED")
    assert "| consignee list ready |" in text and CN_START in text
    assert "CN_FOOD_RECALL_2015, grade I" in text and "Bound" not in text
    assert "| FSMA 204 sheet written |" in text and text.count("| PASSED |") == 4


def test_the_drill_report_reads_in_chinese_and_as_an_html_page(sunrise: qf.QualityFlow) -> None:
    drill = qf.mock_recall(
        sunrise, "FLOUR-0412", preset=presets.CN_FOOD_RECALL_2015, grade="I", now=T0
    )
    zh = drill.to_markdown(locale="zh_CN")
    for words in ("模拟召回演练：通过", "追溯完成", "影响范围已查明", "收货方名单就绪"):
        assert words in zh
    assert (
        "法定时限" in zh
        and "剩余时间" in zh
        and "法规依据" in zh
        and "CN_FOOD_RECALL_2015，I级" in zh
    )
    page = drill.to_html()
    assert page.startswith("<!DOCTYPE")
    assert "<h1>Mock-recall drill for FLOUR-0412: PASSED</h1>" in page
    assert "<td>consignee list ready</td>" in page and CN_START in page
    assert 'lang="zh-CN"' in drill.to_html(locale="zh_CN")


def test_an_fsma_204_drill_measures_every_step_against_the_24_hour_records_request(
    sunrise: qf.QualityFlow, tmp_path: Path
) -> None:
    drill = qf.mock_recall(
        sunrise, "FLOUR-0412", preset=presets.US_FSMA_204, now=T0, spreadsheet=tmp_path / "s.csv"
    )
    assert {s.clock for s in drill.steps} == {"records"}
    assert all(FSMA_BASIS in s.legal_basis for s in drill.steps)
    assert all(s.due == T0 + timedelta(hours=24) for s in drill.steps)
    assert "US_FSMA_204" in drill.to_markdown() and drill.passed


def test_with_two_presets_the_sheet_counts_against_the_records_and_the_trace_the_plan(
    sunrise: qf.QualityFlow,
) -> None:
    both = presets.CN_FOOD_RECALL_2015 + presets.US_FSMA_204
    genealogy = sunrise.genealogy  # a genealogy drills too, without the database
    drill = qf.mock_recall(genealogy, "FLOUR-0412", preset=both, grade="I", now=T0)
    assert [(s.step, s.clock) for s in drill.steps] == [
        ("trace", "report_plan"),
        ("impact", "report_plan"),
        ("consignees", "start"),
    ]
    took = [("trace", timedelta(hours=1)), ("sheet", timedelta(hours=1))]
    steps = drill_steps(both, T0, took, grade="I")
    assert [s.clock for s in steps] == ["report_plan", "records"]


def test_the_strictest_clock_wins_a_grade_three_drill_under_fsma_counts_24_hours() -> None:
    both = presets.CN_FOOD_RECALL_2015 + presets.US_FSMA_204
    (trace,) = drill_steps(both, T0, [("trace", timedelta(hours=30))], grade="III")
    assert trace.clock == "records" and not trace.passed  # 24 h beats the plan's 72 h
    assert trace.margin == timedelta(hours=-6)


# --------------------------------------------------------------------- failing the clock


def test_a_step_past_its_clock_fails_and_so_does_the_drill(sunrise: qf.QualityFlow) -> None:
    # the trace takes 2 h, the impact 1 h, the consignee list another 22 h: 25 h in all
    timer = FakeTimer(0, 2, 3, 25)
    drill = qf.mock_recall(
        sunrise,
        "FLOUR-0412",
        preset=presets.CN_FOOD_RECALL_2015,
        grade="I",
        now=T0,
        timer=timer,
    )
    verdicts = {s.step: s.passed for s in drill.steps}
    assert verdicts == {"trace": True, "impact": True, "consignees": False}
    late = drill.step("consignees")
    assert late.took == timedelta(hours=22) and late.margin == timedelta(hours=-1)
    assert not drill.passed and drill.elapsed == timedelta(hours=25)
    text = drill.to_markdown()
    assert text.startswith("## Mock-recall drill for FLOUR-0412: FAILED")
    assert "| FAILED |" in text and "| -1 h |" in text
    # grade II gives 48 h: the same drill passes
    slow_but_fine = qf.mock_recall(
        sunrise,
        "FLOUR-0412",
        preset=presets.CN_FOOD_RECALL_2015,
        grade="II",
        now=T0,
        timer=FakeTimer(0, 2, 3, 25),
    )
    assert slow_but_fine.passed and slow_but_fine.step("consignees").clock == "start"


@given(
    grade=st.sampled_from(["I", "II", "III"]),
    hours=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
)
def test_a_step_passes_exactly_when_it_is_done_by_its_due_time(
    grade: str, hours: list[int]
) -> None:
    names = list(DRILL_STEPS)[: len(hours)]
    took = [(n, timedelta(hours=h)) for n, h in zip(names, hours, strict=True)]
    steps = drill_steps(presets.CN_FOOD_RECALL_2015, T0, took, grade=grade)
    total = 0
    for step, h in zip(steps, hours, strict=True):
        total += h
        assert step.done_at == T0 + timedelta(hours=total)
        assert step.due == T0 + timedelta(hours=HOURS[grade])
        assert step.passed == (total <= HOURS[grade])
        assert step.margin == timedelta(hours=HOURS[grade] - total)
    report = qf.DrillReport(
        lot_id="L",
        started_at=T0,
        elapsed=timedelta(hours=total),
        bound=timedelta(hours=24),
        batch_ids=(),
        shipment_ids=(),
        customer_ids=(),
        regions=(),
        steps=steps,
        preset="CN_FOOD_RECALL_2015",
        grade=grade,
    )
    assert report.passed == all(s.passed for s in steps) == (total <= HOURS[grade])


def test_a_working_day_clock_ends_with_the_working_day_and_a_target_says_so() -> None:
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc)
    weekdays = WorkingCalendar.for_region("weekdays")
    (step,) = drill_steps(
        presets.EU_GPSR_ART20, friday, [("trace", timedelta(hours=1))], calendar=weekdays
    )
    assert step.clock == "notify" and step.target
    assert step.due == datetime(2026, 3, 10, 23, 59, 59, tzinfo=timezone.utc)  # Tuesday
    report = qf.DrillReport(
        "L", friday, timedelta(hours=1), timedelta(hours=24), (), (), (), (), None,
        (step,), "EU_GPSR_ART20",
    )  # fmt: skip
    assert "(configurable target)" in report.to_markdown()


# ---------------------------------------------------------------------------- refusals


def test_a_graded_preset_without_a_grade_is_refused_before_any_work() -> None:
    class Counting:
        calls = 0

        def recall_impact(self, *ids: str) -> object:
            Counting.calls += 1
            raise AssertionError("the drill must not start")

    with pytest.raises(ValueError, match=r"CN_FOOD_RECALL_2015 sets no clock for grade none"):
        qf.mock_recall(Counting(), "FLOUR-0412", preset=presets.CN_FOOD_RECALL_2015)
    assert Counting.calls == 0
    with pytest.raises(ValueError, match="no timezone"):
        drill_steps(presets.US_FSMA_204, datetime(2026, 3, 5, 9, 0), ())
    with pytest.raises(ValueError, match="unknown drill step 'ship'"):
        drill_steps(presets.US_FSMA_204, T0, [("ship", timedelta(0))])


def test_a_preset_whose_clocks_all_count_from_the_notice_cannot_be_drilled() -> None:
    notice_only = presets.Preset(
        "NOTICE_ONLY", (presets.Clock("complete", "notice", 10, "working_days", "rule"),)
    )
    with pytest.raises(ValueError, match="NOTICE_ONLY sets no clock"):
        drill_steps(notice_only, T0, ())


def test_without_a_preset_the_drill_is_the_single_timed_answer_as_before(
    sunrise: qf.QualityFlow,
) -> None:
    drill = qf.mock_recall(sunrise, "FLOUR-0412", now=T0)
    assert drill.steps == () and drill.preset is None and drill.passed == drill.within_bound
    text = drill.to_markdown()
    assert "| Bound | 24 h (FSMA 204) |" in text and "legal clock" not in text
    late = qf.mock_recall(sunrise, "FLOUR-0412", bound=timedelta(0))
    assert not late.passed and "FAILED" in late.to_html()


# ------------------------------------------------------------------ a recall's FSMA sheet


def recall_on_file(url: str) -> tuple[qf.QualityFlow, qf.Recall]:
    qms = qf.QualityFlow(url, load_entry_points=False, settings={})
    run = run_demo(qms)
    return qms, qms.recalls.open(run.incident_id, grade="I", actor="Dana Ruiz")


def test_a_recall_hands_over_the_fsma_204_sheet_of_its_lots(tmp_path: Path) -> None:
    qms, recall = recall_on_file(f"sqlite:///{tmp_path / 'sunrise.db'}")
    try:
        written = qms.recalls.fsma204(recall.id, tmp_path / "recall.csv")
        expected = qf.to_fsma204(
            qms.recall_impact(*recall.batch_ids),
            tmp_path / "expected.csv",
            genealogy=qms.genealogy,
        )
    finally:
        qms.close()
    rows = read_rows(written)
    assert rows == read_rows(expected) and rows
    shipped_to = {
        r["Ship-To Location"] for r in rows if r["Critical Tracking Event (CTE)"] == "Shipping"
    }
    assert shipped_to == {c.id for c in recall.consignees}


def test_the_sheet_of_an_unknown_recall_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    qms, _ = recall_on_file("memory://")
    with pytest.raises(qf.NotFoundError, match="RCL-NOPE"):
        qms.recalls.fsma204("RCL-NOPE", tmp_path / "r.csv")
    assert not (tmp_path / "r.csv").exists()
    qms.close()


# ------------------------------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'sunrise.db'}"
    qms, _ = recall_on_file(url)
    qms.close()
    return url


def invoke(target: object, *args: str) -> tuple[int, str, str]:
    cli.console.width = cli.err_console.width = 300
    result = runner.invoke(target, list(args))  # type: ignore[arg-type]
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_drills_a_grade_one_food_recall_against_the_preset(demo_db: str) -> None:
    code, out, _ = invoke(
        app, "recall", "FLOUR-0412", "--drill", "--preset", "CN_FOOD_RECALL_2015",
        "--grade", "I", "--db", demo_db,
    )  # fmt: skip
    assert code == 0 and "consignee list ready" in out and CN_START in out
    assert "Mock-recall drill for FLOUR-0412: PASSED" in out
    code, out, _ = invoke(
        app, "recall", "FLOUR-0412", "--drill", "--preset", "US_FSMA_204", "--json",
        "--db", demo_db,
    )  # fmt: skip
    (drill,) = json.loads(out)["drills"]
    assert drill["passed"] is True and drill["preset"] == "US_FSMA_204"
    assert [s["clock"] for s in drill["steps"]] == ["records"] * 3
    assert all(s["passed"] and s["margin"] > 23 * 3600 for s in drill["steps"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--drill", "--preset", "CN_FOOD_2099"], "CN_CONSUMER_PRODUCTS, CN_FOOD_RECALL_2015"),
        (["--preset", "US_FSMA_204"], "--preset goes with --drill"),
        (["--drill", "--grade", "I"], "--grade goes with --preset"),
        (["--drill", "--preset", "CN_FOOD_RECALL_2015"], "sets no clock for grade none"),
        (["--drill", "--preset", "CN_FOOD_RECALL_2015", "--grade", "IV"], "I, II or III"),
    ],
)
def test_cli_refuses_a_drill_preset_it_cannot_use(
    demo_db: str, args: list[str], words: str
) -> None:
    code, out, err = invoke(app, "recall", "FLOUR-0412", *args, "--db", demo_db)
    assert code == 2 and out == "" and words in err


def test_cli_recall_report_writes_the_recalls_fsma_204_sheet(demo_db: str, tmp_path: Path) -> None:
    sheet = tmp_path / "RCL-INC-5.csv"
    code, out, _ = invoke(recall_app, "report", "RCL-INC-5", "plan", "--fsma204", str(sheet),
                          "--db", demo_db)  # fmt: skip
    assert code == 0 and f"written: {sheet}" in out
    qms = qf.QualityFlow(demo_db, load_entry_points=False, settings={})
    try:
        expected = qms.recalls.fsma204("RCL-INC-5", tmp_path / "expected.csv")
    finally:
        qms.close()
    assert read_rows(sheet) == read_rows(expected)
    bad = tmp_path / "RCL-INC-5.pdf"
    code, out, err = invoke(recall_app, "report", "RCL-INC-5", "--fsma204", str(bad),
                            "--db", demo_db)  # fmt: skip
    assert code == 2 and out == "" and ".csv or .xlsx" in err and not bad.exists()
