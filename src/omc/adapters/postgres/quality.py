"""Quality aggregates computed by PostgreSQL, never by shipping rows to Python.

Prices, the big table, are read once: the window's ticks collapse into one row per
(series, cadence interval) in a temporary table (a parallel hash aggregate), and every
other figure - coverage, gaps (lag() over intervals), hourly volume, MAD bands
(percentile_cont over interval mid-prices) - comes from that small table. Only ticks in
intervals already flagged as out of band are read again, through the key index. Series
are found with a loose index scan. Everything runs in one REPEATABLE READ transaction,
so the figures describe one snapshot. The definitions mirror omc.adapters.memory.quality
one for one; the contract test holds the two to equal reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omc.domain.quality import Coverage, Gap, LedgerStats, Outlier, QualityStats, RuleCounts
from omc.domain.quality import policy as p
from omc.domain.quality.policy import StatsQuery
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

_BUCKETS = text(
    """
    CREATE TEMPORARY TABLE quality_price_buckets ON COMMIT DROP AS
    SELECT symbol, quote, (extract(epoch FROM bucket_at - :start))::bigint / :cadence_seconds AS b,
        n, lo, hi, missing, nonpositive, crossed, wide, invalid
    FROM (
        -- Grouped on the cheap timestamp; the interval index is computed once per group.
        SELECT symbol, quote, date_bin(:cadence, observed_at, :start) AS bucket_at,
            count(*) AS n,
            min(last)::float8 AS lo,
            max(last)::float8 AS hi,
            count(*) FILTER (WHERE bid IS NULL OR ask IS NULL) AS missing,
            count(*) FILTER (WHERE last <= 0 OR bid <= 0 OR ask <= 0) AS nonpositive,
            count(*) FILTER (WHERE bid > ask) AS crossed,
            count(*) FILTER (WHERE bid <= ask AND (ask - bid) * 2 > :spread * (ask + bid)) AS wide,
            count(*) FILTER (WHERE {invalid}) AS invalid
        FROM price_ticks
        WHERE observed_at >= :start AND observed_at < :end
        GROUP BY 1, 2, 3
    ) intervals
    """.replace("{invalid}", _PRICE_INVALID)
)

_PER_SERIES = text(
    """
    SELECT symbol, quote, count(*) AS filled, min(b) AS first_b, max(b) AS last_b
    FROM quality_price_buckets GROUP BY symbol, quote
    """
)

_TOTALS = text(
    """
    SELECT coalesce(sum(n), 0), coalesce(sum(missing), 0), coalesce(sum(nonpositive), 0),
        coalesce(sum(crossed), 0), coalesce(sum(wide), 0), coalesce(sum(invalid), 0)
    FROM quality_price_buckets
    """
)

_GAPS = text(
    """
    SELECT symbol, quote, prev + 1 AS gap_from, b AS gap_to FROM (
        SELECT symbol, quote, b, lag(b) OVER (PARTITION BY symbol, quote ORDER BY b) AS prev
        FROM quality_price_buckets
    ) intervals
    WHERE b - prev > 1
    ORDER BY b - prev DESC, symbol, quote, prev
    LIMIT :limit
    """.replace("{invalid}", _PRICE_INVALID)
)

_HOURLY_PRICES = text("SELECT b / :per_hour AS h, sum(n) FROM quality_price_buckets GROUP BY 1")

_FLAGGED = text(
    """
    WITH m AS (
        SELECT symbol, quote, b, b / :per_hour AS h, lo, hi, (lo + hi) / 2 AS mid
        FROM quality_price_buckets
    ), med AS (
        SELECT symbol, quote, h, percentile_cont(0.5) WITHIN GROUP (ORDER BY mid) AS median
        FROM m GROUP BY symbol, quote, h HAVING count(*) >= :min_points
    ), band AS (
        SELECT m.symbol, m.quote, m.h, med.median,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(m.mid - med.median)) AS mad
        FROM m JOIN med USING (symbol, quote, h)
        GROUP BY m.symbol, m.quote, m.h, med.median
    ), scaled AS (
        SELECT symbol, quote, h, median, greatest(mad, :floor * abs(median)) AS scale
        FROM band
    )
    SELECT m.symbol, m.quote, m.b, s.median, s.scale
    FROM m JOIN scaled s USING (symbol, quote, h)
    WHERE s.scale > 0 AND greatest(abs(m.lo - s.median), abs(m.hi - s.median)) > :k * s.scale
    """
)

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
        connection = await self._engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                # The interval table of a busy window must not spill to disk.
                await connection.execute(text("SET LOCAL work_mem = '256MB'"))
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
    cadence_seconds = int(cadence.total_seconds())
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
    await connection.execute(
        _BUCKETS,
        {
            "cadence": cadence,
            "cadence_seconds": cadence_seconds,
            "spread": query.max_spread,
            **window,
        },
    )
    # Statistics on the interval table, or the planner joins it by nested loops.
    await connection.execute(text("ANALYZE quality_price_buckets"))
    per_series = {(row.symbol, row.quote): row for row in await connection.execute(_PER_SERIES)}
    records, missing, nonpositive, crossed, wide, invalid = (
        await connection.execute(_TOTALS)
    ).one()

    def at(index: int) -> datetime:
        return query.start + index * cadence

    coverage: list[Coverage] = []
    gaps: list[Gap] = []
    for row in series:
        key = f"{row.symbol}/{row.quote}"
        first = max(0, query.bucket(max(query.start, row.first_seen), cadence))
        present = per_series.get((row.symbol, row.quote))
        filled = present.filled if present else 0
        coverage.append(Coverage(key, n_intervals - first, int(filled), row.newest))
        if present is None:
            if first < n_intervals:
                gaps.append(Gap(key, at(first), at(n_intervals), n_intervals - first, True))
            continue
        if present.first_b > first:
            gaps.append(Gap(key, at(first), at(present.first_b), present.first_b - first, False))
        if present.last_b < n_intervals - 1:
            begin = present.last_b + 1
            gaps.append(Gap(key, at(begin), at(n_intervals), n_intervals - begin, True))
    for row in await connection.execute(_GAPS, {"limit": query.max_gaps}):
        key = f"{row.symbol}/{row.quote}"
        gaps.append(Gap(key, at(row.gap_from), at(row.gap_to), row.gap_to - row.gap_from, False))
    gaps.sort(key=lambda gap: (-gap.missing, gap.key, gap.start))

    hourly = _spread_hours(
        (await connection.execute(_HOURLY_PRICES, {"per_hour": per_hour})).all(), query
    )
    outliers, outlier_count = await _price_outliers(connection, query, per_hour)
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
        gaps=tuple(gaps[: query.max_gaps]),
        rules=(rules,),
        outliers=tuple(outliers),
        hourly=(("price_ticks", hourly),),
        newest=((p.FEED_EXCHANGE, newest_any),),
    )


async def _price_outliers(
    connection: AsyncConnection, query: StatsQuery, per_hour: int
) -> tuple[list[Outlier], int]:
    flagged = (
        await connection.execute(
            _FLAGGED,
            {
                "per_hour": per_hour,
                "min_points": query.mad_min_points,
                "floor": query.mad_floor,
                "k": query.mad_k,
            },
        )
    ).all()
    if not flagged:
        return [], 0
    rows = (
        await connection.execute(
            _OUTLIERS,
            {
                "symbols": [row.symbol for row in flagged],
                "quotes": [row.quote for row in flagged],
                "froms": [query.start + row.b * query.price_cadence for row in flagged],
                "medians": [row.median for row in flagged],
                "scales": [row.scale for row in flagged],
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
