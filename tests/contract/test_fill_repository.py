"""FillRepository over memory and Postgres: duplicates, conflicts, the history check,
per-owner serialization, filters, keyset pages in event order, exact decimals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.fills import MemoryFillRepository
from omc.adapters.memory.marks import MemoryMarkSource
from omc.adapters.postgres.fills import PostgresFillRepository
from omc.adapters.postgres.marks import PostgresMarkSource
from omc.application.ports import PageRequest
from omc.application.trading_ports import FillConflict, FillQuery, FillRepository, MarkSource
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import prepare
from tests.conftest import Storage

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


@dataclass(frozen=True)
class TradingStore:
    fills: FillRepository
    marks: MarkSource
    storage: Storage
    # Another process's repository over the same store (Postgres: a second replica
    # with its own in-process cache; memory has one process, so the same one).
    replica: FillRepository


async def trading_store(storage: Storage, request: pytest.FixtureRequest) -> TradingStore:
    """The trading adapters over the same storage as the ledgers (marks read its ticks)."""
    if storage.name == "memory":
        fills = MemoryFillRepository()
        marks = MemoryMarkSource(storage.repositories.price_ticks)
        return TradingStore(fills, marks, storage, fills)
    engine: AsyncEngine = request.getfixturevalue("clean_postgres")
    async with engine.begin() as connection:
        await connection.execute(
            text("TRUNCATE fills, fill_versions, fill_snapshots RESTART IDENTITY")
        )
    return TradingStore(
        # Whole histories of two fills or more are read in parts (as 25,000+ are in
        # service) and kept as snapshots (10,000+), so every contract case covers those
        # paths; the replica reads in one and keeps no snapshot.
        PostgresFillRepository(engine, part_fills=1, snapshot_after=1),
        PostgresMarkSource(engine),
        storage,
        PostgresFillRepository(engine, snapshot_after=None),
    )


@pytest.fixture
async def store(storage: Storage, request: pytest.FixtureRequest) -> TradingStore:
    return await trading_store(storage, request)


def make(
    fill_id: str,
    side: Side = Side.BUY,
    quantity: str = "1",
    price: str = "100",
    *,
    minutes: int = 0,
    owner: str = "alice",
    **changes: object,
) -> Fill:
    fill = Fill(
        fill_id=fill_id,
        owner=owner,
        symbol="BTC",
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        executed_at=T0 + timedelta(minutes=minutes),
    )
    return replace(fill, **changes).normalized()  # type: ignore[arg-type]


async def test_new_fills_insert_and_resent_ones_are_duplicates(store: TradingStore) -> None:
    repo = store.fills
    first = await repo.add_many("alice", [make("a"), make("b", minutes=1)])
    again = await repo.add_many(
        "alice", [make("a"), make("b", minutes=1, quantity="1.000"), make("c", minutes=2)]
    )

    assert (first.inserted, first.duplicate) == (2, 0)
    # "1.000" is the same quantity as "1": a re-send, not a change.
    assert (again.inserted, again.duplicate) == (1, 2)


async def test_a_used_id_with_other_content_fails_the_whole_batch(store: TradingStore) -> None:
    repo = store.fills
    await repo.add_many("alice", [make("a")])

    with pytest.raises(FillConflict) as raised:
        await repo.add_many("alice", [make("new"), make("a", price="101")])

    assert raised.value.fill_id == "a"
    stored = await repo.history(FillQuery("alice"))
    assert [(f.fill_id, f.price) for f in stored] == [("a", Decimal(100))]


async def test_the_same_id_in_two_owners_books_is_two_fills(store: TradingStore) -> None:
    repo = store.fills
    await repo.add_many("alice", [make("a")])
    result = await repo.add_many("bob", [make("a", owner="bob", price="7")])

    assert result.inserted == 1
    assert [f.price for f in await repo.history(FillQuery("bob"))] == [Decimal(7)]
    assert [f.price for f in await repo.history(FillQuery("alice"))] == [Decimal(100)]


async def test_the_check_sees_stored_fills_of_touched_books_and_can_abort(
    store: TradingStore,
) -> None:
    repo = store.fills
    await repo.add_many("alice", [make("a"), make("e", symbol="ETH")])
    await repo.add_many("bob", [make("b", owner="bob")])
    seen: list[list[str]] = []

    def refuse(history: list[Fill]) -> None:
        seen.append(sorted(f.fill_id for f in history))
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await repo.add_many("alice", [make("a"), make("s", Side.SELL, minutes=1)], refuse)

    # BTC books of alice only (not ETH, not bob), plus the new fill; the duplicate once.
    assert seen == [["a", "s"]]
    assert [f.fill_id for f in await repo.history(FillQuery("alice"))] == ["a", "e"]


async def test_batches_of_one_owner_are_serialized(store: TradingStore) -> None:
    """Two concurrent batches: the second's check must see the first's fills."""
    repo = store.fills
    seen: list[int] = []

    async def batch(name: str) -> None:
        def check(history: list[Fill]) -> None:
            seen.append(len(history))

        await repo.add_many("alice", [make(name, minutes=len(name))], check)

    await asyncio.gather(batch("x"), batch("yy"))

    assert sorted(seen) == [1, 2]


async def test_history_is_in_event_order_with_exact_values(store: TradingStore) -> None:
    repo = store.fills
    fills = [
        make("b", minutes=5),
        make("a", minutes=5),
        make(
            "z",
            Side.SELL,
            quantity="0.000000000000000001",
            price="123456789012.123456789",
            minutes=1,
            fee=Decimal("0.5"),
            fee_currency="BNB",
            fee_rate_to_quote=Decimal("912.35"),
            strategy_id="grid",
        ),
    ]
    await repo.add_many("alice", fills)

    got = await repo.history(FillQuery("alice"))

    assert [f.fill_id for f in got] == ["z", "a", "b"]
    assert got[0] == fills[2]
    assert str(got[0].quantity) == "1E-18"
    assert got[0].executed_at.tzinfo is not None
    assert got[0].side is Side.SELL


async def test_prepared_equals_prepare_of_history(store: TradingStore) -> None:
    """The PnL read path: scaled integers from the store equal the domain's own."""
    repo = store.fills
    fills = [
        make("b1", minutes=1, quantity="2.5", price="50000.10", fee=Decimal("1.25")),
        make("b2", minutes=2, quantity="1", price="0.000000000000000001", fee=Decimal("0.01"),
             fee_currency="BTC"),
        make("s1", Side.SELL, minutes=3, quantity="0.000000000000000001",
             price="123456789012.123456789", fee=Decimal("0.5"), fee_currency="BNB",
             fee_rate_to_quote=Decimal("912.35"), strategy_id="grid"),
        make("s2", Side.SELL, minutes=3, quantity="1.2", price="51000", fee=Decimal("0.001"),
             fee_currency="BTC"),
    ]  # fmt: skip
    await repo.add_many("alice", fills)
    await repo.add_many("bob", [make("x", minutes=1)])

    for query in (FillQuery("alice"), FillQuery("alice", strategy_id="grid"), FillQuery("nobody")):
        got = await repo.prepared(query)
        want = prepare(await repo.history(query))
        assert got.rows == want.rows
        assert (got.fees, got.volumes, got.book_keys) == (want.fees, want.volumes, want.book_keys)
        assert (got.times, got.fill_ids, got.strategies) == (
            want.times,
            want.fill_ids,
            want.strategies,
        )


async def test_first_fills_are_each_books_first_in_the_history(store: TradingStore) -> None:
    repo = store.fills
    await repo.add_many(
        "alice",
        [
            make("e2", minutes=9, symbol="ETH"),
            make("b1", minutes=4),
            make("b0", minutes=2, strategy_id="grid"),
            make("e1", minutes=5, symbol="ETH", quote="USDT"),
            make("s1", minutes=7, symbol="SOL"),
        ],
    )
    await repo.add_many("bob", [make("x", minutes=1)])
    queries = (
        FillQuery("alice"),
        FillQuery("alice", symbol="ETH"),
        FillQuery("alice", quote="AUD", end=T0 + timedelta(minutes=8)),
        FillQuery("alice", start=T0 + timedelta(minutes=3)),
        FillQuery("alice", strategy_id="grid"),
        FillQuery("nobody"),
    )
    for query in queries:
        firsts: dict[tuple[str, str], datetime] = {}
        for fill in await repo.history(query):
            firsts.setdefault((fill.symbol, fill.quote), fill.executed_at)
        assert await repo.first_fills(query) == firsts
    assert await repo.first_fills(FillQuery("alice")) == {
        ("BTC", "AUD"): T0 + timedelta(minutes=2),
        ("ETH", "AUD"): T0 + timedelta(minutes=9),
        ("ETH", "USDT"): T0 + timedelta(minutes=5),
        ("SOL", "AUD"): T0 + timedelta(minutes=7),
    }


async def _assert_prepared(repo: FillRepository, query: FillQuery) -> None:
    got = await repo.prepared(query)
    want = prepare(await repo.history(query))
    assert got.rows == want.rows
    assert (got.fees, got.volumes, got.book_keys) == (want.fees, want.volumes, want.book_keys)
    assert (got.times, got.fill_ids, got.strategies) == (want.times, want.fill_ids, want.strategies)


async def test_prepared_cuts_of_a_history_read_before(store: TradingStore) -> None:
    """A store may keep whole histories: every cut (end, symbol, quote) is still
    exactly the matching fills, books without a fill in the cut dropped."""
    repo = store.fills
    await repo.add_many(
        "alice",
        [
            make("a", minutes=1),
            make("b", minutes=2, symbol="ETH", fee=Decimal("0.1"), fee_currency="ETH"),
            make("c", minutes=3, quote="EUR"),
            make("d", Side.SELL, "0.5", minutes=4),
            make("e", minutes=5, symbol="SOL", strategy_id="grid"),
        ],
    )
    await repo.prepared(FillQuery("alice"))
    for query in (
        FillQuery("alice"),
        FillQuery("alice", end=T0 + timedelta(minutes=5)),
        FillQuery("alice", end=T0 + timedelta(minutes=2)),
        FillQuery("alice", end=T0 + timedelta(minutes=2, microseconds=1)),
        FillQuery("alice", end=T0),
        FillQuery("alice", symbol="BTC"),
        FillQuery("alice", quote="EUR"),
        FillQuery("alice", symbol="BTC", quote="USDT", end=T0 + timedelta(minutes=4)),
        FillQuery("alice", symbol="XRP"),
        FillQuery("alice", strategy_id="grid"),
        FillQuery("alice", start=T0 + timedelta(minutes=3)),
    ):
        await _assert_prepared(repo, query)


async def test_prepared_sees_every_later_batch_on_every_replica(store: TradingStore) -> None:
    """Histories kept in process never outlive a write, wherever the write happened."""
    await store.fills.add_many("alice", [make("a", minutes=1)])
    assert len(await store.fills.prepared(FillQuery("alice"))) == 1
    assert len(await store.replica.prepared(FillQuery("alice"))) == 1

    await store.replica.add_many("alice", [make("b", Side.SELL, "0.5", minutes=2)])
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a", "b"]
    await store.fills.add_many("alice", [make("c", minutes=3), make("a", minutes=1)])
    assert (await store.replica.prepared(FillQuery("alice"))).fill_ids == ["a", "b", "c"]
    await _assert_prepared(store.replica, FillQuery("alice"))

    # A batch of duplicates changes nothing and a failed batch writes nothing.
    with pytest.raises(FillConflict):
        await store.fills.add_many(
            "alice", [make("d", minutes=4), make("a", Side.BUY, "2", minutes=1)]
        )
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a", "b", "c"]


async def test_prepared_books_are_never_another_owners(store: TradingStore) -> None:
    await store.fills.add_many("alice", [make("a", minutes=1), make("b", minutes=2)])
    await store.fills.add_many("bob", [make("x", Side.BUY, "3", minutes=1, owner="bob")])
    for _ in range(2):  # cold, then whatever the store kept
        alice = await store.fills.prepared(FillQuery("alice"))
        bob = await store.fills.prepared(FillQuery("bob"))
        nobody = await store.fills.prepared(FillQuery("nobody"))
        assert alice.fill_ids == ["a", "b"]
        assert bob.fill_ids == ["x"]
        assert [row[2] for row in bob.rows] == [3 * 10**18]
        assert len(nobody) == 0
        assert nobody.book_keys == ()
    await store.fills.add_many("bob", [make("y", minutes=3, owner="bob")])
    assert (await store.fills.prepared(FillQuery("alice"))).fill_ids == ["a", "b"]
    assert (await store.fills.prepared(FillQuery("bob"))).fill_ids == ["x", "y"]


async def test_filters(store: TradingStore) -> None:
    repo = store.fills
    await repo.add_many(
        "alice",
        [
            make("a", minutes=0),
            make("b", minutes=1, symbol="ETH"),
            make("c", minutes=2, quote="USD"),
            make("d", minutes=3, strategy_id="grid"),
        ],
    )

    async def ids(**filters: object) -> list[str]:
        query = FillQuery("alice", **filters)  # type: ignore[arg-type]
        return [f.fill_id for f in await repo.history(query)]

    assert await ids(symbol="BTC") == ["a", "c", "d"]
    assert await ids(quote="USD") == ["c"]
    assert await ids(strategy_id="grid") == ["d"]
    assert await ids(strategy_id="") == ["a", "b", "c"]
    assert await ids(start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=3)) == ["b", "c"]
    assert await ids() == ["a", "b", "c", "d"]
    assert await ids(symbol="SOL") == []


@pytest.mark.parametrize("newest_first", [False, True])
async def test_keyset_pages_walk_event_order(store: TradingStore, newest_first: bool) -> None:
    repo = store.fills
    # Ties on time are ordered by fill id, code point order ("B" < "a").
    fills = [make(name, minutes=i // 2) for i, name in enumerate(["a", "B", "c", "d", "e"])]
    await repo.add_many("alice", fills)
    expected = [f.fill_id for f in await repo.history(FillQuery("alice"))]
    if newest_first:
        expected.reverse()

    walked: list[str] = []
    after = None
    while True:
        page = await repo.list(FillQuery("alice"), PageRequest(2, after, newest_first))
        walked += [f.fill_id for f in page.items]
        if page.next_after is None:
            break
        after = page.next_after

    assert walked == expected
    assert expected[:2] == (["B", "a"] if not newest_first else ["e", "d"])
