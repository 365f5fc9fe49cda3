"""Quality aggregates computed where the data lives, in PostgreSQL.

Prices, the big table, are read once: one hash aggregate per (series, hour block) counts
the rules and hands back each group's interval indexes and prices as two binary arrays.
The MAD bands and gaps are then computed by the very domain functions the in-memory
source uses (omc.domain.quality.price_series): per-interval grouping and percentile_cont
in SQL needed a hash table of one group per interval and three sorts of all intervals,
several times the cost of the pass itself. Only ticks in intervals beyond their band are
read again, through the key index. Series are found with a loose index scan. Everything
runs in one REPEATABLE READ transaction, so the figures describe one snapshot. The other
definitions mirror omc.adapters.memory.quality one for one; the contract test holds the
two to equal reports.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.domain.quality import Coverage, LedgerStats, Outlier, QualityStats, RuleCounts
from omc.domain.quality import policy as p
from omc.domain.quality.policy import StatsQuery
from omc.domain.quality.price_series import interior_gaps, mad_band, series_gaps, top_gaps
from omc.domain.record import Ledger

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The natural key (and any other unique column set) of each table; when the database
# enforces them with a valid unique index, duplicates are impossible and not counted.
UNIQUE_KEYS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "price_ticks": (("source", "symbol", "quote", "observed_at"),),
    "protocol_metrics": (("source", "protocol", "day"),),
    "onchain_metrics": (("source", "asset", "metric", "observed_at"),),
    "news_items": (("source", "external_id"), ("url",)),
    "social_posts": (("platform", "external_id"),),
    "catalyst_events": (("source", "external_id"),),
}

_PRICE_INVALID = (
    "(last <= 0 OR bid <= 0 OR ask <= 0 OR bid > ask"
    " OR (bid <= ask AND (ask - bid) * 2 > :spread * (ask + bid)))"
)

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

# One pass over the window's ticks, grouped per (series, hour block) by a hash aggregate
# of ~24 x series groups: the rules are counted there, and each group hands back its
# ticks' interval indexes and prices (float8, binary) for the band and gap arithmetic in
# Python. Intervals are not grouped in SQL: a hash table of one group per interval, and
# the sorts percentile_cont needs over them, cost several times the pass itself.
_TICKS_BY_HOUR = """
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
            (date_part('epoch', date_bin(%(cadence)s, observed_at, %(start)s) - %(start)s)
                / %(cadence_seconds)s)::bigint AS b,
            last <= 0 OR bid <= 0 OR ask <= 0 AS nonpositive,
            bid > ask AS crossed,
            -- (ask - bid) * 2 > spread * (ask + bid), rearranged: exact in numeric, and
            -- two multiplications per tick instead of four operations.
            bid <= ask AND ask * %(ask_factor)s > bid * %(bid_factor)s AS wide
        FROM price_ticks
        WHERE observed_at >= %(start)s AND observed_at < %(end)s
        -- Not pulled up: each rule is evaluated once per tick, not once per count.
        OFFSET 0
    ) ticks
    GROUP BY symbol, quote, h
"""

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
          AND t.observed_at < :end
    ) t
    WHERE abs(t.last::float8 - f.median) > :k * f.scale
      AND NOT coalesce({invalid}, false)
    ORDER BY deviation DESC, t.symbol, t.quote, t.observed_at, t.source
    LIMIT :limit
    """.replace("{invalid}", _PRICE_INVALID)
)


class PostgresQualityStats:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        # A database that is down answers UNAVAILABLE, like every other store.
        with storage_errors():
            return await self._stats(query, ledgers)

    async def _stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        connection = await self._engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                # The hour blocks' arrays of a long window must not spill to disk. JIT off:
                # at 10M ticks the plan's cost crosses the JIT threshold, and compiling
                # (RDS has LLVM; the embedded server does not) would cost more than it
                # saves on a query that runs for about a second.
                await connection.execute(
                    text(
                        "SELECT set_config('work_mem', '256MB', true), "
                        "set_config('jit', 'off', true)"
                    )
                )
                result = []
                for ledger in ledgers:
                    if ledger is Ledger.EXCHANGE:
                        result.append(await _prices(connection, query))
                    elif ledger is Ledger.GLASS:
                        result.append(await _glass(connection, query))
                    elif ledger is Ledger.HUMAN:
                        result.append(await _human(connection, query))
                    else:
                        result.append(await _catalyst(connection, query))
        finally:
            await connection.close()
        return QualityStats(query.start, query.end, tuple(result))


async def _scalar(connection: AsyncConnection, sql: str, **params: Any) -> Any:
    return (await connection.execute(text(sql), params)).scalar_one()


async def _duplicates(connection: AsyncConnection, table: str) -> int:
    total = 0
    for columns in UNIQUE_KEYS[table]:
        enforced = await _scalar(
            connection,
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_index i
                WHERE i.indrelid = CAST(:table AS regclass) AND i.indisunique
                  AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)
                         FROM pg_attribute a
                        WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey))
                      = CAST(:columns AS text[])
            )
            """,
            table=table,
            columns=sorted(columns),
        )
        if enforced:
            continue
        listed = ", ".join(columns)
        total += await _scalar(
            connection,
            f"SELECT coalesce(sum(c - 1), 0) FROM (SELECT count(*) AS c FROM {table} "  # noqa: S608 (fixed names)
            f"GROUP BY {listed} HAVING count(*) > 1) d",
        )
    return int(total)


async def _hourly(
    connection: AsyncConnection, table: str, column: str, query: StatsQuery
) -> tuple[int, ...]:
    rows = await connection.execute(
        text(
            f"SELECT floor(extract(epoch FROM {column} - :start) / 3600)::int AS h, count(*) "  # noqa: S608
            f"FROM {table} WHERE {column} >= :start AND {column} < :end GROUP BY 1"
        ),
        {"start": query.start, "end": query.end},
    )
    return _spread_hours(rows.all(), query)


def _spread_hours(rows: Sequence[Any], query: StatsQuery) -> tuple[int, ...]:
    counts = [0] * query.hours
    for hour, count in rows:
        counts[int(hour)] += int(count)
    return tuple(counts)


def _rules(
    record_type: str,
    records: int,
    by_rule: dict[str, int],
    invalid: int,
    missing: int,
    duplicates: int,
) -> RuleCounts:
    return RuleCounts(
        record_type,
        int(records),
        int(invalid),
        tuple(sorted((name, int(count)) for name, count in by_rule.items())),
        int(missing),
        duplicates,
    )


# --- exchange -------------------------------------------------------------------------


async def _prices(connection: AsyncConnection, query: StatsQuery) -> LedgerStats:
    cadence = query.price_cadence
    per_hour = int(HOUR / cadence)
    n_intervals = query.intervals(cadence)
    window = {"start": query.start, "end": query.end}

    series = [
        row
        for row in await connection.execute(_SERIES, {"tracking": query.tracking_start, **window})
        if row.first_seen is not None
    ]
    newest_any = await _scalar(
        connection, "SELECT max(observed_at) FROM price_ticks WHERE observed_at < :end", **window
    )
    future = await _scalar(
        connection, "SELECT count(*) FROM price_ticks WHERE observed_at > :now", now=query.now
    )

    hourly = [0] * query.hours
    totals = [0] * 6  # records, missing, nonpositive, crossed, wide, invalid
    blocks: dict[tuple[str, str], list[_Block]] = {}
    flagged: list[tuple[str, str, int, float, float]] = []
    async with _ticks_by_hour(connection, query, per_hour) as rows:
        async for symbol, quote, hour, *counts, intervals, prices in rows:
            hourly[hour] += counts[0]
            for index, count in enumerate(counts):
                totals[index] += count
            present, beyond = _hour_block(intervals, prices, query)
            flagged += [(symbol, quote, *interval) for interval in beyond]
            blocks.setdefault((symbol, quote), []).append(
                _Block(
                    hour,
                    len(present),
                    present[0],
                    present[-1],
                    heapq.nsmallest(query.max_gaps, interior_gaps(present), key=_longest_first),
                )
            )

    coverage: list[Coverage] = []
    found: list[tuple[str, int, int]] = []
    for row in series:
        key = f"{row.symbol}/{row.quote}"
        first = max(0, query.bucket(max(query.start, row.first_seen), cadence))
        own = sorted(blocks.get((row.symbol, row.quote), ()), key=lambda block: block.hour)
        coverage.append(Coverage(key, n_intervals - first, sum(b.filled for b in own), row.newest))
        found.extend((key, begin, end) for begin, end in _series_gaps(first, own, n_intervals))

    records, missing, nonpositive, crossed, wide, invalid = totals
    outliers, outlier_count = await _price_outliers(connection, query, flagged)
    rules = _rules(
        "price_ticks",
        records + future,
        {
            "bid_not_above_ask": crossed,
            "not_in_future": future,
            "price_positive": nonpositive,
            "spread_within_bound": wide,
            "within_k_mad": outlier_count,
        },
        invalid + future + outlier_count,
        missing,
        await _duplicates(connection, "price_ticks"),
    )
    return LedgerStats(
        Ledger.EXCHANGE,
        coverage=tuple(sorted(coverage, key=lambda c: c.key)),
        gaps=tuple(top_gaps(found, n_intervals, query, cadence)),
        rules=(rules,),
        outliers=tuple(outliers),
        hourly=(("price_ticks", tuple(hourly)),),
        newest=((p.FEED_EXCHANGE, newest_any),),
    )


@dataclass(frozen=True, slots=True)
class _Block:
    """What one (series, hour block) leaves once its ticks are processed: its present
    intervals' count and ends, and its longest interior gaps (only those can make the
    report's list: the ones they displace are no longer than any of them)."""

    hour: int
    filled: int
    first: int
    last: int
    gaps: list[tuple[int, int]]


def _longest_first(gap: tuple[int, int]) -> tuple[int, int]:
    return gap[0] - gap[1], gap[0]


def _series_gaps(first: int, blocks: Sequence[_Block], intervals: int) -> Iterator[tuple[int, int]]:
    """series_gaps over a series' hour blocks (in hour order): the runs before, between
    and after them, and each block's longest interior runs."""
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


@asynccontextmanager
async def _ticks_by_hour(
    connection: AsyncConnection, query: StatsQuery, per_hour: int
) -> AsyncIterator[psycopg.AsyncServerCursor[Any]]:
    """Rows of (symbol, quote, hour, records, missing, nonpositive, crossed, wide,
    invalid, interval indexes, prices), straight from the driver: the arrays load as
    Python lists in psycopg's C code, with no per-row SQLAlchemy processing. A
    server-side cursor streams them a batch per round trip, so only one batch of hour
    blocks is ever in Python, whatever the window."""
    pooled = await connection.get_raw_connection()
    driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
    async with driver.cursor("quality_hour_blocks", binary=True) as cursor:
        cursor.itersize = 256
        await cursor.execute(
            _TICKS_BY_HOUR,
            {
                "start": query.start,
                "end": query.end,
                "cadence": query.price_cadence,
                "cadence_seconds": int(query.price_cadence.total_seconds()),
                "per_hour": per_hour,
                "ask_factor": 2 - query.max_spread,
                "bid_factor": 2 + query.max_spread,
            },
        )
        yield cursor


def _hour_block(
    intervals: list[int], prices: list[float], query: StatsQuery
) -> tuple[list[int], list[tuple[int, float, float]]]:
    """One (series, hour block)'s present intervals, ascending, and the intervals whose
    prices lie beyond the block's MAD band, with its median and scale: only their ticks
    can be outliers, and only those are read again."""
    present = sorted(set(intervals))
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
        return present, []
    median, scale = band
    limit = query.mad_k * scale
    # Float subtraction is monotonic: no interval is beyond unless the block's extremes are.
    if max(highs) - median <= limit and median - min(lows) <= limit:
        return present, []
    return present, [
        (index, median, scale)
        for index, lo, hi in zip(keys, lows, highs, strict=True)
        if max(abs(lo - median), abs(hi - median)) > limit
    ]


async def _price_outliers(
    connection: AsyncConnection,
    query: StatsQuery,
    flagged: Sequence[tuple[str, str, int, float, float]],
) -> tuple[list[Outlier], int]:
    if not flagged:
        return [], 0
    symbols, quotes, intervals, medians, scales = zip(*flagged, strict=True)
    rows = (
        await connection.execute(
            _OUTLIERS,
            {
                "symbols": list(symbols),
                "quotes": list(quotes),
                "froms": [query.start + index * query.price_cadence for index in intervals],
                "medians": list(medians),
                "scales": list(scales),
                "cadence": query.price_cadence,
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


# --- glass ----------------------------------------------------------------------------


def expected_days(query: StatsQuery) -> list[date]:
    first = query.start.date()
    last = max(query.end.date(), first + DAY)
    return [first + DAY * i for i in range((last - first).days)]


async def _day_coverage(
    connection: AsyncConnection, sql: str, days: Sequence[date], query: StatsQuery
) -> list[Coverage]:
    rows = await connection.execute(
        text(sql),
        {"tracking_day": query.tracking_start.date(), "first": days[0], "last": days[-1]},
    )
    result = []
    for key, first_day, filled in rows:
        expected = (days[-1] - max(days[0], first_day)).days + 1
        if expected > 0:
            result.append(Coverage(key, expected, int(filled)))
    return result


async def _glass(connection: AsyncConnection, query: StatsQuery) -> LedgerStats:
    days = expected_days(query)
    coverage = await _day_coverage(
        connection,
        """
        SELECT 'protocol:' || protocol, min(day),
            count(DISTINCT day) FILTER (WHERE day >= :first)
        FROM protocol_metrics WHERE day >= :tracking_day AND day <= :last GROUP BY protocol
        """,
        days,
        query,
    )
    coverage += await _day_coverage(
        connection,
        """
        SELECT 'onchain:' || asset || '/' || metric, min(d),
            count(DISTINCT d) FILTER (WHERE d >= :first)
        FROM (SELECT asset, metric, (observed_at AT TIME ZONE 'UTC')::date AS d
                FROM onchain_metrics) x
        WHERE d >= :tracking_day AND d <= :last GROUP BY asset, metric
        """,
        days,
        query,
    )
    params = {"start": query.start, "end": query.end, "now": query.now, "today": query.now.date()}
    protocol = (
        await connection.execute(
            text(
                """
                SELECT
                  count(*) FILTER (WHERE observed_at >= :start AND observed_at < :end),
                  count(*) FILTER (WHERE observed_at >= :start AND observed_at < :end
                                     AND (tvl_usd < 0 OR fees_24h < 0)),
                  count(*) FILTER (WHERE observed_at >= :start AND observed_at < :end
                                     AND tvl_usd IS NULL),
                  count(*) FILTER (WHERE observed_at > :now OR day > :today),
                  max(observed_at) FILTER (WHERE observed_at < :end)
                FROM protocol_metrics
                """
            ),
            params,
        )
    ).one()
    records, negative, missing, future, protocol_newest = protocol
    protocol_rules = _rules(
        "protocol_metrics",
        records + future,
        {"amounts_non_negative": negative, "not_in_future": future},
        negative + future,
        missing,
        await _duplicates(connection, "protocol_metrics"),
    )
    onchain = (
        await connection.execute(
            text(
                """
                SELECT
                  count(*) FILTER (WHERE observed_at >= :start AND observed_at < :end),
                  count(*) FILTER (WHERE observed_at > :now),
                  max(observed_at) FILTER (WHERE observed_at < :end)
                FROM onchain_metrics
                """
            ),
            params,
        )
    ).one()
    onchain_records, onchain_future, onchain_newest = onchain
    onchain_rules = _rules(
        "onchain_metrics",
        onchain_records + onchain_future,
        {"not_in_future": onchain_future},
        onchain_future,
        0,
        await _duplicates(connection, "onchain_metrics"),
    )
    return LedgerStats(
        Ledger.GLASS,
        coverage=tuple(sorted(coverage, key=lambda c: c.key)),
        rules=(protocol_rules, onchain_rules),
        hourly=(
            (
                "protocol_metrics",
                await _hourly(connection, "protocol_metrics", "observed_at", query),
            ),
            ("onchain_metrics", await _hourly(connection, "onchain_metrics", "observed_at", query)),
        ),
        newest=(
            (p.FEED_PROTOCOL_METRICS, protocol_newest),
            (p.FEED_ONCHAIN_METRICS, onchain_newest),
        ),
    )


# --- human and catalyst ---------------------------------------------------------------


async def _run_coverage(
    connection: AsyncConnection, ledger: Ledger, query: StatsQuery
) -> list[Coverage]:
    result = []
    for name in sorted(query.collectors):
        owner, cadence = query.collectors[name]
        if owner is not ledger:
            continue
        first_seen, filled = (
            await connection.execute(
                text(
                    """
                    SELECT min(started_at),
                        count(DISTINCT date_bin(:cadence, started_at, :start)) FILTER (
                            WHERE status IN ('success', 'partial') AND started_at >= :start)
                    FROM collector_runs
                    WHERE collector = :name AND started_at >= :tracking AND started_at < :end
                    """
                ),
                {
                    "cadence": cadence,
                    "start": query.start,
                    "end": query.end,
                    "tracking": query.tracking_start,
                    "name": name,
                },
            )
        ).one()
        if first_seen is None:
            continue
        first = max(0, query.bucket(max(query.start, first_seen), cadence))
        result.append(Coverage(name, query.intervals(cadence) - first, int(filled)))
    return result


async def _sentiment_rules(
    connection: AsyncConnection, table: str, column: str, query: StatsQuery
) -> tuple[RuleCounts, tuple[int, ...], datetime | None]:
    window = f"{column} >= :start AND {column} < :end"
    records, out_of_range, missing, future, newest = (
        await connection.execute(
            text(
                f"""
                SELECT
                  count(*) FILTER (WHERE {window}),
                  count(*) FILTER (WHERE {window} AND NOT sentiment_score BETWEEN -1 AND 1),
                  count(*) FILTER (WHERE {window} AND sentiment_score IS NULL),
                  count(*) FILTER (WHERE {column} > :now),
                  max({column}) FILTER (WHERE {column} < :end)
                FROM {table}
                """  # noqa: S608 (fixed names)
            ),
            {"start": query.start, "end": query.end, "now": query.now},
        )
    ).one()
    rules = _rules(
        table,
        records + future,
        {"sentiment_in_range": out_of_range, "not_in_future": future},
        out_of_range + future,
        missing,
        await _duplicates(connection, table),
    )
    return rules, await _hourly(connection, table, column, query), newest


async def _human(connection: AsyncConnection, query: StatsQuery) -> LedgerStats:
    news_rules, news_hourly, news_newest = await _sentiment_rules(
        connection, "news_items", "published_at", query
    )
    social_rules, social_hourly, social_newest = await _sentiment_rules(
        connection, "social_posts", "posted_at", query
    )
    return LedgerStats(
        Ledger.HUMAN,
        coverage=tuple(await _run_coverage(connection, Ledger.HUMAN, query)),
        rules=(news_rules, social_rules),
        hourly=(("news_items", news_hourly), ("social_posts", social_hourly)),
        newest=((p.FEED_NEWS, news_newest), (p.FEED_SOCIAL, social_newest)),
    )


async def _catalyst(connection: AsyncConnection, query: StatsQuery) -> LedgerStats:
    window = "detected_at >= :start AND detected_at < :end"
    filing = "event_type LIKE :filing"
    records, impact, missing, future, others, filings = (
        await connection.execute(
            text(
                f"""
                SELECT
                  count(*) FILTER (WHERE {window}),
                  count(*) FILTER (WHERE {window} AND NOT impact BETWEEN 1 AND 10),
                  count(*) FILTER (WHERE {window} AND url = ''),
                  count(*) FILTER (WHERE occurred_at > :now OR detected_at > :now),
                  max(detected_at) FILTER (WHERE detected_at < :end AND NOT {filing}),
                  max(detected_at) FILTER (WHERE detected_at < :end AND {filing})
                FROM catalyst_events
                """  # noqa: S608 (fixed names)
            ),
            {
                "start": query.start,
                "end": query.end,
                "now": query.now,
                "filing": p.FILING_EVENT_PREFIX + "%",
            },
        )
    ).one()
    rules = _rules(
        "catalyst_events",
        records + future,
        {"impact_in_range": impact, "not_in_future": future},
        impact + future,
        missing,
        await _duplicates(connection, "catalyst_events"),
    )
    return LedgerStats(
        Ledger.CATALYST,
        coverage=tuple(await _run_coverage(connection, Ledger.CATALYST, query)),
        rules=(rules,),
        hourly=(
            ("catalyst_events", await _hourly(connection, "catalyst_events", "detected_at", query)),
        ),
        newest=((p.FEED_ANNOUNCEMENTS, others), (p.FEED_FILINGS, filings)),
    )
