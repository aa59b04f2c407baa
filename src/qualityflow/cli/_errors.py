"""The command line's one error boundary: a short message and an exit code, never a traceback.

Every command is wrapped in :func:`handles_errors`, and :func:`qualityflow.cli.main` wraps
the whole run once more, so nothing a library, a plugin or the operating system raises
reaches the user as a traceback. Set ``QUALITYFLOW_DEBUG=1`` to see the traceback of an
unexpected error (a bug) instead.

A command that finds a problem itself raises ``fail(...)``:

Examples
--------
>>> try:
...     raise fail("bad_input", "--depth -1: give 1 or more steps")
... except typer.Exit as exc:
...     print(exc.exit_code)
2

"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer

from qualityflow.errors import (
    InteropError,
    NotFoundError,
    QualityFlowError,
    StorageError,
    TransitionError,
)

__all__ = ["EXIT_CODES", "fail", "handles_errors", "message_for"]

EXIT_CODES = {
    "ok": 0,
    "refused": 1,
    "bad_input": 2,
    "not_found": 3,
    "storage": 4,
    "internal": 5,
}
"""The command's exit codes by meaning (see the module docstring of :mod:`qualityflow.cli`)."""

F = TypeVar("F", bound=Callable[..., Any])


def fail(code: str, message: str, hint: str = "") -> typer.Exit:
    """Print ``error: message`` (and ``hint: ...``) on stderr; return the Exit to raise.

    The lines are written as they are, unwrapped, so they can be copied and pasted.
    """
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    return typer.Exit(EXIT_CODES[code])


def message_for(exc: BaseException) -> tuple[str, str, str] | None:
    """Return ``(code, message, hint)`` for an error the boundary knows, else None.

    Examples
    --------
    >>> message_for(NotFoundError("complaint", "CMP-404"))[0]
    'not_found'
    >>> message_for(StorageError("complaint 'CMP-1' already exists; load it"))[0]
    'bad_input'

    """
    if isinstance(exc, TransitionError):
        lines = "\n".join(f"  - {r}" for r in exc.reasons) or "  - not allowed"
        return (
            "refused",
            f"cannot {exc.trigger!r} from state {exc.state!r}; what is missing:\n{lines}",
            "record the missing data with --data '{...}' (JSON of the entity's fields), "
            "or see `show ID` for the triggers allowed now",
        )
    if isinstance(exc, NotFoundError):
        kind = getattr(exc, "kind", "")
        if kind in ("incident", "complaint"):
            hint = f"check the id; `qualityflow {kind}s list` lists the stored {kind}s"
        elif kind in ("batch", "shipment"):
            hint = "check the id; `qualityflow trace ID` shows what a lot reaches"
        else:
            hint = "check the id"
        return ("not_found", str(exc), hint)
    if isinstance(exc, StorageError):
        text = str(exc)
        if "already exists" in text or "already linked" in text:
            return ("bad_input", text, "use a new id, or load the stored one and change it")
        if "no storage backend for scheme" in text:
            return (
                "bad_input",
                text,
                "give --db (or QUALITYFLOW_URL) as memory://, sqlite:///file.db, "
                "postgresql://... or mysql://...",
            )
        return ("storage", text, "check --db or QUALITYFLOW_URL and that the server answers")
    if isinstance(exc, InteropError):
        return ("bad_input", str(exc), "")
    if isinstance(exc, QualityFlowError):
        return ("refused", str(exc), "")
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or type(exc).__name__
        where = f"{name}: " if name else ""
        return ("bad_input", f"{where}{reason}", "check the path and its permissions")
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors()[:5]:
            field = ".".join(str(p) for p in error["loc"]) or "(the object)"
            problems.append(f"  - {field}: {error['msg']}")
        more = exc.error_count() - len(problems)
        if more > 0:
            problems.append(f"  - ... and {more} more")
        return (
            "bad_input",
            f"invalid {exc.title} data:\n" + "\n".join(problems),
            "see `qualityflow schema MODEL` for the fields",
        )
    return None


def handles_errors(func: F) -> F:
    """Turn every error into a clear message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            known = message_for(exc)
            if known is not None:
                raise fail(*known) from None
            if os.environ.get("QUALITYFLOW_DEBUG"):
                raise
            raise fail(
                "internal",
                f"unexpected {type(exc).__name__}: {exc}",
                "this is a bug in qualityflow or a plugin; run again with "
                "QUALITYFLOW_DEBUG=1 for the traceback and report it",
            ) from None

    return wrapper  # type: ignore[return-value]
