"""Storage whose newly stored catalyst events reach a CatalystEventFanout, as wired in
`omc serve`: directly in memory, through NOTIFY and a listener with Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.listener import CatalystEventFeed, PostgresPriceTickListener
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.fanout import PriceTickFanout
from omc.application.ports import LedgerRepositories
from omc.domain.catalyst import CatalystEvent

WAIT = 5.0  # seconds: a bound on waits, never a timing assertion


@dataclass(frozen=True)
class CatalystStorage:
    name: str
    repositories: LedgerRepositories
    fanout: PriceTickFanout
    catalyst_fanout: CatalystEventFanout
    listener: PostgresPriceTickListener | None = None


def memory_catalyst_storage(queue_limit: int | None = None) -> CatalystStorage:
    fanout = PriceTickFanout()
    catalyst_fanout = (
        CatalystEventFanout() if queue_limit is None else CatalystEventFanout(queue_limit)
    )
    return CatalystStorage(
        "memory", memory_repositories(fanout, catalyst_fanout), fanout, catalyst_fanout
    )


@asynccontextmanager
async def postgres_catalyst_storage(
    engine: AsyncEngine, url: str, *, name: str = "postgres", initial_backoff: float = 0.1
) -> AsyncIterator[CatalystStorage]:
    """One replica's view of the database at `url`: its repositories over `engine`, and
    its own listener feeding its own fan-outs."""
    fanout = PriceTickFanout()
    catalyst_fanout = CatalystEventFanout()
    listener = PostgresPriceTickListener(
        url,
        fanout,
        catalyst_events=CatalystEventFeed(engine, catalyst_fanout),
        initial_backoff=initial_backoff,
    )
    await listener.start()
    try:
        yield CatalystStorage(
            name, postgres_repositories(engine), fanout, catalyst_fanout, listener
        )
    finally:
        await listener.stop()


@pytest.fixture
async def postgres_catalyst(
    clean_postgres: AsyncEngine, postgres_url: str
) -> AsyncIterator[CatalystStorage]:
    async with postgres_catalyst_storage(clean_postgres, postgres_url) as storage:
        yield storage


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def catalyst(request: pytest.FixtureRequest) -> CatalystStorage:
    """Each storage in turn. A module using it imports `postgres_catalyst` too: the
    Postgres case looks that fixture up by name among the requesting module's own."""
    if request.param == "memory":
        return memory_catalyst_storage()
    storage: CatalystStorage = request.getfixturevalue("postgres_catalyst")
    return storage


async def take(events: AsyncIterator[CatalystEvent], count: int) -> list[CatalystEvent]:
    received: list[CatalystEvent] = []
    async with asyncio.timeout(WAIT):
        async for event in events:
            received.append(event)
            if len(received) == count:
                break
    return received
