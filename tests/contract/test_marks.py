"""MarkSource over memory and Postgres: the latest last (or bid) at or before each time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from omc.application.trading_ports import Mark, MarkField
from tests.conftest import Storage
from tests.contract.test_fill_repository import TradingStore, trading_store
from tests.support.records import at, tick


@pytest.fixture
async def store(storage: Storage, request: pytest.FixtureRequest) -> TradingStore:
    return await trading_store(storage, request)


async def test_latest_last_at_or_before_each_time(store: TradingStore) -> None:
    await store.storage.repositories.price_ticks.add_many(
        [
            tick("BTC", 0, last="100"),
            tick("BTC", 10, last="110"),
            tick("BTC", 20, last="120"),
            tick("BTC", 10, quote="USD", last="70"),
            tick("ETH", 5, last="5"),
        ]
    )

    found = await store.marks.marks_at(
        [("BTC", "AUD"), ("ETH", "AUD"), ("SOL", "AUD")],
        [at(10), at(15), at(9), at(-1)],
    )

    # at(10) sees the tick at exactly 10; at(15) the same one; at(9) the one at 0.
    assert found[("BTC", "AUD")] == [Mark(Decimal(100), at(0)), Mark(Decimal(110), at(10))]
    assert found[("ETH", "AUD")] == [Mark(Decimal(5), at(5))]
    assert ("SOL", "AUD") not in found  # unknown, not zero
    assert ("BTC", "USD") not in found  # not asked for


async def test_bid_skips_ticks_without_one(store: TradingStore) -> None:
    await store.storage.repositories.price_ticks.add_many(
        [tick("BTC", 0, last="100", bid="99"), tick("BTC", 5, last="105")]
    )

    bids = await store.marks.marks_at([("BTC", "AUD")], [at(6)], MarkField.BID)
    lasts = await store.marks.marks_at([("BTC", "AUD")], [at(6)], MarkField.LAST)

    assert bids == {("BTC", "AUD"): [Mark(Decimal(99), at(0))]}
    assert lasts == {("BTC", "AUD"): [Mark(Decimal(105), at(5))]}


async def test_ties_on_time_go_to_the_first_source_by_name(store: TradingStore) -> None:
    await store.storage.repositories.price_ticks.add_many(
        [tick("BTC", 0, source="kraken", last="2"), tick("BTC", 0, source="binance", last="1")]
    )

    found = await store.marks.marks_at([("BTC", "AUD")], [at(0) + timedelta(seconds=1)])

    assert found == {("BTC", "AUD"): [Mark(Decimal(1), at(0))]}


async def test_nothing_asked_nothing_found(store: TradingStore) -> None:
    await store.storage.repositories.price_ticks.add_many([tick("BTC", 0)])

    assert await store.marks.marks_at([], [at(1)]) == {}
    assert await store.marks.marks_at([("BTC", "AUD")], []) == {}
