"""Every command at 80 columns, piped and with ``--json``: nothing is ever shortened.

The plant's ids are GS1-style URNs of 50-70 characters (tests/cli_plant.py). Each command
runs through typer's CliRunner three ways: piped (stdout is not a terminal: plain text),
on an 80-column terminal (rich tables, or one field per line when they do not fit), and
with ``--json`` (parsed). No output holds "…", and every id the command reports appears
whole. A few real ``python -m qualityflow`` processes check the same at ``COLUMNS=80``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from cli_plant import (
    LOT,
    NO_JSON,
    NOT_SWEPT,
    OTHER_COMMANDS,
    READ_COMMANDS,
    SHIP,
    SUSPECT,
    WRITE_COMMANDS,
    build,
    fill,
    scratch,
)
from qualityflow.cli import _output, app

runner = CliRunner()

ALL = {**READ_COMMANDS, **WRITE_COMMANDS, **OTHER_COMMANDS}
MODES = ("piped", "tty80", "json")


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


@pytest.fixture
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The mode: on ``tty80`` stdout is an 80-column terminal without colours."""
    mode = request.param
    if mode == "tty80":
        monkeypatch.setattr(
            _output,
            "console",
            Console(force_terminal=True, width=80, color_system=None, highlight=False),
        )
    yield mode


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("terminal", MODES, indirect=True)
@pytest.mark.parametrize("name", sorted(ALL))
def test_every_command_prints_every_id_whole(
    name: str, terminal: str, db: str, tmp_path: Path
) -> None:
    args, expected_code, ids = ALL[name]
    tmp = scratch(tmp_path / "scratch")
    argv = fill(args, tmp)
    if name not in OTHER_COMMANDS and "--db" not in argv:
        argv += ["--db", db]
    if terminal == "json" and name not in OTHER_COMMANDS and name not in NO_JSON:
        argv.append("--json")
    code, out, err = invoke(argv)
    assert code == expected_code, f"{name} {terminal}: {err}"
    assert "Traceback" not in out + err
    assert "…" not in out, f"{name} {terminal} shortened something:\n{out}"
    assert "…" not in err
    for id in ids:
        assert id in out, f"{name} {terminal}: {id} not whole in\n{out}"
    if (terminal == "json" and name not in NO_JSON) or name == "schema":
        json.loads(out)  # JSON and nothing else
    if terminal == "piped":
        for box in "┏┃│└━":
            assert box not in out, f"{name}: box drawing when piped"


def _command_paths() -> list[tuple[str, ...]]:
    def walk(group: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for name, command in group.commands.items():
            if getattr(command, "commands", None):
                yield from walk(command, (*prefix, name))
            else:
                yield (*prefix, name)

    return list(walk(typer.main.get_command(app), ()))


def test_the_sweep_runs_every_command_there_is() -> None:
    # A command added without a place in the sweep would escape the 80-column, piped and
    # --json checks: every command the CLI registers is run above, or says why not.
    missing = [
        " ".join(path)
        for path in _command_paths()
        if " ".join(path) not in NOT_SWEPT
        and not any(tuple(args[: len(path)]) == path for args, _, _ in ALL.values())
    ]
    assert not missing, f"add these to tests/cli_plant.py: {missing}"


@pytest.mark.parametrize("name", sorted(NO_JSON))
def test_the_commands_run_without_json_really_have_none(name: str) -> None:
    args = ALL[name][0]
    path = [a for a in args if not a.startswith("-")][:2]
    code, out, _ = invoke([*path[: 2 if path[0] in {"recalls", "audit", "db"} else 1], "--help"])
    assert code == 0 and "--json" not in out, f"{name} has --json now: take it out of NO_JSON"


def test_a_terminal_too_narrow_for_the_table_gets_one_field_per_line(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        _output, "console", Console(force_terminal=True, width=80, color_system=None)
    )
    code, out, _ = invoke(["recall", SUSPECT, "--db", db])
    assert code == 0
    assert f"  shipment       {SHIP}" in out  # the URN on its own line, whole
    monkeypatch.setattr(
        _output, "console", Console(force_terminal=True, width=400, color_system=None)
    )
    code, out, _ = invoke(["recall", SUSPECT, "--db", db])
    assert code == 0 and "┃ shipment" in out  # wide enough: a table


def test_piped_tables_are_plain_aligned_columns(db: str) -> None:
    code, out, _ = invoke(["trace", LOT, "--db", db])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"8 ids downstream of {LOT}"
    header = lines[1]
    assert header.split() == [
        "id",
        "kind",
        "product",
        "/",
        "customer",
        "status",
        "/",
        "region",
        "path",
    ]
    column = header.index("kind")
    assert all(line[column - 2 : column] == "  " for line in lines[2:10])  # aligned


def test_json_output_holds_the_drill(db: str) -> None:
    code, out, _ = invoke(["recall", SUSPECT, "--drill", "--json", "--db", db])
    assert code == 0
    data = json.loads(out)
    assert SHIP in data["shipment_ids"]
    assert data["drills"][0]["lot_id"] == SUSPECT and data["drills"][0]["within_bound"]


def test_trace_json_gives_every_reached_id_with_its_path(db: str) -> None:
    code, out, _ = invoke(["trace", LOT, "--json", "--limit", "1", "--db", db])
    assert code == 0
    data = json.loads(out)
    assert data["direction"] == "forward" and data["from"] == [LOT]
    assert len(data["reached"]) == 8  # --limit cuts tables, not JSON
    by_id = {r["id"]: r for r in data["reached"]}
    assert by_id[SHIP]["path"][0] == LOT and by_id[SHIP]["path"][-1] == SHIP


# ----------------------------------------------------------------------- real processes


def source_env() -> dict[str, str]:
    """The environment for a child process that imports this qualityflow from any cwd."""
    import qualityflow

    src = str(Path(qualityflow.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _process(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qualityflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**source_env(), "COLUMNS": "80", **env},
        timeout=120,
        check=False,
    )


def test_real_processes_at_80_columns_piped_on_a_terminal_and_as_json(
    db: str, tmp_path: Path
) -> None:
    piped = _process(["recall", SUSPECT, "--db", db], tmp_path)
    terminal = _process(["trace", LOT, "--db", db], tmp_path, TTY_COMPATIBLE="1")
    as_json = _process(["incidents", "list", "--json", "--db", db], tmp_path)
    report = _process(["report", "8d", READ_COMMANDS["report-8d"][0][2], "--db", db], tmp_path)
    for done in (piped, terminal, as_json, report):
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "…" not in done.stdout
    assert SHIP in piped.stdout and "│" not in piped.stdout
    assert SHIP in terminal.stdout  # no_wrap identifier column or one field per line
    assert json.loads(as_json.stdout)[0]["status"] == "reported"
    assert "transitions" not in report.stderr
