"""PriceTickRepository: filters, exact decimals and latest(), over memory and Postgres."""

from __future__ import annotations

from decimal import Decimal

from omc.application.ports import Condition, IngestResult, LedgerRepositories, Op, PageRequest
from tests.support.records import tick


async def test_filters_by_symbol_quote_and_source(repositories: LedgerRepositories) -> None:
    repo = repositories.price_ticks
    ticks = [
        tick("BTC", 0),
        tick("BTC", 1, quote="USD"),
        tick("ETH", 2),
        tick("BTC", 3, source="kraken"),
        tick("SOL", 4),
    ]
    await repo.add_many(ticks)

    async def symbols_of(*conditions: Condition) -> list[tuple[str, str, str]]:
        page = await repo.list(conditions, PageRequest(100))
        return [(t.symbol, t.quote, t.source) for t in page.items]

    assert await symbols_of(Condition("symbol", Op.IN, ("BTC", "ETH"))) == [
        ("BTC", "AUD", "coinspot"),
        ("BTC", "USD", "coinspot"),
        ("ETH", "AUD", "coinspot"),
        ("BTC", "AUD", "kraken"),
    ]
    assert await symbols_of(
        Condition("symbol", Op.IN, ("BTC",)), Condition("quote", Op.EQ, "AUD")
    ) == [("BTC", "AUD", "coinspot"), ("BTC", "AUD", "kraken")]
    assert await symbols_of(Condition("source", Op.EQ, "kraken")) == [("BTC", "AUD", "kraken")]


async def test_decimals_keep_their_exact_digits(repositories: LedgerRepositories) -> None:
    repo = repositories.price_ticks
    sent = tick(
        last="1234567890123456789012345678.123456789012345678",
        bid="0.000000000000000001",
        ask="1.50",
        volume="0",
    )
    await repo.add_many([sent])

    (got,) = (await repo.list([], PageRequest(1))).items

    assert [str(v) for v in (got.last, got.bid, got.ask, got.volume_24h)] == [
        "1234567890123456789012345678.123456789012345678",
        "1E-18",
        "1.50",
        "0",
    ]
    assert got.bid == Decimal("0.000000000000000001")


async def test_the_same_observation_from_another_source_is_a_new_tick(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    assert await repo.add_many([tick(source="coinspot")]) == IngestResult(inserted=1)
    assert await repo.add_many([tick(source="kraken"), tick(source="coinspot")]) == IngestResult(
        inserted=1, duplicate=1
    )


async def test_latest_is_the_newest_tick_per_symbol_and_quote(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    await repo.add_many(
        [
            tick("ETH", 5, last="3000"),
            tick("BTC", 1, last="1"),
            tick("BTC", 9, last="9"),
            tick("BTC", 4, last="4"),
            tick("BTC", 7, quote="USD", last="7"),
            tick("SOL", 2, last="2", source="kraken"),
        ]
    )

    latest = await repo.latest([], None, None)

    assert [(t.symbol, t.quote, t.last) for t in latest] == [
        ("BTC", "AUD", Decimal("9")),
        ("BTC", "USD", Decimal("7")),
        ("ETH", "AUD", Decimal("3000")),
        ("SOL", "AUD", Decimal("2")),
    ]


async def test_latest_filters_by_symbols_quote_and_source(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    await repo.add_many(
        [
            tick("BTC", 9, last="9", source="kraken"),
            tick("BTC", 3, last="3", source="coinspot"),
            tick("BTC", 8, quote="USD", last="8"),
            tick("ETH", 5, last="5"),
        ]
    )

    def shown(ticks: list) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
        return [(t.symbol, t.quote, str(t.last)) for t in ticks]

    assert shown(await repo.latest(["BTC"], None, None)) == [
        ("BTC", "AUD", "9"),
        ("BTC", "USD", "8"),
    ]
    assert shown(await repo.latest(["BTC"], "USD", None)) == [("BTC", "USD", "8")]
    assert shown(await repo.latest(["BTC", "ETH"], "AUD", "coinspot")) == [
        ("BTC", "AUD", "3"),
        ("ETH", "AUD", "5"),
    ]
    assert await repo.latest(["DOGE"], None, None) == []


async def test_latest_breaks_a_tie_on_time_by_the_first_source_by_name(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    await repo.add_many(
        [
            tick("BTC", 5, last="3", source="zebra"),
            tick("BTC", 5, last="1", source="alpha"),
            tick("BTC", 5, last="2", source="beta"),
            tick("BTC", 4, last="0.5", source="aardvark"),
        ]
    )

    (latest,) = await repo.latest(["BTC"], "AUD", None)

    assert (latest.source, latest.last) == ("alpha", Decimal("1"))
