"""Storage: the :class:`Storage` contract and the built-in backends.

Backends are chosen by URL scheme and registered through the
``qualityflow_register_storage`` hook, the built-ins included (see :data:`builtin`):
``memory://``, ``sqlite:///path.db``, ``postgresql://...`` and ``mysql://...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from qualityflow.plugins import hookimpl
from qualityflow.storage.base import (
    ENTITY_KINDS,
    INDEXED_FIELDS,
    SCHEMA_VERSION,
    AuditSnapshot,
    BulkStorage,
    DeliveredStorage,
    Delivery,
    Direction,
    Edge,
    Entity,
    Found,
    IncrementalStorage,
    LedgerEntry,
    LedgerStorage,
    ListingStorage,
    OutboxEntry,
    Storage,
    check_scheme_available,
    kind_of,
    mask_url,
    model_for,
)
from qualityflow.storage.memory import MemoryStorage

if TYPE_CHECKING:
    from qualityflow.storage.sql import SQLStorage

__all__ = [
    "ENTITY_KINDS",
    "INDEXED_FIELDS",
    "SCHEMA_VERSION",
    "AuditSnapshot",
    "BuiltinStorage",
    "BulkStorage",
    "Delivery",
    "Direction",
    "Edge",
    "Entity",
    "DeliveredStorage",
    "IncrementalStorage",
    "Found",
    "LedgerEntry",
    "LedgerStorage",
    "ListingStorage",
    "MemoryStorage",
    "OutboxEntry",
    "SQLStorage",
    "Storage",
    "builtin",
    "kind_of",
    "mask_url",
    "model_for",
    "mysql_storage",
    "open_storage",
    "postgresql_storage",
    "sqlite_storage",
]


class BuiltinStorage:
    """The built-in backends, registered last so that plugins can replace them."""

    name = "qualityflow.storage"

    @hookimpl(trylast=True)
    def qualityflow_register_storage(
        self, register: Callable[[str, Callable[[str], Any]], None]
    ) -> None:
        """Register ``memory``, ``sqlite``, ``postgresql`` and ``mysql``."""
        register("memory", MemoryStorage)
        register("sqlite", sqlite_storage)
        register("postgresql", postgresql_storage)
        register("postgres", postgresql_storage)
        register("mysql", mysql_storage)
        register("mariadb", mysql_storage)


def sqlite_storage(url: str) -> SQLStorage:
    """Open ``sqlite:///path`` (see :func:`qualityflow.storage.sql.sqlite_storage`)."""
    from qualityflow.storage import sql  # SQLAlchemy is imported on first use only

    return sql.sqlite_storage(url)


def postgresql_storage(url: str) -> SQLStorage:
    """Open ``postgresql://...`` (see :func:`qualityflow.storage.sql.postgresql_storage`)."""
    from qualityflow.storage import sql

    return sql.postgresql_storage(url)


def mysql_storage(url: str) -> SQLStorage:
    """Open ``mysql://...`` (see :func:`qualityflow.storage.sql.mysql_storage`)."""
    from qualityflow.storage import sql

    return sql.mysql_storage(url)


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from qualityflow.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


builtin = BuiltinStorage()
"""The plugin object the service registers among its built-ins."""


def open_storage(url: str, factories: Mapping[str, Callable[[str], Any]]) -> Storage:
    """Open the backend for ``url`` from the registered ``factories``.

    The scheme is what precedes ``://`` (a ``+driver`` suffix is ignored for the lookup,
    so ``postgresql+psycopg://`` works). An unknown scheme is a StorageError naming it and
    the installed schemes.

    Examples
    --------
    >>> store = open_storage("memory://", {"memory": MemoryStorage})
    >>> store.url
    'memory://'

    """
    scheme, sep, _ = url.partition("://")
    if not sep:
        check_scheme_available(url, factories, url)
    base = scheme.split("+", 1)[0].lower()
    factory = factories.get(base)
    if factory is None:
        check_scheme_available(base, factories, url)
        raise AssertionError("unreachable")  # pragma: no cover
    store = factory(url)
    if not isinstance(store, Storage):
        from qualityflow.errors import StorageError

        raise StorageError(
            f"the factory registered for {base!r} returned {type(store).__name__}, "
            "which does not implement qualityflow.storage.Storage"
        )
    return store
