"""Properties of the books for any valid fill sequence, under every cost method.

The identity (exact, with this project's fee convention, see fills.py):

    realized + unrealized
        == market value + sum(sell position_delta x price)
                        - sum(buy position_delta x price) - sum(fee_in_quote)

where `position_delta` counts the base fee (bought q - f, sold q + f), and
unrealized = market value - remaining cost. It holds exactly because the cost a
lot loses is exactly the cost its closes are charged.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import Books, CostMethod, build_books

from .helpers import NOW, T0

SYMBOLS = ("BTC", "ETH")
NINE = Decimal("1e-9")


def _decimal(draw: st.DrawFn, top: int, places: int) -> Decimal:
    return Decimal(draw(st.integers(1, top))).scaleb(-draw(st.integers(0, places)))


@st.composite
def fill_sequences(draw: st.DrawFn, close_out: bool = False) -> list[Fill]:
    held = dict.fromkeys(SYMBOLS, Decimal(0))
    fills: list[Fill] = []
    steps = draw(st.integers(1, 14))
    for step in range(steps + (len(SYMBOLS) if close_out else 0)):
        closing = step >= steps
        symbol = SYMBOLS[step - steps] if closing else draw(st.sampled_from(SYMBOLS))
        if closing and not held[symbol]:
            continue
        sell = closing or (held[symbol] > 0 and draw(st.booleans()))
        price = _decimal(draw, 10_000_000, 4)
        kind = draw(st.sampled_from(["none", "quote", "base", "third"]))
        fee, fee_currency, rate = Decimal(0), "", None
        if sell:
            share = 8 if closing else draw(st.integers(1, 8))
            moved = (held[symbol] * share / 8).quantize(NINE, ROUND_DOWN)
            if not moved:
                continue
            quantity = moved
            if kind == "base":
                fee = (moved * draw(st.integers(0, 9)) / 1000).quantize(NINE, ROUND_DOWN)
                quantity = moved - fee
        else:
            quantity = _decimal(draw, 1_000_000, 6)
            moved = quantity
            if kind == "base":
                fee = (quantity * draw(st.integers(0, 9)) / 1000).quantize(NINE, ROUND_DOWN)
                moved = quantity - fee
        if kind == "base":
            fee_currency = symbol
        elif kind == "quote":
            fee = Decimal(draw(st.integers(0, 100_000))).scaleb(-4)
        elif kind == "third":
            fee, fee_currency = Decimal(draw(st.integers(0, 10_000))).scaleb(-6), "BNB"
            rate = _decimal(draw, 100_000, 2)
        held[symbol] += -moved if sell else moved
        fills.append(
            Fill(
                fill_id=f"f{step:03d}",
                owner="alice",
                symbol=symbol,
                side=Side.SELL if sell else Side.BUY,
                quantity=quantity,
                price=price,
                executed_at=T0 + timedelta(minutes=step),
                fee=fee,
                fee_currency=fee_currency,
                fee_rate_to_quote=rate,
                strategy_id=draw(st.sampled_from([None, "grid"])),
            ).normalized()
        )
    assert all(f.violations(NOW) == [] for f in fills)
    return fills


def state(books: Books) -> tuple[Decimal, list[tuple[str, Decimal, Decimal]]]:
    positions = sorted((p.symbol, p.quantity, p.cost_basis) for p in books.positions)
    return books.realized, positions


marks = st.fixed_dictionaries({s: st.decimals(1, 10**7, places=4) for s in SYMBOLS})


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(), mark=marks)
def test_realized_plus_unrealized_is_value_plus_cash_flows(
    fills: list[Fill], mark: dict[str, Decimal]
) -> None:
    with localcontext() as ctx:
        ctx.prec = 120
        sells = sum((-f.position_delta * f.price for f in fills if f.side is Side.SELL), Decimal(0))
        buys = sum((f.position_delta * f.price for f in fills if f.side is Side.BUY), Decimal(0))
        fees = sum((f.fee_in_quote for f in fills), Decimal(0))
        for method in CostMethod:
            books = build_books(fills, method)
            positions = [p.marked(mark[p.symbol]) for p in books.positions]
            value = sum((p.quantity * mark[p.symbol] for p in positions), Decimal(0))
            unrealized = sum((p.unrealized or Decimal(0) for p in positions), Decimal(0))
            assert books.realized + unrealized == value + sells - buys - fees, method
            assert books.fees_paid == fees


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(close_out=True))
def test_once_flat_every_method_gives_the_same_total(fills: list[Fill]) -> None:
    totals = set()
    for method in CostMethod:
        books = build_books(fills, method)
        assert all(p.quantity == 0 and p.cost_basis == 0 for p in books.positions)
        totals.add(books.realized)
    assert len(totals) == 1


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(), seed=st.integers(0, 2**32))
def test_ingest_order_changes_nothing(fills: list[Fill], seed: int) -> None:
    shuffled = list(fills)
    random.Random(seed).shuffle(shuffled)
    for method in CostMethod:
        first, second = build_books(fills, method), build_books(shuffled, method)
        assert state(first) == state(second)
        assert first.closes == second.closes


def _halves(fill: Fill) -> list[Fill]:
    half = {
        "quantity": fill.quantity / 2,
        "fee": fill.fee / 2,
    }
    return [
        replace(fill, fill_id=fill.fill_id + "a", **half),  # type: ignore[arg-type]
        replace(fill, fill_id=fill.fill_id + "b", **half),  # type: ignore[arg-type]
    ]


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(), pick=st.integers(0, 100))
def test_splitting_a_fill_at_the_same_price_changes_nothing(fills: list[Fill], pick: int) -> None:
    index = pick % len(fills)
    split = fills[:index] + _halves(fills[index]) + fills[index + 1 :]
    for method in CostMethod:
        whole, parts = build_books(fills, method), build_books(split, method)
        # Exactly equal, not approximately: partial-lot costs are floored on the
        # cumulative share of each lot, which a split does not change.
        assert state(whole) == state(parts), method
        assert whole.fees_paid == parts.fees_paid
        assert whole.volume == parts.volume


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_books_from_columns_equal_books_from_fills(data: st.DataObject) -> None:
    """The store's fast path (columns, no Fill records) gives the very same summary."""
    from omc.domain.trading.lots import PreparedFills, prepare
    from omc.domain.trading.metrics import summarize

    fills = data.draw(fill_sequences())
    method = data.draw(st.sampled_from(list(CostMethod)))
    reference = prepare(fills)
    columns = PreparedFills.from_columns(
        times=list(reference.times),
        fill_ids=list(reference.fill_ids),
        strategies=list(reference.strategies),
        book_keys=reference.book_keys,
        rows=list(reference.rows),
        fees=list(reference.fees),
        volumes=list(reference.volumes),
    )
    as_of = max(fill.executed_at for fill in fills) + timedelta(days=1)
    mark = data.draw(st.sampled_from([None, Decimal("123.45")]))

    def marks(_symbol: str, _quote: str, _at: object) -> Decimal | None:
        return mark

    for symbol, strategy in ((None, None), (fills[0].symbol, None), (None, "")):
        options = {"as_of": as_of, "marks": marks, "method": method}
        assert summarize(columns, symbol=symbol, strategy_id=strategy, **options) == summarize(
            fills, symbol=symbol, strategy_id=strategy, **options
        )
