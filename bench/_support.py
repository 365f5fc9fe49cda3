"""Shared bench plumbing: a Postgres to measure against, the price ticks the read and
quality benches share (seeded once per database), and result reporting."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from omc.adapters.postgres import migrate
from omc.adapters.postgres.embedded import EmbeddedPostgres
from omc.adapters.postgres.engine import libpq_url
from omc.bootstrap.logging import configure_logging


def quiet_logs() -> None:
    """Production logging (JSON) at warning level: the one line per RPC is an info line,
    and writing hundreds of thousands of them would measure the terminal."""
    configure_logging("warning", "json")


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """OMC_BENCH_DATABASE_URL if set (it must be a scratch database: tables are
    truncated), else an embedded Postgres in a temporary directory. Migrated."""
    url = os.environ.get("OMC_BENCH_DATABASE_URL")
    if url:
        migrate.upgrade(url)
        yield url
        return
    # Not under /tmp/pytest-of-*: pytest resets that tree's modes, which pgserver dislikes.
    directory = Path(tempfile.mkdtemp(prefix="omc-bench-pg-"))
    server = EmbeddedPostgres(directory)
    try:
        url = server.start()
        migrate.upgrade(url)
        yield url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# The price ticks of the read and quality benches: one series per symbol (quote AUD,
# source bench), a tick every 10 s up to END, in arrival (time) order. run_all gives both
# benches one database, so the 10,000,000 rows are written once per run.
TICK_SYMBOLS = tuple(f"C{i:03d}" for i in range(50))
TICK_CADENCE_SECONDS = 10
TICKS_END = datetime(2026, 1, 1, tzinfo=UTC)

_SEED_LOCK = 0x6F6D6339  # advisory lock key: one seeder per database at a time

_INDEXES = """
    SELECT i.relname, pg_get_indexdef(i.oid), c.conname, c.contype, c.condeferrable,
           c.condeferred
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    LEFT JOIN pg_constraint c
      ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u')
    WHERE x.indrelid = 'price_ticks'::regclass
    ORDER BY i.relname
"""

_GENERATE = """
    INSERT INTO price_ticks (id, symbol, quote, source, last, bid, ask, volume_24h,
                             observed_at)
    OVERRIDING SYSTEM VALUE
    SELECT (%(per_symbol)s - 1 - i) * %(symbols)s + s + 1, (%(names)s::text[])[s + 1], 'AUD',
           'bench', x.p, x.p - 0.05, x.p + 0.05, 1000,
           %(end)s - make_interval(secs => (i + 1) * %(cadence)s)
    FROM generate_series(%(per_symbol)s - 1, 0, -1) i,
         generate_series(0, %(symbols)s - 1) s,
         LATERAL (SELECT (101 + s + ((i * 7919) %% 97) / 100.0)::numeric AS p) x
"""

# What the trigger would record for _GENERATE's rows: every clock hour from the first
# tick's to the last one's, for every symbol.
_TOUCHED_HOURS = """
    INSERT INTO price_hour_versions AS v (hour, symbol, quote, version)
    SELECT hour, name, 'AUD', 1
    FROM generate_series(
        date_bin('1 hour', %(end)s - make_interval(secs => %(per_symbol)s::bigint * %(cadence)s),
                 TIMESTAMPTZ '1970-01-01 00:00:00+00'),
        %(end)s - make_interval(secs => %(cadence)s), INTERVAL '1 hour') AS hour,
        unnest(%(names)s::text[]) AS name
    WHERE %(per_symbol)s > 0
    ORDER BY 1, 2
    ON CONFLICT (hour, symbol, quote) DO UPDATE SET version = v.version + 1
"""


@dataclass
class Seeded:
    rows: int
    seconds: float
    reused: bool
    phases: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        if self.reused:
            return f"price ticks: {self.rows:,} reused (seeded earlier in this run)"
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
        return f"price ticks: seeded {self.rows:,} in {self.seconds:.1f} s ({parts})"


def seed_price_ticks(
    url: str,
    ticks: int,
    *,
    symbols: Sequence[str] = TICK_SYMBOLS,
    cadence_seconds: int = TICK_CADENCE_SECONDS,
    end: datetime = TICKS_END,
) -> Seeded:
    """Fills price_ticks with `ticks` generated rows (a multiple of len(symbols)), unless
    this database already holds exactly that set, untouched since (a marker table
    records the set, the table's file node and its highest id).

    Bench-only bulk path: in one transaction the table's indexes and the constraints
    they back are dropped, the rows generated inside Postgres, and every index rebuilt
    from its own definition, then checked identical to the migrated ones; so the reads
    timed afterwards run against the real schema, and a failure leaves it untouched.
    """
    per_symbol = ticks // len(symbols)
    rows = per_symbol * len(symbols)
    spec = f"{rows} {','.join(symbols)} {cadence_seconds}s {end.isoformat()}"
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_SEED_LOCK,))
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_seed (name text PRIMARY KEY, spec text NOT NULL,"
            " filenode oid NOT NULL, max_id bigint)"
        )
        if _seeded(connection) == spec:
            return Seeded(rows, 0.0, reused=True)
        started = time.perf_counter()
        phases: dict[str, float] = {}
        connection.execute("DELETE FROM bench_seed WHERE name = 'price_ticks'")
        with connection.transaction():
            connection.execute("SET LOCAL maintenance_work_mem = '1GB'")
            connection.execute("LOCK TABLE price_ticks IN ACCESS EXCLUSIVE MODE")
            indexes = connection.execute(_INDEXES).fetchall()
            for name, _definition, constraint, *_ in indexes:
                if constraint:
                    connection.execute(f"ALTER TABLE price_ticks DROP CONSTRAINT {constraint}")
                else:
                    connection.execute(f"DROP INDEX {name}")
            connection.execute("TRUNCATE price_ticks RESTART IDENTITY")
            began = time.perf_counter()
            # The hour-version trigger would spool all the generated rows once more to
            # learn which hours they touch; the generator knows (_TOUCHED_HOURS).
            connection.execute("ALTER TABLE price_ticks DISABLE TRIGGER price_ticks_inserted")
            shape = {"per_symbol": per_symbol, "symbols": len(symbols), "names": list(symbols),
                     "end": end, "cadence": cadence_seconds}  # fmt: skip
            connection.execute(_GENERATE, shape)
            connection.execute(_TOUCHED_HOURS, shape)
            connection.execute("ALTER TABLE price_ticks ENABLE TRIGGER price_ticks_inserted")
            connection.execute(
                "SELECT setval(pg_get_serial_sequence('price_ticks', 'id'), %s)", (max(rows, 1),)
            )
            phases["rows"], began = time.perf_counter() - began, time.perf_counter()
            for name, definition, constraint, kind, deferrable, deferred in indexes:
                connection.execute(definition)
                if constraint:
                    key = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                    timing = (" DEFERRABLE" if deferrable else "") + (
                        " INITIALLY DEFERRED" if deferred else ""
                    )
                    connection.execute(
                        f"ALTER TABLE price_ticks ADD CONSTRAINT {constraint}"
                        f" {key} USING INDEX {name}{timing}"
                    )
            rebuilt = connection.execute(_INDEXES).fetchall()
            if rebuilt != indexes:
                raise RuntimeError(f"price_ticks indexes differ after the load: {rebuilt}")
            phases["indexes"], began = time.perf_counter() - began, time.perf_counter()
        connection.execute("VACUUM ANALYZE price_ticks")
        phases["vacuum analyze"] = time.perf_counter() - began
        connection.execute(
            "INSERT INTO bench_seed SELECT 'price_ticks', %s,"
            " pg_relation_filenode('price_ticks'), (SELECT max(id) FROM price_ticks)",
            (spec,),
        )
        return Seeded(rows, time.perf_counter() - started, reused=False, phases=phases)


def _seeded(connection: psycopg.Connection[Any]) -> str | None:
    """The marker's spec if price_ticks is still the table it describes."""
    row = connection.execute(
        "SELECT spec FROM bench_seed WHERE name = 'price_ticks'"
        " AND filenode = pg_relation_filenode('price_ticks')"
        " AND max_id IS NOT DISTINCT FROM (SELECT max(id) FROM price_ticks)"
    ).fetchone()
    return str(row[0]) if row else None


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""


@dataclass
class Report:
    title: str
    figures: list[Figure] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    goals: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str, note: str = "") -> None:
        self.figures.append(Figure(name, value, unit, note))

    def print(self) -> None:
        print(f"\n{self.title}  ({platform.machine()}, {os.cpu_count()} cores)")
        width = max(len(f.name) for f in self.figures)
        for f in self.figures:
            print(f"  {f.name:<{width}}  {f.value:>14,.1f} {f.unit}  {f.note}")
        for name, ratio in self.ratios.items():
            goal = self.goals.get(name, "")
            print(f"  ratio {name}: {ratio:.2f}{'  (goal ' + goal + ')' if goal else ''}")

    def write_json(self, path: str | None) -> None:
        if path:
            Path(path).write_text(json.dumps(asdict(self), indent=2))


def as_dict(report: Report) -> dict[str, Any]:
    return asdict(report)
