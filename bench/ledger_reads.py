"""Read path: GetLatestPrices requests/s and latency under 50 concurrent clients beside
an empty grpc.aio handler (the limit), and ListPriceTicks paging deep into a large table
(keyset: page 1,000 costs what page 1 costs). Load comes from a separate process so the
client does not share the server's event loop.

    python bench/ledger_reads.py [--seconds 5] [--clients 50] [--rows 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from grpc import aio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import Report, bench_database, quiet_logs
from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.postgres.engine import create_engine, libpq_url
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc

SYMBOLS = [f"C{i:03d}" for i in range(50)]


class EmptyLedger(ledger_pb2_grpc.LedgerServiceServicer):
    """The limit: the same RPC answered with an empty message, no work, no interceptors."""

    async def GetLatestPrices(self, request: Any, context: Any) -> pb.GetLatestPricesResponse:
        return pb.GetLatestPricesResponse()


def _load(port: int, seconds: float, clients: int, symbols: list[str], out: Any) -> None:
    async def run() -> list[float]:
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        request = pb.GetLatestPricesRequest(symbols=symbols)
        # A few channels, as a pool of real clients would hold.
        channels = [aio.insecure_channel(f"127.0.0.1:{port}") for _ in range(5)]
        stubs = [ledger_pb2_grpc.LedgerServiceStub(c) for c in channels]

        async def client(index: int) -> None:
            stub = stubs[index % len(stubs)]
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await stub.GetLatestPrices(request)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client(i) for i in range(clients)))
        for channel in channels:
            await channel.close()
        return latencies

    out.put(asyncio.run(run()))


def measure(
    port: int, seconds: float, clients: int, symbols: list[str]
) -> tuple[float, float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_load, args=(port, seconds, clients, symbols, queue))
    worker.start()
    latencies: list[float] = queue.get(timeout=seconds + 120)
    worker.join(30)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return len(latencies) / seconds, p50, p99


async def serve_empty() -> tuple[aio.Server, int]:
    server = aio.server()
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(EmptyLedger(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


def seed(url: str, rows: int) -> None:
    """`rows` ticks over len(SYMBOLS) symbols, generated inside Postgres."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE price_ticks")
        conn.execute(
            """
            INSERT INTO price_ticks (symbol, quote, source, last, bid, ask, observed_at)
            SELECT 'C' || lpad((g %% %(symbols)s)::text, 3, '0'), 'AUD', 'bench',
                   100 + (g %% 997) / 100.0, 99.99 + (g %% 997) / 100.0,
                   100.01 + (g %% 997) / 100.0,
                   timestamptz '2020-01-01' + (g / %(symbols)s) * interval '1 second'
            FROM generate_series(0, %(rows)s - 1) AS g
            """,
            {"rows": rows, "symbols": len(SYMBOLS)},
        )
        conn.execute("VACUUM ANALYZE price_ticks")


async def deep_paging(stub: Any, pages: int, size: int) -> tuple[float, float]:
    """Time of the first page and of page `pages`, walking every token in between."""
    token = ""
    first = last = 0.0
    for number in range(1, pages + 1):
        started = time.perf_counter()
        response = await stub.ListPriceTicks(
            pb.ListPriceTicksRequest(page_size=size, page_token=token)
        )
        elapsed = time.perf_counter() - started
        if number == 1:
            first = elapsed
        last = elapsed
        token = response.next_page_token
        if not token:
            break
    return first * 1000, last * 1000


async def run(args: argparse.Namespace, url: str, report: Report) -> None:
    empty, empty_port = await serve_empty()
    empty_rps, empty_p50, empty_p99 = await asyncio.to_thread(
        measure, empty_port, args.seconds, args.clients, SYMBOLS
    )
    await empty.stop(0)

    engine = create_engine(url, pool_size=20)
    use_cases = LedgerUseCases.build(
        postgres_repositories(engine), PriceTickFanout(), SystemClock()
    )
    server = GrpcServer([ledger_binding(use_cases)])
    port = await server.start("127.0.0.1:0")
    try:
        # The load runs in another process; waiting for it must not block our server's loop.
        rps, p50, p99 = await asyncio.to_thread(measure, port, args.seconds, args.clients, SYMBOLS)
        async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            first_ms, deep_ms = await deep_paging(stub, args.pages, 1_000)
    finally:
        await server.stop(1)
        await engine.dispose()

    report.add(
        "empty handler (limit)",
        empty_rps,
        "req/s",
        f"p50 {empty_p50:.2f} ms, p99 {empty_p99:.2f} ms",
    )
    report.add(
        "GetLatestPrices",
        rps,
        "req/s",
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, {len(SYMBOLS)} symbols, {args.rows:,} rows",
    )
    report.add("ListPriceTicks page 1", first_ms, "ms", "page_size 1,000")
    report.add(f"ListPriceTicks page {args.pages}", deep_ms, "ms", "keyset, same filter")
    report.ratios["GetLatestPrices / empty handler"] = rps / empty_rps
    report.goals["GetLatestPrices / empty handler"] = ">= 0.60"
    report.ratios[f"page {args.pages} / page 1 time"] = deep_ms / first_ms
    report.goals[f"page {args.pages} / page 1 time"] = "~1.0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pages", type=int, default=1_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    quiet_logs()
    report = Report("Reads: GetLatestPrices and deep keyset paging")
    with bench_database() as url:
        seed(url, args.rows)
        asyncio.run(run(args, url, report))
    report.print()
    report.write_json(args.json)


if __name__ == "__main__":
    main()
