"""``trace``, ``recall``, ``import-epcis``, ``export-fsma204`` and ``report`` follow ``--lang``.

Each command runs as a real process in English and in Chinese against the same demo plant:
the messages read Chinese under ``--lang zh_CN``, the exit codes are the same in both
languages, and ``--json`` prints the same document in both. The input parsers of
``cli/_input.py`` are checked in the process, under ``using("zh_CN")``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

import qualityflow as qf
from qualityflow.cli import _input
from qualityflow.cli.interop import EXPORT_HELP, IMPORT_HELP
from qualityflow.cli.trace import RECALL_HELP, TRACE_HELP
from qualityflow.i18n import using


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "qualityflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def both(*args: str) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Run ``args`` in English, then with ``--lang zh_CN``; the exit codes must agree."""
    english, chinese = run(*args), run("--lang", "zh_CN", *args)
    assert english.returncode == chinese.returncode, (english.stderr, chinese.stderr)
    return english, chinese


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('trace-i18n') / 'plant.db'}"
    assert run("--db", url, "demo").returncode == 0
    return url


def _without(data: Any, key: str) -> Any:
    """``data`` with every ``key`` left out (the times a report is built at differ)."""
    if isinstance(data, dict):
        return {k: _without(v, key) for k, v in data.items() if k != key}
    if isinstance(data, list):
        return [_without(v, key) for v in data]
    return data


# ------------------------------------------------------------------------------ trace


def test_trace_reads_chinese_and_its_ids_stay(plant: str) -> None:
    english, chinese = both("--db", plant, "trace", "FLOUR-0412", "--depth", "1")
    assert english.returncode == 0
    assert english.stdout.splitlines()[0] == "2 ids downstream of FLOUR-0412"
    lines = chinese.stdout.splitlines()
    assert lines[0] == "FLOUR-0412 下游的 2 个编号"
    assert lines[1].split() == ["编号", "类型", "产品", "/", "客户", "状态", "/", "地区", "路径"]
    # ids, products and paths as stored; the lot kind and status by their Chinese words
    assert "MIX-0302A  半成品" in chinese.stdout and "已放行" in chinese.stdout
    assert "FLOUR-0412 > MIX-0302A" in chinese.stdout
    assert "intermediate" in english.stdout and "released" in english.stdout


def test_trace_backward_is_upstream_in_chinese(plant: str) -> None:
    english, chinese = both("--db", plant, "trace", "SHP-9004", "--backward", "--depth", "1")
    assert english.returncode == 0
    assert english.stdout.startswith("1 id upstream of SHP-9004\n")
    assert chinese.stdout.startswith("SHP-9004 上游的 1 个编号\n")


def test_trace_json_is_the_same_in_both_languages(plant: str) -> None:
    english, chinese = both("--db", plant, "trace", "FLOUR-0412", "--json")
    assert english.returncode == 0 and english.stdout == chinese.stdout
    assert json.loads(english.stdout)["direction"] == "forward"


def test_a_bad_depth_and_an_unknown_lot_read_chinese_with_their_exit_codes(plant: str) -> None:
    english, chinese = both("--db", plant, "trace", "FLOUR-0412", "--depth", "0")
    assert english.returncode == 2 and chinese.stdout == ""
    assert english.stderr == (
        "error: --depth 0: the number of steps must be 1 or more\n"
        "hint: leave --depth out to follow every step\n"
    )
    assert (
        chinese.stderr
        == "错误：--depth 0：步数必须至少为 1\n提示：不指定 --depth 即可追溯全部步骤\n"
    )
    english, chinese = both("--db", plant, "trace", "LOT-404", "FLOUR-0412")
    assert english.returncode == 3
    assert english.stderr.startswith("error: not in the genealogy: LOT-404\nhint: check the ids")
    assert chinese.stderr.startswith("错误：追溯谱系中没有：LOT-404\n提示：请检查编号")


# ----------------------------------------------------------------------------- recall


def test_recall_impact_reads_chinese(plant: str) -> None:
    english, chinese = both("--db", plant, "recall", "BISC-0302")
    assert english.returncode == 0
    assert "Affected batches (1)" in english.stdout
    assert "Shipments to recall (3)" in english.stdout
    assert "Recall impact of BISC-0302: 1 batch (1 finished), 3 shipments to 3 customers" in (
        english.stdout
    )
    assert "受影响批次（1）" in chinese.stdout and "需召回的发货（3）" in chinese.stdout
    assert "发货时间（UTC）" in chinese.stdout and "shipped (UTC)" not in chinese.stdout
    assert (
        "BISC-0302 的召回影响：1 个批次（其中成品 1 个），3 笔发货，发往 2 个地区的 3 个客户；"
        "已发货 3300 pack；厂内 700 pack（已召回 700 pack）"
    ) in chinese.stdout
    for word in ("Recall impact", "batch", "in house", "finished"):
        assert word not in chinese.stdout


def test_recall_json_is_the_same_in_both_languages(plant: str) -> None:
    english, chinese = both("--db", plant, "recall", "BISC-0302", "--json")
    assert english.returncode == 0 and english.stdout == chinese.stdout


def test_a_refused_fsma204_option_reads_chinese(plant: str, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    english, chinese = both("--db", plant, "recall", "BISC-0302", "--fsma204", str(sheet))
    assert english.returncode == 2
    assert english.stderr.startswith("error: --fsma204 goes with --drill")
    assert chinese.stderr == (
        "错误：--fsma204 须与 --drill 一起使用（它对写出表格计时）\n"
        "提示：请加上 --drill，或单独写出表格："
        f"qualityflow export-fsma204 BISC-0302 --out {sheet}\n"
    )
    bad = tmp_path / "sheet.pdf"
    english, chinese = both("--db", plant, "recall", "BISC-0302", "--drill", "--fsma204", str(bad))
    assert english.returncode == 2 and not bad.exists()
    assert f"{bad}: the FSMA 204 sheet is written as .csv or .xlsx, not .pdf" in english.stderr
    assert chinese.stderr.startswith(f"错误：--fsma204 {bad}：FSMA 204 表格只能写成 .csv 或 .xlsx")
    assert "提示：请使用" in chinese.stderr


# ---------------------------------------------------- import-epcis and export-fsma204


def test_import_epcis_reads_chinese(tmp_path: Path) -> None:
    from qualityflow.demo import plant

    p = plant()
    epcis = tmp_path / "partner.jsonld"
    epcis.write_text(json.dumps(qf.to_epcis(qf.Genealogy.build(p.batches, p.links, p.shipments))))
    chinese = run(
        "--lang", "zh_CN", "--db", f"sqlite:///{tmp_path / 'zh.db'}", "import-epcis", str(epcis)
    )
    english = run("--db", f"sqlite:///{tmp_path / 'en.db'}", "import-epcis", str(epcis))
    assert english.returncode == chinese.returncode == 0, chinese.stderr
    assert "14 new lots" in english.stdout
    assert chinese.stdout.startswith("已导入 ")
    assert "新增 14 个批次" in chinese.stdout and "新增 8 笔发货" in chinese.stdout
    assert chinese.stdout.rstrip().endswith("。")
    again = run(
        "--lang", "zh_CN", "--db", f"sqlite:///{tmp_path / 'zh.db'}", "import-epcis", str(epcis)
    )
    assert again.returncode == 0 and "（全部已存在，无新增）" in again.stdout
    # --json: the same counts whatever the language
    en_json = run("--db", f"sqlite:///{tmp_path / 'en.db'}", "import-epcis", str(epcis), "--json")
    zh_json = run(
        "--lang",
        "zh_CN",
        "--db",
        f"sqlite:///{tmp_path / 'zh.db'}",
        "import-epcis",
        str(epcis),
        "--json",
    )
    assert en_json.returncode == zh_json.returncode == 0
    assert en_json.stdout == zh_json.stdout


def test_import_epcis_refusals_read_chinese(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    missing = tmp_path / "nope.json"
    english, chinese = both("--db", db, "import-epcis", str(missing))
    assert english.returncode == 2
    assert english.stderr == f"error: no such file: {missing}\n"
    assert chinese.stderr == f"错误：文件不存在：{missing}\n"
    empty = tmp_path / "empty.jsonld"
    empty.write_text(
        json.dumps(
            {
                "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-03-01T00:00:00Z",
                "epcisBody": {"eventList": []},
            }
        )
    )
    english, chinese = both("--db", db, "import-epcis", str(empty))
    assert english.returncode == 2
    assert f"error: nothing to import: {empty} (0 events) hold no lots or shipments" in (
        english.stderr
    )
    assert f"错误：没有可导入的内容：{empty}（0 个事件）中没有批次或发货" in chinese.stderr
    assert "提示：请确认这些是包含对象、聚合或转化事件的 EPCIS 文档" in chinese.stderr


def test_export_fsma204_reads_chinese(plant: str, tmp_path: Path) -> None:
    sheet = tmp_path / "fsma.csv"
    chinese = run(
        "--lang", "zh_CN", "--db", plant, "export-fsma204", "BISC-0302", "--out", str(sheet)
    )
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout == f"FSMA 204 电子表格已写入 {sheet}：1 个批次，3 笔发货。\n"
    english = run("--db", plant, "export-fsma204", "BISC-0302", "--out", str(sheet))
    assert english.stdout == f"FSMA 204 spreadsheet written to {sheet}: 1 lot, 3 shipments.\n"
    args = ("--db", plant, "export-fsma204", "BISC-0302", "--out", str(sheet), "--json")
    english, chinese = both(*args)
    assert english.returncode == 0 and english.stdout == chinese.stdout
    bad = tmp_path / "fsma.txt"
    english, chinese = both("--db", plant, "export-fsma204", "BISC-0302", "--out", str(bad))
    assert english.returncode == 2 and not bad.exists()
    assert chinese.stderr == (
        f"错误：--out {bad}：FSMA 204 表格只能写成 .csv 或 .xlsx，不能是 .txt\n"
        f"提示：请使用 {bad.with_suffix('.csv')}（CSV）或 {bad.with_suffix('.xlsx')}"
        "（Excel，需要 xlsx 扩展）\n"
    )
    nowhere = tmp_path / "no" / "such" / "dir" / "fsma.csv"
    english, chinese = both("--db", plant, "export-fsma204", "BISC-0302", "--out", str(nowhere))
    assert english.returncode == 2
    assert "does not exist" in english.stderr
    assert f"目录 {nowhere.parent} 不存在" in chinese.stderr
    assert "提示：请先创建该目录，或写到其他位置" in chinese.stderr


# ----------------------------------------------------------------------------- report


def test_report_refusals_read_chinese(plant: str) -> None:
    english, chinese = both("--db", plant, "report", "pareto", "--by", "colour")
    assert english.returncode == 2
    assert english.stderr == (
        "error: --by 'colour'\nhint: use one of category, product, root_cause, channel, customer\n"
    )
    assert chinese.stderr.startswith("错误：--by 'colour'：不是可用的维度\n提示：请使用以下之一：")
    english, chinese = both("--db", plant, "report", "kpis", "--period", "2026-Q5")
    assert english.returncode == 2
    assert english.stderr.startswith("error: --period '2026-Q5' is not a period\n")
    assert chinese.stderr.startswith(
        "错误：--period '2026-Q5' 不是有效的期间\n提示：请使用年份（2026）"
    )


def test_report_review_reads_chinese_and_its_json_stays_neutral(plant: str, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    english, chinese = both("--db", plant, "report", "review", "--html", str(page))
    assert english.returncode == 0
    assert english.stdout.startswith("# Quality review all time\n")
    assert chinese.stdout.startswith("# 质量评审 全部期间\n")
    assert chinese.stdout.rstrip().endswith(f"已写入：{page}")
    english, chinese = both("--db", plant, "report", "review", "--period", "2026", "--json")
    assert english.returncode == 0
    en, zh = json.loads(english.stdout), json.loads(chinese.stdout)
    assert en["title"] == zh["title"] == "Quality review 2026"
    assert list(en) == list(zh)
    english, chinese = both("--db", plant, "report", "pareto", "--json")
    assert english.stdout == chinese.stdout
    english, chinese = both("--db", plant, "report", "kpis", "--json")
    assert _without(json.loads(english.stdout), "as_of") == _without(
        json.loads(chinese.stdout), "as_of"
    )


def test_the_8d_report_names_what_is_not_recorded_in_chinese(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    new = '{"id": "INC-9", "title": "Hair in pack", "severity": "minor"}'
    assert run("--db", db, "incidents", "add", new).returncode == 0
    english, chinese = both("--db", db, "report", "8d", "INC-9")
    assert english.returncode == 0
    assert english.stdout.splitlines()[-1] == "Not recorded yet: D0, D1, D2, D3, D4, D5, D6, D7, D8"
    assert chinese.stdout.splitlines()[-1] == "尚未记录：D0, D1, D2, D3, D4, D5, D6, D7, D8"
    english, chinese = both("--db", db, "report", "8d", "INC-404")
    assert english.returncode == 3


# ------------------------------------------------------------------------------- demo


def test_the_demo_tells_its_story_in_chinese(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'sunrise.db'}"
    chinese = run("--lang", "zh_CN", "--db", db, "demo")
    assert chinese.returncode == 0, chinese.stderr
    for line in (
        "== Sunrise Biscuits 饼干厂 ==",
        "== 时间线 ==",
        "== 召回影响 ==",
        "== 8D 报告 ==",
    ):
        assert line in chinese.stdout.splitlines()
    assert "CMP-17（投诉）和 INC-5（质量事故）" in chinese.stdout
    assert "面粉批次 FLOUR-0412 的模拟召回演练：" in chinese.stdout
    assert "（FSMA 204 时限：24 小时），5 个批次，4 笔发货，3 个客户。" in chinese.stdout
    assert f"数据已存入 {db}。可以试试：" in chinese.stdout
    assert "qualityflow trace FLOUR-0412" in chinese.stdout  # the commands stay runnable
    again = run("--lang", "zh_CN", "--db", db, "demo")
    assert again.returncode == 0
    assert f"警告：{db} 中已有一次演示，因此本次演示的编号以 -R2 结尾" in again.stderr
    gone = run("--lang", "zh_CN", "--db", "memory://", "demo")
    assert gone.returncode == 0
    assert "演示运行在 memory:// 上，命令结束后该数据库已不存在。" in gone.stdout


# ------------------------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (("trace",), "Trace lots forward (where did they go)", "向下游追溯批次（去了哪里）"),
        (
            ("recall",),
            "Show what a recall of the suspect lots touches",
            "显示召回可疑批次会涉及的范围",
        ),
        (("import-epcis",), "Import partners' EPCIS events", "导入合作伙伴的 EPCIS 事件"),
        (("export-fsma204",), "Write the FDA FSMA 204 sortable", "FDA FSMA 204 可排序电子表格"),
        (("report",), "Reports: 8D, KPIs, Pareto of complaints", "报告：8D、KPI、投诉帕累托分析"),
        (("report", "review"), "Print the quality review", "输出质量评审"),
        (("demo",), "Play a biscuit plant's worst week", "重演一家饼干厂最糟糕的一周"),
    ],
    ids=["trace", "recall", "import-epcis", "export-fsma204", "report", "report-review", "demo"],
)
def test_the_help_follows_lang(args: tuple[str, ...], english: str, chinese: str) -> None:
    got_en, got_zh = both(*args, "--help")
    assert got_en.returncode == 0
    assert english in got_en.stdout and english not in got_zh.stdout
    assert chinese in got_zh.stdout


def test_the_help_constants_are_the_docstrings() -> None:
    """typer shows the docstring; it must be the message id ``translate_help`` looks up."""
    import inspect

    from qualityflow.cli import demo, interop, trace

    assert inspect.getdoc(demo.demo) == demo.HELP
    assert inspect.getdoc(trace.trace) == TRACE_HELP
    assert inspect.getdoc(trace.recall) == RECALL_HELP
    assert inspect.getdoc(interop.import_epcis) == IMPORT_HELP
    assert inspect.getdoc(interop.export_fsma204) == EXPORT_HELP


# -------------------------------------------------------------------- the input parsers


def _refusal(capsys: pytest.CaptureFixture[str], call: Any) -> tuple[int, str]:
    with using("zh_CN"), pytest.raises(typer.Exit) as exited:
        call()
    return exited.value.exit_code, capsys.readouterr().err


def test_the_input_parsers_refuse_in_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = _refusal(capsys, lambda: _input.parse_time("tomorrow", "--at"))
    assert code == 2
    assert err == (
        "错误：--at 'tomorrow' 不是 ISO 8601 时间\n提示：例如 --at 2026-03-05T09:30+00:00\n"
    )
    code, err = _refusal(capsys, lambda: _input.parse_time("2026-03-05T09:30", "--at"))
    assert err == (
        "错误：--at '2026-03-05T09:30' 没有时区\n"
        "提示：请加上时区，例如 --at 2026-03-05T09:30+00:00（或 Z）\n"
    )
    code, err = _refusal(capsys, lambda: _input.parse_data("{nope"))
    assert code == 2 and err.startswith("错误：--data 不是有效的 JSON（第 1 行第 2 列：")
    assert '提示：请给出一个 JSON 对象，例如 --data \'{"lessons"' in err
    code, err = _refusal(capsys, lambda: _input.parse_data("[1]"))
    assert err == "错误：--data 必须是由字段名和值组成的 JSON 对象\n"
    missing = tmp_path / "fields.json"
    code, err = _refusal(capsys, lambda: _input.parse_data(f"@{missing}"))
    assert err == f"错误：--data @{missing}：文件 {missing} 不存在\n"
    code, err = _refusal(capsys, lambda: _input.check_output(tmp_path, "--html"))
    assert code == 2 and err == f"错误：--html {tmp_path}：这是一个目录\n提示：请给出文件名\n"
    code, err = _refusal(capsys, lambda: _input.require_known(set(), ["LOT-1", "LOT-2"]))
    assert code == 3 and err.startswith("错误：追溯谱系中没有：LOT-1, LOT-2\n提示：")


def test_the_input_parsers_are_unchanged_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    with using("en"), pytest.raises(typer.Exit):
        _input.parse_period("last week")
    assert capsys.readouterr().err == (
        "error: --period 'last week' is not a period\n"
        "hint: use a year (2026), a quarter (2026-Q1), a month (2026-03), a day (2026-03-05) "
        "or leave it out for all records\n"
    )
