"""One cycle of all six collectors against the local fixture server, concurrently.

Rate limits off and retries fast, so the numbers show the framework's own cost and that
the cycle runs the sources side by side: total wall time close to the slowest source,
not the sum of all six.

    .venv/bin/python bench/collectors_cycle.py [--cycles N] [--delay SECONDS]

`--delay` makes the fixture server answer every request that much later, standing in
for network latency, which is where concurrency pays off.

The fixture server runs in a child process and one HTTP client serves every cycle after
a warm-up cycle, as in `omc serve` (a fresh client per cycle added its TLS context and
first connections, ~45 ms, to every cycle). What remains with no delay (~60-70 ms on a
busy 2-core box) is CPU: about 15 requests through httpx and the stdlib server, and the
parsing, on one event loop; the sources run alone add up to ~40 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.collection import MemoryCollectorRunRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.secrets.environment import StaticSecrets
from omc.adapters.sources.catalog import build_collectors, local_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import Collector, RunCollector
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from tests.support.fixture_server import (
    CRYPTOPANIC_TOKEN,
    FixtureServer,
    Reply,
    fixture_options,
    serve_all_sources,
)


async def timed(run_collector: RunCollector, collector: Collector[Any]) -> tuple[str, float, Any]:
    started = time.perf_counter()
    run = await run_collector(collector)
    return collector.name, time.perf_counter() - started, run


async def cycle(
    base_url: str, client: httpx.AsyncClient
) -> tuple[float, list[tuple[str, float, Any]]]:
    clock = SystemClock()
    fanout = PriceTickFanout()
    use_cases = LedgerUseCases.build(memory_repositories(fanout), fanout, clock)
    configs = {
        name: replace(config, options=fixture_options().get(name, {}))
        for name, config in local_configs(base_url, timeout_seconds=10).items()
    }
    collectors = build_collectors(
        client, clock, StaticSecrets({"cryptopanic_api_key": CRYPTOPANIC_TOKEN}),
        use_cases, configs,
    )  # fmt: skip
    run_collector = RunCollector(MemoryCollectorRunRepository(), clock)
    started = time.perf_counter()
    results = await asyncio.gather(*(timed(run_collector, c) for c in collectors))
    return time.perf_counter() - started, list(results)


async def cycles(base_url: str, count: int) -> list[tuple[float, list[tuple[str, float, Any]]]]:
    async with build_http_client() as client:
        await cycle(base_url, client)  # warm-up: connections, imports, caches
        return [await cycle(base_url, client) for _ in range(count)]


def _serve(delay: float, connection: Connection, stop: Event) -> None:
    """The fixture server in its own process, so its threads do not share our GIL."""
    with FixtureServer() as server:
        serve_all_sources(server)
        for path in server.paths():
            server.always(path, Reply(delay=delay))
        connection.send(server.base_url)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    child = context.Process(target=_serve, args=(args.delay, sender, stop), daemon=True)
    child.start()
    try:
        base_url = receiver.recv()
        measured = asyncio.run(cycles(base_url, args.cycles))
    finally:
        stop.set()
        child.join(timeout=10)
    walls = [wall for wall, _results in measured]
    last = measured[-1][1]
    wall = sorted(walls)[len(walls) // 2]
    records = sum(run.fetched for _name, _seconds, run in last)
    slowest = max(last, key=lambda item: item[1])
    total = sum(seconds for _name, seconds, _run in last)
    delay_ms = args.delay * 1000
    print(f"collectors cycle, median of {args.cycles}, server delay {delay_ms:.0f} ms/request")
    for name, seconds, run in sorted(last, key=lambda item: -item[1]):
        print(f"  {name:24s} {seconds * 1000:8.1f} ms  {run.status:8s} fetched={run.fetched}")
    print(f"wall time            {wall * 1000:8.1f} ms")
    print(f"slowest source       {slowest[1] * 1000:8.1f} ms ({slowest[0]})  <- the limit")
    print(f"sum of sources       {total * 1000:8.1f} ms  <- sequential baseline")
    print(f"wall / slowest       {wall / slowest[1]:8.2f}x   wall / sum {wall / total:.2f}x")
    print(f"records/s            {records / wall:8.0f}   ({records} records per cycle)")


if __name__ == "__main__":
    main()
