"""The NOTIFY payload that carries committed price ticks to every replica.

A payload is a JSON array of ticks, each a compact array
`[symbol, quote, source, observed_at_epoch_us, last, bid, ask, volume_24h]`. Times travel
as integer microseconds since the epoch and decimals as strings, so nothing is rounded
and the session's TimeZone setting cannot change the text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omc.domain.exchange import PriceTick
from omc.domain.tick_columns import CanonicalPriceTicks

CHANNEL = "omc_price_ticks"
# Postgres rejects payloads of 8000 bytes or more. A chunk closes once its rows pass
# this many bytes, and one encoded tick is well under 500 bytes (symbols <= 15
# characters, sources <= 64, decimals <= 47), so a chunk stays below the limit.
CHUNK_BYTES = 7_000
# The hard limit is 8000 bytes including a terminating zero byte.
MAX_PAYLOAD_BYTES = 7_999

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def tick_json_sql(alias: str) -> str:
    """SQL for one tick's JSON text, reading the columns of `alias`."""
    return (
        f"json_build_array({alias}.symbol, {alias}.quote, {alias}.source, "
        f"(extract(epoch FROM {alias}.observed_at) * 1000000)::bigint, "
        f"{alias}.last::text, {alias}.bid::text, {alias}.ask::text, "
        f"{alias}.volume_24h::text)::text"
    )


def encode_ticks(ticks: Sequence[PriceTick]) -> list[str]:
    """Payloads for `ticks`, in order, each within the NOTIFY size limit. Produces the
    same text as `tick_json_sql` does for the stored row."""
    encoded: list[str] = []
    for tick in ticks:
        # Hand-rolled rather than json.dumps per tick: ingest throughput depends on it.
        micros = (tick.observed_at - _EPOCH) // _MICROSECOND
        encoded.append(
            f"[{_string(tick.symbol)},{_string(tick.quote)},{_string(tick.source)},{micros},"
            f"{_number(tick.last)},{_number(tick.bid)},{_number(tick.ask)},"
            f"{_number(tick.volume_24h)}]"
        )
    return json_array_payloads(encoded, [len(text.encode()) for text in encoded])


def encode_canonical_ticks(ticks: CanonicalPriceTicks) -> list[str]:
    """Payloads carrying the same ticks as `encode_ticks(ticks.records())`, each within
    the size limit, built column-wise: canonical values are ASCII letters, digits and
    `_.-` (nothing to escape) and canonical decimal text is what `_number` prints."""
    encoded = [
        f'["{symbol}","{quote}","{source}",{second * 1_000_000 + micros},"{last}",{bid},{ask},'
        f"{volume}]"
        for symbol, quote, source, second, micros, last, bid, ask, volume in zip(
            ticks.symbols,
            ticks.quotes,
            ticks.sources,
            ticks.seconds,
            ticks.micros,
            ticks.lasts,
            _quoted(ticks.bids),
            _quoted(ticks.asks),
            _quoted(ticks.volumes),
            strict=True,
        )
    ]
    if not encoded:
        return []
    # Equal slices sized for the longest tick: no running byte count per tick.
    per_payload = (MAX_PAYLOAD_BYTES - 2) // (max(map(len, encoded)) + 1)
    return [
        "[" + ",".join(encoded[start : start + per_payload]) + "]"
        for start in range(0, len(encoded), per_payload)
    ]


def _quoted(texts: Sequence[str]) -> list[str]:
    return [f'"{text}"' if text else "null" for text in texts]


def json_array_payloads(encoded: Sequence[str], sizes: Sequence[int]) -> list[str]:
    """JSON arrays of the encoded items (`sizes` their UTF-8 lengths), in order, each
    under the NOTIFY size limit."""
    payloads: list[str] = []
    current: list[str] = []
    size = 2  # the brackets
    for item, length in zip(encoded, sizes, strict=True):
        added = length + (1 if current else 0)
        if current and size + added > MAX_PAYLOAD_BYTES:
            payloads.append("[" + ",".join(current) + "]")
            current, size, added = [], 2, added - 1
        current.append(item)
        size += added
    if current:
        payloads.append("[" + ",".join(current) + "]")
    return payloads


def _number(value: Decimal | None) -> str:
    # A JSON string in positional notation, as Postgres prints numeric: "1E-18" would
    # read back equal but not look the same.
    return "null" if value is None else f'"{value:f}"'


_string = json.encoder.encode_basestring_ascii


def decode_ticks(payload: str) -> list[PriceTick]:
    return [
        PriceTick(
            symbol=symbol,
            quote=quote,
            source=source,
            observed_at=_EPOCH + timedelta(microseconds=micros),
            last=Decimal(last),
            bid=_decimal(bid),
            ask=_decimal(ask),
            volume_24h=_decimal(volume),
        )
        for symbol, quote, source, micros, last, bid, ask, volume in json.loads(payload)
    ]


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
