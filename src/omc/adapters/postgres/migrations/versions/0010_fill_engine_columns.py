"""Fills carry the lot engine's inputs, computed once when written (ADR 0009).

Stored generated columns: the scaled integers of lots.prepare as decimal text, the
book's "SYMBOL/QUOTE" and the side as 't'/'f'. A history read aggregates them instead
of computing numeric products for every fill at every read. Adding them rewrites the
table once, under an exclusive lock.

Revision ID: 0010_fill_engine_columns
Revises: 0009_price_hour_blocks
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_fill_engine_columns"
down_revision: str | None = "0009_price_hour_blocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: tables.ENGINE_COLUMNS may change only through a later revision.
_Q = "trunc(quantity * 1e18)"
_P = "trunc(price * 1e18)"
_SIGN = "(CASE WHEN side = 'buy' THEN 1 ELSE -1 END)"
_BASE_FEE = (
    "(CASE WHEN fee = 0 OR fee_currency IN ('', quote) OR fee_currency <> symbol THEN 0 "
    f"ELSE {_SIGN} * trunc(fee * 1e18) END)"
)
_QUOTE_FEE = (
    f"(CASE WHEN fee = 0 THEN 0 WHEN fee_currency IN ('', quote) THEN {_SIGN} * trunc(fee * 1e36) "
    f"WHEN fee_currency = symbol THEN 0 ELSE {_SIGN} * trunc(fee * fee_rate_to_quote * 1e36) END)"
)
_COLUMNS = {
    "engine_book": "symbol || '/' || quote",
    "engine_buy": "CASE WHEN side = 'buy' THEN 't' ELSE 'f' END",
    "engine_moved": f"({_Q} - {_BASE_FEE})::text",
    "engine_amount": f"({_Q} * {_P} + {_QUOTE_FEE})::text",
    "engine_fee": f"abs({_QUOTE_FEE} + {_BASE_FEE} * {_P})::text",
    "engine_volume": f"({_Q} * {_P})::text",
}


def upgrade() -> None:
    # One statement: one rewrite of the table, not one per column.
    op.execute(
        "ALTER TABLE fills "
        + ", ".join(
            f'ADD COLUMN {name} text COLLATE "C" NOT NULL GENERATED ALWAYS AS ({expression}) STORED'
            for name, expression in _COLUMNS.items()
        )
    )


def downgrade() -> None:
    op.execute("ALTER TABLE fills " + ", ".join(f"DROP COLUMN {name}" for name in _COLUMNS))
