"""WatchCatalystEvents end to end: an in-process grpc.aio server on port 0, called
through real channels; the coinspot_announcements collector fetching from the local
fixture server over TCP raises its new listing to watchers at once, over memory and
Postgres, and across two servers (replicas) sharing one Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.postgres.engine import create_engine
from omc.adapters.secrets.environment import StaticSecrets
from omc.adapters.sources.catalog import build_collectors, local_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import RunCollector
from omc.application.ledger import LedgerUseCases
from omc.domain.collection import CollectorRun, RunStatus
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc
from tests.e2e.test_ledger_api import _violations
from tests.support.catalyst import (  # noqa: F401 (fixtures used by name)
    CatalystStorage,
    catalyst,
    postgres_catalyst,
    postgres_catalyst_storage,
)
from tests.support.fixture_server import FixtureServer, fixture_options, serve_all_sources

BOUNDED = 10.0  # seconds: a bound on waits, never a timing assertion
QUIET = 0.3  # seconds without a message before "nothing was raised" is accepted
LISTING = "listing-36001-TIA"  # the one new listing in the recorded Zendesk articles


@dataclass
class Served:
    storage: CatalystStorage
    use_cases: LedgerUseCases
    server: GrpcServer
    channel: aio.Channel
    stub: ledger_pb2_grpc.LedgerServiceStub

    async def close(self) -> None:
        await self.channel.close()
        await self.server.stop(0)


async def serve(storage: CatalystStorage) -> Served:
    use_cases = LedgerUseCases.build(
        storage.repositories,
        storage.fanout,
        SystemClock(),
        catalyst_stream=storage.catalyst_fanout,
    )
    server = GrpcServer([ledger_binding(use_cases)])
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    return Served(storage, use_cases, server, channel, ledger_pb2_grpc.LedgerServiceStub(channel))


@pytest.fixture
async def served(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> AsyncIterator[Served]:
    running = await serve(catalyst)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
def fixtures() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_all_sources(running)
        yield running


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    client = build_http_client()
    yield client
    await client.aclose()


async def run_announcements(
    served: Served, fixtures: FixtureServer, client: httpx.AsyncClient
) -> CollectorRun:
    clock = SystemClock()
    configs = {
        name: replace(config, options=fixture_options().get(name, {}))
        for name, config in local_configs(fixtures.base_url).items()
    }
    collectors = build_collectors(client, clock, StaticSecrets({}), served.use_cases, configs)
    [collector] = [c for c in collectors if c.name == "coinspot_announcements"]
    run_collector = RunCollector(MemoryCollectorRunRepository(), clock, MemoryCollectorLock(clock))
    return await run_collector(collector)


async def subscribed(storage: CatalystStorage, more_than: int = 0) -> None:
    """Waits until the server has subscribed the stream to the fan-out (nothing in
    production needs an event for that, so this polls; callers bound it)."""
    while storage.catalyst_fanout.subscriber_count <= more_than:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def marker_event(external_id: str) -> pb.CatalystEvent:
    stamp = Timestamp()
    stamp.FromDatetime(datetime(2026, 3, 2, 9, tzinfo=UTC))
    return pb.CatalystEvent(
        event_type="exchange_listing",
        title="Marker listing",
        source="e2e-marker",
        external_id=external_id,
        impact=5,
        occurred_at=stamp,
        detected_at=stamp,
        currencies=["MRK"],
    )


async def test_a_collected_listing_is_raised_at_once_and_only_once(
    served: Served, fixtures: FixtureServer, http_client: httpx.AsyncClient
) -> None:
    call = served.stub.WatchCatalystEvents(
        pb.WatchCatalystEventsRequest(kinds=["exchange_listing"])
    )
    try:
        async with asyncio.timeout(BOUNDED):
            await subscribed(served.storage)
            first = await run_announcements(served, fixtures, http_client)
            raised = await call.read()
            second = await run_announcements(served, fixtures, http_client)
            # The second run found nothing new. Had it raised anything, that would come
            # before this marker, stored after it.
            await served.stub.IngestCatalystEvents(
                pb.IngestCatalystEventsRequest(events=[marker_event("after-second-run")])
            )
            following = await call.read()
    finally:
        call.cancel()

    assert (first.status, first.inserted) == (RunStatus.SUCCESS, 7)
    assert (second.status, second.inserted, second.duplicate) == (RunStatus.SUCCESS, 0, 7)
    event = raised.event
    assert (event.event_type, event.source, event.external_id) == (
        "exchange_listing",
        "coinspot",
        LISTING,
    )
    assert list(event.currencies) == ["TIA"]
    assert event.occurred_at.ToDatetime(tzinfo=UTC) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert following.event.external_id == "after-second-run"


async def test_watchers_of_a_symbol_get_every_kind_naming_it(
    served: Served, fixtures: FixtureServer, http_client: httpx.AsyncClient
) -> None:
    call = served.stub.WatchCatalystEvents(pb.WatchCatalystEventsRequest(symbols=["tia"]))
    try:
        async with asyncio.timeout(BOUNDED):
            await subscribed(served.storage)
            await run_announcements(served, fixtures, http_client)
            received = [(await call.read()).event for _ in range(2)]
    finally:
        call.cancel()

    assert sorted((e.event_type, e.external_id) for e in received) == [
        ("announcement_listing", "article-36001"),
        ("exchange_listing", LISTING),
    ]


async def test_bad_filters_are_rejected_before_streaming(served: Served) -> None:
    call = served.stub.WatchCatalystEvents(
        pb.WatchCatalystEventsRequest(kinds=["Not A Kind!"], symbols=["$$$"])
    )
    with pytest.raises(aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), BOUNDED)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(raised.value)) == {"kinds[0]", "symbols[0]"}


async def test_a_broken_feed_ends_the_stream_unavailable(served: Served) -> None:
    call = served.stub.WatchCatalystEvents(pb.WatchCatalystEventsRequest())
    async with asyncio.timeout(BOUNDED):
        await subscribed(served.storage)
        served.storage.catalyst_fanout.interrupt("the catalyst event feed lost its connection")
        with pytest.raises(aio.AioRpcError) as raised:
            await call.read()

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert "ListCatalystEvents" in (raised.value.details() or "")


async def test_a_stopping_server_ends_the_stream_unavailable(served: Served) -> None:
    call = served.stub.WatchCatalystEvents(pb.WatchCatalystEventsRequest())
    async with asyncio.timeout(BOUNDED):
        await subscribed(served.storage)
        stopping = asyncio.create_task(served.server.stop(grace=BOUNDED))
        with pytest.raises(aio.AioRpcError) as raised:
            await call.read()
        await stopping

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE


@pytest.mark.postgres
async def test_an_event_stored_through_one_replica_reaches_watchers_of_another(
    postgres_catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url, pool_size=2)
    a = await serve(postgres_catalyst)
    try:
        async with postgres_catalyst_storage(engine, postgres_url, name="replica-b") as storage:
            b = await serve(storage)
            try:
                on_a = a.stub.WatchCatalystEvents(
                    pb.WatchCatalystEventsRequest(kinds=["exchange_listing"])
                )
                on_b = b.stub.WatchCatalystEvents(
                    pb.WatchCatalystEventsRequest(kinds=["exchange_listing"], symbols=["MRK"])
                )
                async with asyncio.timeout(BOUNDED):
                    await subscribed(a.storage)
                    await subscribed(b.storage)
                    ingested = await a.stub.IngestCatalystEvents(
                        pb.IngestCatalystEventsRequest(events=[marker_event("listing-on-a")])
                    )
                    seen_on_b = await on_b.read()
                    seen_on_a = await on_a.read()
                on_a.cancel()
                on_b.cancel()
            finally:
                await b.close()
    finally:
        await a.close()
        await engine.dispose()

    assert ingested.inserted == 1
    assert seen_on_b.event == marker_event("listing-on-a")
    assert seen_on_a.event == seen_on_b.event
