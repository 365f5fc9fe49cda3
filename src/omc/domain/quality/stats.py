"""Aggregates a stats source computes where the data lives; the scoring rules read only
these. Two sources fed the same records must return equal values (contract-tested)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from omc.domain.record import Ledger


@dataclass(frozen=True, slots=True)
class Coverage:
    """Expected vs filled intervals of one tracked series: a price series ("BTC/AUD"),
    a protocol or on-chain series (days), or a collector (its cadence)."""

    key: str
    expected: int
    filled: int
    # The series' newest record before the window's end (price series only).
    newest: datetime | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """Consecutive expected intervals with no record: [start, end). `open` when the gap
    reaches the end of the window (the feed has not resumed)."""

    key: str
    start: datetime
    end: datetime
    missing: int
    open: bool


@dataclass(frozen=True, slots=True)
class Outlier:
    symbol: str
    quote: str
    source: str
    observed_at: datetime
    last: Decimal
    median: float
    # |last - median| in units of the (floored) MAD of its hour.
    deviation: float


@dataclass(frozen=True, slots=True)
class RuleCounts:
    """Validity of one record type's records in the window (plus any in the future)."""

    record_type: str
    records: int
    # Records breaking at least one rule (outliers and future records included).
    invalid: int = 0
    # Per rule: how many records break it.
    by_rule: tuple[tuple[str, int], ...] = ()
    # Records lacking a field the ledger expects (bid/ask, sentiment...).
    missing_fields: int = 0
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class LedgerStats:
    ledger: Ledger
    coverage: tuple[Coverage, ...] = ()
    gaps: tuple[Gap, ...] = ()
    rules: tuple[RuleCounts, ...] = ()
    outliers: tuple[Outlier, ...] = ()
    # Per record type: records per hour block of the window, oldest first.
    hourly: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # Per feed: its newest record before the window's end (None: never had one).
    newest: tuple[tuple[str, datetime | None], ...] = ()

    @property
    def has_data(self) -> bool:
        return bool(self.coverage) or any(at is not None for _, at in self.newest)


@dataclass(frozen=True, slots=True)
class QualityStats:
    start: datetime
    end: datetime
    ledgers: tuple[LedgerStats, ...] = field(default_factory=tuple)
