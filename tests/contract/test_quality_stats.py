"""QualityStatsSource contract: memory and Postgres fed the same records give EQUAL
reports (and each gives the expected figures)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorRunRepository
from omc.adapters.memory.quality import MemoryQualityStats
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres import tables
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.price_hours import HourBlock, price_hours, store_blocks
from omc.adapters.postgres.quality import PostgresQualityStats
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.demo import DEMO_ANCHOR, load_demo_data
from omc.application.errors import StorageUnavailable
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import LedgerRepositories
from omc.application.quality import QualityReports
from omc.domain.catalyst import CatalystEvent
from omc.domain.collection import CollectorRun, RunStatus
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SocialPost
from omc.domain.quality import QualityPolicy, QualityReport, StatsQuery
from omc.domain.record import Ledger
from tests.unit.quality.scenarios import NOW, runs, ticks

pytestmark = pytest.mark.postgres

POLICY = QualityPolicy(
    collectors={
        "news": (Ledger.HUMAN, timedelta(minutes=5)),
        "sec": (Ledger.CATALYST, timedelta(minutes=10)),
    }
)


@pytest.fixture
async def pg(clean_postgres: AsyncEngine) -> AsyncEngine:
    async with clean_postgres.begin() as connection:
        await connection.execute(text("TRUNCATE collector_runs"))
    return clean_postgres


class Pair:
    """The same records in both stores."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.memory = memory_repositories(PriceTickFanout())
        self.postgres = postgres_repositories(engine)
        self.memory_runs = MemoryCollectorRunRepository()

    async def add(self, name: str, records: list[object]) -> None:
        for repositories in (self.memory, self.postgres):
            repository = getattr(repositories, name)
            for chunk in range(0, len(records), 5_000):
                await repository.add_many(records[chunk : chunk + 5_000])

    async def add_runs(self, items: list[CollectorRun]) -> None:
        for run in items:
            await self.memory_runs.add(run)
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(tables.collector_runs),
                [
                    {
                        "run_id": r.run_id,
                        "collector": r.collector,
                        "started_at": r.started_at,
                        "finished_at": r.finished_at,
                        "status": str(r.status),
                        "fetched": r.fetched,
                        "inserted": r.inserted,
                        "updated": r.updated,
                        "duplicate": r.duplicate,
                        "rejected": r.rejected,
                        "error": r.error,
                    }
                    for r in items
                ],
            )

    async def reports(
        self, policy: QualityPolicy = POLICY, now: datetime = NOW, **kwargs: object
    ) -> tuple[QualityReport, QualityReport]:
        clock = FixedClock(now)
        memory = QualityReports(MemoryQualityStats(self.memory, self.memory_runs), policy, clock)
        postgres = QualityReports(PostgresQualityStats(self.engine), policy, clock)
        return (
            await memory.report(**kwargs),  # type: ignore[arg-type]
            await postgres.report(**kwargs),  # type: ignore[arg-type]
        )


@pytest.fixture
def pair(pg: AsyncEngine) -> Pair:
    return Pair(pg)


async def test_gap_and_outlier_scenario_reports_are_equal(pair: Pair) -> None:
    await pair.add(
        "price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW - timedelta(minutes=20))
    )
    await pair.add(
        "price_ticks", ticks("ETH", NOW - timedelta(hours=2), NOW, price=Decimal("3000"))
    )
    # An interior gap, a crossed quote, a wide one, one without bid/ask, a 10x spike.
    await pair.add(
        "price_ticks",
        ticks("SOL", NOW - timedelta(hours=2), NOW - timedelta(hours=1), price=Decimal("20"))
        + ticks("SOL", NOW - timedelta(minutes=30), NOW, price=Decimal("20")),
    )
    at = NOW - timedelta(minutes=45, seconds=3)
    await pair.add(
        "price_ticks",
        [
            PriceTick("ETH", Decimal("30000"), at, "spiky", "AUD"),
            PriceTick("ADA", Decimal("1"), at, "feed", bid=Decimal("0.9"), ask=Decimal("1.1")),
            PriceTick("DOT", Decimal("5"), at, "feed"),
            # Tracked from before the window, silent in it.
            PriceTick("XRP", Decimal("2"), NOW - timedelta(days=2), "feed"),
        ],
    )
    memory, postgres = await pair.reports()
    assert memory == postgres
    exchange = postgres.ledger(Ledger.EXCHANGE)
    assert [o.last for o in exchange.outliers] == [Decimal("30000")]
    assert {(g.key, g.open) for g in exchange.gaps} >= {
        ("BTC/AUD", True),
        ("SOL/AUD", False),
        ("XRP/AUD", True),
    }
    sol = next(g for g in exchange.gaps if g.key == "SOL/AUD")
    assert (sol.start, sol.end) == (NOW - timedelta(hours=1), NOW - timedelta(minutes=30))


async def test_busy_price_window_stats_are_equal(pair: Pair) -> None:
    """Several sources per interval at uneven times, dropped intervals (more gaps than the
    report lists, many of one length), spikes (more than it lists), invalid quotes, a
    window not aligned to the cadence: the stats themselves, not only the report, agree."""
    rng = random.Random(9)
    end = NOW - timedelta(seconds=3)
    start = end - timedelta(hours=3)
    records: list[PriceTick] = []
    for symbol, base in (("BTC", 100_000), ("ETH", 3_000), ("SOL", 20), ("ADA", 1)):
        for index in range(3 * 360):
            # The longest gap spans the 09:00 and 10:00 clock hours.
            if rng.random() < 0.15 or (symbol == "ADA" and 350 <= index < 375):
                continue
            for source in ("a", "b", "c")[: rng.randint(1, 3)]:
                at = start + timedelta(seconds=10 * index + rng.randint(0, 9_999) / 1000)
                last = Decimal(base) * (1 + Decimal(rng.randint(-300, 300)) / 100_000)
                if rng.random() < 0.01:
                    last *= 3  # a spike
                bid, ask = last - last / 1000, last + last / 1000
                roll = rng.random()
                if roll < 0.01:
                    bid, ask = ask, bid  # crossed
                elif roll < 0.02:
                    bid = last / 2  # far too wide
                elif roll < 0.03:
                    bid = ask = None
                records.append(PriceTick(symbol, last, at, source, "AUD", bid=bid, ask=ask))
    await pair.add("price_ticks", records)
    query = POLICY.query(end, NOW, timedelta(hours=3))
    memory = await MemoryQualityStats(pair.memory).stats(query, [Ledger.EXCHANGE])
    postgres = await PostgresQualityStats(pair.engine).stats(query, [Ledger.EXCHANGE])
    assert memory == postgres
    exchange = postgres.ledgers[0]
    assert len(exchange.gaps) == len(exchange.outliers) == POLICY.max_gaps
    longest = exchange.gaps[0]
    assert longest.key == "ADA/AUD"
    # Index 349's tick is at most 3,500 s in, index 375's at least 3,750 s: every grid
    # interval starting in between is missing.
    assert (
        longest.start
        <= start + timedelta(seconds=3_500)
        < start + timedelta(seconds=3_740)
        <= longest.end
    )
    assert {rule for rule, count in exchange.rules[0].by_rule if count} >= {
        "bid_not_above_ask",
        "spread_within_bound",
        "within_k_mad",
    }


async def test_every_ledger_reports_equal(pair: Pair) -> None:
    day = date(2025, 6, 1)
    await pair.add(
        "protocol_metrics",
        [
            ProtocolMetric("aave", day, NOW - timedelta(hours=10), "llama", Decimal(5)),
            ProtocolMetric(
                "lido", day - timedelta(days=3), NOW - timedelta(days=3), "llama", None, Decimal(1)
            ),
        ],
    )
    await pair.add(
        "onchain_metrics",
        [
            OnChainMetric("BTC", "active_addresses", Decimal(9), NOW - timedelta(hours=h), "glass")
            for h in (1, 30)
        ],
    )
    await pair.add(
        "news_items",
        [
            NewsItem(
                "cp",
                f"n{i}",
                f"title {i}",
                f"https://x/{i}",
                NOW - timedelta(minutes=7 * i),
                sentiment_score=Decimal("0.5") if i % 2 else None,
            )
            for i in range(1, 12)
        ],
    )
    await pair.add(
        "social_posts",
        [SocialPost("reddit", "p1", "post", NOW - timedelta(hours=2))],
    )
    await pair.add(
        "catalyst_events",
        [
            CatalystEvent(
                "sec_filing_8_k",
                "8-K",
                "sec",
                "a1",
                8,
                NOW - timedelta(days=1),
                NOW - timedelta(minutes=50),
                url="https://sec/a1",
            ),
            CatalystEvent(
                "exchange_listing",
                "list",
                "coinspot",
                "b1",
                6,
                NOW - timedelta(hours=3),
                NOW - timedelta(hours=3),
            ),
        ],
    )
    await pair.add_runs(runs("news", NOW - timedelta(hours=5), NOW, timedelta(minutes=5)))
    await pair.add_runs(
        runs(
            "news",
            NOW - timedelta(hours=5, minutes=2),
            NOW - timedelta(hours=1),
            timedelta(minutes=15),
            RunStatus.FAILED,
        )
    )
    await pair.add_runs(
        runs("sec", NOW - timedelta(hours=30), NOW - timedelta(hours=2), timedelta(minutes=10))
    )
    memory, postgres = await pair.reports()
    assert memory == postgres
    assert all(
        ledger.has_data for ledger in postgres.ledgers if ledger.ledger is not Ledger.EXCHANGE
    )
    human = postgres.ledger(Ledger.HUMAN)
    assert human.completeness is not None
    assert 0 < human.completeness < 1


async def test_demo_data_reports_are_equal(pair: Pair) -> None:
    for repositories in (pair.memory, pair.postgres):
        await load_demo_data(_use_cases(repositories))
    policy = QualityPolicy(price_cadence=timedelta(minutes=5), window=timedelta(hours=6))
    memory, postgres = await pair.reports(
        policy, now=datetime(2026, 1, 2, tzinfo=UTC), as_of=DEMO_ANCHOR
    )
    assert memory == postgres
    assert postgres.ledger(Ledger.EXCHANGE).completeness == 1.0


def _use_cases(repositories: LedgerRepositories) -> LedgerUseCases:
    return LedgerUseCases.build(repositories, PriceTickFanout(), FixedClock(DEMO_ANCHOR))


async def test_an_unreachable_database_is_storage_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"postgresql://postgres@/postgres?host={tmp_path}")
    try:
        with pytest.raises(StorageUnavailable):
            await PostgresQualityStats(engine).stats(POLICY.query(NOW, NOW), list(Ledger))
    finally:
        await engine.dispose()


# --- hour blocks: what one report computed, later ones reuse while it is current -------


def _spiky(symbol: str, start: datetime, end: datetime, price: str) -> list[PriceTick]:
    records = ticks(symbol, start, end, price=Decimal(price))
    records[len(records) // 2] = replace(records[len(records) // 2], last=Decimal(price) * 5)
    return records


async def _blocks(engine: AsyncEngine) -> dict[tuple[datetime, str], tuple[int, int]]:
    """(hour, symbol) -> (block version, records) of every stored block."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT hour, symbol, version, records FROM price_hour_blocks")
        )
        return {(hour, symbol): (version, records) for hour, symbol, version, records in rows}


async def _versions(engine: AsyncEngine) -> dict[tuple[datetime, str], int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT hour, symbol, version FROM price_hour_versions")
        )
        return {(hour, symbol): version for hour, symbol, version in rows}


async def test_a_report_keeps_each_complete_hour_it_computed(pair: Pair) -> None:
    # The window ends mid-hour: its first and last clock hours are cut by its edges.
    end = NOW + timedelta(minutes=20)
    await pair.add("price_ticks", ticks("BTC", end - timedelta(hours=5), end))
    await pair.add("price_ticks", _spiky("ETH", end - timedelta(hours=4), end, "3000"))
    policy = replace(POLICY, window=timedelta(hours=3))

    memory, postgres = await pair.reports(policy, now=end)

    assert memory == postgres
    complete = {NOW - timedelta(hours=h) for h in (1, 2)}
    blocks = await _blocks(pair.engine)
    assert {hour for hour, _ in blocks} == complete
    assert {symbol for _, symbol in blocks} == {"BTC", "ETH"}
    assert all(records == 360 for _, records in blocks.values())
    versions = await _versions(pair.engine)
    assert all(version == versions[key] for key, (version, _) in blocks.items())


async def test_later_reports_use_the_stored_blocks(pair: Pair) -> None:
    await pair.add("price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW))
    first, _ = await pair.reports()
    hour = NOW - timedelta(hours=2)
    async with pair.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE price_hour_blocks SET records = records + 1000"
                " WHERE hour = :hour AND symbol = 'BTC'"
            ),
            {"hour": hour},
        )

    _, postgres = await pair.reports()

    # The tampered block was read instead of the ticks: the stored block is the source.
    assert postgres.ledger(Ledger.EXCHANGE).records == first.ledger(Ledger.EXCHANGE).records + 1000


async def test_writes_to_a_reported_hour_make_its_block_stale(pair: Pair) -> None:
    await pair.add("price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW))
    await pair.add(
        "price_ticks",
        ticks("ETH", NOW - timedelta(hours=3), NOW - timedelta(hours=2), price=Decimal(3000))
        + ticks("ETH", NOW - timedelta(minutes=30), NOW, price=Decimal(3000)),
    )
    before, _ = await pair.reports()
    versions = await _versions(pair.engine)
    middle = NOW - timedelta(hours=2)
    spike = replace(ticks("BTC", middle, middle + timedelta(hours=1))[100], source="spiky")
    spike = replace(spike, last=spike.last * 4)

    await pair.add("price_ticks", [spike])
    await pair.add(  # filling the gap in ETH's middle hour
        "price_ticks", ticks("ETH", middle, middle + timedelta(minutes=40), price=Decimal(3000))
    )
    memory, postgres = await pair.reports()

    assert memory == postgres
    assert memory != before
    assert [o.last for o in postgres.ledger(Ledger.EXCHANGE).outliers] == [spike.last]
    after = await _versions(pair.engine)
    assert after[(middle, "BTC")] == versions[(middle, "BTC")] + 1
    assert after[(middle, "ETH")] == 1
    assert after[(NOW - timedelta(hours=1), "BTC")] == versions[(NOW - timedelta(hours=1), "BTC")]
    blocks = await _blocks(pair.engine)
    assert blocks[(middle, "BTC")][0] == after[(middle, "BTC")]


async def test_an_update_makes_its_hours_stale(pair: Pair) -> None:
    """Ingest never updates a tick, but an operator's UPDATE must not leave a block that
    describes the old prices (memory has no UPDATE: Postgres alone here)."""
    await pair.add("price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW))
    await pair.reports()
    at = NOW - timedelta(hours=2) + timedelta(minutes=15)

    async with pair.engine.begin() as connection:
        await connection.execute(
            text("UPDATE price_ticks SET last = last * 4 WHERE observed_at = :at"), {"at": at}
        )
    _, postgres = await pair.reports()

    assert [o.observed_at for o in postgres.ledger(Ledger.EXCHANGE).outliers] == [at]


async def test_deleted_ticks_make_their_hours_stale(pair: Pair) -> None:
    await pair.add("price_ticks", _spiky("BTC", NOW - timedelta(hours=3), NOW, "100"))
    before, _ = await pair.reports()
    async with pair.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM price_ticks WHERE observed_at >= :since AND observed_at < :until"),
            {"since": NOW - timedelta(hours=2), "until": NOW - timedelta(hours=1)},
        )

    _, postgres = await pair.reports()

    exchange = postgres.ledger(Ledger.EXCHANGE)
    assert exchange.records == before.ledger(Ledger.EXCHANGE).records - 360
    assert [(g.start, g.end) for g in exchange.gaps] == [
        (NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    ]
    assert (await _blocks(pair.engine))[(NOW - timedelta(hours=2), "BTC")][1] == 0


async def test_blocks_are_not_reused_under_other_parameters(pair: Pair) -> None:
    records = _spiky("BTC", NOW - timedelta(hours=3), NOW, "100")
    await pair.add("price_ticks", records)
    await pair.reports()
    # Under a k this large the spike is no outlier: a block kept from k = 10 would say it is.
    lenient = replace(POLICY, mad_k=1e9)

    memory, postgres = await pair.reports(lenient)

    assert memory == postgres
    assert postgres.ledger(Ledger.EXCHANGE).outliers == ()


async def test_a_block_computed_before_a_write_is_never_used_after_it(pair: Pair) -> None:
    """A report whose snapshot predates a write stores its blocks at the versions it
    saw: they must neither replace a newer block nor be taken as current."""
    await pair.add("price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW))
    query = POLICY.query(NOW, NOW)
    stale = await price_hours_of(pair.engine, query)
    hour = NOW - timedelta(hours=2)
    await pair.add("price_ticks", _spiky("BTC", hour, hour + timedelta(hours=1), "100"))
    memory, postgres = await pair.reports()
    fresh = await _blocks(pair.engine)

    await store_blocks(pair.engine, query, stale)  # the old report finishing late
    again_memory, again_postgres = await pair.reports()

    assert memory == postgres == again_memory == again_postgres
    assert await _blocks(pair.engine) == fresh


async def test_truncating_the_ticks_forgets_every_block(pair: Pair) -> None:
    await pair.add("price_ticks", ticks("BTC", NOW - timedelta(hours=3), NOW))
    query = POLICY.query(NOW, NOW)
    late = await price_hours_of(pair.engine, query)  # a report still running
    await pair.reports()
    versions = await _versions(pair.engine)
    assert await _blocks(pair.engine)

    async with pair.engine.begin() as connection:
        await connection.execute(text("TRUNCATE price_ticks"))
    assert await _blocks(pair.engine) == {}
    await store_blocks(pair.engine, query, late)  # ... storing what it read before

    assert await _versions(pair.engine) == {key: v + 1 for key, v in versions.items()}
    memory = MemoryQualityStats(memory_repositories(PriceTickFanout()))
    assert await PostgresQualityStats(pair.engine).stats(query, [Ledger.EXCHANGE]) == (
        await memory.stats(query, [Ledger.EXCHANGE])
    )


async def price_hours_of(
    engine: AsyncEngine, query: StatsQuery
) -> dict[tuple[int, str, str, int], HourBlock]:
    """The blocks a report over `query` computes, as of now, without storing them."""
    async with engine.connect() as connection, connection.begin():
        return (await price_hours(connection, query, 0)).computed


async def test_keep_hours_brings_the_newest_stale_hours_up_to_date(pair: Pair) -> None:
    await pair.add("price_ticks", _spiky("BTC", NOW - timedelta(hours=5), NOW, "100"))
    await pair.add("price_ticks", ticks("ETH", NOW - timedelta(hours=2), NOW, price=Decimal(9)))
    query = POLICY.query(NOW, NOW, timedelta(days=30))
    memory, postgres = MemoryQualityStats(pair.memory), PostgresQualityStats(pair.engine)

    assert await memory.keep_hours(query, 2) == 0
    assert await postgres.keep_hours(query, 2) == 2
    assert {hour for hour, _ in await _blocks(pair.engine)} == {
        NOW - timedelta(hours=h) for h in (1, 2)
    }
    assert await postgres.keep_hours(query, 10) == 3
    assert await postgres.keep_hours(query, 10) == 0
    kept = await _block_rows(pair.engine)

    # What the monitor kept is what a report would have worked out itself.
    async with pair.engine.begin() as connection:
        await connection.execute(text("DELETE FROM price_hour_blocks"))
    assert await postgres.stats(query, [Ledger.EXCHANGE]) == await memory.stats(
        query, [Ledger.EXCHANGE]
    )
    assert await _block_rows(pair.engine) == kept
    assert len(kept) == 7


async def _block_rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT * FROM price_hour_blocks ORDER BY hour, symbol, quote, params")
        )
        return [tuple(row) for row in rows]
