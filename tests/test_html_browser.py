"""The demo incident's 8D report in a real browser: headless Chromium renders it cleanly.

The page is checked as a quality manager would open it: the timeline and the genealogy
picture of the recall are visible (laid out with a real size), nothing is fetched from the
network, and the browser logs no console error. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

import qualityflow as qf
from qualityflow.demo import run_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)

# Added to a copy of the page only: measures what the browser laid out, records script
# errors and any resource the page tried to load, and writes the findings into the DOM.
PROBE = """
<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message)));
window.addEventListener("load", () => {
  const box = sel => { const el = document.querySelector(sel);
    if (!el) return null; const r = el.getBoundingClientRect();
    return {w: r.width, h: r.height, visible: getComputedStyle(el).visibility !== "hidden"}; };
  const out = {
    timeline: box("#timeline"),
    timelineItems: document.querySelectorAll("#timeline li").length,
    picture: box("svg#genealogy"),
    pictureNodes: document.querySelectorAll("svg#genealogy g.node").length,
    pictureEdges: document.querySelectorAll("svg#genealogy path.edge").length,
    resources: performance.getEntriesByType("resource").map(r => r.name),
    errors: window.__errors,
  };
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)


def _console_messages(stderr: str) -> list[str]:
    # Chromium logs every page console message (console.error, uncaught exceptions, failed
    # loads) as ':CONSOLE:' lines; the report has no scripts, so any such line is a fault.
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _demo_report() -> tuple[str, int, int]:
    """The demo incident's 8D page, with its number of history steps and drawn nodes."""
    with qf.QualityFlow("memory://") as qms:
        run = run_demo(qms)
        incident = qms.incidents.get(run.incident_id)
        assert incident.recall is not None
        impact = qms.recall_impact(*incident.recall.batch_ids)
        report = qf.eight_d(
            incident, impact=impact, genealogy=qms.genealogy, complaints=qms.complaints.list()
        )
        upstream = qms.genealogy.trace_backward(*incident.recall.batch_ids).ids
        drawn = len(upstream) + len(impact.batches) + len(impact.shipments)
        return report.to_html(), len(incident.history), drawn


def test_the_8d_page_renders_in_chromium_with_timeline_and_picture(tmp_path: Path) -> None:
    html, steps, drawn = _demo_report()
    plain = tmp_path / "INC-5-8D.html"
    plain.write_text(html, encoding="utf-8")
    probed = tmp_path / "INC-5-8D-probe.html"
    probed.write_text(html.replace("</head>", PROBE + "</head>", 1), encoding="utf-8")

    shown = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', shown.stdout, re.S)
    assert match, "the probe did not run: " + shown.stderr[-2000:]
    probe = json.loads(unescape(match.group(1)))
    assert probe["errors"] == []
    assert probe["resources"] == [], "the report must not fetch anything"
    assert probe["timelineItems"] == steps == 6
    assert probe["timeline"]["h"] > 50 and probe["timeline"]["visible"]
    # the two recalled batches, the mixes and lots that went into them, their shipments
    assert probe["pictureNodes"] == drawn == 12
    assert probe["pictureEdges"] >= drawn - 2
    assert probe["picture"]["w"] > 200 and probe["picture"]["h"] > 50

    # The report itself, without the probe: a screenshot and no console errors.
    shot = tmp_path / "shot.png"
    plain_run = _chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", plain.as_uri()
    )
    assert plain_run.returncode == 0, plain_run.stderr[-2000:]
    assert _console_messages(plain_run.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000, "the screenshot looks blank"


def test_the_console_check_does_catch_a_faulty_page(tmp_path: Path) -> None:
    faulty = tmp_path / "faulty.html"
    faulty.write_text(
        "<html><body><script>console.error('boom'); noSuchFunction();</script></body></html>"
    )
    run = _chromium(tmp_path, f"--screenshot={tmp_path / 'f.png'}", faulty.as_uri())
    messages = _console_messages(run.stderr)
    assert any("boom" in m for m in messages)
    assert any("noSuchFunction" in m for m in messages)


CHART_PROBE = """
<script>
window.addEventListener("load", () => {
  const charts = [...document.querySelectorAll("svg.chart")].map(svg => {
    const r = svg.getBoundingClientRect();
    return {id: svg.id, w: r.width, h: r.height, bars: svg.querySelectorAll("rect.bar").length};
  });
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({charts,
    resources: performance.getEntriesByType("resource").map(r => r.name)});
  document.body.appendChild(pre);
});
</script>
"""


def test_the_quality_review_charts_render_in_chromium(tmp_path: Path) -> None:
    with qf.QualityFlow("memory://") as qms:
        run_demo(qms)
        card = qf.supplier_scorecard(
            qms.suppliers.list(),
            period="2026-03",
            inspections=qms.inspections.list(),
            incidents=qms.incidents.list(),
            genealogy=qms.genealogy,
        )
        review = qf.quality_review(
            qms.incidents.list(), qms.complaints.list(), qms.shipments.list(), scorecard=card
        )
    probed = tmp_path / "review.html"
    probed.write_text(review.to_html().replace("</head>", CHART_PROBE + "</head>", 1))
    shown = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert _console_messages(shown.stderr) == []
    match = re.search(r'<pre id="probe">(.*?)</pre>', shown.stdout, re.S)
    assert match, shown.stderr[-2000:]
    probe = json.loads(unescape(match.group(1)))
    assert probe["resources"] == []
    charts = {c["id"]: c for c in probe["charts"]}
    assert set(charts) == {"pareto-category", "pareto-product", "pareto-root_cause", "scorecard"}
    assert charts["scorecard"]["bars"] == 4  # the four demo suppliers
    assert all(c["w"] > 100 and c["h"] > 100 and c["bars"] >= 1 for c in charts.values())
