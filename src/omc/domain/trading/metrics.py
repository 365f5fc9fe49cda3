"""Summary metrics of trading books: PnL, trade statistics, drawdown and Sharpe.

Money stays Decimal and exact; ratios and averages (win rate, profit factor,
average win/loss, drawdown percent) are divisions, computed at 28 significant
digits. The Sharpe ratio is the one float: mean / sample standard deviation of
daily returns x sqrt(365), computed in float from exact Decimal returns because
a square root has no exact Decimal answer and the figure is a statistic, not money.

"Undefined" is None, never zero: profit factor without losses, win rate without
closing trades, Sharpe with fewer than two daily returns or zero variance,
unrealized PnL of a position without a mark.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from omc.domain.trading.fills import Fill
from omc.domain.trading.history import (
    HistoryPoint,
    Interval,
    MarkLookup,
    Replay,
    bucket_ends,
    history_points,
)
from omc.domain.trading.lots import (
    AMOUNT_EXP,
    CostMethod,
    Position,
    PreparedFills,
    exact_sum,
    prepare,
    to_decimal,
)

ZERO = Decimal(0)
DAYS_PER_YEAR = 365


class MixedQuotesError(ValueError):
    """PnL in different quote currencies cannot be added up; filter by quote."""


class GroupBy(StrEnum):
    SYMBOL = "symbol"
    STRATEGY = "strategy"


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Statistics of closing fills; a break-even close is neither win nor loss."""

    closing_trades: int
    wins: int
    losses: int
    win_rate: Decimal | None  # wins / closing trades
    profit_factor: Decimal | None  # gross profit / gross loss; None without losses
    average_win: Decimal | None
    average_loss: Decimal | None  # negative
    largest_win: Decimal | None
    largest_loss: Decimal | None  # negative


def trade_stats(realized: Iterable[Decimal]) -> TradeStats:
    values = list(realized)
    wins = [value for value in values if value > 0]
    losses = [value for value in values if value < 0]
    count = len(values)
    gross_profit = exact_sum(wins)
    gross_loss = exact_sum(losses)
    return TradeStats(
        closing_trades=count,
        wins=len(wins),
        losses=len(losses),
        win_rate=Decimal(len(wins)) / count if count else None,
        profit_factor=gross_profit / -gross_loss if losses else None,
        average_win=gross_profit / len(wins) if wins else None,
        average_loss=gross_loss / len(losses) if losses else None,
        largest_win=max(wins) if wins else None,
        largest_loss=min(losses) if losses else None,
    )


def max_drawdown(
    equity: Sequence[Decimal], capital: Decimal | None = None
) -> tuple[Decimal, Decimal | None]:
    """Largest fall from a running peak: (absolute, percent of that peak).

    `equity` is PnL equity (0 before the first trade). The percent is taken of
    `capital + peak` when a starting capital is given, else of the peak PnL
    itself; it is None when that base is never positive.
    """
    worst = ZERO
    worst_pct: Decimal | None = None
    peak: Decimal | None = None
    base = capital or ZERO
    for value in equity:
        if peak is None or value > peak:
            peak = value
        fall = exact_sum((peak, -value))
        worst = max(worst, fall)
        level = exact_sum((base, peak))
        if level > 0:
            pct = fall / level * 100  # a ratio: 28 significant digits are plenty
            worst_pct = pct if worst_pct is None else max(worst_pct, pct)
    return worst, worst_pct


def sharpe_ratio(daily_equity: Sequence[Decimal]) -> float | None:
    """Annualised Sharpe of daily returns, risk-free rate 0.

    Returns are daily changes of equity on a fixed capital base; the base
    cancels in mean/std, so the ratio is computed from the changes themselves.
    """
    returns = [exact_sum((b, -a)) for a, b in itertools.pairwise(daily_equity)]
    if len(returns) < 2 or all(value == returns[0] for value in returns):
        return None
    values = [float(value) for value in returns]
    mean = math.fsum(values) / len(values)
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    if variance <= 0:
        return None
    return mean / math.sqrt(variance) * math.sqrt(DAYS_PER_YEAR)


@dataclass(frozen=True, slots=True)
class PnLSummary:
    """PnL of one scope (all books, a symbol or a strategy) over a window."""

    method: CostMethod
    quote: str | None
    realized: Decimal  # closes inside the window, cost basis from all history
    unrealized: Decimal | None  # at the window's end; None if a position is unmarked
    total: Decimal | None
    fees_paid: Decimal  # in the quote, fills inside the window
    volume: Decimal  # quantity x price, fills inside the window
    trades: TradeStats
    max_drawdown: Decimal
    max_drawdown_pct: Decimal | None
    sharpe: float | None
    positions: tuple[Position, ...]  # open at the window's end, with marks
    unmarked: tuple[str, ...]


def _scope(
    fills: Iterable[Fill] | PreparedFills, symbol: str | None, quote: str | None
) -> tuple[PreparedFills, str | None]:
    if isinstance(fills, PreparedFills):
        scoped = fills
        if symbol is not None or quote is not None:
            scoped = fills.select(
                lambda s, q: (symbol is None or s == symbol) and (quote is None or q == quote)
            )
    else:
        scoped = prepare(
            fill
            for fill in fills
            if (symbol is None or fill.symbol == symbol) and (quote is None or fill.quote == quote)
        )
    quotes = sorted({book_quote for _symbol, book_quote in scoped.book_keys})
    if len(quotes) > 1:
        raise MixedQuotesError(f"fills in {len(quotes)} quote currencies: {quotes}")
    return scoped, quote or next(iter(quotes), None)


def _trade_stats(realized: list[int]) -> TradeStats:
    """trade_stats over engine integers: only the aggregates become Decimals."""
    wins = list(filter((0).__lt__, realized))
    losses = list(filter((0).__gt__, realized))
    count = len(realized)
    gross_profit = to_decimal(sum(wins), AMOUNT_EXP)
    gross_loss = to_decimal(sum(losses), AMOUNT_EXP)
    return TradeStats(
        closing_trades=count,
        wins=len(wins),
        losses=len(losses),
        win_rate=Decimal(len(wins)) / count if count else None,
        profit_factor=gross_profit / -gross_loss if losses else None,
        average_win=gross_profit / len(wins) if wins else None,
        average_loss=gross_loss / len(losses) if losses else None,
        largest_win=to_decimal(max(wins), AMOUNT_EXP) if wins else None,
        largest_loss=to_decimal(min(losses), AMOUNT_EXP) if losses else None,
    )


@dataclass(frozen=True, slots=True)
class ReplayedScope:
    """A summary's scope with its books replayed and every figure worked out that needs
    no mark: what `replay_summary` does first, before the marks are known."""

    replay: Replay
    quote: str | None
    strategy_id: str | None
    window_start: datetime
    window_end: datetime
    realized: Decimal
    fees: Decimal
    volume: Decimal
    trades: TradeStats


def summarize(
    fills: Iterable[Fill] | PreparedFills,
    *,
    as_of: datetime,
    marks: MarkLookup,
    method: CostMethod = CostMethod.FIFO,
    start: datetime | None = None,
    end: datetime | None = None,
    symbol: str | None = None,
    quote: str | None = None,
    strategy_id: str | None = None,
    capital: Decimal | None = None,
) -> PnLSummary:
    """The summary over [start, end) (`end` defaults to `as_of`, `start` to the first fill).

    `fills` are Fill records or books already prepared (from them or from a store's
    columns): both give the same summary. `strategy_id=""` selects the fills without
    a strategy. A strategy's closes are those of fills tagged with it; positions are
    one spot balance shared by all strategies, so a strategy scope has no positions
    and unknown unrealized.

    The same as `summarize_replayed(replay_summary(...), marks=...)`: a caller that
    fetches marks can replay the books meanwhile.

    Raises OversellError from the books and MixedQuotesError when the scope
    spans several quote currencies.
    """
    replayed = replay_summary(
        fills, as_of=as_of, method=method, start=start, end=end, symbol=symbol, quote=quote,
        strategy_id=strategy_id,
    )  # fmt: skip
    return summarize_replayed(replayed, marks=marks, capital=capital)


def replay_summary(
    fills: Iterable[Fill] | PreparedFills,
    *,
    as_of: datetime,
    method: CostMethod = CostMethod.FIFO,
    start: datetime | None = None,
    end: datetime | None = None,
    symbol: str | None = None,
    quote: str | None = None,
    strategy_id: str | None = None,
) -> ReplayedScope:
    """The part of summarize that needs no mark: the scope's books replayed to the
    window's end, with their positions recorded at the window's start and at each UTC
    day end (the equity curve's points). Raises as summarize does."""
    scoped, scope_quote = _scope(fills, symbol, quote)
    replay = Replay(scoped, method, strategy_id)
    window_end = as_of if end is None else min(end, as_of)
    first = replay.times[0] if len(scoped) else window_end
    window_start = first if start is None else start
    if strategy_id is None and window_start < window_end:
        # A strategy's equity is its realized PnL alone: no positions to record.
        replay.record([window_start, *bucket_ends(window_start, window_end, Interval.DAY)])
    begin, stop = replay.index_at(window_start), replay.index_at(window_end)
    replay.engine.advance(stop)

    prepared = replay.prepared
    realized_all = replay.engine.realized
    if strategy_id is None:
        fees = sum(prepared.fees[begin:stop])
        volume = sum(prepared.volumes[begin:stop])
        realized_values = [value for value in realized_all[begin:stop] if value is not None]
    else:
        strategies = prepared.strategies
        picked = [i for i in range(begin, stop) if (strategies[i] or "") == strategy_id]
        fees = sum(prepared.fees[i] for i in picked)
        volume = sum(prepared.volumes[i] for i in picked)
        realized_values = [v for v in (realized_all[i] for i in picked) if v is not None]
    return ReplayedScope(
        replay,
        scope_quote,
        strategy_id,
        window_start,
        window_end,
        realized=to_decimal(sum(realized_values), AMOUNT_EXP),
        fees=to_decimal(fees, AMOUNT_EXP),
        volume=to_decimal(volume, AMOUNT_EXP),
        trades=_trade_stats(realized_values),
    )


def summarize_replayed(
    replayed: ReplayedScope, *, marks: MarkLookup, capital: Decimal | None = None
) -> PnLSummary:
    """summarize's answer from its replayed scope and the marks."""
    replay, window_end, realized = replayed.replay, replayed.window_end, replayed.realized
    curve = _daily_equity(replay, replayed.window_start, window_end, marks)

    positions: tuple[Position, ...] = ()
    unrealized: Decimal | None = None
    unmarked: tuple[str, ...] = ()
    if replayed.strategy_id is None:
        held = [p for p in replay.engine.positions() if p.quantity]
        positions = tuple(p.marked(marks(p.symbol, p.quote, window_end)) for p in held)
        unmarked = tuple(f"{p.symbol}/{p.quote}" for p in positions if p.mark is None)
        if not unmarked:
            unrealized = exact_sum(p.unrealized or ZERO for p in positions)
    total = None if unrealized is None else exact_sum((realized, unrealized))

    drawdown, drawdown_pct = max_drawdown(curve, capital)
    return PnLSummary(
        method=replay.engine.method,
        quote=replayed.quote,
        realized=realized,
        unrealized=unrealized,
        total=total,
        fees_paid=replayed.fees,
        volume=replayed.volume,
        trades=replayed.trades,
        max_drawdown=drawdown,
        max_drawdown_pct=drawdown_pct,
        sharpe=sharpe_ratio(curve),
        positions=positions,
        unmarked=unmarked,
    )


def _daily_equity(
    replay: Replay, start: datetime, end: datetime, marks: MarkLookup
) -> list[Decimal]:
    """Equity at the window start, then at each UTC day end (the last clipped to `end`).

    Days whose equity is unknown (an open position without a mark) are left out.
    Moves `replay` forward to `end`.
    """
    if end <= start:
        return []
    _realized, _unrealized, opening, _unmarked = replay.equity_at(start, marks)
    points: list[HistoryPoint] = history_points(
        replay, interval=Interval.DAY, start=start, end=end, marks=marks
    )
    curve = [] if opening is None else [to_decimal(opening, AMOUNT_EXP)]
    curve.extend(point.equity for point in points if point.equity is not None)
    return curve


def breakdown(
    fills: Iterable[Fill] | PreparedFills,
    *,
    by: GroupBy,
    as_of: datetime,
    marks: MarkLookup,
    method: CostMethod = CostMethod.FIFO,
    start: datetime | None = None,
    end: datetime | None = None,
    quote: str | None = None,
    capital: Decimal | None = None,
) -> dict[str, PnLSummary]:
    """One summary per symbol or per strategy ("" for fills without one)."""
    scoped, _quote = _scope(fills, None, quote)
    results: dict[str, PnLSummary] = {}
    if by is GroupBy.SYMBOL:
        for symbol in sorted({book_symbol for book_symbol, _q in scoped.book_keys}):
            results[symbol] = summarize(
                scoped, as_of=as_of, marks=marks, method=method, start=start, end=end,
                symbol=symbol, capital=capital,
            )  # fmt: skip
        return results
    for strategy in sorted({strategy or "" for strategy in scoped.strategies}):
        results[strategy] = summarize(
            scoped,
            as_of=as_of, marks=marks, method=method, start=start, end=end,
            strategy_id=strategy, capital=capital,
        )  # fmt: skip
    return results
