"""``qualityflow db``: the schema of an SQL database (Alembic migrations).

``qualityflow db current`` prints the revision a database is at and whether it is this
qualityflow's head; ``qualityflow db upgrade`` migrates it to the head (a no-op when it is
there; a new database is created at the head). Back the database up first. Exit codes as
every command: 2 bad input (not an SQL URL), 3 not found (no SQLite file there), 4 storage
(the server does not answer, the schema is newer than this qualityflow).
"""

from __future__ import annotations

import typer

from qualityflow.cli._db import (
    Db,
    readonly_engine,
    require_database,
    require_writable,
    source_text,
    sqlite_path,
    url_source,
)
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._output import console
from qualityflow.i18n import N_, _

__all__ = ["db_app"]

db_app = typer.Typer(
    help=N_("Database schema: print the revision, upgrade to this qualityflow's."),
    no_args_is_help=True,
)


def _sql_url(db: str | None) -> str:
    """Resolve ``--db`` and refuse what has no schema to migrate (exit 2)."""
    from qualityflow.storage.base import mask_url
    from qualityflow.storage.migrations import is_sql_url

    url, source = url_source(db)
    scheme = url.partition("://")[0].split("+", 1)[0].lower()
    if not is_sql_url(url):
        raise fail(
            "bad_input",
            _(
                "{source} {url}: schema migrations are for SQL databases, and {scheme!r} is not one"
            ).format(source=source_text(source), url=mask_url(url), scheme=scheme or url),
            _("give sqlite:///file.db, postgresql://... or mysql://..."),
        )
    return url


def _describe(revision: str) -> str:
    from qualityflow.storage.migrations import REVISIONS, schema_version_of

    if revision in REVISIONS:
        return _("{revision} (schema version {version})").format(
            revision=revision, version=schema_version_of(revision)
        )
    return revision


@db_app.command(
    "current",
    help=N_("Print the database's schema revision, and whether it is this qualityflow's head."),
)
@handles_errors
def current(db: Db = None) -> None:
    """Print the database's schema revision, and whether it is this qualityflow's head."""
    from qualityflow.storage import migrations
    from qualityflow.storage.base import mask_url

    url = _sql_url(db)
    path = sqlite_path(url)
    require_database(url, db, _("check --db; `qualityflow db upgrade` creates it at the head"))
    # A SQLite file is read through a read-only connection: `db current` works on a file
    # it may not write (and never leaves a -wal or -shm file behind).
    engine = readonly_engine(path) if path is not None else None
    try:
        revision = migrations.current(url, engine=engine)
    finally:
        if engine is not None:
            engine.dispose()
    if revision is None:
        console.print(
            _("none (no qualityflow tables in {url}; opening it creates them at {head})").format(
                url=mask_url(url), head=migrations.HEAD
            ),
            markup=False,
            soft_wrap=True,
        )
    elif revision == migrations.HEAD:
        console.print(
            _("{revision} (head)").format(revision=_describe(revision)),
            markup=False,
            soft_wrap=True,
        )
    elif revision in migrations.REVISIONS:
        console.print(
            _("{revision} (older than the head {head}: run `{command}`)").format(
                revision=_describe(revision),
                head=migrations.HEAD,
                command=f"qualityflow db upgrade --db {mask_url(url)}",
            ),
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            _("{revision} (newer than this qualityflow's head {head}: upgrade qualityflow)").format(
                revision=revision, head=migrations.HEAD
            ),
            markup=False,
            soft_wrap=True,
        )


@db_app.command(
    "upgrade", help=N_("Migrate the database to this qualityflow's schema (back it up first).")
)
@handles_errors
def upgrade(db: Db = None) -> None:
    """Migrate the database to this qualityflow's schema (back it up first)."""
    from qualityflow.storage import migrations
    from qualityflow.storage.base import mask_url

    url = _sql_url(db)
    require_writable(url, db)
    result = migrations.upgrade(url)
    where = mask_url(url)
    if result.before is None:
        console.print(
            _("created the schema at {revision} in {url}").format(
                revision=_describe(result.after), url=where
            ),
            markup=False,
            soft_wrap=True,
        )
    elif not result.changed:
        console.print(
            _("{url} is at {revision} (head): nothing to do").format(
                url=where, revision=_describe(result.after)
            ),
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            _("upgraded {url} from {before} to {after}").format(
                url=where, before=_describe(result.before), after=_describe(result.after)
            ),
            markup=False,
            soft_wrap=True,
        )
