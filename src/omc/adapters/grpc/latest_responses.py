"""GetLatestPrices responses, built once per set of tick objects.

The latest-price table hands out the very same PriceTick objects until a newer tick
replaces one, and turning 50 ticks into protobuf costs several times the lookup itself.
So the servicer keeps, per request, the last response with the ticks it was built from,
and returns it again while the use case answers with those same objects (identity, not
equality: ticks are immutable, and a replacing tick is a new object). A response that
differs still reuses each tick's message. Both memos are bounded; answers read from the
database are new objects every time and simply miss.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from omc.adapters.grpc.mapping import price_tick_to_proto
from omc.domain.exchange import PriceTick
from omc.v1 import ledger_pb2 as pb

DEFAULT_MAX_HELD = 20_000

RequestKey = tuple[tuple[str, ...], str, str]


class LatestPricesResponses:
    def __init__(self, max_held: int = DEFAULT_MAX_HELD) -> None:
        """`max_held` bounds each memo: ticks (and requested symbols) held by the
        response memo, and tick messages held by the per-tick memo. A full memo is
        emptied and refills with what is asked for now."""
        self._max_held = max_held
        self._responses: dict[RequestKey, tuple[Sequence[PriceTick], pb.GetLatestPricesResponse]]
        self._responses = {}
        self._response_weight = 0
        self._messages: dict[int, tuple[PriceTick, pb.PriceTick]] = {}

    @property
    def held(self) -> int:
        """How many ticks and symbols both memos hold now: at most twice `max_held`."""
        return self._response_weight + len(self._messages)

    def response(
        self, request: pb.GetLatestPricesRequest, ticks: Sequence[PriceTick]
    ) -> pb.GetLatestPricesResponse:
        """The response for `request` answered with `ticks`."""
        key = (tuple(request.symbols), request.quote, request.source)
        held = self._responses.get(key)
        if (
            held is not None
            and len(held[0]) == len(ticks)
            and all(map(operator.is_, held[0], ticks))
        ):
            return held[1]
        response = pb.GetLatestPricesResponse(ticks=[self._message(tick) for tick in ticks])
        weight = len(ticks) + len(key[0])
        if weight <= self._max_held:
            if held is not None:
                self._response_weight -= len(held[0]) + len(key[0])
            if self._response_weight + weight > self._max_held:
                self._responses.clear()
                self._response_weight = 0
            self._responses[key] = (ticks, response)
            self._response_weight += weight
        return response

    def _message(self, tick: PriceTick) -> pb.PriceTick:
        # Keyed by id() with the tick itself held, so the id cannot be reused meanwhile.
        held = self._messages.get(id(tick))
        if held is not None and held[0] is tick:
            return held[1]
        message = price_tick_to_proto(tick)
        if len(self._messages) >= self._max_held:
            self._messages.clear()
        self._messages[id(tick)] = (tick, message)
        return message
