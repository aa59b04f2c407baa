"""Reading what the user typed: JSON data, times, periods, output paths, ids.

Each parser names the option in its error (exit 2), so the user knows what to fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qualityflow.cli._errors import fail
from qualityflow.errors import NotFoundError
from qualityflow.i18n import _

__all__ = [
    "Period",
    "check_output",
    "exists",
    "parse_data",
    "parse_period",
    "parse_time",
    "require_known",
    "write_output",
]


def parse_data(data: str | None, option: str = "--data") -> dict[str, Any]:
    """Parse a JSON object given inline or as ``@file.json``."""
    if data is None:
        return {}
    text = data
    if data.startswith("@"):
        path = Path(data[1:])
        if not path.is_file():
            raise fail(
                "bad_input",
                _("{option} {data}: no such file {path}").format(
                    option=option, data=data, path=path
                ),
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(
                "bad_input",
                _("{option} {data}: cannot read {path}: {error}").format(
                    option=option, data=data, path=path, error=exc
                ),
            ) from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            "bad_input",
            _("{option} is not valid JSON ({error} at line {line} column {column})").format(
                option=option, error=exc.msg, line=exc.lineno, column=exc.colno
            ),
            _("give a JSON object, e.g. --data '{example}' or --data @fields.json").format(
                example='{"lessons": ["check the sieve daily"]}'
            ),
        ) from None
    if not isinstance(parsed, dict):
        raise fail(
            "bad_input",
            _("{option} must be a JSON object of field names and values").format(option=option),
        )
    return parsed


def parse_time(value: str | None, option: str = "--at") -> datetime | None:
    """Parse an ISO 8601 time with a timezone; the error names ``option``."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise fail(
            "bad_input",
            _("{option} {value!r} is not an ISO 8601 time").format(option=option, value=value),
            _("e.g. {option} 2026-03-05T09:30+00:00").format(option=option),
        ) from None
    if when.tzinfo is None:
        raise fail(
            "bad_input",
            _("{option} {value!r} has no timezone").format(option=option, value=value),
            _("add one, e.g. {option} {value}+00:00 (or Z)").format(option=option, value=value),
        )
    return when


@dataclass(frozen=True)
class Period:
    """A reporting period: records with a time in ``[start, end)``; None bounds: all time."""

    label: str
    start: datetime | None = None
    end: datetime | None = None

    def holds(self, when: datetime | None) -> bool:
        """Tell whether ``when`` falls inside the period (a missing time is outside)."""
        if self.start is None or self.end is None:
            return True
        if when is None:
            return False
        return self.start <= when < self.end


def parse_period(value: str | None) -> Period:
    """Parse ``--period``: ``2026``, ``2026-Q1``, ``2026-03`` or ``2026-03-05``; None: all.

    Examples
    --------
    >>> p = parse_period("2026-Q1")
    >>> p.start.isoformat(), p.end.isoformat()
    ('2026-01-01T00:00:00+00:00', '2026-04-01T00:00:00+00:00')
    >>> parse_period(None).label
    'all time'

    """
    if value is None or value.strip().lower() in ("", "all", "all time"):
        return Period("all time")
    text = value.strip().upper()

    def at(year: int, month: int = 1, day: int = 1) -> datetime:
        return datetime(year, month, day, tzinfo=timezone.utc)

    def next_month(year: int, month: int) -> datetime:
        return at(year + 1) if month == 12 else at(year, month + 1)

    try:
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return Period(value, at(year), at(year + 1))
        if len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234":
            year, quarter = int(text[:4]), int(text[6])
            start_month = 3 * quarter - 2
            return Period(value, at(year, start_month), next_month(year, start_month + 2))
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            return Period(value, at(year, month), next_month(year, month))
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
            from datetime import timedelta

            return Period(value, day, day + timedelta(days=1))
    except ValueError:
        pass
    raise fail(
        "bad_input",
        _("--period {value!r} is not a period").format(value=value),
        _(
            "use a year (2026), a quarter (2026-Q1), a month (2026-03), a day (2026-03-05) "
            "or leave it out for all records"
        ),
    )


def check_output(path: Path | None, option: str) -> None:
    """Refuse, before any work, an output path that cannot be written (exit 2)."""
    if path is None:
        return
    if path.is_dir():
        raise fail(
            "bad_input",
            _("{option} {path}: is a directory").format(option=option, path=path),
            _("give a file name"),
        )
    parent = path.resolve().parent
    if not parent.is_dir():
        raise fail(
            "bad_input",
            _("{option} {path}: directory {parent} does not exist").format(
                option=option, path=path, parent=parent
            ),
            _("create it first or write somewhere else"),
        )
    target = path if path.exists() else parent
    if not os.access(target, os.W_OK):
        raise fail(
            "bad_input",
            (
                _("{option} {path}: file is not writable")
                if target == path
                else _("{option} {path}: directory is not writable")
            ).format(option=option, path=path),
            _("write somewhere else"),
        )


def write_output(path: Path, content: str, option: str) -> None:
    """Write ``content`` to ``path``; an error names the option and the path (exit 2)."""
    check_output(path, option)
    try:
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise fail(
            "bad_input",
            _("{option} {path}: cannot write: {reason}").format(
                option=option, path=path, reason=exc.strerror or exc
            ),
            _("write somewhere else"),
        ) from None


def exists(repository: Any, id: str) -> bool:
    """Tell whether ``repository`` holds ``id``."""
    try:
        repository.get(id)
    except NotFoundError:
        return False
    return True


def require_known(genealogy: Any, ids: Sequence[str]) -> None:
    """Exit 3 naming the ids the genealogy does not hold.

    ``genealogy`` is anything that answers ``id in genealogy``: a ``qf.Genealogy``, or
    the set ``qms.known(*ids)`` returns (one indexed look-up, nothing else loaded).
    """
    missing = [i for i in ids if i not in genealogy]
    if missing:
        raise fail(
            "not_found",
            _("not in the genealogy: {ids}").format(ids=", ".join(missing)),
            _(
                "check the ids (`qualityflow trace ID` shows what a lot reaches); lots come in "
                "through the service or `qualityflow import-epcis`"
            ),
        )
