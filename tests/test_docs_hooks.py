"""Every hook has a heading (and an example) in docs/plugins.md."""

from __future__ import annotations

import re
from pathlib import Path

from qualityflow.plugins import hookspecs

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def _hook_names() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("qualityflow_")]


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^#+\s+`?(qualityflow_\w+)`?\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_there_are_hooks_to_document() -> None:
    assert "qualityflow_notify" in _hook_names()
    assert set(_hook_names()) == set(hookspecs.__all__)


def test_every_hook_has_a_heading_in_the_plugin_docs() -> None:
    missing = sorted(set(_hook_names()) - set(_sections()))
    assert missing == [], f"document these hooks in {DOC.name}: {missing}"


def test_every_documented_hook_shows_an_implementation() -> None:
    for name, body in _sections().items():
        assert "```python" in body and "@qf.hookimpl" in body, name
        assert f"def {name}(" in body, name


def test_no_heading_documents_a_hook_that_does_not_exist() -> None:
    assert sorted(set(_sections()) - set(_hook_names())) == []
