"""Every storage backend passes the conformance suite; SQL specifics on top."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

import qualityflow as qf
from qualityflow.storage import SCHEMA_VERSION, MemoryStorage, SQLStorage, Storage, open_storage
from qualityflow.storage.sql import (
    meta_table,
    metadata,
    mysql_storage,
    postgresql_storage,
    sqlite_storage,
)
from qualityflow.testing import (
    MYSQL_ENV,
    POSTGRESQL_ENV,
    StorageConformance,
    server_url,
    temporary_database,
)


def _server_database(env: str, label: str) -> Iterator[str]:
    url = server_url(env)
    try:
        with temporary_database(url) as database_url:
            yield database_url
    except ConnectionError as exc:
        pytest.skip(f"{label} tests skipped ({env} or its default): {exc}")


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    yield from _server_database(POSTGRESQL_ENV, "PostgreSQL")


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[str]:
    yield from _server_database(MYSQL_ENV, "MySQL/MariaDB")


def _make(url: str) -> Storage:
    factories: dict[str, Callable[[str], Storage]] = {
        "memory": MemoryStorage,
        "sqlite": sqlite_storage,
        "postgresql": postgresql_storage,
        "mysql": mysql_storage,
    }
    return open_storage(url, factories)


class TestMemoryStorage(StorageConformance):
    def make_storage(self) -> Storage:
        return MemoryStorage()


class TestSQLiteStorage(StorageConformance):
    @pytest.fixture(autouse=True)
    def _database_file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "biscuit-plant.db"

    def make_storage(self) -> Storage:
        return sqlite_storage(f"sqlite:///{self.path}")


class _ServerStorage(StorageConformance):
    url = ""

    def make_storage(self) -> Storage:
        return _make(self.url)

    def destroy_storage(self, storage: Storage) -> None:
        # Empty the tables (the run's database is dropped at the end of the session).
        assert isinstance(storage, SQLStorage)
        with storage.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table is not meta_table:
                    conn.execute(table.delete())
        storage.close()


@pytest.mark.postgresql
class TestPostgreSQLStorage(_ServerStorage):
    @pytest.fixture(autouse=True)
    def _database(self, postgresql_database: str) -> None:
        self.url = postgresql_database


@pytest.mark.mysql
class TestMariaDBStorage(_ServerStorage):
    @pytest.fixture(autouse=True)
    def _database(self, mysql_database: str) -> None:
        self.url = mysql_database


# -- what is specific to the SQL backends ------------------------------------------------


def test_sqlite_file_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = sqlite_storage(f"sqlite:///{tmp_path / 'mill.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    store.close()


def test_schema_is_created_on_first_use_with_its_version(tmp_path: Path) -> None:
    path = tmp_path / "tissue-mill.db"
    store = sqlite_storage(f"sqlite:///{path}")
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    tables = {
        row[0]
        for row in sqlite3.connect(path).execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {"qf_meta", "qf_entities", "qf_edges", "qf_outbox"} <= tables


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    store = sqlite_storage(url)
    with store.engine.begin() as conn:
        conn.execute(
            meta_table.update().where(meta_table.c.key == "schema_version").values(value="99")
        )
    store.close()
    with pytest.raises(qf.StorageError, match="schema version 99"):
        sqlite_storage(url)


def test_driver_errors_become_storage_errors_with_the_password_masked() -> None:
    url = "postgresql://qms:Tr0ub4dor@127.0.0.1:1/qms?connect_timeout=1"
    with pytest.raises(qf.StorageError) as caught:
        _make(url)
    message = str(caught.value)
    assert "Tr0ub4dor" not in message
    assert "qms:***@127.0.0.1:1" in message


def test_mysql_errors_mask_the_password_too() -> None:
    with pytest.raises(qf.StorageError) as caught:
        _make("mysql://root:Sup3rSecret@127.0.0.1:1/qms?connect_timeout=1")
    assert "Sup3rSecret" not in str(caught.value)
    assert "root:***@127.0.0.1:1" in str(caught.value)


@pytest.mark.postgresql
def test_the_storage_url_never_shows_the_password(postgresql_database: str) -> None:
    # the project's server trusts local connections, so any password gets in
    with_password = postgresql_database.replace("postgres@", "postgres:Pl4ntSecret@", 1)
    store = _make(with_password)
    try:
        assert "Pl4ntSecret" not in store.url
        assert "postgres:***@" in store.url
        assert "Pl4ntSecret" not in repr(qf.QualityFlow(with_password, load_entry_points=False))
    finally:
        store.close()


def test_a_broken_sqlite_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(qf.StorageError, match="sqlite"):
        sqlite_storage(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")


def test_an_unknown_scheme_names_it_and_the_installed_ones() -> None:
    with pytest.raises(qf.StorageError) as caught:
        open_storage("mongodb://qms@127.0.0.1/qms", {"memory": MemoryStorage})
    assert "'mongodb'" in str(caught.value)
    assert "installed: memory" in str(caught.value)


def test_sqlite_rows_carry_the_indexed_columns(tmp_path: Path) -> None:
    store = sqlite_storage(f"sqlite:///{tmp_path / 'toys.db'}")
    store.add(
        qf.Batch(
            id="TEDDY-0917",
            kind="finished",
            product="plush bear",
            quantity=qf.Quantity(amount=500, unit="pcs"),
            status="on_hold",
        )
    )
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("select kind, id, status, version from qf_entities")).one()
    assert tuple(row) == ("batch", "TEDDY-0917", "on_hold", 1)
    store.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_retain_room_and_training_records_are_stored_like_any_entity(
    backend: str, tmp_path: Path
) -> None:
    """The prevention kinds share the entity table: no schema change, same versioning."""
    from datetime import datetime, timezone

    from qualityflow.storage import ENTITY_KINDS, kind_of

    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    records = [
        qf.RetainedSample(
            id="RS-BISC-40",
            batch_id="BISC-40",
            location="retain room B, shelf 3",
            taken_at=at,
            retain_until=at.replace(month=9),
            quantity=qf.Quantity(amount=6, unit="pack"),
        ),
        qf.TrainingRequirement(action_id="CA-1", procedure="SOP-03 rev D", people=["Ravi"]),
        qf.TrainingRecord(person="Ravi", procedure="SOP-03 rev D", at=at, trainer="QA Lena"),
    ]
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'plant.db'}"
    storage = _make(url)
    try:
        for record in records:
            kind = kind_of(record)
            assert ENTITY_KINDS[kind] is type(record)
            stored = storage.add(record)
            assert stored.version == 1
            assert storage.get(kind, record.id) == stored
            assert storage.list(kind, status=None) == [stored]
            assert storage.save(stored).version == 2
        if isinstance(storage, SQLStorage):
            assert storage.schema_version() == SCHEMA_VERSION == 4
    finally:
        storage.close()


def test_a_fire_checks_out_one_connection_for_its_change_and_delivery_record(
    tmp_path: Path,
) -> None:
    # A noodle plant's incident assessed, with a notifier that reaches outside (a pager):
    # the change and the delivery record commit in their own transactions, on a single
    # connection taken from the pool once. (With only the built-in log, one commit: see
    # tests/test_outbox_commits.py.)
    class Pager:
        qualityflow_name = "test.pager"

        @qf.hookimpl
        def qualityflow_notify(self, notification: qf.Notification) -> None:
            pass

    url = f"sqlite:///{tmp_path / 'noodles.db'}"
    with qf.QualityFlow(url, plugins=[Pager()], load_entry_points=False) as qms:
        t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
        qms.incidents.add(
            qf.Incident(
                id="INC-NOODLE-3", title="Foreign body in noodles", severity="minor", reported_at=t0
            )
        )
        storage = qms.storage
        assert isinstance(storage, SQLStorage)
        checkouts: list[object] = []
        sa.event.listen(storage.engine, "checkout", lambda *args: checkouts.append(args[0]))
        commits: list[object] = []
        sa.event.listen(storage.engine, "commit", lambda conn: commits.append(conn))
        saved = qms.incidents.fire(
            "INC-NOODLE-3",
            "assess",
            actor="Li Na",
            at=t0,
            team=qf.EmergencyTeam(
                leader=qf.TeamMember(name="Li Na", role="leader", department="quality")
            ),
            assessment=qf.ImpactAssessment(severity="minor", risk="choking"),
        )
        assert len(checkouts) == 1
        assert len(commits) == 2  # the change + outbox, then the delivery record
        assert saved.version == 2
        [entry] = storage.outbox(pending_only=False)
        assert entry.delivered and entry.deliveries["notify.logging"].ok
        assert entry.deliveries["test.pager"].ok


def test_transactions_in_a_session_commit_or_roll_back_each_on_their_own(
    tmp_path: Path,
) -> None:
    storage = sqlite_storage(f"sqlite:///{tmp_path / 'tissue-mill.db'}")
    lot = qf.Batch(
        id="PULP-88",
        kind="raw_material",
        product="bleached pulp",
        quantity=qf.Quantity(amount=20, unit="t"),
    )
    try:
        with storage.session():
            stored = storage.add(lot)
            with pytest.raises(qf.ConcurrencyError), storage.transaction():
                storage.save(stored)
                storage.save(stored)  # stale: the first save moved it to version 2
            # the refused transaction changed nothing; the earlier one stays committed
            assert storage.get("batch", "PULP-88").version == 1
            with storage.transaction():
                storage.save(stored)
        other = sqlite_storage(f"sqlite:///{tmp_path / 'tissue-mill.db'}")
        try:
            assert other.get("batch", "PULP-88").version == 2
        finally:
            other.close()
    finally:
        storage.close()
