"""Exchange ledger: prices observed on exchanges."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from omc.domain.record import Ledger
from omc.domain.rules import MAX_SHORT_TEXT, RuleCheck, normalize_symbol, to_utc
from omc.domain.violations import FieldViolation

DEFAULT_QUOTE = "AUD"


@dataclass(frozen=True, slots=True)
class PriceTick:
    """One observation of an exchange's price for `symbol` in `quote`."""

    symbol: str
    last: Decimal
    observed_at: datetime
    source: str
    quote: str = DEFAULT_QUOTE
    bid: Decimal | None = None
    ask: Decimal | None = None
    volume_24h: Decimal | None = None

    ledger: ClassVar[Ledger] = Ledger.EXCHANGE
    TIME_FIELD: ClassVar[str] = "observed_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("source", "symbol", "quote", "observed_at")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("observed_at", "symbol", "quote", "source")

    def normalized(self) -> PriceTick:
        symbol = normalize_symbol(self.symbol)
        quote = normalize_symbol(self.quote) or DEFAULT_QUOTE
        source = self.source.strip().lower()
        observed_at = to_utc(self.observed_at)
        # Most ticks arrive canonical already; skipping the copy matters on bulk ingest.
        if (
            symbol == self.symbol
            and quote == self.quote
            and source == self.source
            and observed_at is self.observed_at
        ):
            return self
        return replace(self, symbol=symbol, quote=quote, source=source, observed_at=observed_at)

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.symbol("symbol", self.symbol)
        check.symbol("quote", self.quote)
        check.slug("source", self.source)
        check.decimal("last", self.last, required=True, positive=True)
        check.decimal("bid", self.bid, positive=True)
        check.decimal("ask", self.ask, positive=True)
        check.decimal("volume_24h", self.volume_24h, non_negative=True)
        if (
            self.bid is not None
            and self.ask is not None
            and self.bid.is_finite()
            and self.ask.is_finite()
            and self.bid > self.ask
        ):
            check.fail("bid", f"must not exceed ask (bid {self.bid} > ask {self.ask})")
        check.timestamp("observed_at", self.observed_at, now)
        check.text("source", self.source, max_length=MAX_SHORT_TEXT)
        return check.violations
