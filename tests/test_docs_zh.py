"""The Chinese quick-start page: its code runs and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "zh" / "quickstart.md"


def test_the_chinese_quickstart_runs_and_prints_what_it_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    exec(compile("\n".join(blocks), "docs/zh/quickstart.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    # every "# ..." comment right after a print() in the page is what it prints
    expected = [
        line.split("# ", 1)[1]
        for block in blocks
        for line in block.splitlines()
        if line.startswith("# ") or ("print(" in line and "  # " in line)
    ]
    assert printed == [e.strip() for e in expected]


def test_the_page_is_chinese_and_names_the_commands_that_exist() -> None:
    text = PAGE.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    assert len(re.findall(r"[\u4e00-\u9fff]", prose)) > 500
    for command in re.findall(r"^\$ (qualityflow .*)$", text, re.M):
        assert command.startswith("qualityflow --lang zh_CN ")
