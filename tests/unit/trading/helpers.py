from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omc.domain.trading.fills import Fill, Side

T0 = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fill(
    fill_id: str,
    side: Side | str,
    quantity: str,
    price: str,
    *,
    hours: float = 0,
    symbol: str = "BTC",
    **changes: object,
) -> Fill:
    values: dict[str, object] = {
        "fill_id": fill_id,
        "owner": "alice",
        "symbol": symbol,
        "side": side,
        "quantity": Decimal(quantity),
        "price": Decimal(price),
        "executed_at": T0 + timedelta(hours=hours),
    }
    values.update(changes)
    return Fill(**values).normalized()  # type: ignore[arg-type]


def buy(fill_id: str, quantity: str, price: str, **changes: object) -> Fill:
    return fill(fill_id, Side.BUY, quantity, price, **changes)  # type: ignore[arg-type]


def sell(fill_id: str, quantity: str, price: str, **changes: object) -> Fill:
    return fill(fill_id, Side.SELL, quantity, price, **changes)  # type: ignore[arg-type]
