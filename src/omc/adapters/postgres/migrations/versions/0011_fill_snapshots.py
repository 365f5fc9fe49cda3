"""Fill snapshots: an owner's prepared history as one read kept it (ADR 0010).

A cache beside the fills, one row per owner. Its large columns are stored out of line
but uncompressed (STORAGE EXTERNAL): a replica reads them on its first call for a long
history, where decompressing costs more than the disk it saves.

Revision ID: 0011_fill_snapshots
Revises: 0010_fill_engine_columns
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_fill_snapshots"
down_revision: str | None = "0010_fill_engine_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fill_snapshots",
        sa.Column("owner", sa.Text(collation="C"), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("stamp", sa.Text(), nullable=False),
        sa.Column("fills", sa.BigInteger(), nullable=False),
        sa.Column("times", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_fill_snapshots")),
    )
    op.execute(
        "ALTER TABLE fill_snapshots ALTER COLUMN times SET STORAGE EXTERNAL,"
        " ALTER COLUMN body SET STORAGE EXTERNAL"
    )


def downgrade() -> None:
    op.drop_table("fill_snapshots")
