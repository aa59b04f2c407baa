"""Shared building blocks of the domain models: the base class and the datetime rule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from qualityflow.i18n import _

__all__ = ["MAX_ID_LENGTH", "AwareDatetime", "Id", "NonEmpty", "QFModel", "check_id_length"]


class QFModel(BaseModel):
    """Base of every qualityflow model: unknown fields refused, assignments validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            _(
                "naive datetime (no timezone): give an aware one, for example "
                "datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc) or '2026-03-01T08:00:00+00:00'"
            )
        )
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_timezone)]
"""A datetime that must carry a timezone; naive ones are refused with a clear message."""


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Text that must not be empty or blank (ids, names, reasons); surrounding spaces are stripped."""


MAX_ID_LENGTH = 255
"""The longest id qualityflow stores, in characters (Unicode code points), on every backend.

Entity ids and every reference to one (``batch_id``, ``supplier_id``, ``batch_ids`` ...)
are held to it by the models, and every key column of the SQL backends fits it (MariaDB
``VARCHAR(255)`` counts characters in ``utf8mb4``, so 4-byte characters such as emoji
count once). Ids compare byte-exactly everywhere: ``FLOUR-1`` and ``flour-1`` are two ids.
"""


def check_id_length(value: str) -> str:
    """Refuse an id longer than :data:`MAX_ID_LENGTH`, saying by how much.

    Examples
    --------
    >>> check_id_length("FLOUR-0412")
    'FLOUR-0412'
    >>> check_id_length("X" * 300)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: id is 300 characters long; qualityflow ids are at most 255: shorten it ...

    """
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(
            _(
                "id is {length} characters long; qualityflow ids are at most "
                "{most}: shorten it (keep the long text in a description or "
                "attribute field and use a short code as the id)"
            ).format(length=len(value), most=MAX_ID_LENGTH)
        )
    return value


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(check_id_length),
    Field(json_schema_extra={"maxLength": MAX_ID_LENGTH}),
]
"""An entity id or a reference to one: non-blank, surrounding spaces stripped, at most
:data:`MAX_ID_LENGTH` characters, compared byte-exactly (case and accents matter)."""
