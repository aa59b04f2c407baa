"""Startup cost: ``import qualityflow``, a models-only script and ``qualityflow --help``.

Each figure is the best of ``--repeat`` fresh interpreters (seconds, wall clock, process
start included). The baseline, measured in the same run, loads every layer up front the
way ``qualityflow/__init__.py`` did before its exports became lazy (PEP 562); the
``qualityflow --help`` baseline does the same before running the command.

    .venv/bin/python benchmarks/import_cost.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

LAYERS = [
    "models",
    "lifecycle",
    "genealogy",
    "prevention",
    "plugins",
    "storage",
    "notify",
    "interop",
    "reports",
    "service",
]
EAGER = "import qualityflow; " + "; ".join(f"import qualityflow.{layer}" for layer in LAYERS)
HELP = "import sys; sys.argv = ['qualityflow', '--help']; from qualityflow.cli import main; main()"

CASES = [
    # (label, lazy code, eager baseline code)
    ("import qualityflow", "import qualityflow", EAGER),
    (
        "import qualityflow; qualityflow.Batch",
        "import qualityflow; qualityflow.Batch",
        EAGER + "; qualityflow.Batch",
    ),
    ("qualityflow --help", HELP, EAGER + "; " + HELP),
    ("python -c pass (interpreter alone)", "pass", "pass"),
]


def best_of(code: str, repeat: int) -> float:
    """The fastest of ``repeat`` fresh interpreters running ``code``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Print each case's baseline and lazy figures and the saving."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"best of {args.repeat} fresh processes, seconds")
    print(f"{'case':40} {'eager':>8} {'lazy':>8} {'saved':>8}")
    for label, lazy, eager in CASES:
        before = best_of(eager, args.repeat)
        after = best_of(lazy, args.repeat)
        print(f"{label:40} {before:8.3f} {after:8.3f} {before - after:8.3f}")


if __name__ == "__main__":
    main()
