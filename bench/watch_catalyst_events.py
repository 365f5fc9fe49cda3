"""How soon a catalyst event stored on one replica reaches a watcher on another, beside
WatchPrices (the same NOTIFY path, the tick carried whole in the payload) and a bare
database round trip, all measured in this one run.

    .venv/bin/python bench/watch_catalyst_events.py [--events 200]

A catalyst notification carries only the event's key, so the watcher's replica fetches
the event: one indexed query more than a tick. Events carry a 40,000-character
description (the most allowed), far past NOTIFY's 8000-byte payload limit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import bench_database, quiet_logs
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import (
    CatalystEventFeed,
    PostgresPriceTickListener,
)
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.fanout import PriceTickFanout
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.rules import MAX_BODY

START = datetime(2026, 1, 1, tzinfo=UTC)


def event(index: int) -> CatalystEvent:
    at = START + timedelta(seconds=index)
    return CatalystEvent(
        event_type="exchange_listing",
        title=f"CoinSpot lists Bench {index} (B{index})",
        source="bench",
        external_id=f"listing-{index}",
        impact=7,
        occurred_at=at,
        detected_at=at,
        description=("x" * MAX_BODY),
        currencies=(f"B{index}",),
    )


def tick(index: int) -> PriceTick:
    return PriceTick(
        symbol="BENCH",
        quote="AUD",
        source="bench",
        last=Decimal(index + 1),
        observed_at=START + timedelta(seconds=index),
    )


def summary(name: str, samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(samples)})")
    return p50, p99


async def timed(count: int, one: Callable[[int], Awaitable[None]]) -> list[float]:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        await one(index)
        samples.append(time.perf_counter() - started)
    return samples


async def main(url: str, count: int) -> None:
    writer_engine = create_engine(url, pool_size=2)
    reader_engine = create_engine(url, pool_size=2)
    async with writer_engine.begin() as connection:
        await connection.execute(text("TRUNCATE price_ticks, catalyst_events"))
    writer = postgres_repositories(writer_engine)
    ticks, events = PriceTickFanout(), CatalystEventFanout()
    listener = PostgresPriceTickListener(
        url, ticks, catalyst_events=CatalystEventFeed(reader_engine, events)
    )
    await listener.start()
    try:
        async with (
            ticks.subscribe(frozenset(), None) as tick_stream,
            events.subscribe(frozenset({"exchange_listing"}), frozenset()) as event_stream,
        ):

            async def round_trip(_: int) -> None:
                async with writer_engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))

            async def one_tick(index: int) -> None:
                await writer.price_ticks.add_many([tick(index)])
                await anext(tick_stream)

            async def one_event(index: int) -> None:
                await writer.catalyst_events.add_many([event(index)])
                received = await anext(event_stream)
                assert len(received.description) == MAX_BODY

            await timed(20, round_trip)  # warm the pools
            bare = summary("database round trip (SELECT 1)", await timed(count, round_trip))
            watched_tick = summary(
                "WatchPrices: ingest -> other replica", await timed(count, one_tick)
            )
            watched_event = summary(
                "WatchCatalystEvents: ingest -> other replica", await timed(count, one_event)
            )

            async def store_event(index: int) -> None:
                await writer.catalyst_events.add_many([event(count + index)])

            # The ingest alone (its NOTIFYs drained after): what the watcher's side adds
            # is the rest.
            stored = summary("catalyst ingest alone (commit)", await timed(count, store_event))
            for _ in range(count):
                await anext(event_stream)
            print(
                f"catalyst / tick p50 ratio {watched_event[0] / watched_tick[0]:.2f}; "
                f"catalyst p50 = {watched_event[0] / bare[0]:.1f} database round trips, "
                f"{watched_event[0] - stored[0]:.2f} ms of it after the commit"
            )
    finally:
        await listener.stop()
        await writer_engine.dispose()
        await reader_engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    arguments = parser.parse_args()
    quiet_logs()
    with bench_database() as database_url:
        asyncio.run(main(database_url, arguments.events))
