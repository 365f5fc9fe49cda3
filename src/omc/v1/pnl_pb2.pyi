import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from omc.v1 import trading_pb2 as _trading_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BreakdownGroup(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKDOWN_GROUP_UNSPECIFIED: _ClassVar[BreakdownGroup]
    BREAKDOWN_GROUP_SYMBOL: _ClassVar[BreakdownGroup]
    BREAKDOWN_GROUP_STRATEGY: _ClassVar[BreakdownGroup]

class HistoryInterval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_INTERVAL_UNSPECIFIED: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_HOUR: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_DAY: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_WEEK: _ClassVar[HistoryInterval]
    HISTORY_INTERVAL_MONTH: _ClassVar[HistoryInterval]
BREAKDOWN_GROUP_UNSPECIFIED: BreakdownGroup
BREAKDOWN_GROUP_SYMBOL: BreakdownGroup
BREAKDOWN_GROUP_STRATEGY: BreakdownGroup
HISTORY_INTERVAL_UNSPECIFIED: HistoryInterval
HISTORY_INTERVAL_HOUR: HistoryInterval
HISTORY_INTERVAL_DAY: HistoryInterval
HISTORY_INTERVAL_WEEK: HistoryInterval
HISTORY_INTERVAL_MONTH: HistoryInterval

class PnLSummary(_message.Message):
    __slots__ = ("method", "quote", "realized_pnl", "unrealized_pnl", "total_pnl", "fees_paid", "volume", "closing_trades", "wins", "losses", "win_rate", "profit_factor", "average_win", "average_loss", "largest_win", "largest_loss", "max_drawdown", "max_drawdown_pct", "sharpe_ratio", "positions", "unmarked")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_PAID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    CLOSING_TRADES_FIELD_NUMBER: _ClassVar[int]
    WINS_FIELD_NUMBER: _ClassVar[int]
    LOSSES_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    PROFIT_FACTOR_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_WIN_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_LOSS_FIELD_NUMBER: _ClassVar[int]
    LARGEST_WIN_FIELD_NUMBER: _ClassVar[int]
    LARGEST_LOSS_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_PCT_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    UNMARKED_FIELD_NUMBER: _ClassVar[int]
    method: _trading_pb2.CostMethod
    quote: str
    realized_pnl: str
    unrealized_pnl: str
    total_pnl: str
    fees_paid: str
    volume: str
    closing_trades: int
    wins: int
    losses: int
    win_rate: str
    profit_factor: str
    average_win: str
    average_loss: str
    largest_win: str
    largest_loss: str
    max_drawdown: str
    max_drawdown_pct: str
    sharpe_ratio: str
    positions: _containers.RepeatedCompositeFieldContainer[_trading_pb2.Position]
    unmarked: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, method: _Optional[_Union[_trading_pb2.CostMethod, str]] = ..., quote: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., total_pnl: _Optional[str] = ..., fees_paid: _Optional[str] = ..., volume: _Optional[str] = ..., closing_trades: _Optional[int] = ..., wins: _Optional[int] = ..., losses: _Optional[int] = ..., win_rate: _Optional[str] = ..., profit_factor: _Optional[str] = ..., average_win: _Optional[str] = ..., average_loss: _Optional[str] = ..., largest_win: _Optional[str] = ..., largest_loss: _Optional[str] = ..., max_drawdown: _Optional[str] = ..., max_drawdown_pct: _Optional[str] = ..., sharpe_ratio: _Optional[str] = ..., positions: _Optional[_Iterable[_Union[_trading_pb2.Position, _Mapping]]] = ..., unmarked: _Optional[_Iterable[str]] = ...) -> None: ...

class GetPnLSummaryRequest(_message.Message):
    __slots__ = ("user_id", "start_time", "end_time", "method", "symbol", "quote", "strategy_id", "mark_price")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    method: _trading_pb2.CostMethod
    symbol: str
    quote: str
    strategy_id: str
    mark_price: _trading_pb2.MarkPrice
    def __init__(self, user_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., method: _Optional[_Union[_trading_pb2.CostMethod, str]] = ..., symbol: _Optional[str] = ..., quote: _Optional[str] = ..., strategy_id: _Optional[str] = ..., mark_price: _Optional[_Union[_trading_pb2.MarkPrice, str]] = ...) -> None: ...

class GetPnLSummaryResponse(_message.Message):
    __slots__ = ("summary", "start_time", "end_time")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    summary: PnLSummary
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, summary: _Optional[_Union[PnLSummary, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetPnLBreakdownRequest(_message.Message):
    __slots__ = ("user_id", "start_time", "end_time", "method", "quote", "group_by", "mark_price")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    method: _trading_pb2.CostMethod
    quote: str
    group_by: BreakdownGroup
    mark_price: _trading_pb2.MarkPrice
    def __init__(self, user_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., method: _Optional[_Union[_trading_pb2.CostMethod, str]] = ..., quote: _Optional[str] = ..., group_by: _Optional[_Union[BreakdownGroup, str]] = ..., mark_price: _Optional[_Union[_trading_pb2.MarkPrice, str]] = ...) -> None: ...

class PnLGroup(_message.Message):
    __slots__ = ("key", "summary")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    key: str
    summary: PnLSummary
    def __init__(self, key: _Optional[str] = ..., summary: _Optional[_Union[PnLSummary, _Mapping]] = ...) -> None: ...

class GetPnLBreakdownResponse(_message.Message):
    __slots__ = ("groups",)
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[PnLGroup]
    def __init__(self, groups: _Optional[_Iterable[_Union[PnLGroup, _Mapping]]] = ...) -> None: ...

class GetPnLHistoryRequest(_message.Message):
    __slots__ = ("user_id", "start_time", "end_time", "interval", "method", "symbol", "strategy_id", "mark_price")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    interval: HistoryInterval
    method: _trading_pb2.CostMethod
    symbol: str
    strategy_id: str
    mark_price: _trading_pb2.MarkPrice
    def __init__(self, user_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval: _Optional[_Union[HistoryInterval, str]] = ..., method: _Optional[_Union[_trading_pb2.CostMethod, str]] = ..., symbol: _Optional[str] = ..., strategy_id: _Optional[str] = ..., mark_price: _Optional[_Union[_trading_pb2.MarkPrice, str]] = ...) -> None: ...

class PnLHistoryPoint(_message.Message):
    __slots__ = ("start_time", "end_time", "realized_pnl", "cumulative_realized_pnl", "unrealized_pnl", "equity", "unmarked")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    UNMARKED_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    realized_pnl: str
    cumulative_realized_pnl: str
    unrealized_pnl: str
    equity: str
    unmarked: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., realized_pnl: _Optional[str] = ..., cumulative_realized_pnl: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., equity: _Optional[str] = ..., unmarked: _Optional[_Iterable[str]] = ...) -> None: ...

class GetPnLHistoryResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[PnLHistoryPoint]
    def __init__(self, points: _Optional[_Iterable[_Union[PnLHistoryPoint, _Mapping]]] = ...) -> None: ...
