"""In-process fan-out of committed price ticks to stream subscribers.

Storage adapters feed it (the memory repository directly, the Postgres listener from
LISTEN/NOTIFY); it implements the PriceTickStream port for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from omc.application.errors import StreamInterrupted, SubscriberTooSlow
from omc.domain.exchange import PriceTick

DEFAULT_QUEUE_LIMIT = 10_000


class _End:
    """Queue marker: the stream ends, cleanly (`error` None) or with an error."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error


@dataclass(eq=False)
class _Subscriber:
    symbols: frozenset[str]
    quote: str | None
    queue: asyncio.Queue[PriceTick | _End]
    overflowed: bool = field(default=False)

    def wants(self, tick: PriceTick) -> bool:
        return (not self.symbols or tick.symbol in self.symbols) and (
            self.quote is None or tick.quote == self.quote
        )


class PriceTickFanout:
    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self._queue_limit = queue_limit
        self._subscribers: set[_Subscriber] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, ticks: Iterable[PriceTick]) -> None:
        """Hand ticks to every interested subscriber without ever blocking the caller.
        A subscriber whose queue is full is ended with SubscriberTooSlow: a gap in a price
        feed must be visible, never silent."""
        for tick in ticks:
            for subscriber in self._subscribers:
                if subscriber.overflowed or not subscriber.wants(tick):
                    continue
                try:
                    subscriber.queue.put_nowait(tick)
                except asyncio.QueueFull:
                    subscriber.overflowed = True

    @asynccontextmanager
    async def subscribe(
        self, symbols: frozenset[str], quote: str | None
    ) -> AsyncIterator[AsyncIterator[PriceTick]]:
        subscriber = _Subscriber(symbols, quote, asyncio.Queue(self._queue_limit))
        self._subscribers.add(subscriber)
        try:
            yield self._drain(subscriber)
        finally:
            self._subscribers.discard(subscriber)

    async def _drain(self, subscriber: _Subscriber) -> AsyncIterator[PriceTick]:
        while True:
            if subscriber.overflowed and subscriber.queue.empty():
                raise SubscriberTooSlow(
                    f"more than {self._queue_limit} ticks were waiting for this subscriber"
                )
            item = await subscriber.queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def close(self) -> None:
        """End every subscription cleanly (server shutdown)."""
        self._end_all(None)

    def interrupt(self, reason: str) -> None:
        """End every current subscription with StreamInterrupted: the feed behind them
        broke, and a silent gap in prices is worse than a reconnect."""
        self._end_all(StreamInterrupted(reason))

    def _end_all(self, error: Exception | None) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber.queue.put_nowait(_End(error))
            except asyncio.QueueFull:
                subscriber.overflowed = True
