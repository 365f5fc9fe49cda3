"""omc.v1.CollectorService end to end: an in-process server behind the real auth
interceptor, called through real channels, collectors fetching from the local fixture
server over TCP, runs stored in memory and in Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

import grpc
import httpx
import pytest
from grpc import aio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.grpc.collector_servicer import collector_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.postgres.collection import PostgresCollectorLock, PostgresCollectorRunRepository
from omc.adapters.secrets.environment import StaticSecrets
from omc.adapters.sources.catalog import COLLECTOR_NAMES, build_collectors, local_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import CollectorUseCases
from omc.application.collection_ports import CollectorLock, CollectorRunRepository
from omc.application.ledger import LedgerUseCases
from omc.v1 import collectors_pb2 as pb
from omc.v1 import collectors_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import Secured, bearer, serve_secured
from tests.e2e.test_ledger_api import _violations
from tests.support.fixture_server import (
    CRYPTOPANIC_PATH,
    CRYPTOPANIC_TOKEN,
    FixtureServer,
    fixture_options,
    serve_all_sources,
    server_error,
)


@dataclass
class Api:
    secured: Secured
    stub: collectors_pb2_grpc.CollectorServiceStub
    reader: tuple[tuple[str, str]]
    runner: tuple[tuple[str, str]]


@pytest.fixture
def fixtures() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_all_sources(running)
        yield running


async def run_store(storage: Storage, request: pytest.FixtureRequest) -> tuple[
    CollectorRunRepository, CollectorLock
]:  # fmt: skip
    if storage.name == "memory":
        return MemoryCollectorRunRepository(), MemoryCollectorLock(SystemClock())
    engine: AsyncEngine = request.getfixturevalue("clean_postgres")
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE collector_runs"))
    return PostgresCollectorRunRepository(engine), PostgresCollectorLock(engine)


async def _api(
    storage: Storage,
    request: pytest.FixtureRequest,
    fixtures: FixtureServer,
    client: httpx.AsyncClient,
    secrets: dict[str, str],
) -> Api:
    clock = SystemClock()
    ledger = LedgerUseCases.build(storage.repositories, storage.fanout, clock)
    configs = {
        name: replace(config, options=fixture_options().get(name, {}))
        for name, config in local_configs(fixtures.base_url).items()
    }
    collectors = build_collectors(client, clock, StaticSecrets(secrets), ledger, configs)
    runs, lock = await run_store(storage, request)
    use_cases = CollectorUseCases.build(collectors, runs, lock, clock, max_page_size=50)
    secured = await serve_secured(
        storage.repositories,
        storage.fanout,
        MemoryApiKeyRepository(),
        extra_services=[collector_binding(use_cases)],
    )
    return Api(
        secured,
        collectors_pb2_grpc.CollectorServiceStub(secured.channel),
        bearer(await secured.key("ledger:read")),
        bearer(await secured.key("ledger:read", "collectors:run")),
    )


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client()
    yield client
    await client.aclose()


@pytest.fixture
async def api(
    storage: Storage,
    request: pytest.FixtureRequest,
    fixtures: FixtureServer,
    http_client: httpx.AsyncClient,
) -> AsyncIterator[Api]:
    served = await _api(
        storage, request, fixtures, http_client, {"cryptopanic_api_key": CRYPTOPANIC_TOKEN}
    )
    try:
        yield served
    finally:
        await served.secured.close()


async def test_list_collectors_before_any_run(api: Api) -> None:
    response = await api.stub.ListCollectors(pb.ListCollectorsRequest(), metadata=api.reader)

    assert [c.name for c in response.collectors] == list(COLLECTOR_NAMES)
    prices = response.collectors[0]
    assert (prices.ledger, prices.cadence.seconds, prices.enabled) == ("exchange", 10, True)
    assert {c.health for c in response.collectors} == {pb.COLLECTOR_HEALTH_NEVER_RUN}
    assert not prices.HasField("last_run")


async def test_run_collector_runs_now_and_shows_in_health_and_runs(api: Api) -> None:
    response = await api.stub.RunCollector(
        pb.RunCollectorRequest(name="coinspot_prices"), metadata=api.runner
    )

    run = response.run
    assert run.collector == "coinspot_prices"
    assert run.status == pb.COLLECTOR_RUN_STATUS_SUCCESS
    assert run.fetched > 0
    assert run.inserted == run.fetched
    assert run.finish_time.ToDatetime() >= run.start_time.ToDatetime()

    listed = await api.stub.ListCollectors(pb.ListCollectorsRequest(), metadata=api.reader)
    prices = next(c for c in listed.collectors if c.name == "coinspot_prices")
    assert prices.health == pb.COLLECTOR_HEALTH_HEALTHY
    assert prices.last_run == run


async def test_list_collector_runs_pages_newest_first_and_filters(api: Api) -> None:
    ran = []
    for name in ("coinspot_prices", "sec_filings", "coinspot_prices"):
        response = await api.stub.RunCollector(
            pb.RunCollectorRequest(name=name), metadata=api.runner
        )
        ran.append(response.run.run_id)

    seen: list[str] = []
    token = ""
    for _ in range(5):
        page = await api.stub.ListCollectorRuns(
            pb.ListCollectorRunsRequest(page_size=2, page_token=token), metadata=api.reader
        )
        seen.extend(run.run_id for run in page.runs)
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ran))

    only = await api.stub.ListCollectorRuns(
        pb.ListCollectorRunsRequest(collector="sec_filings"), metadata=api.reader
    )
    assert [run.run_id for run in only.runs] == [ran[1]]
    assert only.next_page_token == ""


async def test_bad_requests_are_invalid_argument_naming_the_field(api: Api) -> None:
    with pytest.raises(aio.AioRpcError) as unknown:
        await api.stub.RunCollector(pb.RunCollectorRequest(name="nope"), metadata=api.runner)
    assert unknown.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "name" in _violations(unknown.value)

    with pytest.raises(aio.AioRpcError) as negative:
        await api.stub.ListCollectorRuns(
            pb.ListCollectorRunsRequest(page_size=-1), metadata=api.reader
        )
    assert negative.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "page_size" in _violations(negative.value)

    first = await api.stub.ListCollectorRuns(pb.ListCollectorRunsRequest(), metadata=api.reader)
    assert first.next_page_token == ""
    with pytest.raises(aio.AioRpcError) as foreign:
        await api.stub.ListCollectorRuns(
            pb.ListCollectorRunsRequest(page_token="not-a-token"), metadata=api.reader
        )
    assert foreign.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_running_a_collector_needs_the_collectors_run_scope(
    api: Api, fixtures: FixtureServer
) -> None:
    with pytest.raises(aio.AioRpcError) as denied:
        await api.stub.RunCollector(
            pb.RunCollectorRequest(name="coinspot_prices"), metadata=api.reader
        )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert fixtures.hits("/pubapi/v2/latest") == 0

    with pytest.raises(aio.AioRpcError) as anonymous:
        await api.stub.ListCollectors(pb.ListCollectorsRequest())
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
async def test_without_the_key_cryptopanic_is_disabled_with_a_reason(
    storage: Storage,
    request: pytest.FixtureRequest,
    fixtures: FixtureServer,
    http_client: httpx.AsyncClient,
) -> None:
    api = await _api(storage, request, fixtures, http_client, {})
    try:
        listed = await api.stub.ListCollectors(pb.ListCollectorsRequest(), metadata=api.reader)
        news = next(c for c in listed.collectors if c.name == "cryptopanic_news")
        assert (news.enabled, news.health) == (False, pb.COLLECTOR_HEALTH_DISABLED)
        assert "no CryptoPanic API key" in news.disabled_reason

        run = (
            await api.stub.RunCollector(
                pb.RunCollectorRequest(name="cryptopanic_news"), metadata=api.runner
            )
        ).run
        assert run.status == pb.COLLECTOR_RUN_STATUS_SKIPPED
        assert fixtures.hits("/api/developer/v2/posts/") == 0
    finally:
        await api.secured.close()


async def test_a_failing_source_is_a_failed_run_without_the_token(
    api: Api, fixtures: FixtureServer
) -> None:
    fixtures.always(CRYPTOPANIC_PATH, server_error())

    run = (
        await api.stub.RunCollector(
            pb.RunCollectorRequest(name="cryptopanic_news"), metadata=api.runner
        )
    ).run

    assert run.status == pb.COLLECTOR_RUN_STATUS_FAILED
    assert "HTTP 500" in run.error
    assert CRYPTOPANIC_TOKEN not in run.error
