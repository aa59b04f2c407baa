from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import qualityflow.lifecycle.presets as p
from qualityflow.lifecycle.calendar import WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")
CN = WorkingCalendar.for_region("CN")
T0 = datetime(2025, 9, 30, 9, 0, tzinfo=SH)


def by_step(preset: p.Preset, events: dict[str, datetime], **kw: object) -> dict[str, p.LegalDue]:
    return {d.step: d for d in preset.due(events, **kw)}  # type: ignore[arg-type]


def test_cn_food_grade_one_acceptance() -> None:
    due = by_step(p.CN_FOOD_RECALL_2015, {"learned": T0, "notice": T0}, grade="I", calendar=CN)
    assert due["start"].due == T0 + timedelta(hours=24)
    assert due["complete"].due.date() == date(2025, 10, 21)
    assert "食品召回管理办法" in due["start"].legal_basis
    assert "10个工作日" in due["complete"].legal_basis


def test_cn_food_grades_two_and_three() -> None:
    two = by_step(p.CN_FOOD_RECALL_2015, {"learned": T0, "notice": T0}, grade="II", calendar=CN)
    assert two["start"].due == T0 + timedelta(hours=48)
    three = by_step(p.CN_FOOD_RECALL_2015, {"learned": T0, "notice": T0}, grade="III", calendar=CN)
    assert three["report_plan"].due == T0 + timedelta(hours=72)
    assert three["complete"].due.date() == CN.add_working_days(date(2025, 9, 30), 30)


def test_cn_consumer_products_counts_make_up_saturday() -> None:
    # learned Thu 2025-10-09: Fri 10-10 and the make-up Saturday 10-11 are working days
    t = datetime(2025, 10, 9, 15, 0, tzinfo=SH)
    due = by_step(p.CN_CONSUMER_PRODUCTS, {"learned": t}, calendar=CN)
    assert due["report"].due.date() == date(2025, 10, 11)


def test_us_presets_24_hours() -> None:
    t = datetime(2025, 7, 3, 10, 0, tzinfo=timezone.utc)
    for preset, event, step in (
        (p.US_FDA_RFR, "learned", "report"),
        (p.US_CPSC_15B, "learned", "report"),
        (p.US_FSMA_204, "request", "records"),
    ):
        due = by_step(preset, {event: t})
        assert due[step].due == datetime(2025, 7, 4, 10, 0, tzinfo=timezone.utc)
        assert due[step].legal_basis


def test_eu_gpsr_is_a_target() -> None:
    t = datetime(2025, 9, 5, 10, 0, tzinfo=timezone.utc)  # Friday
    due = by_step(p.EU_GPSR_ART20, {"learned": t})
    assert due["notify"].target
    assert due["notify"].due.date() == date(2025, 9, 9)


def test_au_acl_rolls_forward() -> None:
    # learned Thu 2025-04-17; +2 days is Sat 04-19; Easter Monday 04-21 a holiday -> Tue 04-22
    au = WorkingCalendar.for_region("AU", holidays=[date(2025, 4, 18), date(2025, 4, 21)])
    t = datetime(2025, 4, 17, 16, 0, tzinfo=ZoneInfo("Australia/Sydney"))
    due = by_step(p.AU_ACL, {"learned": t}, calendar=au)
    assert due["report"].due.date() == date(2025, 4, 22)


def test_ca_ccpsa() -> None:
    t = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("America/Toronto"))
    due = by_step(p.CA_CCPSA, {"learned": t})
    assert due["inform"].due.date() == date(2025, 3, 5)
    assert due["written_report"].due.date() == date(2025, 3, 13)


def test_combined_strictest_wins() -> None:
    both = p.CN_CONSUMER_PRODUCTS + p.US_CPSC_15B
    due = by_step(both, {"learned": T0}, calendar=CN)
    assert due["report"].due == T0 + timedelta(hours=24)
    assert "2064" in due["report"].legal_basis
    assert p.combine(p.US_CPSC_15B, p.CN_CONSUMER_PRODUCTS).due(
        {"learned": T0}, calendar=CN
    ) == both.due({"learned": T0}, calendar=CN)


def test_missing_event_gives_no_deadline() -> None:
    assert p.US_FSMA_204.due({"learned": T0}) == []


def test_overdue_lists_missed_grade_one_food_deadlines() -> None:
    import qualityflow as qf
    from qualityflow.lifecycle.timelimits import overdue

    inc = qf.Incident(id="INC-1", title="Salmonella", severity="critical", reported_at=T0)
    policy = p.PresetDeadlinePolicy(
        p.CN_FOOD_RECALL_2015,
        calendar=CN,
        events=lambda e: {"learned": T0, "notice": T0},
        grade=lambda e: "I",
    )
    late = overdue([inc], datetime(2025, 10, 22, 9, 0, tzinfo=SH), policy=policy)
    whats = {d.what: d for d in late}
    assert set(whats) == {"start", "report_plan", "complete"}
    assert all(d.legal_basis for d in late)
    assert overdue([inc], T0 + timedelta(hours=23), policy=policy) == []
