"""Read path: GetLatestPrices requests/s and latency under 50 concurrent clients beside
an empty grpc.aio handler (the limit) and beside the same RPC answered by the database on
every call (the read path before the latest-price table, ADR 0005), and ListPriceTicks
paging deep into a large table (keyset: page 1,000 costs what page 1 costs). Load comes
from a separate process so the client does not share the server's event loop.

    python bench/ledger_reads.py [--seconds 5] [--clients 50] [--rows 10000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from grpc import aio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import Report, bench_database, quiet_logs, seed_price_ticks
from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import PostgresPriceTickListener
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.fanout import PriceTickFanout
from omc.application.latest_prices import CachedPriceTickRepository, LatestPriceTable
from omc.application.ledger import LedgerUseCases
from omc.application.ports import LedgerRepositories
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


async def measure_server(
    args: argparse.Namespace, repositories: LedgerRepositories, fanout: PriceTickFanout
) -> tuple[float, float, float]:
    use_cases = LedgerUseCases.build(repositories, fanout, SystemClock())
    server = GrpcServer([ledger_binding(use_cases)])
    port = await server.start("127.0.0.1:0")
    try:
        # The load runs in another process; waiting for it must not block our server's loop.
        return await asyncio.to_thread(measure, port, args.seconds, args.clients, SYMBOLS)
    finally:
        await server.stop(1)


def seed(url: str, rows: int) -> None:
    """`rows` ticks over len(SYMBOLS) symbols (the ticks the quality bench reads too)."""
    print(seed_price_ticks(url, rows, symbols=SYMBOLS).line(), flush=True)


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


async def measure_empty(args: argparse.Namespace) -> tuple[float, float, float]:
    empty, empty_port = await serve_empty()
    try:
        return await asyncio.to_thread(measure, empty_port, args.seconds, args.clients, SYMBOLS)
    finally:
        await empty.stop(0)


def median_run(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The run with the median requests/s (its own latencies with it)."""
    return sorted(runs)[len(runs) // 2]


async def run(args: argparse.Namespace, url: str, report: Report) -> None:
    engine = create_engine(url, pool_size=20)
    repositories = postgres_repositories(engine)
    fanout = PriceTickFanout()
    # As `omc serve` wires it: the table primed from the database, fed by LISTEN/NOTIFY.
    listener = PostgresPriceTickListener(url, fanout)
    await listener.start()
    table = LatestPriceTable(repositories.price_ticks, fanout, listener)
    await table.start()
    try:
        await asyncio.wait_for(table.wait_primed(), 120)
        served = dataclasses.replace(
            repositories, price_ticks=CachedPriceTickRepository(repositories.price_ticks, table)
        )
        db_rps, db_p50, db_p99 = await measure_server(args, repositories, fanout)
        # The limit and the figure alternate, so a burst of load from elsewhere on the
        # machine lands on both rather than on one of them.
        empty_runs, table_runs = [], []
        for _ in range(args.rounds):
            empty_runs.append(await measure_empty(args))
            table_runs.append(await measure_server(args, served, fanout))
        assert table.serving, "the table stopped answering during the run"
        empty_rps, empty_p50, empty_p99 = median_run(empty_runs)
        rps, p50, p99 = median_run(table_runs)
        server = GrpcServer([ledger_binding(LedgerUseCases.build(served, fanout, SystemClock()))])
        port = await server.start("127.0.0.1:0")
        try:
            async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = ledger_pb2_grpc.LedgerServiceStub(channel)
                first_ms, deep_ms = await deep_paging(stub, args.pages, 1_000)
        finally:
            await server.stop(1)
    finally:
        await table.stop()
        await listener.stop()
        await engine.dispose()

    def spread(runs: list[tuple[float, float, float]]) -> str:
        rates = [f"{rate:,.0f}" for rate in sorted(run[0] for run in runs)]
        return f"; median of {len(runs)} ({', '.join(rates)})" if len(runs) > 1 else ""

    report.add(
        "empty handler (limit)",
        empty_rps,
        "req/s",
        f"p50 {empty_p50:.2f} ms, p99 {empty_p99:.2f} ms{spread(empty_runs)}",
    )
    report.add(
        "GetLatestPrices",
        rps,
        "req/s",
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, {len(SYMBOLS)} symbols, {args.rows:,} rows"
        f"{spread(table_runs)}",
    )
    report.add(
        "GetLatestPrices, database every call",
        db_rps,
        "req/s",
        f"p50 {db_p50:.2f} ms, p99 {db_p99:.2f} ms: the read path without the table",
    )
    report.add("ListPriceTicks page 1", first_ms, "ms", "page_size 1,000")
    report.add(f"ListPriceTicks page {args.pages}", deep_ms, "ms", "keyset, same filter")
    report.ratios["GetLatestPrices / empty handler"] = rps / empty_rps
    report.goals["GetLatestPrices / empty handler"] = ">= 0.60"
    report.ratios["GetLatestPrices / database every call"] = rps / db_rps
    report.ratios[f"page {args.pages} / page 1 time"] = deep_ms / first_ms
    report.goals[f"page {args.pages} / page 1 time"] = "~1.0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, default=5, help="empty handler / GetLatestPrices runs, alternated"
    )
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
