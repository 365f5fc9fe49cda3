"""Fill versions: per owner, the transaction that last wrote its fills (books cache key).

Revision ID: 0007_fill_versions
Revises: 0006_agent_sessions
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_fill_versions"
down_revision: str | None = "0006_agent_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fill_versions",
        sa.Column("owner", sa.Text(collation="C"), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_fill_versions")),
    )


def downgrade() -> None:
    op.drop_table("fill_versions")
