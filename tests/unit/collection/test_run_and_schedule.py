from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from omc.adapters.memory.clock import FixedClock, SystemClock
from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.application.collect import (
    Collector,
    ListCollectorRuns,
    ListCollectors,
    RunCollector,
    Scheduler,
)
from omc.application.collection_ports import FetchResult, Rejected, SourceUnavailable
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import Clock
from omc.domain.collection import CollectorHealth, CollectorRun, RunStatus, collector_health
from omc.domain.exchange import PriceTick
from omc.domain.record import Ledger

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 3.0  # every wait is bounded


class Ticks:
    """A real fetcher for tests: counts calls, can block, fail or raise."""

    def __init__(self, clock: Clock, name: str = "ticks", *, symbols: tuple[str, ...] = ("BTC",)):
        self._clock = clock
        self._name = name
        self.symbols = symbols
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.rejects: list[Rejected] = []
        self.disabled: str | None = None

    @property
    def name(self) -> str:
        return self._name

    async def disabled_reason(self) -> str | None:
        return self.disabled

    async def fetch(self) -> FetchResult[PriceTick]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        now = self._clock.now()
        ticks = [PriceTick(s, Decimal("1"), now, "test") for s in self.symbols]
        return FetchResult(ticks, list(self.rejects))


def make(clock: Clock, fetcher: Ticks, cadence: float = 10.0) -> Collector[Any]:
    fanout = PriceTickFanout()
    use_cases = LedgerUseCases.build(memory_repositories(fanout), fanout, clock)
    return Collector(
        fetcher.name, Ledger.EXCHANGE, timedelta(seconds=cadence), fetcher,
        use_cases.ingest_price_ticks,
    )  # fmt: skip


async def wait_until(predicate: Any) -> None:
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110 (polls counters of plain test fakes)
            await asyncio.sleep(0.005)


async def test_records_screen_out_one_by_one_into_a_partial_run() -> None:
    clock = FixedClock(NOW)
    fetcher = Ticks(clock, symbols=("BTC", "not a symbol", "ETH"))
    fetcher.rejects = [Rejected("sol: last: missing", "{...}")]
    runs = MemoryCollectorRunRepository()
    run = await RunCollector(runs, clock)(make(clock, fetcher))
    assert run.status is RunStatus.PARTIAL
    assert (run.fetched, run.inserted, run.rejected) == (4, 2, 2)
    assert "sol: last: missing" in run.error
    assert await runs.recent("ticks", 5) == [run]


async def test_every_record_rejected_is_a_failed_run() -> None:
    clock = FixedClock(NOW)
    fetcher = Ticks(clock, symbols=("bad symbol",))
    run = await RunCollector(MemoryCollectorRunRepository(), clock)(make(clock, fetcher))
    assert run.status is RunStatus.FAILED
    assert run.error.startswith("all 1 records rejected")


async def test_an_unexpected_exception_is_a_failed_run_not_a_crash() -> None:
    clock = FixedClock(NOW)
    fetcher = Ticks(clock)
    fetcher.error = KeyError("parser bug")
    run = await RunCollector(MemoryCollectorRunRepository(), clock)(make(clock, fetcher))
    assert (run.status, run.error) == (RunStatus.FAILED, "unexpected KeyError while fetching")


async def test_a_manual_run_while_another_holds_the_collector_is_skipped() -> None:
    clock = FixedClock(NOW)
    lock = MemoryCollectorLock(clock)
    fetcher = Ticks(clock)
    runs = MemoryCollectorRunRepository()
    async with lock.hold("ticks", timedelta(minutes=1)) as acquired:
        assert acquired
        run = await RunCollector(runs, clock, lock)(make(clock, fetcher))
    assert run.status is RunStatus.SKIPPED
    assert "in progress" in run.error
    assert fetcher.calls == 0


async def test_a_lease_expires_so_a_dead_holder_cannot_block_forever() -> None:
    clock = FixedClock(NOW)
    lock = MemoryCollectorLock(clock)
    async with lock.hold("x", timedelta(seconds=30)) as first:
        clock.advance(timedelta(seconds=31))
        async with lock.hold("x", timedelta(seconds=30)) as second:
            assert first
            assert second


async def test_two_schedulers_sharing_a_lock_run_once_per_tick() -> None:
    clock = FixedClock(NOW)
    lock, runs = MemoryCollectorLock(clock), MemoryCollectorRunRepository()
    fetcher = Ticks(clock)
    collector = make(clock, fetcher)
    replicas = [Scheduler(RunCollector(runs, clock, lock), [collector]) for _ in range(2)]
    for _tick in range(3):
        fetcher.gate = asyncio.Event()
        both = asyncio.gather(*(replica.tick(collector) for replica in replicas))
        await wait_until(lambda: lock.held("ticks"))
        fetcher.gate.set()
        outcomes = await asyncio.wait_for(both, WAIT)
        assert sum(run is not None for run in outcomes) == 1
        # The replica that lost the race does not run again right after: the tick is done.
        assert await asyncio.gather(*(r.tick(collector) for r in replicas)) == [None, None]
        clock.advance(collector.cadence)
    assert fetcher.calls == 3
    assert len(await runs.recent("ticks", 10)) == 3


async def test_running_schedulers_on_one_lock_do_not_repeat_a_tick() -> None:
    clock = FixedClock(NOW)  # time stands still: only the first tick is ever due
    lock, runs = MemoryCollectorLock(clock), MemoryCollectorRunRepository()
    fetcher = Ticks(clock)
    collector = make(clock, fetcher, cadence=0.01)
    replicas = [Scheduler(RunCollector(runs, clock, lock), [collector]) for _ in range(2)]
    for replica in replicas:
        replica.start()
    try:
        await wait_until(lambda: fetcher.calls >= 1)
        await asyncio.sleep(0.1)  # many more ticks of both replicas
    finally:
        await asyncio.gather(*(r.stop(grace=1) for r in replicas))
    assert fetcher.calls == 1


class FlakyLock(MemoryCollectorLock):
    """Fails the first `failures` holds, as a database blip would."""

    def __init__(self, clock: Clock, failures: int) -> None:
        super().__init__(clock)
        self.failures = failures

    def hold(self, name: str, ttl: timedelta) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database went away")
        return super().hold(name, ttl)


async def test_a_hanging_or_raising_collector_neither_stops_nor_delays_the_others() -> None:
    clock = SystemClock()
    hanging = Ticks(clock, "hanging")
    hanging.gate = asyncio.Event()  # never set: this source hangs
    raising = Ticks(clock, "raising")
    raising.error = SourceUnavailable("upstream down")
    healthy = Ticks(clock, "healthy")
    collectors = [make(clock, f, cadence=0.02) for f in (hanging, raising, healthy)]
    lock = FlakyLock(clock, failures=2)
    scheduler = Scheduler(
        RunCollector(MemoryCollectorRunRepository(), clock, lock), collectors, due_fraction=0.1
    )
    scheduler.start()
    try:
        await wait_until(lambda: healthy.calls >= 3 and raising.calls >= 3)
        assert scheduler.running
    finally:
        await scheduler.stop(grace=0.05)
    assert hanging.calls == 1
    assert not scheduler.running


def run_of(status: RunStatus, minutes_ago: int = 0) -> CollectorRun:
    at = NOW - timedelta(minutes=minutes_ago)
    return CollectorRun(f"r{minutes_ago}-{status}", "x", at, at, status)


@pytest.mark.parametrize(
    ("statuses", "enabled", "health"),
    [
        ([], True, CollectorHealth.NEVER_RUN),
        ([RunStatus.SKIPPED], True, CollectorHealth.NEVER_RUN),
        ([RunStatus.SUCCESS] * 20, False, CollectorHealth.DISABLED),
        ([RunStatus.SUCCESS] * 19 + [RunStatus.FAILED], True, CollectorHealth.HEALTHY),
        ([RunStatus.PARTIAL] * 20, True, CollectorHealth.HEALTHY),
        ([RunStatus.SUCCESS] * 17 + [RunStatus.FAILED] * 3, True, CollectorHealth.DEGRADED),
        ([RunStatus.SUCCESS] * 16 + [RunStatus.FAILED] * 4, True, CollectorHealth.DEGRADED),
        ([RunStatus.SUCCESS] * 15 + [RunStatus.FAILED] * 5, True, CollectorHealth.FAILING),
        ([RunStatus.FAILED], True, CollectorHealth.FAILING),
    ],
)
def test_health(statuses: list[RunStatus], enabled: bool, health: CollectorHealth) -> None:
    runs = [run_of(status, i) for i, status in enumerate(statuses)]
    assert collector_health(runs, enabled=enabled) is health


async def test_list_collectors_and_paged_runs() -> None:
    clock = FixedClock(NOW)
    runs = MemoryCollectorRunRepository()
    fetcher, disabled = Ticks(clock, "ticks"), Ticks(clock, "off")
    disabled.disabled = "no API key"
    collectors = [make(clock, fetcher), make(clock, disabled)]
    run_collector = RunCollector(runs, clock)
    for _ in range(5):
        await run_collector(collectors[0])
        clock.advance(timedelta(seconds=10))
    statuses = {s.name: s for s in await ListCollectors(collectors, runs)()}
    assert statuses["ticks"].health is CollectorHealth.HEALTHY
    assert statuses["ticks"].last_run is not None
    assert statuses["off"].health is CollectorHealth.DISABLED
    assert statuses["off"].disabled_reason == "no API key"
    lister = ListCollectorRuns(runs)
    first = await lister("ticks", page_size=3)
    second = await lister("ticks", page_size=3, page_token=first.next_page_token)
    times = [r.started_at for r in first.items + second.items]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == 5
    assert second.next_page_token == ""
