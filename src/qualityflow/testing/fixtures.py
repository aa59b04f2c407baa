"""pytest fixtures for applications built on qualityflow, loaded as a pytest plugin.

Installing qualityflow registers this module under pytest's ``pytest11`` entry points, so
every test session can ask for:

``qf_plant``
    Sunrise Biscuits' master data (:class:`qualityflow.demo.DemoPlant`): four suppliers,
    five raw and packaging lots, four mixes, five finished batches, the links between them,
    eight shipments and the incoming inspections.
``qf_service``
    A :class:`qualityflow.QualityFlow` on a SQLite file in ``tmp_path``, stocked with
    ``qf_plant``; closed after the test.
``qf_memory_service``
    The same on ``memory://`` (faster; nothing on disk).
``qf_clock``
    A :class:`Clock`: an aware datetime the test moves forward by hand.
``qf_plugins``
    The plugins both services register (none); override it in a ``conftest.py`` to test
    your own notifiers or storage.

The services load no installed entry points and read no notifier settings from the
environment, so a test never e-mails or posts anything; only the logging notifier runs.

The plugin defines only these ``qf_``-prefixed fixtures and imports qualityflow's heavier
modules inside them, when a test first asks for one.

Examples
--------
>>> clock = Clock()
>>> clock.advance(hours=2).isoformat()
'2026-03-02T08:00:00+00:00'

"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from qualityflow.demo import DemoPlant
    from qualityflow.service import QualityFlow

__all__ = [
    "START",
    "Clock",
    "qf_clock",
    "qf_memory_service",
    "qf_plant",
    "qf_plugins",
    "qf_service",
    "stock",
]

START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
"""06:00 UTC on Monday 2 March 2026: where :class:`Clock` starts (the demo plant's week)."""


class Clock:
    """A controllable clock: an aware datetime that moves only when the test says so.

    Call it (or read :attr:`now`) wherever the code under test takes ``at=`` or ``now=``.

    Parameters
    ----------
    start:
        The first reading; must carry a time zone (default :data:`START`).

    Raises
    ------
    ValueError
        When ``start`` (or a later :meth:`set`) is a naive datetime.

    Examples
    --------
    >>> clock = Clock()
    >>> clock().isoformat()
    '2026-03-02T06:00:00+00:00'
    >>> clock.advance(days=1, hours=4) == clock.now
    True
    >>> clock.now.isoformat()
    '2026-03-03T10:00:00+00:00'

    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime = START) -> None:
        self._now = self._aware(start, "start")

    @staticmethod
    def _aware(when: datetime, what: str) -> datetime:
        if not isinstance(when, datetime):
            raise TypeError(f"Clock {what} must be a datetime, got {type(when).__name__}")
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(
                f"Clock {what} {when.isoformat()} has no time zone; qualityflow stores aware "
                "datetimes: pass e.g. datetime(..., tzinfo=timezone.utc)"
            )
        return when

    @property
    def now(self) -> datetime:
        """The current reading."""
        return self._now

    def __call__(self) -> datetime:
        """Return the current reading (so the clock can stand in for a ``now()`` function)."""
        return self._now

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        """Move the clock forward by ``delta`` and/or the given units; return the new reading.

        Raises
        ------
        ValueError
            When the step is negative (use :meth:`set` to go back); the clock is unchanged.

        """
        step = (delta or timedelta()) + timedelta(
            days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if step < timedelta(0):
            raise ValueError(
                f"Clock.advance({step}) would run the clock backwards from "
                f"{self._now.isoformat()}; use clock.set(when) to jump to an earlier time"
            )
        self._now = self._now + step
        return self._now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (an aware datetime, earlier or later); return it."""
        self._now = self._aware(when, "time")
        return self._now

    def __repr__(self) -> str:
        return f"Clock({self._now.isoformat()})"


def stock(qms: QualityFlow, plant: DemoPlant) -> QualityFlow:
    """Store ``plant``'s suppliers, lots, links, shipments and inspections in ``qms``.

    Returns ``qms``; one transaction, through the service. This is
    :func:`qualityflow.demo.stock`, imported on first use so that loading this pytest
    plugin stays cheap.

    Examples
    --------
    >>> import qualityflow as qf
    >>> from qualityflow.demo import plant
    >>> qms = stock(qf.QualityFlow(load_entry_points=False), plant())
    >>> sorted(qms.trace_forward("FILM-0057").ids)[:2]
    ['BISC-0302', 'BISC-0303']

    """
    from qualityflow.demo import stock as stock_plant

    return stock_plant(qms, plant)


@pytest.fixture
def qf_plant() -> DemoPlant:
    """Return Sunrise Biscuits' suppliers, lots, mixes, batches, links and shipments."""
    from qualityflow.demo import plant

    return plant()


@pytest.fixture
def qf_plugins() -> list[object]:
    """Return the plugins the ``qf_`` services register: none; override to add yours."""
    return []


def _service(url: str, plant: DemoPlant, plugins: list[object]) -> QualityFlow:
    from qualityflow.service import QualityFlow

    qms = QualityFlow(url, plugins=plugins, settings={}, load_entry_points=False)
    try:
        return stock(qms, plant)
    except BaseException:
        qms.close()
        raise


@pytest.fixture
def qf_service(
    tmp_path: Path, qf_plant: DemoPlant, qf_plugins: list[object]
) -> Iterator[QualityFlow]:
    """Yield a service on ``sqlite:///<tmp_path>/qualityflow.db`` stocked with ``qf_plant``."""
    qms = _service(f"sqlite:///{tmp_path / 'qualityflow.db'}", qf_plant, qf_plugins)
    try:
        yield qms
    finally:
        qms.close()


@pytest.fixture
def qf_memory_service(qf_plant: DemoPlant, qf_plugins: list[object]) -> Iterator[QualityFlow]:
    """Yield a service on ``memory://`` stocked with ``qf_plant``."""
    qms = _service("memory://", qf_plant, qf_plugins)
    try:
        yield qms
    finally:
        qms.close()


@pytest.fixture
def qf_clock() -> Clock:
    """Return a :class:`Clock` at :data:`START`, Monday 06:00 UTC of the plant's week."""
    return Clock()
