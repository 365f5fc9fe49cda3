from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.secrets.environment import StaticSecrets
from omc.adapters.sources.catalog import build_collectors, local_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import Collector, RunCollector
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import LedgerRepositories, RecordStats
from omc.domain.collection import CollectorRun
from tests.support.fixture_server import (
    CRYPTOPANIC_TOKEN,
    FixtureServer,
    fixture_options,
    serve_all_sources,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Short enough that a "slow" reply (0.3 s) is a timeout, long enough for a loaded CI box.
TEST_TIMEOUT = 0.15


@dataclass
class Harness:
    server: FixtureServer
    clock: FixedClock
    repositories: LedgerRepositories
    use_cases: LedgerUseCases
    runs: MemoryCollectorRunRepository
    client: httpx.AsyncClient
    secrets: dict[str, str]

    def collector(self, name: str, *, timeout: float = 2.0, **options: Any) -> Collector[Any]:
        configs = local_configs(self.server.base_url, timeout_seconds=timeout)
        configs = {
            key: replace(
                config,
                options={**fixture_options().get(key, {}), **(options if key == name else {})},
            )
            for key, config in configs.items()
        }
        collectors = build_collectors(
            self.client, self.clock, StaticSecrets(self.secrets), self.use_cases, configs
        )
        return next(c for c in collectors if c.name == name)

    async def run(
        self,
        name: str,
        *,
        timeout: float = 2.0,  # noqa: ASYNC109 (the source HTTP timeout, not this call)
        **options: Any,
    ) -> CollectorRun:
        run_collector = RunCollector(self.runs, self.clock, MemoryCollectorLock(self.clock))
        return await run_collector(self.collector(name, timeout=timeout, **options))

    async def stats(self) -> dict[str, RecordStats]:
        return {s.record_type: s for s in [await r.stats() for r in self.repositories.every()]}

    async def stored(self) -> int:
        return sum(s.count for s in (await self.stats()).values())


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_all_sources(running)
        yield running


@pytest.fixture(scope="session")
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    # One client for the session, as in the service (building one loads the CA bundle).
    client = build_http_client()
    yield client
    await client.aclose()


@pytest.fixture
async def harness(server: FixtureServer, http_client: httpx.AsyncClient) -> Harness:
    clock = FixedClock(NOW)
    fanout = PriceTickFanout()
    repositories = memory_repositories(fanout)
    use_cases = LedgerUseCases.build(repositories, fanout, clock)
    return Harness(
        server=server,
        clock=clock,
        repositories=repositories,
        use_cases=use_cases,
        runs=MemoryCollectorRunRepository(),
        client=http_client,
        secrets={"cryptopanic_api_key": CRYPTOPANIC_TOKEN},
    )
