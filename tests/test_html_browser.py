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
from typing import Any

import pytest

import qualityflow as qf
from cli_plant import long_plant, lot_urn, ship_urn
from qualityflow.demo import run_demo, stock
from qualityflow.reports._html import page
from qualityflow.reports._svg import GraphNode, bar_chart_svg, genealogy_svg

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


def _probed(tmp_path: Path, page: str, probe: str, name: str = "probed") -> dict[str, Any]:
    """Open ``page`` with ``probe`` added before ``</head>`` and return what it found."""
    probed = tmp_path / f"{name}.html"
    probed.write_text(page.replace("</head>", probe + "</head>", 1), encoding="utf-8")
    shown = _chromium(tmp_path, "--dump-dom", probed.as_uri())
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert _console_messages(shown.stderr) == []
    match = re.search(r'<pre id="probe">(.*?)</pre>', shown.stdout, re.S)
    assert match, "the probe did not run: " + shown.stderr[-2000:]
    found: dict[str, Any] = json.loads(unescape(match.group(1)))
    return found


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
    probe = _probed(tmp_path, html, PROBE, "INC-5-8D-probe")
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


def _demo_review() -> qf.QualityReview:
    """The demo plant's quality review: three Pareto charts and the supplier scorecard."""
    with qf.QualityFlow("memory://") as qms:
        run_demo(qms)
        card = qf.supplier_scorecard(
            qms.suppliers.list(),
            period="2026-03",
            inspections=qms.inspections.list(),
            incidents=qms.incidents.list(),
            genealogy=qms.genealogy,
        )
        return qf.quality_review(
            qms.incidents.list(), qms.complaints.list(), qms.shipments.list(), scorecard=card
        )


def test_the_quality_review_charts_render_in_chromium(tmp_path: Path) -> None:
    review = _demo_review()
    probe = _probed(tmp_path, review.to_html(), CHART_PROBE, "review")
    assert probe["resources"] == []
    charts = {c["id"]: c for c in probe["charts"]}
    assert set(charts) == {"pareto-category", "pareto-product", "pareto-root_cause", "scorecard"}
    assert charts["scorecard"]["bars"] == 4  # the four demo suppliers
    assert all(c["w"] > 100 and c["h"] > 100 and c["bars"] >= 1 for c in charts.values())


# Measures every picture as Chromium laid it out, in each SVG's own user space: the
# bounding box of every text (through its transform), the node boxes, and each edge sampled
# every 2 px along its length. Reports what is wrong, so a failure names the id or label.
GEOMETRY_PROBE = """
<script>
window.addEventListener("load", () => {
  const tol = 0.5;
  const within = (b, r) => b.x >= r.x - tol && b.y >= r.y - tol
    && b.x + b.width <= r.x + r.width + tol && b.y + b.height <= r.y + r.height + tol;
  const userBox = (svg, el) => {
    const b = el.getBBox();
    const m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
    const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                     [b.x + b.width, b.y + b.height]];
    const pts = corners.map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
    const xs = pts.map(p => p.x), ys = pts.map(p => p.y);
    return {x: Math.min(...xs), y: Math.min(...ys),
            width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys)};
  };
  const viewBox = svg => { const v = svg.viewBox.baseVal;
    return {x: v.x, y: v.y, width: v.width, height: v.height}; };
  const textsOutside = svg => [...svg.querySelectorAll("text")]
    .filter(t => !within(userBox(svg, t), viewBox(svg))).map(t => t.textContent);
  const genealogies = [...document.querySelectorAll("svg#genealogy")].map(svg => {
    const problems = [];
    const nodes = [...svg.querySelectorAll("g.node")].map(g => {
      const rect = g.querySelector("rect").getBBox();
      const text = [...g.querySelectorAll("text")].map(t => t.textContent).join("");
      if (!text.includes(g.dataset.id)) problems.push("id not drawn in full: " + g.dataset.id);
      for (const t of g.querySelectorAll("text"))
        if (!within(userBox(svg, t), rect))
          problems.push("text outside its box: " + t.textContent + " in " + g.dataset.id);
      return {id: g.dataset.id, rect};
    });
    const edges = [...svg.querySelectorAll("path.edge")];
    for (const path of edges) {
      let [src, dst] = [path.dataset.source, path.dataset.target];
      if (src === undefined) [src, dst] = path.querySelector("title").textContent.split(" → ");
      const length = path.getTotalLength();
      for (const {id, rect: r} of nodes) {
        if (id === src || id === dst) continue;
        for (let at = 0; at <= length; at += 2) {
          const p = path.getPointAtLength(at);
          if (p.x > r.x + 1 && p.x < r.x + r.width - 1
              && p.y > r.y + 1 && p.y < r.y + r.height - 1) {
            problems.push("edge " + src + " -> " + dst + " passes behind " + id); break;
          }
        }
      }
    }
    for (const t of textsOutside(svg)) problems.push("text outside the picture: " + t);
    return {nodes: nodes.map(n => n.id), edges: edges.length, problems};
  });
  const charts = [...document.querySelectorAll("svg.chart")].map(svg => ({
    id: svg.id, texts: [...svg.querySelectorAll("text")].map(t => t.textContent),
    outside: textsOutside(svg),
    cumulative: svg.querySelectorAll("polyline.cumulative").length,
    marker: [...svg.querySelectorAll("text")].some(t => t.textContent === "80%"),
  }));
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({genealogies, charts});
  document.body.appendChild(pre);
});
</script>
"""


def _figures(*svgs: str) -> str:
    """The given pictures as a report embeds them, for adding to a page's body."""
    return "".join(f"<figure>{svg}</figure>" for svg in svgs)


def test_the_8d_genealogy_keeps_labels_in_their_boxes_and_edges_off_other_nodes(
    tmp_path: Path,
) -> None:
    html, _, drawn = _demo_report()
    (picture,) = _probed(tmp_path, html, GEOMETRY_PROBE, "demo-8d")["genealogies"]
    assert len(picture["nodes"]) == drawn == 12
    assert picture["problems"] == []


def _long_id_8d() -> tuple[str, set[str]]:
    """The 8D page of a metal fragment in a plant whose every id is a 50-70 char GS1 URN."""
    with qf.QualityFlow("memory://", load_entry_points=False) as qms:
        stock(qms, long_plant())
        incident = qf.Incident(
            id="INC-2026-03-05-SUNRISE-BISCUITS-LINE-L2-METAL-FRAGMENT-0005",
            title="Metal fragment in butter biscuits",
            severity="critical",
            batch_ids=[lot_urn("BISC-0302")],
        )
        impact = qms.recall_impact(lot_urn("BISC-0302"))
        report = qf.eight_d(incident, impact=impact, genealogy=qms.genealogy)
        drawn = qms.genealogy.trace_backward(lot_urn("BISC-0302")).ids | {
            *impact.batch_ids,
            *impact.shipment_ids,
        }
        return report.to_html(), drawn


# Flour goes into the biscuit batch through a mix and straight at the line (a top-up): an
# edge that skips the mix's layer, with every id a long GS1 URN; a customer with a Chinese
# name, and a second raw lot that skips two layers to the shipment's batch.
FLOUR, MIX, BISC = lot_urn("FLOUR-0412"), lot_urn("MIX-0302"), lot_urn("BISC-0302")
SALT, PACK = lot_urn("SALT-0099"), lot_urn("BISC-0302-PACKED")
SKIPPING_NODES = [
    GraphNode(FLOUR, "raw_material", "wheat flour type 550"),
    GraphNode(SALT, "raw_material", "sea salt"),
    GraphNode(MIX, "intermediate", "dough"),
    GraphNode(BISC, "finished", "butter biscuits 200 g", suspect=True, status="quarantined"),
    GraphNode(PACK, "finished", "butter biscuits 200 g, boxed"),
    GraphNode(ship_urn("SHP-9001"), "shipment", "to 华润万家超市（深圳南山分店）"),
]
SKIPPING_EDGES = [
    (FLOUR, MIX),
    (MIX, BISC),
    (FLOUR, BISC),
    (SALT, MIX),
    (SALT, PACK),
    (BISC, PACK),
    (PACK, ship_urn("SHP-9001")),
]


def test_long_gs1_ids_and_layer_skipping_edges_are_drawn_in_full_and_around_the_boxes(
    tmp_path: Path,
) -> None:
    html, drawn = _long_id_8d()
    skipping = genealogy_svg(SKIPPING_NODES, SKIPPING_EDGES, title="Flour topped up at the line")
    page_html = html.replace("</body>", _figures(skipping) + "</body>", 1)
    plant_picture, skipping_picture = _probed(tmp_path, page_html, GEOMETRY_PROBE, "long")[
        "genealogies"
    ]
    assert set(plant_picture["nodes"]) == drawn and any(len(i) > 60 for i in drawn)
    assert plant_picture["problems"] == []
    assert skipping_picture["nodes"] == [n.id for n in SKIPPING_NODES]
    assert skipping_picture["edges"] == len(SKIPPING_EDGES)
    assert skipping_picture["problems"] == []


def test_the_probe_does_catch_a_shortened_id_an_overflowing_label_and_an_edge_behind_a_box(
    tmp_path: Path,
) -> None:
    # the picture as the old layout drew a skipping edge: one curve straight through MIX
    faulty = (
        '<svg xmlns="http://www.w3.org/2000/svg" id="genealogy" viewBox="0 0 400 100">'
        '<g class="node" data-id="FLOUR-0412"><rect x="0" y="40" width="60" height="20"/>'
        "<text x='4' y='54'>FLOUR-0412 wheat flour</text></g>"
        '<g class="node" data-id="MIX-0302-LONG-ID"><rect x="150" y="40" width="60" height="20"/>'
        "<text x='154' y='54'>MIX-0302-…</text></g>"
        '<g class="node" data-id="BISC-0302"><rect x="300" y="40" width="60" height="20"/>'
        "<text x='304' y='54'>BISC-0302</text></g>"
        '<path class="edge" d="M 60 50 L 300 50"><title>FLOUR-0412 → BISC-0302</title></path>'
        "</svg>"
    )
    (picture,) = _probed(tmp_path, page("faulty", _figures(faulty)), GEOMETRY_PROBE, "faulty")[
        "genealogies"
    ]
    problems = "\n".join(picture["problems"])
    assert "id not drawn in full: MIX-0302-LONG-ID" in problems
    assert "text outside its box: FLOUR-0412 wheat flour" in problems
    assert "edge FLOUR-0412 -> BISC-0302 passes behind MIX-0302-LONG-ID" in problems


LONG_LABELS = [
    "metal fragment from the sieve of line L2 (night shift)",
    "异物（金属碎片，来自二号线筛网）",
    "urn:epc:id:sgln:4012345.00001.CUST-FRESHMART-DISTRIBUTION-CENTRE-NORTH",
]


def test_every_chart_label_and_title_lies_inside_the_chart_in_english_and_chinese(
    tmp_path: Path,
) -> None:
    review = _demo_review()
    zh = review.to_html(locale="zh_CN")
    long_chart = bar_chart_svg(
        LONG_LABELS,
        [9, 4, 1],
        cumulative=[64.3, 92.9, 100.0],
        title="Complaints by root cause, Sunrise Biscuits plant, March 2026 (14)",
        svg_id="long-labels",
    )
    one_bar = bar_chart_svg(
        ["供应商原因：包装膜密封不良"], [3], title="按根本原因统计的投诉（3）", svg_id="one-bar"
    )
    pages = {
        "en": review.to_html(),
        "zh": zh.replace("</body>", _figures(long_chart, one_bar) + "</body>", 1),
    }
    for name, html in pages.items():
        charts = _probed(tmp_path, html, GEOMETRY_PROBE, name)["charts"]
        assert len(charts) == (4 if name == "en" else 6)
        for chart in charts:
            assert chart["outside"] == [], chart["id"]
    # nothing shortened: every label and title is drawn whole, with the Pareto's line and 80 %
    extra = {c["id"]: c for c in charts}
    assert set(LONG_LABELS) <= set(extra["long-labels"]["texts"])
    assert (
        "Complaints by root cause, Sunrise Biscuits plant, March 2026 (14)"
        in extra["long-labels"]["texts"]
    )
    assert extra["long-labels"]["cumulative"] == 1 and extra["long-labels"]["marker"]
    assert "供应商原因：包装膜密封不良" in extra["one-bar"]["texts"]
    assert all(c["cumulative"] == 1 and c["marker"] for k, c in extra.items() if "pareto" in k)
