"""Load: 200 concurrent clients of mixed RPCs against one `omc serve` for a bounded time.

Ingest batches, latest prices, keyset pages, RecordFills + GetPnLSummary, and a few
offline-model agent sessions. No call may end INTERNAL or UNKNOWN; the serve process's
RSS growth is bounded (and printed, with the request counts by status).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import psutil
import pytest
from grpc import aio

from omc.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    ledger_pb2,
    ledger_pb2_grpc,
    pnl_pb2,
    pnl_pb2_grpc,
    trading_pb2_grpc,
)
from tests.support.processes import bearer, create_key, omc_env, serving
from tests.support.traffic import FAULTS, Tally, fills_batch, price_batch

pytestmark = pytest.mark.postgres

CLIENTS = 200
AGENT_CLIENTS = 4
DURATION = 30.0  # seconds of load, as the issue asks
CHANNELS = 8
RPC_TIMEOUT = 30.0
RSS_GROWTH_BOUND = 300 * 1024 * 1024


async def _call(tally: Tally, rpc: str, call: object) -> None:
    try:
        await call  # type: ignore[misc]
    except aio.AioRpcError as error:
        tally.record(rpc, error.code(), error.details() or "")
    else:
        tally.record(rpc, grpc.StatusCode.OK)


async def _client(
    n: int, channel: aio.Channel, metadata: tuple[tuple[str, str]], tally: Tally, until: float
) -> None:
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    trading = trading_pb2_grpc.TradingServiceStub(channel)
    pnl = pnl_pb2_grpc.PnLServiceStub(channel)
    sequence = 0
    while time.monotonic() < until:
        sequence += 1
        kind = (n + sequence) % 5
        if kind == 0:
            await _call(tally, "IngestPriceTicks", ledger.IngestPriceTicks(
                price_batch(f"load-{n}-{sequence}", sequence), metadata=metadata,
                timeout=RPC_TIMEOUT))  # fmt: skip
        elif kind == 1:
            await _call(tally, "GetLatestPrices", ledger.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(symbols=["BTC", "ETH"], quote="AUD"),
                metadata=metadata, timeout=RPC_TIMEOUT))  # fmt: skip
        elif kind == 2:
            await _call(tally, "ListPriceTicks", ledger.ListPriceTicks(
                ledger_pb2.ListPriceTicksRequest(symbols=["SOL"], page_size=50),
                metadata=metadata, timeout=RPC_TIMEOUT))  # fmt: skip
        elif kind == 3:
            await _call(tally, "RecordFills", trading.RecordFills(
                fills_batch(f"load-{n}", sequence), metadata=metadata,
                timeout=RPC_TIMEOUT))  # fmt: skip
        else:
            await _call(tally, "GetPnLSummary", pnl.GetPnLSummary(
                pnl_pb2.GetPnLSummaryRequest(), metadata=metadata,
                timeout=RPC_TIMEOUT))  # fmt: skip


async def _agent_client(channel: aio.Channel, metadata: tuple[tuple[str, str]],
                        tally: Tally) -> None:  # fmt: skip
    """One offline Converse session to its end."""
    stub = agent_pb2_grpc.AgentServiceStub(channel)
    ask = agent_pb2.ConverseRequest(ask=agent_pb2.Ask(question="How is BTC doing this week?"))
    done = asyncio.Event()

    async def outgoing():  # type: ignore[no-untyped-def]
        yield ask
        await done.wait()

    call = stub.Converse(outgoing(), metadata=metadata, timeout=RPC_TIMEOUT * 2)
    try:
        async for response in call:
            if response.event.kind == agent_pb2.EVENT_KIND_SESSION_ENDED:
                break
        tally.record("Converse", grpc.StatusCode.OK)
    except aio.AioRpcError as error:
        tally.record("Converse", error.code(), error.details() or "")
    finally:
        done.set()
        call.cancel()


async def _run_load(address: str, key: str) -> Tally:
    tally = Tally()
    metadata = bearer(key)
    channels = [aio.insecure_channel(address) for _ in range(CHANNELS)]
    until = time.monotonic() + DURATION
    try:
        tasks = [
            _client(n, channels[n % CHANNELS], metadata, tally, until)
            for n in range(CLIENTS - AGENT_CLIENTS)
        ]
        tasks += [_agent_client(channels[n], metadata, tally) for n in range(AGENT_CLIENTS)]
        await asyncio.wait_for(asyncio.gather(*tasks), DURATION + 2 * RPC_TIMEOUT + 30)
    finally:
        for channel in channels:
            await channel.close()
    return tally


def test_200_concurrent_clients_get_no_internal_errors_and_rss_stays_bounded(
    database_url: str, home: Path
) -> None:
    env = omc_env(home, database_url, db_pool_size="10")
    with serving(env) as (served,):
        _id, key = create_key(env, "loader", "ledger:read,ledger:write,trading:read,"
                              "trading:write,agent")  # fmt: skip
        process = psutil.Process(served.pid)
        rss_before = process.memory_info().rss
        started = time.monotonic()
        tally = asyncio.run(_run_load(served.address, key))
        elapsed = time.monotonic() - started
        rss_after = process.memory_info().rss
        assert served.alive(), served.log()

    codes = tally.by_code()
    total = sum(codes.values())
    print(
        f"\nload: {CLIENTS} clients ({AGENT_CLIENTS} agent sessions), {elapsed:.1f}s, "
        f"{total} calls ({total / elapsed:.0f}/s): {dict(codes)}\n{tally.table()}\n"
        f"RSS of omc serve: {rss_before / 2**20:.0f} MiB before, {rss_after / 2**20:.0f} MiB "
        f"after (+{(rss_after - rss_before) / 2**20:.0f} MiB)"
    )
    assert not FAULTS & set(codes), (tally.table(), tally.details)
    assert codes["OK"] > 0
    assert rss_after - rss_before < RSS_GROWTH_BOUND
