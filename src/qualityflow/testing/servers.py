"""Database servers for tests: find them, or skip with a reason; one database per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from qualityflow.storage.base import mask_url

__all__ = ["DEFAULT_URLS", "MYSQL_ENV", "POSTGRESQL_ENV", "server_url", "temporary_database"]

POSTGRESQL_ENV = "QUALITYFLOW_TEST_POSTGRESQL_URL"
"""Environment variable naming the PostgreSQL server tests use."""
MYSQL_ENV = "QUALITYFLOW_TEST_MYSQL_URL"
"""Environment variable naming the MySQL/MariaDB server tests use."""

DEFAULT_URLS = {
    POSTGRESQL_ENV: "postgresql://postgres@127.0.0.1:5432/test",
    MYSQL_ENV: "mysql://root@127.0.0.1:3306/test",
}
"""Where the project's machines run the servers when the variables are unset."""

_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


def server_url(env: str) -> str:
    """Return the server URL from ``env``, or the project's default for it.

    Examples
    --------
    >>> server_url(POSTGRESQL_ENV).split("://")[0]
    'postgresql'

    """
    return os.environ.get(env) or DEFAULT_URLS.get(env, "")


def _driver_url(url: str) -> sa.URL:
    parsed = make_url(url)
    base = parsed.drivername.split("+", 1)[0]
    return parsed.set(drivername=_DRIVERS.get(base, parsed.drivername))


@contextmanager
def temporary_database(url: str) -> Iterator[str]:
    """Create a uniquely named database on the server at ``url``; drop it afterwards.

    Yields the storage URL of the new database. Raises :class:`ConnectionError` (with the
    password masked) when the server does not answer, so a test can skip with that reason.
    """
    admin_url = _driver_url(url)
    connect_args = {"connect_timeout": 3}
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args=connect_args)
    name = f"qf_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:
        engine.dispose()
        raise ConnectionError(
            f"database server at {mask_url(url)} does not answer or refuses to create a "
            f"database: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        ) from exc
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            if admin_url.get_backend_name() == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()
