"""Ports of the trading books: the fills (source of truth) and the marks (Exchange prices).

Adapters: omc.adapters.memory.fills/marks and omc.adapters.postgres.fills/marks; the
contract suites in tests/contract hold both to the same behaviour.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from omc.application.errors import AlreadyExists
from omc.application.ports import IngestResult, Page, PageRequest
from omc.domain.trading.fills import Fill
from omc.domain.trading.lots import PreparedFills

Book = tuple[str, str]  # (symbol, quote)
# Called with the owner's stored fills of the books a batch touches plus the batch, in
# no particular order, while the owner's books are locked; raising aborts the batch.
HistoryCheck = Callable[[list[Fill]], None]


class FillConflict(AlreadyExists):
    """The owner already has a fill with this id and different content."""

    def __init__(self, fill_id: str) -> None:
        super().__init__(
            f"fill {fill_id!r} already exists with different content; "
            "a fill id can only be re-sent unchanged",
            subject=fill_id,
            subject_field="fill_id",
        )
        self.fill_id = fill_id


@dataclass(frozen=True, slots=True)
class FillQuery:
    """Fills of one owner; every other field narrows (None: no filter).

    `strategy_id=""` selects the fills without a strategy. [start, end) on executed_at.
    """

    owner: str
    symbol: str | None = None
    quote: str | None = None
    strategy_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class FillRepository(Protocol):
    async def add_many(
        self, owner: str, fills: Sequence[Fill], check: HistoryCheck | None = None
    ) -> IngestResult:
        """Stores normalized, valid fills of `owner` (distinct fill ids) atomically.

        A fill whose id is stored with the same content is a duplicate; with other
        content the whole batch fails with FillConflict naming the first such fill.
        Batches of one owner are serialized (also across replicas): `check` sees the
        history exactly as it will be once the batch lands, and whatever it raises
        propagates with nothing written.
        """
        ...

    async def list(self, query: FillQuery, page: PageRequest) -> Page[Fill]:
        """One keyset page in event order (executed_at, fill_id); `page.after` is that
        pair. newest_first reverses the order."""
        ...

    async def history(self, query: FillQuery) -> builtins.list[Fill]:
        """Every matching fill in event order: the input of the lot engine, so it must
        be fast for hundreds of thousands of fills."""
        ...

    async def prepared(self, query: FillQuery) -> PreparedFills:
        """The matching fills as the lot engine's input, equal to `prepare(history(query))`
        (same rows, books, fees, volumes, times, ids and strategies), possibly without
        the Fill records: what PnL reads, so it must be fast for hundreds of thousands.
        An adapter may keep histories between calls, but every batch committed before
        the call (through any replica) is in the answer, and only `query.owner`'s."""
        ...

    async def keep_recent(self) -> int:
        """Reads ahead the whole histories of the owners who wrote most recently, newest
        first, while the histories this adapter keeps between calls have room: a
        replica just started then answers their first PnL call without a whole read.
        The number of owners read; 0 for an adapter that keeps nothing between calls
        (or always has everything at hand)."""
        ...

    async def first_fills(self, query: FillQuery) -> dict[Book, datetime]:
        """When each book (symbol, quote) with a fill matching `query` had its first:
        what marks a PnL curve needs, known before the history is read (an index probe
        per book). Equal to the first time per book of `history(query)`."""
        ...


class MarkField(StrEnum):
    LAST = "last"
    BID = "bid"


@dataclass(frozen=True, slots=True)
class Mark:
    price: Decimal
    observed_at: datetime


class MarkSource(Protocol):
    async def marks_at(
        self, books: Sequence[Book], times: Sequence[datetime], field: MarkField = MarkField.LAST
    ) -> dict[Book, list[Mark]]:
        """For every book and every time, the latest price tick observed at or before
        that time (ties on time: the first source by name), as the distinct ticks found
        per book, oldest first. Ticks without the field (a missing bid) are skipped.
        A book without any such tick is absent. One round trip whatever the counts.
        """
        ...
