"""Quality aggregates computed where the data lives, in PostgreSQL.

Prices, the big table, come from per-(series, clock hour) blocks kept between reports
(omc.adapters.postgres.price_hours, ADR 0008); the other ledgers' tables are small and
aggregated whole per report. Everything a report reads runs in one REPEATABLE READ
transaction, so the figures describe one snapshot. The definitions mirror
omc.adapters.memory.quality one for one; the contract test holds the two to equal
reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omc.adapters.postgres.price_hours import (
    PriceHours,
    keep_price_hours,
    price_hours,
    store_blocks,
)
from omc.adapters.postgres.repositories import storage_errors
from omc.domain.quality import Coverage, LedgerStats, QualityStats, RuleCounts
from omc.domain.quality import policy as p
from omc.domain.quality.policy import HOUR, StatsQuery, grid_time
from omc.domain.record import Ledger

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


class PostgresQualityStats:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        # A database that is down answers UNAVAILABLE, like every other store.
        with storage_errors():
            return await self._stats(query, ledgers)

    async def keep_hours(self, query: StatsQuery, max_hours: int) -> int:
        with storage_errors():
            return await keep_price_hours(self._engine, query, max_hours)

    async def _stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        prices: PriceHours | None = None
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
                        duplicates = await _duplicates(connection, "price_ticks")
                        prices = await price_hours(connection, query, duplicates)
                        result.append(prices.stats)
                    elif ledger is Ledger.GLASS:
                        result.append(await _glass(connection, query))
                    elif ledger is Ledger.HUMAN:
                        result.append(await _human(connection, query))
                    else:
                        result.append(await _catalyst(connection, query))
        finally:
            await connection.close()
        if prices is not None:
            await store_blocks(self._engine, query, prices.computed)
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
    """Records per baseline clock hour, then in the trailing hour (StatsQuery.volume_hours),
    in one round trip: the trailing hour's rows group under a NULL hour."""
    first, end = query.baseline_hours
    rows = await connection.execute(
        text(
            f"SELECT CASE WHEN {column} >= :trailing THEN NULL"  # noqa: S608 (fixed names)
            f" ELSE floor(extract(epoch FROM {column}) / 3600)::bigint END AS h, count(*)"
            f" FROM {table} WHERE ({column} >= :first AND {column} < :baseline_end)"
            f" OR ({column} >= :trailing AND {column} < :end) GROUP BY 1"
        ),
        {
            "first": grid_time(first, HOUR),
            "baseline_end": grid_time(end, HOUR),
            "trailing": query.trailing_start,
            "end": query.end,
        },
    )
    counts = {hour: int(count) for hour, count in rows}
    trailing = counts.pop(None, 0)
    return query.volume_hours({int(hour): count for hour, count in counts.items()}, trailing)


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
