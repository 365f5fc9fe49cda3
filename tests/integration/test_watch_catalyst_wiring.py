"""The composition root wires WatchCatalystEvents to a live feed: in memory directly, with
Postgres through NOTIFY and the listener Resource."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.clock import FixedClock
from omc.bootstrap.containers import OmcContainer, build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.catalyst import CatalystEvent

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LISTING = CatalystEvent(
    event_type="exchange_listing",
    title="CoinSpot lists Celestia (TIA)",
    source="coinspot",
    external_id="listing-1-TIA",
    impact=7,
    occurred_at=NOW,
    detected_at=NOW,
    currencies=("TIA",),
)


async def watch_and_ingest(container: OmcContainer) -> CatalystEvent:
    container.core.clock.override(providers.Object(FixedClock(NOW)))
    use_cases = await resolve(container.application.use_cases)
    async with use_cases.watch_catalyst_events(["exchange_listing"], ["TIA"]) as events:
        assert (await use_cases.ingest_catalyst_events([LISTING])).inserted == 1
        return await asyncio.wait_for(anext(aiter(events)), timeout=10)


async def test_memory_storage_feeds_catalyst_watchers() -> None:
    container = build_container(Settings(storage=StorageKind.MEMORY))
    try:
        assert await watch_and_ingest(container) == LISTING
    finally:
        await container.shutdown_resources()  # type: ignore[misc]


@pytest.mark.postgres
async def test_postgres_storage_feeds_catalyst_watchers_through_the_listener(
    postgres_url: str, clean_postgres: AsyncEngine
) -> None:
    container = build_container(Settings(storage=StorageKind.POSTGRES), postgres_url)
    try:
        assert await watch_and_ingest(container) == LISTING
        assert container.storage.listener.initialized
    finally:
        await container.shutdown_resources()  # type: ignore[misc]

    assert not container.storage.listener.initialized
