"""WatchCatalystEvents over the in-memory adapter: request checks, filters, and how a
stream ends (too slow, feed interrupted, shutdown)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.repositories import memory_repositories
from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.errors import InvalidArgument, StreamInterrupted, SubscriberTooSlow
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.domain.catalyst import CatalystEvent
from tests.support.records import catalyst_event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def catalyst_fanout() -> CatalystEventFanout:
    return CatalystEventFanout(queue_limit=3)


@pytest.fixture
def use_cases(catalyst_fanout: CatalystEventFanout) -> LedgerUseCases:
    fanout = PriceTickFanout()
    return LedgerUseCases.build(
        memory_repositories(fanout, catalyst_fanout),
        fanout,
        FixedClock(NOW),
        catalyst_stream=catalyst_fanout,
    )


def listing(external_id: str, symbol: str, minute: int = 0) -> CatalystEvent:
    return catalyst_event(
        external_id, minute, source="coinspot", event_type="exchange_listing", currencies=(symbol,)
    )


async def test_kinds_and_symbols_are_normalised_like_stored_events(
    use_cases: LedgerUseCases,
) -> None:
    async with use_cases.watch_catalyst_events([" Exchange_Listing "], ["tia"]) as events:
        await use_cases.ingest_catalyst_events(
            [listing("l-sol", "SOL"), catalyst_event("f-tia", currencies=("TIA",))]
        )
        await use_cases.ingest_catalyst_events([listing("l-tia", "TIA", 1)])
        received = await asyncio.wait_for(anext(events), 1)
    assert received.external_id == "l-tia"


async def test_bad_kinds_and_symbols_are_all_reported(use_cases: LedgerUseCases) -> None:
    with pytest.raises(InvalidArgument) as raised:
        use_cases.watch_catalyst_events(["exchange_listing", "no spaces!"], ["BTC", "not-a-$ym"])
    assert [v.field for v in raised.value.violations] == ["kinds[1]", "symbols[1]"]


async def test_too_many_kinds_is_invalid(use_cases: LedgerUseCases) -> None:
    with pytest.raises(InvalidArgument) as raised:
        use_cases.watch_catalyst_events([f"kind_{i}" for i in range(101)], [])
    assert [v.field for v in raised.value.violations] == ["kinds"]


async def test_slow_subscriber_is_told_instead_of_losing_events(
    use_cases: LedgerUseCases,
) -> None:
    async with use_cases.watch_catalyst_events([], []) as events:
        await use_cases.ingest_catalyst_events([listing(f"l-{i}", "TIA", i) for i in range(5)])
        delivered = [await anext(events) for _ in range(3)]
        with pytest.raises(SubscriberTooSlow, match="catalyst events"):
            await anext(events)
    assert len(delivered) == 3


async def test_interrupted_feed_ends_streams_with_an_error(
    use_cases: LedgerUseCases, catalyst_fanout: CatalystEventFanout
) -> None:
    async with use_cases.watch_catalyst_events([], []) as events:
        await use_cases.ingest_catalyst_events([listing("l-1", "TIA")])
        catalyst_fanout.interrupt("database connection lost")
        assert (await anext(events)).external_id == "l-1"  # what arrived before still arrives
        with pytest.raises(StreamInterrupted, match="database connection lost"):
            await anext(events)
    assert catalyst_fanout.subscriber_count == 0


async def test_close_ends_streams_cleanly(
    use_cases: LedgerUseCases, catalyst_fanout: CatalystEventFanout
) -> None:
    async with use_cases.watch_catalyst_events([], []) as events:
        catalyst_fanout.close()
        assert [event async for event in events] == []


async def test_without_a_catalyst_feed_watching_is_unavailable() -> None:
    fanout = PriceTickFanout()
    use_cases = LedgerUseCases.build(memory_repositories(fanout), fanout, FixedClock(NOW))
    with pytest.raises(StreamInterrupted):
        use_cases.watch_catalyst_events(["exchange_listing"], [])
