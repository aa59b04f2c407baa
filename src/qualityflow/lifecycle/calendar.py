"""Working-day calendars for legal clocks (recall notices, authority reports).

:meth:`WorkingCalendar.for_region` gives a calendar for ``"CN"``, ``"US"``, ``"EU"``,
``"AU"``, ``"CA"`` or ``"weekdays"``.

* ``"CN"`` follows the State Council's official holiday schedules, including the make-up
  working days (调休) that fall on weekends, from the ``chinesecalendar`` package (1.11.0
  covers 2004 to 2026). A date outside the covered years raises
  :class:`CalendarCoverageError` naming the year and the covered range: a legal clock is
  never computed from a guess.
* ``"US"``, ``"EU"``, ``"AU"``, ``"CA"`` and ``"weekdays"``: Monday to Friday, minus the
  ``holidays`` you give (public holidays differ by state and province, so there is no
  built-in list; pass the ones that apply to your site).

Examples
--------
>>> from datetime import date
>>> cn = WorkingCalendar.for_region("CN")
>>> cn.is_working_day(date(2025, 10, 3)), cn.is_working_day(date(2025, 10, 11))
(False, True)
>>> cn.add_working_days(date(2025, 9, 30), 10)
datetime.date(2025, 10, 21)
>>> us = WorkingCalendar.for_region("US", holidays=[date(2025, 7, 4)])
>>> us.add_working_days(date(2025, 7, 3), 1)
datetime.date(2025, 7, 7)

"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from qualityflow.errors import QualityFlowError
from qualityflow.i18n import _

__all__ = ["CN_COVERED_YEARS", "CalendarCoverageError", "Region", "WorkingCalendar"]

Region = Literal["CN", "US", "EU", "AU", "CA", "weekdays"]

_REGIONS: tuple[str, ...] = ("CN", "US", "EU", "AU", "CA", "weekdays")


def _cn_years() -> tuple[int, int]:
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays] + [d.year for d in constants.workdays]
    return min(years), max(years)


CN_COVERED_YEARS: tuple[int, int] = _cn_years()
"""First and last year of the official Chinese schedules known to ``chinesecalendar``."""


class CalendarCoverageError(QualityFlowError, ValueError):
    """A date lies outside the years a calendar has official data for.

    ``year`` is the year asked for, ``covered`` the ``(first, last)`` years covered.
    """

    def __init__(self, region: str, year: int, covered: tuple[int, int]) -> None:
        self.region = region
        self.year = year
        self.covered = covered
        super().__init__(
            _(
                "no {region} working-day data for {year}: the official schedules cover "
                "{first} to {last}; upgrade chinesecalendar once the State Council "
                "publishes the schedule for that year"
            ).format(region=region, year=year, first=covered[0], last=covered[1])
        )


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days in a region.

    ``holidays`` are extra non-working dates, ``workdays`` extra working dates (a make-up
    working day on a weekend). For ``"CN"`` the official schedule is applied first.

    Examples
    --------
    >>> from datetime import date
    >>> cal = WorkingCalendar.for_region("weekdays")
    >>> cal.working_days_between(date(2025, 9, 5), date(2025, 9, 12))
    5

    """

    region: Region = "weekdays"
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def for_region(
        cls,
        region: Region,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> WorkingCalendar:
        """Return the calendar of ``region`` with extra ``holidays`` and ``workdays``."""
        if region not in _REGIONS:
            raise ValueError(
                _("unknown region {region!r}: choose one of {regions}").format(
                    region=region, regions=", ".join(_REGIONS)
                )
            )
        return cls(region=region, holidays=frozenset(holidays), workdays=frozenset(workdays))

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day.

        Raises :class:`CalendarCoverageError` for a CN date outside :data:`CN_COVERED_YEARS`.
        """
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.region == "CN":
            first, last = CN_COVERED_YEARS
            if not first <= day.year <= last:
                raise CalendarCoverageError("CN", day.year, CN_COVERED_YEARS)
            import chinese_calendar

            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, day: date, n: int) -> date:
        """Return the ``n``-th working day after ``day`` (``day`` itself is not counted).

        ``n == 0`` returns ``day``; a negative ``n`` counts backwards.
        """
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        current = day
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Return how many working days lie after ``start`` up to and including ``end``.

        Negative when ``end`` is before ``start``; the inverse of :meth:`add_working_days`.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def roll_forward(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
