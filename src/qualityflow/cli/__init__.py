"""The ``qualityflow`` command: the library's whole loop from a terminal.

Every command reads the database from ``--db URL``, else ``QUALITYFLOW_URL``, else the
embedded default ``sqlite:///qualityflow.db``. Errors print what is wrong and how to fix
it on stderr, never a traceback, and exit with a code that says what kind of problem it was:

===== =====================================================================
code  meaning
===== =====================================================================
0     done
1     refused: a lifecycle guard, a genealogy rule or a concurrent change;
      ``overdue`` found late steps
2     bad input: a command-line mistake, bad JSON, a duplicate id, a bad database
      URL, invalid EPCIS or model data, an output path that cannot be written
3     not found: no incident, complaint, batch... with that id; no database file
      where a command that only reads looked for it
4     storage: the database could not be opened or written (read-only, server down)
5     permission denied: the service's policy (``QUALITYFLOW_POLICY``) refuses the
      actor (``--actor`` or ``QUALITYFLOW_ACTOR``) this step, naming the roles that may
      do it
70    unexpected error: a bug (``QUALITYFLOW_DEBUG=1`` shows the traceback); EX_SOFTWARE
===== =====================================================================

Adding a command group
----------------------

Each group lives in its own module, ``qualityflow/cli/<group>.py``, with its own
``typer.Typer`` and is registered here with one line, ``app.add_typer(<group>.app,
name="<group>")``. A command uses the shared helpers, never ``print``:

* :mod:`qualityflow.cli._errors`: decorate every command with ``@handles_errors`` (the one
  error boundary: library errors become a message and the exit code above) and stop with
  ``raise fail("bad_input" | "not_found" | "storage" | "refused", message, hint)``;
* :mod:`qualityflow.cli._db`: the ``db: Db = None`` option and ``open_service(db,
  write=...)`` (``write=False`` for commands that only read: they work on a read-only
  database and never create one);
* :mod:`qualityflow.cli._output`: ``table`` (identifier columns in ``ids=``; boxed on a
  terminal, plain when piped, never shortened), ``print_json`` for ``--json`` (JSON only on
  stdout; ``note(..., err=True)`` for anything else), ``markdown``, ``warn``, ``status``,
  ``progress``, ``plural``;
* :mod:`qualityflow.cli._input`: ``parse_data``, ``parse_time(value, "--option")``,
  ``parse_period``, ``check_output`` / ``write_output`` for ``--out``-style paths.

A sketch of ``cli/audit.py``::

    import typer
    from qualityflow.cli import _output as out
    from qualityflow.cli._db import Db, open_service
    from qualityflow.cli._errors import handles_errors

    # Annotated: the group imports from qualityflow.cli, which imports the group, and
    # mypy needs the type spelled out across that cycle.
    app: typer.Typer = typer.Typer(help="Verify the audit trail.", no_args_is_help=True)

    @app.command()
    @handles_errors
    def verify(as_json: bool = typer.Option(False, "--json"), db: Db = None) -> None:
        report = open_service(db, write=False).audit.verify()
        ...
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from qualityflow.service import QualityFlow

from qualityflow.cli import _output
from qualityflow.cli._db import DEFAULT_URL, open_service, set_root_db
from qualityflow.cli._db import Db as Db
from qualityflow.cli._errors import EXIT_CODES, fail
from qualityflow.cli._errors import handles_errors as handles_errors
from qualityflow.cli._input import exists, parse_data, parse_time, require_known
from qualityflow.cli._output import console as console
from qualityflow.cli._output import err_console as err_console
from qualityflow.i18n import N_, _

__all__ = ["DEFAULT_URL", "EXIT_CODES", "app", "main"]

app = typer.Typer(
    help=N_("qualityflow: quality-management workflows for light industry."),
    epilog=N_(
        "Environment: QUALITYFLOW_URL (the database), QUALITYFLOW_ACTOR (who acts), "
        "QUALITYFLOW_POLICY (open, strict or package.module:NAME), QUALITYFLOW_ACTORS (a "
        "JSON file of the people and their roles), QUALITYFLOW_CREDENTIAL (for --sign), "
        "QUALITYFLOW_DEBUG=1 (show tracebacks)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def translate_help(command: Any) -> None:
    """Translate the help texts of a click ``command`` and its subcommands, in place.

    Help is built when the modules are imported, in English: the texts marked with ``N_``
    are message ids. ``--lang`` (an eager option) and ``$LANG`` call this on the run's own
    command tree (typer builds a fresh one for each run) once the locale is known, so
    ``qualityflow --lang zh_CN incidents --help`` reads Chinese. Texts that are not message
    ids (the commands' docstrings) stay as they are.
    """
    stack, seen = [command], set()
    while stack:
        cmd = stack.pop()
        if id(cmd) in seen:
            continue
        seen.add(id(cmd))
        for attr in ("help", "short_help", "epilog"):
            value = getattr(cmd, attr, None)
            if isinstance(value, str) and value:
                setattr(cmd, attr, _(value))
        for param in getattr(cmd, "params", ()):
            value = getattr(param, "help", None)
            if isinstance(value, str) and value:
                param.help = _(value)
        commands = getattr(cmd, "commands", None)
        if isinstance(commands, dict):
            stack.extend(commands.values())


def _lang(ctx: typer.Context, value: str | None) -> str | None:
    """Choose the locale as soon as ``--lang`` is parsed, so that ``--help`` is translated."""
    from qualityflow import i18n
    from qualityflow.errors import LocaleError

    try:
        chosen = i18n.activate(value)
    except LocaleError:
        return value  # the root callback reports it (exit 2)
    if chosen != i18n.DEFAULT_LOCALE:
        translate_help(ctx.find_root().command)
    return value


def _version(value: bool) -> None:
    if value:
        from qualityflow import __version__

        _output.note(f"qualityflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Db = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=N_("Print the version and exit.")
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="LOCALE",
            callback=_lang,
            is_eager=True,
            help=N_(
                "Language of refusals and reports: en or zh_CN (default: $LANGUAGE, "
                "$LC_ALL, $LC_MESSAGES, $LANG)."
            ),
        ),
    ] = None,
) -> None:
    """Quality-management workflows: incidents, complaints, recalls, suppliers.

    The database is --db URL (before or after the command), else $QUALITYFLOW_URL, else
    sqlite:///qualityflow.db. Start with `qualityflow demo`.

    The environment variables are listed at the end of ``qualityflow --help``.
    """
    from qualityflow import i18n
    from qualityflow.errors import LocaleError

    try:
        i18n.activate(lang)
    except LocaleError as err:
        raise fail("bad_input", str(err), hint=_("give --lang en or --lang zh_CN")) from err
    set_root_db(db)
    _output.reset_warnings()
    # The state machines' own log lines are not for the user of the command.
    logging.getLogger("transitions").setLevel(logging.ERROR)


# Kept for code written against the single-module CLI (defined before the groups import).
_fail = fail


def _open(db: str | None, plugins: Sequence[object] = ()) -> QualityFlow:
    """Open the database for writing (the single-module CLI's helper)."""
    return open_service(db, write=True, plugins=plugins)


_parse_data = parse_data
_parse_time = parse_time
_exists = exists
_require_known = require_known
_text = _output.text


def _table(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], limit: int = 0
) -> Table:
    """Return a rich table that folds instead of shortening (prefer ``_output.table``)."""
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, overflow="fold", no_wrap=i == 0)
    for n, row in enumerate(rows):
        if limit and n >= limit:
            break
        table.add_row(*(_output.text(c) for c in row))
    return table


# Command groups and commands: one module each (see the module docstring).
from qualityflow.cli import (  # noqa: E402
    audit,
    cases,
    db,
    demo,
    evidence,
    interop,
    nc,
    overdue,
    recalls,
    relay,
    report,
    schema,
    trace,
)

app.command("demo", short_help=N_("Play the biscuit plant's worst week (start here)."))(demo.demo)
app.command("trace", short_help=N_("Where lots went, or what went into them."))(trace.trace)
app.command("recall", short_help=N_("What a recall of suspect lots touches."))(trace.recall)
app.add_typer(cases.incidents_app, name="incidents")
app.add_typer(cases.complaints_app, name="complaints")
app.command(
    "overdue", short_help=N_("Open cases past a deadline (exit 1 if any)."), help=overdue.HELP
)(overdue.overdue)
app.add_typer(
    recalls.recall_app, name="recalls", short_help=N_("Run a recall: open, notify, returns.")
)
app.add_typer(nc.nc_app, name="nc", short_help=N_("Nonconformances: what is wrong, what is done."))
app.add_typer(nc.scar_app, name="scar", short_help=N_("Supplier corrective action requests."))
app.add_typer(
    relay.relay_app, name="relay", short_help=N_("Publish committed changes to a broker.")
)
app.add_typer(db.db_app, name="db", short_help=N_("Schema migrations: db current, db upgrade."))
app.add_typer(
    report.report_app, name="report", short_help=N_("8D, KPIs, Pareto, scorecard, review.")
)
app.command("import-epcis", short_help=N_("Import partners' EPCIS events."))(interop.import_epcis)
app.command("export-fsma204", short_help=N_("Write the FDA FSMA 204 spreadsheet."))(
    interop.export_fsma204
)
app.command("schema", short_help=N_("Print the models' JSON Schemas."), help=schema.HELP)(
    schema.schema
)
app.add_typer(audit.app, name="audit", short_help=N_("Verify the records against the ledger."))
app.add_typer(evidence.app, name="evidence", short_help=N_("Attach evidence files; re-hash them."))


def main() -> None:
    """Run the command line (the ``qualityflow`` console script).

    The outer error boundary: whatever escapes a command (or click itself) ends as one
    message on stderr and an exit code, never a traceback.
    """
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write(_("interrupted") + "\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("QUALITYFLOW_DEBUG"):
            raise
        from qualityflow.cli._errors import message_for

        known = message_for(exc)
        code, message, hint = known or (
            "internal",
            _("unexpected {error}: {detail}").format(error=type(exc).__name__, detail=exc),
            _("this is a bug; run again with QUALITYFLOW_DEBUG=1 for the traceback"),
        )
        sys.stderr.write(
            _("error: {message}").format(message=message)
            + "\n"
            + (_("hint: {hint}").format(hint=hint) + "\n" if hint else "")
        )
        sys.exit(EXIT_CODES[code])
