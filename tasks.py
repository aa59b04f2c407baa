#!/usr/bin/env python3
"""Developer tasks that need nothing but Python and pip: ``python3 tasks.py demo|cli|test|check``.

Each task creates ``.venv`` beside this file (once), installs qualityflow into it with the
extras it needs, and runs inside it. Standard library only, so it works on a fresh machine
where ``.venv/bin`` is not on PATH:

* ``python3 tasks.py demo [--db URL]``: play the demo (its "Try:" lines use ``cli``);
* ``python3 tasks.py cli ARGS...``: run ``qualityflow ARGS...`` (``.venv/bin/python -m
  qualityflow``) in the current directory, with its exit code and nothing else on stdout;
* ``python3 tasks.py test`` and ``python3 tasks.py check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".qualityflow-installed"


def _run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    cmd = [str(a) for a in args]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    result = subprocess.run(cmd, cwd=cwd, check=False, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _prog() -> str:
    """How the demo's "Try:" lines should run the command from the current directory."""
    here = Path.cwd().resolve()
    script = "tasks.py" if here == ROOT else str(ROOT / "tasks.py")
    return f"python3 {script} cli"


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with ``extras`` unless already done."""
    if not PYTHON.exists():
        print(f"creating {VENV}", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = f"{extras}:{(ROOT / 'pyproject.toml').stat().st_mtime_ns}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    target = f".[{extras}]" if extras else "."
    cmd = [str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    # pip's own output goes to stderr, so that `tasks.py cli ... --json` stays JSON.
    result = subprocess.run(cmd, cwd=ROOT, check=False, stdout=sys.stderr)
    if result.returncode != 0:
        sys.exit(result.returncode)
    STAMP.write_text(wanted)


def demo(args: list[str]) -> None:
    """Run the main demo (default database: qualityflow.db in the current directory)."""
    cli(["demo", *args])


def cli(args: list[str]) -> None:
    """Run ``qualityflow ARGS...`` inside .venv, in the current directory; exit with its code."""
    ensure_venv("")
    env = {**os.environ, "QUALITYFLOW_PROG": _prog()}
    result = subprocess.run([str(PYTHON), "-m", "qualityflow", *args], check=False, env=env)
    sys.exit(result.returncode)


def test(args: list[str]) -> None:
    """Run the whole test suite."""
    ensure_venv("dev")
    workers = ["-n", "auto"] if "-n" not in args else []
    _run(PYTHON, "-m", "pytest", *workers, *args)


def check(args: list[str]) -> None:
    """Run the linters and the strict type check."""
    ensure_venv("dev")
    _run(PYTHON, "-m", "ruff", "check", ".")
    _run(PYTHON, "-m", "ruff", "format", "--check", ".")
    _run(PYTHON, "-m", "mypy", "--strict", "src/qualityflow")


TASKS = {"demo": demo, "cli": cli, "test": test, "check": check}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args...]")
    TASKS[sys.argv[1]](sys.argv[2:])
