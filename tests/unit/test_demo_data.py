from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.repositories import memory_repositories
from omc.application.demo import DEMO_ANCHOR, DemoSet, demo_records, load_demo_data
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import IngestResult
from omc.domain.record import natural_key

LATER = datetime(2027, 6, 30, 8, 15, tzinfo=UTC)


def every_record(demo: DemoSet) -> list[object]:
    return [
        *demo.price_ticks,
        *demo.protocol_metrics,
        *demo.onchain_metrics,
        *demo.news_items,
        *demo.social_posts,
        *demo.catalyst_events,
    ]


def use_cases_at(now: datetime, max_batch: int = 10_000) -> LedgerUseCases:
    fanout = PriceTickFanout()
    return LedgerUseCases.build(
        memory_repositories(fanout), fanout, FixedClock(now), max_batch=max_batch
    )


def test_the_set_covers_every_ledger_with_several_series() -> None:
    demo = demo_records(LATER)

    assert all(count > 0 for count in demo.counts().values())
    assert {tick.symbol for tick in demo.price_ticks} >= {"BTC", "ETH", "SOL"}
    tick_times = [tick.observed_at for tick in demo.price_ticks]
    assert max(tick_times) - min(tick_times) >= timedelta(hours=3)
    assert len({metric.protocol for metric in demo.protocol_metrics}) >= 3
    assert len({metric.day for metric in demo.protocol_metrics}) >= 3
    assert len({(m.asset, m.metric) for m in demo.onchain_metrics}) >= 2


def test_every_record_is_valid_and_already_canonical() -> None:
    demo = demo_records(LATER)

    for record in every_record(demo):
        assert record.normalized() == record  # type: ignore[attr-defined]
        assert record.violations(LATER) == []  # type: ignore[attr-defined]


def test_natural_keys_are_unique_within_each_record_type() -> None:
    demo = demo_records(LATER)

    for name in demo.counts():
        records = getattr(demo, name)
        assert len({natural_key(record) for record in records}) == len(records), name


def test_the_set_is_the_same_whatever_the_current_time() -> None:
    assert demo_records(DEMO_ANCHOR) == demo_records(LATER)
    assert demo_records(LATER) == demo_records(LATER + timedelta(days=400))


def test_nothing_lies_in_the_future_even_on_a_clock_set_before_the_anchor() -> None:
    early = DEMO_ANCHOR - timedelta(days=2)

    demo = demo_records(early)

    times = [tick.observed_at for tick in demo.price_ticks]
    times += [metric.observed_at for metric in demo.protocol_metrics]
    times += [metric.observed_at for metric in demo.onchain_metrics]
    times += [item.published_at for item in demo.news_items]
    times += [post.posted_at for post in demo.social_posts]
    times += [event.detected_at for event in demo.catalyst_events]
    assert all(moment <= early for moment in times)
    assert sum(demo.counts().values()) < sum(demo_records(LATER).counts().values())


async def test_loading_twice_inserts_once_then_finds_only_duplicates() -> None:
    use_cases = use_cases_at(LATER)
    expected = demo_records(LATER).counts()

    first = await load_demo_data(use_cases)
    second = await load_demo_data(use_cases)

    assert first == {name: IngestResult(inserted=count) for name, count in expected.items()}
    assert second == {name: IngestResult(duplicate=count) for name, count in expected.items()}


async def test_loading_respects_a_small_batch_limit() -> None:
    use_cases = use_cases_at(LATER, max_batch=100)

    results = await load_demo_data(use_cases)

    assert results["price_ticks"] == IngestResult(inserted=len(demo_records(LATER).price_ticks))


async def test_loaded_prices_answer_queries() -> None:
    use_cases = use_cases_at(LATER)
    await load_demo_data(use_cases)

    latest = await use_cases.latest_prices(["btc", "eth", "sol"], quote="AUD")

    assert [tick.symbol for tick in latest] == ["BTC", "ETH", "SOL"]
    assert {tick.observed_at for tick in latest} == {DEMO_ANCHOR}


@pytest.mark.parametrize("name", ["news_items", "social_posts", "catalyst_events"])
def test_links_point_at_the_reserved_example_domain(name: str) -> None:
    for record in getattr(demo_records(LATER), name):
        assert record.url.startswith("https://example.com/demo/")
