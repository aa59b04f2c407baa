"""``trace``, ``recall``, ``export-fsma204`` and ``report 8d`` answer from the database.

None of them loads the whole genealogy (``qms.genealogy`` is made to fail here), and each
prints exactly what the whole genealogy gives.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import app
from qualityflow.demo import run_demo
from qualityflow.reports import eight_d

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plant") / "sunrise.db"
    with qf.QualityFlow(f"sqlite:///{path}") as qms:
        run_demo(qms)
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "sunrise.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def whole(db: str) -> Iterator[qf.Genealogy]:
    """The whole genealogy, loaded before ``qms.genealogy`` is made to fail."""
    with qf.QualityFlow(db, load_entry_points=False) as qms:
        yield qms.genealogy


@pytest.fixture
def no_whole_load(monkeypatch: pytest.MonkeyPatch, whole: qf.Genealogy) -> None:
    def refuse(self: qf.QualityFlow) -> qf.Genealogy:
        raise AssertionError("the command loaded the whole genealogy")

    monkeypatch.setattr(qf.QualityFlow, "genealogy", property(refuse))


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def trace_json(genealogy: qf.Genealogy, ids: list[str], backward: bool, depth: int | None) -> Any:
    """What ``trace --json`` printed when it traced on the whole genealogy."""
    trace = (
        genealogy.trace_backward(*ids, depth=depth)
        if backward
        else genealogy.trace_forward(*ids, depth=depth)
    )
    reached = []
    for node in sorted(trace.ids):
        data = genealogy.graph.nodes[node]
        reached.append(
            {
                "id": node,
                "kind": data.get("kind"),
                "product": data.get("product") or None,
                "customer": data.get("customer") or None,
                "status": data.get("status") or None,
                "region": data.get("region") or None,
                "path": trace.path_to(node),
            }
        )
    return {"direction": "backward" if backward else "forward", "from": ids, "reached": reached}


@pytest.mark.parametrize(
    ("ids", "backward", "depth"),
    [
        (["FLOUR-0412"], False, None),
        (["FLOUR-0412"], False, 1),
        (["FLOUR-0412", "BUTTER-221"], False, 2),
        (["SHP-9004"], True, None),
        (["BISC-0302"], True, 1),
    ],
)
@pytest.mark.usefixtures("no_whole_load")
def test_trace_prints_what_the_whole_genealogy_gives(
    db: str, whole: qf.Genealogy, ids: list[str], backward: bool, depth: int | None
) -> None:
    args = ["trace", *ids, "--json", "--db", db]
    if backward:
        args.append("--backward")
    if depth is not None:
        args += ["--depth", str(depth)]
    code, out, err = run(*args)
    assert code == 0, err
    assert json.loads(out) == trace_json(whole, ids, backward, depth)
    code, table, _ = run(*[a for a in args if a != "--json"])
    assert code == 0 and all(r["id"] in table for r in json.loads(out)["reached"][:5])


@pytest.mark.usefixtures("no_whole_load")
def test_unknown_ids_exit_3_naming_them(db: str, tmp_path: Path) -> None:
    for args in (
        ["trace", "FLOUR-0412", "FLOUR-9999", "--db", db],
        ["recall", "BISC-9999", "--db", db],
        ["export-fsma204", "BISC-9999", "--out", str(tmp_path / "x.csv"), "--db", db],
    ):
        code, _, err = run(*args)
        assert code == 3 and "not in the genealogy: " in err and "9999" in err


@pytest.mark.usefixtures("no_whole_load")
def test_recall_and_its_drill_sheet_equal_the_whole_genealogys(
    db: str, whole: qf.Genealogy, tmp_path: Path
) -> None:
    code, out, err = run("recall", "FLOUR-0412", "--json", "--db", db)
    assert code == 0, err
    assert json.loads(out) == json.loads(json.dumps(whole.recall_impact("FLOUR-0412").to_dict()))
    sheet, expected = tmp_path / "drill.csv", tmp_path / "expected.csv"
    code, _, err = run("recall", "FLOUR-0412", "--drill", "--fsma204", str(sheet), "--db", db)
    assert code == 0, err
    qf.to_fsma204(whole.recall_impact("FLOUR-0412"), expected, genealogy=whole)
    assert sheet.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")


@pytest.mark.usefixtures("no_whole_load")
def test_export_fsma204_writes_the_whole_genealogys_sheet(
    db: str, whole: qf.Genealogy, tmp_path: Path
) -> None:
    for ids in (["FLOUR-0412"], ["BISC-0302", "BUTTER-221"]):
        sheet, expected = tmp_path / "sheet.csv", tmp_path / "expected.csv"
        code, _, err = run("export-fsma204", *ids, "--out", str(sheet), "--db", db)
        assert code == 0, err
        qf.to_fsma204(whole.recall_impact(*ids), expected, genealogy=whole)
        text = sheet.read_text(encoding="utf-8")
        assert text == expected.read_text(encoding="utf-8")
        # inputs of transformation rows come from outside the recall's downstream too
        assert "Transformation" in text


@pytest.mark.usefixtures("no_whole_load")
def test_report_8d_equals_the_whole_genealogys(
    db: str, whole: qf.Genealogy, tmp_path: Path
) -> None:
    md = tmp_path / "inc5.md"
    code, _, err = run("report", "8d", "INC-5", "--markdown", str(md), "--db", db)
    assert code == 0, err
    with qf.QualityFlow(db, load_entry_points=False) as qms:
        incident = qms.incidents.get("INC-5")
        suspects = incident.recall.batch_ids if incident.recall else incident.batch_ids
        present = [s for s in suspects if s in whole]
        expected = eight_d(
            incident,
            impact=whole.recall_impact(*present) if present else None,
            genealogy=whole,
            complaints=qms.complaints.list(),
            audit_head=qms.audit.head(),
            audit_at=datetime.now(timezone.utc),
        )
    as_of = re.compile(r" \(as of [^)]*\)")
    assert as_of.sub("", md.read_text(encoding="utf-8")) == as_of.sub("", expected.to_markdown())
