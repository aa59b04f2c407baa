"""Shared building blocks of the domain models: the base class and the datetime rule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

__all__ = ["AwareDatetime", "NonEmpty", "QFModel"]


class QFModel(BaseModel):
    """Base of every qualityflow model: unknown fields refused, assignments validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            "naive datetime (no timezone): give an aware one, for example "
            "datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc) or '2026-03-01T08:00:00+00:00'"
        )
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_timezone)]
"""A datetime that must carry a timezone; naive ones are refused with a clear message."""


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Text that must not be empty or blank (ids, names, reasons); surrounding spaces are stripped."""
