"""Reports for people: the 8D report, KPIs and Pareto of a biscuit plant's quality cases."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)


def _record(hours: float, trigger: str, source: str, dest: str, actor: str, note: str = ""):
    return qf.TransitionRecord(
        at=T0 + timedelta(hours=hours),
        actor=actor,
        trigger=trigger,
        source=source,
        dest=dest,
        note=note,
    )


@pytest.fixture
def metal_incident() -> qf.Incident:
    """Metal fragments in butter biscuits: worked through to closure by the emergency team."""
    return _metal_incident()


def _metal_incident() -> qf.Incident:
    leader = qf.TeamMember(name="Dana Ruiz", role="QA manager", department="quality")
    team = qf.EmergencyTeam(
        leader=leader,
        members=[
            qf.TeamMember(name="Ole Berg", role="line supervisor", department="production"),
            qf.TeamMember(name="Mia Chen", role="process engineer", department="technical"),
            qf.TeamMember(name="Sam Patel", role="key accounts", department="sales"),
        ],
    )
    return qf.Incident(
        id="INC-5",
        title="Metal fragments in butter biscuits",
        severity="critical",
        status="closed",
        reported_at=T0,
        reported_by="QA shift lead",
        detected_at=T0 - timedelta(minutes=40),
        batch_ids=["BISC-0301"],
        product="butter biscuits 200 g",
        description="Customer found a 3 mm steel fragment in a sealed pack.",
        complaint_ids=["CMP-17"],
        team=team,
        assessment=qf.ImpactAssessment(
            severity="critical",
            batch_ids=["BISC-0301", "BISC-0302"],
            regions=["north"],
            risk="injury to mouth or teeth",
            recall_required=True,
            rationale="Packs reached retail shelves; physical hazard.",
        ),
        containment=[
            qf.ContainmentAction(
                batch_id="BISC-0301", action="recall", by="Sam Patel", at=T0 + timedelta(hours=2)
            ),
            qf.ContainmentAction(
                batch_id="BISC-0302",
                action="quarantine",
                by="Ole Berg",
                at=T0 + timedelta(hours=1),
                note="warehouse bay 4 sealed",
            ),
        ],
        recall=qf.RecallDecision(
            initiated_at=T0 + timedelta(hours=2),
            batch_ids=["BISC-0301"],
            customer_ids=["CUST-FRESHMART"],
            reason="Metal fragment hazard.",
            decided_by="Dana Ruiz",
        ),
        root_cause=qf.RootCauseAnalysis(
            method="five_why",
            problem="Steel fragments in biscuits from line L2.",
            whys=[
                "The metal detector did not reject the packs.",
                "Its sensitivity had drifted above 2.5 mm.",
                "The daily test-piece check was skipped on night shift.",
                "The check was not on the night-shift checklist.",
                "The checklist was not updated when the night shift started.",
            ],
            fishbone={"machine": ["worn sieve mesh"], "method": ["checklist gap"]},
            root_cause="Night-shift checklist lacked the metal-detector test.",
            category="method",
            confirmed=True,
        ),
        actions=[
            qf.CorrectiveAction(
                id="CA-1",
                description="Add the test-piece check to the night-shift checklist",
                owner="Ole Berg",
                department="production",
                due=date(2026, 3, 9),
                status="done",
                done_at=T0 + timedelta(days=2),
            ),
            qf.CorrectiveAction(
                id="PA-1",
                description="Audit every line's checklists against the HACCP plan",
                owner="Mia Chen",
                department="technical",
                due=date(2026, 3, 20),
                kind="preventive",
                status="done",
                done_at=T0 + timedelta(days=6),
            ),
        ],
        verification=qf.Verification(
            effective=True,
            evidence="30 shifts of test-piece logs, zero misses.",
            verified_by="Dana Ruiz",
            at=T0 + timedelta(days=9),
        ),
        lessons=["Every new shift pattern gets a checklist review before it starts."],
        history=[
            _record(1.5, "assess", "reported", "assessed", "Dana Ruiz"),
            _record(2.5, "contain", "assessed", "contained", "Dana Ruiz", "recall under way"),
            _record(3, "investigate", "contained", "investigating", "Mia Chen"),
            _record(30, "correct", "investigating", "correcting", "Mia Chen"),
            _record(150, "verify", "correcting", "verifying", "Dana Ruiz"),
            _record(220, "close", "verifying", "closed", "Dana Ruiz", "8D signed off"),
        ],
    )


@pytest.fixture
def social_complaint() -> qf.Complaint:
    return qf.Complaint(
        id="CMP-17",
        customer_id="CUST-FRESHMART",
        channel="social_media",
        received_at=T0 - timedelta(hours=3),
        description="Posted a photo of a metal shard in a biscuit",
        incident_id="INC-5",
        category="foreign body",
    )


def test_the_8d_of_a_closed_incident_covers_every_discipline_with_its_data(
    metal_incident: qf.Incident, social_complaint: qf.Complaint
) -> None:
    report = qf.eight_d(metal_incident, complaints=[social_complaint])
    assert report.missing == []
    assert [d.code for d in report.disciplines] == [f"D{i}" for i in range(9)]
    md = report.to_markdown()
    for heading in ("D0 Emergency response", "D4 Root cause", "D8 Closure and recognition"):
        assert f"## {heading}" in md
    assert "Not recorded yet" not in md
    # D0: reported 40 min after detection; first containment 1 h after the report
    assert "40 min after detection" in report.discipline("D0").to_markdown()
    assert "quarantine of BISC-0302" in report.discipline("D0").to_markdown()
    assert "Dana Ruiz" in report.discipline("D1").to_markdown()
    assert "sales" in report.discipline("D1").to_markdown()
    d2 = report.discipline("D2").to_markdown()
    assert "social_media" in d2 and "metal shard" in d2 and "injury" in d2
    assert "warehouse bay 4 sealed" in report.discipline("D3").to_markdown()
    d4 = report.discipline("D4").to_markdown()
    assert "5. The checklist was not updated" in d4
    assert "worn sieve mesh" in d4
    assert "confirmed" in d4
    assert "CA-1" in report.discipline("D5").to_markdown()
    assert "PA-1" not in report.discipline("D5").to_markdown()
    assert "30 shifts" in report.discipline("D6").to_markdown()
    d7 = report.discipline("D7").to_markdown()
    assert "PA-1" in d7 and "checklist review" in d7
    d8 = report.discipline("D8").to_markdown()
    assert "9 d 4 h after the report" in d8 and "8D signed off" in d8


def test_a_fresh_incident_says_what_is_not_recorded_instead_of_inventing_it() -> None:
    inc = qf.Incident(id="INC-9", title="Soft tissue rolls", severity="minor", reported_at=T0)
    report = qf.eight_d(inc)
    assert report.missing == [f"D{i}" for i in range(9)]
    assert report.to_markdown().count("Not recorded yet") == 9
    assert "the incident is reported, not closed" in report.discipline("D8").to_markdown()


def test_an_unconfirmed_root_cause_leaves_d4_open(metal_incident: qf.Incident) -> None:
    assert metal_incident.root_cause is not None
    metal_incident.root_cause = metal_incident.root_cause.model_copy(update={"confirmed": False})
    report = qf.eight_d(metal_incident)
    assert "D4" in report.missing
    assert "NOT yet confirmed" in report.discipline("D4").to_markdown()


def test_unrelated_complaints_stay_out_of_the_problem_description(
    metal_incident: qf.Incident,
) -> None:
    other = qf.Complaint(
        id="CMP-99",
        customer_id="CUST-CORNER",
        channel="phone",
        received_at=T0,
        description="Packaging dented",
    )
    assert "CMP-99" not in qf.eight_d(metal_incident, complaints=[other]).to_markdown()


def test_the_html_page_is_self_contained_with_a_timeline_item_per_step(
    metal_incident: qf.Incident,
) -> None:
    page = qf.eight_d(metal_incident).to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    timeline = re.search(r'<ol id="timeline".*?</ol>', page, re.S)
    assert timeline is not None
    assert timeline.group(0).count("<li>") == len(metal_incident.history)
    for code in range(9):
        assert f'<section id="d{code}">' in page


def test_html_escapes_what_people_typed(metal_incident: qf.Incident) -> None:
    metal_incident.title = "Shard <script>alert(1)</script> & co"
    page = qf.eight_d(metal_incident).to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def _complaint(i: int, category: str | None, incident_id: str | None = None) -> qf.Complaint:
    return qf.Complaint(
        id=f"CMP-{i}",
        customer_id=f"CUST-{i % 3}",
        channel="email",
        received_at=T0,
        description="complaint",
        category=category,
        product="butter biscuits" if i % 2 else "oat cookies",
        incident_id=incident_id,
    )


def test_pareto_ranks_complaint_categories_and_names_the_vital_few() -> None:
    categories = ["broken"] * 6 + ["foreign body"] * 3 + ["stale"] * 1 + [None]
    result = qf.pareto([_complaint(i, c) for i, c in enumerate(categories)])
    assert [(r.key, r.count) for r in result.rows] == [
        ("broken", 6),
        ("foreign body", 3),
        ("stale", 1),
        ("uncategorised", 1),
    ]
    assert result.vital_few == ["broken", "foreign body"]
    assert "| broken | 6 | 55% | 55% |" in result.to_markdown()
    svg = result.to_svg()
    assert svg.count('class="bar"') == 4 and 'class="cumulative"' in svg


def test_pareto_by_root_cause_follows_the_escalation_to_the_incident(
    metal_incident: qf.Incident,
) -> None:
    complaints = [_complaint(1, "foreign body", "INC-5"), _complaint(2, "foreign body", "INC-5")]
    complaints.append(_complaint(3, "stale"))
    result = qf.pareto(complaints, "root_cause", incidents=[metal_incident])
    assert [(r.key, r.count) for r in result.rows] == [("method", 2), ("not investigated", 1)]


def test_pareto_refuses_an_unknown_dimension_and_says_which_exist() -> None:
    with pytest.raises(ValueError, match="category, product, root_cause"):
        qf.pareto([], "colour")  # type: ignore[arg-type]


@given(st.lists(st.sampled_from(["broken", "stale", "soft", "burnt", None]), max_size=40))
def test_pareto_rows_always_add_up(categories: list[str | None]) -> None:
    result = qf.pareto([_complaint(i, c) for i, c in enumerate(categories)])
    assert sum(r.count for r in result.rows) == result.total == len(categories)
    counts = [r.count for r in result.rows]
    assert counts == sorted(counts, reverse=True)
    cumulative = [r.cumulative for r in result.rows]
    assert cumulative == sorted(cumulative)
    if result.rows:
        assert cumulative[-1] == pytest.approx(1.0)
        assert len(result.vital_few) <= len(result.rows)


def _shipment(i: int, packs: int, unit: str = "pack") -> qf.Shipment:
    return qf.Shipment(
        id=f"SHP-{i}",
        batch_id="BISC-0301",
        customer_id="CUST-FRESHMART",
        quantity=qf.Quantity(amount=packs, unit=unit),
        shipped_at=T0,
    )


def test_kpis_measure_handling_times_from_the_audit_history(
    metal_incident: qf.Incident, social_complaint: qf.Complaint
) -> None:
    social_complaint.history.append(
        qf.TransitionRecord(
            at=social_complaint.received_at + timedelta(minutes=45),
            actor="care desk",
            trigger="acknowledge",
            source="received",
            dest="acknowledged",
        )
    )
    second = metal_incident.model_copy(
        update={"id": "INC-6", "history": metal_incident.history[:2]}
    )
    result = qf.kpis(
        [metal_incident, second],
        [social_complaint],
        [_shipment(1, 150_000), _shipment(2, 50_000)],
    )
    assert result.complaint_acknowledge.median == timedelta(minutes=45)
    assert result.incident_contain.count == 2
    assert result.incident_contain.mean == timedelta(hours=2.5)
    assert result.incident_close.count == 1
    assert result.incident_close.worst == timedelta(hours=220)
    assert result.shipped == qf.Quantity(amount=200_000, unit="pack")
    assert result.complaints_per_million == Decimal(5)
    md = result.to_markdown()
    assert "5.0 per million pack" in md and "45 min" in md


def test_sla_breach_rate_counts_late_steps_against_the_severity_limits(
    metal_incident: qf.Incident, social_complaint: qf.Complaint
) -> None:
    # INC-5 (critical): detected 40 min before the report (limit 1 h), assessed after
    # 1.5 h (limit 4 h), contained after 2.5 h (limit 24 h): all on time.
    # CMP-17 (minor): never acknowledged nor resolved; judged 2 days later only the
    # acknowledgement (24 h) is due, and late.
    as_of = social_complaint.received_at + timedelta(days=2)
    result = qf.kpis([metal_incident], [social_complaint], as_of=as_of)
    assert (result.sla_breached, result.sla_checked) == (1, 4)
    assert result.sla_breach_rate == pytest.approx(1 / 4)
    assert result.sla_breaches == ("CMP-17 acknowledge late by 1 d (still open)",)
    # a slow containment of a critical incident is a breach too
    slow = metal_incident.model_copy(
        update={
            "id": "INC-6",
            "history": [
                _record(1.5, "assess", "reported", "assessed", "Dana Ruiz"),
                _record(30, "contain", "assessed", "contained", "Dana Ruiz"),
            ],
        }
    )
    result = qf.kpis([slow], as_of=as_of)
    assert result.sla_breaches == ("INC-6 contain late by 6 h (done)",)


def test_kpis_ask_which_unit_when_shipments_mix_units() -> None:
    with pytest.raises(ValueError, match="pass unit="):
        qf.kpis([], [], [_shipment(1, 10), _shipment(2, 5, "case")])
    result = qf.kpis([], [], [_shipment(1, 10), _shipment(2, 5, "case")], unit="case")
    assert result.shipped == qf.Quantity(amount=5, unit="case")


def _biscuit_plant() -> qf.Genealogy:
    """Flour and butter into dough, dough into two biscuit batches, shipped to two shops."""
    from qualityflow.demo import plant

    p = plant()
    return qf.Genealogy.build(p.batches, p.links, p.shipments)


def test_the_8d_picture_draws_the_recall_with_the_lots_that_went_into_it(
    metal_incident: qf.Incident,
) -> None:
    genealogy = _biscuit_plant()
    metal_incident.batch_ids = ["BISC-0302"]
    metal_incident.assessment.batch_ids = ["BISC-0302", "BISC-0303"]  # type: ignore[union-attr]
    metal_incident.recall.batch_ids = ["BISC-0302", "BISC-0303"]  # type: ignore[union-attr]
    impact = genealogy.recall_impact("BISC-0302", "BISC-0303")
    report = qf.eight_d(metal_incident, impact=impact, genealogy=genealogy)
    page = report.to_html()
    svg = re.search(r'<svg[^>]*id="genealogy".*?</svg>', page, re.S)
    assert svg is not None
    drawn = set(re.findall(r'<g class="node" data-id="([^"]+)"', svg.group(0)))
    upstream = genealogy.trace_backward("BISC-0302", "BISC-0303").ids
    assert upstream <= drawn  # flour, butter, sugar, film and the two mixes
    assert set(impact.shipment_ids) <= drawn
    assert "OAT-0303" not in drawn  # other products stay out of the picture
    # every drawn edge is a real genealogy link
    edges = re.findall(r"<title>([^<]+) → ([^<]+)</title></path>", svg.group(0))
    assert edges and all(genealogy.graph.has_edge(a, b) for a, b in edges)
    d3 = report.discipline("D3").to_markdown()
    assert "CUST-MEGAMART" in d3 and "5100 pack" in d3


def test_a_mock_recall_drill_on_a_flour_lot_answers_well_inside_24_hours() -> None:
    genealogy = _biscuit_plant()
    drill = qf.mock_recall(genealogy, "FLOUR-0412")
    assert drill.within_bound
    assert drill.margin > timedelta(hours=23)
    expected = genealogy.recall_impact("FLOUR-0412")
    assert set(drill.customer_ids) == set(expected.customer_ids)
    assert set(drill.shipment_ids) == set(expected.shipment_ids) != set()
    assert "PASSED" in drill.to_markdown()


def test_a_drill_that_takes_longer_than_the_bound_fails() -> None:
    drill = qf.mock_recall(_biscuit_plant(), "FLOUR-0412", bound=timedelta(0))
    assert not drill.within_bound
    assert "FAILED" in drill.to_markdown()


def test_a_drill_on_an_unknown_lot_raises_the_genealogys_error() -> None:
    with pytest.raises(qf.GenealogyError, match="FLOUR-9999"):
        qf.mock_recall(_biscuit_plant(), "FLOUR-9999")


def test_the_supplier_scorecard_blames_only_the_supplier_that_caused_it() -> None:
    from qualityflow.demo import plant

    p = plant()
    genealogy = qf.Genealogy.build(p.batches, p.links, p.shipments)
    # Metal in BISC-0302, made from every supplier's lot: the night shift skipped the
    # sieve check. No supplier caused it, so none is charged for it.
    checklist = qf.Incident(
        id="INC-5",
        title="Metal fragment in butter biscuits",
        severity="critical",
        reported_at=T0,
        batch_ids=["BISC-0302"],
        root_cause=qf.RootCauseAnalysis(
            method="fishbone",
            problem="metal fragment in BISC-0302",
            fishbone={"method": ["night-shift checklist skipped the sieve check"]},
            root_cause="sieve check skipped on the night shift",
            category="method",
            confirmed=True,
        ),
    )
    # Torn wraps in the same batch: the film's seal strength, Flexipack's film.
    torn = checklist.model_copy(
        update={
            "id": "INC-6",
            "severity": qf.Severity.MAJOR,
            "root_cause": qf.RootCauseAnalysis(
                method="five_why",
                problem="flow-wrap packs open in transit",
                whys=["the seals peel", "the film's sealant layer is thin"],
                root_cause="film lot below its seal-strength specification",
                category="material",
                confirmed=True,
            ),
        }
    )
    unused = qf.Supplier(id="SUP-SALT", name="Coastal Salt Works")
    card = qf.supplier_scorecard(
        [*p.suppliers, unused],
        period="2026-03",
        inspections=p.inspections,
        incidents=[checklist, torn],
        genealogy=genealogy,
    )
    # The material cause charges every supplier whose material lot is upstream: the film's
    # and the raw materials' alike (the root cause does not name one); the method cause
    # charges nobody. One conditional film lot is too little to score quality on.
    for supplier_id in ("SUP-PACK", "SUP-MILL"):
        row = card.row(supplier_id)
        assert row.evaluation is not None
        assert row.evaluation.scores["incidents"] == 75
        assert "INC-5 (root cause in method)" in row.evaluation.note
    pack = card.row("SUP-PACK")
    assert pack.evaluation is not None and "quality" not in pack.evaluation.scores
    assert "quality not scored: 1 incoming inspection(s)" in pack.evaluation.note
    # 75 points on incidents and a clean complaint record: it stays approved (before,
    # one conditional lot and an incident it did not cause recommended suspending it).
    assert pack.total == pytest.approx((75 * 20 + 100 * 10) / 30)
    assert pack.recommended is qf.SupplierStatus.APPROVED
    assert not any(r.needs_decision for r in card.rows)
    assert card.row("SUP-SALT").total is None and "not scored" in card.row("SUP-SALT").note
    assert "not counted against it: INC-5 (root cause in method)" in card.to_markdown()
    assert card.to_svg().count('class="bar"') == 4


def test_a_root_cause_that_names_the_film_supplier_charges_it_alone() -> None:
    from qualityflow.demo import plant

    p = plant()
    genealogy = qf.Genealogy.build(p.batches, p.links, p.shipments)
    torn = qf.Incident(
        id="INC-7",
        title="Torn flow-wraps",
        severity="major",
        reported_at=T0,
        batch_ids=["BISC-0302"],
        root_cause=qf.RootCauseAnalysis(
            method="five_why",
            problem="packs open in transit",
            whys=["seals peel"],
            root_cause="Flexipack Films changed the sealant layer without notice",
            category="method",
            confirmed=True,
        ),
    )
    card = qf.supplier_scorecard(
        p.suppliers,
        period="2026-03",
        inspections=p.inspections,
        incidents=[torn],
        genealogy=genealogy,
    )
    charged = {
        r.supplier.id
        for r in card.rows
        if r.evaluation is not None and r.evaluation.scores.get("incidents", 100) < 100
    }
    assert charged == {"SUP-PACK"}


def test_a_rejected_complaint_is_not_late_for_a_resolution_it_never_needed() -> None:
    counterfeit = qf.Complaint(
        id="CMP-302",
        customer_id="@bargain_bea",
        channel="social_media",
        received_at=T0,
        description="Grey cream smelling of paint",
        status="rejected",
        rejection_reason="counterfeit jar",
        history=[_record(0.5, "acknowledge", "received", "acknowledged", "care desk")],
    )
    result = qf.kpis([], [counterfeit], as_of=T0 + timedelta(days=30))
    assert (result.sla_breached, result.sla_checked) == (0, 1)


def test_a_plant_wide_recall_draws_at_most_80_boxes_and_says_how_many_more() -> None:
    """A sugar lot in 150 batches, each shipped: the picture stays readable."""
    sugar = qf.Batch(
        id="SUGAR-1",
        kind="raw_material",
        product="sugar",
        quantity=qf.Quantity(amount=9000, unit="kg"),
    )
    batches = [sugar]
    links = []
    shipments = []
    for i in range(150):
        batches.append(
            qf.Batch(
                id=f"BISC-{i:03d}",
                kind="finished",
                product="biscuits",
                quantity=qf.Quantity(amount=100, unit="pack"),
            )
        )
        links.append(("SUGAR-1", f"BISC-{i:03d}", None))
        shipments.append(
            qf.Shipment(
                id=f"SHP-{i:03d}",
                batch_id=f"BISC-{i:03d}",
                customer_id=f"SHOP-{i % 7}",
                quantity=qf.Quantity(amount=100, unit="pack"),
                shipped_at=T0,
            )
        )
    genealogy = qf.Genealogy.build(batches, links, shipments)
    suspects = [b.id for b in batches[1:]]
    incident = qf.Incident(id="INC-9", title="Sugar with glass", severity="critical")
    incident.batch_ids = suspects
    report = qf.eight_d(incident, impact=genealogy.recall_impact(*suspects), genealogy=genealogy)
    nodes, _ = report.picture
    assert len(nodes) == 80
    assert report.picture_omitted == 301 - 80  # 150 batches, 150 shipments, the sugar lot
    assert [n.id for n in nodes[:150]] == suspects[:80]  # suspects are drawn first
    assert "221 more lots and shipments are not drawn" in report.to_html()
    d3 = report.discipline("D3").to_markdown()
    assert "BISC-149" in d3 and "| Shipments | 150 |" in d3  # D3 lists everything


def test_the_demo_incidents_8d_holds_the_demo_data_in_every_discipline() -> None:
    from qualityflow.demo import run_demo

    with qf.QualityFlow("memory://") as qms:
        run = run_demo(qms)
        incident = qms.incidents.get(run.incident_id)
        assert incident.recall is not None
        report = qf.eight_d(
            incident,
            impact=qms.recall_impact(*incident.recall.batch_ids),
            genealogy=qms.genealogy,
            complaints=qms.complaints.list(),
        )
    assert report.missing == []
    expected = {
        "D0": "20 min after detection",  # the photo's lot code at 08:20, reported 08:40
        "D1": "Sam Patel",
        "D2": "@crunchlover",
        "D3": "CUST-MEGAMART",
        "D4": "night-shift start-up checklist",
        "D5": "Recalibrate the L2 metal detector",
        "D6": "42 shifts of test-piece logs",
        "D7": "Audit the checklists of every line",
        "D8": "8D signed off by the plant manager",
    }
    for code, fact in expected.items():
        text = report.discipline(code).to_markdown()
        assert fact in text, f"{code} lacks {fact!r}"
        assert "Not recorded yet" not in text


def test_a_drill_through_the_service_can_include_writing_the_fsma_204_sheet(
    tmp_path: Path,
) -> None:
    from qualityflow.demo import run_demo

    sheet = tmp_path / "drill-FLOUR-0412.csv"
    with qf.QualityFlow("memory://") as qms:
        run_demo(qms)
        drill = qf.mock_recall(qms, "FLOUR-0412", spreadsheet=sheet)
    assert drill.within_bound and drill.spreadsheet == sheet
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    shipped_to = {
        r["Ship-To Location"] for r in rows if r["Critical Tracking Event (CTE)"] == "Shipping"
    }
    assert (
        shipped_to
        == set(drill.customer_ids)
        == {
            "CUST-CORNERSHOP",
            "CUST-FRESHMART",
            "CUST-MEGAMART",
        }
    )
    assert str(sheet) in drill.to_markdown()


def test_the_quality_review_puts_kpis_paretos_and_scorecard_on_one_page() -> None:
    from qualityflow.demo import run_demo

    with qf.QualityFlow("memory://") as qms:
        run_demo(qms)
        incidents, complaints = qms.incidents.list(), qms.complaints.list()
        card = qf.supplier_scorecard(
            qms.suppliers.list(),
            period="2026-03",
            inspections=qms.inspections.list(),
            incidents=incidents,
            genealogy=qms.genealogy,
        )
        review = qf.quality_review(
            incidents,
            complaints,
            qms.shipments.list(),
            title="Sunrise Biscuits, March 2026",
            scorecard=card,
            as_of=datetime(2026, 4, 1, tzinfo=timezone.utc),
        )
    assert review.kpis.incident_contain.median == timedelta(hours=2, minutes=20)
    assert review.kpis.sla_breach_rate == 0.0
    by = {p.by: p for p in review.paretos}
    assert by["root_cause"].rows[0].key == "method"  # the demo complaint's incident
    assert by["category"].rows[0].key == "foreign body"
    md = review.to_markdown()
    assert md.startswith("# Sunrise Biscuits, March 2026")
    assert "## Supplier scorecard 2026-03" in md
    page = review.to_html()
    assert page.count("<svg") == 4  # three Paretos and the scorecard
    assert '<section id="kpis">' in page and "<script" not in page
