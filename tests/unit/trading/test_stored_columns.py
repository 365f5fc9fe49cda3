"""The engine's columns built from what the Postgres fills adapter reads: equal to
`prepare` over the same fills, and books numbered after those of earlier fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omc.adapters.postgres.fills import StoredColumns, prepared_from_columns
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import prepare
from tests.support.prepared import columns

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(number: int, symbol: str, side: Side, fee: str, currency: str = "") -> Fill:
    return Fill(
        f"f{number}", "alice", symbol, side, Decimal("2.5"), Decimal("100.25"),
        T0 + timedelta(minutes=number), fee=Decimal(fee), fee_currency=currency,
        fee_rate_to_quote=Decimal("612.5") if currency == "BNB" else None,
    )  # fmt: skip


# What migration 0010's generated columns hold for these fills (written out by hand:
# base 10^-18, quote 10^-36; a sell's base fee moves on top of its quantity).
Q, P = 2_500_000_000_000_000_000, 100_250_000_000_000_000_000
FILLS = [
    _fill(0, "BTC", Side.BUY, "0.25", "AUD"),
    _fill(1, "ETH", Side.BUY, "0.001", "ETH"),
    _fill(2, "ETH", Side.SELL, "0.001", "ETH"),
    _fill(3, "SOL", Side.SELL, "0.02", "BNB"),
]
STORED = StoredColumns(
    times=[f.executed_at for f in FILLS],
    fill_ids=[f.fill_id for f in FILLS],
    strategies=[None] * 4,
    books="BTC/AUD,ETH/AUD,ETH/AUD,SOL/AUD",
    buys="ttff",
    moved=f"{Q},{Q - 10**15},{Q + 10**15},{Q}",
    amounts=f"{Q * P + 25 * 10**34},{Q * P},{Q * P},{Q * P - 1225 * 10**34}",
    fees=f"{25 * 10**34},{10**15 * P},{10**15 * P},{1225 * 10**34}",
    volumes=f"{Q * P},{Q * P},{Q * P},{Q * P}",
)


def test_stored_columns_build_what_prepare_builds() -> None:
    assert columns(prepared_from_columns(STORED)) == columns(prepare(FILLS))


def test_books_are_numbered_after_those_of_earlier_fills() -> None:
    earlier = (("SOL", "AUD"), ("XRP", "AUD"))

    built = prepared_from_columns(STORED, earlier)

    assert built.book_keys == (("SOL", "AUD"), ("XRP", "AUD"), ("BTC", "AUD"), ("ETH", "AUD"))
    assert [row[0] for row in built.rows] == [2, 3, 3, 0]


def test_no_fills_keep_the_earlier_books() -> None:
    earlier = (("SOL", "AUD"),)

    built = prepared_from_columns(StoredColumns.empty(), earlier)

    assert built.book_keys == earlier
    assert not built.rows
