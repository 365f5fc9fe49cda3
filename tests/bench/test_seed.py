"""The bench-only bulk seed of price_ticks: it leaves the migrated schema exactly as it
found it (indexes, constraints, identity), writes the rows it promises, is reused while
the table is untouched and rebuilt once anything changed it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from bench._support import TICK_CADENCE_SECONDS, TICK_SYMBOLS, TICKS_END, seed_price_ticks
from omc.adapters.postgres import migrate
from tests.support.postgres import drop_database, recreate_database, worker_id

pytestmark = pytest.mark.postgres

ROWS = 5_000

SCHEMA = """
    SELECT 'index', pg_get_indexdef(indexrelid)::text FROM pg_index
    WHERE indrelid = 'price_ticks'::regclass
    UNION ALL
    SELECT 'constraint ' || conname, pg_get_constraintdef(oid) || ' ' || condeferrable::text
    FROM pg_constraint WHERE conrelid = 'price_ticks'::regclass
    UNION ALL
    SELECT 'column ' || attname, format_type(atttypid, atttypmod) || ' '
        || attnotnull::text || ' ' || attidentity::text
    FROM pg_attribute WHERE attrelid = 'price_ticks'::regclass AND attnum > 0
    ORDER BY 1, 2
"""


@pytest.fixture
def url(postgres_server_url: str) -> Iterator[str]:
    name = f"omc_bench_seed_{worker_id()}"
    database = recreate_database(postgres_server_url, name)
    migrate.upgrade(database)
    yield database
    drop_database(postgres_server_url, name)


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql).fetchall()


def test_seed_keeps_the_migrated_schema_and_writes_every_tick(url: str) -> None:
    migrated = _query(url, SCHEMA)

    seeded = seed_price_ticks(url, ROWS)

    assert not seeded.reused
    assert _query(url, SCHEMA) == migrated
    [(count, symbols, first, last, ids)] = _query(
        url,
        "SELECT count(*), count(DISTINCT symbol), min(observed_at), max(observed_at),"
        " count(DISTINCT id) FROM price_ticks",
    )
    per_symbol = ROWS // len(TICK_SYMBOLS)
    assert (count, symbols, ids) == (ROWS, len(TICK_SYMBOLS), ROWS)
    assert last == TICKS_END - timedelta(seconds=TICK_CADENCE_SECONDS)
    assert first == TICKS_END - timedelta(seconds=TICK_CADENCE_SECONDS * per_symbol)
    # The identity continues after the generated ids: an ordinary insert still works.
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO price_ticks (symbol, quote, source, last, observed_at)"
            " VALUES ('NEW', 'AUD', 'test', 1, now())"
        )


def test_an_untouched_seed_is_reused_and_a_changed_table_is_seeded_again(url: str) -> None:
    seed_price_ticks(url, ROWS)

    assert seed_price_ticks(url, ROWS).reused
    assert not seed_price_ticks(url, ROWS * 2).reused  # another size is another set

    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO price_ticks (symbol, quote, source, last, observed_at)"
            " VALUES ('NEW', 'AUD', 'test', 1, now())"
        )
    again = seed_price_ticks(url, ROWS * 2)
    assert not again.reused
    assert _query(url, "SELECT count(*) FROM price_ticks") == [(ROWS * 2,)]

    with psycopg.connect(url) as connection:
        connection.execute("TRUNCATE price_ticks")
    assert not seed_price_ticks(url, ROWS * 2).reused


def test_the_seed_records_the_hour_versions_the_trigger_would(url: str) -> None:
    seed_price_ticks(url, ROWS)
    # Over the first set, every version moves on; and its span, 3,300 ticks of 10 s, is
    # more seconds than a smallint holds.
    seed_price_ticks(url, len(TICK_SYMBOLS) * 3_300)

    touched = _query(
        url,
        "SELECT date_bin('1 hour', observed_at, TIMESTAMPTZ '1970-01-01 00:00:00+00'),"
        " symbol, quote FROM price_ticks GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    versions = _query(
        url, "SELECT hour, symbol, quote, version FROM price_hour_versions ORDER BY 1, 2, 3"
    )
    assert [row[:3] for row in versions] == [tuple(row) for row in touched]
    assert max(row[3] for row in versions) > 1
    # The trigger is on again for everyone else's writes.
    [(enabled,)] = _query(
        url, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'price_ticks_inserted'"
    )
    assert enabled == "O"
