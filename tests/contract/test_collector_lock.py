"""CollectorLock over memory and Postgres: one holder per collector, never waiting, freed
on exit (also by an exception), and shared by every "replica" of the same store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorLock
from omc.adapters.postgres.collection import PostgresCollectorLock, lock_key
from omc.adapters.postgres.engine import create_engine
from omc.application.collection_ports import CollectorLock

TTL = timedelta(minutes=1)

# Makes a second lock on the same store: another replica's view of the same database.
Replicas = Callable[[], CollectorLock]


@pytest.fixture
def memory_replicas() -> Replicas:
    shared = MemoryCollectorLock(FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    return lambda: shared


@pytest.fixture
async def postgres_replicas(postgres_url: str) -> AsyncIterator[Replicas]:
    engines: list[AsyncEngine] = []

    def replica() -> CollectorLock:
        # Its own engine and pool: another process's view of the same database.
        engine = create_engine(postgres_url, pool_size=2)
        engines.append(engine)
        return PostgresCollectorLock(engine)

    yield replica
    for engine in engines:
        await engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def replicas(request: pytest.FixtureRequest) -> Replicas:
    factory: Replicas = request.getfixturevalue(f"{request.param}_replicas")
    return factory


def name(request: pytest.FixtureRequest) -> str:
    # Postgres advisory locks are per server database; a unique name keeps tests apart.
    return f"lock-test-{request.node.name}"


async def test_only_one_holder_at_a_time(
    replicas: Replicas, request: pytest.FixtureRequest
) -> None:
    first, second = replicas(), replicas()
    collector = name(request)
    async with first.hold(collector, TTL) as got_first:
        async with second.hold(collector, TTL) as got_second:
            assert (got_first, got_second) == (True, False)
        # Also within one process: two runs of one collector exclude each other.
        async with first.hold(collector, TTL) as again:
            assert again is False


async def test_released_on_exit_and_on_error(
    replicas: Replicas, request: pytest.FixtureRequest
) -> None:
    first, second = replicas(), replicas()
    collector = name(request)
    async with first.hold(collector, TTL) as acquired:
        assert acquired
    async with second.hold(collector, TTL) as acquired:
        assert acquired

    async def crashing_run() -> None:
        async with first.hold(collector, TTL) as acquired:
            assert acquired
            raise RuntimeError("the run crashed")

    with pytest.raises(RuntimeError):
        await crashing_run()
    async with second.hold(collector, TTL) as acquired:
        assert acquired


async def test_collectors_do_not_block_each_other(
    replicas: Replicas, request: pytest.FixtureRequest
) -> None:
    lock = replicas()
    base = name(request)
    async with lock.hold(base + "-a", TTL) as a, lock.hold(base + "-b", TTL) as b:
        assert (a, b) == (True, True)


async def test_a_loser_does_not_free_the_winner(
    replicas: Replicas, request: pytest.FixtureRequest
) -> None:
    first, second, third = replicas(), replicas(), replicas()
    collector = name(request)
    async with first.hold(collector, TTL) as acquired:
        assert acquired
        async with second.hold(collector, TTL) as lost:
            assert not lost
        async with third.hold(collector, TTL) as still_held:
            assert not still_held


async def test_concurrent_attempts_yield_exactly_one_winner(
    replicas: Replicas, request: pytest.FixtureRequest
) -> None:
    collector = name(request)
    locks = [replicas() for _ in range(4)]
    results: list[bool] = []
    barrier = asyncio.Event()

    async def attempt(lock: CollectorLock) -> None:
        async with lock.hold(collector, TTL) as acquired:
            results.append(acquired)
            await barrier.wait()

    tasks = [asyncio.create_task(attempt(lock)) for lock in locks]
    async with asyncio.timeout(10):
        while len(results) < len(locks):  # noqa: ASYNC110 (waits for plain list appends)
            await asyncio.sleep(0.01)
    barrier.set()
    await asyncio.gather(*tasks)
    assert sorted(results) == [False, False, False, True]


@pytest.mark.postgres
async def test_a_dead_sessions_lock_dies_with_it(
    postgres_url: str, request: pytest.FixtureRequest
) -> None:
    """A replica that crashes mid-run (its connection gone) frees the collector."""
    collector = name(request)
    engine = create_engine(postgres_url, pool_size=1)
    try:
        lock = PostgresCollectorLock(engine)
        crashed = await psycopg.AsyncConnection.connect(postgres_url, autocommit=True)
        await crashed.execute("SELECT pg_advisory_lock(%s)", (lock_key(collector),))
        async with lock.hold(collector, TTL) as acquired:
            assert not acquired
        await crashed.close()  # what Postgres does when a replica's process dies
        # The server ends the closed session's backend (and its locks) asynchronously,
        # a moment after the socket closes: bounded wait, not an instant.
        freed = False
        async with asyncio.timeout(10):
            while not freed:
                async with lock.hold(collector, TTL) as acquired:
                    freed = acquired
                if not freed:
                    await asyncio.sleep(0.05)
        assert freed
    finally:
        await engine.dispose()


def test_lock_keys_are_stable_and_distinct() -> None:
    # Every replica (and every release) must compute the same key for a name.
    assert lock_key("coinspot_prices") == lock_key("coinspot_prices")
    assert lock_key("coinspot_prices") != lock_key("coinspot_announcements")
    assert -(2**63) <= lock_key("sec_filings") < 2**63
