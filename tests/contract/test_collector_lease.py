"""A collector's lease, over the memory and the Postgres lock: a run that outlives it is
cancelled, recorded as failed, writes nothing, and frees the collector for the other
replicas; a holder frozen past ttl + grace loses the Postgres lock to Postgres itself.
The fetchers here are small real classes that hang until cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from omc.adapters.memory.clock import FixedClock, SystemClock
from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.collection import PostgresCollectorLock
from omc.adapters.postgres.engine import create_engine
from omc.application.collect import Collector, RunCollector, Scheduler
from omc.application.collection_ports import FetchResult
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import Clock, IngestResult, LedgerRepositories
from omc.domain.collection import RunStatus
from omc.domain.exchange import PriceTick
from omc.domain.record import Ledger
from tests.contract.test_collector_lock import (  # noqa: F401 (fixtures used by name)
    Replicas,
    postgres_replicas,
    replicas,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=0.3)
WAIT = 30.0  # every wait is bounded, generously for a loaded box


class Hanging:
    """Answers like a source that accepted the connection and never replied."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.entered = asyncio.Event()
        self.cancelled = False

    @property
    def name(self) -> str:
        return self._name

    async def disabled_reason(self) -> str | None:
        return None

    async def fetch(self) -> FetchResult[PriceTick]:
        self.entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        raise AssertionError("unreachable")


class Prices:
    """A source that answers at once with the given symbols."""

    def __init__(self, name: str, clock: Clock, symbols: Sequence[str]) -> None:
        self._name = name
        self._clock = clock
        self._symbols = tuple(symbols)

    @property
    def name(self) -> str:
        return self._name

    async def disabled_reason(self) -> str | None:
        return None

    async def fetch(self) -> FetchResult[PriceTick]:
        now = self._clock.now()
        return FetchResult([PriceTick(s, Decimal("1"), now, "test") for s in self._symbols])


class StallsOnSecondBatch:
    """The ledger ingest, except that the second batch never finishes (a stuck database)."""

    def __init__(self, use_cases: LedgerUseCases) -> None:
        self._use_cases = use_cases
        self.batches = 0

    async def __call__(self, records: Sequence[PriceTick]) -> IngestResult:
        self.batches += 1
        if self.batches > 1:
            await asyncio.Event().wait()
        return await self._use_cases.ingest_price_ticks(records)


def ledger(clock: Clock) -> tuple[LedgerRepositories, LedgerUseCases]:
    fanout = PriceTickFanout()
    repositories = memory_repositories(fanout)
    return repositories, LedgerUseCases.build(repositories, fanout, clock)


def collector(
    name: str, fetcher: Any, ingest: Any, *, lease: timedelta | None = LEASE
) -> Collector[Any]:
    return Collector(name, Ledger.EXCHANGE, timedelta(seconds=10), fetcher, ingest, lease=lease)


async def stored(repositories: LedgerRepositories) -> int:
    return sum([(await r.stats()).count for r in repositories.every()])


@pytest.fixture
def memory_replicas() -> Replicas:
    # A real clock (the lock tests' fixed one would never let a lease run out); the
    # shared `replicas` fixture picks this one up by name in this module.
    shared = MemoryCollectorLock(SystemClock())
    return lambda: shared


def unique(request: pytest.FixtureRequest) -> str:
    # Advisory locks are per database: a unique name keeps tests (and workers) apart.
    return f"lease-test-{request.node.name}"


async def test_a_hung_run_is_cancelled_at_its_lease_and_frees_the_collector(
    replicas: Replicas,  # noqa: F811 (the shared fixture imported above)
    request: pytest.FixtureRequest,
) -> None:
    name = unique(request)
    clock = FixedClock(NOW)
    repositories, use_cases = ledger(clock)
    runs = MemoryCollectorRunRepository()
    # Replica A's default lease is ten minutes: the collector's own lease must win.
    replica_a = RunCollector(runs, clock, replicas(), lock_ttl=timedelta(minutes=10))
    replica_b = RunCollector(runs, clock, replicas())
    hanging = Hanging(name)

    run_a = asyncio.create_task(replica_a(collector(name, hanging, use_cases.ingest_price_ticks)))
    async with asyncio.timeout(WAIT):
        await hanging.entered.wait()
    healthy = collector(name, Prices(name, clock, ["BTC"]), use_cases.ingest_price_ticks)
    while_hung = await replica_b(healthy)
    async with asyncio.timeout(WAIT):
        failed = await run_a

    assert while_hung.status is RunStatus.SKIPPED
    assert failed.status is RunStatus.FAILED
    assert failed.error == f"{name} exceeded its 0.3 s lease and was cancelled; nothing was stored"
    assert hanging.cancelled
    assert await stored(repositories) == 0
    # The lease is over: the other replica gets the collector and runs it.
    after = await replica_b(healthy)
    assert (after.status, after.inserted) == (RunStatus.SUCCESS, 1)


async def test_the_scheduler_path_is_bounded_too(
    replicas: Replicas,  # noqa: F811 (the shared fixture imported above)
    request: pytest.FixtureRequest,
) -> None:
    name = unique(request)
    clock = FixedClock(NOW)
    _repositories, use_cases = ledger(clock)
    runs = MemoryCollectorRunRepository()
    run_collector = RunCollector(runs, clock, replicas())
    hanging = Hanging(name)
    scheduler = Scheduler(run_collector, [])

    async with asyncio.timeout(WAIT):
        run = await scheduler.tick(collector(name, hanging, use_cases.ingest_price_ticks))

    assert run is not None
    assert run.status is RunStatus.FAILED
    assert "exceeded its 0.3 s lease" in run.error
    assert await runs.recent(name, 5) == [run]


async def test_batches_stored_before_the_lease_ended_are_counted_not_hidden(
    request: pytest.FixtureRequest,
) -> None:
    name = unique(request)
    clock = FixedClock(NOW)
    repositories, use_cases = ledger(clock)
    ingest = StallsOnSecondBatch(use_cases)
    run_collector = RunCollector(MemoryCollectorRunRepository(), clock, max_batch=2)

    async with asyncio.timeout(WAIT):
        run = await run_collector(
            collector(name, Prices(name, clock, ["BTC", "ETH", "SOL", "ADA"]), ingest)
        )

    assert run.status is RunStatus.FAILED
    assert (run.fetched, run.inserted) == (4, 2)
    assert run.error == (
        f"{name} exceeded its 0.3 s lease and was cancelled; 2 records stored before it are "
        "kept (the next run stores the rest)"
    )
    # The stalled batch wrote nothing: only the first batch is there.
    assert await stored(repositories) == 2


@pytest.mark.postgres
async def test_a_frozen_holder_loses_the_postgres_lock_after_ttl_and_grace(
    postgres_url: str, request: pytest.FixtureRequest
) -> None:
    """A replica whose event loop is stuck cannot cancel its own run; Postgres ends the
    idle lock session once ttl + grace has passed, and the lock goes with it."""
    name = unique(request)
    frozen_engine = create_engine(postgres_url, pool_size=1)
    other_engine = create_engine(postgres_url, pool_size=1)
    try:
        frozen = PostgresCollectorLock(frozen_engine, grace=timedelta(seconds=0.2))
        other = PostgresCollectorLock(other_engine)
        async with frozen.hold(name, timedelta(seconds=0.2)) as acquired:
            assert acquired
            async with other.hold(name, timedelta(minutes=1)) as taken:
                assert not taken  # held while the lease runs
            async with asyncio.timeout(WAIT):
                while True:
                    async with other.hold(name, timedelta(minutes=1)) as taken:
                        if taken:
                            break
                    await asyncio.sleep(0.1)
        # Leaving the expired hold neither raises nor puts the dead session back.
        async with frozen.hold(name, timedelta(minutes=1)) as again:
            assert again
    finally:
        await frozen_engine.dispose()
        await other_engine.dispose()


@pytest.mark.postgres
async def test_a_released_connection_goes_back_to_the_pool_without_the_timeout(
    postgres_url: str, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(postgres_url, pool_size=1)
    try:
        lock = PostgresCollectorLock(engine)
        async with lock.hold(unique(request), timedelta(seconds=5)) as acquired:
            assert acquired
        async with engine.connect() as connection:
            setting = (await connection.execute(text("SHOW idle_session_timeout"))).scalar_one()
        assert setting == "0"
    finally:
        await engine.dispose()
