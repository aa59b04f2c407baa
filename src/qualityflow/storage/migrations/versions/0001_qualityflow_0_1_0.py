"""The qualityflow 0.1.0 schema (schema_version 1): the base revision.

A database made by 0.1.0 has these four tables and no ``alembic_version``; qualityflow
takes it to be at this revision. Run on an empty database, it creates them as 0.1.0 did.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    """Create the 0.1.0 tables where they are missing and record schema version 1."""
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "qf_meta" not in existing:
        op.create_table(
            "qf_meta",
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
        )
    if "qf_entities" not in existing:
        op.create_table(
            "qf_entities",
            sa.Column("kind", sa.String(32), primary_key=True),
            sa.Column("id", sa.String(255), primary_key=True),
            sa.Column("status", sa.String(32), nullable=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("data", _LongText, nullable=False),
        )
        op.create_index("ix_qf_entities_kind_status", "qf_entities", ["kind", "status"])
    if "qf_edges" not in existing:
        op.create_table(
            "qf_edges",
            sa.Column("input_id", sa.String(255), primary_key=True),
            sa.Column("output_id", sa.String(255), primary_key=True),
            sa.Column("kind", sa.String(8), nullable=False),
            sa.Column("quantity", sa.Text, nullable=True),
            sa.Column("override", sa.Text, nullable=True),
        )
        op.create_index("ix_qf_edges_output", "qf_edges", ["output_id", "input_id"])
    if "qf_outbox" not in existing:
        op.create_table(
            "qf_outbox",
            sa.Column("seq", sa.Integer, sa.Identity(), primary_key=True, autoincrement=True),
            sa.Column("key", sa.String(255), nullable=True, unique=True),
            sa.Column("subject_kind", sa.String(32), nullable=False),
            sa.Column("subject_id", sa.String(255), nullable=False),
            sa.Column("notification", _LongText, nullable=False),
            sa.Column("deliveries", sa.Text, nullable=False),
            sa.Column("delivered", sa.Boolean, nullable=False),
        )
        op.create_index("ix_qf_outbox_delivered", "qf_outbox", ["delivered", "seq"])
    meta = sa.table("qf_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    found = bind.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if found is None:
        op.execute(meta.insert().values(key="schema_version", value="1"))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade."""
    raise NotImplementedError("qualityflow does not downgrade; restore the backup")
