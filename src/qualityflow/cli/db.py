"""``qualityflow db``: the schema of an SQL database (Alembic migrations).

``qualityflow db current`` prints the revision a database is at and whether it is this
qualityflow's head; ``qualityflow db upgrade`` migrates it to the head (a no-op when it is
there; a new database is created at the head). Back the database up first. Exit codes as
every command: 2 bad input (not an SQL URL), 3 not found (no SQLite file there), 4 storage
(the server does not answer, the schema is newer than this qualityflow).
"""

from __future__ import annotations

import typer

from qualityflow.cli._db import Db, sqlite_path, url_source
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.cli._output import console

__all__ = ["db_app"]

db_app = typer.Typer(
    help="Database schema: print the revision, upgrade to this qualityflow's.",
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
            f"{source} {mask_url(url)}: schema migrations are for SQL databases, and "
            f"{scheme or url!r} is not one",
            "give sqlite:///file.db, postgresql://... or mysql://...",
        )
    return url


def _describe(revision: str) -> str:
    from qualityflow.storage.migrations import REVISIONS, schema_version_of

    if revision in REVISIONS:
        return f"{revision} (schema version {schema_version_of(revision)})"
    return revision


@db_app.command("current")
@handles_errors
def current(db: Db = None) -> None:
    """Print the database's schema revision, and whether it is this qualityflow's head."""
    from qualityflow.storage import migrations
    from qualityflow.storage.base import mask_url

    url = _sql_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise fail(
            "not_found",
            f"no SQLite database at {path}",
            "check --db; `qualityflow db upgrade` creates it at the head",
        )
    revision = migrations.current(url)
    if revision is None:
        console.print(
            f"none (no qualityflow tables in {mask_url(url)}; opening it creates them at "
            f"{migrations.HEAD})",
            markup=False,
            soft_wrap=True,
        )
    elif revision == migrations.HEAD:
        console.print(f"{_describe(revision)} (head)", markup=False, soft_wrap=True)
    elif revision in migrations.REVISIONS:
        console.print(
            f"{_describe(revision)} (older than the head {migrations.HEAD}: run "
            f"`qualityflow db upgrade --db {mask_url(url)}`)",
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"{revision} (newer than this qualityflow's head {migrations.HEAD}: upgrade "
            "qualityflow)",
            markup=False,
            soft_wrap=True,
        )


@db_app.command("upgrade")
@handles_errors
def upgrade(db: Db = None) -> None:
    """Migrate the database to this qualityflow's schema (back it up first)."""
    from qualityflow.storage import migrations
    from qualityflow.storage.base import mask_url

    url = _sql_url(db)
    result = migrations.upgrade(url)
    where = mask_url(url)
    if result.before is None:
        console.print(
            f"created the schema at {_describe(result.after)} in {where}",
            markup=False,
            soft_wrap=True,
        )
    elif not result.changed:
        console.print(
            f"{where} is at {_describe(result.after)} (head): nothing to do",
            markup=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"upgraded {where} from {_describe(result.before)} to {_describe(result.after)}",
            markup=False,
            soft_wrap=True,
        )
