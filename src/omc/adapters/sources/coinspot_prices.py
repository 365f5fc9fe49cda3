"""CoinSpot public prices: `GET /pubapi/v2/latest` -> PriceTick (Exchange ledger).

Payload: `{"status": "ok", "message": "ok", "prices": {"btc": {"bid": "...", "ask":
"...", "last": "..."}, ...}}`. Coin keys are lower case; numbers come as strings or as
numbers; `message` may be absent; there is no timestamp, so the receive time is the
observation time. `status: "error"` fails the run.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from omc.adapters.sources._parse import BadRecord, as_dict, decimal_or_none, required_decimal
from omc.adapters.sources.http import MalformedPayload, SourceHttp
from omc.application.collection_ports import FetchResult, Rejected, SourceUnavailable, excerpt
from omc.application.ports import Clock
from omc.domain.exchange import PriceTick

NAME = "coinspot_prices"
BASE_URL = "https://www.coinspot.com.au"
PATH = "/pubapi/v2/latest"


def _side(value: Any, field: str) -> Decimal | None:
    # CoinSpot reports "0" for a side with no orders: that is "no quote", not a price.
    number = decimal_or_none(value, field)
    return None if number is None or number == 0 else number


def parse_latest(
    payload: Any, observed_at: datetime, *, source: str = "coinspot", quote: str = "AUD"
) -> FetchResult[PriceTick]:
    if not isinstance(payload, dict):
        raise MalformedPayload(f"{NAME}: expected a JSON object, got {type(payload).__name__}")
    status = str(payload.get("status", "")).lower()
    if status != "ok":
        message = str(payload.get("message") or "no message")[:200]
        raise SourceUnavailable(f"{NAME}: CoinSpot answered status {status!r}: {message}")
    prices = payload.get("prices")
    if not isinstance(prices, dict):
        raise MalformedPayload(f"{NAME}: `prices` missing or not an object")
    result = FetchResult[PriceTick]()
    for coin, raw in prices.items():
        try:
            entry = as_dict(raw, f"prices.{coin}")
            result.records.append(
                PriceTick(
                    symbol=str(coin).upper(),
                    quote=quote,
                    last=required_decimal(entry.get("last"), "last"),
                    bid=_side(entry.get("bid"), "bid"),
                    ask=_side(entry.get("ask"), "ask"),
                    observed_at=observed_at,
                    source=source,
                )
            )
        except BadRecord as error:
            result.rejected.append(Rejected(f"{coin}: {error}", excerpt({coin: raw})))
    return result


class CoinSpotPrices:
    def __init__(
        self, http: SourceHttp, clock: Clock, *, source: str = "coinspot", quote: str = "AUD"
    ) -> None:
        self._http = http
        self._clock = clock
        self._source = source
        self._quote = quote

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None

    async def fetch(self) -> FetchResult[PriceTick]:
        payload = await self._http.get_json(PATH)
        return parse_latest(payload, self._clock.now(), source=self._source, quote=self._quote)
