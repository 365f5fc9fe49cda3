"""Read use cases over the ledgers: paged listings, latest prices, statistics."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.paging import (
    MAX_PAGE_SIZE,
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import (
    Condition,
    LedgerRepositories,
    PageRequest,
    PriceTickRepository,
    RecordRepository,
    RecordStats,
)
from omc.domain.exchange import PriceTick
from omc.domain.rules import SLUG_PATTERN, SYMBOL_PATTERN, normalize_symbol, normalize_symbols

R = TypeVar("R")

MAX_LATEST_SYMBOLS = 1_000


class RecordFilter(Protocol):
    def conditions(self) -> tuple[Condition, ...]: ...


@dataclass(frozen=True, slots=True)
class ListResult(Generic[R]):
    items: list[R]
    next_page_token: str


class RecordLister(Generic[R]):
    """Lists one record type with AIP-158 paging bound to the filter."""

    def __init__(
        self, repository: RecordRepository[R], *, record_type: str, max_page_size: int
    ) -> None:
        self._repository = repository
        self._record_type = record_type
        self._max_page_size = max_page_size

    async def __call__(
        self,
        record_filter: RecordFilter,
        *,
        page_size: int = 0,
        page_token: str = "",
        newest_first: bool = False,
    ) -> ListResult[R]:
        violations: list[FieldViolation] = []
        conditions: tuple[Condition, ...] = ()
        size = 0
        try:
            conditions = record_filter.conditions()
        except InvalidArgument as error:
            violations.extend(error.violations)
        try:
            size = effective_page_size(page_size, maximum=self._max_page_size)
        except InvalidArgument as error:
            violations.extend(error.violations)
        if violations:
            raise InvalidArgument(violations)
        fingerprint = filter_fingerprint(self._record_type, conditions, newest_first)
        after = decode_page_token(page_token, fingerprint)
        page = await self._repository.list(
            conditions, PageRequest(size=size, after=after, newest_first=newest_first)
        )
        token = encode_page_token(fingerprint, page.next_after) if page.next_after else ""
        return ListResult(page.items, token)


class LatestPrices:
    """The newest tick per symbol (and quote), optionally for one quote or source."""

    def __init__(self, repository: PriceTickRepository) -> None:
        self._repository = repository

    async def __call__(
        self, symbols: Sequence[str], *, quote: str = "", source: str = ""
    ) -> list[PriceTick]:
        wanted = normalize_symbols(symbols)
        quote_value = normalize_symbol(quote) if quote.strip() else None
        source_value = source.strip().lower() or None
        violations = [
            FieldViolation(f"symbols[{index}]", f"must match {SYMBOL_PATTERN.pattern}")
            for index, symbol in enumerate(wanted)
            if not SYMBOL_PATTERN.fullmatch(symbol)
        ]
        if len(wanted) > MAX_LATEST_SYMBOLS:
            violations.append(FieldViolation("symbols", f"at most {MAX_LATEST_SYMBOLS} symbols"))
        if quote_value is not None and not SYMBOL_PATTERN.fullmatch(quote_value):
            violations.append(FieldViolation("quote", f"must match {SYMBOL_PATTERN.pattern}"))
        if source_value is not None and not SLUG_PATTERN.fullmatch(source_value):
            violations.append(FieldViolation("source", "is not a valid source name"))
        if violations:
            raise InvalidArgument(violations)
        return await self._repository.latest(wanted, quote_value, source_value)


class LedgerStatistics:
    """Per record type: how many rows, and the earliest and latest record time."""

    def __init__(self, repositories: LedgerRepositories) -> None:
        self._repositories = repositories

    async def __call__(self) -> list[RecordStats]:
        return list(await asyncio.gather(*(r.stats() for r in self._repositories.every())))


__all__ = ["MAX_PAGE_SIZE", "LatestPrices", "LedgerStatistics", "ListResult", "RecordLister"]
