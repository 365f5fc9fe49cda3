"""The newest price tick per (symbol, quote), held in this process and kept current from
the price tick stream, so that GetLatestPrices costs no database round trip.

Correctness comes before speed. The table answers only while it is primed and the feed
behind the stream is live; at any other time, and for requests filtered by source (it
keeps no per-source entries), the repository answers. Every value it holds was read
from the database or announced after commit, and an entry is replaced only by a newer
tick, so neither a late, older tick nor a re-delivery can overwrite a newer price.
Memory grows with the number of (symbol, quote) series, never with the number of ticks.
See docs/adr/0005-latest-prices-in-process.md.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from omc.application.errors import StorageUnavailable, StreamInterrupted, SubscriberTooSlow
from omc.application.ports import (
    Condition,
    IngestResult,
    Page,
    PageRequest,
    PriceTickRepository,
    PriceTickStream,
    RecordStats,
)
from omc.domain.exchange import PriceTick
from omc.domain.tick_columns import CanonicalPriceTicks

log = logging.getLogger("omc.latest_prices")

EVERY_SYMBOL: frozenset[str] = frozenset()

# Up to this many ticks, an all-new canonical batch goes into the table as sent; above
# it, building the records costs more than reading the batch's series back.
DIRECT_MERGE_LIMIT = 256


class FeedStatus(Protocol):
    def generation(self) -> int | None:
        """None while ticks committed now might not reach the stream's subscribers (the
        feed is down); otherwise a number that changes whenever the feed comes back after
        being down, so ticks missed in between can be noticed. When the feed breaks this
        turns None at once and open subscriptions are interrupted (StreamInterrupted)."""
        ...


class AlwaysLive:
    """The feed of a storage that publishes its own commits in process (memory)."""

    def generation(self) -> int | None:
        return 0


def _newer(tick: PriceTick, than: PriceTick) -> bool:
    # The port's order: newest observation first, a tie on time to the first source by
    # name. Equal keys are the same stored tick: the one held stays.
    if tick.observed_at != than.observed_at:
        return tick.observed_at > than.observed_at
    return tick.source < than.source


class LatestPriceTable:
    """One replica's latest-price table. `start()` runs a task that subscribes to the
    stream, primes the table from the repository and then applies every announced tick;
    when the feed breaks it stops answering and primes again once the feed is back."""

    def __init__(
        self,
        repository: PriceTickRepository,
        stream: PriceTickStream,
        feed: FeedStatus,
        *,
        poll_interval: float = 0.1,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
    ) -> None:
        self._repository = repository
        self._stream = stream
        self._feed = feed
        self._poll_interval = poll_interval
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._by_symbol: dict[str, dict[str, PriceTick]] = {}
        self._symbols_in_order: list[str] | None = None
        self._primed = asyncio.Event()
        # The feed generation the table was primed under: it answers only while unchanged.
        self._generation: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self.primes = 0  # how many times the table was (re)built: observable in tests

    # -- reads ----------------------------------------------------------------------------

    @property
    def serving(self) -> bool:
        """Whether lookups are answered now: primed, and the feed has been live ever since."""
        return self._primed.is_set() and self._feed.generation() == self._generation

    @property
    def series(self) -> int:
        """How many (symbol, quote) entries are held: the table's whole size."""
        return sum(len(quotes) for quotes in self._by_symbol.values())

    def lookup(self, symbols: Sequence[str], quote: str | None) -> list[PriceTick] | None:
        """The newest tick per (symbol, quote) of `symbols` (every symbol when empty),
        ordered by symbol then quote, as the repository would answer; None when the table
        cannot answer and the repository must."""
        if not self._primed.is_set():
            return None
        if self._feed.generation() != self._generation:
            # The feed is down, or was down since the table was primed: ticks may have
            # been missed. Build the table again; meanwhile the repository answers.
            self.invalidate()
            return None
        wanted = sorted(set(symbols)) if symbols else self._every_symbol()
        found: list[PriceTick] = []
        for symbol in wanted:
            quotes = self._by_symbol.get(symbol)
            if not quotes:
                continue
            if quote is not None:
                held = quotes.get(quote)
                if held is not None:
                    found.append(held)
            elif len(quotes) == 1:
                found.extend(quotes.values())
            else:
                found.extend(quotes[name] for name in sorted(quotes))
        return found

    async def wait_primed(self) -> None:
        await self._primed.wait()

    # -- writes ---------------------------------------------------------------------------

    def merge(self, ticks: Iterable[PriceTick]) -> None:
        """Keeps the newer of each held tick and each given one. Only ticks that are
        stored (read back, or announced after commit) may be given."""
        for tick in ticks:
            quotes = self._by_symbol.get(tick.symbol)
            if quotes is None:
                self._by_symbol[tick.symbol] = {tick.quote: tick}
                self._symbols_in_order = None
                continue
            held = quotes.get(tick.quote)
            if held is None or _newer(tick, held):
                quotes[tick.quote] = tick

    async def refresh(self, symbols: Sequence[str]) -> None:
        """Reads the newest stored ticks of `symbols` into the table: called after a
        commit on this replica so its own writes are visible before the announcement
        comes back. When that read fails the table stops answering until primed again,
        rather than miss what was just written."""
        try:
            self.merge(await self._repository.latest(symbols, None, None))
        except StorageUnavailable:
            log.warning("latest prices: reading back a commit failed; re-priming")
            self.invalidate()

    def invalidate(self) -> None:
        """Stops answering now and builds the table again from the repository."""
        self._primed.clear()
        if self._task is not None:
            self._retire(self._task)
            self._task = asyncio.create_task(self._maintain(), name="omc-latest-prices")

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Starts maintaining the table; it answers once primed (`wait_primed()`)."""
        if self._task is None:
            self._task = asyncio.create_task(self._maintain(), name="omc-latest-prices")

    async def stop(self) -> None:
        self._primed.clear()
        task, self._task = self._task, None
        if task is not None:
            self._retire(task)
        for retiring in list(self._retiring):
            with contextlib.suppress(asyncio.CancelledError):
                await retiring

    def _retire(self, task: asyncio.Task[None]) -> None:
        task.cancel()
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _maintain(self) -> None:
        backoff = self._initial_backoff
        while True:
            self._primed.clear()
            if self._feed.generation() is None:
                await asyncio.sleep(self._poll_interval)
                continue
            try:
                await self._prime_and_follow()
            except (StreamInterrupted, SubscriberTooSlow) as error:
                log.info("latest prices: the feed broke (%s); re-priming once it is back", error)
                backoff = self._initial_backoff
            except StorageUnavailable:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            except Exception:
                # The table must never die silently: reads fall back meanwhile.
                log.exception("latest prices: maintaining the table failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _prime_and_follow(self) -> None:
        async with self._stream.subscribe(EVERY_SYMBOL, None) as ticks:
            # Subscribed first, then read: a tick committed after the read's snapshot is
            # announced to us, one committed before it is in the snapshot, and merging
            # both (in any order) ends at the newest.
            generation = self._feed.generation()
            if generation is None:
                return
            self._by_symbol.clear()
            self._symbols_in_order = None
            self.merge(await self._repository.latest((), None, None))
            self._generation = generation
            self._primed.set()
            self.primes += 1
            async for tick in ticks:
                self.merge((tick,))

    def _every_symbol(self) -> list[str]:
        if self._symbols_in_order is None:
            self._symbols_in_order = sorted(self._by_symbol)
        return self._symbols_in_order


class CachedPriceTickRepository(PriceTickRepository):
    """A PriceTickRepository whose `latest()` the table answers when it can, and whose
    commits are read back into the table before `add_many` returns."""

    def __init__(self, inner: PriceTickRepository, table: LatestPriceTable) -> None:
        self._inner = inner
        self._table = table

    @property
    def table(self) -> LatestPriceTable:
        return self._table

    async def add_many(self, records: Sequence[PriceTick]) -> IngestResult:
        result = await self._inner.add_many(records)
        if result.inserted or result.updated:
            await self._table.refresh(list(dict.fromkeys(tick.symbol for tick in records)))
        return result

    async def add_canonical(self, parts: Iterable[CanonicalPriceTicks], count: int) -> IngestResult:
        symbols: dict[str, None] = {}
        kept: list[CanonicalPriceTicks] = []
        keep = count <= DIRECT_MERGE_LIMIT

        def noting_symbols() -> Iterator[CanonicalPriceTicks]:
            for part in parts:
                symbols.update(dict.fromkeys(part.symbols))
                if keep:
                    kept.append(part)
                yield part

        result = await self._inner.add_canonical(noting_symbols(), count)
        if keep and result.inserted == count:
            # Every tick was new and canonical text is stored exactly as sent, so these
            # records ARE what a read-back would return: a one-tick batch skips the extra
            # round trip (it doubled small batches' latency).
            self._table.merge(tick for part in kept for tick in part.records())
        elif result.inserted or result.updated:
            await self._table.refresh(list(symbols))
        return result

    async def list(self, conditions: Sequence[Condition], page: PageRequest) -> Page[PriceTick]:
        return await self._inner.list(conditions, page)

    async def stats(self) -> RecordStats:
        return await self._inner.stats()

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> builtins.list[PriceTick]:
        if source is None:
            held = self._table.lookup(symbols, quote)
            if held is not None:
                return held
        return await self._inner.latest(symbols, quote, source)
