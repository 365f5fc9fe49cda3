"""In-memory fills, behaving like the Postgres adapter (contract-tested)."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from omc.application.ports import IngestResult, Page, PageRequest
from omc.application.trading_ports import Book, FillConflict, FillQuery, HistoryCheck
from omc.domain.trading.fills import Fill
from omc.domain.trading.lots import PreparedFills, event_order, prepare


def _matches(owner: str, fill: Fill, query: FillQuery) -> bool:
    # The owner the fill was stored under, as in Postgres (not the record's own field).
    return (
        owner == query.owner
        and (query.symbol is None or fill.symbol == query.symbol)
        and (query.quote is None or fill.quote == query.quote)
        and (query.strategy_id is None or (fill.strategy_id or "") == query.strategy_id)
        and (query.start is None or fill.executed_at >= query.start)
        and (query.end is None or fill.executed_at < query.end)
    )


class MemoryFillRepository:
    def __init__(self) -> None:
        self._fills: dict[tuple[str, str], Fill] = {}
        # One lock for every owner: batches are short and this store is for tests.
        self._lock = asyncio.Lock()

    async def add_many(
        self, owner: str, fills: Sequence[Fill], check: HistoryCheck | None = None
    ) -> IngestResult:
        async with self._lock:
            fresh: list[Fill] = []
            duplicate = 0
            for fill in fills:
                stored = self._fills.get((owner, fill.fill_id))
                if stored is None:
                    fresh.append(fill)
                elif stored.same_content(fill):
                    duplicate += 1
                else:
                    raise FillConflict(fill.fill_id)
            if check is not None and fresh:
                books = {(fill.symbol, fill.quote) for fill in fresh}
                history = [
                    stored
                    for (who, _id), stored in self._fills.items()
                    if who == owner and (stored.symbol, stored.quote) in books
                ]
                check(history + fresh)
            for fill in fresh:
                self._fills[(owner, fill.fill_id)] = fill
        return IngestResult(inserted=len(fresh), duplicate=duplicate)

    async def list(self, query: FillQuery, page: PageRequest) -> Page[Fill]:
        ordered: builtins.list[Fill] = await self.history(query)
        if page.newest_first:
            ordered.reverse()
        if page.after is not None:
            after: Any = page.after
            ordered = [
                fill
                for fill in ordered
                if (
                    (fill.executed_at, fill.fill_id) < after
                    if page.newest_first
                    else (fill.executed_at, fill.fill_id) > after
                )
            ]
        items = ordered[: page.size]
        more = len(ordered) > page.size
        last = items[-1] if more and items else None
        return Page(items, None if last is None else (last.executed_at, last.fill_id))

    async def history(self, query: FillQuery) -> builtins.list[Fill]:
        return event_order(
            fill for (owner, _id), fill in self._fills.items() if _matches(owner, fill, query)
        )

    async def prepared(self, query: FillQuery) -> PreparedFills:
        return prepare(await self.history(query))

    async def keep_recent(self) -> int:
        return 0  # every history is in memory already

    async def first_fills(self, query: FillQuery) -> dict[Book, datetime]:
        firsts: dict[Book, datetime] = {}
        for (owner, _id), fill in self._fills.items():
            if _matches(owner, fill, query):
                book = (fill.symbol, fill.quote)
                known = firsts.get(book)
                if known is None or fill.executed_at < known:
                    firsts[book] = fill.executed_at
        return firsts
