"""Fills in Postgres: per-owner serialized batches, keyset pages, fast full histories.

A batch is one transaction holding a per-owner advisory transaction lock, so two
concurrent batches of one owner (on any replica) see each other's fills before the
oversell check, and batches of different owners never wait for each other.

`history()` returns up to hundreds of thousands of fills per call: it reads plain
columns through the driver (no ORM rows, no SQLAlchemy result processing) and builds
the frozen Fill records without re-running their __init__. `prepared()` is the PnL
path: Postgres did the exact numeric arithmetic of `prepare` when each fill was
written (numeric products never round; stored generated columns) and sends the
engine's scaled integers as text, so Python builds no Fill and no Decimal per fill,
one row of whole columns per read. Each owner's whole history is kept
in process; after a write only the fills written since are read and merged in. A long
history read whole is read in consecutive parts, two at a time on two connections
sharing one snapshot, each built as soon as it arrives, and is then kept in Postgres
too (fill_snapshots, ADR 0010): another replica's first read starts from it.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import itertools
import json
import logging
import marshal
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter, methodcaller
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, exc, func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select

from omc.adapters.gc_pause import cyclic_gc_paused
from omc.adapters.postgres import tables
from omc.adapters.postgres.engine import spare_connections
from omc.adapters.postgres.repositories import storage_errors
from omc.application.ports import IngestResult, Page, PageRequest
from omc.application.trading_ports import Book, FillConflict, FillQuery, HistoryCheck
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import PreparedFills

log = logging.getLogger("omc.postgres.fills")

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


# One row per read, one value per column: a row per fill cost more to send, decode and
# transpose in Python than the whole replay. The engine's inputs are stored with each
# fill (tables.ENGINE_COLUMNS), so a read only joins text. Every aggregate has the same
# ORDER BY, so Postgres (16+) sorts once, or not at all when the owner index gives event
# order. Ids and strategies may hold commas: text arrays; book names and numbers cannot.
_EVENT_ORDER = "ORDER BY f.executed_at, f.fill_id"
_PREPARED_SQL = (
    "SELECT array_agg(f.executed_at {order}), array_agg(f.fill_id {order}), "  # noqa: S608
    "array_agg(f.strategy_id {order}), string_agg(f.engine_book, ',' {order}), "
    "string_agg(f.engine_buy, '' {order}), "
    + ", ".join(
        f"string_agg(f.{name}, ',' {{order}})"
        for name in ("engine_moved", "engine_amount", "engine_fee", "engine_volume")
    )
    + ", max(f.id) FROM ({inner}) AS f"
)
# What the aggregates read besides the selected fills' own fields.
_READ_TOO = [*(_T.c[name] for name in tables.ENGINE_COLUMNS), _T.c.id]


# The id of the writing transaction: unique for the life of the cluster, so a version
# never comes back (not after a TRUNCATE either) and names one committed state.
_BUMP_VERSION = text(
    "INSERT INTO fill_versions (owner, version) "
    "VALUES (:owner, pg_current_xact_id()::text::bigint) "
    "ON CONFLICT (owner) DO UPDATE SET version = EXCLUDED.version"
)
# The owner's version, and how many fills its snapshot (in our format) holds, if any.
_READ_VERSION = """
SELECT v.version, s.fills FROM fill_versions v
LEFT JOIN fill_snapshots s ON s.owner = v.owner AND s.format = %(format)s
WHERE v.owner = %(owner)s
"""
# A kept history grows only by add_many, whose ids rise for one owner (the owner's lock
# is held from the ids' allocation to the commit), so the fills written since it was
# read are those with a larger id. Its newest row's stamp (inserting transaction) is
# checked too: gone or restamped, the table was wiped (TRUNCATE, with or without
# RESTART IDENTITY) and the history is read whole. Fills are never updated or
# deleted, as the version itself assumes.
_STAMP = "SELECT xmin::text FROM fills WHERE id = %(last_id)s AND owner = %(owner)s"
DEFAULT_CACHED_FILLS = 250_000
# A history is kept in Postgres once it holds this many fills more than its snapshot
# there (none: 0). A replica's first read then reads at most this many fills besides the
# snapshot; each write of a 100,000-fill snapshot costs ~0.2 s, off the caller's path.
SNAPSHOT_AFTER = 10_000
# marshal's own version is part of it: a Python that writes another reads it as absent.
SNAPSHOT_FORMAT = f"marshal {marshal.version}: book_keys, rows, fees, volumes, ids, strategies"
_READ_SNAPSHOT = """
SELECT version, last_id, stamp, fills, times, body FROM fill_snapshots
WHERE owner = %(owner)s AND format = %(format)s
"""
# The times come from the fills themselves, aggregated here: sending 100,000 datetimes
# from Python cost 0.9 s, the rest of the row 0.15 s. Only when the fills up to
# `last_id` are still the ones read (same count, same newest row), and never over a
# snapshot of a newer version; over one of the same version only when it was of a
# wiped table (another stamp) or found damaged.
_WRITE_SNAPSHOT = """
INSERT INTO fill_snapshots AS s (owner, format, version, last_id, stamp, fills, times, body)
SELECT %(owner)s, %(format)s, %(version)s, %(last_id)s, %(stamp)s, count(*),
    array_agg(f.executed_at ORDER BY f.executed_at, f.fill_id), %(body)s
FROM fills f WHERE f.owner = %(owner)s AND f.id <= %(last_id)s
HAVING count(*) = %(fills)s AND EXISTS (
    SELECT FROM fills WHERE id = %(last_id)s AND owner = %(owner)s AND xmin::text = %(stamp)s)
ON CONFLICT (owner) DO UPDATE SET
    format = excluded.format, version = excluded.version, last_id = excluded.last_id,
    stamp = excluded.stamp, fills = excluded.fills, times = excluded.times,
    body = excluded.body
WHERE s.format <> excluded.format OR s.version < excluded.version
    OR (s.version = excluded.version AND (s.stamp <> excluded.stamp OR %(damaged)s))
"""
# A whole history longer than this is read in parts of this many fills (see _read_whole):
# small enough that building starts soon, large enough that a part's round trip and
# statement cost little beside its rows.
PART_FILLS = 25_000
# Versions are writing transactions' ids: the largest ones wrote last.
_RECENT_OWNERS = text("SELECT owner FROM fill_versions ORDER BY version DESC LIMIT :limit")
# Owners looked at by keep_recent at most: a one-off read at a replica's start.
_RECENT_OWNERS_LIMIT = 10_000
# Every `step`-th fill in event order, each found from the one before: index-only
# steps over the history once, not a count plus an offset per cut.
_CUTS = """
WITH RECURSIVE cuts(executed_at, fill_id, number) AS (
    (SELECT executed_at, fill_id, 1 FROM fills WHERE owner = %(owner)s
     ORDER BY executed_at, fill_id OFFSET %(step)s LIMIT 1)
    UNION ALL
    SELECT later.executed_at, later.fill_id, cuts.number + 1
    FROM cuts CROSS JOIN LATERAL (
        SELECT executed_at, fill_id FROM fills
        WHERE owner = %(owner)s AND (executed_at, fill_id) >= (cuts.executed_at, cuts.fill_id)
        ORDER BY executed_at, fill_id OFFSET %(step)s LIMIT 1
    ) AS later
)
SELECT executed_at, fill_id FROM cuts ORDER BY number
"""


@dataclass(frozen=True, slots=True)
class _Kept:
    """An owner's whole prepared history as of `version`; `last_id`/`stamp` name its
    newest row (the largest id) so later reads can fetch only what came after."""

    version: int
    last_id: int
    stamp: str
    books: PreparedFills


class _BooksCache:
    """Each owner's whole prepared history at the version it was read, least recently
    used dropped first, at most `capacity` fills in all (about 0.4 KB per fill)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _Kept] = OrderedDict()
        self._size = 0

    def room(self) -> int:
        return self._capacity - self._size

    def __contains__(self, owner: str) -> bool:
        return owner in self._entries

    def get(self, owner: str) -> _Kept | None:
        entry = self._entries.get(owner)
        if entry is not None:
            self._entries.move_to_end(owner)
        return entry

    def put(self, owner: str, entry: _Kept) -> None:
        old = self._entries.pop(owner, None)
        if old is not None:
            self._size -= len(old.books)
        if len(entry.books) > self._capacity:
            return
        self._entries[owner] = entry
        self._size += len(entry.books)
        while self._size > self._capacity:
            _owner, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped.books)


def _first_fills_by_index(query: FillQuery) -> tuple[str, dict[str, Any]]:
    """Each book's first matching fill through the (owner, symbol, quote, executed_at)
    index: one probe to find the next book, one for its first fill (a loose index scan;
    grouping every fill of a 100k-fill owner took 50 ms, this 3 ms)."""
    params: dict[str, Any] = {"owner": query.owner}
    conditions = ["f.owner = :owner"]
    for name, value, condition in (
        ("symbol", query.symbol, "f.symbol = :symbol"),
        ("quote", query.quote, "f.quote = :quote"),
        ("start", query.start, "f.executed_at >= :start"),
        ("end", query.end, "f.executed_at < :end"),
    ):
        if value is not None:
            params[name] = value
            conditions.append(condition)
    where = " AND ".join(conditions)
    return (
        f"""
        WITH RECURSIVE books(symbol, quote) AS (
            (SELECT f.symbol, f.quote FROM fills f WHERE {where}
             ORDER BY f.symbol, f.quote LIMIT 1)
          UNION ALL
            SELECT n.symbol, n.quote FROM books b CROSS JOIN LATERAL (
                SELECT f.symbol, f.quote FROM fills f
                WHERE {where} AND (f.symbol, f.quote) > (b.symbol, b.quote)
                ORDER BY f.symbol, f.quote LIMIT 1) n
        )
        SELECT b.symbol, b.quote, (
            SELECT min(f.executed_at) FROM fills f
            WHERE {where} AND f.symbol = b.symbol AND f.quote = b.quote)
        FROM books b
        """,  # noqa: S608 (fixed fragments; every value is a bound parameter)
        params,
    )


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
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cached_fills: int = DEFAULT_CACHED_FILLS,
        part_fills: int = PART_FILLS,
        snapshot_after: int | None = SNAPSHOT_AFTER,
    ) -> None:
        """`snapshot_after` None: no snapshot is read or written."""
        self._engine = engine
        self._cache = _BooksCache(cached_fills)
        self._part_fills = max(1, part_fills)
        self._snapshot_after = None if snapshot_after is None else max(1, snapshot_after)
        self._snapshot_writes: dict[str, asyncio.Task[None]] = {}

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
                    await connection.execute(_BUMP_VERSION, {"owner": owner})
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

    async def first_fills(self, query: FillQuery) -> dict[Book, datetime]:
        statement: Any
        if query.strategy_id is None:
            statement, params = _first_fills_by_index(query)
            statement = text(statement).bindparams(**params)
        else:  # strategies are not indexed: group the owner's matching fills
            statement = (
                _filtered(query)
                .with_only_columns(_T.c.symbol, _T.c.quote, func.min(_T.c.executed_at))
                .group_by(_T.c.symbol, _T.c.quote)
            )
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        return {(symbol, quote): first.astimezone(UTC) for symbol, quote, first in rows}

    async def prepared(self, query: FillQuery) -> PreparedFills:
        """Whole histories are read at the owner's version and kept in process; a
        query with no start and no strategy is a cut of one (books never mix, and
        `end` is a prefix in event order), so most PnL calls read one row here."""
        if query.start is not None or query.strategy_id is not None:
            return await self._fetch(query, versioned=False)
        whole = await self._fetch(FillQuery(query.owner), versioned=True)
        if query.end is not None:
            whole = whole.head(bisect_left(whole.times, query.end))
        if query.symbol is None and query.quote is None:
            return whole
        symbol, quote = query.symbol, query.quote
        return whole.select(
            lambda s, q: (symbol is None or s == symbol) and (quote is None or q == quote)
        )

    async def keep_recent(self) -> int:
        """Newest writers first. Stops at the first history that would not fit in the
        room left, so reading ahead never pushes out a history kept for a call (or for
        a writer more recent than this one)."""
        with storage_errors():
            async with self._engine.connect() as connection:
                found = await connection.execute(_RECENT_OWNERS, {"limit": _RECENT_OWNERS_LIMIT})
                owners = found.scalars().all()
        kept = 0
        for owner in owners:
            if owner in self._cache:
                continue
            with storage_errors():
                async with self._engine.connect() as connection:
                    size = await connection.scalar(
                        select(func.count()).select_from(_T).where(_T.c.owner == owner)
                    )
            if size is None or size > self._cache.room():
                break
            await self.prepared(FillQuery(owner))
            kept += owner in self._cache  # not when the table was wiped since
        return kept

    async def _fetch(self, query: FillQuery, *, versioned: bool) -> PreparedFills:
        with storage_errors():
            async with self._engine.connect() as connection:
                pooled = await connection.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
                if not versioned:
                    books, _ = await self._read(connection, driver, _filtered(query))
                    return books
                # One snapshot for the version and the fills it names. Even in two
                # snapshots no stale books could be served: the fills are read after
                # the version, so they are at least that new, and a newer write
                # replaced that version (a transaction id, never reused) for good.
                if driver.info.transaction_status is TransactionStatus.IDLE:
                    await driver.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                owner = query.owner
                found = await (
                    await driver.execute(_READ_VERSION, {"owner": owner, "format": SNAPSHOT_FORMAT})
                ).fetchone()
                # None: never written through add_many (or wiped): nothing to key on.
                version: int | None = None if found is None else found[0]
                snapshot_fills = 0 if found is None or found[1] is None else int(found[1])
                kept = None if version is None else self._cache.get(owner)
                if kept is not None and kept.version == version:
                    return kept.books
                damaged = False
                if kept is None and snapshot_fills and self._snapshot_after is not None:
                    kept = await self._snapshot(driver, owner)
                    damaged = kept is None
                    if damaged:  # as if there were none: the read below writes it anew
                        snapshot_fills = 0
                grown = None
                if kept is not None:
                    grown = await self._appended(connection, driver, owner, kept)
                if grown is None:
                    # Nothing kept, or what was kept is of a wiped table, snapshot too.
                    snapshot_fills = 0
                    whole, last_id = await self._read_whole(connection, driver, owner)
                    grown = whole, last_id, await self._stamp(driver, owner, last_id)
        books, last_id, stamp = grown
        if version is not None and stamp is not None:
            kept = _Kept(version, last_id, stamp, books)
            self._cache.put(owner, kept)
            if self._snapshot_after is not None and (
                len(books) - snapshot_fills >= self._snapshot_after
            ):
                self._keep_snapshot(owner, kept, damaged=damaged)
        return books

    async def _snapshot(self, driver: psycopg.AsyncConnection[Any], owner: str) -> _Kept | None:
        """The owner's snapshot, None when it cannot be read whole (see _decoded)."""
        async with driver.cursor(binary=True) as cursor:
            await cursor.execute(_READ_SNAPSHOT, {"owner": owner, "format": SNAPSHOT_FORMAT})
            found = await cursor.fetchone()
        if found is None:
            return None
        version, last_id, stamp, fills, times, body = found
        books = _decoded(fills, times, body)
        if books is None:
            log.warning("fill snapshot of an owner unreadable; its history is read whole")
            return None
        return _Kept(version, last_id, stamp, books)

    def _keep_snapshot(self, owner: str, kept: _Kept, *, damaged: bool) -> None:
        """Writes the snapshot after the call that read it has its answer: the write
        must not hold up that call, and one at a time per owner is enough."""
        if owner in self._snapshot_writes:
            return
        task = asyncio.create_task(
            self._write_snapshot(owner, kept, damaged=damaged), name="omc-fill-snapshot"
        )
        self._snapshot_writes[owner] = task
        task.add_done_callback(lambda _: self._snapshot_writes.pop(owner, None))

    async def snapshots_written(self) -> None:
        """Waits for the snapshot writes under way (tests, benchmarks). At shutdown they
        are cancelled instead: each rolls back, and a later read writes it."""
        while self._snapshot_writes:
            await asyncio.wait(list(self._snapshot_writes.values()))

    async def _write_snapshot(self, owner: str, kept: _Kept, *, damaged: bool) -> None:
        """Best effort: a failure is logged, and a later read writes it again.
        `damaged`: the owner's snapshot could not be read; this one replaces it."""
        books = kept.books
        body = marshal.dumps(
            (
                books.book_keys,
                books.rows,
                books.fees,
                books.volumes,
                books.fill_ids,
                books.strategies,
            )
        )
        params = {
            "owner": owner,
            "format": SNAPSHOT_FORMAT,
            "version": kept.version,
            "last_id": kept.last_id,
            "stamp": kept.stamp,
            "fills": len(books),
            "body": body,
            "damaged": damaged,
        }
        try:
            async with self._engine.begin() as connection:
                pooled = await connection.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
                async with driver.cursor() as cursor:
                    # Binary: the body goes as it is, not as twice as many hex digits.
                    await cursor.execute(_WRITE_SNAPSHOT, params, binary=True)
        except (exc.SQLAlchemyError, psycopg.Error, OSError):
            log.warning("fill snapshot not written; a later read writes it", exc_info=True)

    async def _appended(
        self,
        connection: AsyncConnection,
        driver: psycopg.AsyncConnection[Any],
        owner: str,
        kept: _Kept,
    ) -> tuple[PreparedFills, int, str | None] | None:
        """The kept history plus the fills written since it was read, in event order;
        None when the whole history must be read again (a wiped table)."""
        newer = _filtered(FillQuery(owner)).where(_T.c.id > kept.last_id)
        fresh, last_id = await self._read(connection, driver, newer)
        if await self._stamp(driver, owner, kept.last_id) != kept.stamp:
            return None
        if not fresh:
            return kept.books, kept.last_id, kept.stamp
        # Usually after every kept fill (appended); a fill dated earlier is merged in.
        grown = kept.books.merged(fresh)
        return grown, last_id, await self._stamp(driver, owner, last_id)

    async def _read_whole(
        self, connection: AsyncConnection, driver: psycopg.AsyncConnection[Any], owner: str
    ) -> tuple[PreparedFills, int]:
        """An owner's whole history; when it is long, in consecutive parts of event
        order read on two connections that share this transaction's snapshot: Postgres
        builds the columns of two parts at once on two cores, and each part is built
        here as soon as it arrives, so building starts after a part's wait, not the
        whole history's. Only when the pool has room to spare, so a read never waits
        for a second connection while holding its first (many such reads at once could
        otherwise hold every connection and wait for each other)."""
        whole = _filtered(FillQuery(owner))
        cuts = await self._cuts(driver, owner)
        if not cuts or not self._pool_has_room():
            return await self._read(connection, driver, whole)
        found = await (await driver.execute("SELECT pg_export_snapshot()")).fetchone()
        assert found is not None
        order = tuple_(_T.c.executed_at, _T.c.fill_id)
        keys = [
            tuple_(
                bindparam(None, at, type_=_T.c.executed_at.type),
                bindparam(None, fill_id, type_=_T.c.fill_id.type),
            )
            for at, fill_id in cuts
        ]
        parts = []
        for low, high in itertools.pairwise([None, *keys, None]):
            part = whole if low is None else whole.where(order >= low)
            parts.append(part if high is None else part.where(order < high))
        async with self._engine.connect() as other:
            pooled = await other.get_raw_connection()
            other_driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
            await other_driver.execute(
                sql.SQL(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {}"
                ).format(sql.Literal(found[0]))
            )
            lanes = ((connection, driver), (other, other_driver))
            # A task group: should one part fail, the others are cancelled and awaited
            # before either connection goes back to the pool.
            async with asyncio.TaskGroup() as group:
                reads: builtins.list[asyncio.Task[tuple[StoredColumns, int]]] = []
                for index, part in enumerate(parts):
                    lane_connection, lane_driver = lanes[index % 2]
                    # A connection runs one statement at a time: each part waits for
                    # the one before it on the same connection.
                    before = reads[index - 2] if index >= 2 else None
                    reads.append(
                        group.create_task(
                            self._columns_after(before, lane_connection, lane_driver, part)
                        )
                    )
                history: PreparedFills | None = None
                last_id = 0
                for read in reads:
                    columns, part_last_id = await read
                    last_id = max(last_id, part_last_id)
                    # Numbered after the books of the parts before, as one build would
                    # number them: no row is renumbered to follow them.
                    if history is None:
                        history = _built(columns)
                    else:
                        history = history.extended(_built(columns, history.book_keys))
        assert history is not None
        return history, last_id

    @classmethod
    async def _columns_after(
        cls,
        before: asyncio.Task[tuple[StoredColumns, int]] | None,
        connection: AsyncConnection,
        driver: psycopg.AsyncConnection[Any],
        inner: Select[Any],
    ) -> tuple[StoredColumns, int]:
        if before is not None:
            await asyncio.wait([before])
        return await cls._columns(connection, driver, inner)

    async def _cuts(
        self, driver: psycopg.AsyncConnection[Any], owner: str
    ) -> builtins.list[tuple[Any, ...]]:
        """The (executed_at, fill_id) starting each part after the first: none for a
        history of `part_fills` fills or fewer."""
        cursor = await driver.execute(_CUTS, {"owner": owner, "step": self._part_fills})
        return [tuple(row) for row in await cursor.fetchall()]

    def _pool_has_room(self) -> bool:
        # Two to spare: another read may be taking one between this check and ours.
        return spare_connections(self._engine) >= 2

    @staticmethod
    async def _stamp(driver: psycopg.AsyncConnection[Any], owner: str, last_id: int) -> str | None:
        found = await (
            await driver.execute(_STAMP, {"owner": owner, "last_id": last_id})
        ).fetchone()
        return None if found is None else str(found[0])

    @classmethod
    async def _read(
        cls,
        connection: AsyncConnection,
        driver: psycopg.AsyncConnection[Any],
        inner: Select[Any],
    ) -> tuple[PreparedFills, int]:
        """The selected fills as the engine's columns, and the largest row id among
        them (0 when none)."""
        columns, last_id = await cls._columns(connection, driver, inner)
        return _built(columns), last_id

    @staticmethod
    async def _columns(
        connection: AsyncConnection,
        driver: psycopg.AsyncConnection[Any],
        inner: Select[Any],
    ) -> tuple[StoredColumns, int]:
        compiled = inner.add_columns(*_READ_TOO).compile(connection.sync_connection)
        sql = _PREPARED_SQL.format(inner=str(compiled), order=_EVENT_ORDER)
        # Binary results: the arrays of times and texts load in psycopg's C code.
        async with driver.cursor(binary=True) as cursor:
            await cursor.execute(sql, compiled.params)
            row = await cursor.fetchone()
        if row is None or row[0] is None:  # no fill selected: every aggregate is NULL
            return StoredColumns.empty(), 0
        *columns, last_id = row
        return StoredColumns(*columns), last_id


def _decoded(fills: int, times: builtins.list[datetime], body: bytes) -> PreparedFills | None:
    """A snapshot's history, or None when its body does not decode into columns of
    `fills` fills each (a damaged row; the format is checked by the query)."""
    try:
        with cyclic_gc_paused():
            # Our own rows, written by _write_snapshot. Unlike pickle, marshal only
            # builds plain values and never runs code; a damaged row fails below.
            loaded = marshal.loads(body)  # noqa: S302
            book_keys, rows, fees, volumes, fill_ids, strategies = loaded
        if not isinstance(book_keys, tuple) or not all(
            isinstance(column, builtins.list) for column in (rows, fees, volumes, fill_ids)
        ):
            return None
        if len(times) != fills or len(rows) != fills:
            return None
        numbers = itemgetter(0)
        if rows and (min(map(numbers, rows)) < 0 or max(map(numbers, rows)) >= len(book_keys)):
            return None
        return PreparedFills.from_columns(
            times=times,
            fill_ids=fill_ids,
            strategies=strategies,
            book_keys=book_keys,
            rows=rows,
            fees=fees,
            volumes=volumes,
        )
    except (ValueError, EOFError, TypeError, IndexError):
        return None


def _built(columns: StoredColumns, books: tuple[Book, ...] = ()) -> PreparedFills:
    # A million surviving objects for 100k fills: collections walking them (and every
    # kept history) more than doubled the build.
    with cyclic_gc_paused():
        return prepared_from_columns(columns, books)


@dataclass(frozen=True, slots=True)
class StoredColumns:
    """What the prepared query returns: per-fill columns in event order, the engine's
    integers and the book names as comma-joined text, the sides as one 't'/'f'
    character per fill."""

    times: builtins.list[datetime]
    fill_ids: builtins.list[str]
    strategies: builtins.list[str | None]
    books: str
    buys: str
    moved: str
    amounts: str
    fees: str
    volumes: str

    @classmethod
    def empty(cls) -> StoredColumns:
        return cls([], [], [], "", "", "", "", "", "")


def _integers(joined: str) -> builtins.list[int]:
    # Comma-joined decimal integers are a JSON array's body: the C parser makes each int
    # straight from the text, without a str object per value first (split + int).
    values: builtins.list[int] = json.loads(f"[{joined}]")
    return values


def prepared_from_columns(
    stored: StoredColumns, books_before: tuple[Book, ...] = ()
) -> PreparedFills:
    """The engine's columns from the stored ones, column by column in C (split, map,
    zip): a Python loop per fill costs more than the whole replay. Books are numbered
    after `books_before` (those of earlier fills), in order of first appearance."""
    if not stored.times:
        return PreparedFills.from_columns(
            times=[], fill_ids=[], strategies=[], book_keys=books_before, rows=[], fees=[],
            volumes=[],
        )  # fmt: skip
    # One "SYMBOL/QUOTE" string per fill ([A-Z0-9] only): hashing a str is cached,
    # a tuple's is not. dict.fromkeys keeps first appearance: the order of `prepare`.
    keys = stored.books.split(",")
    names = tuple(dict.fromkeys([*(f"{s}/{q}" for s, q in books_before), *keys]))
    numbers = {name: index for index, name in enumerate(names)}
    books = map(numbers.__getitem__, keys)
    book_keys = tuple(
        (symbol, quote) for symbol, _, quote in map(methodcaller("partition", "/"), names)
    )
    buys = map("t".__eq__, stored.buys)
    # Times stay in the session's zone: the books only compare them (by instant),
    # and converting 100k of them to UTC would cost more than the arithmetic.
    return PreparedFills.from_columns(
        times=stored.times,
        fill_ids=stored.fill_ids,
        strategies=stored.strategies,
        book_keys=book_keys,
        rows=builtins.list(
            zip(books, buys, _integers(stored.moved), _integers(stored.amounts), strict=True)
        ),
        fees=_integers(stored.fees),
        volumes=_integers(stored.volumes),
    )
