"""In-process fan-out of committed records to stream subscribers.

Storage adapters feed it (the memory repository directly, the Postgres listener from
LISTEN/NOTIFY). `Fanout` is the mechanism; PriceTickFanout implements the
PriceTickStream port on it (CatalystEventFanout, in catalyst_fanout, another stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from omc.application.errors import StreamInterrupted, SubscriberTooSlow
from omc.domain.exchange import PriceTick

DEFAULT_QUEUE_LIMIT = 10_000

T = TypeVar("T")


class _End:
    """Queue marker: the stream ends, cleanly (`error` None) or with an error."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error


@dataclass(eq=False)
class _Subscriber(Generic[T]):
    wants: Callable[[T], bool]
    queue: asyncio.Queue[T | _End]
    overflowed: bool = field(default=False)


class Fanout(Generic[T]):
    """Hands each published item to every subscriber that wants it, in publish order.
    `noun` names the items in the error a too slow subscriber ends with."""

    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT, *, noun: str = "items") -> None:
        self._queue_limit = queue_limit
        self._noun = noun
        self._subscribers: set[_Subscriber[T]] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, items: Iterable[T]) -> None:
        """Hand items to every interested subscriber without ever blocking the caller.
        A subscriber whose queue is full is ended with SubscriberTooSlow: a gap in a
        feed must be visible, never silent."""
        for item in items:
            for subscriber in self._subscribers:
                if subscriber.overflowed or not subscriber.wants(item):
                    continue
                try:
                    subscriber.queue.put_nowait(item)
                except asyncio.QueueFull:
                    subscriber.overflowed = True

    @asynccontextmanager
    async def _subscribe(self, wants: Callable[[T], bool]) -> AsyncIterator[AsyncIterator[T]]:
        subscriber = _Subscriber(wants, asyncio.Queue[T | _End](self._queue_limit))
        self._subscribers.add(subscriber)
        try:
            yield self._drain(subscriber)
        finally:
            self._subscribers.discard(subscriber)

    async def _drain(self, subscriber: _Subscriber[T]) -> AsyncIterator[T]:
        while True:
            if subscriber.overflowed and subscriber.queue.empty():
                raise SubscriberTooSlow(
                    f"more than {self._queue_limit} {self._noun} were waiting for this subscriber"
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
        broke, and a silent gap in it is worse than a reconnect."""
        self._end_all(StreamInterrupted(reason))

    def _end_all(self, error: Exception | None) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber.queue.put_nowait(_End(error))
            except asyncio.QueueFull:
                subscriber.overflowed = True


class PriceTickFanout(Fanout[PriceTick]):
    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        super().__init__(queue_limit, noun="ticks")

    def subscribe(
        self, symbols: frozenset[str], quote: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[PriceTick]]:
        def wants(tick: PriceTick) -> bool:
            return (not symbols or tick.symbol in symbols) and (
                quote is None or tick.quote == quote
            )

        return self._subscribe(wants)
