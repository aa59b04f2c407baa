"""Retained samples: kept per batch for a set period, so complaints can be checked later."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import Field, model_validator

from qualityflow.models import AwareDatetime, Complaint, Id, Incident, NonEmpty, QFModel, Quantity
from qualityflow.prevention._protocols import TracesBackward, upstream_ids

__all__ = ["RetainedSample", "samples_due_for_disposal", "samples_for"]


class RetainedSample(QFModel):
    """A retained (reference) sample of one batch, where it is kept and until when.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> s = RetainedSample(id="RS-1", batch_id="BISC-0301", location="retain room, shelf 4",
    ...     taken_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
    ...     retain_until=datetime(2026, 9, 2, tzinfo=timezone.utc),
    ...     quantity=qf.Quantity(amount=6, unit="pack"))
    >>> s.disposed_at is None
    True

    """

    id: Id
    batch_id: Id
    location: NonEmpty
    taken_at: AwareDatetime
    retain_until: AwareDatetime
    quantity: Quantity
    disposed_at: AwareDatetime | None = None
    note: str = ""
    version: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RetainedSample:
        if self.retain_until < self.taken_at:
            raise ValueError(
                f"retained sample {self.id}: retain_until {self.retain_until.isoformat()} is "
                f"before taken_at {self.taken_at.isoformat()}"
            )
        if self.disposed_at is not None and self.disposed_at < self.taken_at:
            raise ValueError(f"retained sample {self.id}: disposed_at is before taken_at")
        return self


def samples_for(
    batch_ids: Iterable[str] | Incident | Complaint,
    samples: Iterable[RetainedSample],
    *,
    genealogy: TracesBackward | None = None,
    include_disposed: bool = False,
) -> list[RetainedSample]:
    """Return the retained samples of the given batches, or of an incident's or complaint's.

    With a genealogy, samples of the upstream lots (raw materials, packaging) are found
    too. Disposed samples are left out unless ``include_disposed``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> t = datetime(2026, 3, 2, tzinfo=timezone.utc)
    >>> kept = [RetainedSample(id=f"RS-{b}", batch_id=b, location="retain room", taken_at=t,
    ...         retain_until=t, quantity=qf.Quantity(amount=2, unit="pack"))
    ...         for b in ("BISC-1", "BISC-2")]
    >>> [s.id for s in samples_for(["BISC-2"], kept)]
    ['RS-BISC-2']

    """
    if isinstance(batch_ids, (Incident, Complaint)):
        wanted = set(batch_ids.batch_ids)
    else:
        wanted = {batch_ids} if isinstance(batch_ids, str) else set(batch_ids)
    wanted = upstream_ids(wanted, genealogy)
    return [
        s for s in samples if s.batch_id in wanted and (include_disposed or s.disposed_at is None)
    ]


def samples_due_for_disposal(
    samples: Iterable[RetainedSample],
    now: datetime,
    *,
    keep_batch_ids: Iterable[str] = (),
) -> list[RetainedSample]:
    """Return the samples whose retention period has ended and that are not disposed yet.

    ``keep_batch_ids`` (the batches of open incidents and complaints) keeps their samples
    off the list whatever their date. Sorted by ``retain_until``.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> import qualityflow as qf
    >>> t = datetime(2026, 3, 2, tzinfo=timezone.utc)
    >>> s = RetainedSample(id="RS-1", batch_id="BISC-1", location="retain room", taken_at=t,
    ...     retain_until=t + timedelta(days=180), quantity=qf.Quantity(amount=2, unit="pack"))
    >>> [x.id for x in samples_due_for_disposal([s], t + timedelta(days=181))]
    ['RS-1']

    """
    keep = set(keep_batch_ids)
    due = [
        s
        for s in samples
        if s.disposed_at is None and s.retain_until <= now and s.batch_id not in keep
    ]
    return sorted(due, key=lambda s: (s.retain_until, s.id))
