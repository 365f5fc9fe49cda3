"""The acceptance scenarios over the in-memory ledgers: a 20-minute gap, its recovery,
an outlier tick, and the demo data set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorRunRepository
from omc.adapters.memory.quality import MemoryQualityStats
from omc.adapters.memory.repositories import memory_repositories
from omc.application.demo import DEMO_ANCHOR, load_demo_data
from omc.application.errors import InvalidArgument
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.quality import QualityReports
from omc.domain.exchange import PriceTick
from omc.domain.quality import Level, QualityPolicy
from omc.domain.quality.scoring import VolumeVerdict
from omc.domain.record import Ledger
from tests.unit.quality.scenarios import NOW, runs, ticks


def _setup(policy: QualityPolicy | None = None, now: datetime = NOW):
    repositories = memory_repositories(PriceTickFanout())
    collector_runs = MemoryCollectorRunRepository()
    clock = FixedClock(now)
    reports = QualityReports(
        MemoryQualityStats(repositories, collector_runs), policy or QualityPolicy(), clock
    )
    return repositories, collector_runs, clock, reports


async def test_a_20_minute_gap_drops_completeness_and_timeliness_and_is_listed() -> None:
    repositories, _, clock, reports = _setup()
    await repositories.price_ticks.add_many(
        ticks("BTC", NOW - timedelta(hours=2), NOW - timedelta(minutes=20))
    )
    report = await reports.report()
    exchange = report.ledger(Ledger.EXCHANGE)
    assert exchange.completeness == pytest.approx(600 / 720, abs=1e-4)
    assert exchange.timeliness == 0.0
    assert exchange.accuracy == 1.0
    assert exchange.overall is not None
    assert exchange.overall < 0.7
    [gap] = exchange.gaps
    assert (gap.key, gap.start, gap.end, gap.missing, gap.open) == (
        "BTC/AUD",
        NOW - timedelta(minutes=20),
        NOW,
        120,
        True,
    )
    assert any("20 min" in line.message for line in exchange.lines if line.level is Level.ISSUE)

    # The feed resumes: the gap closes with the same bounds, timeliness recovers.
    clock.advance(timedelta(minutes=5))
    await repositories.price_ticks.add_many(ticks("BTC", NOW, NOW + timedelta(minutes=5)))
    report = await reports.report()
    exchange = report.ledger(Ledger.EXCHANGE)
    assert exchange.timeliness == 1.0
    [gap] = exchange.gaps
    assert (gap.start, gap.end, gap.open) == (
        NOW - timedelta(minutes=20),
        NOW,
        False,
    )
    assert exchange.overall is not None
    assert exchange.overall >= 0.7


async def test_one_stopped_symbol_among_several_lowers_the_ledger() -> None:
    repositories, _, _, reports = _setup()
    await repositories.price_ticks.add_many(ticks("BTC", NOW - timedelta(hours=1), NOW))
    await repositories.price_ticks.add_many(
        ticks("ETH", NOW - timedelta(hours=1), NOW - timedelta(minutes=20))
    )
    exchange = (await reports.report()).ledger(Ledger.EXCHANGE)
    assert exchange.timeliness == 0.5
    assert [gap.key for gap in exchange.gaps] == ["ETH/AUD"]
    assert {f.feed: f.score for f in exchange.freshness} == {
        "exchange/BTC/AUD": 1.0,
        "exchange/ETH/AUD": 0.0,
    }


async def test_an_outlier_tick_drops_accuracy_and_is_listed() -> None:
    repositories, _, _, reports = _setup()
    await repositories.price_ticks.add_many(ticks("SOL", NOW - timedelta(hours=1), NOW))
    before = (await reports.report()).ledger(Ledger.EXCHANGE)
    assert before.accuracy == 1.0
    assert before.outliers == ()

    spike_at = NOW - timedelta(minutes=30, seconds=5)
    spike = PriceTick("SOL", Decimal("1000.00"), spike_at, "feed", "AUD")
    await repositories.price_ticks.add_many([spike])
    after = (await reports.report()).ledger(Ledger.EXCHANGE)
    assert after.accuracy is not None
    assert after.accuracy < 1.0
    [outlier] = after.outliers
    assert (outlier.symbol, outlier.observed_at, outlier.last) == ("SOL", spike_at, spike.last)
    assert outlier.median == pytest.approx(100, abs=0.2)
    assert outlier.deviation > 10
    assert any("outlier SOL/AUD" in line.message for line in after.lines)


async def test_crossed_and_wide_quotes_and_missing_fields_are_counted() -> None:
    repositories, _, _, reports = _setup()
    good = ticks("ADA", NOW - timedelta(minutes=10), NOW)
    at = NOW - timedelta(seconds=5)
    wide = PriceTick("XRP", Decimal(1), at, "feed", bid=Decimal("0.9"), ask=Decimal("1.1"))
    bare = PriceTick("DOT", Decimal(5), at, "feed")
    await repositories.price_ticks.add_many([*good, wide, bare])
    exchange = (await reports.report()).ledger(Ledger.EXCHANGE)
    [rules] = await _rules(reports)
    assert dict(rules.by_rule)["spread_within_bound"] == 1
    assert rules.missing_fields == 1
    assert exchange.accuracy == pytest.approx((len(good) + 1) / (len(good) + 2), abs=1e-4)


async def _rules(reports: QualityReports):
    stats = await reports._source.stats(reports.policy.query(NOW, NOW), [Ledger.EXCHANGE])
    return stats.ledgers[0].rules


async def test_collector_runs_drive_human_completeness() -> None:
    policy = QualityPolicy(collectors={"news": (Ledger.HUMAN, timedelta(minutes=5))})
    _, collector_runs, _, reports = _setup(policy)
    start, end = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    for run in runs("news", start, end, timedelta(minutes=5)):
        await collector_runs.add(run)
    human = (await reports.report(ledger="human")).ledger(Ledger.HUMAN)
    assert human.completeness == 0.5
    assert [ledger.ledger for ledger in (await reports.report(ledger="human")).ledgers] == [
        Ledger.HUMAN
    ]


async def test_a_flood_is_flagged() -> None:
    repositories, _, _, reports = _setup()
    await repositories.price_ticks.add_many(
        ticks("BTC", NOW - timedelta(hours=6), NOW - timedelta(hours=1))
    )
    await repositories.price_ticks.add_many(
        ticks("BTC", NOW - timedelta(hours=1), NOW, every=timedelta(seconds=1))
    )
    [volume] = (await reports.report()).ledger(Ledger.EXCHANGE).volume
    assert volume.verdict is VolumeVerdict.FLOOD


async def test_empty_ledgers_are_not_scored() -> None:
    _, _, _, reports = _setup()
    report = await reports.report()
    assert report.overall is None
    assert all(not ledger.has_data for ledger in report.ledgers)


async def test_bad_requests_are_invalid_arguments() -> None:
    _, _, _, reports = _setup()
    with pytest.raises(InvalidArgument) as error:
        await reports.report(ledger="nope", window=timedelta(minutes=30))
    assert {v.field for v in error.value.violations} == {"ledger", "window"}
    with pytest.raises(InvalidArgument):
        await reports.report(as_of=NOW + timedelta(hours=1))


async def test_demo_data_report_is_sensible() -> None:
    policy = QualityPolicy(price_cadence=timedelta(minutes=5), window=timedelta(hours=6))
    repositories, _, _, reports = _setup(policy, now=datetime(2026, 1, 2, tzinfo=UTC))
    await load_demo_data(
        LedgerUseCases.build(repositories, PriceTickFanout(), FixedClock(DEMO_ANCHOR))
    )
    report = await reports.report(as_of=DEMO_ANCHOR)
    exchange = report.ledger(Ledger.EXCHANGE)
    # Three symbols every 5 minutes for the whole 6 hours, bid and ask present.
    assert exchange.completeness == 1.0
    assert exchange.accuracy == 1.0
    assert exchange.gaps == ()
    assert all(ledger.has_data for ledger in report.ledgers)
    assert report.overall is not None
    for line in report.all_lines():
        assert line.message
