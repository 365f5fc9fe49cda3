"""Ingest throughput: price ticks through gRPC IngestPriceTicks into Postgres, beside
raw COPY of the same rows (the physical limit) and one INSERT per row (the naive
baseline), all in one run against one database. COPY and IngestPriceTicks batches
alternate, so the ratio holds even while other processes load the machine.

Feeds send canonical ticks (upper-case symbols, plain decimals), which take the
column-wise fast path; the same rows with lower-case symbols are valid too but take the
general path (a record and a rule check per tick), measured alongside.

    python bench/ingest_ticks.py [--ticks 200000] [--batch 10000] [--general-ticks 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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

SYMBOLS = [f"C{i:03d}" for i in range(200)]
START = datetime(2025, 1, 1, tzinfo=UTC)
COLUMNS = ("symbol", "quote", "source", "last", "bid", "ask", "volume_24h", "observed_at")


def rows(count: int) -> list[tuple[object, ...]]:
    out = []
    for i in range(count):
        price = Decimal(10_000 + i % 997) / 100
        out.append(
            (
                SYMBOLS[i % len(SYMBOLS)],
                "AUD",
                "bench",
                price,
                price - Decimal("0.01"),
                price + Decimal("0.01"),
                Decimal(1000 + i % 13),
                START + timedelta(seconds=i // len(SYMBOLS), microseconds=i % len(SYMBOLS)),
            )
        )
    return out


def to_proto(row: tuple[object, ...], *, canonical: bool = True) -> pb.PriceTick:
    tick = pb.PriceTick(
        symbol=str(row[0]) if canonical else str(row[0]).lower(),
        quote=str(row[1]),
        source=str(row[2]),
        last=str(row[3]),
        bid=str(row[4]),
        ask=str(row[5]),
        volume_24h=str(row[6]),
    )
    tick.observed_at.FromDatetime(row[7])  # type: ignore[arg-type]
    return tick


def truncate(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE price_ticks")
        conn.execute("DROP TABLE IF EXISTS bench_copy_ticks")
        conn.execute("VACUUM ANALYZE price_ticks")


async def copy_batch(conn: psycopg.AsyncConnection[Any], rows: list[tuple[object, ...]]) -> float:
    """The limit: COPY the rows into a table shaped and indexed like price_ticks."""
    started = time.perf_counter()
    async with (
        conn.cursor() as cur,
        cur.copy(f"COPY bench_copy_ticks ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            await copy.write_row(row)
    await conn.commit()
    return time.perf_counter() - started


def per_row_insert(url: str, data: list[tuple[object, ...]]) -> float:
    """The naive baseline: one INSERT ... ON CONFLICT round trip per tick."""
    sql = (
        f"INSERT INTO price_ticks ({', '.join(COLUMNS)}) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    with psycopg.connect(libpq_url(url)) as conn:
        started = time.perf_counter()
        for row in data:
            conn.execute(sql, row)
        conn.commit()
        return time.perf_counter() - started


async def through_grpc(
    url: str,
    data: list[tuple[object, ...]],
    batch: int,
    *,
    canonical: bool = True,
    copy_beside: bool = False,
) -> tuple[float, float]:
    """Seconds spent in IngestPriceTicks calls, and with `copy_beside` in COPYing the
    same batches into a twin table: the two alternate batch by batch, so a change in the
    machine's load (other processes) weighs on both alike."""
    engine = create_engine(url)
    fanout = PriceTickFanout()
    use_cases = LedgerUseCases.build(postgres_repositories(engine), fanout, SystemClock())
    server = GrpcServer(
        [ledger_binding(use_cases)],
        max_receive_message_bytes=64 * 1024 * 1024,
    )
    port = await server.start("127.0.0.1:0")
    batches = [data[i : i + batch] for i in range(0, len(data), batch)]
    requests = [
        pb.IngestPriceTicksRequest(ticks=[to_proto(r, canonical=canonical) for r in rows])
        for rows in batches
    ]
    conn = await psycopg.AsyncConnection.connect(libpq_url(url))
    try:
        await conn.execute("CREATE TABLE bench_copy_ticks (LIKE price_ticks INCLUDING ALL)")
        await conn.commit()
        async with aio.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
        ) as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            grpc_s = copy_s = 0.0
            inserted = 0
            for rows, request in zip(batches, requests, strict=True):
                if copy_beside:
                    copy_s += await copy_batch(conn, rows)
                started = time.perf_counter()
                response = await stub.IngestPriceTicks(request)
                grpc_s += time.perf_counter() - started
                inserted += response.inserted
            if inserted != len(data):
                raise SystemExit(f"expected {len(data)} inserted, got {inserted}")
            return grpc_s, copy_s
    finally:
        await conn.close()
        await server.stop(1)
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--baseline-ticks", type=int, default=20_000)
    parser.add_argument("--general-ticks", type=int, default=50_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    quiet_logs()
    data = rows(args.ticks)
    report = Report("Ingest: price ticks into Postgres")
    with bench_database() as url:
        truncate(url)
        grpc_s, copy_s = asyncio.run(through_grpc(url, data, args.batch, copy_beside=True))
        truncate(url)
        general_rows = data[: min(args.general_ticks, len(data))]
        general_s, _ = asyncio.run(through_grpc(url, general_rows, args.batch, canonical=False))
        truncate(url)
        baseline_rows = data[: min(args.baseline_ticks, len(data))]
        naive_s = per_row_insert(url, baseline_rows)
        truncate(url)
    copy_rate = len(data) / copy_s
    grpc_rate = len(data) / grpc_s
    naive_rate = len(baseline_rows) / naive_s
    general_rate = len(general_rows) / general_s
    report.add("raw COPY (limit)", copy_rate, "ticks/s", f"{len(data):,} ticks")
    report.add("IngestPriceTicks via gRPC", grpc_rate, "ticks/s", f"batches of {args.batch:,}")
    report.add(
        "IngestPriceTicks, general path",
        general_rate,
        "ticks/s",
        f"{len(general_rows):,} ticks, lower-case symbols",
    )
    report.add("per-row INSERT (baseline)", naive_rate, "ticks/s", f"{len(baseline_rows):,} ticks")
    report.ratios["gRPC / COPY"] = grpc_rate / copy_rate
    report.ratios["gRPC / per-row INSERT"] = grpc_rate / naive_rate
    report.ratios["gRPC general path / COPY"] = general_rate / copy_rate
    report.goals["gRPC / COPY"] = ">= 0.50"
    report.goals["gRPC / per-row INSERT"] = ">= 20"
    report.print()
    report.write_json(args.json)


if __name__ == "__main__":
    main()
