"""``qualityflow overdue``: open cases past a deadline (exit 1 when any is)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service, url, writable_service
from qualityflow.cli._errors import EXIT_CODES, handles_errors
from qualityflow.cli._input import parse_time
from qualityflow.i18n import N_, _

__all__ = ["HELP", "overdue"]

HELP = N_(
    "List open incidents and complaints past a deadline; exit 1 when any is overdue.\n\n"
    "Each breach is notified once (``overdue``) when the database can be written; on a "
    "read-only database the breaches are listed without notifying."
)
"""The command's help (its docstring, as a message id for ``--lang``)."""


@handles_errors
def overdue(
    now: Annotated[
        str | None,
        typer.Option(
            metavar="TIME", help=N_("Check as of this time (ISO 8601 with timezone); default now.")
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the breaches as JSON."))
    ] = False,
    db: Db = None,
) -> None:
    """List open incidents and complaints past a deadline; exit 1 when any is overdue.

    Each breach is notified once (``overdue``) when the database can be written; on a
    read-only database the breaches are listed without notifying.
    """
    when = parse_time(now, "--now") or datetime.now(timezone.utc)
    from qualityflow.errors import StorageError

    qms = writable_service(db)
    breaches = None
    if qms is not None:
        try:
            breaches = qms.overdue(when)
        except StorageError:
            breaches = None
    if breaches is None:
        breaches = _breaches(open_service(db, write=False), when)
        out.warn(
            _(
                "the database {url} is read-only: the overdue steps are listed but not notified"
            ).format(url=url(db))
        )
    rows = [_breach_row(b, when) for b in breaches]
    if as_json:
        out.print_json(
            [
                {
                    "case": b.subject_id,
                    "kind": b.subject_kind,
                    "deadline": b.what,
                    "due": b.due,
                    "late_by_seconds": (b.late_by or (when - b.due)).total_seconds(),
                    "severity": b.severity,
                    "legal_basis": b.legal_basis,
                }
                for b in breaches
            ]
        )
    else:
        out.table(
            _("{n} overdue as of {when} UTC").format(n=len(breaches), when=out.text(when)),
            (_("case"), _("deadline"), _("due (UTC)"), _("late by")),
            rows,
        )
    if breaches:
        raise typer.Exit(EXIT_CODES["refused"])


def _breaches(qms: Any, when: datetime) -> list[Any]:
    """Return the breaches at ``when`` by the service's deadline policy, without notifying."""
    from qualityflow.lifecycle import DefaultDeadlinePolicy
    from qualityflow.lifecycle import overdue as find_overdue

    class _Policy:
        default = DefaultDeadlinePolicy()

        def deadlines(self, entity: Any) -> Any:
            chosen = qms.plugins.deadline_policy(entity)
            return self.default.deadlines(entity) if chosen is None else chosen

    closed = {"closed", "cancelled", "rejected"}
    entities = [
        e
        for e in [*qms.incidents.list(), *qms.complaints.list()]
        if out.text(e.status) not in closed
    ]
    return list(find_overdue(entities, when, policy=_Policy()))


def _breach_row(breach: Any, now: datetime) -> tuple[object, ...]:
    late = breach.late_by if breach.late_by is not None else now - breach.due
    return (breach.subject_id, breach.what, breach.due, late)
