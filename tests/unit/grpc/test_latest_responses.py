"""GetLatestPrices responses are reused only while the very same tick objects answer."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from omc.adapters.grpc.latest_responses import LatestPricesResponses
from omc.adapters.grpc.mapping import price_tick_to_proto
from omc.v1 import ledger_pb2 as pb
from tests.support.records import tick


def fresh(ticks: list) -> pb.GetLatestPricesResponse:  # type: ignore[type-arg]
    return pb.GetLatestPricesResponse(ticks=[price_tick_to_proto(t) for t in ticks])


def test_the_same_ticks_give_the_same_response_as_a_fresh_mapping() -> None:
    responses = LatestPricesResponses()
    request = pb.GetLatestPricesRequest(symbols=["BTC", "ETH"])
    ticks = [tick("BTC", 1, last="1.50", bid="1.40"), tick("ETH", 2, volume="0")]

    first = responses.response(request, ticks)
    again = responses.response(request, list(ticks))

    assert first == fresh(ticks)
    assert again is first


def test_a_replaced_tick_gives_a_new_response_even_when_equal() -> None:
    responses = LatestPricesResponses()
    request = pb.GetLatestPricesRequest(symbols=["BTC"])
    old = tick("BTC", 1, last="1")
    first = responses.response(request, [old])

    newer = tick("BTC", 2, last="2")
    assert responses.response(request, [newer]) == fresh([newer])
    # An equal but distinct object (as a database read returns) is not trusted either.
    twin = dataclasses.replace(newer)
    assert responses.response(request, [twin]) is not first
    assert responses.response(request, [twin]) == fresh([newer])
    assert responses.response(request, []) == pb.GetLatestPricesResponse()


def test_requests_differing_in_quote_or_source_do_not_share_a_response() -> None:
    responses = LatestPricesResponses()
    ticks = [tick("BTC", 1)]
    every = responses.response(pb.GetLatestPricesRequest(symbols=["BTC"]), ticks)
    usd = pb.GetLatestPricesRequest(symbols=["BTC"], quote="USD")

    assert responses.response(usd, []) == pb.GetLatestPricesResponse()
    assert responses.response(pb.GetLatestPricesRequest(symbols=["BTC"]), ticks) is every


def test_the_memos_stay_within_their_bound() -> None:
    responses = LatestPricesResponses(max_held=10)
    for number in range(100):
        symbol = f"S{number}"
        ticks = [tick(symbol, minute, last=str(Decimal(minute + 1))) for minute in range(3)]
        request = pb.GetLatestPricesRequest(symbols=[symbol])
        assert responses.response(request, ticks) == fresh(ticks)
        assert responses.held <= 20
    big = [tick(f"B{n}") for n in range(20)]
    assert responses.response(pb.GetLatestPricesRequest(), big) == fresh(big)
