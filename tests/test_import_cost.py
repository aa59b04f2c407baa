"""What ``import qualityflow`` costs: a biscuit plant's QA scripts pay only for what they use.

The shipped pytest plugin and the ``qualityflow`` command import the package on every run,
so a bare ``import qualityflow`` must not drag in the graph, SQL, HTTP or terminal
libraries; each public name loads its own layer on first access. Every check runs in a
fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import qualityflow as qf
import qualityflow.errors

INIT = Path(qf.__file__)
HEAVY = [
    "networkx",
    "transitions",
    "sqlalchemy",
    "scipy",
    "numpy",
    "httpx",
    "typer",
    "rich",
    "pluggy",
]
STUB = INIT.with_suffix(".pyi")


def _stub_layers() -> dict[str, set[str]]:
    """The stub's one list: layer module -> the public names it provides."""
    layers: dict[str, set[str]] = {}
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1 and node.module, ast.unparse(node)
            layers.setdefault(f"qualityflow.{node.module}", set()).update(
                a.name for a in node.names
            )
    return layers


EXPORTS = {name: module for module, names in _stub_layers().items() for name in names}
LAYERS = sorted(set(EXPORTS.values()) - {"qualityflow.errors"})


def fresh(code: str) -> object:
    """Run ``code`` in a new interpreter; it prints one JSON value, which is returned."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def loaded_after(statement: str) -> list[str]:
    """The heavy libraries and qualityflow layers in ``sys.modules`` after ``statement``."""
    watched = HEAVY + LAYERS
    report = f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))"
    code = f"import json, sys\n{statement}\n{report}"
    result = fresh(code)
    assert isinstance(result, list)
    return result


def test_a_line_supervisors_script_imports_the_package_without_any_heavy_library() -> None:
    assert loaded_after("import qualityflow") == []


def test_the_errors_and_version_are_there_at_once() -> None:
    # A script catching QualityFlowError around a CLI call needs nothing else loaded.
    result = fresh(
        "import json, sys, qualityflow as qf\n"
        "print(json.dumps([qf.__version__, 'QualityFlowError' in vars(qf),"
        " 'Batch' in vars(qf)]))"
    )
    assert result == [qf.__version__, True, False]


def test_recording_a_flour_lot_loads_the_models_but_not_the_genealogy() -> None:
    loaded = loaded_after("import qualityflow as qf\nqf.Batch")
    assert loaded == ["qualityflow.models"]


def test_the_first_recall_trace_brings_in_networkx() -> None:
    assert "networkx" in loaded_after("import qualityflow as qf\nqf.Genealogy")


def test_from_import_of_a_report_loads_its_layer() -> None:
    loaded = loaded_after("from qualityflow import pareto")
    assert "qualityflow.reports" in loaded
    assert "typer" not in loaded and "rich" not in loaded


def test_every_public_name_resolves_to_the_object_its_layer_defines() -> None:
    code = (
        "import importlib, json, qualityflow as qf\n"
        f"exports = {EXPORTS!r}\n"
        "bad = [n for n in qf.__all__ if n in exports and getattr(qf, n) is not"
        " getattr(importlib.import_module(exports[n]), n)]\n"
        "missing = [n for n in qf.__all__ if not hasattr(qf, n)]\n"
        "print(json.dumps({'bad': bad, 'missing': missing,"
        " 'undir': [n for n in qf.__all__ if n not in dir(qf)],"
        " 'module': qf.Batch.__module__}))"
    )
    result = fresh(code)
    assert result == {"bad": [], "missing": [], "undir": [], "module": "qualityflow.models.batch"}


def test_dir_lists_every_public_name_before_any_is_loaded() -> None:
    code = (
        "import json, qualityflow as qf\nprint(json.dumps(sorted(set(qf.__all__) - set(dir(qf)))))"
    )
    assert fresh(code) == []


def test_star_import_gives_a_notebook_every_public_name() -> None:
    code = (
        "import json\nfrom qualityflow import *\n"
        "import qualityflow as qf\n"
        "print(json.dumps(sorted(n for n in qf.__all__ if n not in globals())))"
    )
    assert fresh(code) == []


def test_a_misspelt_name_fails_like_any_missing_attribute() -> None:
    typo = "Bacth"  # mypy rejects ``qf.Bacth`` outright; at run time it is an AttributeError
    with pytest.raises(AttributeError, match="'qualityflow' has no attribute 'Bacth'"):
        getattr(qf, typo)
    with pytest.raises(ImportError, match="Bacth"):
        exec("from qualityflow import Bacth", {})


def test_submodules_still_import_by_name() -> None:
    result = fresh(
        "import json\nfrom qualityflow import lifecycle, errors\n"
        "print(json.dumps([lifecycle.__name__, errors.__name__]))"
    )
    assert result == ["qualityflow.lifecycle", "qualityflow.errors"]


def test_the_stub_is_the_one_list_of_public_names() -> None:
    # mypy, IDEs and the run time read the same stub: __all__ is exactly its names.
    assert len(qf.__all__) == len(set(qf.__all__))
    assert set(qf.__all__) == set(EXPORTS) | {"__version__"}
    eager = {n for n in vars(qualityflow.errors) if n in qf.__all__}
    assert {n for n, module in EXPORTS.items() if module == "qualityflow.errors"} == eager
    # Each name is defined where the stub says (no name listed under the wrong layer).
    code = (
        "import importlib, json\n"
        f"exports = {EXPORTS!r}\n"
        "print(json.dumps(sorted(n for n, m in exports.items()"
        " if not hasattr(importlib.import_module(m), n))))"
    )
    assert fresh(code) == []


def test_the_public_surface_is_the_design_contract_and_its_parts() -> None:
    # Internals of the release and link rules and twins of service methods left the top
    # level; the names DESIGN.md's contract uses are all still there.
    for gone in ("decide", "release_blockers", "link_blockers", "ensure_linkable", "samples_for"):
        assert gone not in qf.__all__
    for kept in ("QualityFlow", "Genealogy", "overdue", "verify_history", "sampling_plan"):
        assert kept in qf.__all__


@pytest.mark.parametrize(
    ("name", "instead"),
    [
        ("decide", "qms.suppliers.decide"),
        ("release_blockers", "qms.batches.release"),
        ("samples_due_for_disposal", "qms.samples_due"),
    ],
)
def test_a_name_that_left_the_top_level_still_works_with_a_warning(name: str, instead: str) -> None:
    from qualityflow import prevention

    with pytest.warns(DeprecationWarning, match=rf"use {instead}.*qualityflow\.prevention"):
        moved = getattr(qf, name)
    assert moved is getattr(prevention, name)


def test_the_shipped_pytest_plugin_loads_no_heavy_library() -> None:
    # pytest itself brings pluggy; nothing else from the list may come with the plugin.
    loaded = loaded_after("import qualityflow.testing.fixtures")
    assert [m for m in loaded if m != "pluggy"] == []


def test_a_plant_logging_its_notifications_does_not_pay_for_an_http_client() -> None:
    loaded = loaded_after("import qualityflow as qf\nqf.LoggingNotifier")
    assert "qualityflow.notify" in loaded
    assert "httpx" not in loaded
