"""Marks from the in-memory Exchange ledger, answering like the Postgres adapter."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta

from omc.application.ports import Condition, Op, PageRequest, PriceTickRepository
from omc.application.trading_ports import Book, Mark, MarkField
from omc.domain.exchange import PriceTick

_PAGE = 10_000


class MemoryMarkSource:
    """Reads ticks through the repository's public port, so it works over any of them."""

    def __init__(self, price_ticks: PriceTickRepository) -> None:
        self._ticks = price_ticks

    async def marks_at(
        self, books: Sequence[Book], times: Sequence[datetime], field: MarkField = MarkField.LAST
    ) -> dict[Book, list[Mark]]:
        if not books or not times:
            return {}
        wanted = set(books)
        series: dict[Book, list[tuple[datetime, str, PriceTick]]] = {}
        conditions = [
            Condition("symbol", Op.IN, tuple(sorted({s for s, _q in wanted}))),
            Condition("quote", Op.IN, tuple(sorted({q for _s, q in wanted}))),
            Condition("observed_at", Op.LT, max(times) + timedelta(microseconds=1)),
        ]
        after = None
        while True:
            page = await self._ticks.list(conditions, PageRequest(_PAGE, after))
            for tick in page.items:
                book = (tick.symbol, tick.quote)
                if book in wanted and getattr(tick, field.value) is not None:
                    series.setdefault(book, []).append((tick.observed_at, tick.source, tick))
            if page.next_after is None:
                break
            after = page.next_after
        result: dict[Book, list[Mark]] = {}
        for book, points in series.items():
            # Latest time first, then the first source by name wins the tie.
            points.sort(key=lambda p: (p[0], _inverse(p[1])))
            stamps = [p[0] for p in points]
            chosen: dict[datetime, PriceTick] = {}
            for at in times:
                index = bisect_right(stamps, at)
                if index:
                    tick = points[index - 1][2]
                    chosen[tick.observed_at] = tick
            if chosen:
                result[book] = [Mark(getattr(chosen[t], field.value), t) for t in sorted(chosen)]
        return result


def _inverse(text: str) -> tuple[int, ...]:
    return tuple(-b for b in text.encode())
