"""The monitor has the store keep its per-hour summaries up to date between reports,
and a store failing at that never costs the cycle its report or its alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omc.adapters.memory.alerts import MemoryAlertRepository
from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorLock
from omc.adapters.memory.quality import MemoryQualityStats
from omc.adapters.memory.repositories import memory_repositories
from omc.application.errors import StorageUnavailable
from omc.application.fanout import PriceTickFanout
from omc.application.quality import MAX_WINDOW, QualityMonitor, QualityReports
from omc.domain.quality import QualityPolicy, StatsQuery
from tests.unit.quality.scenarios import NOW, ticks


class KeepingStats(MemoryQualityStats):
    """The memory source, plus a store-side keep_hours that records what it was asked."""

    def __init__(self, *, fail: bool = False) -> None:
        self.repositories = memory_repositories(PriceTickFanout())
        super().__init__(self.repositories)
        self.fail = fail
        self.asked: list[tuple[timedelta, int]] = []

    async def keep_hours(self, query: StatsQuery, max_hours: int) -> int:
        self.asked.append((query.end - query.start, max_hours))
        if self.fail:
            raise StorageUnavailable("the database is unavailable")
        return max_hours


def monitor(source: KeepingStats, per_cycle: int) -> QualityMonitor:
    clock = FixedClock(NOW)
    return QualityMonitor(
        QualityReports(source, QualityPolicy(), clock),
        MemoryAlertRepository(),
        [],
        MemoryCollectorLock(clock),
        clock,
        keep_hours_per_cycle=per_cycle,
    )


async def test_each_cycle_keeps_hours_for_the_longest_window() -> None:
    source = KeepingStats()

    run = await monitor(source, 24).run_once()

    assert run.ran
    assert run.kept_hours == 24
    assert source.asked == [(MAX_WINDOW, 24)]


async def test_keeping_no_hours_asks_nothing() -> None:
    source = KeepingStats()

    run = await monitor(source, 0).run_once()

    assert run.kept_hours == 0
    assert source.asked == []


async def test_a_failure_to_keep_hours_keeps_the_report_and_alerts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = KeepingStats(fail=True)
    # A feed silent for 20 minutes: the exchange and the system score low.
    stale = ticks("BTC", NOW - timedelta(hours=2), NOW - timedelta(minutes=20))
    await source.repositories.price_ticks.add_many(stale)

    run = await monitor(source, 24).run_once()

    assert run.ran
    assert run.report is not None
    assert {event.alert.scope for event in run.events} == {"exchange", "system"}
    assert run.kept_hours == 0
    assert "quality hours not kept this cycle: StorageUnavailable" in caplog.text
