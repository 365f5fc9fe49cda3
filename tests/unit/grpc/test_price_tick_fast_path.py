"""The column-wise shortcut for IngestPriceTicks accepts and rejects exactly as the
general path does: same rows stored, same counts, same violations, same announcements.

Batches are drawn from values on both sides of every rule (case, whitespace, digit
limits, exponents, leading zeros, zero prices, bid above ask, times at the earliest and
latest limits, malformed nanos, repeated keys, newlines inside values)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from omc.adapters.grpc import mapping as m
from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.notifications import (
    MAX_PAYLOAD_BYTES,
    decode_ticks,
    encode_canonical_ticks,
)
from omc.application.errors import ValidationError
from omc.application.fanout import PriceTickFanout
from omc.application.ingest import PriceTickIngestor
from omc.application.ports import IngestResult, PageRequest
from omc.domain.exchange import PriceTick
from omc.domain.record import natural_key
from omc.domain.rules import EARLIEST_TIME
from omc.v1 import ledger_pb2 as pb

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOW_S = (NOW - EPOCH) // timedelta(seconds=1)
EARLIEST_S = (EARLIEST_TIME - EPOCH) // timedelta(seconds=1)

SYMBOLS = ["BTC", "ETH", "X1", "A" * 15, "btc", " BTC", "BTC ", "", "A" * 16, "B\nC", "ÉTH"]
QUOTES = ["", "AUD", "USD", "aud", " ", "AUD\n", "A" * 16]
SOURCES = ["coinspot", "kraken", "a_b.c-d", "x" * 64, "CoinSpot", " kraken", "-x", "", "x" * 65]
DECIMALS = [
    "1", "1.50", "0.1", "0.000000000000000001", "9" * 28, "9" * 28 + "." + "9" * 18, "100000",
    "", "0", "0.0", "0.0000000000000000001", "9" * 29, "007", "01.5", "1e3", "1E-18", "-1",
    "+1", " 1", "1 ", "1_0", "NaN", "Infinity", ".5", "5.", "\u0661", "1.5\n2", "1.50\n",
]  # fmt: skip
SECONDS = [
    EARLIEST_S - 1, EARLIEST_S, EARLIEST_S + 1, NOW_S - 60, NOW_S, NOW_S + 299, NOW_S + 300,
    NOW_S + 301, 0, -1, 2**40, 253_402_300_800,
]  # fmt: skip
NANOS = [0, 1, 999, 1_000, 500_000_000, 999_999_999, 1_000_000_000, -1]

ticks = st.builds(
    lambda symbol, quote, source, last, bid, ask, volume, seconds, nanos: pb.PriceTick(
        symbol=symbol,
        quote=quote,
        source=source,
        last=last,
        bid=bid,
        ask=ask,
        volume_24h=volume,
        observed_at={"seconds": seconds, "nanos": nanos},
    ),
    st.sampled_from(SYMBOLS),
    st.sampled_from(QUOTES),
    st.sampled_from(SOURCES),
    st.sampled_from(DECIMALS),
    st.sampled_from(DECIMALS),
    st.sampled_from(DECIMALS),
    st.sampled_from(DECIMALS),
    st.sampled_from(SECONDS),
    st.sampled_from(NANOS),
)
# Mostly-valid batches too, or the shortcut would rarely be exercised at all.
valid_ticks = st.builds(
    lambda symbol, quote, source, prices, volume, seconds, nanos: pb.PriceTick(
        symbol=symbol,
        quote=quote,
        source=source,
        last=prices[0],
        bid=prices[1],
        ask=prices[2],
        volume_24h=volume,
        observed_at={"seconds": seconds, "nanos": nanos},
    ),
    st.sampled_from(SYMBOLS[:4]),
    st.sampled_from(QUOTES[:3]),
    st.sampled_from(SOURCES[:4]),
    st.sampled_from(
        [("1", "", ""), ("1.50", "1.40", "1.60"), ("2", "2", "2"), ("2", "3", "1"), ("5", "", "4")]
    ),
    st.sampled_from(["", "0", "12.5"]),
    st.integers(NOW_S - 3_600, NOW_S),
    st.integers(0, 999_999_999),
)
batches = st.lists(st.one_of(valid_ticks, valid_ticks, ticks), min_size=1, max_size=6)


def general_path(messages: list[pb.PriceTick]) -> list[PriceTick]:
    return [m.price_tick_from_proto(message) for message in messages]


@given(batches)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_shortcut_vouches_only_for_batches_the_rules_accept_unchanged(
    messages: list[pb.PriceTick],
) -> None:
    canonical = m.price_tick_columns_from_proto(messages).canonical(NOW)
    if canonical is None:
        return
    records = [record.normalized() for record in general_path(messages)]
    assert [v for record in records for v in record.violations(NOW)] == []
    assert len({natural_key(record) for record in records}) == len(records)
    assert canonical.records() == records
    payloads = encode_canonical_ticks(canonical)
    assert all(len(payload.encode()) <= MAX_PAYLOAD_BYTES for payload in payloads)
    announced = [tick for payload in payloads for tick in decode_ticks(payload)]
    assert [vars_of(tick) for tick in announced] == [vars_of(tick) for tick in records]


async def outcome(
    messages: list[pb.PriceTick], shortcut: bool
) -> tuple[object, list[tuple[str, ...]], list[PriceTick]]:
    """What ingesting the batch into a fresh memory ledger does: the result or the
    violations, the rows stored (as exact text), the ticks announced."""
    fanout = PriceTickFanout()
    repositories = memory_repositories(fanout)
    ingest = PriceTickIngestor(repositories.price_ticks, FixedClock(NOW), max_batch=5)
    announced: list[PriceTick] = []
    async with fanout.subscribe(frozenset(), None) as stream:
        try:
            if shortcut:
                # Parts of two: repeated keys and bad ticks also across parts.
                result: object = await ingest.columns(
                    m.price_tick_column_parts(messages, rows=2),
                    len(messages),
                    lambda: general_path(messages),
                )
            else:
                result = await ingest(general_path(messages))
        except ValidationError as error:
            result = error.violations
        while True:
            try:
                announced.append(await asyncio.wait_for(anext(stream), 0.001))
            except TimeoutError:
                break
    page = await repositories.price_ticks.list([], PageRequest(100))
    rows = [vars_of(tick) for tick in page.items]
    return result, rows, announced


def vars_of(tick: PriceTick) -> tuple[str, ...]:
    """Every field as exact text: "1.50" and "1.5" are equal decimals, not equal text."""
    return tuple(
        str(value)
        for value in (tick.symbol, tick.quote, tick.source, tick.last, tick.bid, tick.ask,
                      tick.volume_24h, tick.observed_at.isoformat())
    )  # fmt: skip


@given(st.lists(st.one_of(valid_ticks, valid_ticks, ticks), min_size=0, max_size=7))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example([])  # empty: rejected the same way
@example([pb.PriceTick(symbol="BTC", last="1", source="x", observed_at={"seconds": NOW_S})] * 2)
def test_ingest_through_the_shortcut_has_the_general_paths_outcome(
    messages: list[pb.PriceTick],
) -> None:
    async def both() -> None:
        assert await outcome(messages, shortcut=True) == await outcome(messages, shortcut=False)

    asyncio.run(both())


def canonical_batch(count: int) -> list[pb.PriceTick]:
    return [
        pb.PriceTick(
            symbol=f"C{i % 7}",
            quote="" if i % 2 else "USD",
            source="coinspot",
            last="100.50",
            bid="100.49",
            ask="100.51",
            volume_24h="" if i % 3 else "0",
            observed_at={"seconds": NOW_S - i, "nanos": 1_000 * i},
        )
        for i in range(count)
    ]


def test_a_feed_batch_takes_the_shortcut_and_lands_whole() -> None:
    messages = canonical_batch(5)
    canonical = m.price_tick_columns_from_proto(messages).canonical(NOW)
    assert canonical is not None
    assert canonical.quotes == ["USD", "AUD", "USD", "AUD", "USD"]

    result, rows, announced = asyncio.run(outcome(messages, shortcut=True))
    assert result == IngestResult(inserted=5)
    assert len(rows) == len(announced) == 5


def test_anything_the_shortcut_is_unsure_of_goes_the_general_way() -> None:
    def with_first(**changes: object) -> list[pb.PriceTick]:
        messages = canonical_batch(3)
        for name, value in changes.items():
            if name == "seconds":
                messages[0].observed_at.seconds = value  # type: ignore[assignment]
            elif name == "nanos":
                messages[0].observed_at.nanos = value  # type: ignore[assignment]
            else:
                setattr(messages[0], name, value)
        return messages

    unsure = [
        with_first(symbol="btc"),  # valid, but not yet canonical
        with_first(symbol=" C0"),
        with_first(source="CoinSpot"),
        with_first(quote="usd"),
        with_first(last="1e3"),  # valid, in another notation
        with_first(last="0100.50"),
        with_first(last="0"),
        with_first(bid="200", ask="100"),
        with_first(volume_24h="-1"),
        with_first(seconds=NOW_S + 300),  # near the future limit
        with_first(seconds=EARLIEST_S - 1),
        with_first(nanos=1_000_000_000),
        with_first(symbol="C0\nC1"),
        with_first(symbol="C1", quote="AUD", seconds=NOW_S - 1, nanos=1_500),  # key repeats
    ]
    for messages in unsure:
        assert m.price_tick_columns_from_proto(messages).canonical(NOW) is None, messages[0]
    assert m.price_tick_columns_from_proto([]).canonical(NOW) is None


def test_announcements_of_the_longest_ticks_stay_under_the_notify_limit() -> None:
    longest = "9" * 28 + "." + "9" * 18
    messages = [
        pb.PriceTick(
            symbol=f"{i:015d}",
            quote="Q" * 15,
            source="s" * 64,
            last=longest,
            bid=longest,
            ask=longest,
            volume_24h=longest if i % 2 else "",
            observed_at={"seconds": NOW_S - i, "nanos": 999_999_999},
        )
        for i in range(500)
    ]
    canonical = m.price_tick_columns_from_proto(messages).canonical(NOW)
    assert canonical is not None

    payloads = encode_canonical_ticks(canonical)

    assert max(len(payload.encode()) for payload in payloads) <= MAX_PAYLOAD_BYTES
    announced = [tick for payload in payloads for tick in decode_ticks(payload)]
    assert [vars_of(tick) for tick in announced] == [vars_of(t) for t in canonical.records()]
