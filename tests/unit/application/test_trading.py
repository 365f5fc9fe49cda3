"""Trading use cases over the in-memory adapters: whose books, batch rules, PnL requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.fills import MemoryFillRepository
from omc.adapters.memory.marks import MemoryMarkSource
from omc.adapters.memory.repositories import MemoryPriceTickRepository
from omc.application.errors import InvalidArgument
from omc.application.keys import PermissionDenied
from omc.application.trading import Oversold, PnLWindow, TradingBooks
from omc.application.trading_ports import FillConflict, FillQuery, MarkField
from omc.domain.access import Principal, Scope
from omc.domain.exchange import PriceTick
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.history import Interval
from omc.domain.trading.lots import CostMethod
from omc.domain.trading.metrics import GroupBy
from omc.domain.violations import ValidationError

T0 = datetime(2025, 1, 6, tzinfo=UTC)
NOW = datetime(2025, 2, 1, tzinfo=UTC)
ALICE = Principal("alice", frozenset({Scope.TRADING_READ, Scope.TRADING_WRITE}), "k1")
BOB = Principal("bob", frozenset({Scope.TRADING_READ, Scope.TRADING_WRITE}), "k2")
ADMIN = Principal("root", frozenset({Scope.ADMIN}), "k0")


def fill(
    fill_id: str, side: Side, quantity: str, price: str, hours: float = 0, **changes: object
) -> Fill:
    base = Fill(
        fill_id=fill_id,
        owner="",
        symbol="BTC",
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        executed_at=T0 + timedelta(hours=hours),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class World:
    def __init__(self) -> None:
        self.fills = MemoryFillRepository()
        self.ticks = MemoryPriceTickRepository("price_ticks", stats_field="observed_at")
        self.books = TradingBooks(self.fills, MemoryMarkSource(self.ticks), FixedClock(NOW))

    async def price(self, symbol: str, hours: float, last: str, bid: str | None = None) -> None:
        await self.ticks.add_many(
            [
                PriceTick(
                    symbol=symbol,
                    last=Decimal(last),
                    observed_at=T0 + timedelta(hours=hours),
                    source="coinspot",
                    bid=None if bid is None else Decimal(bid),
                )
            ]
        )


@pytest.fixture
def world() -> World:
    return World()


# --- whose books ---------------------------------------------------------------------


async def test_fills_land_in_the_callers_books_whatever_owner_they_carry(world: World) -> None:
    await world.books.record_fills(ALICE, [fill("a", Side.BUY, "1", "10", owner="bob")])

    assert [f.owner for f in await world.fills.history(FillQuery("alice"))] == ["alice"]
    assert await world.fills.history(FillQuery("bob")) == []


async def test_only_an_admin_may_name_another_user(world: World) -> None:
    await world.books.record_fills(ADMIN, [fill("a", Side.BUY, "1", "10")], user_id="bob")

    with pytest.raises(PermissionDenied):
        await world.books.list_fills(ALICE, user_id="bob")
    with pytest.raises(PermissionDenied):
        await world.books.summary(ALICE, PnLWindow(), user_id="nobody")
    page = await world.books.list_fills(ADMIN, user_id="bob")
    own = await world.books.list_fills(BOB, user_id="bob")  # naming yourself is fine
    assert [f.fill_id for f in page.items] == [f.fill_id for f in own.items] == ["a"]
    assert (await world.books.list_fills(ALICE)).items == []


# --- record --------------------------------------------------------------------------


async def test_invalid_fills_are_reported_by_path_and_nothing_lands(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await world.books.record_fills(
            ALICE,
            [
                fill("ok", Side.BUY, "1", "10"),
                fill("bad", Side.BUY, "-1", "10", fee=Decimal(1), fee_currency="BNB"),
            ],
        )

    fields = {v.field for v in raised.value.violations}
    assert {"fills[1].quantity", "fills[1].fee_rate_to_quote"} <= fields
    assert await world.fills.history(FillQuery("alice")) == []


async def test_duplicates_and_conflicts(world: World) -> None:
    books = world.books
    first = await books.record_fills(ALICE, [fill("a", Side.BUY, "1", "10")])
    # The same fill twice in one batch and once more from storage: three duplicates.
    again = await books.record_fills(
        ALICE, [fill("a", Side.BUY, "1.0", "10"), fill("a", Side.BUY, "1", "10.00")]
    )

    assert (first.inserted, again.inserted, again.duplicate) == (1, 0, 2)
    with pytest.raises(FillConflict) as raised:
        await books.record_fills(
            ALICE, [fill("b", Side.BUY, "1", "1"), fill("a", Side.BUY, "2", "10")]
        )
    assert raised.value.subject == "a"
    with pytest.raises(ValidationError) as in_batch:
        await books.record_fills(
            ALICE, [fill("c", Side.BUY, "1", "1"), fill("c", Side.BUY, "2", "1")]
        )
    assert [v.field for v in in_batch.value.violations] == ["fills[1].fill_id"]
    assert [f.fill_id for f in await world.fills.history(FillQuery("alice"))] == ["a"]


async def test_an_oversell_anywhere_in_the_merged_history_rejects_the_batch(world: World) -> None:
    books = world.books
    await books.record_fills(
        ALICE, [fill("b1", Side.BUY, "1", "10", 0), fill("s1", Side.SELL, "1", "12", 2)]
    )

    # A sell inserted before the stored one leaves s1 short: s1 is the oversell.
    with pytest.raises(Oversold) as raised:
        await books.record_fills(
            ALICE, [fill("b2", Side.BUY, "5", "10", 5), fill("s0", Side.SELL, "0.5", "11", 1)]
        )
    assert raised.value.fill_id == "s1"
    assert [f.fill_id for f in await world.fills.history(FillQuery("alice"))] == ["b1", "s1"]
    # Other users' holdings never cover a sell.
    with pytest.raises(Oversold):
        await books.record_fills(BOB, [fill("s", Side.SELL, "1", "10", 3)])


# --- reads ---------------------------------------------------------------------------


async def test_list_fills_pages_with_tokens_bound_to_the_filter(world: World) -> None:
    await world.books.record_fills(
        ALICE, [fill(f"f{i}", Side.BUY, "1", "10", i, strategy_id="grid") for i in range(5)]
    )
    page = await world.books.list_fills(ALICE, strategy_id="grid", page_size=3)
    rest = await world.books.list_fills(
        ALICE, strategy_id="grid", page_size=3, page_token=page.next_page_token
    )

    assert [f.fill_id for f in page.items + rest.items] == [f"f{i}" for i in range(5)]
    assert rest.next_page_token == ""
    with pytest.raises(InvalidArgument):
        await world.books.list_fills(ALICE, symbol="ETH", page_token=page.next_page_token)
    with pytest.raises(PermissionDenied):
        await world.books.list_fills(BOB, user_id="alice", page_token=page.next_page_token)


async def test_positions_marked_by_last_or_bid_and_unknown_without_price(world: World) -> None:
    await world.books.record_fills(
        ALICE,
        [fill("b", Side.BUY, "2", "100", 0), fill("e", Side.BUY, "1", "5", 0, symbol="ETH")],
    )
    await world.price("BTC", 1, "150", bid="149")

    last = await world.books.list_positions(ALICE)
    bid = await world.books.list_positions(ALICE, mark_field=MarkField.BID)

    btc, eth = last
    assert (btc.position.mark, btc.position.unrealized) == (Decimal(150), Decimal(100))
    assert btc.mark_time == T0 + timedelta(hours=1)
    assert (eth.position.mark, eth.position.unrealized, eth.mark_time) == (None, None, None)
    assert bid[0].position.unrealized == Decimal(98)


@pytest.mark.parametrize(
    ("method", "realized"),
    [(CostMethod.FIFO, "3000"), (CostMethod.LIFO, "2000"), (CostMethod.AVERAGE, "2500")],
)
async def test_summary_by_method(world: World, method: CostMethod, realized: str) -> None:
    await world.books.record_fills(
        ALICE,
        [
            fill("b1", Side.BUY, "1", "50000", 0),
            fill("b2", Side.BUY, "1", "51000", 1),
            fill("s1", Side.SELL, "1", "53000", 2),
        ],
    )

    result = await world.books.summary(ALICE, PnLWindow(method=method))

    assert result.summary.realized == Decimal(realized)
    assert result.summary.unrealized is None  # no price for the open BTC
    assert result.summary.unmarked == ("BTC/AUD",)
    assert result.start == T0
    assert result.end == NOW


class WriteLandsBeforeTheHistory:
    """Fills that answer `first_fills`, then let another batch land before the history
    is read: what a summary racing another replica's write may see."""

    def __init__(self, inner: MemoryFillRepository, owner: str, late: list[Fill]) -> None:
        self._inner = inner
        self._owner = owner
        self._late = late

    async def first_fills(self, query: FillQuery) -> dict[tuple[str, str], datetime]:
        firsts = await self._inner.first_fills(query)
        late, self._late = self._late, []
        if late:
            await self._inner.add_many(self._owner, [replace(f, owner=self._owner) for f in late])
        return firsts

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


async def test_a_summary_reads_marks_again_when_a_write_lands_mid_read(world: World) -> None:
    await world.books.record_fills(ALICE, [fill("b", Side.BUY, "1", "50000", 5)])
    for hours in (0.5, 3, 30):
        await world.price("BTC", hours, "51000")
        await world.price("ETH", hours, "3000")
    # A new book whose first fill comes before every other: both the books and the
    # curve's start that the marks were read for are stale once the history arrives.
    late = [fill("e", Side.BUY, "2", "2900", 1, symbol="ETH")]
    racing = TradingBooks(
        WriteLandsBeforeTheHistory(world.fills, "alice", late),  # type: ignore[arg-type]
        MemoryMarkSource(world.ticks),
        FixedClock(NOW),
    )

    raced = await racing.summary(ALICE, PnLWindow())
    settled = await world.books.summary(ALICE, PnLWindow())

    assert raced == settled
    assert raced.start == T0 + timedelta(hours=1)
    assert raced.summary.unmarked == ()
    assert raced.summary.unrealized == Decimal(1000) + 2 * Decimal(100)


async def test_a_window_after_the_buy_keeps_its_cost(world: World) -> None:
    await world.books.record_fills(
        ALICE,
        [fill("b", Side.BUY, "10", "50000", 0), fill("s", Side.SELL, "3", "52000", 48)],
    )
    await world.price("BTC", 49, "53000")

    window = PnLWindow(start=T0 + timedelta(hours=24))
    result = await world.books.summary(ALICE, window)

    assert result.summary.realized == Decimal(6000)
    assert result.summary.unrealized == Decimal(21000)  # 7 x (53000 - 50000)
    assert result.summary.trades.profit_factor is None  # no losses: absent, not zero


async def test_mixed_quotes_need_a_quote_and_inverted_windows_are_refused(world: World) -> None:
    await world.books.record_fills(
        ALICE, [fill("a", Side.BUY, "1", "1"), fill("u", Side.BUY, "1", "1", quote="USD")]
    )

    with pytest.raises(InvalidArgument) as raised:
        await world.books.summary(ALICE, PnLWindow())
    assert raised.value.violations[0].field == "quote"
    assert (await world.books.summary(ALICE, PnLWindow(quote="usd"))).summary.quote == "USD"
    with pytest.raises(InvalidArgument):
        await world.books.summary(ALICE, PnLWindow(start=NOW, end=T0))


async def test_breakdown_and_history(world: World) -> None:
    await world.books.record_fills(
        ALICE,
        [
            fill("b", Side.BUY, "1", "100", 0, strategy_id="grid"),
            fill("s", Side.SELL, "1", "130", 30, strategy_id="grid"),
            fill("e", Side.BUY, "2", "10", 1, symbol="ETH"),
            fill("f", Side.SELL, "1", "9", 26, symbol="ETH"),
        ],
    )
    await world.price("ETH", 2, "11")
    await world.price("ETH", 50, "12")

    by_symbol = await world.books.breakdown(ALICE, PnLWindow(), GroupBy.SYMBOL)
    by_strategy = await world.books.breakdown(ALICE, PnLWindow(), GroupBy.STRATEGY)
    points = await world.books.history(
        ALICE, PnLWindow(start=T0, end=T0 + timedelta(days=3)), Interval.DAY
    )

    assert {k: v.realized for k, v in by_symbol.items()} == {"BTC": 30, "ETH": -1}
    assert {k: v.realized for k, v in by_strategy.items()} == {"": -1, "grid": 30}
    assert [p.realized for p in points] == [0, 29, 0]
    # Day 1 ends holding 1 BTC (no price: unknown) and 2 ETH at 11.
    assert points[0].equity is None
    assert points[0].unmarked == ("BTC/AUD",)
    # Day 2 ends flat in BTC, 1 ETH at 11 (cost 10): equity 29 + 1.
    assert points[1].equity == Decimal(30)
    assert points[2].equity == Decimal(31)  # ETH marked at 12 on day 3


async def test_history_needs_a_sane_number_of_buckets(world: World) -> None:
    await world.books.record_fills(ALICE, [fill("a", Side.BUY, "1", "1")])
    window = PnLWindow(start=datetime(2000, 1, 1, tzinfo=UTC), end=NOW)

    with pytest.raises(InvalidArgument) as raised:
        await world.books.history(ALICE, window, Interval.HOUR)
    assert [v.field for v in raised.value.violations] == ["interval"]
    assert await world.books.history(BOB, PnLWindow(), Interval.DAY) == []


async def test_filters_no_fill_could_match_are_refused_by_name(world: World) -> None:
    # Found by fuzzing over Postgres, which cannot compare text holding NUL: such a
    # filter answered INTERNAL; now it is bad input, as anywhere else.
    with pytest.raises(InvalidArgument) as raised:
        await world.books.list_fills(ALICE, symbol="\x00")
    assert [v.field for v in raised.value.violations] == ["symbol"]
    with pytest.raises(InvalidArgument) as raised:
        await world.books.summary(ALICE, PnLWindow(quote="A-UD"))
    assert [v.field for v in raised.value.violations] == ["quote"]
    with pytest.raises(InvalidArgument) as raised:
        await world.books.list_fills(ALICE, strategy_id="grid\x00")
    assert [v.field for v in raised.value.violations] == ["strategy_id"]
    with pytest.raises(InvalidArgument) as raised:
        await world.books.list_fills(ADMIN, user_id="bob\x00")
    assert [v.field for v in raised.value.violations] == ["user_id"]


async def test_a_fill_with_nul_in_its_text_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await world.books.record_fills(
            ALICE, [replace(fill("a", Side.BUY, "1", "10"), strategy_id="grid\x00")]
        )
    assert "strategy_id" in str(raised.value)
    assert await world.fills.history(FillQuery("alice")) == []
