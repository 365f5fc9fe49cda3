from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from omc.domain.trading.fills import Fill
from omc.domain.trading.history import (
    Interval,
    Replay,
    bucket_start,
    mark_table,
    next_bucket,
    pnl_history,
)
from omc.domain.trading.metrics import (
    GroupBy,
    MixedQuotesError,
    breakdown,
    max_drawdown,
    replay_summary,
    sharpe_ratio,
    summarize,
    summarize_replayed,
    trade_stats,
)

from .helpers import T0, buy, sell

D = Decimal


def no_marks(symbol: str, quote: str, at: datetime) -> Decimal | None:
    return None


def flat(price: str):  # type: ignore[no-untyped-def]
    return lambda symbol, quote, at: D(price)


def test_window_after_the_buy_counts_the_sell_with_the_whole_history_cost() -> None:
    fills = [buy("b", "1", "50000"), sell("s", "1", "55000", hours=48)]
    summary = summarize(
        fills, as_of=T0 + timedelta(days=5), marks=no_marks, start=T0 + timedelta(days=1)
    )
    assert summary.realized == D(5000)
    assert summary.trades.closing_trades == 1
    assert summary.volume == D(55000)  # only fills inside the window
    before = summarize(
        fills, as_of=T0 + timedelta(days=5), marks=no_marks, end=T0 + timedelta(days=1)
    )
    assert before.realized == 0
    assert before.trades.closing_trades == 0


def test_position_without_a_price_leaves_unrealized_and_total_unknown() -> None:
    summary = summarize([buy("b", "2", "100")], as_of=T0 + timedelta(days=1), marks=no_marks)
    assert summary.unrealized is None
    assert summary.total is None
    assert summary.unmarked == ("BTC/AUD",)
    [position] = summary.positions
    assert position.mark is None
    marked = summarize([buy("b", "2", "100")], as_of=T0 + timedelta(days=1), marks=flat("130"))
    assert (marked.unrealized, marked.total) == (D(60), D(60))


def test_trade_stats_and_absent_profit_factor() -> None:
    stats = trade_stats([D(100), D(-50), D(0), D(300), D(-25)])
    assert (stats.closing_trades, stats.wins, stats.losses) == (5, 2, 2)
    assert stats.win_rate == D("0.4")
    assert stats.profit_factor == D(400) / D(75)
    assert (stats.average_win, stats.average_loss) == (D(200), D("-37.5"))
    assert (stats.largest_win, stats.largest_loss) == (D(300), D(-50))
    only_wins = trade_stats([D(1)])
    assert only_wins.profit_factor is None
    assert only_wins.average_loss is None
    assert trade_stats([]).win_rate is None


def test_max_drawdown_absolute_and_percent() -> None:
    assert max_drawdown([D(0), D(100), D(60), D(120), D(30)]) == (D(90), D(75))
    assert max_drawdown([D(0), D(100), D(60)], capital=D(900)) == (D(40), D(4))
    assert max_drawdown([D(0), D(-10)]) == (D(10), None)  # no positive peak to take a share of


def test_sharpe_is_none_when_undefined() -> None:
    assert sharpe_ratio([D(0), D(10)]) is None  # one return
    assert sharpe_ratio([D(0), D(10), D(20), D(30)]) is None  # zero variance
    value = sharpe_ratio([D(0), D(10), D(5), D(20)])
    assert value is not None
    returns = [10.0, -5.0, 15.0]
    mean = sum(returns) / 3
    std = (sum((r - mean) ** 2 for r in returns) / 2) ** 0.5
    assert value == pytest.approx(mean / std * 365**0.5)


def test_summary_metrics_over_days() -> None:
    fills = [
        buy("b", "2", "100"),
        sell("s1", "1", "150", hours=24),
        sell("s2", "1", "80", hours=48, fee=D(1)),
    ]
    prices = mark_table({("BTC", "AUD"): [(T0, D(100)), (T0 + timedelta(hours=30), D(90))]})
    summary = summarize(fills, as_of=T0 + timedelta(days=3), marks=prices)
    assert summary.realized == D(50) + D(-21)
    assert summary.fees_paid == D(1)
    assert summary.volume == D(200) + D(150) + D(80)
    assert (summary.trades.wins, summary.trades.losses) == (1, 1)
    assert summary.total == summary.realized  # flat at the end
    # Equity: 0 at the start; day ends 0 (2 held, marked 100), 40 (s1 +50, 1 held
    # marked 90: -10), 29 (s2 -21, flat). Drawdown 40 -> 29.
    assert summary.max_drawdown == D(11)
    assert summary.max_drawdown_pct == D("27.5")
    assert summary.sharpe is not None


def test_summary_rejects_mixed_quotes_unless_filtered() -> None:
    fills = [buy("a", "1", "1"), buy("b", "1", "1", quote="USDT")]
    with pytest.raises(MixedQuotesError):
        summarize(fills, as_of=T0 + timedelta(days=1), marks=no_marks)
    assert (
        summarize(fills, as_of=T0 + timedelta(days=1), marks=flat("1"), quote="USDT").quote
        == "USDT"
    )


def test_breakdowns_by_symbol_and_strategy() -> None:
    fills = [
        buy("b1", "1", "100", strategy_id="grid"),
        sell("s1", "1", "110", hours=1, strategy_id="grid"),
        buy("b2", "1", "10", symbol="ETH"),
        sell("s2", "1", "7", hours=2, symbol="ETH", strategy_id="dca"),
    ]
    as_of = T0 + timedelta(days=1)
    by_symbol = breakdown(fills, by=GroupBy.SYMBOL, as_of=as_of, marks=no_marks)
    assert {k: v.realized for k, v in by_symbol.items()} == {"BTC": D(10), "ETH": D(-3)}
    by_strategy = breakdown(fills, by=GroupBy.STRATEGY, as_of=as_of, marks=no_marks)
    assert {k: v.realized for k, v in by_strategy.items()} == {
        "": D(0),
        "dca": D(-3),
        "grid": D(10),
    }
    assert by_strategy["dca"].unrealized is None  # positions belong to no strategy
    assert by_strategy[""].volume == D(10)


@pytest.mark.parametrize(
    ("interval", "at", "start", "after"),
    [
        (Interval.HOUR, "2025-03-05T10:59:59", "2025-03-05T10:00:00", "2025-03-05T11:00:00"),
        (Interval.DAY, "2025-03-05T23:00:00", "2025-03-05T00:00:00", "2025-03-06T00:00:00"),
        (Interval.WEEK, "2025-03-09T23:00:00", "2025-03-03T00:00:00", "2025-03-10T00:00:00"),
        (Interval.MONTH, "2025-12-31T23:00:00", "2025-12-01T00:00:00", "2026-01-01T00:00:00"),
    ],
)
def test_buckets_are_calendar_aligned_in_utc(
    interval: Interval, at: str, start: str, after: str
) -> None:
    def t(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    assert bucket_start(t(at), interval) == t(start)
    assert next_bucket(t(start), interval) == t(after)


def test_history_gives_bucket_cumulative_and_equity_points() -> None:
    fills: list[Fill] = [
        buy("b", "2", "100"),
        sell("s1", "1", "150", hours=25),
        sell("s2", "1", "80", hours=49),
    ]
    prices = mark_table({("BTC", "AUD"): [(T0, D(100)), (T0 + timedelta(hours=30), D(90))]})
    points = pnl_history(
        fills,
        interval=Interval.DAY,
        start=T0 + timedelta(days=1),
        end=T0 + timedelta(days=3),
        marks=prices,
    )
    assert [(p.start, p.end) for p in points] == [
        (T0 + timedelta(days=1), T0 + timedelta(days=2)),
        (T0 + timedelta(days=2), T0 + timedelta(days=3)),
    ]
    assert [p.realized for p in points] == [D(50), D(-20)]
    assert [p.cumulative_realized for p in points] == [D(50), D(30)]
    assert [p.unrealized for p in points] == [D(-10), D(0)]
    assert [p.equity for p in points] == [D(40), D(30)]
    unpriced = pnl_history(
        fills, interval=Interval.DAY, start=T0, end=T0 + timedelta(days=1), marks=no_marks
    )
    assert unpriced[0].equity is None
    assert unpriced[0].unmarked == ("BTC/AUD",)


def _curve_fills() -> list[Fill]:
    return [
        buy("b1", "2", "100"),
        buy("e1", "10", "20", symbol="ETH", hours=5),
        sell("s1", "0.5", "120", hours=30),
        buy("b2", "1", "90", hours=50),
        sell("e2", "4", "25", symbol="ETH", hours=70),
        sell("s2", "1.5", "130", hours=75),
    ]


def _marks(symbol: str, quote: str, at: datetime) -> Decimal | None:
    hours = (at - T0) / timedelta(hours=1)
    return D(100) + D(hours).quantize(D(1)) if symbol == "BTC" else D(21)


def test_books_recorded_before_the_marks_are_those_read_step_by_step() -> None:
    """The summary replays first and marks afterwards (the marks are still being read):
    the books it recorded at each day's end must be the ones a replay stopped there
    shows, fills between two ends included."""
    ends = [T0 + timedelta(hours=h) for h in (0, 24, 48, 72, 96)]
    step_by_step = Replay(_curve_fills())
    expected = [step_by_step.equity_at(at, _marks) for at in ends]

    recorded = Replay(_curve_fills())
    recorded.record(ends)
    recorded.engine.advance()  # past every end, as replay_summary leaves it
    assert [recorded.equity_at(at, _marks) for at in ends] == expected


def test_a_replay_cannot_show_books_it_ran_past_without_recording_them() -> None:
    replay = Replay(_curve_fills())
    replay.record([T0 + timedelta(hours=24)])
    replay.engine.advance()
    replay.unrealized_at(2, T0 + timedelta(hours=24), _marks)  # 2 fills by then: recorded
    with pytest.raises(ValueError, match="not recorded"):
        replay.unrealized_at(3, T0 + timedelta(hours=48), _marks)


def test_the_summary_replayed_before_its_marks_are_known_is_the_same() -> None:
    fills = _curve_fills()
    as_of = T0 + timedelta(days=4)
    replayed = replay_summary(fills, as_of=as_of)  # takes no marks at all
    assert summarize_replayed(replayed, marks=_marks) == summarize(fills, as_of=as_of, marks=_marks)
    assert replayed.trades.closing_trades == 3
