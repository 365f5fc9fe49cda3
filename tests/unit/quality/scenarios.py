"""Records for quality scenarios, shared by the unit and contract suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omc.domain.collection import CollectorRun, RunStatus
from omc.domain.exchange import PriceTick

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TEN_SECONDS = timedelta(seconds=10)

# A small deterministic wiggle (in cents) so MAD is not zero.
_WIGGLE = (0, 7, -4, 12, -9, 3, -1, 5, -6, 2)


def ticks(
    symbol: str,
    start: datetime,
    end: datetime,
    *,
    every: timedelta = TEN_SECONDS,
    price: Decimal = Decimal("100.00"),
    source: str = "feed",
    quote: str = "AUD",
) -> list[PriceTick]:
    result = []
    at = start
    index = 0
    while at < end:
        last = price + Decimal(_WIGGLE[index % len(_WIGGLE)]) / 100
        result.append(
            PriceTick(
                symbol,
                last,
                at,
                source,
                quote,
                bid=last - Decimal("0.05"),
                ask=last + Decimal("0.05"),
            )
        )
        at += every
        index += 1
    return result


def runs(
    collector: str,
    start: datetime,
    end: datetime,
    every: timedelta,
    status: RunStatus = RunStatus.SUCCESS,
) -> list[CollectorRun]:
    result = []
    at = start
    while at < end:
        result.append(
            CollectorRun(
                f"{collector}-{at.isoformat()}", collector, at, at + timedelta(seconds=1), status
            )
        )
        at += every
    return result
