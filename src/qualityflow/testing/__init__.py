"""Test helpers shipped with qualityflow: the storage conformance suite and server helpers.

A storage backend (built-in or third-party) proves itself by subclassing
:class:`StorageConformance` and saying how to make a fresh backend::

    from qualityflow.testing import StorageConformance

    class TestMyBackend(StorageConformance):
        def make_storage(self):
            return MyStorage("mine://...")

Importing this module needs pytest (and hypothesis for the property tests).
"""

from __future__ import annotations

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
    "StorageConformance",
    "server_url",
    "temporary_database",
]
