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

import typer

from qualityflow.errors import (
    InteropError,
    NotFoundError,
    PermissionDenied,
    QualityFlowError,
    StorageError,
    TransitionError,
)
from qualityflow.i18n import DEFAULT_LOCALE, N_, _, current_locale, label

__all__ = ["EXIT_CODES", "fail", "handles_errors", "message_for"]

# typer 0.29 and later carry their own copy of click; its errors derive from
# typer.TyperException. Earlier versions raise click's own.
if hasattr(typer, "TyperException"):
    _CLICK_ERRORS: tuple[type[BaseException], ...] = (typer.TyperException,)
else:  # pragma: no cover - typer < 0.29
    import click

    _CLICK_ERRORS = (click.exceptions.ClickException,)
_PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, *_CLICK_ERRORS)

EXIT_CODES = {
    "ok": 0,
    "refused": 1,
    "bad_input": 2,
    "not_found": 3,
    "storage": 4,
    "denied": 5,
    "internal": 70,
}
"""The command's exit codes by meaning (see the module docstring of :mod:`qualityflow.cli`)."""

F = TypeVar("F", bound=Callable[..., Any])


def fail(code: str, message: str, hint: str = "") -> typer.Exit:
    """Print ``error: message`` (and ``hint: ...``) on stderr; return the Exit to raise.

    The lines are written as they are, unwrapped, so they can be copied and pasted; the
    words ``error`` and ``hint`` are in the active locale (``错误``, ``提示``), the message and
    hint as given (the caller translates them).
    """
    typer.echo(_("error: {message}").format(message=message), err=True)
    if hint:
        typer.echo(_("hint: {hint}").format(hint=hint), err=True)
    return typer.Exit(EXIT_CODES[code])


def message_for(exc: BaseException) -> tuple[str, str, str] | None:
    """Return ``(code, message, hint)`` for an error the boundary knows, else None.

    The message and the hint are in the active locale; the reasons an error carries were
    translated when it was raised.

    Examples
    --------
    >>> message_for(NotFoundError("complaint", "CMP-404"))[0]
    'not_found'
    >>> message_for(StorageError("complaint 'CMP-1' already exists; load it"))[0]
    'bad_input'

    """
    if isinstance(exc, PermissionDenied):
        lines = "\n".join(f"  - {r}" for r in exc.reasons)
        roles = ", ".join(exc.roles)
        return (
            "denied",
            _("{actor!r} may not {action!r}:").format(actor=exc.actor, action=exc.action)
            + f"\n{lines}",
            _("ask someone with one of the roles {roles}").format(roles=roles)
            if roles
            else _("ask someone else"),
        )
    if isinstance(exc, TransitionError):
        lines = "\n".join(f"  - {r}" for r in exc.reasons) or "  - " + _("not allowed")
        return (
            "refused",
            _("cannot {trigger!r} from state {state!r}; what is missing:").format(
                trigger=exc.trigger, state=exc.state
            )
            + f"\n{lines}",
            _(
                "record the missing data with --data '{...}' (JSON of the entity's fields), "
                "or see `show ID` for the triggers allowed now"
            ),
        )
    if isinstance(exc, NotFoundError):
        kind = getattr(exc, "kind", "")
        if kind == "incident":
            hint = _("check the id; `qualityflow incidents list` lists the stored incidents")
        elif kind == "complaint":
            hint = _("check the id; `qualityflow complaints list` lists the stored complaints")
        elif kind in ("batch", "shipment"):
            hint = _("check the id; `qualityflow trace ID` shows what a lot reaches")
        else:
            hint = _("check the id")
        return ("not_found", _not_found(exc), hint)
    if isinstance(exc, StorageError):
        text = str(exc)
        if "already exists" in text or "already linked" in text:
            return ("bad_input", text, _("use a new id, or load the stored one and change it"))
        if "no storage backend for scheme" in text:
            return (
                "bad_input",
                text,
                _(
                    "give --db (or QUALITYFLOW_URL) as memory://, sqlite:///file.db, "
                    "postgresql://... or mysql://..."
                ),
            )
        return ("storage", text, _("check --db or QUALITYFLOW_URL and that the server answers"))
    if isinstance(exc, InteropError):
        return ("bad_input", str(exc), "")
    if isinstance(exc, QualityFlowError):
        return ("refused", str(exc), "")
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or type(exc).__name__
        where = f"{name}: " if name else ""
        return ("bad_input", f"{where}{reason}", _("check the path and its permissions"))
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors()[:5]:
            field = ".".join(str(p) for p in error["loc"]) or _("(the object)")
            problems.append(f"  - {field}: {error['msg']}")
        more = exc.error_count() - len(problems)
        if more > 0:
            problems.append("  - " + _("... and {more} more").format(more=more))
        return (
            "bad_input",
            _("invalid {model} data:").format(model=exc.title) + "\n" + "\n".join(problems),
            _("see `qualityflow schema MODEL` for the fields"),
        )
    return None


_KIND_NAMES = {
    "supplier": N_("supplier"),
    "batch": N_("batch"),
    "shipment": N_("shipment"),
    "inspection": N_("inspection"),
    "retained_sample": N_("retained sample"),
    "training_requirement": N_("training requirement"),
    "training_record": N_("training record"),
    "consignee": N_("consignee"),
    "evidence file": N_("evidence file"),
    "outbox entry": N_("outbox entry"),
}


def _not_found(exc: NotFoundError) -> str:
    """Return the not-found message in the active locale (English: the error's own text)."""
    kind, id = getattr(exc, "kind", None), getattr(exc, "id", None)
    if (
        current_locale() == DEFAULT_LOCALE
        or not isinstance(kind, str)
        or not isinstance(id, str)
        or str(exc) != f"{kind} {id!r} not found"
    ):
        return str(exc)  # English, or worded by a subclass or a plugin: shown as it is
    name = _(_KIND_NAMES[kind]) if kind in _KIND_NAMES else label(kind)
    return _("{kind} {id!r} not found").format(kind=name, id=id)


def handles_errors(func: F) -> F:
    """Turn every error into a clear message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except KeyboardInterrupt:
            typer.echo(_("interrupted"), err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            known = message_for(exc)
            if known is not None:
                raise fail(*known) from None
            if os.environ.get("QUALITYFLOW_DEBUG"):
                raise
            raise fail(
                "internal",
                _("unexpected {error}: {detail}").format(error=type(exc).__name__, detail=exc),
                _(
                    "this is a bug in qualityflow or a plugin; run again with "
                    "QUALITYFLOW_DEBUG=1 for the traceback and report it"
                ),
            ) from None

    return wrapper  # type: ignore[return-value]
