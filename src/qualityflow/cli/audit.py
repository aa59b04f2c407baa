"""``qualityflow audit``: verify the stored records against the audit ledger.

``qualityflow audit verify`` walks every row and the whole ledger and prints what is wrong,
each line naming the entity, the record and the problem; it exits 0 when everything
verifies and 1 when anything does not (2 bad input, 3 not found, 4 storage, as every
command). Pass the heads published earlier (in notifications, on 8D reports, from
``qualityflow audit head``) with ``--known-head`` to detect a ledger rewritten since.
Both commands only read: they work on a read-only database.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Annotated

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._db import Db, open_service
from qualityflow.cli._errors import EXIT_CODES, fail, handles_errors
from qualityflow.i18n import N_, _, using

__all__ = ["app"]

# Annotated: the group imports from qualityflow.cli, which imports the group, and mypy
# needs the type spelled out across that cycle.
app: typer.Typer = typer.Typer(
    help=N_("Verify the records against the audit ledger; print the ledger head."),
    no_args_is_help=True,
)

_HEAD = re.compile(r"^[0-9a-f]{64}$")


@app.command(
    "verify",
    help=N_(
        "Verify every record against the ledger; exit 1 when anything is wrong.\n\n"
        "Reports edited, deleted or hand-inserted rows, edited or removed ledger entries, "
        "broken, truncated, reordered or transplanted histories, illegal transitions and, for "
        "each --known-head, a ledger rewritten since it was published."
    ),
)
@handles_errors
def verify(
    known_head: Annotated[
        list[str] | None,
        typer.Option(
            "--known-head",
            metavar="HEAD",
            help=N_(
                "A head published earlier (64 hex digits); repeat for several. Each must "
                "still be in the ledger's chain."
            ),
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=N_("Print the report as JSON instead of text."))
    ] = False,
    blobs: Annotated[
        bool, typer.Option("--blobs", help=N_("Also check attached evidence files."))
    ] = False,
    db: Db = None,
) -> None:
    """Verify every record against the ledger; exit 1 when anything is wrong.

    Reports edited, deleted or hand-inserted rows, edited or removed ledger entries,
    broken, truncated, reordered or transplanted histories, illegal transitions and, for
    each --known-head, a ledger rewritten since it was published.
    """
    heads = [h.strip().lower() for h in known_head or []]
    bad = [h for h in heads if not _HEAD.match(h)]
    if bad:
        raise fail(
            "bad_input",
            _("--known-head {head!r} is not a ledger head").format(head=bad[0]),
            _(
                "give the 64 hex digits printed by `qualityflow audit head` or carried by a "
                "notification (audit_head)"
            ),
        )
    qms = open_service(db, write=False)
    try:
        # --json prints the same document in every language: the findings in English.
        with using("en") if as_json else nullcontext():
            report = qms.audit.verify(known_heads=heads, blobs=blobs)
    finally:
        qms.close()
    if as_json:
        out.print_json(report.to_json())
    else:
        out.note(str(report))
    if not report.ok:
        raise typer.Exit(EXIT_CODES["refused"])


@app.command(
    "head", help=N_("Print the ledger head (the last entry's hash; empty for an empty database).")
)
@handles_errors
def head(db: Db = None) -> None:
    """Print the ledger head (the last entry's hash; empty for an empty database)."""
    qms = open_service(db, write=False)
    try:
        out.note(qms.audit.head())
    finally:
        qms.close()
