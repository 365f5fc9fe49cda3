"""WatchPrices delivery latency: from the moment a tick is sent to IngestPriceTicks until
each of 100 subscribers has it, through a real `omc serve` on Postgres (the insert's
NOTIFY, the server's LISTEN connection, the in-process fan-out, the gRPC stream).

The subscribers run in a child process (their own event loop and GIL). Every measured
tick carries its send time as observed_at (wall clock, same machine), so a subscriber's
latency is its receive time minus observed_at. Goal (issue 2): delivered within 100 ms.

    python bench/watch_latency.py [--subscribers 100] [--ticks 100] [--rate 10] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grpc import aio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._omc_serve import RssSampler, omc_serve
from bench._support import Report, bench_database
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc

SYMBOL = "WATCH"
CHANNELS = 10


def _subscribe(
    address: str, metadata: Any, subscribers: int, ticks: int, ready: Any, out: Any
) -> None:
    async def run() -> tuple[list[float], int]:
        latencies: list[float] = []
        started = 0
        channels = [aio.insecure_channel(address) for _ in range(CHANNELS)]

        async def subscriber(index: int) -> None:
            nonlocal started
            stub = ledger_pb2_grpc.LedgerServiceStub(channels[index % CHANNELS])
            call = stub.WatchPrices(pb.WatchPricesRequest(symbols=[SYMBOL]), metadata=metadata)
            got = 0
            first = True
            async for response in call:
                now = time.time()
                if first:
                    first = False
                    started += 1
                    if started == subscribers:
                        ready.set()
                if response.tick.source != "bench":
                    continue
                sent = response.tick.observed_at.seconds + response.tick.observed_at.nanos / 1e9
                latencies.append(now - sent)
                got += 1
                if got == ticks:
                    break
            call.cancel()

        tasks = [asyncio.create_task(subscriber(i)) for i in range(subscribers)]
        done = asyncio.gather(*tasks)
        # Bounded: a lost tick must end the bench with a count, not hang it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, timeout=120 + ticks)
        for channel in channels:
            await channel.close()
        return latencies, subscribers * ticks - len(latencies)

    out.put(asyncio.run(run()))


def _tick(source: str, index: int) -> pb.PriceTick:
    tick = pb.PriceTick(symbol=SYMBOL, quote="AUD", source=source, last=f"{100 + index % 50}.5")
    tick.observed_at.FromDatetime(datetime.now(UTC))
    return tick


async def ingest(
    address: str, metadata: Any, ticks: int, rate: float, ready: Any
) -> tuple[list[float], int]:
    """Warm-up ticks until every subscriber has one (so all streams are live), then the
    measured ticks at `rate` per second, one tick per IngestPriceTicks call."""
    ingest_times: list[float] = []
    async with aio.insecure_channel(address) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        warmups = 0
        deadline = time.monotonic() + 120
        while not ready.is_set():
            if time.monotonic() > deadline:
                raise SystemExit("subscribers did not all start within 120 s")
            await stub.IngestPriceTicks(
                pb.IngestPriceTicksRequest(ticks=[_tick("warmup", warmups)]), metadata=metadata
            )
            warmups += 1
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # let the warm-up deliveries drain
        interval = 1 / rate
        next_at = time.perf_counter()
        for index in range(ticks):
            next_at += interval
            began = time.perf_counter()
            await stub.IngestPriceTicks(
                pb.IngestPriceTicksRequest(ticks=[_tick("bench", index)]), metadata=metadata
            )
            ingest_times.append(time.perf_counter() - began)
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return ingest_times, warmups


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> Report:
    report = Report(f"WatchPrices: ingest -> {args.subscribers} subscribers via omc serve")
    context = multiprocessing.get_context("spawn")
    with bench_database() as url, omc_serve(url) as served, RssSampler(served.process.pid) as rss:
        ready = context.Event()
        out = context.Queue()
        child = context.Process(
            target=_subscribe,
            args=(served.address, served.metadata(), args.subscribers, args.ticks, ready, out),
        )
        child.start()
        try:
            ingest_times, warmups = asyncio.run(
                ingest(served.address, served.metadata(), args.ticks, args.rate, ready)
            )
            latencies, missing = out.get(timeout=180 + args.ticks)
        finally:
            child.join(30)
            if child.is_alive():
                child.kill()
    if not latencies:
        raise SystemExit("no tick was delivered")
    ms = [value * 1000 for value in latencies]
    p50, p99 = statistics.median(ms), percentile(ms, 0.99)
    report.add("delivery p50", p50, "ms", f"send -> subscriber, {len(ms):,} deliveries")
    report.add("delivery p99", p99, "ms", f"max {max(ms):.1f} ms")
    report.add(
        "IngestPriceTicks p50 (baseline)",
        statistics.median(ingest_times) * 1000,
        "ms",
        "send -> ack of the same one-tick batch: the floor under delivery",
    )
    report.add("deliveries missing", missing, "", f"of {args.subscribers * args.ticks:,}")
    report.add("omc serve peak RSS", rss.peak_mib, "MiB", f"{args.subscribers} open streams")
    report.ratios["delivery p99 / 100 ms"] = p99 / 100
    report.goals["delivery p99 / 100 ms"] = "<= 1.0"
    print(f"  ({warmups} warm-up ticks until all streams were live)")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--ticks", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="measured ticks per second")
    parser.add_argument("--json")
    args = parser.parse_args()
    report = run(args)
    report.print()
    report.write_json(args.json)


if __name__ == "__main__":
    main()
