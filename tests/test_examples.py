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
        "investigate before verifying the information is refused",
        "Resolved with a refund",
        "Closed after 2 follow-up calls; satisfaction 5/5",
        "CMP-302 acknowledged: thank you for telling us about the problem with Meadow",
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
    "roles_and_signatures.py": [
        "Assessing with a team of one is refused",
        "Assessing without regions and rationale is refused",
        "Tom (production) contained BISC-0302: quarantined",
        "Verifying with a wrong password is refused",
        "Lena (quality engineer) closing is refused",
        "owns corrective action(s) CA-1",
        "INC-30 is closed: signed by Dana Weber (dana)",
        "The 8D shows it:",
        "Audit: ok=True",
        "After the photo was swapped on disk: ok=False",
    ],
    "writing_plugins.py": [
        "Recall decided for incident INC-5: BISC-0302",
        "SMS while the gateway is down: 0 sent",
        "4 sent, 0 still pending",
        "Auditor cannot write: archive://sunrise is read-only",
    ],
}


def _run_all(tmp_path: Path) -> dict[str, tuple[int, str, str, Path]]:
    env = {k: v for k, v in os.environ.items() if k != "QUALITYFLOW_URL"}
    # This checkout's sources first: a relative PYTHONPATH does not survive the cwd change.
    src = str(EXAMPLES.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    procs = {}
    for script in SCRIPTS:
        cwd = tmp_path / script.stem
        cwd.mkdir()
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


def test_every_example_runs_and_tells_its_story(tmp_path: Path) -> None:
    # One test for all scripts, so that parallel test workers do not run them twice.
    assert set(EXPECTED) <= {s.name for s in SCRIPTS}
    problems = []
    for script, (code, out, err, cwd) in _run_all(tmp_path).items():
        if code != 0:
            problems.append(f"{script} exited {code}:\n{err[-3000:]}")
            continue
        if not out.strip():
            problems.append(f"{script} printed nothing")
        problems += [
            f"{script} no longer shows: {fact!r}"
            for fact in EXPECTED.get(script, [])
            if fact not in out
        ]
        if list(cwd.iterdir()):
            problems.append(f"{script} wrote into its working directory")
        if script == "epcis_fsma204.py":
            shared = EXAMPLES.parents[1] / "shared" / "datasets" / "epcis"
            if (shared / "InteroperabilityExercise").is_dir():
                if "EcuadorianShrimpFarmScenario.xml" not in out:
                    problems.append("epcis_fsma204.py did not load the shared shrimp data")
            elif "Skipped: the shared EPCIS data sets are not on this machine." not in out:
                problems.append("epcis_fsma204.py neither used nor skipped the shared data")
    assert not problems, "\n".join(problems)


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
