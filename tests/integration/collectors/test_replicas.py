"""Two replicas, one Postgres: every collector tick runs once in total, not once per
replica. Each replica has its own engine, lock, run store, HTTP client and scheduler, as
two processes behind a load balancer would; only the database is shared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.clock import SystemClock
from omc.adapters.postgres.collection import PostgresCollectorLock, PostgresCollectorRunRepository
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.repositories import postgres_repositories
from omc.adapters.secrets.environment import StaticSecrets
from omc.adapters.sources.catalog import build_collectors, local_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import Collector, RunCollector, Scheduler
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import PageRequest
from omc.domain.collection import RunStatus
from tests.support.fixture_server import CRYPTOPANIC_TOKEN, FixtureServer, fixture_options

pytestmark = pytest.mark.postgres

BOUNDED = 20.0  # seconds; a bound on waiting, never a timing assertion


@dataclass
class Replica:
    engine: AsyncEngine
    client: httpx.AsyncClient
    runs: PostgresCollectorRunRepository
    collectors: list[Collector[Any]]
    scheduler: Scheduler


async def start_replica(url: str, server: FixtureServer) -> Replica:
    clock = SystemClock()
    engine = create_engine(url, pool_size=4)
    fanout = PriceTickFanout()
    use_cases = LedgerUseCases.build(postgres_repositories(engine), fanout, clock)
    configs = {
        name: replace(config, options=fixture_options().get(name, {}))
        for name, config in local_configs(server.base_url).items()
    }
    client = build_http_client()
    collectors = build_collectors(
        client, clock, StaticSecrets({"cryptopanic_api_key": CRYPTOPANIC_TOKEN}), use_cases, configs
    )
    runs = PostgresCollectorRunRepository(engine)
    run_collector = RunCollector(runs, clock, PostgresCollectorLock(engine))
    scheduler = Scheduler(run_collector, collectors, jitter=0.0)
    return Replica(engine, client, runs, collectors, scheduler)


@pytest.fixture
async def replicas(
    clean_postgres: AsyncEngine, postgres_url: str, server: FixtureServer
) -> AsyncIterator[tuple[Replica, Replica]]:
    async with clean_postgres.begin() as connection:
        await connection.execute(text("TRUNCATE collector_runs"))
    pair = (await start_replica(postgres_url, server), await start_replica(postgres_url, server))
    try:
        yield pair
    finally:
        for replica in pair:
            await replica.scheduler.stop(grace=0)
            await replica.client.aclose()
            await replica.engine.dispose()


async def test_concurrent_ticks_of_two_replicas_run_each_collector_once(
    replicas: tuple[Replica, Replica], server: FixtureServer
) -> None:
    first, second = replicas
    # Both replicas tick every collector at the same moment, three times over.
    for _ in range(3):
        results = await asyncio.gather(
            *(first.scheduler.tick(c) for c in first.collectors),
            *(second.scheduler.tick(c) for c in second.collectors),
        )
        assert sum(run is not None for run in results) <= len(first.collectors)

    runs = (await first.runs.list(None, _page(100))).items
    assert sorted(run.collector for run in runs) == sorted(c.name for c in first.collectors)
    assert {run.status for run in runs} == {RunStatus.SUCCESS}
    # The upstream saw one cycle, not two.
    assert server.hits("/pubapi/v2/latest") == 1
    assert server.hits("/submissions/CIK0001679788.json") == 1


async def test_two_running_schedulers_share_the_first_tick(
    replicas: tuple[Replica, Replica], server: FixtureServer
) -> None:
    first, second = replicas
    first.scheduler.start()
    second.scheduler.start()
    expected = len(first.collectors)
    async with asyncio.timeout(BOUNDED):
        while len((await first.runs.list(None, _page(100))).items) < expected:  # noqa: ASYNC110 (polls the shared database)
            await asyncio.sleep(0.05)
    # Graceful stop waits for ticks in progress, so the count below is final.
    await asyncio.gather(first.scheduler.stop(grace=BOUNDED), second.scheduler.stop(grace=BOUNDED))

    runs = (await second.runs.list(None, _page(100))).items
    assert len(runs) == expected
    assert server.hits("/pubapi/v2/latest") == 1


def _page(size: int) -> PageRequest:
    return PageRequest(size, newest_first=True)
