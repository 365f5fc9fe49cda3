"""Fills in Postgres: per-owner serialized batches, keyset pages, fast full histories.

A batch is one transaction holding a per-owner advisory transaction lock, so two
concurrent batches of one owner (on any replica) see each other's fills before the
oversell check, and batches of different owners never wait for each other.

`history()` returns up to hundreds of thousands of fills per call: it reads plain
columns through the driver (no ORM rows, no SQLAlchemy result processing) and builds
the frozen Fill records without re-running their __init__. `prepared()` is the PnL
path: Postgres does the exact numeric arithmetic of `prepare` (numeric products never
round) and sends the engine's scaled integers as text, so Python builds no Fill and no
Decimal per fill.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import bindparam, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select

from omc.adapters.postgres import tables
from omc.adapters.postgres.repositories import storage_errors
from omc.application.ports import IngestResult, Page, PageRequest
from omc.application.trading_ports import FillConflict, FillQuery, HistoryCheck
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import AMOUNT_EXP, QTY_EXP, PreparedFills, Row

_T = tables.fills
# Column order of every read, equal to Fill's field order (see _FIELDS below).
_FIELDS = (
    "fill_id",
    "owner",
    "symbol",
    "side",
    "quantity",
    "price",
    "executed_at",
    "quote",
    "fee",
    "fee_currency",
    "fee_rate_to_quote",
    "strategy_id",
)
_COLUMNS = [_T.c[name] for name in _FIELDS]
_SIDES = {side.value: side for side in Side}
_SETTERS = tuple(getattr(Fill, name).__set__ for name in _FIELDS)
_new = object.__new__


# The engine's row of each fill, exactly as lots.prepare computes it (see its
# docstring): base units 10^-18, quote amounts 10^-36; trunc() only drops the
# zero fraction that numeric keeps from the operands' scales.
_PREPARED_SQL = """
SELECT f.executed_at, f.fill_id, f.strategy_id, f.symbol, f.quote, f.side = 'buy',
       trunc(x.moved)::text,
       trunc(CASE WHEN f.side = 'buy' THEN x.moved * x.p + x.fee_amount
                  ELSE x.moved * x.p - x.fee_amount END)::text,
       trunc(x.fee_amount)::text,
       trunc(x.q * x.p)::text
FROM ({inner}) AS f
CROSS JOIN LATERAL (
    SELECT s.q, s.p, s.fee_amount,
           CASE WHEN f.side = 'buy' THEN s.q - s.base_fee ELSE s.q + s.base_fee END AS moved
    FROM (
        SELECT f.quantity * {q} AS q,
               f.price * {q} AS p,
               CASE WHEN f.fee <> 0 AND f.fee_currency NOT IN ('', f.quote)
                         AND f.fee_currency = f.symbol
                    THEN f.fee * {q} ELSE 0 END AS base_fee,
               CASE WHEN f.fee = 0 THEN 0
                    WHEN f.fee_currency IN ('', f.quote) THEN f.fee * {a}
                    WHEN f.fee_currency = f.symbol THEN (f.fee * {q}) * (f.price * {q})
                    ELSE f.fee * f.fee_rate_to_quote * {a} END AS fee_amount
    ) AS s
) AS x
ORDER BY f.executed_at, f.fill_id
"""


def owner_lock_key(owner: str) -> int:
    """A stable signed 64-bit advisory-lock key per owner, derived in Python (hashtext
    may change between Postgres major versions) so every replica agrees."""
    digest = hashlib.blake2b(f"omc.fills:{owner}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _hydrate(row: Sequence[Any]) -> Fill:
    """A Fill from a stored row. The row passed every rule when written, so the
    dataclass __init__ (a third of the read time at 100k fills) is skipped."""
    fill: Fill = _new(Fill)
    for setter, value in zip(_SETTERS, row, strict=True):
        setter(fill, value)
    return fill


def _decode(row: Sequence[Any]) -> tuple[Any, ...]:
    values = list(row)
    values[3] = _SIDES[values[3]]
    values[6] = values[6].astimezone(UTC)
    return tuple(values)


def _to_row(owner: str, fill: Fill) -> dict[str, Any]:
    return {
        "owner": owner,
        "fill_id": fill.fill_id,
        "symbol": fill.symbol,
        "quote": fill.quote,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "fee_rate_to_quote": fill.fee_rate_to_quote,
        "strategy_id": fill.strategy_id,
        "executed_at": fill.executed_at,
    }


def _filtered(query: FillQuery) -> Select[Any]:
    statement = select(*_COLUMNS).where(_T.c.owner == query.owner)
    if query.symbol is not None:
        statement = statement.where(_T.c.symbol == query.symbol)
    if query.quote is not None:
        statement = statement.where(_T.c.quote == query.quote)
    if query.strategy_id == "":
        statement = statement.where(_T.c.strategy_id.is_(None))
    elif query.strategy_id is not None:
        statement = statement.where(_T.c.strategy_id == query.strategy_id)
    if query.start is not None:
        statement = statement.where(_T.c.executed_at >= query.start)
    if query.end is not None:
        statement = statement.where(_T.c.executed_at < query.end)
    return statement


class PostgresFillRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_many(
        self, owner: str, fills: Sequence[Fill], check: HistoryCheck | None = None
    ) -> IngestResult:
        if not fills:
            return IngestResult()
        with storage_errors():
            async with self._engine.begin() as connection:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": owner_lock_key(owner)}
                )
                stored = await self._stored(connection, owner, [fill.fill_id for fill in fills])
                fresh: list[Fill] = []
                duplicate = 0
                for fill in fills:
                    existing = stored.get(fill.fill_id)
                    if existing is None:
                        fresh.append(fill)
                    elif existing.same_content(fill):
                        duplicate += 1
                    else:
                        raise FillConflict(fill.fill_id)
                if check is not None and fresh:
                    books = sorted({(fill.symbol, fill.quote) for fill in fresh})
                    check(await self._books(connection, owner, books) + fresh)
                if fresh:
                    await connection.execute(insert(_T), [_to_row(owner, f) for f in fresh])
        return IngestResult(inserted=len(fresh), duplicate=duplicate)

    async def _stored(
        self, connection: AsyncConnection, owner: str, fill_ids: list[str]
    ) -> dict[str, Fill]:
        statement = select(*_COLUMNS).where(
            _T.c.owner == owner, _T.c.fill_id.in_(bindparam("ids", expanding=True))
        )
        rows = (await connection.execute(statement, {"ids": fill_ids})).all()
        return {row[0]: _hydrate(_decode(row)) for row in rows}

    async def _books(
        self, connection: AsyncConnection, owner: str, books: list[tuple[str, str]]
    ) -> list[Fill]:
        statement = select(*_COLUMNS).where(
            _T.c.owner == owner, tuple_(_T.c.symbol, _T.c.quote).in_(books)
        )
        rows = (await connection.execute(statement)).all()
        return [_hydrate(_decode(row)) for row in rows]

    async def list(self, query: FillQuery, page: PageRequest) -> Page[Fill]:
        statement = _filtered(query)
        keys = tuple_(_T.c.executed_at, _T.c.fill_id)
        if page.after is not None:
            after_time, after_id = page.after
            position = tuple_(
                bindparam(None, after_time, type_=_T.c.executed_at.type),
                bindparam(None, after_id, type_=_T.c.fill_id.type),
            )
            statement = statement.where(keys < position if page.newest_first else keys > position)
        if page.newest_first:
            statement = statement.order_by(_T.c.executed_at.desc(), _T.c.fill_id.desc())
        else:
            statement = statement.order_by(_T.c.executed_at, _T.c.fill_id)
        statement = statement.limit(page.size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        items = [_hydrate(_decode(row)) for row in rows[: page.size]]
        more = len(rows) > page.size
        last = items[-1] if more and items else None
        return Page(items, None if last is None else (last.executed_at, last.fill_id))

    async def history(self, query: FillQuery) -> builtins.list[Fill]:
        statement = _filtered(query).order_by(_T.c.executed_at, _T.c.fill_id)
        with storage_errors():
            async with self._engine.connect() as connection:
                compiled = statement.compile(connection.sync_connection)
                sql = str(compiled)
                params = compiled.params
                pooled = await connection.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
                async with driver.cursor() as cursor:
                    await cursor.execute(sql, params)
                    rows = await cursor.fetchall()
        sides = _SIDES
        out: list[Fill] = []
        add = out.append
        hydrate = _hydrate
        for row in rows:
            values = list(row)
            values[3] = sides[values[3]]
            # psycopg returns timestamptz in the session's zone; the engine wants UTC.
            values[6] = values[6].astimezone(UTC)
            add(hydrate(values))
        return out

    async def prepared(self, query: FillQuery) -> PreparedFills:
        inner = _filtered(query)
        with storage_errors():
            async with self._engine.connect() as connection:
                compiled = inner.compile(connection.sync_connection)
                sql = _PREPARED_SQL.format(
                    inner=str(compiled), q=f"1e{QTY_EXP}", a=f"1e{AMOUNT_EXP}"
                )
                pooled = await connection.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
                async with driver.cursor() as cursor:
                    await cursor.execute(sql, compiled.params)
                    rows = await cursor.fetchall()
        books: dict[tuple[str, str], int] = {}
        book_of = books.get
        times: builtins.list[datetime] = []
        fill_ids: builtins.list[str] = []
        strategies: builtins.list[str | None] = []
        out: builtins.list[Row] = []
        fees: builtins.list[int] = []
        volumes: builtins.list[int] = []
        add_time, add_id, add_strategy = times.append, fill_ids.append, strategies.append
        add_row, add_fee, add_volume = out.append, fees.append, volumes.append
        for at, fill_id, strategy, symbol, quote, buy, moved, amount, fee, volume in rows:
            key = (symbol, quote)
            book = book_of(key)
            if book is None:
                book = books[key] = len(books)
            add_time(at)
            add_id(fill_id)
            add_strategy(strategy)
            add_row((book, buy, int(moved), int(amount)))
            add_fee(int(fee))
            add_volume(int(volume))
        # Times stay in the session's zone: the books only compare them (by instant),
        # and converting 100k of them to UTC would cost more than the arithmetic.
        return PreparedFills.from_columns(
            times=times,
            fill_ids=fill_ids,
            strategies=strategies,
            book_keys=tuple(books),
            rows=out,
            fees=fees,
            volumes=volumes,
        )
