"""Hatchling build hook: compile the gettext catalogs into the wheel.

Every ``src/qualityflow/locale/<locale>/LC_MESSAGES/qualityflow.po`` is compiled with
Babel (what ``pybabel compile`` does) and the ``.mo`` is added to the wheel next to its
``.po``, so an installed qualityflow loads compiled catalogs. The ``.mo`` files are not
kept in git; a source checkout compiles them in memory on first use (``qualityflow.i18n``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface  # type: ignore[import-not-found]


class CatalogBuildHook(BuildHookInterface):  # type: ignore[misc]
    """Compile ``.po`` -> ``.mo`` for the wheel (fuzzy entries are left out)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile every catalog into a temporary folder and force-include the results."""
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads the .po files of the checkout
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root) / "src" / "qualityflow" / "locale"
        self._out = tempfile.TemporaryDirectory(prefix="qualityflow-mo-")
        for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
            locale = po.parent.parent.name
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=po.stem)
            mo = Path(self._out.name) / locale / f"{po.stem}.mo"
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            relative = po.relative_to(Path(self.root) / "src").with_suffix(".mo")
            build_data["force_include"][str(mo)] = relative.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary folder."""
        out = getattr(self, "_out", None)
        if out is not None:
            out.cleanup()
