"""Watch use case: a live feed of new price ticks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager

from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.ports import PriceTickStream
from omc.domain.exchange import PriceTick
from omc.domain.rules import SYMBOL_PATTERN, normalize_symbol, normalize_symbols

MAX_WATCHED_SYMBOLS = 1_000


class WatchPrices:
    def __init__(self, stream: PriceTickStream) -> None:
        self._stream = stream

    def __call__(
        self, symbols: Sequence[str], *, quote: str = ""
    ) -> AbstractAsyncContextManager[AsyncIterator[PriceTick]]:
        wanted = normalize_symbols(symbols)
        quote_value = normalize_symbol(quote) if quote.strip() else None
        violations = [
            FieldViolation(f"symbols[{index}]", f"must match {SYMBOL_PATTERN.pattern}")
            for index, symbol in enumerate(wanted)
            if not SYMBOL_PATTERN.fullmatch(symbol)
        ]
        if len(wanted) > MAX_WATCHED_SYMBOLS:
            violations.append(FieldViolation("symbols", f"at most {MAX_WATCHED_SYMBOLS} symbols"))
        if quote_value is not None and not SYMBOL_PATTERN.fullmatch(quote_value):
            violations.append(FieldViolation("quote", f"must match {SYMBOL_PATTERN.pattern}"))
        if violations:
            raise InvalidArgument(violations)
        return self._stream.subscribe(frozenset(wanted), quote_value)
