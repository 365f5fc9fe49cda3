"""Ingest throughput: price ticks through gRPC IngestPriceTicks into Postgres, beside
raw COPY of the same rows (the physical limit) and one INSERT per row (the naive
baseline), all in one run against one database. COPY, IngestPriceTicks and per-row
batches alternate, so the ratios hold even while other processes load the machine.

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
        conn.execute("DROP TABLE IF EXISTS bench_copy_ticks, bench_row_ticks")
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


_PER_ROW_SQL = (
    f"INSERT INTO bench_row_ticks ({', '.join(COLUMNS)}) VALUES "
    "(%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def per_row_insert(conn: psycopg.Connection[Any], rows: list[tuple[object, ...]]) -> float:
    """The naive baseline: one INSERT ... ON CONFLICT round trip per tick, into a table
    shaped and indexed like price_ticks, one commit for the lot."""
    started = time.perf_counter()
    for row in rows:
        conn.execute(_PER_ROW_SQL, row)
    conn.commit()
    return time.perf_counter() - started


async def through_grpc(
    url: str,
    data: list[tuple[object, ...]],
    batch: int,
    *,
    canonical: bool = True,
    copy_beside: bool = False,
    rows_beside: int = 0,
) -> tuple[float, float, float, int]:
    """Seconds spent in IngestPriceTicks calls; with `copy_beside`, in COPYing the same
    batches into a twin table; with `rows_beside`, in inserting that many rows of each
    batch one by one into another twin (and how many). They alternate batch by batch, so
    a change in the machine's load (other processes) weighs on all of them alike."""
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
    # Synchronous, as a naive script would be.
    row_conn = psycopg.connect(libpq_url(url))
    try:
        for twin in ("bench_copy_ticks", "bench_row_ticks"):
            await conn.execute(f"DROP TABLE IF EXISTS {twin}")
            await conn.execute(f"CREATE TABLE {twin} (LIKE price_ticks INCLUDING ALL)")
        await conn.commit()
        async with aio.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
        ) as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            grpc_s = copy_s = row_s = 0.0
            inserted = row_count = 0
            for rows, request in zip(batches, requests, strict=True):
                if copy_beside:
                    copy_s += await copy_batch(conn, rows)
                if rows_beside:
                    # On the loop's own thread, blocking it: nothing else runs meanwhile
                    # (the server is idle between batches), and no thread hand-off.
                    row_s += per_row_insert(row_conn, rows[:rows_beside])
                    row_count += len(rows[:rows_beside])
                started = time.perf_counter()
                response = await stub.IngestPriceTicks(request)
                grpc_s += time.perf_counter() - started
                inserted += response.inserted
            if inserted != len(data):
                raise SystemExit(f"expected {len(data)} inserted, got {inserted}")
            return grpc_s, copy_s, row_s, row_count
    finally:
        row_conn.close()
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
        batches = -(-len(data) // args.batch)
        grpc_s, copy_s, naive_s, naive_count = asyncio.run(
            through_grpc(
                url,
                data,
                args.batch,
                copy_beside=True,
                rows_beside=max(1, args.baseline_ticks // batches),
            )
        )
        truncate(url)
        general_rows = data[: min(args.general_ticks, len(data))]
        general_s, *_ = asyncio.run(through_grpc(url, general_rows, args.batch, canonical=False))
        truncate(url)
    copy_rate = len(data) / copy_s
    grpc_rate = len(data) / grpc_s
    naive_rate = naive_count / naive_s
    general_rate = len(general_rows) / general_s
    report.add("raw COPY (limit)", copy_rate, "ticks/s", f"{len(data):,} ticks")
    report.add("IngestPriceTicks via gRPC", grpc_rate, "ticks/s", f"batches of {args.batch:,}")
    report.add(
        "IngestPriceTicks, general path",
        general_rate,
        "ticks/s",
        f"{len(general_rows):,} ticks, lower-case symbols",
    )
    report.add(
        "per-row INSERT (baseline)",
        naive_rate,
        "ticks/s",
        f"{naive_count:,} ticks, {naive_count // batches:,} after each batch",
    )
    report.ratios["gRPC / COPY"] = grpc_rate / copy_rate
    report.ratios["gRPC / per-row INSERT"] = grpc_rate / naive_rate
    report.ratios["gRPC general path / COPY"] = general_rate / copy_rate
    report.ratios["COPY / per-row INSERT"] = copy_rate / naive_rate
    report.goals["gRPC / COPY"] = ">= 0.50"
    report.goals["gRPC / per-row INSERT"] = ">= 20"
    report.print()
    report.write_json(args.json)


if __name__ == "__main__":
    main()
