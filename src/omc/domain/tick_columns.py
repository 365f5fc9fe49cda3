"""Bulk price ticks column by column: a batch checked with a few passes over whole
columns instead of one record and one RuleCheck per tick.

`PriceTickColumns.canonical` is a conservative shortcut through the PriceTick rules: it
answers only for batches that are certainly valid, already in canonical form and free of
repeated keys, which is what feeds and collectors send. Anything else (a lower-case
symbol, "1e3", a bid above the ask, a time near a limit, a repeated key) gets None, and
the caller takes the general path, which normalises, reports every violation and
collapses repeats. So the shortcut can never change an outcome, only its cost; a
property test holds it to that (tests/unit/grpc/test_price_tick_fast_path.py).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import gt

from omc.domain.exchange import DEFAULT_QUOTE, PriceTick
from omc.domain.rules import (
    EARLIEST_TIME,
    MAX_FRACTION_DIGITS,
    MAX_FUTURE_SKEW,
    MAX_INTEGER_DIGITS,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_SECONDS = (EARLIEST_TIME - _EPOCH) // timedelta(seconds=1)
_NANOS_PER_SECOND = 1_000_000_000

# Each value alone, ASCII only (`\d` would take other scripts' digits). Symbols and
# sources must already be in the form normalisation gives them; quotes may be empty (the
# default quote). Decimals are plain positional text without leading zeros, within the
# digit limits, so the text is exactly what Postgres and `format(value, "f")` print.
_SYMBOL = r"[A-Z0-9]{1,15}"
_QUOTE = r"[A-Z0-9]{0,15}"
_SOURCE = r"[a-z0-9][a-z0-9_.-]{0,63}"
_INTEGER = rf"(?:0|[1-9][0-9]{{0,{MAX_INTEGER_DIGITS - 1}}})"
_UNSIGNED = rf"{_INTEGER}(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?"
_POSITIVE = rf"(?=[0-9.]*[1-9]){_UNSIGNED}"


def _column(value: str) -> re.Pattern[str]:
    """Whole columns joined by newlines, matched in one C-level pass."""
    return re.compile(rf"{value}(?:\n{value})*")


_SYMBOLS = _column(_SYMBOL)
_QUOTES = _column(_QUOTE)
_SOURCES = _column(_SOURCE)
_PRICES = _column(_POSITIVE)
_OPTIONAL_PRICES = _column(f"(?:{_POSITIVE})?")
_OPTIONAL_AMOUNTS = _column(f"(?:{_UNSIGNED})?")


@dataclass(frozen=True, slots=True)
class PriceTickColumns:
    """A batch of price ticks as they arrive: one sequence per field, index i of each
    being tick i. Decimals are text ("" for an absent optional one), times whole seconds
    and nanoseconds since the Unix epoch."""

    symbols: Sequence[str]
    quotes: Sequence[str]
    sources: Sequence[str]
    lasts: Sequence[str]
    bids: Sequence[str]
    asks: Sequence[str]
    volumes: Sequence[str]
    seconds: Sequence[int]
    nanos: Sequence[int]

    def __len__(self) -> int:
        return len(self.symbols)

    def canonical(
        self, now: datetime, seen_keys: set[tuple[Hashable, ...]] | None = None
    ) -> CanonicalPriceTicks | None:
        """The batch in canonical form when every tick is certainly valid at `now`,
        already normalised, and no natural key repeats (nor is in `seen_keys`, which
        then gains this batch's keys: a batch checked in parts); otherwise None (not
        certain)."""
        count = len(self.symbols)
        if count == 0 or not (
            _all_match(_SYMBOLS, self.symbols, count)
            and _all_match(_QUOTES, self.quotes, count)
            and _all_match(_SOURCES, self.sources, count)
            and _all_match(_PRICES, self.lasts, count)
            and _all_match(_OPTIONAL_PRICES, self.bids, count)
            and _all_match(_OPTIONAL_PRICES, self.asks, count)
            and _all_match(_OPTIONAL_AMOUNTS, self.volumes, count)
            and len(self.seconds) == count == len(self.nanos)
        ):
            return None
        # Whole seconds strictly below this leave the tick no later than now + skew.
        latest = (now + MAX_FUTURE_SKEW - _EPOCH) // timedelta(seconds=1)
        if not (
            min(self.nanos) >= 0
            and max(self.nanos) < _NANOS_PER_SECOND
            and min(self.seconds) >= _EARLIEST_SECONDS
            and max(self.seconds) < latest
        ):
            return None
        if _bid_above_ask(self.bids, self.asks):
            return None
        quotes = (
            [quote or DEFAULT_QUOTE for quote in self.quotes]
            if "" in self.quotes
            else list(self.quotes)
        )
        micros = [nanos // 1_000 for nanos in self.nanos]
        keys = set(zip(self.sources, self.symbols, quotes, self.seconds, micros, strict=True))
        if len(keys) != count:
            return None
        if seen_keys is not None:
            if not seen_keys.isdisjoint(keys):
                return None
            seen_keys |= keys
        return CanonicalPriceTicks(
            symbols=self.symbols,
            quotes=quotes,
            sources=self.sources,
            lasts=self.lasts,
            bids=self.bids,
            asks=self.asks,
            volumes=self.volumes,
            seconds=self.seconds,
            micros=micros,
        )


@dataclass(frozen=True, slots=True)
class CanonicalPriceTicks:
    """Valid ticks in canonical form with distinct keys, column by column, in batch
    order: what `records()` returns, without building the records. Decimals are their
    canonical text ("" when absent), times whole seconds since the epoch plus
    microseconds within the second."""

    symbols: Sequence[str]
    quotes: Sequence[str]
    sources: Sequence[str]
    lasts: Sequence[str]
    bids: Sequence[str]
    asks: Sequence[str]
    volumes: Sequence[str]
    seconds: Sequence[int]
    micros: Sequence[int]

    def __len__(self) -> int:
        return len(self.symbols)

    def records(self) -> list[PriceTick]:
        return [
            PriceTick(
                symbol=symbol,
                quote=quote,
                source=source,
                last=Decimal(last),
                bid=Decimal(bid) if bid else None,
                ask=Decimal(ask) if ask else None,
                volume_24h=Decimal(volume) if volume else None,
                observed_at=_EPOCH + timedelta(seconds=seconds, microseconds=micros),
            )
            for symbol, quote, source, last, bid, ask, volume, seconds, micros in zip(
                self.symbols,
                self.quotes,
                self.sources,
                self.lasts,
                self.bids,
                self.asks,
                self.volumes,
                self.seconds,
                self.micros,
                strict=True,
            )
        ]


def _all_match(pattern: re.Pattern[str], values: Sequence[str], count: int) -> bool:
    joined = "\n".join(values)
    # A newline inside a value would shift the columns: the count rules it out.
    return joined.count("\n") == count - 1 and pattern.fullmatch(joined) is not None


def _bid_above_ask(bids: Sequence[str], asks: Sequence[str]) -> bool:
    if "" not in bids and "" not in asks:
        return any(map(gt, map(Decimal, bids), map(Decimal, asks)))
    return any(
        Decimal(bid) > Decimal(ask) for bid, ask in zip(bids, asks, strict=True) if bid and ask
    )
