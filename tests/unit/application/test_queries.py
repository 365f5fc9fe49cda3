from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.repositories import memory_repositories
from omc.application.errors import InvalidArgument, StreamInterrupted, SubscriberTooSlow
from omc.application.fanout import PriceTickFanout
from omc.application.filters import (
    NewsItemFilter,
    PriceTickFilter,
    ProtocolMetricFilter,
    SocialPostFilter,
)
from omc.application.ledger import LedgerUseCases
from omc.domain.exchange import PriceTick
from omc.domain.human import NewsItem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fanout() -> PriceTickFanout:
    return PriceTickFanout(queue_limit=3)


@pytest.fixture
def use_cases(fanout: PriceTickFanout) -> LedgerUseCases:
    return LedgerUseCases.build(memory_repositories(fanout), fanout, FixedClock(NOW))


def tick(symbol: str, last: str, seconds_ago: int, source: str = "coinspot") -> PriceTick:
    return PriceTick(
        symbol=symbol,
        last=Decimal(last),
        observed_at=NOW - timedelta(seconds=seconds_ago),
        source=source,
    )


async def test_paging_walks_every_record_once_in_order(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks([tick(s, "1", i) for i in range(5) for s in ("B", "A")])
    seen: list[PriceTick] = []
    token = ""
    while True:
        page = await use_cases.list_price_ticks(PriceTickFilter(), page_size=3, page_token=token)
        seen.extend(page.items)
        token = page.next_page_token
        if not token:
            break
    keys = [(t.observed_at, t.symbol) for t in seen]
    assert keys == sorted(keys)
    assert len(set(keys)) == 10


async def test_newest_first_paging(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks([tick("BTC", str(i + 1), i) for i in range(4)])
    first = await use_cases.list_price_ticks(PriceTickFilter(), page_size=3, newest_first=True)
    assert [t.last for t in first.items] == [Decimal(1), Decimal(2), Decimal(3)]
    rest = await use_cases.list_price_ticks(
        PriceTickFilter(), page_size=3, page_token=first.next_page_token, newest_first=True
    )
    assert [t.last for t in rest.items] == [Decimal(4)]
    assert rest.next_page_token == ""


async def test_page_token_is_bound_to_its_filter(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks([tick("BTC", "1", i) for i in range(3)])
    page = await use_cases.list_price_ticks(PriceTickFilter(symbols=("BTC",)), page_size=1)
    with pytest.raises(InvalidArgument) as raised:
        await use_cases.list_price_ticks(
            PriceTickFilter(symbols=("ETH",)), page_size=1, page_token=page.next_page_token
        )
    assert raised.value.violations[0].field == "page_token"
    with pytest.raises(InvalidArgument):
        await use_cases.list_price_ticks(PriceTickFilter(), page_token="not-a-token!")


async def test_bad_list_arguments_are_all_reported(use_cases: LedgerUseCases) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await use_cases.list_price_ticks(
            PriceTickFilter(symbols=("BTC-USD",), start=NOW, end=NOW - timedelta(hours=1)),
            page_size=-1,
        )
    assert [v.field for v in raised.value.violations] == ["symbols[0]", "end_time", "page_size"]


async def test_page_size_is_capped(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks([tick("BTC", "1", i) for i in range(1_500)][:1_000])
    await use_cases.ingest_price_ticks([tick("BTC", "1", i) for i in range(1_000, 1_500)])
    page = await use_cases.list_price_ticks(PriceTickFilter(), page_size=5_000)
    assert len(page.items) == 1_000
    assert page.next_page_token


async def test_time_range_is_half_open(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks(
        [tick("BTC", "1", 60), tick("BTC", "2", 30), tick("BTC", "3", 0)]
    )
    page = await use_cases.list_price_ticks(
        PriceTickFilter(start=NOW - timedelta(seconds=60), end=NOW - timedelta(seconds=30))
    )
    assert [t.last for t in page.items] == [Decimal(1)]


async def test_latest_prices_newest_per_symbol(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks(
        [
            tick("BTC", "1", 60),
            tick("BTC", "2.50", 0),
            tick("ETH", "3", 30),
            tick("ETH", "4", 30, "kraken"),
        ]
    )
    latest = await use_cases.latest_prices(["btc", "eth"])
    assert [(t.symbol, t.last, t.source) for t in latest] == [
        ("BTC", Decimal("2.50"), "coinspot"),
        ("ETH", Decimal("3"), "coinspot"),
    ]
    assert [t.source for t in await use_cases.latest_prices(["eth"], source="kraken")] == ["kraken"]
    with pytest.raises(InvalidArgument):
        await use_cases.latest_prices(["B T C"])


async def test_news_filter_by_currency(use_cases: LedgerUseCases) -> None:
    def item(external_id: str, currencies: tuple[str, ...]) -> NewsItem:
        return NewsItem(
            source="cryptopanic",
            external_id=external_id,
            title=f"story {external_id}",
            url=f"https://example.com/{external_id}",
            published_at=NOW,
            currencies=currencies,
        )

    await use_cases.ingest_news_items([item("1", ("BTC", "ETH")), item("2", ("SOL",))])
    page = await use_cases.list_news_items(NewsItemFilter(currency="eth"))
    assert [i.external_id for i in page.items] == ["1"]


async def test_news_url_already_used_is_a_duplicate(use_cases: LedgerUseCases) -> None:
    first = NewsItem(source="a", external_id="1", title="t", url="https://x.io/1", published_at=NOW)
    other_key_same_url = NewsItem(
        source="b", external_id="9", title="t", url="https://x.io/1", published_at=NOW
    )
    await use_cases.ingest_news_items([first])
    result = await use_cases.ingest_news_items([other_key_same_url])
    assert (result.inserted, result.duplicate) == (0, 1)


async def test_stats_count_and_bounds(use_cases: LedgerUseCases) -> None:
    await use_cases.ingest_price_ticks([tick("BTC", "1", 60), tick("BTC", "2", 0)])
    stats = {s.record_type: s for s in await use_cases.statistics()}
    assert stats["price_ticks"].count == 2
    assert stats["price_ticks"].earliest == NOW - timedelta(seconds=60)
    assert stats["price_ticks"].latest == NOW
    assert stats["news_items"].count == 0
    assert stats["news_items"].latest is None
    assert len(stats) == 6


async def test_watch_delivers_only_new_matching_ticks(use_cases: LedgerUseCases) -> None:
    async with use_cases.watch_prices(["btc"]) as ticks:
        await use_cases.ingest_price_ticks([tick("ETH", "1", 0), tick("BTC", "2", 0)])
        await use_cases.ingest_price_ticks([tick("BTC", "2", 0)])  # duplicate: not re-sent
        await use_cases.ingest_price_ticks([tick("BTC", "3", 1)])
        received = [await asyncio.wait_for(anext(ticks), 1) for _ in range(2)]
    assert [(t.symbol, t.last) for t in received] == [("BTC", Decimal(2)), ("BTC", Decimal(3))]


async def test_slow_subscriber_is_told_instead_of_losing_ticks(use_cases: LedgerUseCases) -> None:
    async with use_cases.watch_prices([]) as ticks:
        await use_cases.ingest_price_ticks([tick("BTC", "1", i) for i in range(5)])
        delivered = [await anext(ticks) for _ in range(3)]
        with pytest.raises(SubscriberTooSlow):
            await anext(ticks)
    assert len(delivered) == 3


async def test_inverted_day_range_names_the_day_fields(use_cases: LedgerUseCases) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await use_cases.list_protocol_metrics(
            ProtocolMetricFilter(start_day=date(2026, 3, 2), end_day=date(2026, 3, 1))
        )
    assert [v.field for v in raised.value.violations] == ["end_day"]


async def test_interrupted_feed_ends_streams_with_an_error(
    use_cases: LedgerUseCases, fanout: PriceTickFanout
) -> None:
    async with use_cases.watch_prices([]) as ticks:
        await use_cases.ingest_price_ticks([tick("BTC", "1", 0)])
        fanout.interrupt("database connection lost")
        assert (await anext(ticks)).symbol == "BTC"  # what arrived before still arrives
        with pytest.raises(StreamInterrupted, match="database connection lost"):
            await anext(ticks)


def test_a_text_filter_with_nul_is_refused_by_name() -> None:
    # Found by the gRPC fuzz test: Postgres cannot compare text with NUL, and answered
    # INTERNAL; no stored text can contain it, so the filter is invalid, not empty.
    with pytest.raises(InvalidArgument) as raised:
        SocialPostFilter(community="crypto\x00currency").conditions()
    assert [v.field for v in raised.value.violations] == ["community"]
    assert SocialPostFilter(community=" CryptoCurrency ").conditions()
