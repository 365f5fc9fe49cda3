"""Fill snapshots (ADR 0010): a replica's first read of a history starts from the
prepared history another read kept in Postgres, reads only the fills written since, and
answers exactly as a full read would; a snapshot that is damaged, of another format or
of a wiped table is never served, and is written again."""

from __future__ import annotations

import marshal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.fills import SNAPSHOT_FORMAT, PostgresFillRepository
from omc.application.trading_ports import FillQuery
from omc.domain.trading.fills import Side
from omc.domain.trading.lots import PreparedFills, prepare
from tests.support.prepared import columns

from .test_fill_repository import make

pytestmark = pytest.mark.postgres

ALICE = FillQuery("alice")


@pytest.fixture
async def engine(clean_postgres: AsyncEngine) -> AsyncEngine:
    async with clean_postgres.begin() as connection:
        await connection.execute(
            text("TRUNCATE fills, fill_versions, fill_snapshots RESTART IDENTITY")
        )
    return clean_postgres


async def _snapshot(engine: AsyncEngine) -> dict[str, Any] | None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT format, fills, last_id, stamp, times, body FROM fill_snapshots")
            )
        ).one_or_none()
    return None if row is None else dict(row._mapping)


async def _read_and_keep(repository: PostgresFillRepository) -> PreparedFills:
    got = await repository.prepared(ALICE)
    await repository.snapshots_written()
    return got


async def _truth(engine: AsyncEngine) -> tuple[Any, ...]:
    """A full read of every fill, from records: what any read must answer."""
    fresh = PostgresFillRepository(engine, cached_fills=0, snapshot_after=None)
    return columns(prepare(await fresh.history(ALICE)))


async def test_a_snapshot_is_kept_once_a_history_has_gained_enough_fills(
    engine: AsyncEngine,
) -> None:
    writer = PostgresFillRepository(engine, snapshot_after=3)
    await writer.add_many("alice", [make("a", minutes=1), make("b", minutes=2)])
    await _read_and_keep(writer)
    assert await _snapshot(engine) is None  # 2 fills: below 3

    await writer.add_many("alice", [make("c", minutes=3)])
    await _read_and_keep(writer)
    kept = await _snapshot(engine)
    assert kept is not None
    assert (kept["format"], kept["fills"]) == (SNAPSHOT_FORMAT, 3)

    await writer.add_many("alice", [make("d", minutes=4), make("e", minutes=5)])
    await _read_and_keep(writer)
    assert (await _snapshot(engine) or {})["fills"] == 3  # 2 more: below 3 more

    await writer.add_many("alice", [make("f", minutes=6)])
    await _read_and_keep(writer)
    assert (await _snapshot(engine) or {})["fills"] == 6


async def test_a_replica_starts_from_the_snapshot_and_merges_what_came_after(
    engine: AsyncEngine,
) -> None:
    writer = PostgresFillRepository(engine, snapshot_after=1)
    await writer.add_many(
        "alice",
        [make(f"k{n}", minutes=10 * n, strategy_id="grid" if n % 2 else None) for n in range(6)],
    )
    await _read_and_keep(writer)
    # After the snapshot: later fills, one dated inside it, one of a new book.
    await writer.add_many(
        "alice",
        [
            make("late", minutes=100),
            make("inside", minutes=25, side=Side.SELL, quantity="0.5"),
            make("eth", minutes=35, symbol="ETH", fee="0.1", fee_currency="ETH"),
        ],
    )
    replica = PostgresFillRepository(engine, cached_fills=0, snapshot_after=None)
    assert columns(await replica.prepared(ALICE)) == await _truth(engine)

    starting = PostgresFillRepository(engine, cached_fills=0)
    got = await starting.prepared(ALICE)
    assert columns(got) == await _truth(engine)
    assert got.fill_ids == ["k0", "k1", "k2", "inside", "k3", "eth", "k4", "k5", "late"]


async def test_a_replica_serves_the_snapshot_it_reads(engine: AsyncEngine) -> None:
    """What shows that a replica read the snapshot rather than every fill: a snapshot
    changed behind its back (never done by the service) shows in its answer."""
    writer = PostgresFillRepository(engine, snapshot_after=1)
    await writer.add_many("alice", [make("a", minutes=1), make("b", minutes=2)])
    await _read_and_keep(writer)
    kept = await _snapshot(engine)
    assert kept is not None
    book_keys, rows, fees, volumes, fill_ids, _ = marshal.loads(kept["body"])
    altered = marshal.dumps((book_keys, rows, fees, volumes, fill_ids, ["marked", None]))
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE fill_snapshots SET body = :b"), {"b": altered})

    got = await PostgresFillRepository(engine, cached_fills=0).prepared(ALICE)
    assert got.strategies == ["marked", None]
    assert got.fill_ids == ["a", "b"]


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE fill_snapshots SET body = '\\x00ff'::bytea",
        "UPDATE fill_snapshots SET fills = fills + 1",
        "UPDATE fill_snapshots SET times = times[2:]",
        "UPDATE fill_snapshots SET format = 'marshal 0: another layout'",
    ],
    ids=["body not marshal", "count off", "times short", "another format"],
)
async def test_a_snapshot_that_cannot_be_read_whole_is_read_past_and_written_again(
    engine: AsyncEngine, damage: str
) -> None:
    writer = PostgresFillRepository(engine, snapshot_after=1)
    await writer.add_many("alice", [make(f"f{n}", minutes=n) for n in range(4)])
    await _read_and_keep(writer)
    async with engine.begin() as connection:
        await connection.execute(text(damage))

    starting = PostgresFillRepository(engine, cached_fills=0, snapshot_after=1)
    assert columns(await _read_and_keep(starting)) == await _truth(engine)
    kept = await _snapshot(engine)
    assert kept is not None
    assert (kept["format"], kept["fills"], len(kept["times"])) == (SNAPSHOT_FORMAT, 4, 4)
    assert len(marshal.loads(kept["body"])[1]) == 4  # rows
    assert columns(await PostgresFillRepository(engine).prepared(ALICE)) == await _truth(engine)


async def test_a_snapshot_of_a_wiped_table_is_never_served(engine: AsyncEngine) -> None:
    """Not a path of the service (fills are never deleted): after an operator's TRUNCATE
    and new fills with the very same ids, count and row ids, the snapshot of the old
    fills is read past and replaced."""
    writer = PostgresFillRepository(engine, snapshot_after=1)
    await writer.add_many("alice", [make("a", minutes=1), make("b", minutes=2)])
    await _read_and_keep(writer)
    before = await _snapshot(engine)
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE fills, fill_versions RESTART IDENTITY"))
    other = PostgresFillRepository(engine, snapshot_after=None)
    await other.add_many("alice", [make("a", minutes=3, price="7"), make("b", minutes=4)])

    starting = PostgresFillRepository(engine, cached_fills=0, snapshot_after=1)
    got = await _read_and_keep(starting)
    assert columns(got) == await _truth(engine)
    assert got.rows[0][3] == 7 * 10**36
    after = await _snapshot(engine)
    assert before is not None
    assert after is not None
    assert after["stamp"] != before["stamp"]


async def test_a_read_of_an_older_version_never_replaces_a_newer_snapshot(
    engine: AsyncEngine,
) -> None:
    """Two replicas' reads race and the one that read the older version writes last.
    Made by hand here (never done by the service): after the snapshot of 3 fills, the
    newest fill is deleted and the version set back, and a replica reads at it."""
    writer = PostgresFillRepository(engine, snapshot_after=1)
    await writer.add_many("alice", [make(name, minutes=n) for n, name in enumerate("abc")])
    await _read_and_keep(writer)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM fills WHERE fill_id = 'c'"))
        await connection.execute(text("UPDATE fill_versions SET version = version - 1"))

    slow = PostgresFillRepository(engine, cached_fills=0, snapshot_after=1)
    assert (await _read_and_keep(slow)).fill_ids == ["a", "b"]
    kept = await _snapshot(engine)
    assert kept is not None
    assert kept["fills"] == 3


async def test_no_snapshot_is_read_or_written_when_they_are_off(engine: AsyncEngine) -> None:
    writer = PostgresFillRepository(engine, snapshot_after=None)
    await writer.add_many("alice", [make(f"f{n}", minutes=n) for n in range(3)])
    await _read_and_keep(writer)
    assert await _snapshot(engine) is None

    await _read_and_keep(PostgresFillRepository(engine, snapshot_after=1))
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE fill_snapshots SET body = '\\x00'::bytea"))
    off = PostgresFillRepository(engine, cached_fills=0, snapshot_after=None)
    assert columns(await off.prepared(ALICE)) == await _truth(engine)
