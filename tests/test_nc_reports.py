"""Where the nonconformances come from: the rate by supplier, and their Pareto.

At the monthly supplier review the quality manager wants two things the goods-in dock
knows: how often each supplier's lots are found nonconforming (by lots, and by how much
of the material), and which few suppliers, characteristics and defects make most of the
nonconformances. Northfield Mill delivered four flour lots in March; two were too wet
(one of them was split into a reworked and a returned part, which are not lots of their
own); the sugar refinery delivered two lots, one with string pieces in a sack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import _output
from qualityflow.cli import app as main_cli
from qualityflow.models.nonconformance import Disposition
from qualityflow.prevention.scorecard import nonconformance_rate
from qualityflow.reports.pareto import nonconformance_pareto
from qualityflow.testing import Clock

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
MARCH = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


def _plant(url: str) -> qf.QualityFlow:
    qms = qf.QualityFlow(url, load_entry_points=False, clock=Clock(T0))
    qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    qms.suppliers.add(qf.Supplier(id="SUP-SUGAR", name="Sweet Refinery"))
    for n in range(4):
        qms.batches.add(
            qf.Batch(
                id=f"FLOUR-{n}", kind="raw_material", product="flour", quantity=kg(1000),
                supplier_id="SUP-MILL",
            )
        )  # fmt: skip
        wet = n < 2
        qms.inspections.add(
            qf.Inspection(
                id=f"IQC-F{n}", batch_id=f"FLOUR-{n}", stage="incoming", at=T0,
                result="fail" if wet else "pass",
                note="moisture 15.8 % (max 14.5 %)" if wet else "",
                characteristics=[qf.Characteristic(name="moisture", value=15.8 if wet else 13.2,
                                                   upper=14.5, unit="%")],
            )
        )  # fmt: skip
    for n in range(2):
        qms.batches.add(
            qf.Batch(
                id=f"SUGAR-{n}", kind="raw_material", product="sugar", quantity=kg(500),
                supplier_id="SUP-SUGAR",
            )
        )  # fmt: skip
        qms.inspections.add(
            qf.Inspection(id=f"IQC-S{n}", batch_id=f"SUGAR-{n}", stage="incoming", at=T0,
                          result="pass")
        )  # fmt: skip
    qms.nonconformances.open(
        "SUGAR-1", characteristic="foreign matter", defect="string pieces in a sack",
        quantity=kg(25), actor="Operator Tom", found_on="line 2",
    )  # fmt: skip
    qms.nonconformances.dispose(
        "NC-IQC-F0",
        [Disposition(kind="rework", quantity=kg(700)),
         Disposition(kind="return_to_supplier", quantity=kg(300))],
        actor="MRB chair Ana",
    )  # fmt: skip
    return qms


@pytest.fixture
def qms(tmp_path: Path) -> Iterator[qf.QualityFlow]:
    with _plant(f"sqlite:///{tmp_path / 'plant.db'}") as service:
        yield service


def test_the_rate_counts_lots_and_quantity_and_not_the_split_parts(qms: qf.QualityFlow) -> None:
    lots = qms.batches.list()
    assert {"FLOUR-0/REWORK-1", "FLOUR-0/RETURN-1"} <= {b.id for b in lots}
    ncs = qms.nonconformances.list()
    rate = nonconformance_rate("SUP-MILL", lots, ncs, inspections=qms.inspections.list(),
                               start=MARCH[0], end=MARCH[1])  # fmt: skip
    assert rate.lots == ("FLOUR-0", "FLOUR-1", "FLOUR-2", "FLOUR-3")
    assert rate.affected_lots == ("FLOUR-0", "FLOUR-1")
    assert rate.lot_rate == 0.5 and rate.quantity_rate("kg") == 0.5
    sugar = nonconformance_rate("SUP-SUGAR", lots, ncs)
    assert sugar.lot_rate == 0.5 and sugar.quantity_rate("kg") == 0.025
    assert sugar.quantity_rate("l") is None
    april = nonconformance_rate("SUP-MILL", lots, ncs, start=MARCH[1])
    assert april.lots == () and april.lot_rate is None


def test_the_evaluation_says_how_often_the_supplier_was_nonconforming(
    qms: qf.QualityFlow,
) -> None:
    mill = qms.suppliers.evaluate("SUP-MILL", period="2026-03", at=T0)
    assert (
        "nonconformances: 2 of 4 lots (FLOUR-0, FLOUR-1: NC-IQC-F0, NC-IQC-F1), "
        "2000 kg of 4000 kg" in mill.note
    )
    sugar = qms.suppliers.evaluate("SUP-SUGAR", period="2026-03", at=T0)
    assert "nonconformances: 1 of 2 lots (SUGAR-1: NC-SUGAR-1-1), 25 kg of 1000 kg" in sugar.note
    assert "nonconformance" not in sugar.scores  # a fact shown, not a criterion scored
    card = qf.supplier_scorecard(
        qms.suppliers.list(), period="2026-03", inspections=qms.inspections.list(),
        lots=qms.batches.list(), nonconformances=qms.nonconformances.list(),
    )  # fmt: skip
    assert "2 of 4 lots" in card.to_markdown() and "1 of 2 lots" in card.to_html()


def test_the_pareto_of_nonconformances(qms: qf.QualityFlow) -> None:
    ncs = qms.nonconformances.list()
    by_supplier = nonconformance_pareto(ncs)
    assert [(r.key, r.count) for r in by_supplier.rows] == [("SUP-MILL", 2), ("SUP-SUGAR", 1)]
    assert by_supplier.vital_few == ["SUP-MILL", "SUP-SUGAR"]
    by_char = nonconformance_pareto(ncs, "characteristic")
    assert [(r.key, r.count) for r in by_char.rows] == [("moisture", 2), ("foreign matter", 1)]
    text = by_char.to_markdown()
    assert text.startswith("## Pareto of nonconformances by characteristic")
    assert "| moisture | 2 |" in text and "complaints" not in text
    assert "Nonconformances by characteristic (3)" in by_char.to_svg()
    chinese = nonconformance_pareto(ncs, "defect", locale="zh_CN").to_markdown()
    assert "不合格" in chinese and "string pieces in a sack" in chinese
    orphan = qf.Nonconformance(
        id="NC-X", batch_id="SALT-1", quantity=kg(1), characteristic="c", defect="d"
    )
    assert nonconformance_pareto([orphan]).rows[0].key == "no supplier"
    assert nonconformance_pareto([]).to_markdown().endswith("No nonconformances.\n")
    with pytest.raises(ValueError, match="supplier, characteristic, defect"):
        nonconformance_pareto(ncs, "category")  # type: ignore[arg-type]


runner = CliRunner()


@pytest.fixture(params=["piped", "tty80"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "tty80":
        monkeypatch.setattr(
            _output,
            "console",
            Console(force_terminal=True, width=80, color_system=None, highlight=False),
        )
    return str(request.param)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main_cli, list(args), env={"COLUMNS": "80"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stdout + result.stderr and "…" not in result.stdout
    return result.exit_code, result.stdout, result.stderr


def test_nc_pareto_and_scorecard_from_the_command_line(tmp_path: Path, terminal: str) -> None:
    db = f"sqlite:///{tmp_path / 'plant.db'}"
    _plant(db).close()
    code, out, err = invoke("report", "nc-pareto", "--db", db)
    assert code == 0, err
    assert "SUP-MILL" in out and "SUP-SUGAR" in out and "nonconformances" in out
    page = tmp_path / "pareto.html"
    code, out, err = invoke(
        "report", "nc-pareto", "--by", "defect", "--period", "2026-03", "--html", str(page),
        "--json", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["of"] == "nonconformances" and data["total"] == 3
    assert data["rows"][0] == {
        "key": "moisture 15.8 % (max 14.5 %)", "count": 2, "share": 2 / 3,
        "cumulative": 2 / 3,
    }  # fmt: skip
    assert "<svg" in page.read_text("utf-8") and "<script" not in page.read_text("utf-8")
    code, out, _ = invoke("report", "nc-pareto", "--period", "2026-04", "--db", db)
    assert code == 0 and "No nonconformances." in out
    code, _, err = invoke("report", "nc-pareto", "--by", "colour", "--db", db)
    assert code == 2 and "supplier, characteristic, defect" in err
    code, out, _ = invoke("--lang", "zh_CN", "report", "nc-pareto", "--db", db)
    assert code == 0 and "不合格" in out
    code, out, err = invoke("report", "scorecard", "--period", "2026-03", "--db", db)
    assert code == 0, err
    assert "2 of 4 lots" in out
