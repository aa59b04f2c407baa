"""Every library the package imports at module level is one of its declared dependencies.

The development extras pull in many packages (mkdocs brings click, for example), so a
missing dependency passes the test suite and then breaks ``python3 tasks.py demo`` on a
fresh machine. This reads the imports statically and checks them against the metadata.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "qualityflow"
# Provided by a declared dependency that pins it (pydantic pins pydantic-core exactly).
PROVIDED_BY = {"pydantic-core": "pydantic"}
# qualityflow.testing (the pytest plugin, the conformance suite) runs under pytest and
# hypothesis, which the code that uses it already has.
PYTEST_ONLY = {"pytest", "hypothesis"}


def _module_level_imports(path: Path) -> set[str]:
    """Top-level package names imported unconditionally when ``path`` is imported."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _base_requirements() -> set[str]:
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = set()
    for req in declared:
        name = req.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        names.add(name.strip().lower().replace("_", "-"))
    return names


def test_module_level_imports_are_base_dependencies() -> None:
    base = _base_requirements()
    dists = packages_distributions()
    missing: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for name in _module_level_imports(path):
            if name in sys.stdlib_module_names or name in {"qualityflow", "__future__"}:
                continue
            if name in PYTEST_ONLY and path.parent.name == "testing":
                continue
            owners = {d.lower().replace("_", "-") for d in dists.get(name, [name])}
            owners |= {PROVIDED_BY[o] for o in owners if o in PROVIDED_BY}
            if not owners & base:
                missing.setdefault(name, set()).add(str(path.relative_to(SRC)))
    assert not missing, f"imported at module level but not a base dependency: {missing}"
