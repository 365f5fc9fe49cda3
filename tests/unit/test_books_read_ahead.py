"""`omc serve` reads ahead recent traders' books at start: never in the way of serving
(a failure is logged, not raised), off with OMC_BOOKS_READ_AHEAD=false, and cancelled
by a shutdown that comes first."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.fills import MemoryFillRepository
from omc.adapters.memory.marks import MemoryMarkSource
from omc.adapters.memory.repositories import memory_repositories
from omc.application.fanout import PriceTickFanout
from omc.application.trading import TradingBooks
from omc.bootstrap.books import start_read_ahead, stop_read_ahead
from omc.bootstrap.settings import Settings, StorageKind


class Fills(MemoryFillRepository):
    """A real store whose read-ahead fails, or waits until let go."""

    def __init__(self, *, fails: bool = False) -> None:
        super().__init__()
        self.fails = fails
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def keep_recent(self) -> int:
        self.started.set()
        if self.fails:
            raise ConnectionError("database gone")
        await self.release.wait()
        return 3


def books(fills: MemoryFillRepository) -> TradingBooks:
    ticks = memory_repositories(PriceTickFanout()).price_ticks
    return TradingBooks(fills, MemoryMarkSource(ticks), SystemClock())


def settings() -> Settings:
    return Settings(storage=StorageKind.MEMORY)


async def test_a_read_ahead_is_logged_with_the_users_read() -> None:
    fills = Fills()
    fills.release.set()
    with structlog.testing.capture_logs() as logs:
        task = start_read_ahead(settings(), books(fills))
        assert task is not None
        await asyncio.wait_for(task, 5)
    assert [entry["users"] for entry in logs if entry["event"] == "books_read_ahead"] == [3]


async def test_a_failed_read_ahead_is_logged_and_serving_goes_on() -> None:
    with structlog.testing.capture_logs() as logs:
        task = start_read_ahead(settings(), books(Fills(fails=True)))
        assert task is not None
        await asyncio.wait_for(task, 5)  # does not raise
    failed = [entry for entry in logs if entry["event"] == "books_read_ahead_failed"]
    assert [entry["error"] for entry in failed] == ["ConnectionError"]
    assert "database gone" not in repr(logs)


async def test_a_shutdown_cancels_a_read_ahead_still_running() -> None:
    fills = Fills()
    task = start_read_ahead(settings(), books(fills))
    assert task is not None
    await asyncio.wait_for(fills.started.wait(), 5)

    await asyncio.wait_for(stop_read_ahead(task), 5)

    assert task.cancelled()


def test_read_ahead_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMC_BOOKS_READ_AHEAD", "false")

    assert start_read_ahead(settings(), books(Fills())) is None
