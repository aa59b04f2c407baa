"""The ``qualityflow`` command, used the way a quality engineer at Sunrise Biscuits would.

Every command runs through typer's CliRunner (fast, in-process) and once as a real
subprocess (the installed entry point's ``python -m qualityflow``), on SQLite files in
temporary directories.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import app
from qualityflow.demo import run_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database holding one played demo week (closed INC-5 and CMP-17)."""
    path = tmp_path_factory.mktemp("plant") / "sunrise.db"
    qms = qf.QualityFlow(f"sqlite:///{path}")
    run_demo(qms)
    qms.close()
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    """A private copy of the demo database, so a test may change it."""
    copy = tmp_path / "sunrise.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------------ demo


def test_demo_plays_the_week_prints_the_8d_and_can_run_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    html = tmp_path / "8d.html"
    code, out, _ = run("demo", "--db", url, "--html", str(html))
    assert code == 0
    for text in ("Sunrise Biscuits", "CUST-MEGAMART", "Mock-recall drill", "D8 Closure"):
        assert text in out
    assert "Not recorded yet" not in out  # all eight disciplines hold the demo's data
    page = html.read_text(encoding="utf-8")
    assert 'id="timeline"' in page and 'id="genealogy"' in page
    code, out, _ = run("demo", "--db", url)
    assert code == 0 and "INC-5-R2" in out  # a second run on the same database


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"qualityflow {qf.__version__}"
    code, out, _ = run("--help")
    assert code == 0 and "export-fsma204" in out and "QUALITYFLOW_URL" in out


def test_the_database_comes_from_the_environment(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALITYFLOW_URL", db)
    code, out, _ = run("incidents", "list")
    assert code == 0 and "INC-5" in out


# ------------------------------------------------------------------------- trace & recall


def test_trace_forward_from_a_flour_lot_reaches_its_biscuits_and_shipments(db: str) -> None:
    code, out, _ = run("trace", "FLOUR-0412", "--db", db)
    assert code == 0
    assert "BISC-0302" in out and "SHP-9004" in out
    assert "OAT-0303" not in out  # the oat cookies used the other flour lot


def test_long_traces_are_cut_at_the_limit_and_say_so(db: str) -> None:
    code, out, _ = run("trace", "FLOUR-0412", "--limit", "2", "--db", db)
    assert code == 0
    assert "8 ids downstream" in out and "... and 6 more" in out
    assert "SHP-9004" not in out  # sorted ids: the two mixes come first
    code, out, _ = run("recall", "FLOUR-0412", "--limit", "1", "--db", db)
    assert code == 0 and "... and 3 more" in out


def test_trace_backward_from_a_shipment_finds_the_flour(db: str) -> None:
    code, out, _ = run("trace", "SHP-9004", "--backward", "--db", db)
    assert code == 0 and "FLOUR-0412" in out and "FLOUR-0413" not in out


def test_trace_of_an_unknown_lot_says_so_with_exit_code_3(db: str) -> None:
    code, _, err = run("trace", "FLOUR-9999", "--db", db)
    assert code == 3
    assert "FLOUR-9999" in err and "Traceback" not in err


def test_recall_lists_the_shipments_and_drills_the_answer_time(db: str) -> None:
    code, out, _ = run("recall", "BISC-0302", "--drill", "--db", db)
    assert code == 0
    for shipment in ("SHP-9001", "SHP-9002", "SHP-9003"):
        assert shipment in out
    assert "PASSED" in out


def test_recall_and_export_of_an_unknown_lot_exit_3(db: str, tmp_path: Path) -> None:
    code, _, err = run("recall", "BISC-9999", "--db", db)
    assert code == 3 and "BISC-9999" in err
    code, _, err = run("export-fsma204", "BISC-9999", "--out", str(tmp_path / "x.csv"), "--db", db)
    assert code == 3 and not (tmp_path / "x.csv").exists()


def test_listing_by_an_unknown_state_names_the_states(db: str) -> None:
    code, _, err = run("incidents", "list", "--status", "finished", "--db", db)
    assert code == 2 and "investigating" in err


def test_a_timed_drill_can_write_the_fsma_204_sheet(db: str, tmp_path: Path) -> None:
    sheet = tmp_path / "drill.csv"
    code, out, _ = run("recall", "FLOUR-0412", "--drill", "--fsma204", str(sheet), "--db", db)
    assert code == 0 and "PASSED" in out and sheet.is_file()
    code, _, err = run("recall", "FLOUR-0412", "--fsma204", str(sheet), "--db", db)
    assert code == 2 and "--drill" in err


def test_recall_as_json_gives_the_customers(db: str) -> None:
    code, out, _ = run("recall", "BISC-0303", "--json", "--db", db)
    assert code == 0
    assert json.loads(out)["customer_ids"] == ["CUST-MEGAMART"]


# ------------------------------------------------------------------ incidents & complaints


def test_incidents_list_and_show(db: str) -> None:
    code, out, _ = run("incidents", "list", "--db", db)
    assert code == 0 and "INC-5" in out and "closed" in out
    code, out, _ = run("incidents", "list", "--status", "reported", "--db", db)
    assert code == 0 and "INC-5" not in out
    code, out, _ = run("incidents", "show", "INC-5", "--db", db)
    assert code == 0 and "8D signed off" in out and "reopen" in out
    code, out, _ = run("incidents", "show", "INC-5", "--json", "--db", db)
    assert json.loads(out)["status"] == "closed"


def test_complaints_list_and_show(db: str) -> None:
    code, out, _ = run("complaints", "list", "--db", db)
    assert code == 0 and "CMP-17" in out and "social_media" in out
    code, out, _ = run("complaints", "show", "CMP-17", "--db", db)
    assert code == 0 and "lot code confirmed" in out


def _report_tissue_incident(db: str) -> None:
    with qf.QualityFlow(db) as qms:
        qms.incidents.add(
            qf.Incident(
                id="INC-8",
                title="Wet cartons of biscuits in the warehouse",
                severity="minor",
                reported_at=datetime(2026, 4, 1, 8, tzinfo=timezone.utc),
                batch_ids=["BISC-0305"],
            )
        )


def test_a_refused_trigger_lists_what_is_missing_and_changes_nothing(db: str) -> None:
    _report_tissue_incident(db)
    code, _, err = run("incidents", "fire", "INC-8", "assess", "--actor", "Dana Ruiz", "--db", db)
    assert code == 1
    assert "emergency team" in err and "--data" in err and "Traceback" not in err
    with qf.QualityFlow(db) as qms:
        assert qms.incidents.get("INC-8").status.value == "reported"


def test_fire_with_data_moves_the_incident(db: str, tmp_path: Path) -> None:
    _report_tissue_incident(db)
    fields = {
        "team": {
            "leader": {"name": "Dana Ruiz", "role": "QA manager", "department": "quality"},
            "members": [
                {"name": "Ole Berg", "role": "supervisor", "department": "production"},
                {"name": "Mia Chen", "role": "engineer", "department": "technical"},
                {"name": "Sam Patel", "role": "accounts", "department": "sales"},
            ],
        },
        "assessment": {
            "severity": "minor",
            "batch_ids": ["BISC-0305"],
            "risk": "soft biscuits",
            "recall_required": False,
        },
    }
    data = tmp_path / "assess.json"
    data.write_text(json.dumps(fields))
    code, out, err = run(
        "incidents", "fire", "INC-8", "assess", "--actor", "Dana Ruiz",
        "--at", "2026-04-01T09:00+00:00", "--data", f"@{data}", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "reported -> assessed" in out


def test_fire_refuses_bad_input_with_exit_code_2(db: str) -> None:
    code, _, err = run("incidents", "fire", "INC-5", "reopen", "--actor", "x", "--data", "{no")
    assert code == 2 and "not valid JSON" in err
    code, _, err = run("incidents", "fire", "INC-5", "explode", "--actor", "x", "--db", db)
    assert code == 2 and "unknown trigger" in err and "assess" in err
    code, _, err = run("incidents", "fire", "INC-5", "reopen", "--actor", "x", "--at", "tomorrow")
    assert code == 2 and "ISO 8601" in err


def test_complaints_fire_reopens_a_closed_complaint(db: str) -> None:
    code, out, err = run(
        "complaints", "fire", "CMP-17", "reopen", "--actor", "Lena Fox",
        "--note", "customer found a second shard", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "closed -> investigating" in out


def test_escalating_a_complaint_opens_the_incident_from_its_data(db: str) -> None:
    with qf.QualityFlow(db) as qms:
        qms.complaints.add(
            qf.Complaint(
                id="CMP-40",
                customer_id="SHOP-ELM",
                channel="phone",
                received_at=datetime(2026, 4, 2, 9, tzinfo=timezone.utc),
                description="Biscuits taste of detergent",
                batch_ids=["BISC-0304"],
                product="butter biscuits 200 g",
                severity="major",
            )
        )
    escalate = ("complaints", "escalate", "CMP-40", "--incident", "INC-41", "--actor", "Lena Fox")
    code, _, err = run(*escalate, "--db", db)
    assert code == 3 and "--title" in err
    code, out, err = run(*escalate, "--title", "Detergent taint in butter biscuits", "--db", db)
    assert code == 0, err
    assert "INC-41: opened" in out and "escalated to INC-41" in out
    with qf.QualityFlow(db) as qms:
        opened = qms.incidents.get("INC-41")
        assert opened.batch_ids == ["BISC-0304"] and opened.severity.value == "major"
        assert opened.complaint_ids == ["CMP-40"]
        assert qms.complaints.get("CMP-40").incident_id == "INC-41"


def test_add_records_a_new_complaint_from_json_and_refuses_bad_fields(db: str) -> None:
    complaint = {
        "id": "CMP-50",
        "customer_id": "SHOP-FIR",
        "channel": "email",
        "received_at": "2026-04-03T10:00:00+00:00",
        "description": "Packs under weight",
    }
    code, out, err = run("complaints", "add", json.dumps(complaint), "--db", db)
    assert code == 0 and "CMP-50: added (received)" in out, err
    by_fax = json.dumps({**complaint, "id": "CMP-51", "channel": "fax"})
    code, _, err = run("complaints", "add", by_fax, "--db", db)
    assert code == 2 and "channel" in err
    code, _, err = run("incidents", "add", '{"id": "INC-60"}', "--db", db)
    assert code == 2 and "title" in err


def test_showing_an_unknown_incident_exits_3(db: str) -> None:
    code, _, err = run("incidents", "show", "INC-404", "--db", db)
    assert code == 3 and "INC-404" in err


# -------------------------------------------------------------------------------- reports


def test_report_8d_writes_html_and_markdown(db: str, tmp_path: Path) -> None:
    html, md = tmp_path / "inc5.html", tmp_path / "inc5.md"
    code, out, _ = run(
        "report", "8d", "INC-5", "--html", str(html), "--markdown", str(md), "--db", db
    )
    assert code == 0 and "D4 Root cause" in out
    text = md.read_text(encoding="utf-8")
    assert all(f"## D{i} " in text for i in range(9))
    assert "night-shift start-up checklist" in text
    assert "<svg" in html.read_text(encoding="utf-8")


def test_report_kpis_and_pareto(db: str) -> None:
    code, out, _ = run("report", "kpis", "--db", db)
    assert code == 0 and "time to contain" in out and "per million pack" in out
    code, out, _ = run("report", "pareto", "--by", "root_cause", "--db", db)
    assert code == 0 and "method" in out
    code, _, err = run("report", "pareto", "--by", "colour", "--db", db)
    assert code == 2 and "root_cause" in err


# -------------------------------------------------------------------------------- interop


def test_import_epcis_then_trace_and_export_fsma204(tmp_path: Path) -> None:
    from qualityflow.demo import plant

    p = plant()
    epcis = tmp_path / "partner.jsonld"
    epcis.write_text(json.dumps(qf.to_epcis(qf.Genealogy.build(p.batches, p.links, p.shipments))))
    url = f"sqlite:///{tmp_path / 'imported.db'}"
    code, out, err = run("import-epcis", str(epcis), "--db", url)
    assert code == 0, err
    assert "14 new lots" in out and "8 new shipments" in out
    code, out, _ = run("trace", "FLOUR-0412", "--db", url)
    assert code == 0 and "SHP-9001" in out
    sheet = tmp_path / "fsma.csv"
    code, out, err = run("export-fsma204", "FLOUR-0412", "--out", str(sheet), "--db", url)
    assert code == 0, err
    assert "SHP-9001" in sheet.read_text(encoding="utf-8") or "9001" in sheet.read_text()


def test_import_epcis_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("import-epcis", str(tmp_path / "nope.json"), "--db", "memory://")
    assert code == 2 and "nope.json" in err


# --------------------------------------------------------------------------------- schema


def test_schema_prints_and_writes_json_schemas(tmp_path: Path) -> None:
    code, out, _ = run("schema", "Incident")
    assert code == 0 and json.loads(out)["title"] == "Incident"
    code, _, _ = run("schema", "--out", str(tmp_path / "schemas"))
    assert code == 0 and (tmp_path / "schemas" / "Complaint.schema.json").is_file()
    code, _, err = run("schema", "Widget")
    assert code == 3 and "Incident" in err


# ------------------------------------------------------------------------------- overdue


def test_overdue_lists_late_steps_and_exits_1(db: str) -> None:
    code, out, _ = run("overdue", "--db", db)
    assert code == 0 and "0 overdue" in out  # the demo week was handled in time
    _report_tissue_incident(db)  # minor, reported 2026-04-01 08:00, never assessed
    code, out, _ = run("overdue", "--now", "2026-04-05T08:00+00:00", "--db", db)
    assert code == 1
    assert "INC-8" in out and "assess" in out and "1 d" in out


# ----------------------------------------------------------------------- real subprocesses

SUBPROCESS_RUNS = {
    "demo": ["demo"],
    "trace": ["trace", "FLOUR-0412"],
    "recall": ["recall", "BISC-0302"],
    "incidents": ["incidents", "show", "INC-5"],
    "complaints": ["complaints", "list"],
    "overdue": ["overdue"],
    "report": ["report", "8d", "INC-5"],
    "import-epcis": ["import-epcis", "partner.jsonld"],
    "export-fsma204": ["export-fsma204", "BISC-0302", "--out", "fsma.csv"],
    "schema": ["schema", "Batch"],
}


def source_env() -> dict[str, str]:
    """The environment for a child process that imports this qualityflow from any cwd."""
    src = str(Path(qf.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def test_every_command_runs_as_a_real_process(db: str, tmp_path: Path) -> None:
    """Start every command at once (the interpreter start-up dominates), then check each."""
    from qualityflow.demo import plant

    p = plant()
    genealogy = qf.Genealogy.build(p.batches, p.links, p.shipments)
    procs = {}
    for name, args in SUBPROCESS_RUNS.items():
        cwd = tmp_path / name
        cwd.mkdir()
        url = db
        if name in ("demo", "import-epcis"):
            url = f"sqlite:///{cwd / 'fresh.db'}"
        if name == "import-epcis":
            (cwd / "partner.jsonld").write_text(json.dumps(qf.to_epcis(genealogy)))
        env = {**source_env(), "QUALITYFLOW_URL": url, "COLUMNS": "160"}
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "qualityflow", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
    results = {name: (proc, *proc.communicate(timeout=180)) for name, proc in procs.items()}
    for name, (proc, out, err) in results.items():
        assert "Traceback" not in err, name
        assert proc.returncode == 0, f"{name}: {err}"
        assert out.strip(), name
    assert "D8 Closure" in results["demo"][1]
    assert "SHP-9003" in results["recall"][1]
    assert "14 new lots" in results["import-epcis"][1]
    assert (tmp_path / "export-fsma204" / "fsma.csv").is_file()


def test_report_review_writes_one_page_with_all_charts(db: str, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    code, out, _ = run("report", "review", "--period", "2026-03", "--html", str(page), "--db", db)
    assert code == 0 and "Quality review 2026-03" in out and "foreign body" in out
    assert page.read_text(encoding="utf-8").count("<svg") == 4


def test_report_scorecard_charges_no_supplier_for_a_method_root_cause(
    db: str, tmp_path: Path
) -> None:
    # The demo's metal fragment (INC-5) came from a skipped sieve check on the night
    # shift: every supplier's lot is upstream of it, none caused it.
    page = tmp_path / "scorecard.html"
    code, out, _ = run(
        "report", "scorecard", "--period", "2026-Q1", "--html", str(page), "--db", db
    )
    assert code == 0
    assert "SUP-PACK" in out and "No status change recommended." in out
    assert "SUP-PACK: quality not scored: 1 incoming inspection(s) in the period" in out
    assert "INC-5 (root cause in method)" in out
    assert 'id="scorecard"' in page.read_text(encoding="utf-8")
