"""What only the Postgres adapter has: replicas sharing one database, database-level
constraints, connection failures, and the listener's reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from omc.adapters.postgres.engine import (
    create_engine,
    libpq_url,
    spare_connections,
    sqlalchemy_url,
)
from omc.adapters.postgres.listener import APPLICATION_NAME, PostgresPriceTickListener
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.errors import StorageUnavailable, StreamInterrupted
from omc.application.fanout import PriceTickFanout
from omc.application.ports import IngestResult, PageRequest
from tests.conftest import Storage
from tests.contract.test_price_tick_stream import take
from tests.support.records import catalyst_event, tick


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql+psycopg://postgres:@/postgres?host=/tmp/pg",
        ),
        ("postgres://u:p@db:5432/omc", "postgresql+psycopg://u:p@db:5432/omc"),
        ("postgresql+asyncpg://u@db/omc", "postgresql+psycopg://u@db/omc"),
        ("postgresql+psycopg://u@db/omc", "postgresql+psycopg://u@db/omc"),
    ],
)
def test_sqlalchemy_url_names_the_psycopg_driver(given: str, expected: str) -> None:
    assert sqlalchemy_url(given) == expected
    assert libpq_url(given) == "postgresql://" + expected.partition("://")[2]


@pytest.mark.parametrize("given", ["mysql://u@db/omc", "db.example:5432"])
def test_sqlalchemy_url_rejects_other_databases(given: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        sqlalchemy_url(given)


@pytest.mark.postgres
@pytest.mark.parametrize("own_options", [None, "-c statement_timeout=12345"])
async def test_engine_sessions_run_in_utc_and_keep_the_urls_own_options(
    postgres_url: str, own_options: str | None
) -> None:
    url = make_url(sqlalchemy_url(postgres_url))
    if own_options is not None:
        url = url.update_query_dict({"options": own_options})
    engine = create_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SHOW TimeZone")) == "UTC"
            timeout = await connection.scalar(text("SHOW statement_timeout"))
            assert timeout == ("0" if own_options is None else "12345ms")
            stored = await connection.scalar(text("SELECT TIMESTAMPTZ '2026-01-02 03:04:05+10'"))
            assert stored == datetime(2026, 1, 1, 17, 4, 5, tzinfo=UTC)
            assert stored.utcoffset() == timedelta(0)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_spare_connections_count_the_pool_and_its_overflow_minus_those_in_use(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url, pool_size=2)
    foreign = create_async_engine(sqlalchemy_url(postgres_url))
    try:
        assert spare_connections(engine) == 4  # two pooled, two more as overflow
        async with engine.connect(), engine.connect(), engine.connect():
            assert spare_connections(engine) == 1
        assert spare_connections(engine) == 4
        assert spare_connections(foreign) == 0  # limits unknown: counted as none
    finally:
        await engine.dispose()
        await foreign.dispose()


@pytest.fixture
async def other_replica(clean_postgres: AsyncEngine, postgres_url: str) -> AsyncIterator[Storage]:
    """A second process's view of the same database: its own engine, listener, fan-out."""
    engine = create_engine(postgres_url, pool_size=2)
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(postgres_url, fanout)
    await listener.start()
    try:
        yield Storage("postgres-replica", postgres_repositories(engine), fanout)
    finally:
        await listener.stop()
        await engine.dispose()


@pytest.mark.postgres
async def test_ticks_ingested_on_one_replica_reach_watchers_on_every_replica(
    postgres_storage: Storage, other_replica: Storage
) -> None:
    async with (
        postgres_storage.fanout.subscribe(frozenset({"BTC"}), None) as here,
        other_replica.fanout.subscribe(frozenset({"BTC"}), None) as there,
    ):
        from_other = tick("BTC", 1, last="101.25")
        await other_replica.repositories.price_ticks.add_many([from_other])
        from_here = tick("BTC", 2, last="102.50")
        await postgres_storage.repositories.price_ticks.add_many([from_here])

        assert await take(here, 2) == [from_other, from_here]
        assert await take(there, 2) == [from_other, from_here]


@pytest.mark.postgres
async def test_a_batch_breaking_a_database_constraint_writes_and_announces_nothing(
    postgres_storage: Storage,
) -> None:
    repositories = postgres_storage.repositories
    async with postgres_storage.fanout.subscribe(frozenset(), None) as ticks:
        with pytest.raises(psycopg.errors.CheckViolation):
            # Only a bypassed use case could send this: the domain rejects last <= 0.
            await repositories.price_ticks.add_many([tick("BTC", 1), tick("ETH", 1, last="0")])
        with pytest.raises(psycopg.errors.CheckViolation):
            await repositories.catalyst_events.add_many(
                [catalyst_event("ok"), catalyst_event("bad", impact=11)]
            )

        assert (await repositories.price_ticks.stats()).count == 0
        assert (await repositories.catalyst_events.stats()).count == 0

        # The pooled connections (and their staging tables) still work afterwards, and
        # as announcements arrive in commit order, the first one proves the failed
        # batch announced nothing.
        for _ in range(3):
            assert await repositories.price_ticks.add_many([tick("SOL", 2)]) in (
                IngestResult(inserted=1),
                IngestResult(duplicate=1),
            )
        assert await take(ticks, 1) == [tick("SOL", 2)]


@pytest.mark.postgres
async def test_an_unreachable_database_is_storage_unavailable(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    nowhere = tmp_path_factory.mktemp("no-server")
    url = f"postgresql://postgres:secret@/postgres?host={nowhere}&connect_timeout=2"
    engine = create_engine(url)
    repositories = postgres_repositories(engine)
    try:
        calls = [
            repositories.price_ticks.add_many([tick()]),
            repositories.price_ticks.list([], PageRequest(10)),
            repositories.price_ticks.latest([], None, None),
            repositories.news_items.stats(),
        ]
        for call in calls:
            with pytest.raises(StorageUnavailable) as raised:
                await call
            assert "secret" not in str(raised.value)
            assert str(nowhere) not in str(raised.value)
        listener = PostgresPriceTickListener(url, PriceTickFanout())
        with pytest.raises(StorageUnavailable):
            await listener.start()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_the_listener_reconnects_when_its_connection_is_killed(
    postgres_storage: Storage, clean_postgres: AsyncEngine
) -> None:
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(_url_of(clean_postgres), fanout, initial_backoff=0.05)
    await listener.start()
    try:
        async with fanout.subscribe(frozenset(), None) as before_the_drop:
            async with clean_postgres.connect() as connection:
                killed = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": APPLICATION_NAME},
                )
            assert killed >= 1
            async with asyncio.timeout(5):
                while listener.reconnects < 1:  # noqa: ASYNC110 (polls a plain counter)
                    await asyncio.sleep(0.02)
            # Ticks committed during the outage never reached us: the stream says so.
            with pytest.raises(StreamInterrupted):
                await asyncio.wait_for(anext(before_the_drop), 5)

        async with fanout.subscribe(frozenset(), None) as ticks:
            await postgres_storage.repositories.price_ticks.add_many([tick("BTC", 3)])
            assert await take(ticks, 1) == [tick("BTC", 3)]
    finally:
        await listener.stop()


def _url_of(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.postgres
async def test_a_failed_merge_leaves_the_connection_fit_for_the_next_batch(
    clean_postgres: AsyncEngine, postgres_url: str
) -> None:
    # One pooled connection, so every batch reuses it and its staging table.
    engine = create_engine(postgres_url, pool_size=1)
    repository = postgres_repositories(engine).price_ticks
    try:
        known = tick("BTC", 1)
        await repository.add_many([known])
        for attempt in range(2):
            # A known key sends the batch through the staging table; the bad row then
            # fails the INSERT, rolling back the table created for it.
            with pytest.raises(psycopg.errors.CheckViolation):
                await repository.add_many([known, tick("ETH", 1, last="-1")])
            result = await repository.add_many([known, tick("ETH", 2 + attempt)])
            assert result == IngestResult(inserted=1, duplicate=1)
        assert (await repository.stats()).count == 3
    finally:
        await engine.dispose()
