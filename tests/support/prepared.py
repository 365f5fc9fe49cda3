"""Prepared fills compared by what the lot engine reads from them."""

from __future__ import annotations

from typing import Any

from omc.domain.trading.lots import PreparedFills


def columns(prepared: PreparedFills) -> tuple[Any, ...]:
    """Every column the books read, as one comparable value: PreparedFills has no equality
    of its own, and its `fills` are empty when a store prepared the columns itself."""
    return (
        prepared.book_keys,
        prepared.rows,
        prepared.fees,
        prepared.volumes,
        prepared.times,
        prepared.fill_ids,
        prepared.strategies,
    )
