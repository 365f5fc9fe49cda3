import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]

class CostMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COST_METHOD_UNSPECIFIED: _ClassVar[CostMethod]
    COST_METHOD_FIFO: _ClassVar[CostMethod]
    COST_METHOD_LIFO: _ClassVar[CostMethod]
    COST_METHOD_AVERAGE: _ClassVar[CostMethod]

class MarkPrice(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARK_PRICE_UNSPECIFIED: _ClassVar[MarkPrice]
    MARK_PRICE_LAST: _ClassVar[MarkPrice]
    MARK_PRICE_BID: _ClassVar[MarkPrice]
SIDE_UNSPECIFIED: Side
SIDE_BUY: Side
SIDE_SELL: Side
COST_METHOD_UNSPECIFIED: CostMethod
COST_METHOD_FIFO: CostMethod
COST_METHOD_LIFO: CostMethod
COST_METHOD_AVERAGE: CostMethod
MARK_PRICE_UNSPECIFIED: MarkPrice
MARK_PRICE_LAST: MarkPrice
MARK_PRICE_BID: MarkPrice

class Fill(_message.Message):
    __slots__ = ("fill_id", "symbol", "quote", "side", "quantity", "price", "fee", "fee_currency", "fee_rate_to_quote", "strategy_id", "executed_at", "owner")
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    FEE_RATE_TO_QUOTE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    fill_id: str
    symbol: str
    quote: str
    side: Side
    quantity: str
    price: str
    fee: str
    fee_currency: str
    fee_rate_to_quote: str
    strategy_id: str
    executed_at: _timestamp_pb2.Timestamp
    owner: str
    def __init__(self, fill_id: _Optional[str] = ..., symbol: _Optional[str] = ..., quote: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ..., fee_currency: _Optional[str] = ..., fee_rate_to_quote: _Optional[str] = ..., strategy_id: _Optional[str] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner: _Optional[str] = ...) -> None: ...

class RecordFillsRequest(_message.Message):
    __slots__ = ("fills", "user_id")
    FILLS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    user_id: str
    def __init__(self, fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., user_id: _Optional[str] = ...) -> None: ...

class RecordFillsResponse(_message.Message):
    __slots__ = ("inserted", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListFillsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "user_id", "symbol", "quote", "strategy_id", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    user_id: str
    symbol: str
    quote: str
    strategy_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., user_id: _Optional[str] = ..., symbol: _Optional[str] = ..., quote: _Optional[str] = ..., strategy_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFillsResponse(_message.Message):
    __slots__ = ("fills", "next_page_token")
    FILLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    next_page_token: str
    def __init__(self, fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPositionsRequest(_message.Message):
    __slots__ = ("user_id", "symbol", "quote", "method", "mark_price", "as_of")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    symbol: str
    quote: str
    method: CostMethod
    mark_price: MarkPrice
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., symbol: _Optional[str] = ..., quote: _Optional[str] = ..., method: _Optional[_Union[CostMethod, str]] = ..., mark_price: _Optional[_Union[MarkPrice, str]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("symbol", "quote", "quantity", "cost_basis", "average_cost", "mark", "market_value", "unrealized_pnl", "mark_time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    COST_BASIS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_FIELD_NUMBER: _ClassVar[int]
    MARK_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    MARK_TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quote: str
    quantity: str
    cost_basis: str
    average_cost: str
    mark: str
    market_value: str
    unrealized_pnl: str
    mark_time: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., quote: _Optional[str] = ..., quantity: _Optional[str] = ..., cost_basis: _Optional[str] = ..., average_cost: _Optional[str] = ..., mark: _Optional[str] = ..., market_value: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., mark_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ...) -> None: ...
