from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from omc.domain.trading.fills import FeeKind, Fill, Side

from .helpers import NOW, T0, buy, fill, sell


def fields_of(f: Fill) -> list[str]:
    return [v.field for v in f.violations(NOW)]


def test_valid_fill_is_normalised_and_has_no_violations() -> None:
    f = fill(" f1 ", "BUY", "1", "50000", symbol=" btc ", quote="usdt", fee_currency="")
    assert (f.fill_id, f.symbol, f.quote, f.side, f.fee_currency) == (
        "f1",
        "BTC",
        "USDT",
        Side.BUY,
        "USDT",
    )
    assert f.violations(NOW) == []
    assert f.key == ("alice", "f1")


def test_default_quote_is_aud_and_times_become_utc() -> None:
    sydney = timezone(timedelta(hours=11))
    f = buy("f1", "1", "1", executed_at=datetime(2025, 1, 6, 11, 0, tzinfo=sydney))
    assert f.quote == "AUD"
    assert f.executed_at == T0
    assert f.executed_at.utcoffset() == timedelta(0)


def test_every_violation_is_reported() -> None:
    f = fill(
        "",
        "hold",
        "0",
        "-1",
        owner="",
        symbol="BTC-AUD",
        fee=Decimal("-1"),
        executed_at=NOW + timedelta(minutes=6),
    )
    assert fields_of(f) == [
        "fill_id",
        "owner",
        "symbol",
        "side",
        "quantity",
        "price",
        "fee",
        "executed_at",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "finite"),
        (Decimal("0"), "greater than 0"),
        (Decimal("0.0000000000000000001"), "decimal places"),
    ],
)
def test_quantity_must_be_positive_finite_with_at_most_18_places(
    value: Decimal, message: str
) -> None:
    [violation] = replace(buy("f", "1", "1"), quantity=value).violations(NOW)
    assert violation.field == "quantity"
    assert message in violation.description


def test_naive_or_far_future_time_is_rejected() -> None:
    naive = buy("f", "1", "1", executed_at=datetime(2025, 1, 1))
    assert fields_of(naive) == ["executed_at"]
    assert buy("f", "1", "1", executed_at=NOW + timedelta(minutes=5)).violations(NOW) == []


def test_symbol_and_quote_must_differ() -> None:
    assert fields_of(buy("f", "1", "1", quote="BTC")) == ["quote"]


def test_third_asset_fee_needs_a_rate() -> None:
    f = buy("f", "1", "100", fee=Decimal("0.01"), fee_currency="bnb")
    assert f.fee_kind is FeeKind.THIRD
    [violation] = f.violations(NOW)
    assert violation.field == "fee_rate_to_quote"
    assert "BNB" in violation.description
    ok = replace(f, fee_rate_to_quote=Decimal("900"))
    assert ok.violations(NOW) == []
    assert ok.fee_in_quote == Decimal("9")


def test_rate_is_only_for_a_third_asset_and_must_be_positive() -> None:
    assert fields_of(buy("f", "1", "1", fee=Decimal("1"), fee_rate_to_quote=Decimal("1"))) == [
        "fee_rate_to_quote"
    ]
    bad_rate = buy("f", "1", "1", fee=Decimal(1), fee_currency="BNB", fee_rate_to_quote=Decimal(0))
    assert fields_of(bad_rate) == ["fee_rate_to_quote"]


def test_base_fee_on_a_buy_must_be_less_than_the_quantity() -> None:
    f = buy("f", "1", "1", fee=Decimal("1"), fee_currency="BTC")
    assert fields_of(f) == ["fee"]
    assert buy("f", "1", "1", fee=Decimal("0.5"), fee_currency="BTC").violations(NOW) == []
    # A sell delivers the base fee on top, so any size is fine here (the books check it).
    assert sell("f", "1", "1", fee=Decimal("2"), fee_currency="BTC").violations(NOW) == []


def test_fee_in_quote_and_position_delta_follow_the_conventions() -> None:
    quote_fee = buy("a", "2", "100", fee=Decimal("1.5"))
    assert (quote_fee.fee_kind, quote_fee.fee_in_quote, quote_fee.position_delta) == (
        FeeKind.QUOTE,
        Decimal("1.5"),
        Decimal("2"),
    )
    base_buy = buy("b", "2", "100", fee=Decimal("0.01"), fee_currency="BTC")
    assert (base_buy.fee_in_quote, base_buy.position_delta) == (Decimal("1"), Decimal("1.99"))
    base_sell = sell("c", "2", "100", fee=Decimal("0.01"), fee_currency="BTC")
    assert base_sell.position_delta == Decimal("-2.01")
    assert base_sell.notional == Decimal("200")


def test_same_content_tells_duplicates_from_conflicts() -> None:
    original = buy("f1", "1.0", "50000")
    resent = buy(
        "f1", "1.00", "50000.000", executed_at=T0.astimezone(timezone(timedelta(hours=10)))
    )
    assert original.same_content(resent)
    assert not original.same_content(buy("f1", "2", "50000"))
    assert not original.same_content(replace(original, strategy_id="grid"))
