"""The lifecycle page shows the machines the code runs, not a drawing that drifted away.

The diagrams and guard tables in ``docs/lifecycles.md`` are generated from the same plain
data as the shared machines. When they differ, regenerate them with::

    .venv/bin/python tests/test_lifecycle_docs.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import qualityflow as qf

PAGE = Path(__file__).resolve().parent.parent / "docs" / "lifecycles.md"
BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated -->)", re.S)


def generated() -> dict[str, str]:
    """The generated blocks of the page, by name."""
    blocks: dict[str, str] = {}
    for lifecycle in (qf.INCIDENT_LIFECYCLE, qf.COMPLAINT_LIFECYCLE):
        # blank lines around each block: Markdown ends the HTML comment's block there
        blocks[f"{lifecycle.name}_diagram"] = f"\n```mermaid\n{lifecycle.to_mermaid()}```\n\n"
        blocks[f"{lifecycle.name}_guards"] = f"\n{lifecycle.guard_table()}\n"
    return blocks


def blocks_on_page(text: str) -> dict[str, str]:
    return {m.group(2): m.group(3) for m in BLOCK.finditer(text)}


def test_the_page_shows_the_machines_as_they_are() -> None:
    on_page = blocks_on_page(PAGE.read_text(encoding="utf-8"))
    expected = generated()
    assert set(on_page) == set(expected), "a generated block is missing from the page"
    for name, text in expected.items():
        assert on_page[name] == text, (
            f"docs/lifecycles.md block {name!r} differs from the machine; regenerate it with "
            f"`.venv/bin/python tests/test_lifecycle_docs.py --write`"
        )


def test_every_guard_and_transition_appears_in_the_docs() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for lifecycle in (qf.INCIDENT_LIFECYCLE, qf.COMPLAINT_LIFECYCLE):
        for name, guard in lifecycle.guards.items():
            assert f"`{name}`" in text
            for reason in guard.reasons:
                assert reason.replace("|", "\\|") in text
        for t in lifecycle.transitions:
            for source in t["source"]:
                dest = source if t["dest"] is None else t["dest"]
                assert f"{source} --> {dest}: {t['trigger']}" in text


def test_a_drifted_diagram_would_be_caught() -> None:
    text = PAGE.read_text(encoding="utf-8").replace(
        "verifying --> correcting: rework", "verifying --> investigating: rework"
    )
    assert blocks_on_page(text)["incident_diagram"] != generated()["incident_diagram"]


def write() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = generated()
    PAGE.write_text(
        BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + m.group(4), text),
        encoding="utf-8",
    )


if __name__ == "__main__" and "--write" in sys.argv:
    write()
