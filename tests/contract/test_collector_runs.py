"""CollectorRunRepository over memory and Postgres: newest first, keyset pages, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.collection import MemoryCollectorRunRepository
from omc.adapters.postgres.collection import PostgresCollectorRunRepository
from omc.application.collection_ports import CollectorRunRepository
from omc.application.ports import PageRequest
from omc.domain.collection import CollectorRun, RunStatus

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def memory_runs() -> CollectorRunRepository:
    return MemoryCollectorRunRepository()


@pytest.fixture
async def postgres_runs(postgres_engine: AsyncEngine) -> CollectorRunRepository:
    async with postgres_engine.begin() as connection:
        await connection.execute(text("TRUNCATE collector_runs"))
    return PostgresCollectorRunRepository(postgres_engine)


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def runs(request: pytest.FixtureRequest) -> CollectorRunRepository:
    # Sync, resolving lazily: the memory half never needs a database.
    repository: CollectorRunRepository = request.getfixturevalue(f"{request.param}_runs")
    return repository


def run(
    run_id: str,
    minute: int,
    collector: str = "coinspot_prices",
    status: RunStatus = RunStatus.SUCCESS,
    **counts: int,
) -> CollectorRun:
    started = T0 + timedelta(minutes=minute)
    return CollectorRun(
        run_id=run_id,
        collector=collector,
        started_at=started,
        finished_at=started + timedelta(seconds=1, microseconds=250),
        status=status,
        **counts,
    )


async def test_a_run_reads_back_exactly(runs: CollectorRunRepository) -> None:
    original = CollectorRun(
        run_id="r1",
        collector="cryptopanic_news",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2, microseconds=123456),
        status=RunStatus.PARTIAL,
        fetched=10,
        inserted=6,
        updated=1,
        duplicate=2,
        rejected=1,
        error="1 rejected: title: missing é ✓",
    )
    await runs.add(original)

    (stored,) = await runs.recent("cryptopanic_news", 5)

    assert stored == original
    assert stored.started_at.tzinfo is not None
    assert stored.started_at.utcoffset() == timedelta(0)


async def test_recent_is_newest_first_per_collector_and_limited(
    runs: CollectorRunRepository,
) -> None:
    for index, minute in enumerate([3, 1, 4, 2]):
        await runs.add(run(f"a{index}", minute))
    await runs.add(run("other", 9, collector="reddit_posts"))

    recent = await runs.recent("coinspot_prices", 3)

    assert [r.started_at.minute for r in recent] == [4, 3, 2]
    assert await runs.recent("nobody", 3) == []


async def test_runs_starting_together_order_by_run_id_descending(
    runs: CollectorRunRepository,
) -> None:
    # Code-point order of ids: "B" < "a" (a linguistic collation would say otherwise).
    for run_id in ("a", "B", "c"):
        await runs.add(run(run_id, 0))

    assert [r.run_id for r in await runs.recent("coinspot_prices", 5)] == ["c", "a", "B"]


async def test_list_pages_newest_first_without_gaps_or_repeats(
    runs: CollectorRunRepository,
) -> None:
    expected = []
    for minute in range(5):
        for suffix in ("x", "y"):
            item = run(f"{minute}{suffix}", minute, collector="c1" if suffix == "x" else "c2")
            await runs.add(item)
            expected.append(item)
    expected.sort(key=lambda r: (r.started_at, r.run_id), reverse=True)

    seen: list[CollectorRun] = []
    after = None
    for _ in range(10):
        page = await runs.list(None, PageRequest(3, after, newest_first=True))
        seen.extend(page.items)
        after = page.next_after
        if after is None:
            break

    assert seen == expected


async def test_list_filters_by_collector(runs: CollectorRunRepository) -> None:
    for minute in range(4):
        await runs.add(run(f"c1-{minute}", minute, collector="c1"))
        await runs.add(run(f"c2-{minute}", minute, collector="c2"))

    first = await runs.list("c2", PageRequest(3, newest_first=True))
    rest = await runs.list("c2", PageRequest(3, first.next_after, newest_first=True))

    assert [r.run_id for r in first.items] == ["c2-3", "c2-2", "c2-1"]
    assert [r.run_id for r in rest.items] == ["c2-0"]
    assert rest.next_after is None


async def test_an_exact_last_page_has_no_next(runs: CollectorRunRepository) -> None:
    for minute in range(3):
        await runs.add(run(f"r{minute}", minute))

    page = await runs.list(None, PageRequest(3, newest_first=True))

    assert len(page.items) == 3
    assert page.next_after is None
    assert (await runs.list(None, PageRequest(3, newest_first=True))).items == page.items


async def test_every_status_round_trips(runs: CollectorRunRepository) -> None:
    for minute, status in enumerate(RunStatus):
        await runs.add(run(f"s{minute}", minute, status=status))

    stored = await runs.recent("coinspot_prices", 10)

    assert {r.status for r in stored} == set(RunStatus)
