"""0.2: the outbox relay's claim and cursor tables (schema_version 3).

* ``qf_relay_claims``: one row per event a relay has claimed for a target, with its lease
  and whether the broker acknowledged it.
* ``qf_relay_cursor``: per target and stream, the seq up to which every event is
  published; its row lock serialises claiming.

Created only where missing, so a development database that already has them is taken to
the same end.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BYTE_EXACT: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    """Create the relay's tables where they are missing."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "qf_relay_claims" not in existing:
        op.create_table(
            "qf_relay_claims",
            sa.Column("target", sa.String(191), primary_key=True),
            sa.Column("stream", sa.String(8), primary_key=True),
            sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("lease_until", sa.Double, nullable=False),
            sa.Column("published", sa.Boolean, nullable=False),
            **_BYTE_EXACT,
        )
        op.create_index(
            "ix_qf_relay_claims_lease",
            "qf_relay_claims",
            ["target", "stream", "published", "lease_until"],
        )
    if "qf_relay_cursor" not in existing:
        op.create_table(
            "qf_relay_cursor",
            sa.Column("target", sa.String(191), primary_key=True),
            sa.Column("stream", sa.String(8), primary_key=True),
            sa.Column("floor", sa.BigInteger, nullable=False),
            **_BYTE_EXACT,
        )


def downgrade() -> None:
    """Not supported: restore the backup taken before the upgrade."""
    raise NotImplementedError("qualityflow does not downgrade; restore the backup")
