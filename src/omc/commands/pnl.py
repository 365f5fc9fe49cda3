"""`omc pnl`: the caller's PnL summary as a table, and optionally a plot of the equity
curve and its drawdown, from a running server's PnLService."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from omc.bootstrap.settings import Settings
from omc.commands.client import ClientConfigurationError, call_metadata, open_channel
from omc.v1 import pnl_pb2, pnl_pb2_grpc
from omc.v1 import trading_pb2 as tpb

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
TIMEOUT = 60.0

_METHODS = {
    "fifo": tpb.COST_METHOD_FIFO,
    "lifo": tpb.COST_METHOD_LIFO,
    "average": tpb.COST_METHOD_AVERAGE,
}
_MARKS = {"last": tpb.MARK_PRICE_LAST, "bid": tpb.MARK_PRICE_BID}
_INTERVALS = {
    "hour": pnl_pb2.HISTORY_INTERVAL_HOUR,
    "day": pnl_pb2.HISTORY_INTERVAL_DAY,
    "week": pnl_pb2.HISTORY_INTERVAL_WEEK,
    "month": pnl_pb2.HISTORY_INTERVAL_MONTH,
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pnl",
        help="print your PnL summary (and plot the equity curve with --plot)",
        description="Asks the server's PnLService for the PnL of your books (the API key's "
        "user; OMC_API_KEY or OMC_HOME/admin.key).",
    )
    parser.add_argument("--method", choices=sorted(_METHODS), default="fifo")
    parser.add_argument("--start", type=_when, help="window start, ISO 8601 (UTC if no zone)")
    parser.add_argument("--end", type=_when, help="window end (exclusive), ISO 8601")
    parser.add_argument("--symbol", default="", help="only this symbol")
    parser.add_argument("--quote", default="", help="only this quote currency")
    parser.add_argument("--strategy", default=None, help="only this strategy id")
    parser.add_argument("--mark", choices=sorted(_MARKS), default="last")
    parser.add_argument("--user", default="", help="another user's books (admin keys only)")
    parser.add_argument("--plot", type=Path, help="draw equity and drawdown into this PNG")
    parser.add_argument("--interval", choices=list(_INTERVALS), default="day")
    parser.set_defaults(handler=run)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        metadata = call_metadata(settings)
        async with open_channel(settings) as channel:
            stub = pnl_pb2_grpc.PnLServiceStub(channel)  # type: ignore[no-untyped-call]
            summary = await stub.GetPnLSummary(
                pnl_pb2.GetPnLSummaryRequest(
                    user_id=args.user,
                    start_time=_ts(args.start),
                    end_time=_ts(args.end),
                    method=_METHODS[args.method],
                    symbol=args.symbol,
                    quote=args.quote,
                    strategy_id=args.strategy,
                    mark_price=_MARKS[args.mark],
                ),
                metadata=metadata,
                timeout=TIMEOUT,
            )
            print(render(summary))
            if args.plot is not None:
                history = await stub.GetPnLHistory(
                    pnl_pb2.GetPnLHistoryRequest(
                        user_id=args.user,
                        start_time=summary.start_time,
                        end_time=summary.end_time,
                        interval=_INTERVALS[args.interval],
                        method=_METHODS[args.method],
                        symbol=args.symbol,
                        strategy_id=args.strategy,
                        mark_price=_MARKS[args.mark],
                    ),
                    metadata=metadata,
                    timeout=TIMEOUT,
                )
                plot(history.points, args.plot)
                print(f"plot written to {args.plot}")
    except ClientConfigurationError as error:
        print(f"omc pnl: {error}", file=sys.stderr)
        return EXIT_USAGE
    except aio.AioRpcError as error:
        code = error.code().name if isinstance(error.code(), grpc.StatusCode) else "ERROR"
        print(f"omc pnl: {code}: {error.details()}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _figure(text: str) -> str:
    return text if text else "n/a"


def render(response: pnl_pb2.GetPnLSummaryResponse) -> str:
    """The summary as a two-column table; an absent figure reads "n/a", never 0."""
    s = response.summary
    window = (
        f"{response.start_time.ToDatetime(UTC):%Y-%m-%d %H:%M} .. "
        f"{response.end_time.ToDatetime(UTC):%Y-%m-%d %H:%M} UTC"
    )
    method = tpb.CostMethod.Name(s.method).removeprefix("COST_METHOD_").lower()
    rows = [
        ("window", window),
        ("method", method),
        ("quote", s.quote or "n/a"),
        ("realized PnL", s.realized_pnl),
        ("unrealized PnL", _figure(s.unrealized_pnl)),
        ("total PnL", _figure(s.total_pnl)),
        ("fees paid", s.fees_paid),
        ("volume", s.volume),
        ("closing trades", str(s.closing_trades)),
        ("wins / losses", f"{s.wins} / {s.losses}"),
        ("win rate", _figure(_ratio(s.win_rate, percent=True))),
        ("profit factor", _figure(_ratio(s.profit_factor))),
        ("average win", _figure(_ratio(s.average_win))),
        ("average loss", _figure(_ratio(s.average_loss))),
        ("largest win", _figure(s.largest_win)),
        ("largest loss", _figure(s.largest_loss)),
        ("max drawdown", s.max_drawdown),
        ("max drawdown %", _figure(_ratio(s.max_drawdown_pct))),
        ("Sharpe (365 d)", _figure(_ratio(s.sharpe_ratio))),
    ]
    if s.unmarked:
        rows.append(("no price for", ", ".join(s.unmarked)))
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value}" for label, value in rows]
    if s.positions:
        lines.append("")
        lines.append(f"{'position':<12} {'quantity':>20} {'mark':>16} {'unrealized':>16}")
        for p in s.positions:
            lines.append(
                f"{p.symbol + '/' + p.quote:<12} {p.quantity:>20} "
                f"{_figure(p.mark):>16} {_figure(p.unrealized_pnl):>16}"
            )
    return "\n".join(lines)


def _ratio(text: str, *, percent: bool = False) -> str:
    """Ratios are long divisions on the wire; four decimals are plenty to read."""
    if not text:
        return ""
    value = Decimal(text) * (100 if percent else 1)
    return f"{value:.4f}" + ("%" if percent else "")


def plot(points: Any, path: Path) -> None:
    """Equity curve and drawdown (running peak minus equity); unknown equity is a gap."""
    import matplotlib  # heavy: only --plot pays for it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = [p.end_time.ToDatetime(UTC) for p in points]
    equity = [float(p.equity) if p.equity else float("nan") for p in points]
    drawdown: list[float] = []
    peak: float | None = None
    for value in equity:
        if value != value:  # NaN: unknown, left as a gap
            drawdown.append(float("nan"))
            continue
        peak = value if peak is None else max(peak, value)
        drawdown.append(value - peak)
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 6))
    top.plot(times, equity, color="tab:blue")
    top.set_ylabel("equity (PnL)")
    top.set_title("Equity curve")
    top.grid(alpha=0.3)
    bottom.fill_between(times, drawdown, 0, color="tab:red", alpha=0.4, step="post")
    bottom.set_ylabel("drawdown")
    bottom.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
