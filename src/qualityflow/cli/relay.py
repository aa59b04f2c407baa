"""``qualityflow relay --to URL``: publish every committed change and notification.

Runs until interrupted (Ctrl-C, SIGTERM), or with ``--once`` until nothing is left to
publish; several relays on one database share the work. Exit codes as every command:
1 when the broker kept failing (``--retries``), 2 bad input, 4 storage.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from qualityflow.cli import Db, _fail, _open, handles_errors
from qualityflow.i18n import N_, _

__all__ = ["relay_app"]

relay_app: typer.Typer = typer.Typer(
    help=N_("Publish committed changes and notifications to a message broker (CloudEvents)."),
    invoke_without_command=True,
    no_args_is_help=False,
)


@relay_app.callback(invoke_without_command=True)
@handles_errors
def relay(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help=N_(
                "The broker: nats://host:4222, amqp://user:pass@host:5672/, "
                "redis://host:6379/0 (or a plugin's scheme)."
            ),
        ),
    ],
    once: Annotated[
        bool, typer.Option("--once", help=N_("Publish what is pending, then exit."))
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", metavar="N", help=N_("Events claimed at a time."))
    ] = 500,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            metavar="NAME",
            help=N_("Name the relays of one destination share (default: the --to URL)."),
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="URI",
            help=N_("The CloudEvents source (default: the database URL)."),
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            "--retries", metavar="N", help=N_("Give up after N failures in a row (default: never).")
        ),
    ] = None,
    db: Db = None,
) -> None:
    """Publish every committed change and notification to the broker at --to."""
    from qualityflow.relay import RelayError

    if batch < 1:
        raise _fail(
            "bad_input", _("--batch {batch}: give 1 or more events per batch").format(batch=batch)
        )
    qms = _open(db)
    stop = threading.Event()
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stats = qms.relay(
            to,
            batch=batch,
            once=once,
            stop=stop,
            target=target,
            source=source,
            retries=retries,
        )
    except KeyboardInterrupt:
        stop.set()
        raise typer.Exit(0) from None
    except RelayError as exc:
        if "no publisher" in str(exc) or "batch=" in str(exc):
            raise _fail("bad_input", str(exc)) from exc
        raise _fail("refused", str(exc)) from exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        qms.close()
    typer.echo(
        _(
            "published {total} events ({changes} changes, {notifications} notifications); "
            "{failures} failed attempts"
        ).format(
            total=stats.total,
            changes=stats.published["ledger"],
            notifications=stats.published["outbox"],
            failures=stats.failures,
        )
    )
