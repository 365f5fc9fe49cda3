"""PriceTickStream: ticks committed after subscribing reach the subscriber, over memory and
Postgres (there through NOTIFY and the listener, as another replica would see them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from omc.application.fanout import PriceTickFanout
from omc.application.ports import LedgerRepositories
from omc.domain.exchange import PriceTick
from tests.support.records import tick

WAIT = 2.0
QUIET = 0.3


async def take(ticks: AsyncIterator[PriceTick], count: int) -> list[PriceTick]:
    received: list[PriceTick] = []
    async with asyncio.timeout(WAIT):
        async for item in ticks:
            received.append(item)
            if len(received) == count:
                break
    return received


async def test_a_subscriber_receives_committed_ticks(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    sent = [tick("BTC", 1, last="1.50", bid="1.40", ask="1.60"), tick("ETH", 2, volume="0")]
    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await repositories.price_ticks.add_many(sent)

        received = await take(ticks, 2)

    assert received == sent
    assert [str(t.last) for t in received] == ["1.50", "100.50"]
    assert received[0].observed_at.utcoffset() is not None


async def test_subscribers_get_only_their_symbols_and_quote(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    async with (
        price_tick_fanout.subscribe(frozenset({"BTC"}), "USD") as btc_usd,
        price_tick_fanout.subscribe(frozenset({"ETH", "SOL"}), None) as eth_sol,
    ):
        await repositories.price_ticks.add_many(
            [
                tick("BTC", 1),
                tick("BTC", 2, quote="USD"),
                tick("ETH", 3, quote="USD"),
                tick("DOGE", 4),
                tick("SOL", 5),
            ]
        )

        assert [(t.symbol, t.quote) for t in await take(btc_usd, 1)] == [("BTC", "USD")]
        assert [(t.symbol, t.quote) for t in await take(eth_sol, 2)] == [
            ("ETH", "USD"),
            ("SOL", "AUD"),
        ]


async def test_duplicates_are_not_announced_again(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    first = tick("BTC", 1)
    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await repositories.price_ticks.add_many([first])
        assert await take(ticks, 1) == [first]
        await repositories.price_ticks.add_many([first])
        fresh = tick("BTC", 2)
        await repositories.price_ticks.add_many([first, fresh])

        # Announcements arrive in commit order: had the duplicate been sent, it would
        # come first.
        assert await take(ticks, 1) == [fresh]


async def test_a_large_batch_arrives_whole_and_in_order(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    # Big enough to need many NOTIFY payloads (each must stay under 8000 bytes).
    sent = [
        tick(f"S{i % 50}", i // 50, source="a-rather-long-source-name-for-size", volume="1" * 28)
        for i in range(2_000)
    ]
    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await repositories.price_ticks.add_many(sent)

        received = await take(ticks, len(sent))

    assert received == sent


async def test_nothing_is_announced_for_an_empty_or_duplicate_batch(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await repositories.price_ticks.add_many([tick("BTC", 1)])
        await take(ticks, 1)
        await repositories.price_ticks.add_many([])
        await repositories.price_ticks.add_many([tick("BTC", 1)])

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(ticks), QUIET)
