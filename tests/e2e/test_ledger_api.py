"""End to end: an in-process grpc.aio server on port 0, called through a real channel,
over each storage of the shared `storage` fixture (memory and Postgres).

Every test names its own source (and symbols), so the suite also holds when storage is
shared rather than emptied per test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from structlog.testing import capture_logs

from omc.adapters.grpc.server import (
    LEDGER_SERVICE,
    GrpcServer,
    ledger_binding,
    serve_until_signal,
)
from omc.adapters.memory.clock import SystemClock
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.application.ports import Condition, LedgerRepositories, Page, PageRequest, RecordStats
from omc.domain.exchange import PriceTick
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc
from tests.conftest import Storage

BASE = datetime(2024, 5, 1, 12, tzinfo=UTC)
BOUNDED = 10.0  # seconds: generous bound for waits on the server, never a timing assertion


@dataclass
class Backend:
    repositories: LedgerRepositories
    fanout: PriceTickFanout


@dataclass
class Served:
    server: GrpcServer
    channel: aio.Channel
    stub: ledger_pb2_grpc.LedgerServiceStub
    fanout: PriceTickFanout


@pytest.fixture
def backend(storage: Storage) -> Backend:
    """The server's storage: every test runs over memory and over Postgres."""
    return Backend(storage.repositories, storage.fanout)


async def _subscribed(fanout: PriceTickFanout, more_than: int) -> None:
    """Waits until the server has subscribed a stream to the fan-out. The fan-out offers
    no event for that (nothing in production needs one), so this polls; callers bound it."""
    while fanout.subscriber_count <= more_than:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def _serve(backend: Backend) -> tuple[GrpcServer, aio.Channel]:
    use_cases = LedgerUseCases.build(backend.repositories, backend.fanout, SystemClock())
    server = GrpcServer([ledger_binding(use_cases)])
    port = await server.start("127.0.0.1:0")
    return server, aio.insecure_channel(f"127.0.0.1:{port}")


@pytest.fixture
async def served(backend: Backend) -> AsyncIterator[Served]:
    server, channel = await _serve(backend)
    try:
        yield Served(server, channel, ledger_pb2_grpc.LedgerServiceStub(channel), backend.fanout)
    finally:
        await channel.close()
        await server.stop(0)


@pytest.fixture
def source() -> str:
    return f"src-{uuid.uuid4().hex[:12]}"


def _symbol() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _tick(symbol: str, source: str, minutes: int, last: str, **extra: str) -> pb.PriceTick:
    return pb.PriceTick(
        symbol=symbol,
        quote="AUD",
        source=source,
        last=last,
        observed_at=_ts(BASE + timedelta(minutes=minutes)),
        **extra,
    )


def _violations(error: aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None, "INVALID_ARGUMENT must carry google.rpc.Status details"
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found


def _error_info(error: aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo in the status details")


# --- exchange ledger ---------------------------------------------------------------------


async def test_ingest_is_idempotent(served: Served, source: str) -> None:
    symbol = _symbol()
    ticks = [_tick(symbol, source, minute, f"{100 + minute}.5") for minute in range(3)]

    first = await served.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=ticks))
    second = await served.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=ticks))
    listed = await served.stub.ListPriceTicks(pb.ListPriceTicksRequest(source=source))

    assert (first.inserted, first.updated, first.duplicate) == (3, 0, 0)
    assert (second.inserted, second.updated, second.duplicate) == (0, 0, 3)
    assert list(listed.ticks) == ticks
    assert listed.next_page_token == ""


async def test_latest_prices_are_the_newest_tick_per_symbol_with_exact_decimals(
    served: Served, source: str
) -> None:
    btc, eth = _symbol(), _symbol()
    await served.stub.IngestPriceTicks(
        pb.IngestPriceTicksRequest(
            ticks=[
                _tick(btc, source, 0, "64000.00"),
                _tick(btc, source, 5, "64210.50", bid="64200.10", ask="64220.90"),
                _tick(eth, source, 3, "3100.000000000000000001"),
                _tick(eth, source, 1, "3000"),
            ]
        )
    )

    latest = await served.stub.GetLatestPrices(
        pb.GetLatestPricesRequest(symbols=[eth.lower(), btc], source=source)
    )

    by_symbol = {tick.symbol: tick for tick in latest.ticks}
    assert set(by_symbol) == {btc, eth}
    assert (by_symbol[btc].last, by_symbol[btc].bid, by_symbol[btc].ask) == (
        "64210.50",
        "64200.10",
        "64220.90",
    )
    assert by_symbol[btc].volume_24h == ""
    assert by_symbol[btc].observed_at == _ts(BASE + timedelta(minutes=5))
    assert by_symbol[eth].last == "3100.000000000000000001"


async def test_an_invalid_batch_is_rejected_whole_with_every_violation(
    served: Served, source: str
) -> None:
    symbol = _symbol()
    batch = [
        _tick(symbol, source, 0, "-1"),
        _tick("", source, 1, "10"),
        _tick(symbol, source, 2, "12.5", bid="one"),
        _tick(symbol, source, 3, "13"),
    ]

    with pytest.raises(aio.AioRpcError) as raised:
        await served.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=batch))

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = _violations(raised.value)
    assert set(violations) == {"ticks[0].last", "ticks[1].symbol", "ticks[2].bid"}
    assert violations["ticks[2].bid"] == "must be a finite decimal number"
    info = _error_info(raised.value)
    assert info.domain == "omc.dev"
    assert info.reason
    listed = await served.stub.ListPriceTicks(pb.ListPriceTicksRequest(source=source))
    assert list(listed.ticks) == []


async def test_paging_walks_every_tick_once_and_tokens_are_bound_to_the_filter(
    served: Served, source: str
) -> None:
    symbol = _symbol()
    ticks = [_tick(symbol, source, minute, f"{minute + 1}") for minute in range(5)]
    await served.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=ticks))

    pages: list[list[pb.PriceTick]] = []
    tokens: list[str] = []
    token = ""
    while True:
        page = await served.stub.ListPriceTicks(
            pb.ListPriceTicksRequest(source=source, page_size=2, page_token=token)
        )
        pages.append(list(page.ticks))
        tokens.append(page.next_page_token)
        token = page.next_page_token
        if not token:
            break

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [tick for page in pages for tick in page] == ticks
    assert all(tokens[:-1])
    assert tokens[-1] == ""

    with pytest.raises(aio.AioRpcError) as negative:
        await served.stub.ListPriceTicks(pb.ListPriceTicksRequest(source=source, page_size=-1))
    assert negative.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(negative.value)) == {"page_size"}

    with pytest.raises(aio.AioRpcError) as replayed:
        await served.stub.ListPriceTicks(
            pb.ListPriceTicksRequest(
                source=source, symbols=[symbol], page_size=2, page_token=tokens[0]
            )
        )
    assert replayed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(replayed.value)) == {"page_token"}


async def test_newest_first_reverses_the_order(served: Served, source: str) -> None:
    ticks = [_tick(_symbol(), source, minute, "1") for minute in range(3)]
    await served.stub.IngestPriceTicks(pb.IngestPriceTicksRequest(ticks=ticks))

    listed = await served.stub.ListPriceTicks(
        pb.ListPriceTicksRequest(source=source, newest_first=True)
    )

    assert list(listed.ticks) == ticks[::-1]


async def test_watch_prices_receives_ticks_ingested_after_subscribing(
    served: Served, source: str
) -> None:
    symbol, other = _symbol(), _symbol()
    subscribers_before = served.fanout.subscriber_count
    call = served.stub.WatchPrices(pb.WatchPricesRequest(symbols=[symbol]))
    async with asyncio.timeout(BOUNDED):
        await call.initial_metadata()
        await _subscribed(served.fanout, subscribers_before)
        wanted = _tick(symbol, source, 1, "42.10")
        await served.stub.IngestPriceTicks(
            pb.IngestPriceTicksRequest(ticks=[_tick(other, source, 0, "1"), wanted])
        )
        received = await call.read()
    call.cancel()

    assert received.tick == wanted


async def test_watch_prices_rejects_bad_symbols_before_streaming(served: Served) -> None:
    call = served.stub.WatchPrices(pb.WatchPricesRequest(symbols=["not a symbol!"]))

    with pytest.raises(aio.AioRpcError) as raised:
        await call.read()

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(raised.value)) == {"symbols[0]"}


# --- glass, human and catalyst ledgers ---------------------------------------------------


async def test_protocol_metrics_round_trip(served: Served, source: str) -> None:
    metric = pb.ProtocolMetric(
        protocol="aave",
        day="2024-05-01",
        observed_at=_ts(BASE),
        source=source,
        tvl_usd="12345678.90",
        revenue_24h="-12.5",
    )

    ingested = await served.stub.IngestProtocolMetrics(
        pb.IngestProtocolMetricsRequest(metrics=[metric])
    )
    listed = await served.stub.ListProtocolMetrics(
        pb.ListProtocolMetricsRequest(
            source=source, protocols=["AAVE"], start_day="2024-05-01", end_day="2024-05-02"
        )
    )

    assert ingested.inserted == 1
    assert list(listed.metrics) == [metric]


async def test_a_later_observation_of_a_protocol_day_updates_it(
    served: Served, source: str
) -> None:
    early = pb.ProtocolMetric(
        protocol="uniswap", day="2024-05-01", observed_at=_ts(BASE), source=source, tvl_usd="1"
    )
    late = pb.ProtocolMetric(
        protocol="uniswap",
        day="2024-05-01",
        observed_at=_ts(BASE + timedelta(hours=1)),
        source=source,
        tvl_usd="2",
    )

    await served.stub.IngestProtocolMetrics(pb.IngestProtocolMetricsRequest(metrics=[early]))
    second = await served.stub.IngestProtocolMetrics(
        pb.IngestProtocolMetricsRequest(metrics=[late])
    )
    listed = await served.stub.ListProtocolMetrics(pb.ListProtocolMetricsRequest(source=source))

    assert (second.inserted, second.updated, second.duplicate) == (0, 1, 0)
    assert list(listed.metrics) == [late]


async def test_onchain_metrics_round_trip(served: Served, source: str) -> None:
    metric = pb.OnChainMetric(
        asset="ETH", metric="mvrv", value="1.8500", observed_at=_ts(BASE), source=source
    )

    ingested = await served.stub.IngestOnChainMetrics(
        pb.IngestOnChainMetricsRequest(metrics=[metric])
    )
    listed = await served.stub.ListOnChainMetrics(
        pb.ListOnChainMetricsRequest(
            source=source,
            assets=["eth"],
            metrics=["mvrv"],
            start_time=_ts(BASE),
            end_time=_ts(BASE + timedelta(seconds=1)),
        )
    )

    assert ingested.inserted == 1
    assert list(listed.metrics) == [metric]


async def test_news_items_round_trip(served: Served, source: str) -> None:
    item = pb.NewsItem(
        source=source,
        external_id="n-1",
        title="ETF inflows hit a record",
        url=f"https://news.example.com/{source}/1",
        published_at=_ts(BASE),
        source_name="Example News",
        sentiment_label=pb.SENTIMENT_LABEL_BULLISH,
        sentiment_score="0.75",
        currencies=["BTC", "ETH"],
        votes_positive=12,
        panic_score="0",
    )

    ingested = await served.stub.IngestNewsItems(pb.IngestNewsItemsRequest(items=[item]))
    listed = await served.stub.ListNewsItems(pb.ListNewsItemsRequest(source=source, currency="eth"))

    assert ingested.inserted == 1
    assert list(listed.items) == [item]
    assert not listed.items[0].HasField("votes_negative")


async def test_social_posts_round_trip(served: Served, source: str) -> None:
    platform = source  # platforms are slugs too; a unique one isolates this test
    post = pb.SocialPost(
        platform=platform,
        external_id="p-1",
        title="Thoughts on SOL?",
        posted_at=_ts(BASE),
        community="CryptoCurrency",
        author="someone",
        body="Long post body",
        url="https://reddit.example.com/p-1",
        score=-3,
        comment_count=17,
        sentiment_label=pb.SENTIMENT_LABEL_NEUTRAL,
        sentiment_score="-0.10",
        currencies=["SOL"],
    )

    ingested = await served.stub.IngestSocialPosts(pb.IngestSocialPostsRequest(posts=[post]))
    listed = await served.stub.ListSocialPosts(
        pb.ListSocialPostsRequest(platform=platform, currency="SOL", community="CryptoCurrency")
    )

    assert ingested.inserted == 1
    assert list(listed.posts) == [post]


async def test_catalyst_events_round_trip(served: Served, source: str) -> None:
    event = pb.CatalystEvent(
        event_type="exchange_listing",
        title="XYZ lists on a major exchange",
        source=source,
        external_id="e-1",
        impact=7,
        occurred_at=_ts(BASE),
        detected_at=_ts(BASE + timedelta(minutes=2)),
        description="Trading opens at 10:00 UTC",
        url="https://exchange.example.com/listing",
        currencies=["XYZ"],
    )

    ingested = await served.stub.IngestCatalystEvents(
        pb.IngestCatalystEventsRequest(events=[event])
    )
    listed = await served.stub.ListCatalystEvents(
        pb.ListCatalystEventsRequest(
            source=source, currency="xyz", event_types=["exchange_listing"]
        )
    )

    assert ingested.inserted == 1
    assert list(listed.events) == [event]


async def test_ledger_stats_count_what_was_ingested(served: Served, source: str) -> None:
    def counts(response: pb.GetLedgerStatsResponse) -> dict[str, int]:
        return {stats.record_type: stats.count for stats in response.stats}

    before = await served.stub.GetLedgerStats(pb.GetLedgerStatsRequest())
    symbol = _symbol()
    await served.stub.IngestPriceTicks(
        pb.IngestPriceTicksRequest(ticks=[_tick(symbol, source, m, "1") for m in range(3)])
    )
    after = await served.stub.GetLedgerStats(pb.GetLedgerStatsRequest())

    assert set(counts(after)) == {
        "price_ticks",
        "protocol_metrics",
        "onchain_metrics",
        "news_items",
        "social_posts",
        "catalyst_events",
    }
    grown = {k: counts(after)[k] - counts(before).get(k, 0) for k in counts(after)}
    assert grown == {k: 3 if k == "price_ticks" else 0 for k in grown}
    [ticks] = [s for s in after.stats if s.record_type == "price_ticks"]
    assert ticks.HasField("earliest_time")
    assert ticks.HasField("latest_time")


# --- serving concerns ----------------------------------------------------------------------


async def test_health_is_serving_overall_and_per_service(served: Served) -> None:
    health = health_pb2_grpc.HealthStub(served.channel)

    overall = await health.Check(health_pb2.HealthCheckRequest(service=""))
    ledger = await health.Check(health_pb2.HealthCheckRequest(service=LEDGER_SERVICE))

    assert overall.status == health_pb2.HealthCheckResponse.SERVING
    assert ledger.status == health_pb2.HealthCheckResponse.SERVING
    assert LEDGER_SERVICE == "omc.v1.LedgerService"


async def test_reflection_lists_the_ledger_service(served: Served) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(served.channel)

    call = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    responses = [response async for response in call]

    names = {s.name for s in responses[0].list_services_response.service}
    assert {"omc.v1.LedgerService", "grpc.health.v1.Health"} <= names


async def test_request_id_is_echoed_or_generated_in_the_trailers(served: Served) -> None:
    given = served.stub.GetLedgerStats(
        pb.GetLedgerStatsRequest(), metadata=(("x-request-id", "client-id-42"),)
    )
    await given
    generated = served.stub.GetLedgerStats(pb.GetLedgerStatsRequest())
    await generated

    assert dict(await given.trailing_metadata())["x-request-id"] == "client-id-42"
    assert len(dict(await generated.trailing_metadata())["x-request-id"]) == 32
    # A unary call's initial metadata would cost a send of its own: it stays empty.
    assert "x-request-id" not in dict(await given.initial_metadata())


async def test_a_stream_sends_its_request_id_up_front_and_in_the_trailers(
    served: Served,
) -> None:
    call = served.stub.WatchPrices(
        pb.WatchPricesRequest(symbols=[_symbol()]), metadata=(("x-request-id", "watch-7"),)
    )
    async with asyncio.timeout(BOUNDED):
        assert dict(await call.initial_metadata())["x-request-id"] == "watch-7"
    call.cancel()
    refused = served.stub.WatchPrices(
        pb.WatchPricesRequest(symbols=["not a symbol!"]), metadata=(("x-request-id", "bad-8"),)
    )
    with pytest.raises(aio.AioRpcError) as raised:
        await refused.read()
    assert dict(raised.value.trailing_metadata())["x-request-id"] == "bad-8"


async def test_an_error_carries_its_request_id_beside_the_error_details(
    served: Served,
) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await served.stub.IngestPriceTicks(
            pb.IngestPriceTicksRequest(ticks=[_tick("BTC", "bench", 0, "-1")]),
            metadata=(("x-request-id", "err-9"),),
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(raised.value.trailing_metadata())["x-request-id"] == "err-9"
    assert set(_violations(raised.value)) == {"ticks[0].last"}


class ExplodingPriceTicks:
    """A price-tick repository whose storage fails in a way nobody planned for."""

    SECRET = "SELECT password FROM operators WHERE id = 1"

    async def add_many(self, records: Sequence[PriceTick]) -> None:
        raise RuntimeError(self.SECRET)

    async def list(self, conditions: Sequence[Condition], page: PageRequest) -> Page[PriceTick]:
        raise RuntimeError(self.SECRET)

    async def stats(self) -> RecordStats:
        raise RuntimeError(self.SECRET)

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> list[PriceTick]:
        raise RuntimeError(self.SECRET)


async def test_unexpected_errors_are_internal_and_leak_nothing(backend: Backend) -> None:
    broken = Backend(
        dataclasses.replace(backend.repositories, price_ticks=ExplodingPriceTicks()),
        backend.fanout,
    )
    server, channel = await _serve(broken)
    try:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        with capture_logs() as logs, pytest.raises(aio.AioRpcError) as raised:
            await stub.ListPriceTicks(
                pb.ListPriceTicksRequest(), metadata=(("x-request-id", "boom-1"),)
            )
    finally:
        await channel.close()
        await server.stop(0)

    error = raised.value
    assert error.code() is grpc.StatusCode.INTERNAL
    assert error.details() == "internal error (request id boom-1)"
    assert "SELECT" not in str(rpc_status.from_call(error))
    [line] = [log for log in logs if log.get("method", "").endswith("/ListPriceTicks")]
    assert line["request_id"] == "boom-1"
    assert line["grpc_code"] == "INTERNAL"
    assert line["log_level"] == "error"
    assert isinstance(line["exc_info"], RuntimeError)


async def test_one_log_line_per_rpc(served: Served) -> None:
    with capture_logs() as logs:
        await served.stub.GetLedgerStats(
            pb.GetLedgerStatsRequest(), metadata=(("x-request-id", "log-1"),)
        )

    [line] = [log for log in logs if log.get("request_id") == "log-1"]
    assert line["method"] == "/omc.v1.LedgerService/GetLedgerStats"
    assert line["grpc_code"] == "OK"
    assert line["peer"]
    assert line["duration_ms"] >= 0


async def test_graceful_stop_turns_health_not_serving_and_ends_watch_streams(
    backend: Backend,
) -> None:
    server, channel = await _serve(backend)
    try:
        health = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=LEDGER_SERVICE)
        )
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        watch = stub.WatchPrices(pb.WatchPricesRequest())
        async with asyncio.timeout(BOUNDED):
            first = await health.read()
            await _subscribed(backend.fanout, 0)
            stopping = asyncio.create_task(server.stop(grace=BOUNDED))
            second = await health.read()
            with pytest.raises(aio.AioRpcError) as ended:
                await watch.read()
            health.cancel()
            await stopping
    finally:
        await channel.close()
        await server.stop(0)

    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert ended.value.code() is grpc.StatusCode.UNAVAILABLE


class SwitchableProbe:
    """A readiness probe the test flips, standing in for a database ping."""

    def __init__(self, ready: bool) -> None:
        self.ready = ready

    async def __call__(self) -> bool:
        return self.ready


async def test_readiness_probes_drive_health(memory_storage: Storage) -> None:
    probe = SwitchableProbe(ready=False)
    use_cases = LedgerUseCases.build(
        memory_storage.repositories, memory_storage.fanout, SystemClock()
    )
    server = GrpcServer([ledger_binding(use_cases)], [probe], probe_interval=0.02)
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        async with asyncio.timeout(BOUNDED):
            before = await watch.read()
            probe.ready = True
            after = await watch.read()
        watch.cancel()
    finally:
        await channel.close()
        await server.stop(0)

    assert before.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert after.status == health_pb2.HealthCheckResponse.SERVING


async def test_serve_until_signal_stops_gracefully_then_runs_on_stop(
    memory_storage: Storage,
) -> None:
    use_cases = LedgerUseCases.build(
        memory_storage.repositories, memory_storage.fanout, SystemClock()
    )
    server = GrpcServer([ledger_binding(use_cases)])
    await server.start("127.0.0.1:0")
    stopped: list[str] = []

    async def on_stop() -> None:
        stopped.append("on_stop")

    serving = asyncio.create_task(
        serve_until_signal(server, on_stop, grace=1.0, signals=(signal.SIGUSR1,))
    )
    await asyncio.sleep(0)  # let it install its handler before the signal arrives
    os.kill(os.getpid(), signal.SIGUSR1)
    async with asyncio.timeout(BOUNDED):
        await serving
        await server.wait_for_termination()

    assert stopped == ["on_stop"]
