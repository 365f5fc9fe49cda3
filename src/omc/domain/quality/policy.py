"""What "good data" means: cadences, freshness SLAs, validity bounds, weights, thresholds.

Every number the scoring rules use lives here, so settings can override any of them and
the adapters that compute aggregates receive exactly the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from omc.domain.record import Ledger

# Feeds: the streams whose newest record timeliness looks at. Price series are feeds of
# their own ("exchange/BTC-AUD") and use the exchange SLA.
FEED_EXCHANGE = "exchange/prices"
FEED_PROTOCOL_METRICS = "glass/protocol_metrics"
FEED_ONCHAIN_METRICS = "glass/onchain_metrics"
FEED_NEWS = "human/news"
FEED_SOCIAL = "human/social"
FEED_ANNOUNCEMENTS = "catalyst/announcements"
FEED_FILINGS = "catalyst/filings"
# Catalyst events whose type starts with this are filings (their own, slower SLA).
FILING_EVENT_PREFIX = "sec_filing"

FEEDS_BY_LEDGER: Mapping[Ledger, tuple[str, ...]] = MappingProxyType(
    {
        Ledger.EXCHANGE: (FEED_EXCHANGE,),
        Ledger.GLASS: (FEED_PROTOCOL_METRICS, FEED_ONCHAIN_METRICS),
        Ledger.HUMAN: (FEED_NEWS, FEED_SOCIAL),
        Ledger.CATALYST: (FEED_ANNOUNCEMENTS, FEED_FILINGS),
    }
)

SYSTEM_SCOPE = "system"

# Price intervals and hours sit on the UTC clock's grid, counted from the Unix epoch: an
# hour is a clock hour wherever a report's window starts, so what was worked out for an
# hour once (its bands, counts and gaps) holds for every later report (ADR 0008).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def grid_index(at: datetime, step: timedelta) -> int:
    """Index of the `step`-long interval of the clock grid holding `at`."""
    return (at - EPOCH) // step


def grid_index_after(at: datetime, step: timedelta) -> int:
    """Index of the first grid interval starting at or after `at`."""
    return -((EPOCH - at) // step)


def grid_time(index: int, step: timedelta) -> datetime:
    return EPOCH + index * step


@dataclass(frozen=True, slots=True)
class Sla:
    """Fresh while the newest record is at most `target` old, dead from `stale` on."""

    target: timedelta
    stale: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.target < self.stale:
            raise ValueError("an SLA needs 0 <= target < stale")


def default_slas() -> dict[str, Sla]:
    return {
        FEED_EXCHANGE: Sla(timedelta(seconds=10), timedelta(minutes=5)),
        FEED_NEWS: Sla(timedelta(minutes=5), timedelta(minutes=30)),
        FEED_SOCIAL: Sla(timedelta(minutes=5), timedelta(minutes=30)),
        FEED_ANNOUNCEMENTS: Sla(timedelta(seconds=60), timedelta(minutes=10)),
        FEED_FILINGS: Sla(timedelta(minutes=10), timedelta(hours=1)),
        FEED_PROTOCOL_METRICS: Sla(timedelta(hours=24), timedelta(hours=48)),
        FEED_ONCHAIN_METRICS: Sla(timedelta(hours=24), timedelta(hours=48)),
    }


@dataclass(frozen=True, slots=True)
class Weights:
    completeness: float = 0.3
    timeliness: float = 0.4
    accuracy: float = 0.3

    def __post_init__(self) -> None:
        parts = (self.completeness, self.timeliness, self.accuracy)
        if any(part < 0 for part in parts) or sum(parts) <= 0:
            raise ValueError("weights must be non-negative and not all zero")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """An overall score below `medium` raises a medium alert, below `high` a high one."""

    medium: float = 0.7
    high: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.high <= self.medium <= 1:
            raise ValueError("thresholds need 0 <= high <= medium <= 1")


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    window: timedelta = timedelta(hours=24)
    # Expected interval between two ticks of one tracked price series.
    price_cadence: timedelta = timedelta(seconds=10)
    # Human and Catalyst completeness: collector name -> (ledger, cadence).
    collectors: Mapping[str, tuple[Ledger, timedelta]] = field(default_factory=dict)
    # A series (symbol, protocol, collector) counts as tracked when it has data this far
    # before the window: a symbol that went silent must not simply vanish from the report.
    tracking_lookback: timedelta = timedelta(days=7)
    slas: Mapping[str, Sla] = field(default_factory=default_slas)
    # (ask - bid) / mid above this is an invalid quote.
    max_spread: Decimal = Decimal("0.05")
    # A tick further than k x MAD from its hour's median is an outlier; MAD is floored at
    # mad_floor x |median| so a flat market does not make every cent an outlier.
    mad_k: float = 10.0
    mad_floor: float = 0.001
    mad_min_points: int = 5
    # |z| of the last hour's record count against the earlier hours that flags a flood
    # or a silence; fewer baseline hours than volume_min_hours say nothing.
    volume_z: float = 3.0
    volume_min_hours: int = 3
    max_gaps: int = 10
    max_outliers: int = 10
    weights: Weights = field(default_factory=Weights)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def sla(self, feed: str) -> Sla:
        return self.slas[feed]

    def query(self, end: datetime, now: datetime, window: timedelta | None = None) -> StatsQuery:
        length = window or self.window
        return StatsQuery(
            start=end - length,
            end=end,
            now=now,
            price_cadence=self.price_cadence,
            collectors=self.collectors,
            lookback=self.tracking_lookback,
            max_spread=self.max_spread,
            mad_k=self.mad_k,
            mad_floor=self.mad_floor,
            mad_min_points=self.mad_min_points,
            max_gaps=self.max_gaps,
            max_outliers=self.max_outliers,
        )


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """What a stats source is asked: the window [start, end), the real time `now` (for
    future-timestamp checks), and the parameters of every aggregate."""

    start: datetime
    end: datetime
    now: datetime
    price_cadence: timedelta
    collectors: Mapping[str, tuple[Ledger, timedelta]]
    lookback: timedelta
    max_spread: Decimal
    mad_k: float
    mad_floor: float
    mad_min_points: int
    max_gaps: int
    max_outliers: int

    @property
    def tracking_start(self) -> datetime:
        return self.start - self.lookback

    def interval_span(self, cadence: timedelta) -> tuple[int, int]:
        """[first, end) grid indexes of the cadence intervals the window touches; the
        first and last may be cut by the window's edges."""
        return grid_index(self.start, cadence), grid_index_after(self.end, cadence)

    @property
    def complete_hours(self) -> tuple[int, int]:
        """[first, end) indexes of the clock hours wholly inside the window."""
        first, end = grid_index_after(self.start, HOUR), grid_index(self.end, HOUR)
        return first, max(first, end)

    @property
    def trailing_start(self) -> datetime:
        """Start of the last 60 minutes of the window, the volume check's current hour."""
        return self.end - HOUR

    @property
    def baseline_hours(self) -> tuple[int, int]:
        """[first, end) indexes of the clock hours the volume check compares the trailing
        hour against: the complete ones that end before it starts."""
        first = self.complete_hours[0]
        return first, max(first, grid_index(self.trailing_start, HOUR))

    def volume_hours(self, per_hour: Mapping[int, int], trailing: int) -> tuple[int, ...]:
        """Counts of the baseline hours (from a clock-hour index -> count mapping that may
        hold other hours too), oldest first, then the trailing hour's count."""
        first, end = self.baseline_hours
        return (*(per_hour.get(hour, 0) for hour in range(first, end)), trailing)

    def bucket(self, at: datetime, cadence: timedelta) -> int:
        """Index of the cadence interval holding `at` (0 = the one starting at `start`)."""
        return (at - self.start) // cadence

    def intervals(self, cadence: timedelta) -> int:
        return -(-(self.end - self.start) // cadence)
