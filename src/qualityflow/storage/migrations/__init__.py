"""Schema migrations of the SQL backends (Alembic, shipped in the package).

Each revision in ``versions/`` takes the schema one step; ``alembic_version`` records the
revision a database is at, and ``qf_meta``'s ``schema_version`` is kept in step (revision
*n* of :data:`REVISIONS` is schema version *n*). A database made by qualityflow 0.1.0 has
``schema_version`` 1 and no ``alembic_version`` table: it is taken as the base revision.

Opening a database whose schema is older than the library raises a
:class:`~qualityflow.errors.StorageError` naming ``qualityflow db upgrade --db URL`` and
writes nothing; :func:`upgrade` (and ``QualityFlow(url, upgrade=True)``) migrates it. A new,
empty database is created at :data:`HEAD` directly, without running the revisions.

This module imports nothing of Alembic until a migration actually runs, so opening a
database at the head costs no Alembic import.

>>> HEAD == REVISIONS[-1]
True
>>> schema_version_of("0001")
1
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "HEAD",
    "REVISIONS",
    "SQL_SCHEMES",
    "UpgradeResult",
    "current",
    "is_sql_url",
    "schema_version_of",
    "upgrade",
]

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004")
"""The revision ids in order, oldest first (``versions/<id>_*.py``).

A new revision appends its id here and in its file sets ``down_revision`` to the previous
one; ``tests/test_migrations.py`` checks that this list is Alembic's history.
"""

HEAD: str = REVISIONS[-1]
"""The revision this qualityflow writes and reads."""

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "postgres", "mysql", "mariadb"})
"""The URL schemes of the built-in SQL backends, which these migrations serve."""


def is_sql_url(url: str) -> bool:
    """Whether ``url`` names a built-in SQL backend (``+driver`` ignored).

    >>> is_sql_url("postgresql+psycopg://db/qms"), is_sql_url("memory://")
    (True, False)
    """
    return url.partition("://")[0].split("+", 1)[0].lower() in SQL_SCHEMES


SCRIPT_LOCATION = Path(__file__).resolve().parent
"""The directory holding ``env.py`` and ``versions/``."""


def schema_version_of(revision: str) -> int:
    """Return the ``qf_meta`` schema version of ``revision`` (its 1-based position)."""
    return REVISIONS.index(revision) + 1


def alembic_config(connection: Connection) -> Config:
    """Return an Alembic config whose ``env.py`` migrates ``connection``.

    The caller owns the transaction: ``env.py`` runs every pending revision in it.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def run_upgrade(connection: Connection, stored: str | None) -> None:
    """Take ``connection``'s database from revision ``stored`` to :data:`HEAD`.

    A database without ``alembic_version`` (0.1.0, or a development database of 0.2 made
    before migrations existed) is stamped ``stored`` first; ``None`` runs every revision
    from the base (an empty database).
    """
    import sqlalchemy as sa
    from alembic import command

    from qualityflow.storage.sql import alembic_version_table

    if not sa.inspect(connection).has_table("alembic_version"):
        alembic_version_table.create(connection)
        if stored is not None:
            connection.execute(alembic_version_table.insert().values(version_num=stored))
    command.upgrade(alembic_config(connection), "head")


class UpgradeResult:
    """What :func:`upgrade` did: the revision before (``None``: a new database) and after."""

    def __init__(self, before: str | None, after: str) -> None:
        self.before = before
        self.after = after

    @property
    def changed(self) -> bool:
        """Whether any revision ran (or the schema was created)."""
        return self.before != self.after

    def __repr__(self) -> str:
        return f"UpgradeResult(before={self.before!r}, after={self.after!r})"


def upgrade(url: str) -> UpgradeResult:
    """Upgrade the SQL database at ``url`` to :data:`HEAD` (a no-op when it is there).

    SQLite and PostgreSQL run every pending revision in one transaction (all or nothing);
    MySQL/MariaDB commit each DDL statement on their own, so a failed upgrade there is
    resumed by running it again (each revision checks what is already done).
    """
    from qualityflow.storage.sql import open_sql_storage

    store = open_sql_storage(url, upgrade=True)
    try:
        before = store.opened_at_revision
    finally:
        store.close()
    return UpgradeResult(before, HEAD)


def current(url: str, *, engine: Engine | None = None) -> str | None:
    """Return the revision of the database at ``url`` without changing anything.

    ``None`` for a database without qualityflow tables; a revision not in
    :data:`REVISIONS` (``"schema_version N"`` when only ``qf_meta`` says so) comes from a
    newer qualityflow. ``engine`` (default: one made from ``url``) lets a caller read
    through a connection of its own, e.g. a read-only one to a SQLite file.
    """
    from qualityflow.storage.sql import sql_engine, stored_revision

    engine = engine if engine is not None else sql_engine(url)
    try:
        with engine.connect() as conn:
            return stored_revision(conn)
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        from qualityflow.errors import StorageError
        from qualityflow.storage.base import mask_url

        if isinstance(exc, SQLAlchemyError):
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            secret = engine.url.password
            if secret:
                detail = detail.replace(str(secret), "***")
            raise StorageError(f"storage {mask_url(url)}: {type(exc).__name__}: {detail}") from exc
        raise
    finally:
        engine.dispose()
