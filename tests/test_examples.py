"""Every example script runs as a user would run it, from an unrelated directory.

All of ``examples/*.py`` start at once (interpreter start-up dominates their run time);
each must exit 0, print its story, and leave its working directory untouched (examples
write to temporary directories only). The scripts' key facts are checked too, so that an
example that silently stops demonstrating its point fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# What each example must show (substrings of its standard output).
EXPECTED: dict[str, list[str]] = {
    "incident_recall.py": [
        "went into BEAR-0601, BEAR-0602",
        "assess without a team is refused",
        "'BEAR-0601': 'recalled'",
        "Root cause (material)",
        "INC-21 is closed; history intact: True",
        "disciplines not recorded: none",
        "PASSED",
    ],
    "social_media_complaint.py": [
        "acknowledge without replying first is refused",
        "acknowledged publicly 35 min after the post",
        "Resolved with a refund",
        "Closed after 2 follow-up calls; satisfaction 5/5",
        "CMP-302 rejected: Counterfeit product",
        "SLA breach rate 0%",
    ],
    "common_cause.py": [
        "4 taste complaints",
        "Most likely common cause: lot COCOA-7",
        "Vital few (80 %): taste",
        "escalated: CMP-71, CMP-72, CMP-74, CMP-75",
    ],
    "epcis_fsma204.py": [
        "Loaded 7 EPCIS events",
        "3 shipments to 3 customers",
        "events Receiving, Shipping, Transformation",
    ],
    "writing_plugins.py": [
        "Recall decided for incident INC-5: BISC-0302",
        "SMS while the gateway is down: 0 sent",
        "3 sent, 0 still pending",
        "Auditor cannot write: archive://sunrise is read-only",
    ],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    env = {k: v for k, v in os.environ.items() if k != "QUALITYFLOW_URL"}
    procs = {}
    for script in SCRIPTS:
        cwd = tmp_path_factory.mktemp(script.stem)
        procs[script.name] = (
            subprocess.Popen(
                [sys.executable, str(script)],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            cwd,
        )
    results = {}
    for name, (proc, cwd) in procs.items():
        out, err = proc.communicate(timeout=300)
        results[name] = (proc.returncode, out, err, cwd)
    return results


def test_every_expected_example_exists() -> None:
    assert set(EXPECTED) <= {s.name for s in SCRIPTS}


@pytest.mark.parametrize("script", [s.name for s in SCRIPTS])
def test_the_example_runs_and_tells_its_story(
    script: str, runs: dict[str, tuple[int, str, str, Path]]
) -> None:
    code, out, err, cwd = runs[script]
    assert code == 0, f"{script} failed:\n{err[-3000:]}"
    assert out.strip(), f"{script} printed nothing"
    for fact in EXPECTED.get(script, []):
        assert fact in out, f"{script} no longer shows: {fact!r}\n{out}"
    assert list(cwd.iterdir()) == [], f"{script} wrote into its working directory"


def test_the_epcis_example_uses_the_shared_data_sets_or_says_it_skipped(
    runs: dict[str, tuple[int, str, str, Path]],
) -> None:
    _, out, _, _ = runs["epcis_fsma204.py"]
    shared = EXAMPLES.parents[1] / "shared" / "datasets" / "epcis" / "InteroperabilityExercise"
    if shared.is_dir():
        assert "EcuadorianShrimpFarmScenario.xml" in out and "warnings" in out
    else:
        assert "Skipped: the shared EPCIS data sets are not on this machine." in out


def test_the_tutorial_code_runs_in_order_and_reaches_a_closed_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    monkeypatch.chdir(tmp_path)
    text = (EXAMPLES.parent / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 10
    namespace: dict[str, object] = {}
    exec(compile("\n".join(blocks), "docs/tutorial.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "K 125 3 4" in out  # the sampling plan the text quotes
    assert "recalled" in out
    assert "Root cause (method, confirmed)" in out
    assert "closed INC-5" in out
    assert "['foreign body']" in out
    assert list(tmp_path.iterdir()) == []
