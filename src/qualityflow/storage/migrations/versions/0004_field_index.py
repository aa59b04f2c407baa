"""0.2: the field index behind ``list(where=...)`` (schema_version 4).

* ``qf_fields``: one row per (kind, id, field) of the fields each kind is looked up by
  (:data:`qualityflow.storage.base.INDEXED_FIELDS`), indexed on (kind, field, value, id),
  ``utf8mb4_bin`` on MySQL/MariaDB like every other table.
* It is filled from the stored entities, 2,000 rows at a time, and ``qf_meta``
  ``fields_index`` records which mapping it was built for.

The table is created only where missing and refilled whole, so an upgrade interrupted on
MariaDB (whose DDL commits on its own) is taken to the same end by running it again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BYTE_EXACT: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
_meta = sa.table("qf_meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    """Create ``qf_fields`` where missing, fill it, set schema_version 4."""
    from qualityflow.storage.sql import rebuild_fields

    bind = op.get_bind()
    if not sa.inspect(bind).has_table("qf_fields"):
        op.create_table(
            "qf_fields",
            sa.Column("kind", sa.String(32), primary_key=True),
            sa.Column("id", sa.String(255), primary_key=True),
            sa.Column("field", sa.String(32), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
            sqlite_with_rowid=False,
            **_BYTE_EXACT,
        )
        op.create_index("ix_qf_fields_lookup", "qf_fields", ["kind", "field", "value", "id"])
    rebuild_fields(bind)
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="4"))


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade."""
    raise NotImplementedError("qualityflow does not downgrade; restore the backup")
