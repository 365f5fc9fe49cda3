"""Watch use cases: live feeds of new price ticks and new catalyst events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager

from omc.application.errors import FieldViolation, InvalidArgument, StreamInterrupted
from omc.application.ports import CatalystEventStream, PriceTickStream
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.rules import SLUG_PATTERN, SYMBOL_PATTERN, normalize_symbol, normalize_symbols

MAX_WATCHED_SYMBOLS = 1_000
MAX_WATCHED_KINDS = 100


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


class WatchCatalystEvents:
    def __init__(self, stream: CatalystEventStream | None) -> None:
        self._stream = stream

    def __call__(
        self, kinds: Sequence[str], symbols: Sequence[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[CatalystEvent]]:
        # Kinds are matched as stored: event types are normalised to lower-case slugs.
        wanted_kinds = tuple(dict.fromkeys(kind.strip().lower() for kind in kinds))
        wanted_symbols = normalize_symbols(symbols)
        violations = [
            FieldViolation(f"kinds[{index}]", f"must match {SLUG_PATTERN.pattern}")
            for index, kind in enumerate(wanted_kinds)
            if not SLUG_PATTERN.fullmatch(kind)
        ]
        if len(wanted_kinds) > MAX_WATCHED_KINDS:
            violations.append(FieldViolation("kinds", f"at most {MAX_WATCHED_KINDS} kinds"))
        violations += [
            FieldViolation(f"symbols[{index}]", f"must match {SYMBOL_PATTERN.pattern}")
            for index, symbol in enumerate(wanted_symbols)
            if not SYMBOL_PATTERN.fullmatch(symbol)
        ]
        if len(wanted_symbols) > MAX_WATCHED_SYMBOLS:
            violations.append(FieldViolation("symbols", f"at most {MAX_WATCHED_SYMBOLS} symbols"))
        if violations:
            raise InvalidArgument(violations)
        if self._stream is None:
            raise StreamInterrupted("no catalyst event feed is wired into this server")
        return self._stream.subscribe(frozenset(wanted_kinds), frozenset(wanted_symbols))
