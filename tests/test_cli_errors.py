"""The command line's one error boundary: a message, the documented exit code, no traceback.

Read-only databases (chmod 0444 in a 0555 directory, and ``chattr +i`` when the tests run
as root, who ignores permissions), output paths that cannot be written, duplicate ids, bad
URLs, missing databases, and the options whose misuse used to print a traceback or the
wrong option's name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_plant import (
    CMP,
    INC,
    LOT,
    NEW_INCIDENT,
    READ_COMMANDS,
    SUSPECT,
    WRITE_COMMANDS,
    build,
    epcis_file,
    fill,
    read_only,
    scratch,
)
from qualityflow.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def plant_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long-ids") / "plant.db"
    build(path)
    return path


@pytest.fixture
def db(plant_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "plant.db"
    shutil.copy(plant_file, copy)
    return f"sqlite:///{copy}"


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


# ------------------------------------------------------------------- read-only databases


@pytest.fixture
def readonly_db(plant_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The plant in a 0444 file inside a 0555 directory (immutable too when root)."""
    directory = tmp_path / "readonly"
    directory.mkdir()
    path = directory / "plant.db"
    shutil.copy(plant_file, path)
    with read_only(path, directory) as really:
        if not really:
            pytest.skip("running as root without chattr: cannot make a read-only directory")
        yield path


@pytest.mark.parametrize("name", sorted(READ_COMMANDS))
def test_every_read_command_works_on_a_read_only_database(
    name: str, readonly_db: Path, tmp_path: Path
) -> None:
    args, expected, ids = READ_COMMANDS[name]
    before = digest(readonly_db.parent)
    code, out, err = invoke(*fill(args, tmp_path), "--db", f"sqlite:///{readonly_db}")
    assert code == expected, err
    assert all(i in out for i in ids)
    assert digest(readonly_db.parent) == before  # nothing written, no -wal or -shm left


def test_overdue_on_a_read_only_database_lists_and_says_it_did_not_notify(
    readonly_db: Path,
) -> None:
    code, out, err = invoke(
        "overdue", "--now", "2026-03-10T00:00+00:00", "--db", f"sqlite:///{readonly_db}"
    )
    assert code == 1 and INC in out
    assert err.count("read-only") == 1 and "not notified" in err


DB_WRITERS = [n for n in sorted(WRITE_COMMANDS) if n not in ("export-fsma204", "demo")]


@pytest.mark.parametrize("name", DB_WRITERS)
def test_every_writing_command_refuses_a_read_only_database_with_exit_4(
    name: str, readonly_db: Path, tmp_path: Path
) -> None:
    args, _, _ = WRITE_COMMANDS[name]
    tmp = scratch(tmp_path / "scratch")
    before = digest(readonly_db.parent)
    code, out, err = invoke(*fill(args, tmp), "--db", f"sqlite:///{readonly_db}")
    assert code == 4, err
    assert str(readonly_db) in err and "read-only" in err
    assert err.startswith("error: ") and out == ""
    assert digest(readonly_db.parent) == before


def test_the_demo_refuses_a_read_only_directory(tmp_path: Path) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    with read_only(directory) as really:
        if not really:
            pytest.skip("running as root without chattr: cannot make a read-only directory")
        code, _, err = invoke("demo", "--db", f"sqlite:///{directory / 'plant.db'}")
    assert code == 4 and str(directory / "plant.db") in err
    assert not (directory / "plant.db").exists()


# ------------------------------------------------------------------- missing databases


@pytest.mark.parametrize("name", sorted(READ_COMMANDS))
def test_read_commands_never_create_a_database_and_name_the_one_they_looked_for(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QUALITYFLOW_URL", raising=False)
    args, _, _ = READ_COMMANDS[name]
    code, out, err = invoke(*fill(args, tmp_path))
    assert code == 3, err
    assert str(tmp_path / "qualityflow.db") in err and "the default" in err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_trace_names_the_database_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALITYFLOW_URL", f"sqlite:///{tmp_path / 'plant.db'}")
    code, _, err = invoke("trace", "FLOUR-0412")
    assert code == 3 and "plant.db" in err and "$QUALITYFLOW_URL" in err
    assert not (tmp_path / "plant.db").exists()


# ---------------------------------------------------------------- unwritable output paths

FILE_WRITERS = {
    "report-8d-html": ["report", "8d", INC, "--html", "{path}"],
    "report-8d-markdown": ["report", "8d", INC, "--markdown", "{path}"],
    "report-pareto": ["report", "pareto", "--html", "{path}"],
    "report-review": ["report", "review", "--html", "{path}"],
    "report-scorecard": ["report", "scorecard", "--html", "{path}"],
    "export-fsma204": ["export-fsma204", LOT, "--out", "{path}"],
    "recall-drill": ["recall", SUSPECT, "--drill", "--fsma204", "{path}"],
    "demo": ["demo", "--db", "sqlite:///{tmp}/demo.db", "--html", "{path}"],
}
OPTION = {
    "report-8d-markdown": "--markdown",
    "export-fsma204": "--out",
    "recall-drill": "--fsma204",
}


@pytest.mark.parametrize("problem", ["missing directory", "read-only directory", "a directory"])
@pytest.mark.parametrize("name", sorted(FILE_WRITERS))
def test_every_command_that_writes_a_file_refuses_an_unwritable_path(
    name: str, problem: str, db: str, tmp_path: Path
) -> None:
    suffix = ".csv" if name in ("export-fsma204", "recall-drill") else ".html"
    locked = tmp_path / "locked"
    locked.mkdir()
    path = {
        "missing directory": tmp_path / "no" / "such" / f"out{suffix}",
        "read-only directory": locked / f"out{suffix}",
        "a directory": locked,
    }[problem]
    args = [
        a.replace("{path}", str(path)).replace("{tmp}", str(tmp_path)) for a in FILE_WRITERS[name]
    ]
    if "--db" not in args:
        args += ["--db", db]
    with read_only(locked) as really:
        if problem == "read-only directory" and not really:
            pytest.skip("running as root without chattr: cannot make a read-only directory")
        code, _, err = invoke(*args)
    assert code == 2, err
    assert OPTION.get(name, "--html") in err and str(path) in err
    assert err.startswith("error: ")
    assert not (tmp_path / "demo.db").exists()  # refused before any work
    if path.parent.exists() and path != locked:
        assert not path.exists()


def test_schema_out_into_a_read_only_directory_exits_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only(locked) as really:
        if not really:
            pytest.skip("running as root without chattr: cannot make a read-only directory")
        code, _, err = invoke("schema", "--out", str(locked / "schemas"))
    assert code == 2 and "--out" in err and str(locked / "schemas") in err


def test_export_fsma204_refuses_a_suffix_it_would_not_write(db: str, tmp_path: Path) -> None:
    code, _, err = invoke("export-fsma204", LOT, "--out", str(tmp_path / "x.txt"), "--db", db)
    assert code == 2 and ".csv or .xlsx" in err and "x.txt" in err
    assert not (tmp_path / "x.txt").exists()
    code, _, _ = invoke("export-fsma204", LOT, "--out", str(tmp_path / "x.csv"), "--db", db)
    assert code == 0 and LOT in (tmp_path / "x.csv").read_text(encoding="utf-8")


# ------------------------------------------------------------------------ bad input


def test_a_duplicate_id_on_add_is_bad_input_naming_the_id(db: str) -> None:
    code, _, _ = invoke("incidents", "add", NEW_INCIDENT, "--db", db)
    assert code == 0
    code, out, err = invoke("incidents", "add", NEW_INCIDENT, "--db", db)
    assert code == 2 and json.loads(NEW_INCIDENT)["id"] in err and "already exists" in err
    assert out == ""


@pytest.mark.parametrize(
    ("url", "code", "named"),
    [
        ("plant.db", 2, "plant.db"),
        ("ftp://example.org/plant", 2, "ftp"),
        ("postgresql://postgres@127.0.0.1:1/test", 4, "127.0.0.1"),
    ],
)
def test_a_bad_url_gets_one_message_and_its_code(url: str, code: int, named: str) -> None:
    got, out, err = invoke("incidents", "list", "--db", url)
    assert got == code and named in err and out == ""
    assert err.startswith("error: ")


def test_overdue_names_now_in_its_errors(db: str) -> None:
    code, _, err = invoke("overdue", "--now", "tomorrow", "--db", db)
    assert code == 2 and "--now 'tomorrow'" in err and "--at" not in err
    code, _, err = invoke("overdue", "--now", "2026-03-10T00:00", "--db", db)
    assert code == 2 and "--now" in err and "timezone" in err


def test_a_negative_depth_says_what_depth_means(db: str) -> None:
    code, _, err = invoke("trace", LOT, "--depth", "-1", "--db", db)
    assert code == 2 and "--depth -1" in err and "1 or more" in err


def test_recall_fsma204_without_drill_fails_before_printing(db: str, tmp_path: Path) -> None:
    code, out, err = invoke("recall", SUSPECT, "--fsma204", str(tmp_path / "s.csv"), "--db", db)
    assert code == 2 and out == "" and "--drill" in err
    assert "export-fsma204" in err  # what to run instead


def test_a_bad_period_names_the_forms_it_takes(db: str) -> None:
    code, _, err = invoke("report", "review", "--period", "spring", "--db", db)
    assert code == 2 and "--period 'spring'" in err and "2026-Q1" in err


def test_complaints_show_of_an_unknown_id_hints_complaints_list(db: str) -> None:
    code, _, err = invoke("complaints", "show", "CMP-404", "--db", db)
    assert code == 3 and "CMP-404" in err and "complaints list" in err
    assert "incidents list" not in err


def test_complaints_show_names_the_linked_incident(db: str) -> None:
    code, _, err = invoke(
        "complaints", "escalate", CMP, "--incident", INC, "--actor", "Lena Fox", "--db", db
    )
    assert code == 0, err
    code, out, _ = invoke("complaints", "show", CMP, "--db", db)
    assert code == 0 and f"incident: {INC} (reported: Metal fragment" in out


# --------------------------------------------------------------------------- import-epcis


def test_import_epcis_exits_2_when_the_files_hold_nothing_to_import(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonld"
    empty.write_text(
        json.dumps(
            {
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-03-02T06:00:00Z",
                "epcisBody": {"eventList": []},
            }
        )
    )
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    code, out, err = invoke("import-epcis", str(empty), "--db", url)
    assert code == 2 and "nothing to import" in err and "empty.jsonld" in err
    assert out == "" and not (tmp_path / "plant.db").exists()
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    code, _, err = invoke("import-epcis", str(garbage), "--db", url)
    assert code == 2 and "garbage.json" in err


def test_import_epcis_warns_once_each_on_stderr_and_reimports_nothing_new(
    tmp_path: Path,
) -> None:
    partner = epcis_file(tmp_path / "partner.jsonld")
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    # the same file twice: every event is a duplicate the second time
    code, out, err = invoke("import-epcis", str(partner), str(partner), "--db", url)
    assert code == 0, err
    assert "14 new lots" in out and "warning" not in out.replace("warnings (on stderr", "")
    lines = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert lines and len(lines) == len(set(lines))  # each once
    assert len(lines) == len(err.splitlines())  # piped: no progress drawn, one line each
    code, out, err = invoke("import-epcis", str(partner), "--db", url, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["added"] == {"lots": 0, "links": 0, "shipments": 0}
    assert "already stored" in err


def test_import_epcis_strict_refuses_flawed_data_with_exit_2(tmp_path: Path) -> None:
    partner = epcis_file(tmp_path / "partner.jsonld")
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    code, _, err = invoke("import-epcis", str(partner), str(partner), "--strict", "--db", url)
    assert code == 2 and err.startswith("error: ")


def test_unexpected_errors_are_one_line_with_exit_5(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualityflow.cli import cases

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a plugin divided by zero")

    monkeypatch.setattr(cases, "_show_case", broken)
    code, _, err = invoke("incidents", "show", INC, "--db", db)
    assert code == 5 and "ZeroDivisionError: a plugin divided by zero" in err
    assert "QUALITYFLOW_DEBUG=1" in err


def test_import_epcis_draws_progress_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import qualityflow

    partner = epcis_file(tmp_path / "partner.jsonld")
    src = str(Path(qualityflow.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    runs = {}
    for name, extra in (("terminal", {"TTY_COMPATIBLE": "1", "COLUMNS": "80"}), ("piped", {})):
        runs[name] = subprocess.run(
            [sys.executable, "-m", "qualityflow", "import-epcis", str(partner),
             "--db", f"sqlite:///{tmp_path / name}.db"],
            capture_output=True, text=True, env={**env, **extra}, timeout=120, check=False,
        )  # fmt: skip
        assert runs[name].returncode == 0, runs[name].stderr
    assert "Reading 1 EPCIS file" in runs["terminal"].stderr
    assert "Storing" in runs["terminal"].stderr
    assert runs["piped"].stderr == ""
    assert "14 new lots" in runs["piped"].stdout
