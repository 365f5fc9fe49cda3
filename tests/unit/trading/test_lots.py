from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from omc.domain.trading.lots import CostMethod, OversellError, Position, build_books

from .helpers import buy, sell

FIFO, LIFO, AVERAGE = CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE


def test_buy_then_sell_realizes_the_difference() -> None:
    books = build_books([buy("b", "1", "50000"), sell("s", "1", "55000", hours=1)])
    assert books.realized == Decimal("5000")
    assert [c.realized for c in books.closes] == [Decimal("5000")]
    [position] = books.positions
    assert (position.quantity, position.cost_basis, position.average_cost) == (0, 0, None)


@pytest.mark.parametrize(
    ("method", "realized", "left"),
    [(FIFO, "3000", "51000"), (LIFO, "2000", "50000"), (AVERAGE, "2500", "50500")],
)
def test_two_buys_one_sell_by_each_method(method: CostMethod, realized: str, left: str) -> None:
    fills = [
        buy("b1", "1", "50000"),
        buy("b2", "1", "51000", hours=1),
        sell("s", "1", "53000", hours=2),
    ]
    books = build_books(fills, method)
    assert books.realized == Decimal(realized)
    [position] = books.positions
    assert position.quantity == 1
    assert position.cost_basis == Decimal(left)
    assert position.average_cost == Decimal(left)


def test_partial_sell_of_one_lot() -> None:
    books = build_books([buy("b", "10", "50000"), sell("s", "3", "52000", hours=1)])
    assert books.realized == Decimal("6000")
    [position] = books.positions
    assert (position.quantity, position.cost_basis) == (Decimal(7), Decimal(350000))


def test_quote_fees_add_to_cost_and_reduce_proceeds() -> None:
    books = build_books(
        [
            buy("b", "1", "50000", fee=Decimal("50")),
            sell("s", "1", "55000", hours=1, fee=Decimal("55")),
        ]
    )
    assert books.realized == Decimal("4895")  # 55000 - 55 - (50000 + 50)
    assert books.fees_paid == Decimal("105")
    assert books.volume == Decimal("105000")


def test_base_fee_reduces_quantity_received_and_adds_to_quantity_delivered() -> None:
    books = build_books(
        [
            buy("b", "1", "50000", fee=Decimal("0.001"), fee_currency="BTC"),
            sell("s", "0.5", "60000", hours=1, fee=Decimal("0.0005"), fee_currency="BTC"),
        ]
    )
    # Bought 0.999 BTC for 50,000; delivered 0.5005 BTC of it for 30,000.
    with localcontext() as ctx:
        ctx.prec = 80
        expected = Decimal(30000) - Decimal(50000) * Decimal("0.5005") / Decimal("0.999")
    [close] = books.closes
    assert close.quantity == Decimal("0.5005")
    assert close.proceeds == Decimal("30000")
    # Exact up to the engine's floor at 10^-36 on a partial lot.
    assert abs(expected - close.realized) < Decimal("1e-36")
    [position] = books.positions
    assert position.quantity == Decimal("0.4985")
    assert position.cost_basis + close.cost_basis == Decimal(50000)
    assert books.fees_paid == Decimal("50") + Decimal("30")  # valued at each fill's price


def test_third_asset_fee_converts_at_the_rate_on_the_fill() -> None:
    books = build_books(
        [
            buy("b", "1", "50000", fee=Decimal("0.05"), fee_currency="BNB",
                fee_rate_to_quote=Decimal("900")),
            sell("s", "1", "55000", hours=1, fee=Decimal("0.05"), fee_currency="BNB",
                 fee_rate_to_quote=Decimal("1000")),
        ]
    )  # fmt: skip
    assert books.realized == Decimal("4905")  # 55000 - 50 - (50000 + 45)
    assert books.fees_paid == Decimal("95")


@pytest.mark.parametrize("method", list(CostMethod))
def test_oversell_is_rejected_naming_the_fill(method: CostMethod) -> None:
    fills = [
        buy("b", "1", "50000"),
        sell("s1", "0.4", "1", hours=1),
        sell("s2", "0.7", "1", hours=2),
    ]
    with pytest.raises(OversellError) as caught:
        build_books(fills, method)
    error = caught.value
    assert (error.fill_id, error.symbol, error.quote) == ("s2", "BTC", "AUD")
    assert (error.requested, error.available) == (Decimal("0.7"), Decimal("0.6"))
    assert "s2" in str(error)


def test_oversell_counts_the_base_fee_delivered() -> None:
    fills = [
        buy("b", "1", "1"),
        sell("s", "1", "1", hours=1, fee=Decimal("0.01"), fee_currency="BTC"),
    ]
    with pytest.raises(OversellError):
        build_books(fills)


def test_order_is_executed_at_then_fill_id_not_ingest_order() -> None:
    fills = [sell("s", "1", "3", hours=1), buy("b2", "1", "2"), buy("b1", "1", "1")]
    # Same instant: b1 before b2 by id, so FIFO sells the lot bought at 1.
    assert build_books(fills).realized == Decimal(2)


def test_books_are_per_symbol_and_quote() -> None:
    books = build_books(
        [
            buy("b1", "1", "100"),
            buy("b2", "1", "200", quote="USDT"),
            sell("s", "1", "150", hours=1, quote="USDT"),
        ]
    )
    assert books.realized == Decimal(-50)
    assert books.position("BTC", "AUD") == Position("BTC", "AUD", Decimal(1), Decimal(100))


def test_books_are_for_one_owner() -> None:
    with pytest.raises(ValueError, match="owner"):
        build_books([buy("a", "1", "1"), buy("b", "1", "1", owner="bob")])


def test_position_without_mark_is_unknown_not_zero() -> None:
    [position] = build_books([buy("b", "2", "100")]).positions
    assert (position.mark, position.market_value, position.unrealized) == (None, None, None)
    marked = position.marked(Decimal("150"))
    assert (marked.market_value, marked.unrealized) == (Decimal(300), Decimal(100))


def test_partial_lot_cost_is_exact_or_floored_below_1e36() -> None:
    books = build_books(
        [
            buy("b", "3", "1", fee=Decimal("1")),
            sell("s1", "1", "2", hours=1),
            sell("s2", "2", "2", hours=2),
        ]
    )
    first, second = books.closes
    assert first.cost_basis == Decimal("1.333333333333333333333333333333333333")
    assert first.cost_basis + second.cost_basis == Decimal(4)
    assert books.realized == Decimal(2)
