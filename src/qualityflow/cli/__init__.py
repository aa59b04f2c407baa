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
5     unexpected error: a bug (``QUALITYFLOW_DEBUG=1`` shows the traceback)
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

    app = typer.Typer(help="Verify the audit trail.", no_args_is_help=True)

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
from typing import Annotated

import typer

from qualityflow.cli import _output
from qualityflow.cli._db import DEFAULT_URL, Db, open_service, set_root_db
from qualityflow.cli._errors import EXIT_CODES, fail
from qualityflow.cli._errors import handles_errors as handles_errors
from qualityflow.cli._input import exists, parse_data, parse_time, require_known
from qualityflow.cli._output import console as console
from qualityflow.cli._output import err_console as err_console

__all__ = ["DEFAULT_URL", "EXIT_CODES", "app", "main"]

app = typer.Typer(
    help="qualityflow: quality-management workflows for light industry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Quality-management workflows: incidents, complaints, recalls, suppliers.

    The database is --db URL (before or after the command), else $QUALITYFLOW_URL, else
    sqlite:///qualityflow.db. Start with `qualityflow demo`.
    """
    set_root_db(db)
    _output.reset_warnings()
    # The state machines' own log lines are not for the user of the command.
    logging.getLogger("transitions").setLevel(logging.ERROR)


# Command groups and commands: one module each (see the module docstring).
from qualityflow.cli import cases, demo, interop, overdue, report, schema, trace  # noqa: E402

app.command("demo")(demo.demo)
app.command("trace")(trace.trace)
app.command("recall")(trace.recall)
app.add_typer(cases.incidents_app, name="incidents")
app.add_typer(cases.complaints_app, name="complaints")
app.command("overdue")(overdue.overdue)
app.add_typer(report.report_app, name="report")
app.command("import-epcis")(interop.import_epcis)
app.command("export-fsma204")(interop.export_fsma204)
app.command("schema")(schema.schema)

# Kept for code written against the single-module CLI.
_fail = fail
_open = open_service
_parse_data = parse_data
_parse_time = parse_time
_exists = exists
_require_known = require_known
_text = _output.text


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
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("QUALITYFLOW_DEBUG"):
            raise
        from qualityflow.cli._errors import message_for

        known = message_for(exc)
        code, message, hint = known or (
            "internal",
            f"unexpected {type(exc).__name__}: {exc}",
            "this is a bug; run again with QUALITYFLOW_DEBUG=1 for the traceback",
        )
        sys.stderr.write(f"error: {message}\n" + (f"hint: {hint}\n" if hint else ""))
        sys.exit(EXIT_CODES[code])
