"""DefiLlama protocol figures -> ProtocolMetric (Glass ledger), one row per protocol per
UTC day, updated in place as the day goes on.

- TVL: `GET /protocol/{slug}`. The top-level `tvl` series is DefiLlama's headline TVL
  (staking, borrowed and pool2 excluded); its latest point is used. When it is absent,
  the latest point of every `chainTvls` entry is summed, skipping the `-staking`,
  `-borrowed`, `-pool2` (and similar) keys, which would count deposits twice.
- Fees: `GET /summary/fees/{slug}` (`total24h`); revenue: the same with
  `dataType=dailyRevenue`. Many protocols have no fees page: a failing fees or revenue
  call leaves those figures empty and still stores the TVL.

A slug whose TVL call fails is a reject, so one broken protocol does not fail the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from omc.adapters.sources._parse import BadRecord, as_list, decimal_or_none
from omc.adapters.sources.http import SourceHttp
from omc.adapters.sources.options import DEFAULT_PROTOCOLS
from omc.application.collection_ports import FetchResult, Rejected, SourceUnavailable, excerpt
from omc.application.ports import Clock
from omc.domain.glass import ProtocolMetric

NAME = "defillama_protocols"
BASE_URL = "https://api.llama.fi"
# Chain keys that are not part of headline TVL.
EXCLUDED_TVL_PARTS = ("staking", "borrowed", "pool2", "vesting", "offers", "treasury")


def _excluded(chain_key: str) -> bool:
    part = chain_key.rsplit("-", 1)[-1].lower()
    return part in EXCLUDED_TVL_PARTS


def _latest_point(series: Any, what: str) -> Decimal | None:
    points = as_list(series, what)
    best: tuple[float, Decimal] | None = None
    for point in points:
        if not isinstance(point, dict):
            continue
        date = point.get("date")
        value = decimal_or_none(point.get("totalLiquidityUSD"), f"{what}.totalLiquidityUSD")
        if isinstance(date, int | float) and value is not None and (best is None or date > best[0]):
            best = (float(date), value)
    return None if best is None else best[1]


def latest_tvl(protocol: dict[str, Any]) -> Decimal | None:
    if protocol.get("tvl"):
        return _latest_point(protocol["tvl"], "tvl")
    chains = protocol.get("chainTvls")
    if isinstance(chains, dict) and chains:
        total = Decimal(0)
        found = False
        for key, chain in chains.items():
            if _excluded(key) or not isinstance(chain, dict) or "tvl" not in chain:
                continue
            value = _latest_point(chain["tvl"], f"chainTvls.{key}.tvl")
            if value is not None:
                total += value
                found = True
        if found:
            return total
    current = protocol.get("currentChainTvls")
    if isinstance(current, dict) and current:
        values = [
            decimal_or_none(v, f"currentChainTvls.{k}")
            for k, v in current.items()
            if not _excluded(k)
        ]
        present = [v for v in values if v is not None]
        return sum(present, Decimal(0)) if present else None
    return None


def total_24h(summary: Any) -> Decimal | None:
    if not isinstance(summary, dict):
        return None
    return decimal_or_none(summary.get("total24h"), "total24h")


def build_metric(
    slug: str,
    protocol: Any,
    fees: Any,
    revenue: Any,
    observed_at: datetime,
    *,
    source: str = "defillama",
) -> ProtocolMetric:
    if not isinstance(protocol, dict):
        raise BadRecord("protocol: expected an object")
    tvl = latest_tvl(protocol)
    fees_24h = total_24h(fees)
    revenue_24h = total_24h(revenue)
    if tvl is None and fees_24h is None and revenue_24h is None:
        raise BadRecord("no TVL, fees or revenue figure")
    return ProtocolMetric(
        protocol=slug,
        day=observed_at.date(),
        observed_at=observed_at,
        source=source,
        tvl_usd=tvl,
        fees_24h=fees_24h,
        revenue_24h=revenue_24h,
    )


class DefiLlamaProtocols:
    def __init__(
        self,
        http: SourceHttp,
        clock: Clock,
        *,
        protocols: Sequence[str] = DEFAULT_PROTOCOLS,
        source: str = "defillama",
    ) -> None:
        self._http = http
        self._clock = clock
        self._protocols = tuple(protocols)
        self._source = source

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None if self._protocols else "no DefiLlama protocols configured"

    async def fetch(self) -> FetchResult[ProtocolMetric]:
        observed_at = self._clock.now()
        outcomes = await asyncio.gather(*(self._one(slug, observed_at) for slug in self._protocols))
        result = FetchResult[ProtocolMetric]()
        for outcome in outcomes:
            if isinstance(outcome, Rejected):
                result.rejected.append(outcome)
            else:
                result.records.append(outcome)
        return result

    async def _one(self, slug: str, observed_at: datetime) -> ProtocolMetric | Rejected:
        protocol_call = self._http.get_json(f"/protocol/{slug}")
        fees_call = self._optional(f"/summary/fees/{slug}", None)
        revenue_call = self._optional(f"/summary/fees/{slug}", {"dataType": "dailyRevenue"})
        outcomes: list[Any] = list(
            await asyncio.gather(protocol_call, fees_call, revenue_call, return_exceptions=True)
        )
        protocol, fees, revenue = outcomes
        if isinstance(protocol, BaseException):
            if not isinstance(protocol, SourceUnavailable):
                raise protocol
            return Rejected(f"{slug}: {protocol}", slug)
        try:
            return build_metric(slug, protocol, fees, revenue, observed_at, source=self._source)
        except BadRecord as error:
            return Rejected(f"{slug}: {error}", excerpt(protocol))

    async def _optional(self, path: str, params: dict[str, str | int] | None) -> Any:
        try:
            return await self._http.get_json(path, params=params)
        except SourceUnavailable:
            return None
