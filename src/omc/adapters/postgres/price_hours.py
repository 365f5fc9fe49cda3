"""The exchange ledger's quality aggregates, from per-(series, clock hour) blocks.

An hour block is what one series' ticks in one clock hour leave once processed: its rule
counts, its present cadence intervals (how many, the first, the last and the longest
runs missing between them) and the intervals whose prices lie beyond the hour's MAD
band. A report needs nothing else of the ticks, so a complete clock hour's block is
computed once, stored in price_hour_blocks, and reused by every later report while its
hour's version (bumped by a trigger on every statement that writes price_ticks) is the
one it was computed at (ADR 0008). The window's cut first and last hours, and any hour
without a current block, are computed live in one pass over their ticks: one hash
aggregate per (series, hour) counts the rules and hands back the ticks' interval indexes
and prices as two binary arrays, and the MAD bands and gaps come from the very domain
functions the in-memory source uses (omc.domain.quality.price_series). Only ticks in
intervals beyond their band are read again, through the key index.

The reads run in the caller's REPEATABLE READ transaction; the blocks it computed are
written back afterwards, on a transaction of their own, never over a newer version.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omc.domain.quality import Coverage, LedgerStats, Outlier, RuleCounts
from omc.domain.quality.policy import FEED_EXCHANGE, HOUR, StatsQuery, grid_index, grid_time
from omc.domain.quality.price_series import interior_gaps, mad_band, series_gaps, top_gaps
from omc.domain.record import Ledger

log = logging.getLogger("omc.postgres.quality")

# A price's validity, as SQL over numeric columns (the outlier re-read excludes invalid
# ticks with it; the hour pass spells the same rules out once per tick).
_PRICE_INVALID = (
    "(last <= 0 OR bid <= 0 OR ask <= 0 OR bid > ask"
    " OR (bid <= ask AND (ask - bid) * 2 > :spread * (ask + bid)))"
)

_ORIGIN = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"

_SERIES = text(
    """
    WITH RECURSIVE series(symbol, quote) AS (
        (SELECT symbol, quote FROM price_ticks ORDER BY symbol, quote LIMIT 1)
        UNION ALL
        SELECT nxt.symbol, nxt.quote FROM series s CROSS JOIN LATERAL (
            SELECT t.symbol, t.quote FROM price_ticks t
            WHERE (t.symbol, t.quote) > (s.symbol, s.quote)
            ORDER BY t.symbol, t.quote LIMIT 1
        ) nxt
    )
    SELECT s.symbol, s.quote,
        (SELECT min(t.observed_at) FROM price_ticks t
          WHERE t.symbol = s.symbol AND t.quote = s.quote
            AND t.observed_at >= :tracking AND t.observed_at < :end) AS first_seen,
        (SELECT max(t.observed_at) FROM price_ticks t
          WHERE t.symbol = s.symbol AND t.quote = s.quote AND t.observed_at < :end) AS newest
    FROM series s
    """
)

# Every (series, hour) that ever held a tick has a version; its block, when one was
# computed at that version under these parameters, comes along.
_STORED_BLOCKS = """
    SELECT v.symbol, v.quote,
        (date_part('epoch', v.hour) / 3600)::bigint AS h, v.version, b.version IS NOT NULL,
        b.records, b.missing, b.nonpositive, b.crossed, b.wide, b.invalid,
        b.filled, b.first_interval, b.last_interval, b.gap_begins, b.gap_ends,
        b.beyond_intervals, b.beyond_medians, b.beyond_scales
    FROM price_hour_versions v
    LEFT JOIN price_hour_blocks b
      ON b.hour = v.hour AND b.symbol = v.symbol AND b.quote = v.quote
     AND b.params = %(params)s AND b.version = v.version
    WHERE v.hour >= %(first)s AND v.hour < %(end)s
"""

# One pass over the ticks of the given time ranges, grouped per (series, clock hour) by a
# hash aggregate: the rules are counted there, and each group hands back its ticks'
# interval indexes and prices (float8, binary) for the band and gap arithmetic in Python.
# Intervals are not grouped in SQL: a hash table of one group per interval, and the sorts
# percentile_cont needs over them, cost several times the pass itself.
_TICKS_BY_HOUR = f"""
    SELECT symbol, quote, b / %(per_hour)s AS h, count(*) AS n,
        count(*) FILTER (WHERE bid IS NULL OR ask IS NULL) AS missing,
        count(*) FILTER (WHERE nonpositive) AS nonpositive,
        count(*) FILTER (WHERE crossed) AS crossed,
        count(*) FILTER (WHERE wide) AS wide,
        count(*) FILTER (WHERE nonpositive OR crossed OR wide) AS invalid,
        array_agg(b) AS intervals, array_agg(v) AS prices
    FROM (
        SELECT symbol, quote, bid, ask, last::float8 AS v,
            -- date_bin floors exactly; the float only carries a whole multiple back.
            (date_part('epoch', date_bin(%(cadence)s, observed_at, {_ORIGIN}))
                / %(cadence_seconds)s)::bigint AS b,
            last <= 0 OR bid <= 0 OR ask <= 0 AS nonpositive,
            bid > ask AS crossed,
            -- (ask - bid) * 2 > spread * (ask + bid), rearranged: exact in numeric, and
            -- two multiplications per tick instead of four operations.
            bid <= ask AND ask * %(ask_factor)s > bid * %(bid_factor)s AS wide
        FROM price_ticks
        WHERE {{ranges}}
        -- Not pulled up: each rule is evaluated once per tick, not once per count.
        OFFSET 0
    ) ticks
    GROUP BY symbol, quote, h
"""  # noqa: S608 (fixed text)

_OUTLIERS = text(
    """
    SELECT t.symbol, t.quote, t.source, t.observed_at, t.last, f.median,
        abs(t.last::float8 - f.median) / f.scale AS deviation,
        count(*) OVER () AS total
    FROM unnest(
        CAST(:symbols AS text[]), CAST(:quotes AS text[]), CAST(:froms AS timestamptz[]),
        CAST(:medians AS float8[]), CAST(:scales AS float8[])
    ) AS f(symbol, quote, bucket_from, median, scale)
    CROSS JOIN LATERAL (
        SELECT * FROM price_ticks t
        WHERE t.symbol = f.symbol COLLATE "C" AND t.quote = f.quote COLLATE "C"
          AND t.observed_at >= f.bucket_from AND t.observed_at < f.bucket_from + :cadence
          AND t.observed_at >= :start AND t.observed_at < :end
        -- One key-index probe per flagged interval: pulled up into a join, a window
        -- covering most of the table made it a scan of every tick.
        OFFSET 0
    ) t
    WHERE abs(t.last::float8 - f.median) > :k * f.scale
      AND NOT coalesce({invalid}, false)
    ORDER BY deviation DESC, t.symbol, t.quote, t.observed_at, t.source
    LIMIT :limit
    """.replace("{invalid}", _PRICE_INVALID)
)

_BLOCK_COLUMNS = (
    "hour, symbol, quote, params, version, records, missing, nonpositive, crossed, wide,"
    " invalid, filled, first_interval, last_interval, gap_begins, gap_ends,"
    " beyond_intervals, beyond_medians, beyond_scales"
)

_WRITE_BLOCKS = f"""
    INSERT INTO price_hour_blocks AS b ({_BLOCK_COLUMNS})
    SELECT {_BLOCK_COLUMNS} FROM price_hour_blocks_computed
    ORDER BY hour, symbol, quote, params
    ON CONFLICT (hour, symbol, quote, params) DO UPDATE SET
        {", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _BLOCK_COLUMNS.split(",")[4:])}
    WHERE b.version < excluded.version
"""  # noqa: S608 (fixed text)

Series = tuple[str, str]
_COUNTS = 6


@dataclass(frozen=True, slots=True)
class HourBlock:
    """What one series' ticks in one clock hour (or the window's part of it) leave."""

    # records, missing bid/ask, non-positive, crossed, too wide, invalid
    counts: tuple[int, ...]
    # Present intervals: how many, and the first and last (meaningless while none is).
    filled: int = 0
    first: int = 0
    last: int = 0
    # The longest runs of missing intervals between present ones: only those can make the
    # report's list (the ones they displace are no longer than any of them).
    gaps: tuple[tuple[int, int], ...] = ()
    # (interval, band median, band scale) of every interval beyond the band.
    beyond: tuple[tuple[int, float, float], ...] = ()


EMPTY_BLOCK = HourBlock((0,) * _COUNTS)


@dataclass(slots=True)
class PriceHours:
    """The exchange stats of one report, and the blocks it computed for complete hours
    that had none current: (hour, symbol, quote, version) -> block, to be stored."""

    stats: LedgerStats
    computed: dict[tuple[int, str, str, int], HourBlock] = field(default_factory=dict)


def block_params(query: StatsQuery) -> str:
    """Every policy parameter a block depends on; a block computed under others is not
    reused."""
    return (
        f"cadence={int(query.price_cadence.total_seconds())}s spread={query.max_spread}"
        f" k={query.mad_k!r} floor={query.mad_floor!r} min={query.mad_min_points}"
        f" gaps={query.max_gaps}"
    )


async def price_hours(
    connection: AsyncConnection, query: StatsQuery, duplicates: int
) -> PriceHours:
    """The exchange ledger's stats in the caller's snapshot; `duplicates` is the count of
    repeated natural keys (the caller's, shared with the other ledgers)."""
    cadence = query.price_cadence
    _, end_interval = query.interval_span(cadence)
    window = {"start": query.start, "end": query.end}

    series = [
        row
        for row in await connection.execute(_SERIES, {"tracking": query.tracking_start, **window})
        if row.first_seen is not None
    ]
    newest_any, future, trailing = (
        await connection.execute(
            text(
                "SELECT (SELECT max(observed_at) FROM price_ticks WHERE observed_at < :end),"
                " (SELECT count(*) FROM price_ticks WHERE observed_at > :now),"
                " (SELECT count(*) FROM price_ticks"
                "   WHERE observed_at >= :trailing AND observed_at < :end)"
            ),
            {"now": query.now, "trailing": query.trailing_start, **window},
        )
    ).one()

    blocks, stale = await _stored_blocks(connection, query)
    stale_hours = sorted({hour for hour, *_ in stale})
    live = await _live_blocks(connection, query, live_ranges(query, stale_hours))
    computed = _to_store(stale, live)
    # A live block of an hour that also has a current stored one is the same block.
    blocks.update(live)

    per_hour = Counter[int]()
    totals = [0] * _COUNTS
    flagged: list[tuple[str, str, int, float, float]] = []
    own: dict[Series, list[tuple[int, HourBlock]]] = {}
    for (symbol, quote, hour), block in blocks.items():
        per_hour[hour] += block.counts[0]
        for index, count in enumerate(block.counts):
            totals[index] += count
        flagged += [(symbol, quote, *interval) for interval in block.beyond]
        if block.filled:
            own.setdefault((symbol, quote), []).append((hour, block))

    coverage: list[Coverage] = []
    found: list[tuple[str, int, int]] = []
    for row in series:
        key = f"{row.symbol}/{row.quote}"
        first = grid_index(max(query.start, row.first_seen), cadence)
        ordered = [block for _, block in sorted(own.get((row.symbol, row.quote), ()))]
        filled = sum(block.filled for block in ordered)
        coverage.append(Coverage(key, end_interval - first, filled, row.newest))
        found.extend((key, begin, end) for begin, end in _series_gaps(first, ordered, end_interval))

    records, missing, nonpositive, crossed, wide, invalid = totals
    outliers, outlier_count = await _price_outliers(connection, query, flagged)
    by_rule = {
        "bid_not_above_ask": crossed,
        "not_in_future": int(future),
        "price_positive": nonpositive,
        "spread_within_bound": wide,
        "within_k_mad": outlier_count,
    }
    rules = RuleCounts(
        "price_ticks",
        records + future,
        invalid + future + outlier_count,
        tuple(sorted(by_rule.items())),
        missing,
        duplicates,
    )
    stats = LedgerStats(
        Ledger.EXCHANGE,
        coverage=tuple(sorted(coverage, key=lambda c: c.key)),
        gaps=tuple(top_gaps(found, end_interval, query, cadence)),
        rules=(rules,),
        outliers=tuple(outliers),
        hourly=(("price_ticks", query.volume_hours(per_hour, trailing)),),
        newest=((FEED_EXCHANGE, newest_any),),
    )
    return PriceHours(stats, computed)


def _to_store(
    stale: Iterable[tuple[int, str, str, int]], live: Mapping[tuple[str, str, int], HourBlock]
) -> dict[tuple[int, str, str, int], HourBlock]:
    """The blocks to store for the stale (hour, symbol, quote, version) keys: the live one,
    or an empty block where the hour has no tick left (all deleted)."""
    return {
        (hour, symbol, quote, version): live.get((symbol, quote, hour), EMPTY_BLOCK)
        for hour, symbol, quote, version in stale
    }


async def _stored_blocks(
    connection: AsyncConnection, query: StatsQuery
) -> tuple[dict[tuple[str, str, int], HourBlock], list[tuple[int, str, str, int]]]:
    """The window's complete hours: (series, hour) -> current stored block, and the
    (hour, symbol, quote, version) of those without one."""
    first, end = query.complete_hours
    blocks: dict[tuple[str, str, int], HourBlock] = {}
    stale: list[tuple[int, str, str, int]] = []
    if first == end:
        return blocks, stale
    params = {
        "params": block_params(query),
        "first": grid_time(first, HOUR),
        "end": grid_time(end, HOUR),
    }
    async with _server_cursor(connection, "quality_stored_blocks", _STORED_BLOCKS, params) as rows:
        async for symbol, quote, hour, version, current, *block in rows:
            if not current:
                stale.append((hour, symbol, quote, version))
                continue
            *counts, filled, first_at, last_at, begins, ends, beyond, medians, scales = block
            blocks[(symbol, quote, hour)] = HourBlock(
                tuple(counts),
                filled,
                first_at or 0,
                last_at or 0,
                tuple(zip(begins, ends, strict=True)),
                tuple(zip(beyond, medians, scales, strict=True)),
            )
    return blocks, stale


def live_ranges(query: StatsQuery, stale_hours: Sequence[int]) -> list[tuple[datetime, datetime]]:
    """The time ranges whose ticks a report must read: the window's cut first and last
    hours and every complete hour without a current block, adjacent ones merged."""
    first, end = query.complete_hours
    edges = [(query.start, grid_time(first, HOUR)), (grid_time(end, HOUR), query.end)]
    return _merged(edges + _hour_ranges(stale_hours))


def _hour_ranges(hours: Iterable[int]) -> list[tuple[datetime, datetime]]:
    return [(grid_time(hour, HOUR), grid_time(hour + 1, HOUR)) for hour in hours]


def _merged(pieces: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, stop in sorted(piece for piece in pieces if piece[0] < piece[1]):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((begin, stop))
    return merged


async def _live_blocks(
    connection: AsyncConnection, query: StatsQuery, ranges: Sequence[tuple[datetime, datetime]]
) -> dict[tuple[str, str, int], HourBlock]:
    """The blocks of every (series, clock hour) with ticks in `ranges`, from the ticks."""
    if not ranges:
        return {}
    cadence = query.price_cadence
    params: dict[str, Any] = {
        "cadence": cadence,
        "cadence_seconds": int(cadence.total_seconds()),
        "per_hour": HOUR // cadence,
        "ask_factor": 2 - query.max_spread,
        "bid_factor": 2 + query.max_spread,
    }
    conditions = []
    for index, (begin, stop) in enumerate(ranges):
        params[f"from_{index}"], params[f"to_{index}"] = begin, stop
        conditions.append(f"(observed_at >= %(from_{index})s AND observed_at < %(to_{index})s)")
    sql = _TICKS_BY_HOUR.replace("{ranges}", " OR ".join(conditions))
    result: dict[tuple[str, str, int], HourBlock] = {}
    async with _server_cursor(connection, "quality_hour_blocks", sql, params) as rows:
        async for symbol, quote, hour, *counts, intervals, prices in rows:
            result[(symbol, quote, hour)] = _hour_block(counts, intervals, prices, query)
    return result


@asynccontextmanager
async def _server_cursor(
    connection: AsyncConnection, name: str, sql: str, params: Mapping[str, Any]
) -> AsyncIterator[psycopg.AsyncServerCursor[Any]]:
    """Rows straight from the driver, binary: arrays load as Python lists in psycopg's C
    code, with no per-row SQLAlchemy processing. A server-side cursor streams them a batch
    per round trip, so only one batch of hour blocks is ever in Python, whatever the
    window."""
    pooled = await connection.get_raw_connection()
    driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
    async with driver.cursor(name, binary=True) as cursor:
        cursor.itersize = 256
        await cursor.execute(sql, params)
        yield cursor


def _hour_block(
    counts: Sequence[int], intervals: list[int], prices: list[float], query: StatsQuery
) -> HourBlock:
    """One (series, hour)'s block from its ticks' intervals and prices."""
    present = sorted(set(intervals))
    gaps = tuple(heapq.nsmallest(query.max_gaps, interior_gaps(present), key=_longest_first))
    block = HourBlock(tuple(counts), len(present), present[0], present[-1], gaps)
    if len(present) == len(intervals):
        # One tick per interval, the usual case: its mid-price (p + p) / 2 is p exactly.
        keys, lows, highs = intervals, prices, prices
        band = mad_band(prices, query)
    else:
        ticks = sorted(zip(intervals, prices, strict=True))
        # Later pairs overwrite earlier ones: in ascending order the last price of an
        # interval is its highest, in descending order its lowest.
        high, low = dict(ticks), dict(reversed(ticks))
        keys, lows, highs = present, [low[i] for i in present], [high[i] for i in present]
        band = mad_band([(lo + hi) / 2 for lo, hi in zip(lows, highs, strict=True)], query)
    if band is None:
        return block
    median, scale = band
    limit = query.mad_k * scale
    # Float subtraction is monotonic: no interval is beyond unless the hour's extremes are.
    if max(highs) - median <= limit and median - min(lows) <= limit:
        return block
    beyond = tuple(
        (index, median, scale)
        for index, lo, hi in sorted(zip(keys, lows, highs, strict=True))
        if max(abs(lo - median), abs(hi - median)) > limit
    )
    return HourBlock(block.counts, block.filled, block.first, block.last, gaps, beyond)


def _longest_first(gap: tuple[int, int]) -> tuple[int, int]:
    return gap[0] - gap[1], gap[0]


def _series_gaps(
    first: int, blocks: Sequence[HourBlock], intervals: int
) -> Iterator[tuple[int, int]]:
    """series_gaps over a series' non-empty hour blocks (in hour order): the runs before,
    between and after them, and each block's longest interior runs."""
    if not blocks:
        yield from series_gaps(first, (), intervals)
        return
    if blocks[0].first > first:
        yield first, blocks[0].first
    for block in blocks:
        yield from block.gaps
    for before, after in itertools.pairwise(blocks):
        if after.first - before.last > 1:
            yield before.last + 1, after.first
    if blocks[-1].last < intervals - 1:
        yield blocks[-1].last + 1, intervals


async def _price_outliers(
    connection: AsyncConnection,
    query: StatsQuery,
    flagged: Sequence[tuple[str, str, int, float, float]],
) -> tuple[list[Outlier], int]:
    if not flagged:
        return [], 0
    symbols, quotes, intervals, medians, scales = zip(*flagged, strict=True)
    cadence = query.price_cadence
    rows = (
        await connection.execute(
            _OUTLIERS,
            {
                "symbols": list(symbols),
                "quotes": list(quotes),
                "froms": [grid_time(index, cadence) for index in intervals],
                "medians": list(medians),
                "scales": list(scales),
                "cadence": cadence,
                "start": query.start,
                "end": query.end,
                "k": query.mad_k,
                "spread": query.max_spread,
                "limit": query.max_outliers,
            },
        )
    ).all()
    outliers = [
        Outlier(
            row.symbol,
            row.quote,
            row.source,
            row.observed_at,
            row.last,
            round(row.median, 6),
            round(row.deviation, 2),
        )
        for row in rows
    ]
    return outliers, int(rows[0].total) if rows else 0


_STALE_HOURS = """
    SELECT (date_part('epoch', v.hour) / 3600)::bigint, v.symbol, v.quote, v.version
    FROM price_hour_versions v
    WHERE v.hour >= :first AND v.hour < :end
      AND NOT EXISTS (
        SELECT FROM price_hour_blocks b
        WHERE b.hour = v.hour AND b.symbol = v.symbol AND b.quote = v.quote
          AND b.params = :params AND b.version = v.version
      )
"""


async def keep_price_hours(engine: AsyncEngine, query: StatsQuery, max_hours: int) -> int:
    """Computes and stores the blocks of the newest `max_hours` complete hours of the
    window that lack a current one (for the monitor between its reports: a long report
    asked later then reads blocks instead of every tick). Returns how many hours."""
    first, end = query.complete_hours
    if first == end or max_hours <= 0:
        return 0
    params = {
        "params": block_params(query),
        "first": grid_time(first, HOUR),
        "end": grid_time(end, HOUR),
    }
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            stale = [tuple(row) for row in await connection.execute(text(_STALE_HOURS), params)]
            hours = sorted({row[0] for row in stale}, reverse=True)[:max_hours]
            chosen = set(hours)
            stale = [row for row in stale if row[0] in chosen]
            live = await _live_blocks(connection, query, _merged(_hour_ranges(sorted(hours))))
    await store_blocks(engine, query, _to_store(stale, live))
    return len(hours)


async def store_blocks(
    engine: AsyncEngine, query: StatsQuery, computed: Mapping[tuple[int, str, str, int], HourBlock]
) -> None:
    """Keeps the blocks a report computed for later reports, never over a block of a
    newer version. Best effort: a report stands without them, so a failure here is
    logged, not raised (the next report computes those hours again)."""
    if not computed:
        return
    params = block_params(query)
    try:
        async with engine.begin() as connection:
            pooled = await connection.get_raw_connection()
            driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
            async with driver.cursor() as cursor:
                await cursor.execute(
                    "CREATE TEMP TABLE price_hour_blocks_computed"
                    " (LIKE price_hour_blocks) ON COMMIT DROP"
                )
                copy_sql = f"COPY price_hour_blocks_computed ({_BLOCK_COLUMNS}) FROM STDIN"
                async with cursor.copy(copy_sql) as copy:
                    for (hour, symbol, quote, version), block in computed.items():
                        await copy.write_row(
                            _block_row(hour, symbol, quote, params, version, block)
                        )
                await cursor.execute(_WRITE_BLOCKS)
    except (exc.SQLAlchemyError, psycopg.Error, OSError):
        log.warning(
            "quality hour blocks not stored; later reports compute them again", exc_info=True
        )


def _block_row(
    hour: int, symbol: str, quote: str, params: str, version: int, block: HourBlock
) -> tuple[Any, ...]:
    return (
        grid_time(hour, HOUR),
        symbol,
        quote,
        params,
        version,
        *block.counts,
        block.filled,
        block.first if block.filled else None,
        block.last if block.filled else None,
        [begin for begin, _ in block.gaps],
        [end for _, end in block.gaps],
        [interval for interval, _, _ in block.beyond],
        [median for _, median, _ in block.beyond],
        [scale for _, _, scale in block.beyond],
    )
