"""Learn from one case, fix similar ones: a toy factory's and a biscuit plant's history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualityflow as qf
from qualityflow.testing import example_genealogy

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def rca(category: str, problem: str, cause: str) -> qf.RootCauseAnalysis:
    return qf.RootCauseAnalysis(
        method="five_why",
        problem=problem,
        whys=["why?"],
        root_cause=cause,
        category=category,
        confirmed=True,
    )


@pytest.fixture
def genealogy() -> qf.Genealogy:
    # FLOUR-3 (SUP-MILL) -> MIX-1/MIX-2 -> BISC-1, BISC-2, BISC-3 (line L2)
    return example_genealogy()


def test_past_cases_are_ranked_by_what_they_share(genealogy: qf.Genealogy) -> None:
    new = qf.Incident(
        id="INC-30",
        title="Metal fragments in cocoa biscuits",
        severity="critical",
        reported_at=T0 + timedelta(days=60),
        batch_ids=["BISC-2"],
        root_cause=rca("machine", "metal fragments in product", "worn sieve mesh on mixer"),
    )
    same_cause_and_batchline = qf.Incident(
        id="INC-11",
        title="Metal fragment found in cocoa biscuits",
        severity="major",
        reported_at=T0,
        batch_ids=["BISC-1"],
        root_cause=rca("machine", "metal in product", "broken sieve mesh"),
    )
    same_supplier_only = qf.Incident(
        id="INC-14",
        title="Dough too dry",
        severity="minor",
        reported_at=T0 + timedelta(days=5),
        batch_ids=["BISC-3"],
        root_cause=rca("material", "dry dough", "flour moisture low"),
    )
    complaint = qf.Complaint(
        id="CMP-5",
        customer_id="CUST-1",
        channel="phone",
        received_at=T0 + timedelta(days=8),
        description="Customer bit on a metal fragment in a cocoa biscuit",
        batch_ids=["BISC-1"],
    )
    unrelated = qf.Incident(
        id="INC-2",
        title="Loose eyes on plush bear",
        severity="major",
        reported_at=T0,
        product="plush bear 30 cm",
        root_cause=rca("method", "eyes come off", "washer not crimped"),
    )

    ranked = qf.similar_incidents(
        new,
        [unrelated, same_supplier_only, complaint, same_cause_and_batchline, new],
        genealogy=genealogy,
    )
    assert [(s.kind, s.id) for s in ranked] == [
        ("incident", "INC-11"),
        ("complaint", "CMP-5"),
        ("incident", "INC-14"),
    ]
    best = ranked[0]
    assert "same root-cause category: machine" in best.reasons
    assert "same product: cocoa biscuits 200 g" in best.reasons
    assert "same supplier: SUP-COCOA, SUP-FILM, SUP-MILL" in best.reasons
    assert "same line: L2" in best.reasons
    assert any(r.startswith("shared words:") and "fragment" in r for r in best.reasons)
    assert ranked[0].score > ranked[1].score > ranked[2].score
    assert all("category" not in r for r in ranked[2].reasons)

    # Without a genealogy nothing links the batches to suppliers, products or lines;
    # only the words and the root cause remain.
    plain = qf.similar_incidents(new, [same_cause_and_batchline, same_supplier_only])
    assert [s.id for s in plain] == ["INC-11"]
    assert not any(r.startswith("same supplier") for r in plain[0].reasons)


def test_top_limits_and_ties_go_to_the_most_recent() -> None:
    new = qf.Incident(id="INC-9", title="Rancid taste", severity="major", product="crackers")
    old = [
        qf.Incident(
            id=f"INC-{n}",
            title="Rancid taste",
            severity="minor",
            product="crackers",
            reported_at=T0 + timedelta(days=n),
        )
        for n in range(1, 5)
    ]
    ranked = qf.similar_incidents(new, old, top=2)
    assert [s.id for s in ranked] == ["INC-4", "INC-3"]
    with pytest.raises(ValueError, match="top must be at least 1"):
        qf.similar_incidents(new, old, top=0)


def test_a_complaint_can_look_for_similar_cases_too() -> None:
    complaint = qf.Complaint(
        id="CMP-9",
        customer_id="CUST-2",
        channel="social_media",
        received_at=T0,
        description="Teddy bear eyes come off, choking hazard",
        product="plush bear 30 cm",
        category="method",
    )
    past = qf.Incident(
        id="INC-2",
        title="Loose eyes on plush bear",
        severity="major",
        product="plush bear 30 cm",
        root_cause=rca("method", "eyes come off", "washer not crimped"),
    )
    [hit] = qf.similar_incidents(complaint, [past])
    assert hit.id == "INC-2"
    assert "same root-cause category: method" in hit.reasons
    assert any("eye" in r for r in hit.reasons)


def test_defect_words_ignore_stopwords_and_fold_plurals() -> None:
    assert qf.prevention.defect_words("The customers found 2 metal chips in the biscuits") == {
        "metal",
        "chip",
        "biscuit",
    }


def test_a_lesson_spreads_to_other_lines_as_preventive_actions() -> None:
    incident = qf.Incident(
        id="INC-30",
        title="Metal fragments in biscuits",
        severity="critical",
        actions=[
            qf.CorrectiveAction(id="INC-30-PA-1", description="earlier spread", kind="preventive")
        ],
    )
    actions = qf.spread_lesson(
        incident,
        "Inspect sieve meshes at every shift start and log it",
        ["line L1", "line L3", "line L1", "cracker line"],
        owner="Maintenance lead Omar",
        department="maintenance",
        due=date(2026, 5, 15),
    )
    assert [a.id for a in actions] == ["INC-30-PA-2", "INC-30-PA-3", "INC-30-PA-4"]
    assert all(a.kind is qf.ActionKind.PREVENTIVE for a in actions)
    assert all(a.status is qf.ActionStatus.OPEN for a in actions)
    assert all(
        (a.owner, a.department, a.due)
        == ("Maintenance lead Omar", "maintenance", date(2026, 5, 15))
        for a in actions
    )
    assert "for line L3: Inspect sieve meshes" in actions[1].description
    assert len(incident.actions) == 1  # returned, not appended

    with pytest.raises(ValueError, match="lesson is empty; no target"):
        qf.spread_lesson(incident, " ", [], owner="O", department="D", due=date(2026, 5, 15))


_WORDS = ["metal", "chip", "rancid", "stale", "mould", "torn", "film", "seal", "burnt", "wet"]
_CASES = st.builds(
    lambda n, words, category, batch, product: qf.Incident(
        id=f"INC-{n}",
        title=" ".join(words) or "untitled",
        severity="minor",
        reported_at=T0 + timedelta(hours=n),
        batch_ids=[batch] if batch else [],
        product=product,
        root_cause=None if category is None else rca(category, "problem", "cause"),
    ),
    st.integers(min_value=0, max_value=50),
    st.lists(st.sampled_from(_WORDS), max_size=4),
    st.none() | st.sampled_from([c.value for c in qf.SixM]),
    st.none() | st.sampled_from(["BISC-1", "BISC-2", "BISC-3", "MIX-1", "FLOUR-3"]),
    st.none() | st.sampled_from(["cocoa biscuits 200 g", "butter biscuits 200 g"]),
)


@given(
    _CASES,
    st.lists(_CASES, max_size=8, unique_by=lambda c: c.id),
    st.integers(min_value=1, max_value=6),
)
def test_ranking_rules_hold_for_any_history(
    new: qf.Incident, past: list[qf.Incident], top: int
) -> None:
    genealogy = example_genealogy()
    ranked = qf.similar_incidents(new, past, top=top, genealogy=genealogy)
    assert len(ranked) <= top
    assert all(s.score > 0 and s.reasons for s in ranked)
    assert all(s.id != new.id for s in ranked)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    # Similarity is mutual: the score does not depend on which case is the new one.
    by_id = {c.id: c for c in past}
    for hit in ranked:
        [back] = qf.similar_incidents(by_id[hit.id], [new], genealogy=genealogy)
        assert back.score == hit.score
