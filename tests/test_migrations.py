"""Schema migrations: a database made by qualityflow 0.1.0, upgraded on every SQL server.

The 0.1.0 database is built here from the 0.1.0 schema (the tables as commit ca985a6's
``storage/sql.py`` declared them, written out below, not imported from the new code) and
the rows its demo stored (``tests/data/qf010_demo.json``, read back from a SQLite file the
0.1.0 code wrote: 4 suppliers, 14 lots, 8 shipments, 5 inspections, complaint CMP-17 and
incident INC-5 closed with its six steps, 27 edges, 13 outbox rows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from typer.testing import CliRunner

import qualityflow as qf
from qualityflow.cli.db import db_app
from qualityflow.lifecycle.audit import verify_history
from qualityflow.storage import migrations
from qualityflow.storage.sql import sqlite_storage
from qualityflow.testing import MYSQL_ENV, POSTGRESQL_ENV, server_url, temporary_database

FIXTURE = Path(__file__).parent / "data" / "qf010_demo.json"
ROWS: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
runner = CliRunner()

# ---- the 0.1.0 schema (ca985a6:src/qualityflow/storage/sql.py) -----------------------------
_LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
OLD = sa.MetaData()
old_meta = sa.Table(
    "qf_meta",
    OLD,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)
old_entities = sa.Table(
    "qf_entities",
    OLD,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(32), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", _LongText, nullable=False),
    sa.Index("ix_qf_entities_kind_status", "kind", "status"),
)
old_edges = sa.Table(
    "qf_edges",
    OLD,
    sa.Column("input_id", sa.String(255), primary_key=True),
    sa.Column("output_id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("quantity", sa.Text, nullable=True),
    sa.Column("override", sa.Text, nullable=True),
    sa.Index("ix_qf_edges_output", "output_id", "input_id"),
)
old_outbox = sa.Table(
    "qf_outbox",
    OLD,
    sa.Column("seq", sa.Integer, sa.Identity(), primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(255), nullable=True, unique=True),
    sa.Column("subject_kind", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(255), nullable=False),
    sa.Column("notification", _LongText, nullable=False),
    sa.Column("deliveries", sa.Text, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Index("ix_qf_outbox_delivered", "delivered", "seq"),
)


def _driver(url: str) -> str:
    if url.startswith("postgresql://"):
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    if url.startswith("mysql://"):
        return url.replace("mysql://", "mysql+pymysql://", 1) + "?charset=utf8mb4"
    return url


def write_0_1_0_database(url: str) -> None:
    """Create the 0.1.0 tables at ``url`` and store the 0.1.0 demo's rows in them."""
    engine = sa.create_engine(_driver(url))
    try:
        with engine.begin() as conn:
            OLD.create_all(conn)
            conn.execute(old_meta.insert(), [dict(key=k, value=v) for k, v in ROWS["qf_meta"]])
            conn.execute(
                old_entities.insert(),
                [
                    dict(kind=k, id=i, status=s, version=v, data=d)
                    for k, i, s, v, d in ROWS["qf_entities"]
                ],
            )
            conn.execute(
                old_edges.insert(),
                [
                    dict(input_id=i, output_id=o, kind=k, quantity=q, override=ov)
                    for i, o, k, q, ov in ROWS["qf_edges"]
                ],
            )
            conn.execute(
                old_outbox.insert(),
                [
                    dict(
                        seq=s,
                        key=k,
                        subject_kind=sk,
                        subject_id=si,
                        notification=n,
                        deliveries=d,
                        delivered=dl,
                    )
                    for s, k, sk, si, n, d, dl in ROWS["qf_outbox"]
                ],
            )
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, Any]:
    """Every table's rows (sorted) and columns: what a refused open must leave alone."""
    engine = sa.create_engine(_driver(url))
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            out: dict[str, Any] = {}
            for name in sorted(inspector.get_table_names()):
                columns = [(c["name"], str(c["type"])) for c in inspector.get_columns(name)]
                rows = sorted(
                    (
                        tuple(str(v) for v in row)
                        for row in conn.execute(sa.text(f"SELECT * FROM {name}"))
                    ),
                )
                out[name] = (columns, rows)
            return out
    finally:
        engine.dispose()


_ENV = {"postgresql": POSTGRESQL_ENV, "mysql": MYSQL_ENV}


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database holding what qualityflow 0.1.0 stored."""
    name: str = request.param
    if name == "sqlite":
        url = f"sqlite:///{tmp_path / 'plant-0.1.0.db'}"
        write_0_1_0_database(url)
        yield url
        return
    try:
        with temporary_database(server_url(_ENV[name])) as database_url:
            write_0_1_0_database(database_url)
            yield database_url
    except ConnectionError as exc:
        pytest.skip(f"{name} server not available: {exc}")


def _sqlite_old(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'plant-0.1.0.db'}"
    write_0_1_0_database(url)
    return url


# ---- the revisions -----------------------------------------------------------------------


def test_the_revision_list_is_alembics_history() -> None:
    from alembic.script import ScriptDirectory

    from qualityflow.storage.sql import meta_table

    script = ScriptDirectory(str(migrations.SCRIPT_LOCATION))
    walked = [rev.revision for rev in script.walk_revisions("base", "heads")]
    assert tuple(reversed(walked)) == migrations.REVISIONS
    assert script.get_heads() == [migrations.HEAD]
    assert migrations.schema_version_of(migrations.HEAD) == qf.storage.SCHEMA_VERSION
    assert meta_table.name == "qf_meta"


def test_a_new_database_is_created_at_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    store = sqlite_storage(url)
    assert store.opened_at_revision is None
    assert store.revision() == migrations.HEAD
    assert store.schema_version() == qf.storage.SCHEMA_VERSION
    store.close()
    result = runner.invoke(db_app, ["current", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{migrations.HEAD} (schema version 4) (head)"


def test_running_every_revision_on_an_empty_database_gives_the_created_schema(
    tmp_path: Path,
) -> None:
    created = f"sqlite:///{tmp_path / 'created.db'}"
    sqlite_storage(created).close()
    migrated = f"sqlite:///{tmp_path / 'migrated.db'}"
    engine = sa.create_engine(migrated)
    try:
        with engine.begin() as conn:
            migrations.run_upgrade(conn, None)  # every revision, from the base
    finally:
        engine.dispose()

    def shape(url: str) -> dict[str, Any]:
        return {name: columns for name, (columns, _) in dump(url).items()}

    migrated_shape, created_shape = shape(migrated), shape(created)
    # SQLite does not enforce VARCHAR lengths, so 0002 leaves the outbox key's declared
    # VARCHAR(255) alone there (PostgreSQL and MariaDB narrow it to 64).
    assert ("key", "VARCHAR(255)") in migrated_shape["qf_outbox"]
    migrated_shape["qf_outbox"] = [
        ("key", "VARCHAR(64)") if c == ("key", "VARCHAR(255)") else c
        for c in migrated_shape["qf_outbox"]
    ]
    assert migrated_shape == created_shape
    store = sqlite_storage(migrated)
    assert store.revision() == migrations.HEAD
    assert store.schema_version() == qf.storage.SCHEMA_VERSION
    store.close()


# ---- a 0.1.0 database ------------------------------------------------------------------------


def test_opening_a_0_1_0_database_is_refused_naming_the_command_and_changes_nothing(
    old_url: str,
) -> None:
    before = dump(old_url)
    with pytest.raises(qf.StorageError, match="qualityflow db upgrade --db") as refused:
        qf.QualityFlow(old_url, load_entry_points=False)
    message = str(refused.value)
    assert "schema version 1" in message and "nothing was changed" in message
    assert dump(old_url) == before
    result = runner.invoke(db_app, ["current", "--db", old_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0001 (schema version 1) (older than the head 0004")


def test_the_refusal_masks_the_password() -> None:
    try:
        with temporary_database(server_url(POSTGRESQL_ENV)) as database_url:
            write_0_1_0_database(database_url)
            secret = sa.engine.make_url(database_url).set(password="s3cret-pw")
            with_password = secret.render_as_string(hide_password=False)
            with pytest.raises(qf.StorageError) as refused:
                qf.QualityFlow(with_password, load_entry_points=False)
    except ConnectionError as exc:
        pytest.skip(f"postgresql server not available: {exc}")
    message = str(refused.value)
    if "password authentication failed" in message:
        pytest.skip("the server checks passwords; the trust-auth test server does not")
    assert "s3cret-pw" not in message
    assert "qualityflow db upgrade --db postgresql://postgres:***@" in message


def test_db_upgrade_keeps_every_entity_history_and_edge(old_url: str) -> None:
    before = dump(old_url)
    result = runner.invoke(db_app, ["upgrade", "--db", old_url])
    assert result.exit_code == 0, result.output
    assert "from 0001 (schema version 1) to 0004 (schema version 4)" in result.output

    with qf.QualityFlow(old_url, load_entry_points=False) as qms:
        storage: Any = qms.storage
        stored = {(k, i): (s, v, json.loads(d)) for k, i, s, v, d in ROWS["qf_entities"]}
        for kind in {k for k, _ in stored}:
            for entity in storage.list(kind, status=None):
                status, version, data = stored.pop((kind, entity.id))
                assert entity.version == version
                assert getattr(entity, "status", None) in (status, None)
                dumped = json.loads(entity.model_dump_json())
                # 0.2 models add fields with defaults; every 0.1.0 field keeps its value
                # (history records included, hashes unchanged).
                assert _subset(data, dumped), (kind, entity.id)
        assert stored == {}
        edges = {(e.input_id, e.output_id) for e in storage.edges()}
        assert edges == {(i, o) for i, o, *_ in ROWS["qf_edges"]}

        incident = qms.incidents.get("INC-5")
        assert incident.status == "closed"
        assert [r.trigger for r in incident.history] == [
            "assess",
            "contain",
            "investigate",
            "correct",
            "verify",
            "close",
        ]
        assert verify_history(incident)
        assert qms.complaints.get("CMP-17").status == "closed"

        report = qms.audit.verify()
        assert report.ok, str(report)
        assert report.entities == len(ROWS["qf_entities"])
        assert report.edges == len(ROWS["qf_edges"])
        # the 0.1.0 rows are reported as written before the ledger, not as problems
        assert set(report.before_ledger) >= {f"{k}/{i}" for k, i, *_ in ROWS["qf_entities"]}

        outbox = storage.outbox(pending_only=False)
        assert len(outbox) == len(ROWS["qf_outbox"])

    engine = sa.create_engine(_driver(old_url))
    try:
        with engine.connect() as conn:
            outbox_rows = sa.table(
                "qf_outbox", sa.column("seq"), sa.column("key"), sa.column("notification")
            )
            rows = conn.execute(
                sa.select(outbox_rows.c.seq, outbox_rows.c.key, outbox_rows.c.notification)
            ).all()
            keys: dict[int, str] = {int(r[0]): str(r[2]) for r in rows}
            rekeyed: dict[int, str] = {int(r[0]): str(r[1]) for r in rows}
            for seq, text in keys.items():
                expected = hashlib.sha256(json.loads(text)["id"].encode()).hexdigest()
                assert rekeyed[seq] == expected
            if old_url.startswith("mysql"):
                collations = set(
                    conn.execute(
                        sa.text(
                            "SELECT table_collation FROM information_schema.tables "
                            "WHERE table_schema = DATABASE()"
                        )
                    ).scalars()
                )
                assert collations == {"utf8mb4_bin"}
                length = conn.execute(
                    sa.text(
                        "SELECT character_maximum_length FROM information_schema.columns "
                        "WHERE table_schema = DATABASE() AND table_name = 'qf_outbox' "
                        "AND column_name = 'key'"
                    )
                ).scalar_one()
                assert int(length) == 64
    finally:
        engine.dispose()

    upgraded = dump(old_url)
    for table in ("qf_entities", "qf_edges"):  # byte for byte: data, versions, hashes
        assert upgraded[table][1] == before[table][1]
    assert {r[0] for r in upgraded["qf_outbox"][1]} == {r[0] for r in before["qf_outbox"][1]}

    from qualityflow.cli import app

    audit = runner.invoke(app, ["audit", "verify", "--db", old_url])
    assert audit.exit_code == 0, audit.output
    assert "OK" in audit.output

    after = dump(old_url)
    again = runner.invoke(db_app, ["upgrade", "--db", old_url])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert dump(old_url) == after
    current = runner.invoke(db_app, ["current", "--db", old_url])
    assert current.exit_code == 0, current.output
    assert current.output.strip() == "0004 (schema version 4) (head)"


def test_a_failed_upgrade_on_sqlite_changes_nothing(tmp_path: Path) -> None:
    url = _sqlite_old(tmp_path)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a notification 0.1.0 could not have written
        conn.exec_driver_sql("UPDATE qf_outbox SET notification = 'garbled' WHERE seq = 13")
    engine.dispose()
    before = dump(url)
    result = runner.invoke(db_app, ["upgrade", "--db", url])
    assert result.exit_code == 4, result.output
    assert "the upgrade from revision 0001 to 0004 failed (JSONDecodeError" in result.output
    assert "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert dump(url) == before


def test_the_upgraded_plant_takes_new_work_and_still_verifies(tmp_path: Path) -> None:
    url = _sqlite_old(tmp_path)
    with qf.QualityFlow(url, load_entry_points=False, upgrade=True) as qms:
        lot = qms.batches.add(
            qf.Batch(
                id="FLOUR-0999",
                kind="raw_material",
                product="wheat flour",
                quantity=qf.Quantity(amount=500, unit="kg"),
            )
        )
        assert lot.version == 1
        report = qms.audit.verify()
        assert report.ok, str(report)
        assert qms.audit.head()
    with qf.QualityFlow(url, load_entry_points=False, upgrade=True) as qms:
        assert qms.batches.get("FLOUR-0999").version == 1
        assert qms.audit.verify().ok


def test_a_database_newer_than_the_library_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    sqlite_storage(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    before = dump(url)
    for upgrade in (False, True):
        with pytest.raises(qf.StorageError, match="newer than this qualityflow") as refused:
            qf.QualityFlow(url, load_entry_points=False, upgrade=upgrade)
        assert "revision 0099" in str(refused.value)
    assert dump(url) == before
    result = runner.invoke(db_app, ["upgrade", "--db", url])
    assert result.exit_code == 4
    assert "newer than this qualityflow" in result.output
    assert "Traceback" not in result.output
    current = runner.invoke(db_app, ["current", "--db", url])
    assert current.output.startswith("0099 (newer than this qualityflow's head 0004")


def test_a_0_1_0_style_schema_version_newer_than_known_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        OLD.create_all(conn)
        conn.execute(old_meta.insert().values(key="schema_version", value="7"))
    engine.dispose()
    with pytest.raises(qf.StorageError, match="schema version 7, newer"):
        sqlite_storage(url)


def test_db_commands_refuse_what_they_cannot_migrate(tmp_path: Path) -> None:
    memory = runner.invoke(db_app, ["current", "--db", "memory://"])
    assert memory.exit_code == 2
    assert "not one" in memory.output
    missing = runner.invoke(db_app, ["current", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert missing.exit_code == 3
    assert not (tmp_path / "none.db").exists()
    down = runner.invoke(db_app, ["upgrade", "--db", "postgresql://postgres@127.0.0.1:9/none"])
    assert down.exit_code == 4
    assert "Traceback" not in down.output


def _subset(old: Any, new: Any) -> bool:
    """Whether every key and value of ``old`` is in ``new`` (lists element by element)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(
            k in new and _subset(v, new[k]) for k, v in old.items()
        )
    if isinstance(old, list):
        return (
            isinstance(new, list)
            and len(old) == len(new)
            and all(_subset(a, b) for a, b in zip(old, new, strict=True))
        )
    return bool(old == new)


# ---- revision 0004: the field index -----------------------------------------------------


def _take_to(url: str, revision: str) -> None:
    """Migrate the database at ``url`` from 0.1.0 to ``revision`` (not the head)."""
    from alembic import command

    from qualityflow.storage.sql import alembic_version_table

    engine = sa.create_engine(_driver(url))
    try:
        with engine.begin() as conn:
            alembic_version_table.create(conn)
            conn.execute(alembic_version_table.insert().values(version_num="0001"))
            command.upgrade(migrations.alembic_config(conn), revision)
    finally:
        engine.dispose()


def test_upgrading_a_revision_0003_database_fills_the_field_index(old_url: str) -> None:
    from qualityflow.storage.base import INDEXED_FIELDS, ListingStorage

    _take_to(old_url, "0003")
    assert migrations.current(old_url) == "0003"
    before = dump(old_url)
    assert "qf_fields" not in before
    with pytest.raises(qf.StorageError, match="qualityflow db upgrade --db"):
        qf.QualityFlow(old_url, load_entry_points=False)
    assert dump(old_url) == before
    result = runner.invoke(db_app, ["upgrade", "--db", old_url])
    assert result.exit_code == 0, result.output
    assert "from 0003 (schema version 3) to 0004 (schema version 4)" in result.output

    with qf.QualityFlow(old_url, load_entry_points=False) as qms:
        storage = qms.storage
        assert isinstance(storage, ListingStorage)
        checked = 0
        for kind, fields in INDEXED_FIELDS.items():
            everything = storage.list(kind)
            for field in fields:
                values = {
                    getattr(getattr(e, field), "value", getattr(e, field)) for e in everything
                }
                for value in values - {None}:
                    expected = [
                        e.id
                        for e in everything
                        if getattr(getattr(e, field), "value", getattr(e, field)) == value
                    ]
                    found = storage.list(kind, where={field: value})
                    assert [e.id for e in found] == expected, (kind, field, value)
                    checked += 1
        assert checked > 20
        assert [i.id for i in qms.inspections.list(batch_id="FLOUR-0412")] == sorted(
            i.id for i in storage.list("inspection") if i.batch_id == "FLOUR-0412"
        )
        assert qms.audit.verify().ok
        assert qms.storage.schema_version() == 4  # type: ignore[attr-defined]
    upgraded = dump(old_url)
    for table in ("qf_entities", "qf_edges", "qf_ledger"):
        assert upgraded[table][1] == before[table][1]
    again = runner.invoke(db_app, ["upgrade", "--db", old_url])
    assert "nothing to do" in again.output
    assert dump(old_url) == upgraded
