"""The mock-recall drill: how long does it take to answer "where did this lot go?".

FSMA 204 gives a firm 24 hours to hand the FDA its traceability records for a recall; a
plant drills the question regularly. The drill times the library answering it for one lot.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from qualityflow.i18n import _, using
from qualityflow.models import Batch, Shipment
from qualityflow.reports._doc import Table, blocks_to_markdown, fmt_time

__all__ = ["FSMA204_BOUND", "DrillReport", "RecallSource", "mock_recall"]

FSMA204_BOUND = timedelta(hours=24)
"""The FSMA 204 outside bound for producing traceability records on request."""


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
    inside ``bound`` (24 h by default, the FSMA 204 rule).
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

    @property
    def within_bound(self) -> bool:
        """True when the answer came inside the bound."""
        return self.elapsed <= self.bound

    @property
    def margin(self) -> timedelta:
        """How much of the bound was left (negative when it was missed)."""
        return self.bound - self.elapsed

    def to_markdown(self, locale: str | None = None) -> str:
        """Render the drill as a short Markdown report (in ``locale``; ``None``: the active one)."""
        with using(locale):
            verdict = _("PASSED") if self.within_bound else _("FAILED")
            rows = [
                (_("Lot"), self.lot_id),
                (_("Drill started"), fmt_time(self.started_at)),
                (_("Answered in"), _("{n} s").format(n=f"{self.elapsed.total_seconds():.3f}")),
                (
                    _("Bound"),
                    _("{n} h (FSMA 204)").format(n=f"{self.bound.total_seconds() / 3600:g}"),
                ),
                (_("Batches affected"), str(len(self.batch_ids))),
                (_("Shipments"), str(len(self.shipment_ids))),
                (_("Customers to contact"), _(", ").join(self.customer_ids) or _("none")),
                (_("Regions"), _(", ").join(self.regions) or _("none")),
            ]
            if self.spreadsheet is not None:
                rows.append((_("FSMA 204 spreadsheet"), str(self.spreadsheet)))
            return (
                _("## Mock-recall drill for {lot}: {verdict}").format(
                    lot=self.lot_id, verdict=verdict
                )
                + "\n\n"
                + blocks_to_markdown([Table.of(("", ""), rows)])
                + "\n"
            )


def mock_recall(
    source: RecallSource,
    lot_id: str,
    *,
    bound: timedelta = FSMA204_BOUND,
    now: datetime | None = None,
    spreadsheet: str | Path | None = None,
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

    """
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
