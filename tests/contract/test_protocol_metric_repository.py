"""ProtocolMetricRepository: a later observation of the same day replaces the figures."""

from __future__ import annotations

from datetime import timedelta

from omc.application.ports import Condition, IngestResult, LedgerRepositories, Op, PageRequest
from tests.support.records import DAY0, protocol_metric


async def stored(repositories: LedgerRepositories) -> list[tuple[str, str | None, int]]:
    page = await repositories.protocol_metrics.list([], PageRequest(100))
    return [
        (m.protocol, None if m.tvl_usd is None else str(m.tvl_usd), m.observed_at.minute)
        for m in page.items
    ]


async def test_newer_changed_figures_update_the_day(repositories: LedgerRepositories) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(observed_minute=1, tvl="100")])

    result = await repo.add_many([protocol_metric(observed_minute=2, tvl="150.00")])

    assert result == IngestResult(updated=1)
    assert await stored(repositories) == [("aave", "150.00", 2)]


async def test_older_figures_are_duplicates(repositories: LedgerRepositories) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(observed_minute=5, tvl="100")])

    result = await repo.add_many([protocol_metric(observed_minute=4, tvl="999")])

    assert result == IngestResult(duplicate=1)
    assert await stored(repositories) == [("aave", "100", 5)]


async def test_the_same_figures_again_are_duplicates(repositories: LedgerRepositories) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(observed_minute=5, tvl="100.0", fees="1")])

    # Equal values written with another scale are the same figures.
    same = await repo.add_many([protocol_metric(observed_minute=5, tvl="100.00", fees="1.0")])

    assert same == IngestResult(duplicate=1)
    assert await stored(repositories) == [("aave", "100.0", 5)]


async def test_changed_figures_observed_at_the_same_time_update(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(observed_minute=5, tvl="100", revenue=None)])

    result = await repo.add_many([protocol_metric(observed_minute=5, tvl="100", revenue="-3")])

    assert result == IngestResult(updated=1)
    (metric,) = (await repo.list([], PageRequest(10))).items
    assert str(metric.revenue_24h) == "-3"


async def test_a_newer_observation_of_unchanged_figures_updates_its_time(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(observed_minute=1, tvl="100")])

    result = await repo.add_many([protocol_metric(observed_minute=9, tvl="100")])

    assert result == IngestResult(updated=1)
    assert await stored(repositories) == [("aave", "100", 9)]


async def test_one_batch_mixes_inserts_updates_and_duplicates(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many(
        [
            protocol_metric("aave", observed_minute=5, tvl="1"),
            protocol_metric("curve", observed_minute=5, tvl="2"),
            protocol_metric("lido", observed_minute=5, tvl="3"),
        ]
    )

    result = await repo.add_many(
        [
            protocol_metric("aave", observed_minute=6, tvl="10"),  # newer, changed
            protocol_metric("curve", observed_minute=4, tvl="20"),  # older
            protocol_metric("lido", observed_minute=5, tvl="3"),  # same
            protocol_metric("uniswap", observed_minute=5, tvl="4"),  # new
        ]
    )

    assert result == IngestResult(inserted=1, updated=1, duplicate=2)
    assert await stored(repositories) == [
        ("aave", "10", 6),
        ("curve", "2", 5),
        ("lido", "3", 5),
        ("uniswap", "4", 5),
    ]


async def test_day_ranges_are_half_open(repositories: LedgerRepositories) -> None:
    repo = repositories.protocol_metrics
    await repo.add_many([protocol_metric(day=d) for d in range(5)])

    page = await repo.list(
        [
            Condition("day", Op.GTE, DAY0 + timedelta(days=1)),
            Condition("day", Op.LT, DAY0 + timedelta(days=3)),
            Condition("protocol", Op.IN, ("aave",)),
        ],
        PageRequest(10),
    )

    assert [m.day for m in page.items] == [DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)]
