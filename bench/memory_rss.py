"""Peak resident memory of a real `omc serve` (Postgres storage) through a mixed run:
ingest batches, latest-price and paging reads, WatchPrices subscribers, fills and PnL
summaries, quality reports and offline agent conversations, all at once, sampled with
psutil every 50 ms. The idle RSS after start-up is the baseline.

    python bench/memory_rss.py [--seconds 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from grpc import aio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._omc_serve import RssSampler, omc_serve
from bench._support import Report, bench_database
from omc.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    ledger_pb2_grpc,
    pnl_pb2,
    pnl_pb2_grpc,
    quality_pb2,
    quality_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)
from omc.v1 import ledger_pb2 as pb

SYMBOLS = [f"M{i:02d}" for i in range(20)]
START = datetime.now(UTC) - timedelta(days=2)


class Load:
    def __init__(self, channel: aio.Channel, metadata: Any, seconds: float) -> None:
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        self.trading = trading_pb2_grpc.TradingServiceStub(channel)
        self.pnl = pnl_pb2_grpc.PnLServiceStub(channel)
        self.quality = quality_pb2_grpc.QualityServiceStub(channel)
        self.agent = agent_pb2_grpc.AgentServiceStub(channel)
        self.metadata = metadata
        self.until = time.monotonic() + seconds
        self.calls: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()

    def running(self) -> bool:
        return time.monotonic() < self.until

    async def call(self, name: str, method: Any, request: Any) -> Any:
        try:
            response = await method(request, metadata=self.metadata, timeout=60)
        except grpc.RpcError as error:
            self.errors[f"{name} {error.code().name}"] += 1  # type: ignore[attr-defined]
            return None
        self.calls[name] += 1
        return response

    async def ingest(self) -> None:
        batch = 0
        while self.running():
            ticks = []
            for i in range(1_000):
                n = batch * 1_000 + i
                tick = pb.PriceTick(
                    symbol=SYMBOLS[n % len(SYMBOLS)], quote="AUD", source="rss",
                    last=f"{100 + n % 997 / 100:.2f}",
                )  # fmt: skip
                tick.observed_at.FromDatetime(START + timedelta(milliseconds=n))
                ticks.append(tick)
            await self.call(
                "IngestPriceTicks",
                self.ledger.IngestPriceTicks,
                pb.IngestPriceTicksRequest(ticks=ticks),
            )
            batch += 1

    async def reads(self) -> None:
        while self.running():
            await self.call(
                "GetLatestPrices",
                self.ledger.GetLatestPrices,
                pb.GetLatestPricesRequest(symbols=SYMBOLS),
            )
            await self.call(
                "ListPriceTicks",
                self.ledger.ListPriceTicks,
                pb.ListPriceTicksRequest(page_size=500),
            )

    async def watch(self) -> None:
        call = self.ledger.WatchPrices(
            pb.WatchPricesRequest(symbols=SYMBOLS[:5]), metadata=self.metadata
        )
        try:
            while self.running():
                await asyncio.wait_for(
                    call.read(), timeout=max(0.01, self.until - time.monotonic())
                )
                self.calls["WatchPrices message"] += 1
        except (TimeoutError, grpc.RpcError):
            pass
        finally:
            call.cancel()

    async def books(self, worker: int) -> None:
        round_ = 0
        while self.running():
            fills = []
            for i in range(100):
                at = START + timedelta(seconds=round_ * 200 + i * 2)
                for side, price in ((trading_pb2.SIDE_BUY, "100"), (trading_pb2.SIDE_SELL, "101")):
                    fill = trading_pb2.Fill(
                        fill_id=f"w{worker}-r{round_}-{i}-{side}", symbol=SYMBOLS[i % 5],
                        side=side, quantity="1", price=price, fee="0.1",
                    )  # fmt: skip
                    fill.executed_at.FromDatetime(at + timedelta(seconds=side - 1))
                    fills.append(fill)
            await self.call(
                "RecordFills", self.trading.RecordFills, trading_pb2.RecordFillsRequest(fills=fills)
            )
            await self.call(
                "GetPnLSummary", self.pnl.GetPnLSummary, pnl_pb2.GetPnLSummaryRequest(method=1)
            )
            round_ += 1

    async def reports(self) -> None:
        while self.running():
            await self.call(
                "GetQualityReport",
                self.quality.GetQualityReport,
                quality_pb2.GetQualityReportRequest(),
            )
            await asyncio.sleep(0.5)

    async def conversations(self) -> None:
        while self.running():
            done = asyncio.Event()

            async def requests(done: asyncio.Event = done) -> Any:
                yield agent_pb2.ConverseRequest(
                    ask=agent_pb2.Ask(question="What is going on with M01 this week?")
                )
                await done.wait()

            call = self.agent.Converse(requests(), metadata=self.metadata)
            try:
                async for response in call:
                    if response.event.kind == agent_pb2.EVENT_KIND_SESSION_ENDED:
                        self.calls["Converse"] += 1
                        break
            except grpc.RpcError as error:
                self.errors[f"Converse {error.code().name}"] += 1  # type: ignore[attr-defined]
            finally:
                done.set()
                call.cancel()


async def mixed(address: str, metadata: Any, seconds: float) -> Load:
    async with aio.insecure_channel(
        address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    ) as channel:
        load = Load(channel, metadata, seconds)
        await asyncio.gather(
            load.ingest(),
            *(load.reads() for _ in range(10)),
            *(load.watch() for _ in range(10)),
            *(load.books(worker) for worker in range(2)),
            load.reports(),
            *(load.conversations() for _ in range(2)),
        )
    return load


def run(args: argparse.Namespace) -> Report:
    report = Report("Memory: omc serve resident set through a mixed run")
    with bench_database() as url, omc_serve(url) as served:
        time.sleep(1.0)  # settle after start-up
        with RssSampler(served.process.pid) as rss:
            idle = rss.now_mib()
            load = asyncio.run(mixed(served.address, served.metadata(), args.seconds))
            end = rss.now_mib()
    calls = sum(load.calls.values())
    report.add("idle after start (baseline)", idle, "MiB")
    report.add("peak during the mixed run", rss.peak_mib, "MiB", f"{args.seconds:.0f} s")
    report.add("at the end of the run", end, "MiB")
    report.add("RPCs and stream messages", calls, "", dict_note(load.calls))
    report.add("RPC errors", sum(load.errors.values()), "", dict_note(load.errors))
    report.ratios["peak / idle RSS"] = rss.peak_mib / idle
    report.goals["peak / idle RSS"] = "bounded (reported)"
    return report


def dict_note(counts: collections.Counter[str]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    report = run(args)
    report.print()
    report.write_json(args.json)


if __name__ == "__main__":
    main()
