"""How the command line prints: tables, plain text, JSON, Markdown, warnings and progress.

Rules every command group follows (use these helpers rather than ``print``):

* **Never hide data.** Identifiers are never shortened. On a terminal, :func:`table` draws a
  box table whose identifier columns never wrap and whose other cells fold; when even that
  does not fit the width it prints one field per line. When stdout is not a terminal it
  prints complete values as plain aligned columns, without boxes.
* **``--json`` prints JSON and nothing else on stdout**: :func:`print_json` (with
  :func:`jsonable` for models, dataclasses, dates and decimals); everything else a JSON
  command says goes to stderr through :func:`note` with ``err=True``.
* **Warnings** go to stderr once each, unwrapped: :func:`warn`.
* **Progress** (:func:`status`, :func:`progress`) is drawn on stderr, only on a terminal.

Examples
--------
>>> plural(1, "batch"), plural(2, "batch"), plural(3, "lot")
('1 batch', '2 batches', '3 lots')
>>> article("incident"), article("complaint")
('an incident', 'a complaint')

"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.cells import cell_len
from rich.console import Console

from qualityflow.i18n import DEFAULT_LOCALE, _, current_locale, label

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = [
    "article",
    "console",
    "err_console",
    "jsonable",
    "markdown",
    "note",
    "plural",
    "print_json",
    "progress",
    "status",
    "table",
    "text",
    "warn",
]

console = Console(highlight=False)
"""Standard output (tests may replace it, e.g. ``Console(force_terminal=True, width=80)``)."""
err_console = Console(stderr=True, highlight=False)
"""Standard error, for progress and spinners only."""

_warned: set[str] = set()

_PLURALS = {"batch": "batches", "inquiry": "inquiries"}


def plural(n: int, word: str) -> str:
    """Return ``"1 batch"`` / ``"2 batches"`` (other locales: the number and the word's label).

    Examples
    --------
    >>> from qualityflow.i18n import using
    >>> with using("zh_CN"):
    ...     plural(3, "incident")
    '3 项质量事故'

    """
    if current_locale() != DEFAULT_LOCALE:
        return _("{n} {word}").format(n=n, word=label(word))
    if n == 1:
        return f"{n} {word}"
    many = _PLURALS.get(word) or (f"{word}es" if word.endswith(("s", "sh", "ch", "x")) else None)
    return f"{n} {many or word + 's'}"


def article(word: str) -> str:
    """Return ``word`` with its indefinite article: ``"an incident"``, ``"a lot"``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def text(value: object) -> str:
    """One cell's text: times in UTC to the minute, enums by value, None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str):
        return enum_value
    return str(value).replace("\n", " ")


def prog() -> str:
    """How to run this command where it was started, for the commands a message suggests.

    ``$QUALITYFLOW_PROG`` when set (``python3 tasks.py cli``), ``qualityflow`` when that is
    the console script on PATH, else this interpreter with ``-m qualityflow``.
    """
    import os
    import shlex
    import shutil
    import sys

    chosen = os.environ.get("QUALITYFLOW_PROG")
    if chosen:
        return chosen
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "qualityflow":
        found = shutil.which("qualityflow")
        if found and Path(found).resolve() == script.resolve():
            return "qualityflow"
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m qualityflow"


def is_terminal() -> bool:
    """Tell whether stdout is a terminal (tables are drawn), False when piped."""
    return console.is_terminal


def note(message: str = "", *, err: bool = False) -> None:
    """Print one line as it is (unwrapped); ``err=True`` sends it to stderr."""
    typer.echo(message, err=err)


def warn(message: str) -> None:
    """Print ``warning: message`` on stderr, once per distinct message per run."""
    if message in _warned:
        return
    _warned.add(message)
    typer.echo(_("warning: {message}").format(message=message), err=True)


def reset_warnings() -> None:
    """Forget the warnings printed so far (each CLI run starts afresh)."""
    _warned.clear()


def table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    limit: int = 0,
    ids: Collection[int] = (0,),
    caption: str = "",
) -> None:
    """Print a table: boxed on a terminal, plain aligned columns when piped.

    ``ids`` are the indices of identifier columns: they are never wrapped or shortened.
    ``limit`` (0: all) cuts the rows and says how many more there are.
    """
    cells: list[list[str]] = []
    keep_whole = set(ids)
    hidden = 0
    for n, row in enumerate(rows):
        if limit and n >= limit:
            hidden += 1
            continue
        cells.append([text(c) for c in row])
        # Times, dates and quantities are tokens too: never broken across lines.
        keep_whole.update(
            i for i, c in enumerate(row) if isinstance(c, (date, timedelta)) or _is_quantity(c)
        )
    if hidden:
        more = _("... and {hidden} more (--limit 0 shows all)").format(hidden=hidden)
        caption = f"{caption}; {more}" if caption else more
    if not is_terminal():
        _plain(title, headers, cells, caption)
        return
    # The narrowest table that breaks no token: identifier, time and quantity columns
    # whole, the others at their longest word. Wider than the terminal: one field per line.
    minimum = []
    for i, header in enumerate(headers):
        column = [row[i] for row in cells]
        if i in keep_whole:
            minimum.append(max([cell_len(header), *(cell_len(c) for c in column)]))
        else:
            words = [cell_len(w) for c in [header, *column] for w in c.split()]
            minimum.append(max(words, default=1))
    room = console.width - (3 * len(headers) + 1)  # borders and padding
    if sum(minimum) > room:
        _records(title, headers, cells, caption)
        return
    # Natural widths, then narrow the widest wrapping column step by step until it fits.
    widths = [
        max([cell_len(h), *(cell_len(row[i]) for row in cells)]) for i, h in enumerate(headers)
    ]
    while sum(widths) > room:
        shrinkable = [i for i in range(len(widths)) if widths[i] > minimum[i]]
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    from rich.table import Table

    rich_table = Table(title=title, title_justify="left", caption=caption or None)
    for i, header in enumerate(headers):
        rich_table.add_column(header, no_wrap=i in keep_whole, overflow="fold", width=widths[i])
    for row in cells:
        rich_table.add_row(*row)
    console.print(rich_table)


def _pad(cell: str, width: int) -> str:
    """Pad ``cell`` to ``width`` terminal columns (a Chinese character takes two)."""
    return cell + " " * (width - cell_len(cell))


def _is_quantity(value: object) -> bool:
    return type(value).__name__ == "Quantity"


def _plain(title: str, headers: Sequence[str], cells: list[list[str]], caption: str) -> None:
    if title:
        typer.echo(title)
    if not cells:
        typer.echo(_("(none)"))
    else:
        widths = [cell_len(h) for h in headers]
        for row in cells:
            widths = [max(w, cell_len(c)) for w, c in zip(widths, row, strict=True)]
        for row in [list(headers), *cells]:
            line = "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True))
            typer.echo(line.rstrip())
    if caption:
        typer.echo(caption)
    typer.echo()


def _records(title: str, headers: Sequence[str], cells: list[list[str]], caption: str) -> None:
    """One field per line: for tables too wide for the terminal."""
    console.print(title, soft_wrap=True, markup=False)
    width = max((cell_len(h) for h in headers), default=0)
    for row in cells:
        console.print()
        for header, cell in zip(headers, row, strict=True):
            console.print(f"  {_pad(header, width)}  {cell}", soft_wrap=True, markup=False)
    if not cells:
        console.print(_("(none)"), markup=False)
    if caption:
        console.print(caption, soft_wrap=True, markup=False)
    console.print()


def markdown(source: str) -> None:
    """Print a Markdown report: rendered on a terminal, as Markdown text when piped.

    When rendering would shorten anything (rich marks it with "…") or break a long token
    (an id, a URN, a path) across lines, the Markdown text is printed instead.
    """
    if not is_terminal():
        typer.echo(source.rstrip("\n"))
        return
    from rich.markdown import Markdown

    with console.capture() as captured:
        console.print(Markdown(source))
    rendered = captured.get()
    from rich.text import Text

    plain = Text.from_ansi(rendered).plain
    # Long tokens (ids, URNs, paths) must come out whole; else print the Markdown itself.
    tokens = {t.strip("|*_`()[],.;:") for t in source.split()}
    broken = any(len(t) >= 16 and t not in plain for t in tokens)
    if broken or rendered.count("…") > source.count("…"):
        typer.echo(source.rstrip("\n"))
    else:
        typer.echo(rendered, nl=False)


def jsonable(value: Any) -> Any:
    """Turn models, dataclasses, dates, decimals, enums and sets into JSON values.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from datetime import timedelta
    >>> jsonable({"q": Decimal("1.5"), "late": timedelta(hours=1), "ids": {"b", "a"}})
    {'q': '1.5', 'late': 3600.0, 'ids': ['a', 'b']}

    """
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout, nothing else."""
    typer.echo(json.dumps(jsonable(data), indent=2, ensure_ascii=False))


def status(message: str) -> contextlib.AbstractContextManager[object]:
    """Show a spinner with ``message`` on stderr while a block runs (only on a terminal)."""
    if not err_console.is_terminal:
        return contextlib.nullcontext()
    return err_console.status(message)


@contextlib.contextmanager
def progress() -> Iterator[Progress]:
    """Draw a progress display on stderr (drawn only on a terminal; silent otherwise)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with bar:
        yield bar
