"""The NOTIFY payload that carries committed price ticks to every replica.

A payload is a JSON array of ticks, each a compact array
`[symbol, quote, source, observed_at_epoch_us, last, bid, ask, volume_24h]`. Times travel
as integer microseconds since the epoch and decimals as strings, so nothing is rounded
and the session's TimeZone setting cannot change the text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omc.domain.exchange import PriceTick

CHANNEL = "omc_price_ticks"
# Postgres rejects payloads of 8000 bytes or more. A chunk closes once its rows pass
# this many bytes, and one encoded tick is well under 500 bytes (symbols <= 15
# characters, sources <= 64, decimals <= 47), so a chunk stays below the limit.
CHUNK_BYTES = 7_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def tick_json_sql(alias: str) -> str:
    """SQL for one tick's JSON text, reading the columns of `alias`."""
    return (
        f"json_build_array({alias}.symbol, {alias}.quote, {alias}.source, "
        f"(extract(epoch FROM {alias}.observed_at) * 1000000)::bigint, "
        f"{alias}.last::text, {alias}.bid::text, {alias}.ask::text, "
        f"{alias}.volume_24h::text)::text"
    )


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
