"""Collector runs: one row per run of a collector, success or not.

Revision ID: 0004_collector_runs
Revises: 0003_fills
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_collector_runs"
down_revision: str | None = "0003_fills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collector_runs",
        sa.Column("run_id", sa.Text(collation="C"), nullable=False),
        sa.Column("collector", sa.Text(collation="C"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_collector_runs")),
    )
    op.create_index(op.f("ix_collector_runs_order"), "collector_runs", ["started_at", "run_id"])
    op.create_index(
        op.f("ix_collector_runs_collector"),
        "collector_runs",
        ["collector", "started_at", "run_id"],
    )


def downgrade() -> None:
    op.drop_table("collector_runs")
