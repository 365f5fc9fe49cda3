"""Quality report over N price ticks (default 10,000,000 across 50 symbols) in Postgres:
the SQL aggregates (PostgresQualityStats) beside a naive version that loads every row
into Python and computes the same figures (omc.adapters.memory.quality.price_stats), in
the same run, with their results compared.

Two windows: the default 24 h (ticks arrive every 10 s per symbol, so the table holds
~23 days and the window ~8.6 % of it), and one covering every tick (the worst case: the
aggregates must read the whole table).

    .venv/bin/python -m bench.quality_report              # 10M ticks (minutes to load)
    .venv/bin/python -m bench.quality_report --ticks 200000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import text

from bench._support import TICK_SYMBOLS, bench_database, quiet_logs, seed_price_ticks
from omc.adapters.memory.quality import price_stats
from omc.adapters.postgres.engine import create_engine, libpq_url
from omc.adapters.postgres.quality import PostgresQualityStats
from omc.application.quality import MAX_WINDOW
from omc.bootstrap.settings import Settings
from omc.domain.exchange import PriceTick
from omc.domain.quality import QualityPolicy
from omc.domain.record import Ledger

SYMBOLS = 50
CADENCE_SECONDS = 10
END = datetime(2026, 1, 1, tzinfo=UTC)


def generate(url: str, ticks: int) -> None:
    assert len(TICK_SYMBOLS) == SYMBOLS
    # The same ticks the read bench pages through: run_all seeds them once for both.
    print(seed_price_ticks(url, ticks, cadence_seconds=CADENCE_SECONDS, end=END).line())


def naive(url: str, policy: QualityPolicy, window: timedelta) -> tuple[float, object]:
    """Every row to Python, then the in-memory definitions."""
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as connection:
        cursor = connection.cursor(name="all_ticks")
        cursor.itersize = 50_000
        cursor.execute(
            "SELECT symbol, last, observed_at, source, quote, bid, ask, volume_24h FROM price_ticks"
        )
        ticks = [PriceTick(*row) for row in cursor]
    stats = price_stats(ticks, policy.query(END, END, window))
    return time.perf_counter() - started, stats


@dataclass
class Timings:
    """Wall seconds per report of one window, and the CPU seconds each took in this
    process and in its Postgres backend (None where /proc cannot show it): on a shared
    box the wall time follows the load, the CPU time much less."""

    first: float = 0.0
    kept: list[float] = field(default_factory=list)
    written: list[float] = field(default_factory=list)
    cpu: dict[str, list[tuple[float, float | None]]] = field(default_factory=dict)


LATE_SOURCE = "bench-late"
KEEP_HOURS = Settings.model_fields["quality_keep_hours_per_cycle"].default


async def sql(
    url: str, policy: QualityPolicy, window: timedelta, runs: int
) -> tuple[Timings, object]:
    """Reports over one window: the first (no hour has a stored block: it computes and
    stores every one), `runs` with every block kept, and `runs` each after one new tick
    per series in the window's last complete hour (the monitor's steady case: that hour's
    blocks are stale and computed again)."""
    # One pooled connection, so every report runs on the backend whose CPU is read.
    engine = create_engine(url, pool_size=1)
    source = PostgresQualityStats(engine)
    timings = Timings()
    result = None
    try:
        async with engine.begin() as connection:
            backend = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await connection.execute(text("DELETE FROM price_hour_blocks"))

        async def report(kind: str) -> float:
            nonlocal result
            client, server = time.process_time(), _cpu_seconds(backend)
            started = time.perf_counter()
            result = await source.stats(policy.query(END, END, window), [Ledger.EXCHANGE])
            took = time.perf_counter() - started
            after = _cpu_seconds(backend)
            spent = None if server is None or after is None else after - server
            timings.cpu.setdefault(kind, []).append((time.process_time() - client, spent))
            return took

        timings.first = await report("first")
        for _ in range(runs):
            timings.kept.append(await report("kept"))
        for run in range(runs):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO price_ticks (symbol, quote, source, last, bid, ask,"
                        " observed_at) SELECT name, 'AUD', :source, 101, 100.95, 101.05, :at"
                        " FROM unnest(CAST(:names AS text[])) AS name"
                    ),
                    {
                        "source": LATE_SOURCE,
                        "at": END - timedelta(minutes=30, milliseconds=-run),
                        "names": list(TICK_SYMBOLS),
                    },
                )
            timings.written.append(await report("written"))
    finally:
        await engine.dispose()
    assert result is not None
    return timings, result.ledgers[0]


async def keeping(url: str, policy: QualityPolicy, hours: int) -> tuple[int, float]:
    """One monitor cycle's keep_hours from no stored block: hours worked out, seconds."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM price_hour_blocks"))
        started = time.perf_counter()
        kept = await PostgresQualityStats(engine).keep_hours(
            policy.query(END, END, MAX_WINDOW), hours
        )
        return kept, time.perf_counter() - started
    finally:
        await engine.dispose()


def forget_late_ticks(url: str) -> None:
    """The seeded set is shared with other benches: leave it as it was found."""
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("DELETE FROM price_ticks WHERE source = %s", (LATE_SOURCE,))


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_line(name: str, timings: Timings) -> str:
    parts = []
    for kind, cpu in timings.cpu.items():
        client = statistics.median(c for c, _ in cpu)
        servers = [s for _, s in cpu if s is not None]
        server = f"{statistics.median(servers):.2f} s" if len(servers) == len(cpu) else "n/a"
        parts.append(f"{kind} client {client:.2f} s, Postgres {server}")
    return f"  {name}: CPU per report (median): " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-naive", action="store_true", help="SQL side only")
    args = parser.parse_args()
    quiet_logs()
    span_hours = -(-args.ticks // SYMBOLS * CADENCE_SECONDS // 3600)
    windows = {
        "24 h window": timedelta(hours=24),
        f"{span_hours} h (every tick)": timedelta(hours=max(1, min(span_hours, 720))),
    }
    policy = QualityPolicy()
    with bench_database() as url:
        started = time.perf_counter()
        generate(url, args.ticks)
        took = time.perf_counter() - started
        print(f"generated {args.ticks:,} ticks ({SYMBOLS} symbols) in {took:.1f} s")
        print(
            f"{'window':<22} {'first':>8} {'kept':>8} {'written':>8} {'naive':>8}"
            f" {'ratio':>7}  equal"
        )
        cpu_lines = []
        try:
            for name, window in windows.items():
                timings, fast = asyncio.run(sql(url, policy, window, args.runs))
                cpu_lines.append(_cpu_line(name, timings))
                kept = statistics.median(timings.kept)
                written = statistics.median(timings.written)
                figures = f"{name:<22} {timings.first:>7.3f}s {kept:>7.3f}s {written:>7.3f}s"
                if args.skip_naive:
                    print(f"{figures} {'-':>8} {'-':>7}  -")
                    forget_late_ticks(url)
                    continue
                slow_seconds, slow = naive(url, policy, window)
                forget_late_ticks(url)
                print(
                    f"{figures} {slow_seconds:>7.2f}s {slow_seconds / written:>6.1f}x"
                    f"  {fast == slow}"
                )
        finally:
            forget_late_ticks(url)
        print(
            "first: no stored hour blocks (computes and stores every complete hour);"
            " kept: every block current, median;\n"
            "written: after one new tick per series in the last complete hour, median"
            " (its blocks computed again: the monitor's steady case); ratio: naive / written"
        )
        kept, seconds = asyncio.run(keeping(url, policy, KEEP_HOURS))
        print(
            f"monitor cycle: keep_hours worked out {kept} hours of {SYMBOLS} series in"
            f" {seconds:.3f} s (OMC_QUALITY_KEEP_HOURS_PER_CYCLE={KEEP_HOURS})"
        )
        print("\n".join(cpu_lines))
        print(
            "load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        )
        print("goal: <= 2 s for the report over 10,000,000 ticks (written, above)")


if __name__ == "__main__":
    main()
