"""PnL history in half-open time buckets, marked to market at each bucket's end.

Marks come from the caller as `marks(symbol, quote, at)`, which must answer the
latest price known at or before `at` (or None): the domain does no I/O.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from omc.domain.trading.fills import Fill
from omc.domain.trading.lots import (
    AMOUNT_EXP,
    QTY_EXP,
    CostMethod,
    LotEngine,
    PreparedFills,
    prepare,
    scaled,
    to_decimal,
)

MarkLookup = Callable[[str, str, datetime], Decimal | None]
MAX_POINTS = 100_000
ZERO = Decimal(0)


class Interval(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"  # ISO weeks: Monday 00:00 UTC
    MONTH = "month"  # calendar months, UTC


def bucket_start(at: datetime, interval: Interval) -> datetime:
    """The start of the bucket holding `at` (UTC)."""
    at = at.astimezone(UTC)
    if interval is Interval.HOUR:
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval is Interval.DAY:
        return day
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: datetime, interval: Interval) -> datetime:
    """The start of the bucket after the one starting at `start`."""
    if interval is Interval.HOUR:
        return start + timedelta(hours=1)
    if interval is Interval.DAY:
        return start + timedelta(days=1)
    if interval is Interval.WEEK:
        return start + timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def mark_table(table: Mapping[tuple[str, str], Iterable[tuple[datetime, Decimal]]]) -> MarkLookup:
    """A MarkLookup over precomputed (time, price) series per (symbol, quote)."""
    series = {key: sorted(points) for key, points in table.items()}
    times = {key: [t for t, _ in points] for key, points in series.items()}

    def lookup(symbol: str, quote: str, at: datetime) -> Decimal | None:
        key = (symbol, quote)
        if key not in series:
            return None
        index = bisect_left(times[key], at)
        # bisect_left finds the first >= at; a mark exactly at `at` counts as known.
        if index < len(times[key]) and times[key][index] == at:
            return series[key][index][1]
        return series[key][index - 1][1] if index else None

    return lookup


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One bucket [start, end).

    `cumulative_realized` runs from the start of the requested window;
    `equity` is the ALL-TIME realized PnL up to `end` plus the unrealized PnL of
    the positions held at `end` at the marks of `end`. It is None when a held
    position has no mark (unknown, not zero); `unmarked` names those books.
    Scoped to a strategy, positions are not attributable and `unrealized` is
    None: `equity` is then the strategy's all-time realized PnL.
    """

    start: datetime
    end: datetime
    realized: Decimal
    cumulative_realized: Decimal
    unrealized: Decimal | None
    equity: Decimal | None
    unmarked: tuple[str, ...] = ()


class Replay:
    """A lot engine that can be stopped at any time to read the books then."""

    def __init__(
        self,
        fills: Iterable[Fill] | PreparedFills,
        method: CostMethod = CostMethod.FIFO,
        strategy_id: str | None = None,
    ) -> None:
        self.prepared = fills if isinstance(fills, PreparedFills) else prepare(fills)
        self.engine = LotEngine(self.prepared, method)
        self.strategy_id = strategy_id
        self.times = self.prepared.times
        self._realized_until = 0
        self._realized_total = 0
        # Position totals after a number of fills: those recorded (the books as they
        # were then, kept so the engine can run on past them before any mark is known),
        # and the latest asked for.
        self._recorded: dict[int, list[tuple[int, int]]] = {}
        self._latest_at = -1
        self._latest: list[tuple[int, int]] = []

    def index_at(self, at: datetime) -> int:
        """How many fills happened before `at`."""
        return bisect_left(self.times, at)

    def record(self, times: Iterable[datetime]) -> None:
        """Runs the engine through `times` (ascending), keeping the books at each: what
        unrealized_at needs there besides marks, so the replay can be done first and
        the marks applied once they are known."""
        for at in times:
            end = self.index_at(at)
            self._recorded[end] = self._totals_at(end)

    def _totals_at(self, end: int) -> list[tuple[int, int]]:
        found = self._recorded.get(end)
        if found is not None:
            return found
        if self._latest_at != end:
            if end < self.engine.done:
                raise ValueError(f"the books after {end} fills were not recorded (see record)")
            self.engine.advance(end)
            self._latest = self.engine.position_totals()
            self._latest_at = end
        return self._latest

    def realized_between(self, begin: int, end: int) -> int:
        """Realized PnL (10^-36) of the closing fills with index in [begin, end)."""
        self.engine.advance(end)
        realized = self.engine.realized
        strategy = self.strategy_id
        if strategy is None:
            # filter(None) drops the buys' None (and zeros, which add nothing) in C.
            total: int = sum(filter(None, realized[begin:end]))
            return total
        strategies = self.prepared.strategies
        total = 0
        for index in range(begin, end):
            value = realized[index]
            if value is not None and (strategies[index] or "") == strategy:
                total += value
        return total

    def realized_before(self, end: int) -> int:
        # Buckets move forward, so the all-time sum is kept as a running total.
        if end < self._realized_until:
            self._realized_until = 0
            self._realized_total = 0
        self._realized_total += self.realized_between(self._realized_until, end)
        self._realized_until = end
        return self._realized_total

    def unrealized_at(
        self, end: int, at: datetime, marks: MarkLookup
    ) -> tuple[int | None, list[str]]:
        """Unrealized PnL (10^-36) of positions after `end` fills, marked at `at`."""
        total = 0
        unmarked: list[str] = []
        keys = self.prepared.book_keys
        for book, (quantity, cost) in enumerate(self._totals_at(end)):
            if not quantity:
                total -= cost
                continue
            symbol, quote = keys[book]
            mark = marks(symbol, quote, at)
            if mark is None:
                unmarked.append(f"{symbol}/{quote}")
                continue
            total += quantity * scaled(mark, QTY_EXP) - cost
        return (None if unmarked else total), unmarked

    def equity_at(
        self, at: datetime, marks: MarkLookup
    ) -> tuple[int, int | None, int | None, list[str]]:
        """(all-time realized, unrealized, equity, unmarked) just before `at`."""
        end = self.index_at(at)
        realized = self.realized_before(end)
        if self.strategy_id is not None:
            return realized, None, realized, []
        unrealized, unmarked = self.unrealized_at(end, at, marks)
        equity = None if unrealized is None else realized + unrealized
        return realized, unrealized, equity, unmarked


def _dec(value: int | None) -> Decimal | None:
    return None if value is None else to_decimal(value, AMOUNT_EXP)


def bucket_ends(start: datetime, end: datetime, interval: Interval) -> list[datetime]:
    """The end of each bucket covering [start, end): calendar buckets, the first and last
    clipped to the window so nothing outside it is counted."""
    ends: list[datetime] = []
    bucket = start
    while bucket < end:
        if len(ends) >= MAX_POINTS:
            raise ValueError(f"more than {MAX_POINTS} {interval} buckets; use a longer interval")
        bucket = min(next_bucket(bucket_start(bucket, interval), interval), end)
        ends.append(bucket)
    return ends


def history_points(
    replay: Replay, *, interval: Interval, start: datetime, end: datetime, marks: MarkLookup
) -> list[HistoryPoint]:
    points: list[HistoryPoint] = []
    bucket = start
    # Each bucket's realized PnL is the rise of the all-time total the equity needs
    # anyway: the closes are summed once, not once for the bucket and again for equity.
    before = replay.realized_before(replay.index_at(bucket))
    cumulative = 0
    for after in bucket_ends(start, end, interval):
        realized, unrealized, equity, unmarked = replay.equity_at(after, marks)
        in_bucket = realized - before
        cumulative += in_bucket
        points.append(
            HistoryPoint(
                bucket,
                after,
                to_decimal(in_bucket, AMOUNT_EXP),
                to_decimal(cumulative, AMOUNT_EXP),
                _dec(unrealized),
                _dec(equity),
                tuple(unmarked),
            )
        )
        bucket, before = after, realized
    return points


def pnl_history(
    fills: Iterable[Fill] | PreparedFills,
    *,
    interval: Interval,
    start: datetime,
    end: datetime,
    marks: MarkLookup,
    method: CostMethod = CostMethod.FIFO,
    symbol: str | None = None,
    strategy_id: str | None = None,
) -> list[HistoryPoint]:
    """Buckets covering [start, end), calendar-aligned, the first and last clipped.

    Cost basis always comes from the whole history, before `start` included.
    A symbol filter drops other books (they never affect this one); a strategy
    filter keeps every fill for the cost basis and counts only its closes.
    """
    if isinstance(fills, PreparedFills):
        prepared = fills if symbol is None else fills.select(lambda s, _q: s == symbol)
    else:
        prepared = prepare(fill for fill in fills if symbol is None or fill.symbol == symbol)
    replay = Replay(prepared, method, strategy_id)
    return history_points(replay, interval=interval, start=start, end=end, marks=marks)
