"""Trading books: one executed fill, its rules and its fee in the quote currency.

Fee convention (used by the lot engine, stated here once):

* a fee in the QUOTE is cash: on a buy it adds to the cost basis, on a sell it
  reduces the proceeds;
* a fee in the BASE asset changes the quantity that moves: a buy of `q` with a
  base fee `f` puts `q - f` into the position (so `f` must be less than `q`),
  a sell of `q` with a base fee `f` takes `q + f` out of it. Its value in the
  quote is `f x price`, which is what "fees paid" reports;
* a fee in a THIRD asset (BNB, say) is converted at `fee_rate_to_quote` (quote
  per unit of the fee asset) given on the fill, then treated like a quote fee.

With `position_delta` the base quantity that really moves, every fill is worth
`position_delta x price` in the quote before fees, and `fee_in_quote` after the
conversions above.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from omc.domain.rules import MAX_SHORT_TEXT, RuleCheck, normalize_symbol, to_utc
from omc.domain.violations import FieldViolation

DEFAULT_QUOTE = "AUD"
ZERO = Decimal(0)


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class FeeKind(StrEnum):
    """Which of the three fee conventions applies to a fill."""

    QUOTE = "quote"
    BASE = "base"
    THIRD = "third"


@dataclass(frozen=True, slots=True)
class Fill:
    """One executed trade of `quantity` units of `symbol` at `price` in `quote`.

    `fill_id` is chosen by the client and is the idempotency key within `owner`.
    An empty `fee_currency` means the quote.
    """

    fill_id: str
    owner: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    executed_at: datetime
    quote: str = DEFAULT_QUOTE
    fee: Decimal = ZERO
    fee_currency: str = ""
    fee_rate_to_quote: Decimal | None = None
    strategy_id: str | None = None

    TIME_FIELD: ClassVar[str] = "executed_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("owner", "fill_id")
    # The order of events: books replay fills in this order whatever the ingest order.
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("executed_at", "fill_id")

    def normalized(self) -> Fill:
        quote = normalize_symbol(self.quote) or DEFAULT_QUOTE
        side = self.side
        if not isinstance(side, Side):
            # Left as given when unknown; violations() reports it.
            with suppress(ValueError):
                side = Side(str(side).strip().lower())
        strategy = self.strategy_id.strip() if self.strategy_id is not None else None
        return replace(
            self,
            fill_id=self.fill_id.strip(),
            owner=self.owner.strip(),
            symbol=normalize_symbol(self.symbol),
            quote=quote,
            side=side,
            fee_currency=normalize_symbol(self.fee_currency) or quote,
            strategy_id=strategy or None,
            executed_at=to_utc(self.executed_at),
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.owner, self.fill_id)

    @property
    def fee_kind(self) -> FeeKind:
        currency = self.fee_currency or self.quote
        if currency == self.quote:
            return FeeKind.QUOTE
        if currency == self.symbol:
            return FeeKind.BASE
        return FeeKind.THIRD

    @property
    def fee_in_quote(self) -> Decimal:
        """The fee's value in the quote (exact: no rounding, see module docstring)."""
        kind = self.fee_kind
        if kind is FeeKind.QUOTE:
            return self.fee
        if kind is FeeKind.BASE:
            return self.fee * self.price
        if self.fee_rate_to_quote is None:
            raise ValueError(f"fill {self.fill_id!r}: a third-asset fee needs fee_rate_to_quote")
        return self.fee * self.fee_rate_to_quote

    @property
    def position_delta(self) -> Decimal:
        """Base units entering (+, buy) or leaving (-, sell) the position, base fee included."""
        base_fee = self.fee if self.fee_kind is FeeKind.BASE else ZERO
        if self.side is Side.BUY:
            return self.quantity - base_fee
        return -(self.quantity + base_fee)

    @property
    def notional(self) -> Decimal:
        """Traded volume in the quote: quantity x price, as executed."""
        return self.quantity * self.price

    def same_content(self, other: Fill) -> bool:
        """Same fill re-sent (a duplicate) rather than a different fill under a used id.

        Decimals compare by value (`1.0 == 1.00`) and times by instant, so a
        re-send through another client or time zone is still a duplicate.
        """
        return self.normalized() == other.normalized()

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.text("fill_id", self.fill_id, max_length=MAX_SHORT_TEXT)
        check.text("owner", self.owner, max_length=MAX_SHORT_TEXT)
        check.symbol("symbol", self.symbol)
        check.symbol("quote", self.quote)
        if self.symbol and self.symbol == self.quote:
            check.fail("quote", f"must differ from symbol (both {self.symbol})")
        if not isinstance(self.side, Side):
            check.fail("side", f"must be one of buy, sell (got {self.side!r})")
        check.decimal("quantity", self.quantity, required=True, positive=True)
        check.decimal("price", self.price, required=True, positive=True)
        check.decimal("fee", self.fee, required=True, non_negative=True)
        if self.fee_currency:
            check.symbol("fee_currency", self.fee_currency)
        check.decimal("fee_rate_to_quote", self.fee_rate_to_quote, positive=True)
        self._fee_rules(check)
        if self.strategy_id is not None:
            check.text("strategy_id", self.strategy_id, max_length=MAX_SHORT_TEXT)
        check.timestamp("executed_at", self.executed_at, now)
        return check.violations

    def _fee_rules(self, check: RuleCheck) -> None:
        kind = self.fee_kind
        fee_known = self.fee.is_finite() and self.fee > 0
        if kind is FeeKind.THIRD:
            if fee_known and self.fee_rate_to_quote is None:
                check.fail(
                    "fee_rate_to_quote",
                    f"is required for a fee in {self.fee_currency} "
                    f"(neither {self.symbol} nor {self.quote})",
                )
        elif self.fee_rate_to_quote is not None:
            # The rate of the quote is 1 and that of the base is the price: a second
            # figure could only disagree with them.
            check.fail("fee_rate_to_quote", "is only for a fee in a third asset")
        if (
            kind is FeeKind.BASE
            and self.side is Side.BUY
            and fee_known
            and self.quantity.is_finite()
            and self.fee >= self.quantity
        ):
            check.fail(
                "fee",
                f"a fee in {self.symbol} on a buy must be less than the quantity "
                f"({self.fee} >= {self.quantity})",
            )
