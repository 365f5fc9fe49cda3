"""In-process fan-out of newly stored catalyst events to WatchCatalystEvents streams.

The memory repository publishes to it on commit; with Postgres the listener does, for
events committed by any replica. It implements the CatalystEventStream port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from omc.application.fanout import DEFAULT_QUEUE_LIMIT, Fanout
from omc.domain.catalyst import CatalystEvent


class CatalystEventFanout(Fanout[CatalystEvent]):
    def __init__(self, queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        super().__init__(queue_limit, noun="catalyst events")

    def subscribe(
        self, kinds: frozenset[str], symbols: frozenset[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[CatalystEvent]]:
        def wants(event: CatalystEvent) -> bool:
            return (not kinds or event.event_type in kinds) and (
                not symbols or not symbols.isdisjoint(event.currencies)
            )

        return self._subscribe(wants)
