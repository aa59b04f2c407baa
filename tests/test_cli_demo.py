"""Reaching the command after the demo, and help that matches what the demo stores.

The demo's "Try:" lines are run exactly as printed, through ``python3 tasks.py cli`` (with
the task's virtual environment replaced by this interpreter, so no ``.venv`` is built).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli import app
from qualityflow.demo import plant

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def source_env() -> dict[str, str]:
    src = str(Path(qf.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """tasks.py, its .venv replaced by the interpreter running the tests."""
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ensure_venv", lambda extras: None)
    monkeypatch.setattr(module, "PYTHON", Path(sys.executable))
    for key, value in source_env().items():
        monkeypatch.setenv(key, value)
    return module


def run_task(
    tasks: ModuleType, argv: list[str], capfd: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    assert argv[0] in tasks.TASKS
    with pytest.raises(SystemExit) as exited:
        tasks.TASKS[argv[0]](argv[1:])
    out, err = capfd.readouterr()
    return int(exited.value.code or 0), out, err


def test_the_try_lines_work_as_printed(
    tasks: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_task(tasks, ["demo", "--db", "sqlite:///sunrise.db"], capfd)
    assert code == 0, err
    lines = out[out.index("Try:") :].splitlines()[1:]
    assert len(lines) == 5
    for line in lines:
        argv = shlex.split(line)
        assert argv[0] == "python3" and Path(argv[1]) == ROOT / "tasks.py", line
        assert argv[2] == "cli" and argv[-2:] == ["--db", "sqlite:///sunrise.db"]
        code, out, err = run_task(tasks, argv[2:], capfd)
        assert code == 0, f"{line}: {err}"
        assert out.strip() and "Traceback" not in err
    assert (tmp_path / "INC-5-8D.html").is_file()  # the last line writes the 8D page


def test_in_the_checkout_the_try_lines_say_python3_tasks_py_cli(
    tasks: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert tasks._prog() == "python3 tasks.py cli"


def test_tasks_cli_passes_the_exit_code_and_keeps_stdout_for_the_command(
    tasks: ModuleType, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_task(tasks, ["cli", "schema", "Batch"], capfd)
    assert code == 0 and json.loads(out)["title"] == "Batch"  # no "+ pip ..." lines
    code, out, err = run_task(
        tasks, ["cli", "trace", "X", "--db", f"sqlite:///{tmp_path}/x.db"], capfd
    )
    assert code == 3 and "x.db" in err and out == ""


def test_the_default_database_try_lines_have_no_db_option(tmp_path: Path) -> None:
    from qualityflow.cli.demo import try_lines
    from qualityflow.demo import DemoRun

    run = DemoRun("", "INC-5", "CMP-17", "BISC-0302", "FLOUR-0412")
    lines = try_lines(run, "sqlite:///qualityflow.db", command="python3 tasks.py cli")
    assert lines[0] == "python3 tasks.py cli trace FLOUR-0412"
    assert try_lines(run, "memory://") == [] and try_lines(run, "sqlite://") == []


def test_the_demo_on_memory_suggests_nothing_against_it() -> None:
    code, out, _ = invoke("demo", "--db", "memory://")
    assert code == 0
    assert "Try:" not in out and "gone" in out and "--db sqlite:///" in out


def test_a_second_demo_run_says_it_suffixes_the_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    code, _, err = invoke("demo", "--db", url)
    assert code == 0 and "already held" not in err
    code, out, err = invoke("demo", "--db", url)
    assert code == 0
    assert err.count("already held a demo run") == 1 and "-R2" in err
    assert "trace FLOUR-0412-R2" in out  # the Try lines use this run's ids


def test_the_demo_lists_its_notifications_in_time_order(tmp_path: Path) -> None:
    code, out, _ = invoke("demo", "--db", f"sqlite:///{tmp_path / 'plant.db'}")
    assert code == 0
    block = out[out.index("notifications sent") :].split("\n\n", 1)[0].splitlines()[2:]
    times = [line[:16] for line in block]
    assert times and times == sorted(times)


def test_the_demo_process_prints_no_log_lines_of_the_state_machines(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qualityflow", "demo", "--db", f"sqlite:///{tmp_path / 'd.db'}"],
        capture_output=True,
        text=True,
        env=source_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no transitions or notifier log lines
    assert f"{sys.executable} -m qualityflow trace FLOUR-0412" in done.stdout


# ----------------------------------------------------------------------------------- help


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [prefix] if prefix else []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = [(), *_commands(typer.main.get_command(app))]
DEMO_IDS = (
    {b.id for b in plant().batches}
    | {s.id for s in plant().shipments}
    | {
        "INC-5",
        "CMP-17",
    }
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "qualityflow")
def test_help_uses_plain_metavars_good_english_and_the_demo_ids(command: tuple[str, ...]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert not re.search(r"\ba [aeioAEIO]\w*", out), out  # "an incident", not "a incident"
    assert "TEXT" not in out.split("Options:")[0]  # arguments name what they take
    # options name what they take in words (--at TIME, --db URL), not as a Python type
    assert not re.findall(r"--[\w-]+ <[^>]+>", out.split("Options:")[-1]), out
    for example in re.findall(r"\b(?:FLOUR|BISC|OAT|SHP|INC|CMP|MIX)-[\w-]*\d\b", out):
        assert example in DEMO_IDS, f"{' '.join(command)}: {example} is not in the demo"


def test_trace_help_names_lots_and_steps() -> None:
    code, out, _ = invoke("trace", "--help")
    assert code == 0 and "{LOT}..." in out and "--depth N" in out and "--limit N" in out


def test_counts_say_1_batch_and_2_batches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    assert invoke("demo", "--db", url)[0] == 0
    code, out, _ = invoke("recall", "BISC-0303", "--db", url)
    assert code == 0 and "1 batch (1 finished)" in out and "1 shipment to 1 customer" in out
    code, out, _ = invoke("recall", "FLOUR-0412", "--db", url)
    assert code == 0 and "5 batches" in out


def test_the_examples_print_no_log_lines_of_the_state_machines() -> None:
    example = ROOT / "examples" / "incident_recall.py"
    done = subprocess.run(
        [sys.executable, str(example)],
        capture_output=True,
        text=True,
        env=source_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "notified:" in done.stdout  # the notifications are shown...
    assert "Finished processing state" not in done.stdout + done.stderr  # ...not transitions'


def test_recall_is_the_impact_and_recalls_runs_a_recall_case(tmp_path: Path) -> None:
    code, out, _ = invoke("recalls", "--help")
    assert code == 0 and "open" in out and "progress" in out
    code, out, _ = invoke("recall", "--help")
    assert code == 0 and "{LOT}..." in out and "--drill" in out
