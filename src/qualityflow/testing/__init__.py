"""Test helpers shipped with qualityflow: the conformance suite, fixtures, server helpers.

A storage backend (built-in or third-party) proves itself by subclassing
:class:`StorageConformance` and saying how to make a fresh backend::

    from qualityflow.testing import StorageConformance

    class TestMyBackend(StorageConformance):
        def make_storage(self):
            return MyStorage("mine://...")

Applications get ready-made pytest fixtures (``qf_plant``, ``qf_service``,
``qf_memory_service``, ``qf_clock``) from :mod:`qualityflow.testing.fixtures`, which pytest
loads by itself once qualityflow is installed.

The names below are imported on first use, so that the pytest plugin stays cheap to load;
:class:`StorageConformance` needs pytest and hypothesis, the server helpers SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qualityflow.testing.fixtures import Clock
    from qualityflow.testing.plants import (
        emergency_team,
        example_genealogy,
        verified_information,
    )
    from qualityflow.testing.servers import (
        MYSQL_ENV,
        POSTGRESQL_ENV,
        server_url,
        temporary_database,
    )
    from qualityflow.testing.storage import StorageConformance

__all__ = [
    "MYSQL_ENV",
    "POSTGRESQL_ENV",
    "Clock",
    "StorageConformance",
    "emergency_team",
    "example_genealogy",
    "server_url",
    "temporary_database",
    "verified_information",
]

_HOMES = {
    "MYSQL_ENV": "servers",
    "POSTGRESQL_ENV": "servers",
    "server_url": "servers",
    "temporary_database": "servers",
    "StorageConformance": "storage",
    "Clock": "fixtures",
    "emergency_team": "plants",
    "example_genealogy": "plants",
    "verified_information": "plants",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qualityflow.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qualityflow.testing.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
