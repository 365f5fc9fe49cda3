"""Data-quality alerts: one open alert per scope at most, with its report.

Revision ID: 0005_quality_alerts
Revises: 0004_collector_runs
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_quality_alerts"
down_revision: str | None = "0004_collector_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_alerts",
        sa.Column("alert_id", sa.Text(collation="C"), nullable=False),
        sa.Column("scope", sa.Text(collation="C"), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("score", sa.Numeric(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_quality_alerts")),
    )
    op.create_index(op.f("ix_quality_alerts_order"), "quality_alerts", ["opened_at", "alert_id"])
    op.create_index(
        "uq_quality_alerts_open_scope",
        "quality_alerts",
        ["scope"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("quality_alerts")
