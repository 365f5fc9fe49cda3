"""Glass ledger: on-chain and DeFi fundamentals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from omc.domain.record import Ledger
from omc.domain.rules import RuleCheck, normalize_symbol, to_utc
from omc.domain.violations import FieldViolation


@dataclass(frozen=True, slots=True)
class ProtocolMetric:
    """A DeFi protocol's daily figures; a later observation of the same day replaces it."""

    protocol: str
    day: date
    observed_at: datetime
    source: str
    tvl_usd: Decimal | None = None
    fees_24h: Decimal | None = None
    revenue_24h: Decimal | None = None

    ledger: ClassVar[Ledger] = Ledger.GLASS
    TIME_FIELD: ClassVar[str] = "day"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("source", "protocol", "day")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("day", "protocol", "source")

    def normalized(self) -> ProtocolMetric:
        return replace(
            self,
            protocol=self.protocol.strip().lower(),
            source=self.source.strip().lower(),
            observed_at=to_utc(self.observed_at),
        )

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.slug("protocol", self.protocol)
        check.slug("source", self.source)
        check.day("day", self.day, now)
        check.timestamp("observed_at", self.observed_at, now)
        check.decimal("tvl_usd", self.tvl_usd, non_negative=True)
        check.decimal("fees_24h", self.fees_24h, non_negative=True)
        # Revenue may be negative (incentives paid out can exceed fees kept).
        check.decimal("revenue_24h", self.revenue_24h)
        if self.tvl_usd is None and self.fees_24h is None and self.revenue_24h is None:
            check.fail("tvl_usd", "at least one of tvl_usd, fees_24h, revenue_24h is required")
        return check.violations


@dataclass(frozen=True, slots=True)
class OnChainMetric:
    """A point-in-time on-chain measurement of an asset (e.g. active_addresses, mvrv)."""

    asset: str
    metric: str
    value: Decimal
    observed_at: datetime
    source: str

    ledger: ClassVar[Ledger] = Ledger.GLASS
    TIME_FIELD: ClassVar[str] = "observed_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("source", "asset", "metric", "observed_at")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("observed_at", "asset", "metric", "source")

    def normalized(self) -> OnChainMetric:
        return replace(
            self,
            asset=normalize_symbol(self.asset),
            metric=self.metric.strip().lower(),
            source=self.source.strip().lower(),
            observed_at=to_utc(self.observed_at),
        )

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.symbol("asset", self.asset)
        check.slug("metric", self.metric)
        check.slug("source", self.source)
        check.decimal("value", self.value, required=True)
        check.timestamp("observed_at", self.observed_at, now)
        return check.violations
