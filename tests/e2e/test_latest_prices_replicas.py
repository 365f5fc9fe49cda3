"""GetLatestPrices across two replicas on one Postgres, wired as `omc serve` wires them
(the composition root: listener, latest-price table, use cases), each behind its own
in-process grpc.aio server on port 0, called through real channels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.application.latest_prices import CachedPriceTickRepository, LatestPriceTable
from omc.bootstrap.containers import OmcContainer, build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc

pytestmark = pytest.mark.postgres

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
BOUNDED = 10.0  # seconds: a bound on waits across replicas, never a timing assertion


@dataclass
class Replica:
    container: OmcContainer
    server: GrpcServer
    channel: aio.Channel
    stub: ledger_pb2_grpc.LedgerServiceStub
    table: LatestPriceTable


async def start_replica(url: str) -> Replica:
    container = build_container(Settings(storage=StorageKind.POSTGRES), url)
    use_cases = await resolve(container.application.use_cases)
    repositories = await resolve(container.storage.ledger_repositories)
    assert isinstance(repositories.price_ticks, CachedPriceTickRepository)
    server = GrpcServer([ledger_binding(use_cases)])
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)  # type: ignore[no-untyped-call]
    return Replica(container, server, channel, stub, repositories.price_ticks.table)


@pytest.fixture
async def replicas(
    postgres_url: str, clean_postgres: AsyncEngine
) -> AsyncIterator[tuple[Replica, Replica]]:
    a = await start_replica(postgres_url)
    b = await start_replica(postgres_url)
    try:
        async with asyncio.timeout(BOUNDED):
            await a.table.wait_primed()
            await b.table.wait_primed()
        yield a, b
    finally:
        for replica in (a, b):
            await replica.channel.close()
            await replica.server.stop(1)
            await replica.container.shutdown_resources()  # type: ignore[misc]


def price(symbol: str, minute: int, last: str, source: str = "coinspot") -> pb.PriceTick:
    observed_at = Timestamp()
    observed_at.FromDatetime(BASE + timedelta(minutes=minute))
    return pb.PriceTick(
        symbol=symbol, quote="AUD", source=source, last=last, observed_at=observed_at
    )


async def latest(replica: Replica, *symbols: str) -> list[tuple[str, str, str]]:
    response = await replica.stub.GetLatestPrices(pb.GetLatestPricesRequest(symbols=symbols))
    return [(t.symbol, t.source, t.last) for t in response.ticks]


async def until_shown(replica: Replica, symbol: str, expected: list[tuple[str, str, str]]) -> None:
    async with asyncio.timeout(BOUNDED):
        while await latest(replica, symbol) != expected:  # noqa: ASYNC110 (polls over gRPC)
            await asyncio.sleep(0.02)


async def test_a_tick_ingested_on_a_is_read_on_a_at_once_and_on_b_soon(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    await a.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=[price("BTC", 1, "100.50")]))

    # Read-your-writes on the replica that ingested: no waiting.
    assert await latest(a, "BTC") == [("BTC", "coinspot", "100.50")]
    # Another replica learns it from LISTEN/NOTIFY, within a bounded wait.
    await until_shown(b, "BTC", [("BTC", "coinspot", "100.50")])
    # Both answered from their tables, not from the database fallback.
    assert a.table.serving
    assert b.table.serving


async def test_a_late_older_tick_from_another_replica_does_not_replace_the_newest(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    await a.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=[price("ETH", 10, "10")]))
    await b.stub.IngestPriceTicks(
        pb.IngestPriceTicksRequest(ticks=[price("ETH", 5, "5", source="kraken")])
    )
    # Announcements arrive in commit order: once this later one is on A, so is the older.
    await b.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=[price("SOL", 1, "1")]))
    await until_shown(a, "SOL", [("SOL", "coinspot", "1")])

    assert await latest(a, "ETH") == [("ETH", "coinspot", "10")]
    assert await latest(b, "ETH") == [("ETH", "coinspot", "10")]
    assert await latest(a, "ETH", "SOL") == await latest(b, "ETH", "SOL")
