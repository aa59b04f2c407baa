"""The mock-recall drill: how long does it take to answer "where did this lot go?".

FSMA 204 gives a firm 24 hours to hand the FDA its traceability records for a recall; a
plant drills the question regularly. The drill times the library answering it for one lot.
With a legal preset (``preset=qf.presets.CN_FOOD_RECALL_2015, grade="I"``) the drill is a
timed exercise: each step (trace found, impact known, consignee list ready, FSMA 204 sheet
written) is measured against the legal clock it serves, with its legal basis and the time
to spare, and passes or fails on its own.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from qualityflow.i18n import N_, _, label, using
from qualityflow.lifecycle.calendar import WorkingCalendar
from qualityflow.lifecycle.presets import LegalDue, Preset
from qualityflow.models import Batch, Quantity, Shipment
from qualityflow.models.recall import per_unit
from qualityflow.reports._doc import (
    Block,
    Paragraph,
    Table,
    blocks_to_html,
    blocks_to_markdown,
    fmt_duration,
    fmt_time,
)
from qualityflow.reports._html import page

__all__ = [
    "DRILL_CLOCKS",
    "DRILL_STEPS",
    "FSMA204_BOUND",
    "DrillReport",
    "DrillStep",
    "RecallSource",
    "drill_steps",
    "mock_recall",
]

FSMA204_BOUND = timedelta(hours=24)
"""The FSMA 204 outside bound for producing traceability records on request."""


DRILL_STEPS: dict[str, str] = {
    "trace": N_("trace found"),
    "impact": N_("impact known"),
    "consignees": N_("consignee list ready"),
    "sheet": N_("FSMA 204 sheet written"),
}
"""The drill's steps, in order, with their display names (message ids)."""

DRILL_CLOCKS: dict[str, tuple[str, ...]] = {
    "trace": ("report_plan", "records", "report", "notify", "inform", "start"),
    "impact": ("report_plan", "records", "report", "notify", "inform", "start"),
    "consignees": ("start", "records", "report_plan", "report", "notify", "inform"),
    "sheet": ("records", "report_plan", "report", "notify", "inform", "start"),
}
"""The legal steps each drill step serves, in order of preference.

A drill step is measured against the earliest-due clock among these that the preset sets
(ties go to the first listed): the trace and the impact are what the recall plan or the
report to the authority must state; the consignee list is what starting the recall
(notifying the consignees) needs; the FSMA 204 sheet is the records FDA asks for.
"""

_START_EVENTS = ("learned", "request")
"""The start events the drill's start stands for: learning of the risk, a records request."""


@dataclass(frozen=True)
class DrillStep:
    """One timed step of a drill against its legal clock.

    ``took`` is the step's own time, ``done_at`` when it was done (the drill's start plus
    the time of every step so far), ``clock`` the legal step it is measured against
    (``"report_plan"``, ``"start"``, ``"records"``...), ``due`` that clock's due time,
    ``legal_basis`` its rule and ``target`` whether it is a configurable target.
    """

    step: str
    took: timedelta
    done_at: datetime
    clock: str
    due: datetime
    legal_basis: str
    target: bool = False

    @property
    def passed(self) -> bool:
        """True when the step was done by its clock's due time."""
        return self.done_at <= self.due

    @property
    def margin(self) -> timedelta:
        """The time to spare on the step's clock (negative when it was missed)."""
        return self.due - self.done_at


def drill_steps(
    preset: Preset,
    started_at: datetime,
    took: Iterable[tuple[str, timedelta]],
    *,
    grade: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> tuple[DrillStep, ...]:
    """Measure the drill steps ``took`` (``(step, time taken)``, in order) against ``preset``.

    The drill's start ``started_at`` (aware) stands for the events that start the clocks a
    drill can be measured against: learning of the risk (``"learned"``) and a records
    request (``"request"``); clocks counting from a notice are not drilled. Each step is
    done at the start plus the time of every step so far, and is measured against the
    clock :data:`DRILL_CLOCKS` names for it.

    Raises
    ------
    ValueError
        ``started_at`` has no timezone, a step is not one of :data:`DRILL_STEPS`, or the
        preset sets no clock for ``grade`` counting from learning of the risk or a request
        (a graded preset without a grade, say).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from qualityflow.lifecycle.presets import CN_FOOD_RECALL_2015
    >>> t = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    >>> steps = drill_steps(CN_FOOD_RECALL_2015, t, [("trace", timedelta(hours=2)),
    ...     ("consignees", timedelta(hours=23))], grade="I")
    >>> [(s.step, s.clock, s.passed) for s in steps]
    [('trace', 'report_plan', True), ('consignees', 'start', False)]

    """
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError(_("the drill's start time has no timezone: give it one"))
    events = dict.fromkeys(_START_EVENTS, started_at)
    dues = {d.step: d for d in preset.due(events, grade=grade, calendar=calendar)}
    if not dues:
        raise ValueError(
            _(
                "preset {preset} sets no clock for grade {grade} counting from learning of "
                "the risk or a request: give the recall grade (grade='I', 'II' or 'III') or "
                "another preset"
            ).format(preset=preset.name, grade=grade or _("none"))
        )
    done = started_at
    steps = []
    for step, spent in took:
        if step not in DRILL_CLOCKS:
            raise ValueError(
                _("unknown drill step {step!r}: use one of {steps}").format(
                    step=step, steps=", ".join(DRILL_STEPS)
                )
            )
        done = done + spent
        due = _clock_for(step, dues)
        steps.append(DrillStep(step, spent, done, due.step, due.due, due.legal_basis, due.target))
    return tuple(steps)


def _clock_for(step: str, dues: dict[str, LegalDue]) -> LegalDue:
    """Return the earliest due among the legal steps ``step`` serves (ties: first listed)."""
    order = DRILL_CLOCKS[step]
    candidates = [dues[name] for name in order if name in dues]
    if not candidates:  # a preset with other step names: the earliest clock of all
        candidates = sorted(dues.values(), key=lambda d: (d.due, d.step))
    return min(candidates, key=lambda d: d.due)


class _Impact(Protocol):
    @property
    def batches(self) -> Iterable[Batch]: ...

    @property
    def shipments(self) -> Iterable[Shipment]: ...

    @property
    def customer_ids(self) -> Iterable[str]: ...

    @property
    def regions(self) -> Iterable[str]: ...


class RecallSource(Protocol):
    """Anything that answers a recall question: a ``qf.Genealogy`` or a ``qf.QualityFlow``."""

    def recall_impact(self, *suspect_ids: str) -> _Impact:
        """Return the recall impact of the suspect lots."""


@dataclass(frozen=True)
class DrillReport:
    """The outcome of one mock-recall drill.

    ``elapsed`` is how long the library took to answer; ``within_bound`` whether that is
    inside ``bound`` (24 h by default, the FSMA 204 rule). A drill against a preset also
    has ``steps`` (each :class:`DrillStep` against its legal clock), the ``preset``'s name
    and the ``grade``; ``passed`` then says whether every step met its clock.
    ``consignees`` lists each customer with what it received of the lot, per unit.
    """

    lot_id: str
    started_at: datetime
    elapsed: timedelta
    bound: timedelta
    batch_ids: tuple[str, ...]
    shipment_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]
    regions: tuple[str, ...]
    spreadsheet: Path | None = None
    steps: tuple[DrillStep, ...] = ()
    preset: str | None = None
    grade: str | None = None
    consignees: tuple[tuple[str, tuple[Quantity, ...]], ...] = ()

    @property
    def within_bound(self) -> bool:
        """True when the answer came inside the bound."""
        return self.elapsed <= self.bound

    @property
    def margin(self) -> timedelta:
        """How much of the bound was left (negative when it was missed)."""
        return self.bound - self.elapsed

    @property
    def passed(self) -> bool:
        """Every step met its legal clock (without a preset: the answer was inside the bound)."""
        if self.preset is None:
            return self.within_bound
        return all(step.passed for step in self.steps)

    def step(self, name: str) -> DrillStep:
        """Return the drill step ``name`` (``"trace"``, ``"impact"``, ``"consignees"``...)."""
        for found in self.steps:
            if found.step == name:
                return found
        raise KeyError(
            f"no drill step {name!r}; steps: {', '.join(s.step for s in self.steps) or 'none'}"
        )

    def _title(self) -> str:
        verdict = _("PASSED") if self.passed else _("FAILED")
        return _("## Mock-recall drill for {lot}: {verdict}").format(
            lot=self.lot_id, verdict=verdict
        )

    def _blocks(self) -> list[Block]:
        rows = [
            (_("Lot"), self.lot_id),
            (_("Drill started"), fmt_time(self.started_at)),
            (_("Answered in"), _seconds(self.elapsed)),
        ]
        if self.preset is None:
            rows.append(
                (
                    _("Bound"),
                    _("{n} h (FSMA 204)").format(n=f"{self.bound.total_seconds() / 3600:g}"),
                )
            )
        else:
            rows.append(
                (
                    _("Legal preset"),
                    _("{preset}, grade {grade}").format(preset=self.preset, grade=self.grade)
                    if self.grade
                    else self.preset,
                )
            )
        rows += [
            (_("Batches affected"), str(len(self.batch_ids))),
            (_("Shipments"), str(len(self.shipment_ids))),
            (_("Customers to contact"), _(", ").join(self.customer_ids) or _("none")),
            (_("Regions"), _(", ").join(self.regions) or _("none")),
        ]
        if self.spreadsheet is not None:
            rows.append((_("FSMA 204 spreadsheet"), str(self.spreadsheet)))
        blocks: list[Block] = [Table.of(("", ""), rows)]
        if self.steps:
            blocks.append(
                Paragraph(
                    _(
                        "The drill's start stands for learning of the risk and for the "
                        "authority's request: every clock below counts from it."
                    )
                )
            )
            blocks.append(
                Table.of(
                    (
                        _("step"),
                        _("took"),
                        _("after the start"),
                        _("legal clock"),
                        _("due"),
                        _("time to spare"),
                        _("result"),
                        _("legal basis"),
                    ),
                    [
                        (
                            _(DRILL_STEPS[s.step]),
                            _seconds(s.took),
                            _seconds(s.done_at - self.started_at),
                            label(s.clock),
                            fmt_time(s.due),
                            fmt_duration(s.margin),
                            _("PASSED") if s.passed else _("FAILED"),
                            s.legal_basis + (_(" (configurable target)") if s.target else ""),
                        )
                        for s in self.steps
                    ],
                )
            )
        return blocks

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the drill as a short Markdown report (in ``locale``; ``None``: the active one)."""
        with using(locale):
            return self._title() + "\n\n" + blocks_to_markdown(self._blocks()) + "\n"

    def to_html(self, locale: str | None = None) -> str:
        """Render the drill as one self-contained HTML page (in ``locale``)."""
        with using(locale):
            title = self._title().removeprefix("## ")
            body = f"<h1>{html.escape(title)}</h1>\n" + blocks_to_html(self._blocks())
            return page(title, body)


def _seconds(value: timedelta) -> str:
    return _("{n} s").format(n=f"{value.total_seconds():.3f}")


def mock_recall(
    source: RecallSource,
    lot_id: str,
    *,
    bound: timedelta = FSMA204_BOUND,
    now: datetime | None = None,
    spreadsheet: str | Path | None = None,
    preset: Preset | None = None,
    grade: str | None = None,
    calendar: WorkingCalendar | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> DrillReport:
    """Time how long ``source`` takes to answer the recall question for ``lot_id``.

    ``source`` is a ``qf.Genealogy`` or a ``qf.QualityFlow`` (whose ``recall_impact``
    reads what the lot reaches from the database, so the drill then includes loading
    that; with ``spreadsheet``, its ``local_genealogy`` adds the reached batches' inputs,
    never the whole genealogy). With
    ``spreadsheet``, the timed answer includes writing the FSMA 204 sortable spreadsheet
    there (``.csv``, or ``.xlsx`` with the ``xlsx`` extra), which is what FDA asks for.
    Unknown lots raise the source's own error (``qf.GenealogyError`` or
    ``qf.NotFoundError``).

    With ``preset`` (``qf.presets.CN_FOOD_RECALL_2015`` with ``grade="I"``,
    ``qf.presets.US_FSMA_204``...) the drill is timed step by step: the trace found (a
    service loads what the lot reaches; a genealogy traces it forward), the impact known,
    the consignee list ready and, with ``spreadsheet``, the sheet written; each step is
    measured against its legal clock (:func:`drill_steps`, on ``calendar``; default the
    preset's region's), counted from ``now``. ``timer`` is the monotonic clock the steps
    are timed with, in seconds (``time.perf_counter``; a test or a what-if can pass its
    own). Without a preset the drill is as before: one answer against ``bound``.

    Examples
    --------
    >>> import qualityflow as qf
    >>> class Tiny:  # any object with recall_impact works; normally a Genealogy
    ...     def recall_impact(self, *ids):
    ...         return type("I", (), {"batches": [], "shipments": [],
    ...                               "customer_ids": ["SHOP"], "regions": []})()
    >>> drill = qf.mock_recall(Tiny(), "FLOUR-0412")
    >>> drill.within_bound, drill.customer_ids
    (True, ('SHOP',))
    >>> drill = qf.mock_recall(Tiny(), "FLOUR-0412", preset=qf.presets.CN_FOOD_RECALL_2015,
    ...                        grade="I")
    >>> [(s.step, s.clock, s.passed) for s in drill.steps]
    [('trace', 'report_plan', True), ('impact', 'report_plan', True), ('consignees', 'start', True)]

    """
    if preset is not None:
        return _timed_drill(
            source,
            lot_id,
            bound=bound,
            now=now,
            spreadsheet=spreadsheet,
            preset=preset,
            grade=grade,
            calendar=calendar,
            timer=timer,
        )
    started = now or datetime.now(timezone.utc)
    t0 = time.perf_counter()
    local = getattr(source, "local_genealogy", None) if spreadsheet is not None else None
    genealogy: Any = source
    if callable(local):
        # A service loads what the lot reaches and those batches' inputs (the sheet's
        # transformation rows), not the whole genealogy.
        genealogy = local(lot_id, inputs=True)
        impact = genealogy.recall_impact(lot_id)
    else:
        impact = source.recall_impact(lot_id)
    batch_ids = tuple(sorted(b.id for b in impact.batches))
    shipment_ids = tuple(sorted(s.id for s in impact.shipments))
    customers = tuple(sorted(impact.customer_ids))
    regions = tuple(sorted(impact.regions))
    written = None
    if spreadsheet is not None:
        from qualityflow.interop import to_fsma204

        if not callable(local):
            genealogy = getattr(source, "genealogy", source)
        written = to_fsma204(impact, spreadsheet, genealogy=genealogy)
    elapsed = timedelta(seconds=time.perf_counter() - t0)
    return DrillReport(
        lot_id=lot_id,
        started_at=started,
        elapsed=elapsed,
        bound=bound,
        batch_ids=batch_ids,
        shipment_ids=shipment_ids,
        customer_ids=customers,
        regions=regions,
        spreadsheet=written,
    )


def _timed_drill(
    source: RecallSource,
    lot_id: str,
    *,
    bound: timedelta,
    now: datetime | None,
    spreadsheet: str | Path | None,
    preset: Preset,
    grade: str | None,
    calendar: WorkingCalendar | None,
    timer: Callable[[], float],
) -> DrillReport:
    """Run the drill against ``preset``: time each step, then measure it against its clock."""
    started = now or datetime.now(timezone.utc)
    cal = calendar or _calendar_of(preset)
    # Refuse a preset/grade without a drillable clock before any work is done.
    drill_steps(preset, started, (), grade=grade, calendar=cal)
    took: list[tuple[str, timedelta]] = []
    mark = timer()

    def lap(step: str) -> None:
        nonlocal mark
        now_ = timer()
        took.append((step, timedelta(seconds=now_ - mark)))
        mark = now_

    local = getattr(source, "local_genealogy", None)
    forward = getattr(source, "trace_forward", None)
    genealogy: Any = source
    if callable(local):
        genealogy = local(lot_id, inputs=spreadsheet is not None)
        lap("trace")
        impact = genealogy.recall_impact(lot_id)
    elif callable(forward):
        forward(lot_id)
        lap("trace")
        impact = source.recall_impact(lot_id)
    else:  # only recall_impact: the trace is found when the impact is
        impact = source.recall_impact(lot_id)
        lap("trace")
    lap("impact")
    shipments = sorted(impact.shipments, key=lambda s: s.id)
    consignees = tuple(
        (
            customer,
            tuple(per_unit(s.quantity for s in shipments if s.customer_id == customer).values()),
        )
        for customer in sorted({s.customer_id for s in shipments})
    )
    lap("consignees")
    written = None
    if spreadsheet is not None:
        from qualityflow.interop import to_fsma204

        if not callable(local):
            genealogy = getattr(source, "genealogy", source)
        written = to_fsma204(impact, spreadsheet, genealogy=genealogy)
        lap("sheet")
    elapsed = sum((spent for _step, spent in took), timedelta())  # the steps add up
    return DrillReport(
        lot_id=lot_id,
        started_at=started,
        elapsed=elapsed,
        bound=bound,
        batch_ids=tuple(sorted(b.id for b in impact.batches)),
        shipment_ids=tuple(s.id for s in shipments),
        customer_ids=tuple(sorted(impact.customer_ids)),
        regions=tuple(sorted(impact.regions)),
        spreadsheet=written,
        steps=drill_steps(preset, started, took, grade=grade, calendar=cal),
        preset=preset.name,
        grade=grade,
        consignees=consignees,
    )


def _calendar_of(preset: Preset) -> WorkingCalendar:
    """Return the working-day calendar of the preset's region (else weekdays)."""
    prefix = preset.name.split("_", 1)[0]
    try:
        return WorkingCalendar.for_region(prefix)  # type: ignore[arg-type]
    except ValueError:
        return WorkingCalendar.for_region("weekdays")
