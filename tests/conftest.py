"""Fixtures shared by every suite: a real PostgreSQL, and the ledger repositories over
either storage (`memory` or `postgres`) so one test runs against both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres import migrate
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import PostgresPriceTickListener
from omc.adapters.postgres.repositories import postgres_repositories
from omc.adapters.postgres.tables import LEDGER_TABLES, price_hour_blocks, price_hour_versions
from omc.application.fanout import PriceTickFanout
from omc.application.ports import LedgerRepositories
from tests.support.postgres import (
    HOW_TO_PROVIDE,
    drop_database,
    postgres_server,
    recreate_database,
    worker_id,
)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Admin URL of the test server; tests that need their own database create it here."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A migrated database of this xdist worker's own, as a plain postgresql:// URL."""
    database = f"omc_test_{worker_id()}"
    try:
        url = recreate_database(postgres_server_url, database)
    except psycopg.OperationalError as error:
        pytest.fail(f"{HOW_TO_PROVIDE}\n(could not create a database: {error})", pytrace=False)
    migrate.upgrade(url)
    yield url
    drop_database(postgres_server_url, database)


@pytest.fixture(scope="session")
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url, pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean_postgres(postgres_engine: AsyncEngine) -> AsyncEngine:
    """The engine over empty ledger tables."""
    async with postgres_engine.begin() as connection:
        # The price hour rollups go too: no version of an earlier test's hours lingers.
        tables = (*LEDGER_TABLES, price_hour_versions, price_hour_blocks)
        names = ", ".join(table.name for table in tables)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    return postgres_engine


@dataclass(frozen=True)
class Storage:
    """One storage adapter's repositories plus the fan-out its committed ticks reach."""

    name: str
    repositories: LedgerRepositories
    fanout: PriceTickFanout


@pytest.fixture
def memory_storage() -> Storage:
    fanout = PriceTickFanout()
    return Storage("memory", memory_repositories(fanout), fanout)


@pytest.fixture
async def postgres_storage(
    clean_postgres: AsyncEngine, postgres_url: str
) -> AsyncIterator[Storage]:
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(postgres_url, fanout)
    await listener.start()
    try:
        yield Storage("postgres", postgres_repositories(clean_postgres), fanout)
    finally:
        await listener.stop()


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def storage(request: pytest.FixtureRequest) -> Storage:
    """Fresh, empty storage of each kind. Resolved lazily so the memory half never
    needs a database."""
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result


@pytest.fixture
def repositories(storage: Storage) -> LedgerRepositories:
    return storage.repositories


@pytest.fixture
def price_tick_fanout(storage: Storage) -> PriceTickFanout:
    return storage.fanout
