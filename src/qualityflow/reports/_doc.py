"""A tiny document model shared by the reports: paragraphs, lists and tables.

Each report builds its content once from these blocks and renders it twice, as Markdown and
as HTML, so the two formats never disagree.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from qualityflow.i18n import _, format_date, format_datetime, label

__all__ = [
    "Block",
    "Bullets",
    "Numbered",
    "Paragraph",
    "Table",
    "blocks_to_html",
    "blocks_to_markdown",
    "fmt_duration",
    "fmt_time",
    "signed_note",
]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """An unordered list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Numbered:
    """An ordered list (the whys of a 5-Why)."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
        """Build a table, turning every cell into text."""
        return cls(tuple(headers), tuple(tuple(_cell(c) for c in row) for row in rows))


Block = Paragraph | Bullets | Numbered | Table


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_time(value)
    if isinstance(value, timedelta):
        return fmt_duration(value)
    if isinstance(value, date):
        return format_date(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return label(value.value)
    return str(value)


def fmt_time(value: datetime) -> str:
    """Format an aware datetime as ``2026-03-05 09:00 UTC`` (UTC, minutes), in the locale.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from qualityflow.i18n import using
    >>> with using("zh_CN"):
    ...     fmt_time(datetime(2026, 3, 5, 9, tzinfo=timezone.utc))
    '2026年3月5日 09:00 UTC'

    """
    return format_datetime(value)


def signed_note(record: Any) -> str:
    """Return a record's note followed by its electronic signature (name, time, meaning).

    For history records and supplier decisions alike (``note`` or ``reason``, and
    ``signature``); the same words in every report and in ``show``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import qualityflow as qf
    >>> from qualityflow.models import Signature
    >>> at = datetime(2026, 3, 5, 9, tzinfo=timezone.utc)
    >>> rec = qf.TransitionRecord(at=at, actor="Dana", trigger="close", source="verifying",
    ...     dest="closed", note="8D done", signature=Signature(meaning="approved closure",
    ...     signer_name="Dana Weber", signed_at=at))
    >>> signed_note(rec)
    '8D done (signed by Dana Weber at 2026-03-05 09:00 UTC: approved closure)'

    """
    note = str(getattr(record, "note", None) or getattr(record, "reason", "") or "")
    sig = getattr(record, "signature", None)
    if sig is None:
        return note
    at = fmt_time(sig.signed_at) if sig.signed_at is not None else ""
    text = _("signed by {name} at {at}: {meaning}").format(
        name=sig.signer_name, at=at, meaning=sig.meaning
    )
    return f"{note} ({text})" if note else text


def fmt_duration(value: timedelta) -> str:
    """Format a duration as a quality engineer says it: ``2 d 3 h 5 min`` (``2天 3小时 5分钟``).

    Examples
    --------
    >>> from qualityflow.i18n import using
    >>> fmt_duration(timedelta(days=2, minutes=5))
    '2 d 5 min'
    >>> with using("zh_CN"):
    ...     fmt_duration(timedelta(days=2, minutes=5))
    '2天 5分钟'

    """
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("{n} d").format(n=days))
    if hours:
        parts.append(_("{n} h").format(n=hours))
    if minutes:
        parts.append(_("{n} min").format(n=minutes))
    if not parts:
        parts.append(_("{n} s").format(n=seconds))
    return sign + " ".join(parts)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def blocks_to_markdown(blocks: Sequence[Block]) -> str:
    """Render blocks as Markdown, separated by blank lines."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Numbered):
            out.append("\n".join(f"{i}. {item}" for i, item in enumerate(block.items, 1)))
        else:
            lines = [
                "| " + " | ".join(_md_escape(h) for h in block.headers) + " |",
                "| " + " | ".join("---" for _ in block.headers) + " |",
            ]
            lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out)


def blocks_to_html(blocks: Sequence[Block]) -> str:
    """Render blocks as HTML fragments, every text escaped."""
    esc = html.escape
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Numbered):
            out.append("<ol>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ol>")
        else:
            head = "".join(f"<th>{esc(h)}</th>" for h in block.headers)
            thead = f"<thead><tr>{head}</tr></thead>" if any(block.headers) else ""
            body = "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            out.append(f"<table>{thead}<tbody>{body}</tbody></table>")
    return "\n".join(out)
