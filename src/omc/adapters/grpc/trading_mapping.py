"""proto <-> domain for TradingService and PnLService.

Decimals travel as plain decimal strings (never exponent notation); an unknown or
undefined figure is the empty string, never "0".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from omc.adapters.grpc.mapping import (
    datetime_from_timestamp,
    decimal_from_text,
    optional_datetime,
    optional_decimal_from_text,
    timestamp_from_datetime,
)
from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.trading import MarkedPosition, PnLWindow
from omc.application.trading_ports import MarkField
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.history import HistoryPoint, Interval
from omc.domain.trading.lots import CostMethod, Position
from omc.domain.trading.metrics import GroupBy, PnLSummary
from omc.v1 import pnl_pb2, trading_pb2

_SIDES = {trading_pb2.SIDE_BUY: Side.BUY, trading_pb2.SIDE_SELL: Side.SELL}
_SIDES_OUT = {side: number for number, side in _SIDES.items()}
_METHODS = {
    trading_pb2.COST_METHOD_UNSPECIFIED: CostMethod.FIFO,
    trading_pb2.COST_METHOD_FIFO: CostMethod.FIFO,
    trading_pb2.COST_METHOD_LIFO: CostMethod.LIFO,
    trading_pb2.COST_METHOD_AVERAGE: CostMethod.AVERAGE,
}
_METHODS_OUT = {
    CostMethod.FIFO: trading_pb2.COST_METHOD_FIFO,
    CostMethod.LIFO: trading_pb2.COST_METHOD_LIFO,
    CostMethod.AVERAGE: trading_pb2.COST_METHOD_AVERAGE,
}
_MARKS = {
    trading_pb2.MARK_PRICE_UNSPECIFIED: MarkField.LAST,
    trading_pb2.MARK_PRICE_LAST: MarkField.LAST,
    trading_pb2.MARK_PRICE_BID: MarkField.BID,
}
_INTERVALS = {
    pnl_pb2.HISTORY_INTERVAL_HOUR: Interval.HOUR,
    pnl_pb2.HISTORY_INTERVAL_DAY: Interval.DAY,
    pnl_pb2.HISTORY_INTERVAL_WEEK: Interval.WEEK,
    pnl_pb2.HISTORY_INTERVAL_MONTH: Interval.MONTH,
}
T = TypeVar("T")

_GROUPS = {
    pnl_pb2.BREAKDOWN_GROUP_UNSPECIFIED: GroupBy.SYMBOL,
    pnl_pb2.BREAKDOWN_GROUP_SYMBOL: GroupBy.SYMBOL,
    pnl_pb2.BREAKDOWN_GROUP_STRATEGY: GroupBy.STRATEGY,
}


def text(value: Decimal | None) -> str:
    """Plain notation: "5000", not "5E+3"; "" when unknown."""
    if value is None:
        return ""
    return format(value, "f")


def _enum(table: Mapping[Any, T], number: int, field: str) -> T:
    if number not in table:
        raise InvalidArgument([FieldViolation(field, f"unknown value {number}")])
    return table[number]


def cost_method(number: int, field: str = "method") -> CostMethod:
    return _enum(_METHODS, number, field)


def mark_field(number: int, field: str = "mark_price") -> MarkField:
    return _enum(_MARKS, number, field)


def interval(number: int) -> Interval:
    if number == pnl_pb2.HISTORY_INTERVAL_UNSPECIFIED:
        raise InvalidArgument(
            [FieldViolation("interval", "is required (hour, day, week or month)")]
        )
    return _enum(_INTERVALS, number, "interval")


def group_by(number: int) -> GroupBy:
    return _enum(_GROUPS, number, "group_by")


# --- fills ---------------------------------------------------------------------------


def fill_from_proto(message: trading_pb2.Fill) -> Fill:
    """The owner is left empty: the use case sets it from the caller, never the client."""
    side: Side | str = _SIDES.get(message.side, "")
    fee = Decimal(0) if not message.fee.strip() else decimal_from_text(message.fee)
    return Fill(
        fill_id=message.fill_id,
        owner="",
        symbol=message.symbol,
        side=side,  # type: ignore[arg-type]  # "" is reported by the rules, not a crash
        quantity=decimal_from_text(message.quantity),
        price=decimal_from_text(message.price),
        executed_at=datetime_from_timestamp(message.executed_at),
        quote=message.quote,
        fee=fee,
        fee_currency=message.fee_currency,
        fee_rate_to_quote=optional_decimal_from_text(message.fee_rate_to_quote),
        strategy_id=message.strategy_id or None,
    )


def fill_to_proto(fill: Fill) -> trading_pb2.Fill:
    return trading_pb2.Fill(
        fill_id=fill.fill_id,
        symbol=fill.symbol,
        quote=fill.quote,
        side=_SIDES_OUT[fill.side],
        quantity=text(fill.quantity),
        price=text(fill.price),
        fee=text(fill.fee),
        fee_currency=fill.fee_currency,
        fee_rate_to_quote=text(fill.fee_rate_to_quote),
        strategy_id=fill.strategy_id or "",
        executed_at=timestamp_from_datetime(fill.executed_at),
        owner=fill.owner,
    )


# --- positions and PnL -----------------------------------------------------------------


def position_to_proto(
    position: Position, mark_time: datetime | None = None
) -> trading_pb2.Position:
    message = trading_pb2.Position(
        symbol=position.symbol,
        quote=position.quote,
        quantity=text(position.quantity),
        cost_basis=text(position.cost_basis),
        average_cost=text(position.average_cost),
        mark=text(position.mark),
        market_value=text(position.market_value),
        unrealized_pnl=text(position.unrealized),
    )
    if mark_time is not None:
        message.mark_time.CopyFrom(timestamp_from_datetime(mark_time))
    return message


def marked_position_to_proto(marked: MarkedPosition) -> trading_pb2.Position:
    return position_to_proto(marked.position, marked.mark_time)


def summary_to_proto(summary: PnLSummary) -> pnl_pb2.PnLSummary:
    trades = summary.trades
    return pnl_pb2.PnLSummary(
        method=_METHODS_OUT[summary.method],
        quote=summary.quote or "",
        realized_pnl=text(summary.realized),
        unrealized_pnl=text(summary.unrealized),
        total_pnl=text(summary.total),
        fees_paid=text(summary.fees_paid),
        volume=text(summary.volume),
        closing_trades=trades.closing_trades,
        wins=trades.wins,
        losses=trades.losses,
        win_rate=text(trades.win_rate),
        profit_factor=text(trades.profit_factor),
        average_win=text(trades.average_win),
        average_loss=text(trades.average_loss),
        largest_win=text(trades.largest_win),
        largest_loss=text(trades.largest_loss),
        max_drawdown=text(summary.max_drawdown),
        max_drawdown_pct=text(summary.max_drawdown_pct),
        sharpe_ratio="" if summary.sharpe is None else repr(summary.sharpe),
        positions=[position_to_proto(p) for p in summary.positions],
        unmarked=list(summary.unmarked),
    )


def history_point_to_proto(point: HistoryPoint) -> pnl_pb2.PnLHistoryPoint:
    return pnl_pb2.PnLHistoryPoint(
        start_time=timestamp_from_datetime(point.start),
        end_time=timestamp_from_datetime(point.end),
        realized_pnl=text(point.realized),
        cumulative_realized_pnl=text(point.cumulative_realized),
        unrealized_pnl=text(point.unrealized),
        equity=text(point.equity),
        unmarked=list(point.unmarked),
    )


def summary_window(request: pnl_pb2.GetPnLSummaryRequest) -> PnLWindow:
    return PnLWindow(
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
        method=cost_method(request.method),
        symbol=request.symbol or None,
        quote=request.quote or None,
        strategy_id=request.strategy_id if request.HasField("strategy_id") else None,
        mark_field=mark_field(request.mark_price),
    )


def breakdown_window(request: pnl_pb2.GetPnLBreakdownRequest) -> PnLWindow:
    return PnLWindow(
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
        method=cost_method(request.method),
        quote=request.quote or None,
        mark_field=mark_field(request.mark_price),
    )


def history_window(request: pnl_pb2.GetPnLHistoryRequest) -> PnLWindow:
    return PnLWindow(
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
        method=cost_method(request.method),
        symbol=request.symbol or None,
        strategy_id=request.strategy_id if request.HasField("strategy_id") else None,
        mark_field=mark_field(request.mark_price),
    )
