"""The composition root over the test PostgreSQL: Resources open and close cleanly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.clock import FixedClock
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.exchange import PriceTick

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def test_postgres_storage_opens_and_closes_its_resources(
    postgres_url: str, clean_postgres: AsyncEngine
) -> None:
    container = build_container(Settings(storage=StorageKind.POSTGRES), postgres_url)
    container.core.clock.override(providers.Object(FixedClock(NOW)))
    tick = PriceTick(symbol="sol", last=Decimal("7.5"), observed_at=NOW, source="bootstrap")
    try:
        use_cases = await resolve(container.application.use_cases)
        async with use_cases.watch_prices(["SOL"]) as ticks:
            # Only the listener Resource can bring the tick back: it arrives via NOTIFY.
            assert (await use_cases.ingest_price_ticks([tick])).inserted == 1
            received = await asyncio.wait_for(anext(aiter(ticks)), timeout=10)
        assert received.symbol == "SOL"
        assert container.storage.engine.initialized
        assert container.storage.listener.initialized
    finally:
        await container.shutdown_resources()  # type: ignore[misc]

    assert not container.storage.engine.initialized
    assert not container.storage.listener.initialized
