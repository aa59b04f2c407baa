"""Shared fixtures: a small biscuit plant any test can use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings

import qualityflow as qf
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

# CI runs the same examples every time (a landing must not depend on luck) and has no
# per-example deadline (the machine is shared); developers' runs keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)

BACKENDS = ("memory", "sqlite", "postgresql", "mysql")
_SERVER_ENV = {"postgresql": POSTGRESQL_ENV, "mysql": MYSQL_ENV}


def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    name = request.param
    if name == "memory":
        yield "memory://"
    elif name == "sqlite":
        yield f"sqlite:///{tmp_path / 'plant.db'}"
    else:
        try:
            with temporary_database(server_url(_SERVER_ENV[name])) as database_url:
                yield database_url
        except ConnectionError as exc:
            pytest.skip(f"{name} tests skipped ({_SERVER_ENV[name]} or its default): {exc}")


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend: memory, a SQLite file, PostgreSQL, MariaDB.

    The servers get a temporary database each, dropped afterwards; a server that does not
    answer skips the test, naming the variable that points at it.
    """
    yield from _backend(request, tmp_path)


@pytest.fixture(params=BACKENDS[1:])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """As :func:`backend_url`, for the backends several instances can share (not memory)."""
    yield from _backend(request, tmp_path)


@pytest.fixture
def t0() -> datetime:
    """Monday 06:00 UTC, the start of the plant's week."""
    return T0


@pytest.fixture
def flour_mill() -> qf.Supplier:
    return qf.Supplier(id="SUP-MILL", name="Northfield Mill", materials=["wheat flour"])


@pytest.fixture
def flour_lot() -> qf.Batch:
    return qf.Batch(
        id="FLOUR-0412",
        kind="raw_material",
        product="wheat flour",
        quantity=qf.Quantity(amount=1000, unit="kg"),
        supplier_id="SUP-MILL",
    )


@pytest.fixture
def biscuit_batch() -> qf.Batch:
    return qf.Batch(
        id="BISC-0301",
        kind="finished",
        product="butter biscuits 200 g",
        quantity=qf.Quantity(amount=4000, unit="pack"),
        line="L2",
        produced_at=T0,
    )
