"""Issuing SCARs from incidents and common causes, and answering them from the command line.

The supplier quality engineer of a chocolate plant has three ways a supplier's problem
reaches her desk. A returned part of a lot is the first (``test_scar.py``). The second is
an incident: the emergency team traced sour milk chocolate to a milk-powder lot of the
dairy, confirmed the root cause and put it in the material category, so the dairy owes a
corrective action; an incident caused by the plant's own conche does not. The third is
the complaints desk: two hazelnut bars from different days are complained about, and
``common_causes`` points at the one hazelnut lot they share, from Nutfield Farm; the farm
gets a SCAR for its lot, the cocoa supplier (in one of the bars only) does not. Each SCAR
goes out with ``qualityflow scar issue`` and the supplier's answer comes back as the JSON a portal
produces, with ``qualityflow scar respond``: a malformed answer is refused naming the
field, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import _output
from qualityflow.cli import app as main_cli
from qualityflow.i18n import using
from qualityflow.testing import Clock
from test_scar import url  # noqa: F401  (the backend fixture: memory, SQLite, servers)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
DUE = date(2026, 3, 16)


def kg(n: int) -> qf.Quantity:
    return qf.Quantity(amount=n, unit="kg")


def _chocolate_plant(database: str, clock: Clock) -> qf.QualityFlow:
    qms = qf.QualityFlow(database, load_entry_points=False, clock=clock)
    for sid, name in [
        ("SUP-DAIRY", "Alpine Dairy"),
        ("SUP-NUT", "Nutfield Farm"),
        ("SUP-COCOA", "Ghana Cocoa"),
    ]:
        qms.suppliers.add(qf.Supplier(id=sid, name=name))
    raw = [
        ("MILKP-88", "milk powder", "SUP-DAIRY"),
        ("NUTS-17", "hazelnuts", "SUP-NUT"),
        ("COCOA-3", "cocoa mass", "SUP-COCOA"),
    ]
    for lot, product, supplier in raw:
        qms.batches.add(
            qf.Batch(
                id=lot, kind="raw_material", product=product, quantity=kg(500), supplier_id=supplier
            )
        )
    for bar in ("MILKCHOC-1", "NUTBAR-1", "NUTBAR-2"):
        qms.batches.add(
            qf.Batch(id=bar, kind="finished", product=bar.split("-")[0].lower(), quantity=kg(200))
        )
    qms.link("MILKP-88", "MILKCHOC-1")
    qms.link("COCOA-3", "MILKCHOC-1")
    qms.link("NUTS-17", "NUTBAR-1")
    qms.link("NUTS-17", "NUTBAR-2")
    qms.link("COCOA-3", "NUTBAR-1")
    return qms


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def qms(url: str, clock: Clock) -> Iterator[qf.QualityFlow]:  # noqa: F811
    with _chocolate_plant(url, clock) as service:
        yield service


def _incident(
    qms: qf.QualityFlow, category: str = "material", confirmed: bool = True
) -> qf.Incident:
    inc = qms.incidents.add(
        qf.Incident(
            id="INC-21",
            title="Sour milk chocolate",
            severity="major",
            batch_ids=["MILKCHOC-1"],
            reported_at=T0,
        )
    )
    inc.root_cause = qf.RootCauseAnalysis(
        method="five_why",
        problem="sour taste in milk chocolate",
        root_cause="milk powder stored above 30 degC at Alpine Dairy",
        category=category,
        confirmed=confirmed,
    )
    return qms.incidents.save(inc, actor="QA Lena", reason="root cause found")


def _stored(qms: qf.QualityFlow) -> tuple[list[str], int]:
    return [s.id for s in qms.supplier_actions.list()], len(qms.storage.outbox(pending_only=False))


# -- the service --------------------------------------------------------------------------


def test_an_incident_with_a_confirmed_material_root_cause_sends_a_scar_to_the_dairy(
    qms: qf.QualityFlow,
) -> None:
    _incident(qms)
    scar = qms.supplier_actions.request_from_incident("INC-21", due=DUE, actor="SQE Priya")
    assert (scar.id, scar.supplier_id, scar.incident_id) == ("SCAR-INC-21", "SUP-DAIRY", "INC-21")
    assert scar.batch_ids == ["MILKP-88"] and scar.nonconformance_ids == []
    assert scar.severity.value == "major" and scar.requested_at == T0
    assert "milk powder stored above 30 degC" in scar.description
    assert scar.sources == ["INC-21", "MILKP-88"]
    titles = [e.notification.title for e in qms.storage.outbox(pending_only=False)]
    assert "SCAR SCAR-INC-21 to SUP-DAIRY: response due 2026-03-16" in titles
    # the cocoa is upstream too: naming its supplier is allowed (a root cause may say so)
    cocoa = qms.supplier_actions.request_from_incident(
        "INC-21", due=DUE, actor="SQE Priya", supplier_id="SUP-COCOA"
    )
    assert (cocoa.id, cocoa.batch_ids) == ("SCAR-INC-21-2", ["COCOA-3"])
    # it goes through the same lifecycle as any SCAR
    qms.supplier_actions.fire(scar.id, "acknowledge", actor="Dairy QA Urs")
    assert qms.supplier_actions.get(scar.id).status.value == "acknowledged"


@pytest.mark.parametrize(
    ("category", "confirmed", "why"),
    [
        ("material", False, "INC-21 has no confirmed root cause"),
        ("machine", True, "lies in machine, not in the material"),
    ],
)
def test_an_incident_not_caused_by_material_sends_no_scar(
    qms: qf.QualityFlow, category: str, confirmed: bool, why: str
) -> None:
    _incident(qms, category, confirmed)
    before = _stored(qms)
    with pytest.raises(qf.TransitionError, match=why) as refused:
        qms.supplier_actions.request_from_incident("INC-21", due=DUE, actor="SQE Priya")
    assert refused.value.trigger == "request"
    assert _stored(qms) == before  # nothing written, nothing queued


def test_an_incident_scar_names_one_supplier_whose_material_is_upstream(
    qms: qf.QualityFlow,
) -> None:
    _incident(qms)
    with pytest.raises(qf.TransitionError, match="no lot of supplier SUP-NUT is upstream"):
        qms.supplier_actions.request_from_incident(
            "INC-21", due=DUE, actor="SQE Priya", supplier_id="SUP-NUT"
        )
    qms.incidents.add(
        qf.Incident(id="INC-22", title="Odd bars", severity="minor", batch_ids=["NUTBAR-1"])
    )
    inc = qms.incidents.get("INC-22")
    inc.root_cause = qf.RootCauseAnalysis(
        method="five_why", problem="odd", root_cause="raw material", category="material",
        confirmed=True,
    )  # fmt: skip
    qms.incidents.save(inc, actor="QA Lena")
    with pytest.raises(qf.TransitionError, match=r"several suppliers .*\(SUP-COCOA, SUP-NUT\)"):
        qms.supplier_actions.request_from_incident("INC-22", due=DUE, actor="SQE Priya")
    with pytest.raises(qf.TransitionError, match="before the request"):
        qms.supplier_actions.request_from_incident(
            "INC-21", due=date(2026, 3, 1), actor="SQE Priya"
        )
    with pytest.raises(qf.NotFoundError):
        qms.supplier_actions.request_from_incident("INC-404", due=DUE, actor="SQE Priya")
    assert qms.supplier_actions.list() == []


def test_common_causes_of_two_complained_bars_send_a_scar_to_the_nut_farm(
    qms: qf.QualityFlow,
) -> None:
    causes = qms.common_causes("NUTBAR-1", "NUTBAR-2")
    assert ("supplier", "SUP-NUT") in {(c.kind, c.id) for c in causes}
    scar = qms.supplier_actions.request_from_common_causes(
        ["NUTBAR-1", "NUTBAR-2"], supplier_id="SUP-NUT", due=DUE, actor="SQE Priya"
    )
    assert (scar.id, scar.supplier_id, scar.batch_ids) == ("SCAR-SUP-NUT-1", "SUP-NUT", ["NUTS-17"])
    assert scar.incident_id is None and scar.nonconformance_ids == []
    assert "NUTBAR-1, NUTBAR-2" in scar.description
    before = _stored(qms)
    # only the first bar has cocoa in it: the common causes do not point at Ghana Cocoa
    with pytest.raises(qf.TransitionError, match="do not point at supplier SUP-COCOA") as err:
        qms.supplier_actions.request_from_common_causes(
            ["NUTBAR-1", "NUTBAR-2"], supplier_id="SUP-COCOA", due=DUE, actor="SQE Priya"
        )
    assert "lot NUTS-17" in str(err.value) and "supplier SUP-NUT" in str(err.value)
    with pytest.raises(qf.TransitionError, match="give the suspect batches"):
        qms.supplier_actions.request_from_common_causes(
            [], supplier_id="SUP-NUT", due=DUE, actor="SQE Priya"
        )
    with pytest.raises(qf.TransitionError, match="say who requests"):
        qms.supplier_actions.request_from_common_causes(
            ["NUTBAR-1", "NUTBAR-2"], supplier_id="SUP-NUT", due=DUE, actor=" "
        )
    assert _stored(qms) == before


def test_refusals_are_translated() -> None:
    with qf.QualityFlow(load_entry_points=False) as qms:
        qms.batches.add(qf.Batch(id="B-1", kind="finished", product="bar", quantity=kg(1)))
        qms.incidents.add(qf.Incident(id="INC-1", title="t", severity="minor", batch_ids=["B-1"]))
        with using("zh_CN"), pytest.raises(qf.TransitionError) as err:
            qms.supplier_actions.request_from_incident("INC-1", due=date(2099, 1, 1), actor="A")
    text = " ".join(err.value.reasons)
    assert "INC-1" in text and "根本原因" in text and "no confirmed" not in text


def test_a_scar_says_what_it_answers() -> None:
    with pytest.raises(ValueError, match="says nothing about what it answers"):
        qf.SupplierAction(id="SCAR-1", supplier_id="SUP-NUT", due=DUE)


# -- the command line ---------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(params=["piped", "tty80"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Piped (plain text), or an 80-column terminal without colours."""
    if request.param == "tty80":
        monkeypatch.setattr(
            _output,
            "console",
            Console(force_terminal=True, width=80, color_system=None, highlight=False),
        )
    return str(request.param)


@pytest.fixture
def db(tmp_path: Path, clock: Clock) -> str:
    path = f"sqlite:///{tmp_path / 'plant.db'}"
    with _chocolate_plant(path, clock) as qms:
        _incident(qms)
        qms.inspections.add(
            qf.Inspection(
                id="IQC-88", batch_id="NUTS-17", stage="incoming", result="fail", at=T0,
                note="aflatoxin B1 4.1 ug/kg (max 2.0)",
            )
        )  # fmt: skip
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main_cli, list(args), env={"COLUMNS": "80"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stdout + result.stderr
    assert "…" not in result.stdout
    return result.exit_code, result.stdout, result.stderr


def _portal_answer(path: Path, **changes: object) -> Path:
    answer: dict[str, object] = {
        "containment": "blocked the 4 other lots dried that week; aflatoxin re-tested",
        "root_cause": "nuts from one grower dried too slowly after rain",
        "corrective_action": "moisture below 6 % before storage; grower audited",
        "responded_by": "Farm QA Ines",
        "responded_at": datetime.now(timezone.utc).isoformat(),
        **changes,
    }
    path.write_text(json.dumps({k: v for k, v in answer.items() if v is not None}), "utf-8")
    return path


def test_scars_are_issued_from_the_command_line(db: str, terminal: str) -> None:
    code, out, err = invoke(
        "scar", "issue", "--incident", "INC-21", "--due", "2099-03-16", "--actor", "SQE Priya",
        "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "SCAR-INC-21: issued to SUP-DAIRY, response due 2099-03-16" in out
    assert "for: INC-21, MILKP-88" in out
    code, out, err = invoke(
        "scar", "issue", "--supplier", "SUP-NUT", "--lot", "NUTBAR-1", "--lot", "NUTBAR-2",
        "--due", "2099-03-16", "--actor", "SQE Priya", "--json", "--db", db,
    )  # fmt: skip
    assert code == 0, err
    issued = json.loads(out)
    assert (issued["id"], issued["batch_ids"]) == ("SCAR-SUP-NUT-1", ["NUTS-17"])
    code, out, err = invoke(
        "scar", "issue", "--nc", "NC-IQC-88", "--supplier-caused", "--actor", "SQE Priya",
        "--db", db,
    )  # fmt: skip
    assert code == 0, err
    assert "SCAR-NC-IQC-88: issued to SUP-NUT" in out  # due in 30 days by default
    code, out, err = invoke("scar", "list", "--db", db)
    assert code == 0
    for id in ("SCAR-INC-21", "SCAR-SUP-NUT-1", "SCAR-NC-IQC-88", "NUTS-17", "MILKP-88"):
        assert id in out
    if terminal == "piped":
        assert "│" not in out


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--nc", "NC-IQC-88", "--incident", "INC-21"], 2, "exactly one source"),
        ([], 2, "exactly one source"),
        (["--lot", "NUTBAR-1"], 2, "--lot needs --supplier"),
        (["--nc", "NC-IQC-88", "--due", "16.3.2026"], 2, "is not a date"),
        (["--supplier", "SUP-COCOA", "--lot", "NUTBAR-1", "--lot", "NUTBAR-2"], 1, "do not point"),
        (["--nc", "NC-IQC-88"], 1, "neither returns a part"),
        (["--incident", "INC-404"], 3, "INC-404"),
    ],
)
def test_a_refused_issue_says_why_and_writes_nothing(
    db: str, args: list[str], code: int, says: str
) -> None:
    got, _, err = invoke("scar", "issue", *args, "--actor", "SQE Priya", "--db", db)
    assert got == code and says in err
    assert invoke("scar", "list", "--json", "--db", db)[1].strip() == "[]"


def test_the_farms_answer_comes_back_as_json_and_a_malformed_one_is_refused(
    db: str, tmp_path: Path, terminal: str
) -> None:
    invoke("scar", "issue", "--supplier", "SUP-NUT", "--lot", "NUTBAR-1", "--lot", "NUTBAR-2",
           "--due", "2099-03-16", "--actor", "SQE Priya", "--db", db)  # fmt: skip
    scar = "SCAR-SUP-NUT-1"
    bad = _portal_answer(tmp_path / "bad.json", root_cause=None, colour="green")
    code, out, err = invoke(
        "scar", "respond", scar, "--file", str(bad), "--actor", "Farm QA Ines", "--db", db
    )
    assert code == 2
    assert "root_cause: missing (required)" in err and "colour: not a field" in err
    assert "nothing was written" in err
    stored = json.loads(invoke("scar", "show", scar, "--json", "--db", db)[1])
    assert stored["status"] == "requested" and stored["history"] == []
    naive = _portal_answer(tmp_path / "naive.json", responded_at="2026-03-05T08:00:00")
    code, _, err = invoke(
        "scar", "respond", scar, "--file", str(naive), "--actor", "Ines", "--db", db
    )
    assert code == 2 and "responded_at" in err
    code, _, err = invoke(
        "scar", "respond", scar, "--file", str(tmp_path / "none.json"), "--actor", "I", "--db", db
    )
    assert code == 2 and "cannot read it" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"containment": ', "utf-8")
    code, _, err = invoke(
        "scar", "respond", scar, "--file", str(broken), "--actor", "I", "--db", db
    )
    assert code == 2 and "is not valid JSON" in err
    assert json.loads(invoke("scar", "show", scar, "--json", "--db", db)[1])["history"] == []

    good = _portal_answer(tmp_path / "answer.json")
    code, out, err = invoke(
        "scar", "respond", scar, "--file", str(good), "--actor", "Farm QA Ines", "--db", db
    )
    assert code == 0, err
    assert f"{scar}: responded; answered by Farm QA Ines" in out
    code, out, _ = invoke("scar", "show", scar, "--db", db)
    assert "root cause: nuts from one grower dried too slowly" in out
    shown = json.loads(invoke("scar", "show", scar, "--json", "--db", db)[1])
    assert [r["trigger"] for r in shown["history"]] == ["acknowledge", "respond"]
    # answering twice is a lifecycle refusal (exit 1), not a crash
    code, _, err = invoke("scar", "respond", scar, "--file", str(good), "--actor", "I", "--db", db)
    assert code == 1 and "respond" in err


def test_the_published_schema_and_the_command_agree_on_the_answer(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = qf.json_schemas()["SupplierResponse"]
    validator = jsonschema.Draft202012Validator(schema)
    good = json.loads(_portal_answer(tmp_path / "a.json").read_text("utf-8"))
    assert not list(validator.iter_errors(good))
    for change in ({"root_cause": None}, {"colour": "green"}, {"containment": ""}):
        bad = json.loads(_portal_answer(tmp_path / "b.json", **change).read_text("utf-8"))
        assert list(validator.iter_errors(bad)), change


# -- the supplier 8D ----------------------------------------------------------------------


def _closed_dairy_scar(db: str, tmp_path: Path) -> str:
    assert invoke("scar", "issue", "--incident", "INC-21", "--due", "2099-03-16",
                  "--actor", "SQE Priya", "--db", db)[0] == 0  # fmt: skip
    answer = _portal_answer(
        tmp_path / "dairy.json",
        containment="the 6 other powder lots of that week held at the dairy",
        root_cause="warehouse cooling failed for 3 days; no temperature alarm",
        corrective_action="temperature alarm to the shift phone; cooling serviced",
        preventive_action="same alarm in the second warehouse",
        responded_by="Dairy QA Urs",
        evidence="service report SR-77",
    )
    assert invoke("scar", "respond", "SCAR-INC-21", "--file", str(answer),
                  "--actor", "Dairy QA Urs", "--db", db)[0] == 0  # fmt: skip
    with qf.QualityFlow(db, load_entry_points=False) as qms:  # the command line's clock
        verdict = qf.Verification(
            effective=True,
            evidence="4 following lots sensory-tested, no sourness",
            verified_by="SQE Priya",
            at=datetime.now(timezone.utc),
        )
        qms.supplier_actions.fire("SCAR-INC-21", "verify", actor="SQE Priya", verification=verdict)
        qms.supplier_actions.fire("SCAR-INC-21", "close", actor="SQE Priya", note="effective")
    return "SCAR-INC-21"


def test_the_supplier_8d_of_a_closed_scar(db: str, tmp_path: Path, terminal: str) -> None:
    scar = _closed_dairy_scar(db, tmp_path)
    html_file, md_file = tmp_path / "8d.html", tmp_path / "8d.md"
    code, out, err = invoke(
        "report", "8d", scar, "--html", str(html_file), "--markdown", str(md_file), "--db", db
    )
    assert code == 0, err
    assert "Not recorded yet" not in out + err
    text = md_file.read_text("utf-8")
    assert text.startswith(f"# 8D report: {scar} Sour milk chocolate: milk powder stored")
    for heading, fact in [
        ("## D0 Emergency response", "by SQE Priya to supplier SUP-DAIRY; response due 2099-03-16"),
        ("## D1 Team", "Supplier: Alpine Dairy (SUP-DAIRY)."),
        ("## D2 Problem description", "Incident INC-21 (Sour milk chocolate)"),
        ("## D3 Containment", "the 6 other powder lots of that week held"),
        ("## D4 Root cause", "warehouse cooling failed for 3 days"),
        ("## D5 Chosen corrective actions", "temperature alarm to the shift phone"),
        ("## D6 Implementation and verification", "effective; 4 following lots"),
        ("## D7 Prevention of recurrence", "same alarm in the second warehouse"),
        ("## D8 Closure and recognition", "by SQE Priya"),
    ]:
        assert heading in text and fact in text, heading
    assert "MILKP-88" in text and "Audit head:" in text
    page = html_file.read_text("utf-8")
    assert '<section id="d4">' in page and "warehouse cooling failed" in page
    assert '<ol id="timeline"' in page and "<script" not in page
    code, out, _ = invoke("report", "8d", scar, "--json", "--db", db)
    shown = json.loads(out)
    assert shown["scar"]["id"] == scar and shown["missing"] == []
    code, out, _ = invoke("--lang", "zh_CN", "report", "8d", scar, "--db", db)
    assert code == 0 and "8D 报告" in out and "根本原因分析" in out
    assert "warehouse cooling failed" in out  # the supplier's words stay as written


def test_an_open_scars_8d_says_what_is_missing(db: str, tmp_path: Path) -> None:
    invoke("scar", "issue", "--nc", "NC-IQC-88", "--supplier-caused", "--due", "2099-03-16",
           "--actor", "SQE Priya", "--db", db)  # fmt: skip
    code, out, err = invoke("report", "8d", "SCAR-NC-IQC-88", "--db", db)
    assert code == 0
    assert "aflatoxin B1 4.1 ug/kg" in out and "NUTS-17" in out  # D2 from the nonconformance
    assert "Not recorded yet: D3, D4, D5, D6, D7, D8" in out + err
    assert invoke("report", "8d", "SCAR-404", "--db", db)[0] == 3
