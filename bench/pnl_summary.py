"""GetPnLSummary over stored fills, through gRPC on Postgres, beside a naive baseline.

    python bench/pnl_summary.py [--fills 100000] [--symbols 50] [--calls 20]

Postgres: OMC_BENCH_DATABASE_URL if set (its fills/price_ticks are truncated), else an
embedded pgserver in a temporary directory. Stores N fills of one user (50 symbols, fees
in the quote, the base and BNB, spread over 90 days up to now) and hourly prices per
symbol, then measures in the same run:

* read ahead: what `omc serve` does at start (`keep_recent`), and the first call after it;
* ours: GetPnLSummary (FIFO, default window = first fill .. now) through a real channel,
  the auth interceptor and a real API key; p50/p99 over --calls calls. Warm: the
  repository keeps the owner's prepared history in process (keyed by the owner's fill
  version, one row read per call); cold: each call the first after a one-fill write
  through another replica (the kept history reads only the fills written since: after
  the stored ones, or dated inside them and merged); a replica's first call: nothing
  kept in process, the snapshot another read kept in Postgres decoded and the fills
  written since merged in (ADR 0010); full read: nothing kept anywhere, every call reads
  all fills (the first call ever for a user, and what every first call did before);
* naive: the fills loaded row by row through the SQLAlchemy ORM (one mapped object per
  row, converted to a Fill) and replayed by the naive FIFO of bench/pnl_engine.py
  (Decimal lots, list.pop(0)); no marks, no metrics, so it does LESS work than ours.

Both must agree on the total realized PnL; the script checks it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import structlog
from grpc import aio
from pnl_engine import generate, naive_fifo
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import registry

from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.pnl_servicer import pnl_binding
from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.postgres import migrate, tables
from omc.adapters.postgres.embedded import EmbeddedPostgres
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.fills import (
    DEFAULT_CACHED_FILLS,
    SNAPSHOT_AFTER,
    PostgresFillRepository,
)
from omc.adapters.postgres.marks import PostgresMarkSource
from omc.adapters.postgres.repositories import postgres_repositories
from omc.adapters.secrets.environment import StaticSecrets
from omc.application.keys import PEPPER_SECRET, ApiKeys, Authenticator, KeyHasher
from omc.application.trading import TradingBooks
from omc.domain.exchange import PriceTick
from omc.domain.trading.fills import Fill, Side
from omc.v1 import pnl_pb2, pnl_pb2_grpc

OWNER = "bench"
SPAN = timedelta(days=90)


class FillRow:
    """The naive baseline's ORM object: one per stored fill."""


_mapper = registry()
_mapper.map_imperatively(FillRow, tables.fills)


def spread(fills: list[Fill], now: datetime) -> list[Fill]:
    """Same fills, same order, spread evenly over the 90 days before now."""
    first = now - SPAN - timedelta(hours=1)
    step = SPAN / max(1, len(fills))
    ordered = sorted(fills, key=lambda f: (f.executed_at, f.fill_id))
    return [
        replace(fill, owner=OWNER, executed_at=first + step * i).normalized()
        for i, fill in enumerate(ordered)
    ]


def hourly_ticks(fills: list[Fill], now: datetime) -> list[PriceTick]:
    last_price: dict[str, Decimal] = {}
    for fill in fills:
        last_price[fill.symbol] = fill.price
    start = (now - SPAN - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    hours = int(SPAN / timedelta(hours=1)) + 2
    return [
        PriceTick(symbol=symbol, last=price, observed_at=start + timedelta(hours=h), source="bench")
        for symbol, price in sorted(last_price.items())
        for h in range(hours)
    ]


async def load(url: str, fills: list[Fill], ticks: list[PriceTick]) -> None:
    engine = create_engine(url, pool_size=2)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE fills, fill_versions, fill_snapshots, price_ticks RESTART IDENTITY")
            )
        repo = PostgresFillRepository(engine)
        for i in range(0, len(fills), 10_000):
            await repo.add_many(OWNER, fills[i : i + 10_000])
        ledgers = postgres_repositories(engine)
        for i in range(0, len(ticks), 20_000):
            await ledgers.price_ticks.add_many(ticks[i : i + 20_000])
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE fills; ANALYZE price_ticks"))
    finally:
        await engine.dispose()


async def naive(url: str) -> tuple[float, Decimal]:
    """Row by row through the ORM, then the naive engine."""
    engine = create_engine(url, pool_size=1)
    try:
        began = time.perf_counter()
        fills: list[Fill] = []
        async with AsyncSession(engine) as session:
            rows = await session.stream_scalars(
                select(FillRow).where(tables.fills.c.owner == OWNER)
            )
            async for row in rows:
                fills.append(
                    Fill(
                        fill_id=row.fill_id,
                        owner=row.owner,
                        symbol=row.symbol,
                        side=Side(row.side),
                        quantity=row.quantity,
                        price=row.price,
                        executed_at=row.executed_at,
                        quote=row.quote,
                        fee=row.fee,
                        fee_currency=row.fee_currency,
                        fee_rate_to_quote=row.fee_rate_to_quote,
                        strategy_id=row.strategy_id,
                    ).normalized()
                )
        realized = naive_fifo(fills)
        seconds = time.perf_counter() - began
    finally:
        await engine.dispose()
    with localcontext() as ctx:
        ctx.prec = 120
        return seconds, sum(realized, Decimal(0))


KINDS = ("full read", "a replica's first call", "cold", "cold, fill dated inside", "warm")


async def ours(url: str, calls: int) -> tuple[dict[str, list[float]], pnl_pb2.PnLSummary]:
    """The seconds of each timed call, by kind, the kinds interleaved call by call (a
    drifting machine load then weighs on all of them alike). Two servers over one
    Postgres: one keeps histories (cold and warm calls), one keeps none in process but
    reads snapshots (a replica's first call), one keeps nothing anywhere (full read).
    A cold call follows a one-fill batch written through another replica (its own
    repository: the server learns of it only through Postgres), a buy after every
    stored fill or one dated in the middle of the history."""
    engine = create_engine(url, pool_size=6)
    keys = MemoryApiKeyRepository()
    hasher = KeyHasher(StaticSecrets({PEPPER_SECRET: "bench-pepper"}))
    key = (await ApiKeys(keys, hasher, SystemClock()).create("bench", ["trading:read"])).plaintext
    servers = []
    stubs = {}
    channels = []
    repositories = {}
    for label, cached, snapshots in (
        ("kept", DEFAULT_CACHED_FILLS, SNAPSHOT_AFTER),
        ("starting", 0, SNAPSHOT_AFTER),
        ("bare", 0, None),
    ):
        fills = repositories[label] = PostgresFillRepository(
            engine, cached_fills=cached, snapshot_after=snapshots
        )
        books = TradingBooks(fills, PostgresMarkSource(engine), SystemClock())
        server = GrpcServer(
            [pnl_binding(books)],
            interceptors=[AuthInterceptor(Authenticator(keys, hasher))],
            max_send_message_bytes=64 * 1024 * 1024,
        )
        port = await server.start("127.0.0.1:0")
        servers.append(server)
        channels.append(aio.insecure_channel(f"127.0.0.1:{port}"))
        stubs[label] = pnl_pb2_grpc.PnLServiceStub(channels[-1])
    metadata = (("authorization", f"Bearer {key}"),)
    request = pnl_pb2.GetPnLSummaryRequest(method=1)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    summary = None
    replica = PostgresFillRepository(engine)

    async def write(name: str, at: datetime) -> None:
        # Buys only (never an oversell); the naive baseline reads the final state
        # afterwards, so the realized totals must still agree.
        fill = Fill(name, OWNER, "C00", Side.BUY, Decimal(1), Decimal(100), at)
        await replica.add_many(OWNER, [fill.normalized()])

    async def timed(kind: str, stub: pnl_pb2_grpc.PnLServiceStub) -> pnl_pb2.PnLSummary:
        began = time.perf_counter()
        response = await stub.GetPnLSummary(request, metadata=metadata)
        times[kind].append(time.perf_counter() - began)
        return response.summary

    try:
        # What `omc serve` does at start (OMC_BOOKS_READ_AHEAD), then that replica's
        # first call: a kept history, one version row read.
        await stubs["bare"].GetPnLSummary(request, metadata=metadata)  # warm the pool
        began = time.perf_counter()
        users = await repositories["kept"].keep_recent()
        ahead = time.perf_counter() - began
        # Reading ahead read every fill, so it keeps the snapshot; in service that write
        # overlaps the calls that follow, here it is timed on its own first.
        began = time.perf_counter()
        await repositories["kept"].snapshots_written()
        print(
            f"  snapshot kept in Postgres in {time.perf_counter() - began:.3f} s after the "
            "read (off the call's path)",
            flush=True,
        )
        began = time.perf_counter()
        await stubs["kept"].GetPnLSummary(request, metadata=metadata)
        first = time.perf_counter() - began
        print(
            f"  read ahead at start: {users} user(s) in {ahead:.3f} s; "
            f"the first call after it {first:.3f} s",
            flush=True,
        )
        for call in range(calls):
            await timed("full read", stubs["bare"])
            await timed("a replica's first call", stubs["starting"])
            at = datetime.now(UTC) - timedelta(minutes=30) + timedelta(seconds=call)
            await write(f"after-{call:04d}", at)
            await timed("cold", stubs["kept"])
            await write(f"inside-{call:04d}", at - SPAN / 2)
            await timed("cold, fill dated inside", stubs["kept"])
            summary = await timed("warm", stubs["kept"])
    finally:
        for channel in channels:
            await channel.close()
        for server in servers:
            await server.stop(0)
        await engine.dispose()
    assert summary is not None
    return times, summary


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, url: str) -> None:
    now = datetime.now(UTC)
    print(f"generating {args.fills:,} fills over {args.symbols} symbols ...", flush=True)
    fills = spread(generate(args.fills, args.symbols, args.seed), now)
    ticks = hourly_ticks(fills, now)
    print(f"storing them and {len(ticks):,} hourly price ticks ...", flush=True)
    migrate.upgrade(url)
    await load(url, fills, ticks)

    print(f"measuring GetPnLSummary x {args.calls} through gRPC ...", flush=True)
    every, summary = await ours(url, args.calls)
    notes = {
        "full read": "nothing kept anywhere: every call reads all fills, as the first call "
        "ever for a user",
        "a replica's first call": "nothing kept in process: the snapshot and the fills "
        "written since",
        "cold": "each the first call after a write through another replica",
        "cold, fill dated inside": "the write is a buy 45 days back, merged into place",
        "warm": "no write since the last call",
    }
    p50s = {}
    for kind, times in every.items():
        p50s[kind] = statistics.median(times)
        print(
            f"  {kind}:  p50 {p50s[kind]:7.3f} s   p99 {percentile(times, 0.99):7.3f} s   "
            f"(min {min(times):.3f} s; {notes[kind]})"
        )
    p50, full_p50, cold_p50 = p50s["warm"], p50s["full read"], p50s["cold"]
    first_p50 = p50s["a replica's first call"]
    print(
        f"         realized {summary.realized_pnl[:24]}  closing {summary.closing_trades:,}  "
        f"sharpe {summary.sharpe_ratio[:8] or 'n/a'}  unmarked {list(summary.unmarked)}"
    )

    naive_runs = [await naive(url) for _ in range(args.naive_runs)]
    naive_seconds = statistics.median(seconds for seconds, _ in naive_runs)
    naive_total = naive_runs[0][1]
    print(f"  naive: {naive_seconds:7.3f} s per summary (ORM row by row + naive FIFO, no marks)")
    ours_total = Decimal(summary.realized_pnl)
    assert abs(ours_total - naive_total) < Decimal("1e-20"), (ours_total, naive_total)
    print(f"  totals agree: {ours_total}")
    print(
        f"ratio naive / ours p50: {naive_seconds / p50:6.2f}x warm, "
        f"{naive_seconds / cold_p50:6.2f}x cold, {naive_seconds / first_p50:6.2f}x a replica's "
        f"first call, {naive_seconds / full_p50:6.2f}x full read"
    )
    verdict = {True: "met", False: "NOT met"}
    print(
        f"goal p50 <= 0.5 s: warm {verdict[p50 <= 0.5]}, cold {verdict[cold_p50 <= 0.5]}, "
        f"a replica's first call {verdict[first_p50 <= 0.5]}, full read {verdict[full_p50 <= 0.5]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    url = os.environ.get("OMC_BENCH_DATABASE_URL")
    if url:
        asyncio.run(run(args, url))
        return
    with tempfile.TemporaryDirectory(prefix="omc-bench-") as directory:
        embedded = EmbeddedPostgres(Path(directory))
        try:
            asyncio.run(run(args, embedded.start()))
        finally:
            embedded.stop()


if __name__ == "__main__":
    main()
