from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from dependency_injector import providers

from omc.adapters.memory.clock import FixedClock
from omc.application.errors import ValidationError
from omc.application.fanout import PriceTickFanout
from omc.application.ports import IngestResult
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.exchange import PriceTick

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def tick(symbol: str, last: str) -> PriceTick:
    return PriceTick(symbol=symbol, last=Decimal(last), observed_at=NOW, source="test")


async def test_memory_storage_wires_working_use_cases_with_an_overridden_clock() -> None:
    container = build_container(Settings(storage=StorageKind.MEMORY, max_batch=2))
    container.core.clock.override(providers.Object(FixedClock(NOW)))

    use_cases = await resolve(container.application.use_cases)

    assert await use_cases.ingest_price_ticks([tick("btc", "1")]) == IngestResult(inserted=1)
    assert [t.symbol for t in await use_cases.latest_prices(["BTC"])] == ["BTC"]
    # The settings reach the use cases: a third record is over OMC_MAX_BATCH.
    with pytest.raises(ValidationError):
        await use_cases.ingest_price_ticks([tick("a", "1"), tick("b", "1"), tick("c", "1")])
    assert await resolve(container.application.use_cases) is use_cases


async def test_memory_storage_streams_through_the_shared_fanout() -> None:
    container = build_container(Settings(storage=StorageKind.MEMORY))
    container.core.clock.override(providers.Object(FixedClock(NOW)))
    use_cases = await resolve(container.application.use_cases)
    fanout = container.core.fanout()
    assert isinstance(fanout, PriceTickFanout)

    async with use_cases.watch_prices(["ETH"]) as ticks:
        await use_cases.ingest_price_ticks([tick("eth", "5")])
        received = await asyncio.wait_for(anext(aiter(ticks)), timeout=10)

    assert received.symbol == "ETH"


async def test_the_server_is_built_from_settings_and_serves_health() -> None:
    container = build_container(Settings(storage=StorageKind.MEMORY))
    server = await resolve(container.api.server)

    port = await server.start("127.0.0.1:0")
    try:
        assert port > 0
    finally:
        await server.stop(1)
