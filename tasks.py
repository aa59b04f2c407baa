#!/usr/bin/env python3
"""Developer tasks that need nothing but Python and pip: ``python3 tasks.py demo|test|check``.

Each task creates ``.venv`` beside this file (once), installs qualityflow into it with the
extras it needs, and runs inside it. Standard library only, so it works on a fresh machine.
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


def _run(*args: str | Path) -> None:
    cmd = [str(a) for a in args]
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with ``extras`` unless already done."""
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = f"{extras}:{(ROOT / 'pyproject.toml').stat().st_mtime_ns}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    target = f".[{extras}]" if extras else "."
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    STAMP.write_text(wanted)


def demo(args: list[str]) -> None:
    """Run the main demo on the embedded SQLite default."""
    ensure_venv("")
    _run(PYTHON, "-m", "qualityflow", "demo", *args)


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


TASKS = {"demo": demo, "test": test, "check": check}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args...]")
    TASKS[sys.argv[1]](sys.argv[2:])
