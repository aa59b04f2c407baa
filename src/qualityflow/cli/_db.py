"""Which database a command uses, and opening it for reading or for writing.

The URL comes from ``--db URL`` after the command, else ``--db`` before it, else
``$QUALITYFLOW_URL``, else the embedded default ``sqlite:///qualityflow.db``. The policy
and the people come from ``$QUALITYFLOW_POLICY`` and ``$QUALITYFLOW_ACTORS``
(:mod:`qualityflow.cli._people`).

* Commands that only read call ``open_service(db, write=False)``: an SQLite file is opened
  read-only (it may be a 0444 file in a read-only directory) and a missing file is never
  created: the command stops with exit 3 naming the database it looked for.
* Commands that change data call ``open_service(db, write=True)``: a read-only SQLite file
  or a missing directory stops with exit 4 naming the path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from qualityflow.cli._errors import fail
from qualityflow.cli._people import service_people
from qualityflow.i18n import N_, _
from qualityflow.plugins import hookimpl

if TYPE_CHECKING:
    from qualityflow.service import QualityFlow

__all__ = [
    "DEFAULT_URL",
    "Db",
    "open_service",
    "set_root_db",
    "source_text",
    "sqlite_path",
    "url",
    "url_source",
    "writable_service",
]

DEFAULT_URL = "sqlite:///qualityflow.db"
"""The database used when neither ``--db`` nor ``QUALITYFLOW_URL`` is given."""

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help=N_(
            "Database URL (memory://, sqlite:///file.db, postgresql://..., mysql://...). "
            "Default: $QUALITYFLOW_URL, else sqlite:///qualityflow.db."
        ),
        show_default=False,
    ),
]
"""The ``--db URL`` option every command that touches the database takes."""

_ROOT: dict[str, str | None] = {"db": None}

READ_ONLY_HINT = N_(
    "use a writable copy; commands that only read (trace, recall, list, show, report) work on "
    "a read-only database"
)

_READONLY_SCHEME = "qualityflow-cli-readonly"


def set_root_db(db: str | None) -> None:
    """Remember ``--db`` given before the command name."""
    _ROOT["db"] = db


def url_source(db: str | None) -> tuple[str, str]:
    """Return the URL to use and where it came from (for messages)."""
    if db:
        return db, "--db"
    if _ROOT["db"]:
        return _ROOT["db"], "--db"
    env = os.environ.get("QUALITYFLOW_URL")
    if env:
        return env, "$QUALITYFLOW_URL"
    return DEFAULT_URL, "the default"


def source_text(source: str) -> str:
    """Return where the URL came from (:func:`url_source`) in the active locale."""
    return _("the default") if source == "the default" else source


def url(db: str | None) -> str:
    """Return the URL to use."""
    return url_source(db)[0]


def sqlite_path(database_url: str) -> Path | None:
    """Return the file of an ``sqlite:///`` URL, None for other URLs and in-memory SQLite.

    Examples
    --------
    >>> sqlite_path("sqlite:///plant.db"), sqlite_path("sqlite://"), sqlite_path("memory://")
    (PosixPath('plant.db'), None, None)

    """
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite" or not rest.startswith("/"):
        return None
    name = rest[1:].split("?", 1)[0]
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _prog() -> str:
    from qualityflow.cli._output import prog

    return prog()


def _check_url(database_url: str, source: str) -> None:
    scheme, sep, _rest = database_url.partition("://")
    if not sep or not scheme:
        raise fail(
            "bad_input",
            _("{source} {url!r} is not a database URL").format(
                source=source_text(source), url=database_url
            ),
            _(
                "use memory://, sqlite:///file.db, postgresql://user@host/db or "
                "mysql://user@host/db"
            ),
        )


def require_database(database_url: str, db: str | None, hint: str | None = None) -> None:
    """Stop with "not found" (exit 3) when the SQLite file a command reads does not exist.

    The message names the absolute path and where the URL came from (``--db``,
    ``$QUALITYFLOW_URL`` or the default); ``hint`` replaces the default advice.
    """
    path = sqlite_path(database_url)
    if path is None or path.exists():
        return
    source = url_source(db)[1]
    described = f"{database_url} ({source_text(source)})"
    raise fail(
        "not_found",
        _("no database at {path} (looked for {described}); nothing to read").format(
            path=path.resolve(), described=described
        ),
        hint
        or _(
            "give --db URL or set QUALITYFLOW_URL; the demo command or import-epcis "
            "creates a database, e.g. {command}"
        ).format(command=f"{_prog()} demo --db {database_url}"),
    )


def require_writable(database_url: str, db: str | None) -> None:
    """Stop with "storage" (exit 4) when a command that writes cannot write the SQLite file.

    A missing directory, a directory that cannot be written (for a new file), or a file or
    directory that is read-only: each named with the absolute path.
    """
    path = sqlite_path(database_url)
    if path is None:
        return
    source_key = url_source(db)[1]
    source = source_text(source_key)
    directory = path.resolve().parent
    if not directory.is_dir():
        raise fail(
            "storage",
            _("cannot create the database {path}: directory {directory} does not exist").format(
                path=path, directory=directory
            ),
            _("create the directory first or give another --db"),
        )
    if not path.exists() and not os.access(directory, os.W_OK):
        raise fail(
            "storage",
            _(
                "cannot create the database {path} ({source}): its directory cannot be written"
            ).format(path=path.resolve(), source=source),
            _("give --db a file in a writable directory"),
        )
    if path.exists() and not (os.access(path, os.W_OK) and os.access(directory, os.W_OK)):
        template = (
            _(
                "the database {path} ({source}) is read-only (the file cannot be written) "
                "and this command changes data"
            )
            if not os.access(path, os.W_OK)
            else _(
                "the database {path} ({source}) is read-only (its directory cannot be "
                "written) and this command changes data"
            )
        )
        raise fail(
            "storage", template.format(path=path.resolve(), source=source), _(READ_ONLY_HINT)
        )


def open_service(db: str | None, *, write: bool, plugins: Sequence[object] = ()) -> QualityFlow:
    """Open the service on the command's database; see the module docstring."""
    from qualityflow.errors import StorageError
    from qualityflow.service import QualityFlow

    database_url, source = url_source(db)
    _check_url(database_url, source)
    path = sqlite_path(database_url)
    described = f"{database_url} ({source_text(source)})"
    source = source_text(source)
    if path is not None and not write:
        require_database(database_url, db)
        readonly = _ReadOnlySQLite(database_url, path)
        try:
            return QualityFlow(
                f"{_READONLY_SCHEME}://", plugins=[readonly, *plugins], **service_people()
            )
        except StorageError as exc:
            raise fail(
                "storage",
                _("cannot read {described}: {error}").format(described=described, error=exc),
                _(
                    "is it a qualityflow database of this version? "
                    "a read-only file needs the schema created by a writing command first"
                ),
            ) from None
    if path is not None and write:
        require_writable(database_url, db)
    try:
        return QualityFlow(database_url, plugins=plugins, **service_people())
    except StorageError as exc:
        if path is None:
            raise
        raise fail(
            "storage",
            _("cannot write the database {path} ({source}): {error}").format(
                path=path.resolve(), source=source, error=exc
            ),
            _("the file or its directory may be read-only: {hint}").format(hint=_(READ_ONLY_HINT)),
        ) from None


class _ReadOnlySQLite:
    """A storage plugin opening one SQLite file read-only (never creating or changing it).

    The connection uses ``mode=ro``; in a directory that cannot be written, without a
    ``-wal`` file left by a writer, it also uses ``immutable=1`` (nothing to lock).
    """

    def __init__(self, database_url: str, path: Path) -> None:
        self.database_url = database_url
        self.path = path.resolve()

    @hookimpl
    def qualityflow_register_storage(self, register: Callable[[str, Any], None]) -> None:
        """Register the read-only scheme."""
        register(_READONLY_SCHEME, self._factory)

    def _factory(self, _url: str) -> Any:
        from sqlalchemy import event

        from qualityflow.storage.sql import SQLStorage

        engine = readonly_engine(self.path)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # BEGIN is issued below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")  # deferred: a reader takes no write lock

        return SQLStorage(self.database_url, engine)


def readonly_engine(path: Path) -> Any:
    """Return an SQLAlchemy engine whose connections open ``path`` read-only."""
    import sqlalchemy as sa

    return sa.create_engine("sqlite://", creator=lambda: _connect_readonly(path))


def _connect_readonly(path: Path) -> Any:
    """Open ``path`` read-only (immutable in a directory that cannot be written).

    In a read-only directory SQLite cannot keep its WAL index; with no ``-wal`` file left
    by a writer, the file is then opened immutable.
    """
    import sqlite3

    target = f"file:{quote(str(path))}?mode=ro"
    conn = sqlite3.connect(target, uri=True, timeout=30, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        if path.with_name(path.name + "-wal").exists():
            raise
        conn = sqlite3.connect(
            f"{target}&immutable=1", uri=True, timeout=30, check_same_thread=False
        )
    return conn


def writable_service(db: str | None) -> QualityFlow | None:
    """Return the service opened for writing, or None when its SQLite file is read-only.

    For commands that write only incidentally (``overdue`` notifies): they fall back to
    ``open_service(db, write=False)``. Other URLs always open for writing.
    """
    from qualityflow.errors import StorageError
    from qualityflow.service import QualityFlow

    database_url, source = url_source(db)
    _check_url(database_url, source)
    path = sqlite_path(database_url)
    if path is None:
        return QualityFlow(database_url, **service_people())
    if not path.exists():
        return None
    if not (os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)):
        return None
    try:
        return QualityFlow(database_url, **service_people())
    except StorageError:
        return None
