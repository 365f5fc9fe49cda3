"""Quality rollups of price ticks per (series, clock hour), kept exact by hour versions.

A statement-level trigger on price_ticks (it fires for COPY too) bumps the version of
every (symbol, quote, clock hour) the statement inserted, updated or deleted; a TRUNCATE
drops every block. Hours already holding ticks start at version 1.

Revision ID: 0009_price_hour_blocks
Revises: 0008_api_key_listing
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_price_hour_blocks"
down_revision: str | None = "0008_api_key_listing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# date_bin on timestamptz counts from the origin, whatever the session's time zone.
_HOUR_OF = "date_bin('1 hour', observed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')"

_TOUCH = f"""
CREATE FUNCTION price_ticks_touch_hours() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In key order, so two statements touching the same hours cannot deadlock.
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO price_hour_versions AS v (hour, symbol, quote, version)
        SELECT hour, symbol, quote, 1 FROM (
            SELECT {_HOUR_OF} AS hour, symbol, quote FROM touched_old
            UNION SELECT {_HOUR_OF}, symbol, quote FROM touched
        ) t ORDER BY 1, 2, 3
        ON CONFLICT (hour, symbol, quote) DO UPDATE SET version = v.version + 1;
    ELSE
        INSERT INTO price_hour_versions AS v (hour, symbol, quote, version)
        SELECT {_HOUR_OF}, symbol, quote, 1 FROM touched GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (hour, symbol, quote) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608 (fixed text)

_FORGET = """
CREATE FUNCTION price_ticks_forget_hours() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Versions move on too: a report that read the old ticks may still store its blocks.
    DELETE FROM price_hour_blocks;
    UPDATE price_hour_versions SET version = version + 1;
    RETURN NULL;
END
$$
"""

_TRIGGERS = (
    "CREATE TRIGGER price_ticks_inserted AFTER INSERT ON price_ticks"
    " REFERENCING NEW TABLE AS touched"
    " FOR EACH STATEMENT EXECUTE FUNCTION price_ticks_touch_hours()",
    "CREATE TRIGGER price_ticks_updated AFTER UPDATE ON price_ticks"
    " REFERENCING OLD TABLE AS touched_old NEW TABLE AS touched"
    " FOR EACH STATEMENT EXECUTE FUNCTION price_ticks_touch_hours()",
    "CREATE TRIGGER price_ticks_deleted AFTER DELETE ON price_ticks"
    " REFERENCING OLD TABLE AS touched"
    " FOR EACH STATEMENT EXECUTE FUNCTION price_ticks_touch_hours()",
    "CREATE TRIGGER price_ticks_truncated AFTER TRUNCATE ON price_ticks"
    " FOR EACH STATEMENT EXECUTE FUNCTION price_ticks_forget_hours()",
)


def _key(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(collation="C"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "price_hour_versions",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        _key("symbol"),
        _key("quote"),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "symbol", "quote", name=op.f("pk_price_hour_versions")),
    )
    op.create_table(
        "price_hour_blocks",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        _key("symbol"),
        _key("quote"),
        _key("params"),
        sa.Column("version", sa.BigInteger(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("records", "missing", "nonpositive", "crossed", "wide", "invalid")
        ),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.Column("first_interval", sa.BigInteger(), nullable=True),
        sa.Column("last_interval", sa.BigInteger(), nullable=True),
        *(
            sa.Column(name, postgresql.ARRAY(sa.BigInteger()), nullable=False)
            for name in ("gap_begins", "gap_ends", "beyond_intervals")
        ),
        *(
            sa.Column(name, postgresql.ARRAY(sa.Float(precision=53)), nullable=False)
            for name in ("beyond_medians", "beyond_scales")
        ),
        sa.PrimaryKeyConstraint(
            "hour", "symbol", "quote", "params", name=op.f("pk_price_hour_blocks")
        ),
    )
    op.execute(
        f"INSERT INTO price_hour_versions (hour, symbol, quote, version)"  # noqa: S608 (fixed)
        f" SELECT {_HOUR_OF}, symbol, quote, 1 FROM price_ticks GROUP BY 1, 2, 3"
    )
    op.execute(_TOUCH)
    op.execute(_FORGET)
    for statement in _TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("inserted", "updated", "deleted", "truncated"):
        op.execute(f"DROP TRIGGER price_ticks_{name} ON price_ticks")
    op.execute("DROP FUNCTION price_ticks_forget_hours()")
    op.execute("DROP FUNCTION price_ticks_touch_hours()")
    op.drop_table("price_hour_blocks")
    op.drop_table("price_hour_versions")
