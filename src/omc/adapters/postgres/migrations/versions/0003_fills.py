"""Trading books: fills, the source of truth for positions and PnL.

Revision ID: 0003_fills
Revises: 0002_api_keys
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_fills"
down_revision: str | None = "0002_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key_text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(collation="C"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "fills",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        _key_text("owner"),
        _key_text("fill_id"),
        _key_text("symbol"),
        _key_text("quote"),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("fee", sa.Numeric(), nullable=False),
        sa.Column("fee_currency", sa.Text(collation="C"), server_default="", nullable=False),
        sa.Column("fee_rate_to_quote", sa.Numeric(), nullable=True),
        sa.Column("strategy_id", sa.Text(collation="C"), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("owner", "fill_id", name=op.f("uq_fills_owner_fill_id")),
        sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f("ck_fills_side_known")),
        sa.CheckConstraint(
            "quantity > 0 AND price > 0 AND fee >= 0", name=op.f("ck_fills_amounts_valid")
        ),
    )
    op.create_index(op.f("ix_fills_owner_order"), "fills", ["owner", "executed_at", "fill_id"])
    op.create_index(
        op.f("ix_fills_owner_symbol"), "fills", ["owner", "symbol", "quote", "executed_at"]
    )


def downgrade() -> None:
    op.drop_table("fills")
