"""The four ledgers: price ticks, protocol and on-chain metrics, news, social posts,
catalyst events.

Revision ID: 0001_ledgers
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_ledgers"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False)


def _key_text(name: str) -> sa.Column[str]:
    # Byte-wise collation: ordering must match Python's code-point ordering.
    return sa.Column(name, sa.Text(collation="C"), nullable=False)


def _money(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(), nullable=nullable)


def _time(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _currencies() -> sa.Column[object]:
    return sa.Column("currencies", postgresql.ARRAY(sa.Text()), nullable=False)


def upgrade() -> None:
    op.create_table(
        "price_ticks",
        _id(),
        _key_text("symbol"),
        _money("last", nullable=False),
        _time("observed_at"),
        _key_text("source"),
        _key_text("quote"),
        _money("bid"),
        _money("ask"),
        _money("volume_24h"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_ticks")),
        sa.UniqueConstraint(
            "symbol",
            "quote",
            "observed_at",
            "source",
            name=op.f("uq_price_ticks_symbol_quote_observed_at_source"),
        ),
        sa.CheckConstraint("last > 0", name=op.f("ck_price_ticks_last_positive")),
    )
    op.create_index(
        op.f("ix_price_ticks_sort"), "price_ticks", ["observed_at", "symbol", "quote", "source"]
    )

    op.create_table(
        "protocol_metrics",
        _id(),
        _key_text("protocol"),
        sa.Column("day", sa.Date(), nullable=False),
        _time("observed_at"),
        _key_text("source"),
        _money("tvl_usd"),
        _money("fees_24h"),
        _money("revenue_24h"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_metrics")),
        sa.UniqueConstraint(
            "protocol", "day", "source", name=op.f("uq_protocol_metrics_protocol_day_source")
        ),
    )
    op.create_index(
        op.f("ix_protocol_metrics_sort"), "protocol_metrics", ["day", "protocol", "source"]
    )

    op.create_table(
        "onchain_metrics",
        _id(),
        _key_text("asset"),
        _key_text("metric"),
        _money("value", nullable=False),
        _time("observed_at"),
        _key_text("source"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onchain_metrics")),
        sa.UniqueConstraint(
            "asset",
            "metric",
            "observed_at",
            "source",
            name=op.f("uq_onchain_metrics_asset_metric_observed_at_source"),
        ),
    )
    op.create_index(
        op.f("ix_onchain_metrics_sort"),
        "onchain_metrics",
        ["observed_at", "asset", "metric", "source"],
    )

    op.create_table(
        "news_items",
        _id(),
        _key_text("source"),
        _key_text("external_id"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _time("published_at"),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("sentiment_label", sa.Text(), nullable=True),
        _money("sentiment_score"),
        _currencies(),
        sa.Column("votes_positive", sa.BigInteger(), nullable=True),
        sa.Column("votes_negative", sa.BigInteger(), nullable=True),
        _money("panic_score"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_items")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_news_items_source_external_id")),
        sa.UniqueConstraint("url", name=op.f("uq_news_items_url")),
    )
    op.create_index(
        op.f("ix_news_items_sort"), "news_items", ["published_at", "source", "external_id"]
    )
    op.create_index(
        op.f("ix_news_items_currencies"), "news_items", ["currencies"], postgresql_using="gin"
    )

    op.create_table(
        "social_posts",
        _id(),
        _key_text("platform"),
        _key_text("external_id"),
        sa.Column("title", sa.Text(), nullable=False),
        _time("posted_at"),
        sa.Column("community", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("score", sa.BigInteger(), nullable=False),
        sa.Column("comment_count", sa.BigInteger(), nullable=False),
        sa.Column("sentiment_label", sa.Text(), nullable=True),
        _money("sentiment_score"),
        _currencies(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_posts")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_social_posts_platform_external_id")
        ),
    )
    op.create_index(
        op.f("ix_social_posts_sort"), "social_posts", ["posted_at", "platform", "external_id"]
    )
    op.create_index(
        op.f("ix_social_posts_currencies"), "social_posts", ["currencies"], postgresql_using="gin"
    )

    op.create_table(
        "catalyst_events",
        _id(),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        _key_text("source"),
        _key_text("external_id"),
        sa.Column("impact", sa.Integer(), nullable=False),
        _time("occurred_at"),
        _time("detected_at"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _currencies(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalyst_events")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_catalyst_events_source_external_id")
        ),
        sa.CheckConstraint("impact BETWEEN 1 AND 10", name=op.f("ck_catalyst_events_impact_range")),
    )
    op.create_index(
        op.f("ix_catalyst_events_sort"), "catalyst_events", ["occurred_at", "source", "external_id"]
    )
    op.create_index(
        op.f("ix_catalyst_events_event_type"), "catalyst_events", ["event_type", "occurred_at"]
    )
    op.create_index(
        op.f("ix_catalyst_events_currencies"),
        "catalyst_events",
        ["currencies"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it.
    for table in (
        "catalyst_events",
        "social_posts",
        "news_items",
        "onchain_metrics",
        "protocol_metrics",
        "price_ticks",
    ):
        op.drop_table(table)
