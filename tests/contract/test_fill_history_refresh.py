"""A kept history is brought up to date by reading only the fills written since, and
the answer is always the one a full read would give: later fills are appended, fills
dated inside the kept history merged into place, and a wiped table read again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.fills import PostgresFillRepository
from omc.application.trading_ports import FillQuery, FillRepository
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import prepare
from tests.conftest import Storage
from tests.support.prepared import columns

from .test_fill_repository import T0, TradingStore, make, trading_store

SYMBOLS = ("BTC", "ETH", "SOL")
NewReader = Callable[[], FillRepository]


@pytest.fixture
async def store(storage: Storage, request: pytest.FixtureRequest) -> TradingStore:
    return await trading_store(storage, request)


@pytest.fixture
def new_reader(store: TradingStore, request: pytest.FixtureRequest) -> NewReader:
    """A reader that has kept nothing yet (Postgres: a replica just started)."""
    if store.storage.name == "memory":
        return lambda: store.fills
    engine: AsyncEngine = request.getfixturevalue("clean_postgres")
    return lambda: PostgresFillRepository(engine)


async def _same_as_a_full_read(
    kept: FillRepository, fresh: FillRepository, query: FillQuery
) -> None:
    got = await kept.prepared(query)
    assert columns(got) == columns(await fresh.prepared(query))
    assert columns(got) == columns(prepare(await kept.history(query)))


@st.composite
def batches(draw: st.DrawFn) -> list[list[tuple[int, str, str, str]]]:
    """Batches of (minute, symbol, side, fee kind); a minute may fall before fills
    already written (an out-of-order write), most fall after them."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        size = draw(st.integers(1, 4))
        out.append(
            [
                (
                    draw(st.integers(0, 400)),
                    draw(st.sampled_from(SYMBOLS)),
                    draw(st.sampled_from(["buy", "sell"])),
                    draw(st.sampled_from(["none", "quote", "base", "third"])),
                )
                for _ in range(size)
            ]
        )
    return out


def _fill(owner: str, number: int, minute: int, symbol: str, side: str, fee: str) -> Fill:
    changes: dict[str, Any] = {"symbol": symbol, "strategy_id": "grid" if number % 3 else None}
    if fee == "quote":
        changes["fee"] = Decimal("0.25")
    elif fee == "base":
        changes.update(fee=Decimal("0.001"), fee_currency=symbol)
    elif fee == "third":
        changes.update(fee=Decimal("0.02"), fee_currency="BNB", fee_rate_to_quote=Decimal("612.5"))
    return make(
        f"f{number:03d}",
        Side(side),
        f"{number + 1}.5",
        f"{100 + number}.25",
        minutes=minute,
        owner=owner,
        **changes,
    )


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=batches(), minutes_first=st.booleans())
async def test_a_refreshed_history_equals_a_full_read(
    store: TradingStore,
    new_reader: NewReader,
    plan: list[list[tuple[int, str, str, str]]],
    minutes_first: bool,
) -> None:
    owner = f"o-{uuid.uuid4().hex[:12]}"  # examples share the tables, never an owner
    number = 0
    latest = 0
    for i, batch in enumerate(plan):
        fills = []
        for minute, symbol, side, fee in batch:
            # Mostly after the latest fill (appends); as drawn otherwise.
            at = minute if (minute % 4 == 0) != minutes_first else latest + 1 + minute
            latest = max(latest, at)
            fills.append(_fill(owner, number, at, symbol, side, fee))
            number += 1
        writer = store.fills if i % 2 else store.replica
        await writer.add_many(owner, fills)
        if isinstance(store.fills, PostgresFillRepository):
            # So the new reader starts from the snapshot of the kept reader's last read.
            await store.fills.snapshots_written()
        # The kept reader has read before (its history is now stale); a new one has not.
        fresh = new_reader()
        await _same_as_a_full_read(store.fills, fresh, FillQuery(owner))
        cut = FillQuery(owner, symbol="BTC", end=T0 + timedelta(minutes=latest // 2))
        await _same_as_a_full_read(store.fills, fresh, cut)


async def test_a_history_wiped_and_rewritten_is_read_again(
    store: TradingStore, request: pytest.FixtureRequest
) -> None:
    """Not a path of the service (fills are never deleted), but an operator's TRUNCATE
    must not leave a replica serving books of fills that no longer exist, even when the
    new fills get the very same ids and count."""
    await store.fills.add_many("alice", [make("a", minutes=1), make("b", minutes=2)])
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a", "b"]
    if store.storage.name == "postgres":
        engine: AsyncEngine = request.getfixturevalue("clean_postgres")
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE fills RESTART IDENTITY"))
    else:
        store.fills._fills.clear()  # type: ignore[attr-defined]
    await store.replica.add_many(
        "alice", [make("c", minutes=3, price="7"), make("d", minutes=4, price="8")]
    )
    got = await store.fills.prepared(FillQuery("alice"))
    assert got.fill_ids == ["c", "d"]
    assert [row[3] for row in got.rows] == [7 * 10**36, 8 * 10**36]


async def test_fills_dated_before_the_kept_ones_land_in_event_order(
    store: TradingStore,
) -> None:
    await store.fills.add_many("alice", [make("b", minutes=2), make("d", minutes=4)])
    await store.fills.prepared(FillQuery("alice"))
    await store.replica.add_many("alice", [make("e", minutes=5), make("a", minutes=1)])
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a", "b", "d", "e"]
    await store.replica.add_many("alice", [make("f", minutes=6, symbol="ETH")])
    got = await store.fills.prepared(FillQuery("alice"))
    assert got.fill_ids == ["a", "b", "d", "e", "f"]
    assert got.book_keys == (("BTC", "AUD"), ("ETH", "AUD"))
    # Same time as the last kept fill, a smaller id: it sorts before it.
    await store.replica.add_many("alice", [make("c", minutes=6, symbol="SOL")])
    got = await store.fills.prepared(FillQuery("alice"))
    assert got.fill_ids == ["a", "b", "d", "e", "c", "f"]
    assert got.book_keys == (("BTC", "AUD"), ("SOL", "AUD"), ("ETH", "AUD"))


async def test_prepared_reads_every_written_form_of_a_number(
    store: TradingStore, new_reader: NewReader
) -> None:
    """numeric keeps the scale a client sent: trailing zeros past 18 places, integers
    with exponents, the largest and smallest values a fill may hold."""
    fills = [
        make("a", quantity="1.500000000000000000000000", price="2E+3", minutes=1,
             fee=Decimal("0.10000000000000000000"), fee_currency="BNB",
             fee_rate_to_quote=Decimal("3.0000000000000000000000")),
        make("b", quantity="9999999999999999999999999999.999999999999999999",
             price="0.000000000000000001", minutes=2, fee=Decimal("0E-30")),
        make("c", Side.SELL, quantity="0.000000000000000001", price="1", minutes=3,
             fee=Decimal("1E-18"), fee_currency="BTC"),
        make("d", quantity="7", price="7.0", minutes=4, fee=Decimal("12.50"), quote="USDT"),
    ]  # fmt: skip
    await store.fills.add_many("alice", fills)
    for reader in (store.fills, new_reader()):
        got = await reader.prepared(FillQuery("alice"))
        assert columns(got) == columns(prepare(await reader.history(FillQuery("alice"))))


async def test_prepared_keeps_ids_and_strategies_whatever_characters_they_hold(
    store: TradingStore, new_reader: NewReader
) -> None:
    """Postgres sends a history as one value per column: ids and strategies holding
    the separators, quotes, braces, backslashes or NULL-looking text come back whole,
    and a missing strategy stays missing."""
    awkward = ["a,b", 'q"uote', "{x,y}", "back\\slash", "NULL", " ", "é,ü", "t", ""]
    fills = [
        make(f"id {text_},{n}", minutes=n, strategy_id=text_ or None)
        for n, text_ in enumerate(awkward)
    ]
    await store.fills.add_many("alice", fills)
    for reader in (store.fills, new_reader()):
        got = await reader.prepared(FillQuery("alice"))
        assert got.fill_ids == [fill.fill_id for fill in fills]
        assert got.strategies == [fill.strategy_id for fill in fills]
        assert columns(got) == columns(prepare(await reader.history(FillQuery("alice"))))


@pytest.mark.postgres
@pytest.mark.parametrize("pool_size", [1, 4], ids=["no room for a second connection", "room"])
async def test_a_history_read_in_parts_equals_a_single_read(
    clean_postgres: AsyncEngine, postgres_url: str, pool_size: int
) -> None:
    """Several fills share each time, so cuts fall inside runs of equal times (event
    order breaks the tie by fill id); consecutive parts must meet exactly there. One book
    trades only in the first part, one only in a middle one and one only in the last:
    every part's books are numbered as one read would number them. Parts of 41 fills
    and more: one read."""
    async with clean_postgres.begin() as connection:
        await connection.execute(
            text("TRUNCATE fills, fill_versions, fill_snapshots RESTART IDENTITY")
        )
    fills = [
        _fill("alice", number, number // 4, SYMBOLS[number % 3], "buy", "quote")
        for number in range(41)
    ]
    fills[1] = _fill("alice", 1, 0, "ADA", "buy", "base")
    fills[21] = _fill("alice", 21, 21 // 4, "DOT", "buy", "quote")
    fills[39] = _fill("alice", 39, 39 // 4, "XRP", "buy", "third")
    await PostgresFillRepository(clean_postgres).add_many("alice", fills[::-1])
    engine = create_engine(postgres_url, pool_size=pool_size)
    try:
        for part_fills in (1, 2, 3, 7, 20, 40, 41):
            split = PostgresFillRepository(engine, cached_fills=0, part_fills=part_fills)
            got = await split.prepared(FillQuery("alice"))
            assert columns(got) == columns(prepare(await split.history(FillQuery("alice"))))
            assert got.fill_ids == sorted(f.fill_id for f in fills)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_replica_reads_ahead_the_books_of_the_latest_writers_that_fit(
    clean_postgres: AsyncEngine,
) -> None:
    """Newest writers first, while their histories fit in the room left; reading ahead
    then stops, so it never pushes out a history it kept. What was read ahead is served
    as kept: fills deleted behind the versions' back (never done by the service) still
    show in those books, and only in those."""
    async with clean_postgres.begin() as connection:
        await connection.execute(
            text("TRUNCATE fills, fill_versions, fill_snapshots RESTART IDENTITY")
        )
    writer = PostgresFillRepository(clean_postgres)
    sizes = {"oldest": 1, "too-big": 4, "middle": 2, "newest": 3}
    for owner, size in sizes.items():  # written in this order: "newest" wrote last
        await writer.add_many(owner, [make(f"{owner}-{n}", minutes=n) for n in range(size)])
    reader = PostgresFillRepository(clean_postgres, cached_fills=6)

    assert await reader.keep_recent() == 2  # newest (3) + middle (2); too-big (4) > 1 left

    async with clean_postgres.begin() as connection:
        await connection.execute(text("DELETE FROM fills"))
    kept = {owner: len(await reader.prepared(FillQuery(owner))) for owner in sizes}
    assert kept == {"oldest": 0, "too-big": 0, "middle": 2, "newest": 3}


async def test_reading_ahead_is_nothing_to_a_store_that_keeps_nothing_apart(
    store: TradingStore,
) -> None:
    await store.fills.add_many("alice", [make("a", minutes=1)])
    kept = await store.fills.keep_recent()
    if store.storage.name == "memory":
        assert kept == 0
    else:
        assert kept == 1
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a"]
