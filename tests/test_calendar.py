from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualityflow.errors import QualityFlowError
from qualityflow.lifecycle.calendar import CN_COVERED_YEARS, CalendarCoverageError, WorkingCalendar

CN = WorkingCalendar.for_region("CN")


def test_cn_national_day_is_not_working() -> None:
    assert not CN.is_working_day(date(2025, 10, 3))


def test_cn_make_up_saturday_is_working() -> None:
    assert date(2025, 10, 11).weekday() == 5
    assert CN.is_working_day(date(2025, 10, 11))


def test_cn_ten_working_days_after_sep_30() -> None:
    assert CN.add_working_days(date(2025, 9, 30), 10) == date(2025, 10, 21)
    assert CN.working_days_between(date(2025, 9, 30), date(2025, 10, 21)) == 10


def test_cn_year_outside_data_raises() -> None:
    year = CN_COVERED_YEARS[1] + 1
    with pytest.raises(CalendarCoverageError) as info:
        CN.is_working_day(date(year, 3, 3))
    assert str(year) in str(info.value)
    assert str(CN_COVERED_YEARS[0]) in str(info.value)
    assert isinstance(info.value, QualityFlowError)
    assert isinstance(info.value, ValueError)


def test_unknown_region() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        WorkingCalendar.for_region("XX")  # type: ignore[arg-type]


@pytest.mark.parametrize("region", ["US", "EU", "AU", "CA", "weekdays"])
def test_weekend_regions_with_holidays(region: str) -> None:
    cal = WorkingCalendar.for_region(region, holidays=[date(2025, 12, 25)])  # type: ignore[arg-type]
    assert not cal.is_working_day(date(2025, 12, 25))
    assert not cal.is_working_day(date(2025, 12, 27))
    assert cal.is_working_day(date(2025, 12, 24))
    assert cal.add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 26)
    assert cal.roll_forward(date(2025, 12, 27)) == date(2025, 12, 29)


days = st.dates(
    min_value=date(CN_COVERED_YEARS[0], 1, 1), max_value=date(CN_COVERED_YEARS[1], 10, 1)
)
cals = st.sampled_from([CN, WorkingCalendar.for_region("weekdays")])


@given(cals, days, st.integers(min_value=0, max_value=40))
def test_add_and_between_are_inverse(cal: WorkingCalendar, start: date, n: int) -> None:
    end = cal.add_working_days(start, n)
    assert cal.working_days_between(start, end) == n
    if n > 0:
        assert cal.is_working_day(end)
        assert end > start


@given(cals, days, st.integers(min_value=0, max_value=60))
def test_between_then_add(cal: WorkingCalendar, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    n = cal.working_days_between(start, end)
    assert 0 <= n <= span
    assert cal.add_working_days(start, n) == cal.add_working_days(start, n) <= end
