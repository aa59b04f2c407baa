"""A third-party backend reuses the storage conformance suite.

``examples/writing_plugins.py`` registers ``plant://NAME`` (a plant's SQLite file in a
shared directory) as a plugin, the way an outside package would. Its author proves the
backend by subclassing :class:`qualityflow.testing.StorageConformance`, opening the
storage through the plugin machinery exactly as ``qf.QualityFlow("plant://...")`` does.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import qualityflow as qf
from qualityflow.storage import Storage
from qualityflow.testing import StorageConformance

EXAMPLE = Path(__file__).parents[1] / "examples" / "writing_plugins.py"


def _load_example() -> ModuleType:
    name = "qualityflow_example_writing_plugins"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


example = _load_example()


class TestPlantDirectoryBackend(StorageConformance):
    """``plant://sunrise`` from the example plugin passes every conformance test."""

    @pytest.fixture(autouse=True)
    def _plant_home(self, tmp_path: Path) -> None:
        self.home = tmp_path / "plants"
        self.home.mkdir()

    def make_storage(self) -> Storage:
        qms = qf.QualityFlow(
            "plant://sunrise",
            plugins=[example.PlantDirectory(self.home)],
            settings={},
            load_entry_points=False,
        )
        return qms.storage


def test_the_backend_writes_into_the_plant_directory(tmp_path: Path) -> None:
    plugins = [example.PlantDirectory(tmp_path)]
    with qf.QualityFlow("plant://sunrise", plugins=plugins, load_entry_points=False) as qms:
        qms.suppliers.add(qf.Supplier(id="SUP-MILL", name="Northfield Mill"))
    assert (tmp_path / "sunrise.db").is_file()
    with qf.QualityFlow("archive://sunrise", plugins=plugins, load_entry_points=False) as audit:
        assert audit.suppliers.get("SUP-MILL").name == "Northfield Mill"
        with pytest.raises(qf.StorageError, match="read-only"):
            audit.suppliers.add(qf.Supplier(id="SUP-DAIRY", name="Valley Dairy"))
