"""Marks from the Exchange ledger in Postgres: one query per request, however many books
and times (history buckets) it asks about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.application.trading_ports import Book, Mark, MarkField

# Every (book, time) pair is one backward step on the price_ticks unique index
# (symbol, quote, observed_at, source); DISTINCT collapses times that found the same tick.
_SQL = """
SELECT DISTINCT b.symbol, b.quote, m.observed_at, m.price
FROM unnest(CAST(:symbols AS text[]), CAST(:quotes AS text[])) AS b(symbol, quote)
CROSS JOIN unnest(CAST(:times AS timestamptz[])) AS t(at)
CROSS JOIN LATERAL (
    SELECT p.observed_at, p.{field} AS price
    FROM price_ticks AS p
    WHERE p.symbol = b.symbol COLLATE "C" AND p.quote = b.quote COLLATE "C"
      AND p.observed_at <= t.at AND p.{field} IS NOT NULL
    ORDER BY p.observed_at DESC, p.source
    LIMIT 1
) AS m
ORDER BY b.symbol, b.quote, m.observed_at
"""
_STATEMENTS = {field: text(_SQL.format(field=field.value)) for field in MarkField}


class PostgresMarkSource:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def marks_at(
        self, books: Sequence[Book], times: Sequence[datetime], field: MarkField = MarkField.LAST
    ) -> dict[Book, list[Mark]]:
        if not books or not times:
            return {}
        unique_books = sorted(set(books))
        params = {
            "symbols": [symbol for symbol, _quote in unique_books],
            "quotes": [quote for _symbol, quote in unique_books],
            "times": sorted(set(times)),
        }
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(_STATEMENTS[field], params)).all()
        result: dict[Book, list[Mark]] = {}
        for symbol, quote, observed_at, price in rows:
            result.setdefault((symbol, quote), []).append(Mark(price, observed_at.astimezone(UTC)))
        return result
