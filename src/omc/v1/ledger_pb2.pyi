import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SentimentLabel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENTIMENT_LABEL_UNSPECIFIED: _ClassVar[SentimentLabel]
    SENTIMENT_LABEL_BULLISH: _ClassVar[SentimentLabel]
    SENTIMENT_LABEL_BEARISH: _ClassVar[SentimentLabel]
    SENTIMENT_LABEL_NEUTRAL: _ClassVar[SentimentLabel]
    SENTIMENT_LABEL_IMPORTANT: _ClassVar[SentimentLabel]
SENTIMENT_LABEL_UNSPECIFIED: SentimentLabel
SENTIMENT_LABEL_BULLISH: SentimentLabel
SENTIMENT_LABEL_BEARISH: SentimentLabel
SENTIMENT_LABEL_NEUTRAL: SentimentLabel
SENTIMENT_LABEL_IMPORTANT: SentimentLabel

class PriceTick(_message.Message):
    __slots__ = ("symbol", "quote", "source", "last", "bid", "ask", "volume_24h", "observed_at")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    BID_FIELD_NUMBER: _ClassVar[int]
    ASK_FIELD_NUMBER: _ClassVar[int]
    VOLUME_24H_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quote: str
    source: str
    last: str
    bid: str
    ask: str
    volume_24h: str
    observed_at: _timestamp_pb2.Timestamp
    def __init__(self, symbol: _Optional[str] = ..., quote: _Optional[str] = ..., source: _Optional[str] = ..., last: _Optional[str] = ..., bid: _Optional[str] = ..., ask: _Optional[str] = ..., volume_24h: _Optional[str] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProtocolMetric(_message.Message):
    __slots__ = ("protocol", "day", "observed_at", "source", "tvl_usd", "fees_24h", "revenue_24h")
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TVL_USD_FIELD_NUMBER: _ClassVar[int]
    FEES_24H_FIELD_NUMBER: _ClassVar[int]
    REVENUE_24H_FIELD_NUMBER: _ClassVar[int]
    protocol: str
    day: str
    observed_at: _timestamp_pb2.Timestamp
    source: str
    tvl_usd: str
    fees_24h: str
    revenue_24h: str
    def __init__(self, protocol: _Optional[str] = ..., day: _Optional[str] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., tvl_usd: _Optional[str] = ..., fees_24h: _Optional[str] = ..., revenue_24h: _Optional[str] = ...) -> None: ...

class OnChainMetric(_message.Message):
    __slots__ = ("asset", "metric", "value", "observed_at", "source")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    asset: str
    metric: str
    value: str
    observed_at: _timestamp_pb2.Timestamp
    source: str
    def __init__(self, asset: _Optional[str] = ..., metric: _Optional[str] = ..., value: _Optional[str] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ...) -> None: ...

class NewsItem(_message.Message):
    __slots__ = ("source", "external_id", "title", "url", "published_at", "source_name", "sentiment_label", "sentiment_score", "currencies", "votes_positive", "votes_negative", "panic_score")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_LABEL_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    VOTES_POSITIVE_FIELD_NUMBER: _ClassVar[int]
    VOTES_NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    PANIC_SCORE_FIELD_NUMBER: _ClassVar[int]
    source: str
    external_id: str
    title: str
    url: str
    published_at: _timestamp_pb2.Timestamp
    source_name: str
    sentiment_label: SentimentLabel
    sentiment_score: str
    currencies: _containers.RepeatedScalarFieldContainer[str]
    votes_positive: int
    votes_negative: int
    panic_score: str
    def __init__(self, source: _Optional[str] = ..., external_id: _Optional[str] = ..., title: _Optional[str] = ..., url: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_name: _Optional[str] = ..., sentiment_label: _Optional[_Union[SentimentLabel, str]] = ..., sentiment_score: _Optional[str] = ..., currencies: _Optional[_Iterable[str]] = ..., votes_positive: _Optional[int] = ..., votes_negative: _Optional[int] = ..., panic_score: _Optional[str] = ...) -> None: ...

class SocialPost(_message.Message):
    __slots__ = ("platform", "external_id", "title", "posted_at", "community", "author", "body", "url", "score", "comment_count", "sentiment_label", "sentiment_score", "currencies")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_LABEL_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    platform: str
    external_id: str
    title: str
    posted_at: _timestamp_pb2.Timestamp
    community: str
    author: str
    body: str
    url: str
    score: int
    comment_count: int
    sentiment_label: SentimentLabel
    sentiment_score: str
    currencies: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, platform: _Optional[str] = ..., external_id: _Optional[str] = ..., title: _Optional[str] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., community: _Optional[str] = ..., author: _Optional[str] = ..., body: _Optional[str] = ..., url: _Optional[str] = ..., score: _Optional[int] = ..., comment_count: _Optional[int] = ..., sentiment_label: _Optional[_Union[SentimentLabel, str]] = ..., sentiment_score: _Optional[str] = ..., currencies: _Optional[_Iterable[str]] = ...) -> None: ...

class CatalystEvent(_message.Message):
    __slots__ = ("event_type", "title", "source", "external_id", "impact", "occurred_at", "detected_at", "description", "url", "currencies")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    title: str
    source: str
    external_id: str
    impact: int
    occurred_at: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    description: str
    url: str
    currencies: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, event_type: _Optional[str] = ..., title: _Optional[str] = ..., source: _Optional[str] = ..., external_id: _Optional[str] = ..., impact: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ..., url: _Optional[str] = ..., currencies: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordStats(_message.Message):
    __slots__ = ("record_type", "count", "earliest_time", "latest_time")
    RECORD_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_TIME_FIELD_NUMBER: _ClassVar[int]
    LATEST_TIME_FIELD_NUMBER: _ClassVar[int]
    record_type: str
    count: int
    earliest_time: _timestamp_pb2.Timestamp
    latest_time: _timestamp_pb2.Timestamp
    def __init__(self, record_type: _Optional[str] = ..., count: _Optional[int] = ..., earliest_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latest_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IngestPriceTicksRequest(_message.Message):
    __slots__ = ("ticks",)
    TICKS_FIELD_NUMBER: _ClassVar[int]
    ticks: _containers.RepeatedCompositeFieldContainer[PriceTick]
    def __init__(self, ticks: _Optional[_Iterable[_Union[PriceTick, _Mapping]]] = ...) -> None: ...

class IngestPriceTicksResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListPriceTicksRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "symbols", "quote", "source", "start_time", "end_time", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    quote: str
    source: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., quote: _Optional[str] = ..., source: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListPriceTicksResponse(_message.Message):
    __slots__ = ("ticks", "next_page_token")
    TICKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ticks: _containers.RepeatedCompositeFieldContainer[PriceTick]
    next_page_token: str
    def __init__(self, ticks: _Optional[_Iterable[_Union[PriceTick, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLatestPricesRequest(_message.Message):
    __slots__ = ("symbols", "quote", "source")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    quote: str
    source: str
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., quote: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class GetLatestPricesResponse(_message.Message):
    __slots__ = ("ticks",)
    TICKS_FIELD_NUMBER: _ClassVar[int]
    ticks: _containers.RepeatedCompositeFieldContainer[PriceTick]
    def __init__(self, ticks: _Optional[_Iterable[_Union[PriceTick, _Mapping]]] = ...) -> None: ...

class WatchPricesRequest(_message.Message):
    __slots__ = ("symbols", "quote")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    quote: str
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., quote: _Optional[str] = ...) -> None: ...

class WatchPricesResponse(_message.Message):
    __slots__ = ("tick",)
    TICK_FIELD_NUMBER: _ClassVar[int]
    tick: PriceTick
    def __init__(self, tick: _Optional[_Union[PriceTick, _Mapping]] = ...) -> None: ...

class IngestProtocolMetricsRequest(_message.Message):
    __slots__ = ("metrics",)
    METRICS_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[ProtocolMetric]
    def __init__(self, metrics: _Optional[_Iterable[_Union[ProtocolMetric, _Mapping]]] = ...) -> None: ...

class IngestProtocolMetricsResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListProtocolMetricsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "protocols", "source", "start_day", "end_day", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROTOCOLS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_DAY_FIELD_NUMBER: _ClassVar[int]
    END_DAY_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    protocols: _containers.RepeatedScalarFieldContainer[str]
    source: str
    start_day: str
    end_day: str
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., protocols: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ..., start_day: _Optional[str] = ..., end_day: _Optional[str] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListProtocolMetricsResponse(_message.Message):
    __slots__ = ("metrics", "next_page_token")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[ProtocolMetric]
    next_page_token: str
    def __init__(self, metrics: _Optional[_Iterable[_Union[ProtocolMetric, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class IngestOnChainMetricsRequest(_message.Message):
    __slots__ = ("metrics",)
    METRICS_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[OnChainMetric]
    def __init__(self, metrics: _Optional[_Iterable[_Union[OnChainMetric, _Mapping]]] = ...) -> None: ...

class IngestOnChainMetricsResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListOnChainMetricsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "assets", "metrics", "source", "start_time", "end_time", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    assets: _containers.RepeatedScalarFieldContainer[str]
    metrics: _containers.RepeatedScalarFieldContainer[str]
    source: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., assets: _Optional[_Iterable[str]] = ..., metrics: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListOnChainMetricsResponse(_message.Message):
    __slots__ = ("metrics", "next_page_token")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    metrics: _containers.RepeatedCompositeFieldContainer[OnChainMetric]
    next_page_token: str
    def __init__(self, metrics: _Optional[_Iterable[_Union[OnChainMetric, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class IngestNewsItemsRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[NewsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[NewsItem, _Mapping]]] = ...) -> None: ...

class IngestNewsItemsResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListNewsItemsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "currency", "source", "start_time", "end_time", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    currency: str
    source: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., currency: _Optional[str] = ..., source: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListNewsItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[NewsItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[NewsItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class IngestSocialPostsRequest(_message.Message):
    __slots__ = ("posts",)
    POSTS_FIELD_NUMBER: _ClassVar[int]
    posts: _containers.RepeatedCompositeFieldContainer[SocialPost]
    def __init__(self, posts: _Optional[_Iterable[_Union[SocialPost, _Mapping]]] = ...) -> None: ...

class IngestSocialPostsResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListSocialPostsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "currency", "platform", "community", "start_time", "end_time", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    currency: str
    platform: str
    community: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., currency: _Optional[str] = ..., platform: _Optional[str] = ..., community: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListSocialPostsResponse(_message.Message):
    __slots__ = ("posts", "next_page_token")
    POSTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    posts: _containers.RepeatedCompositeFieldContainer[SocialPost]
    next_page_token: str
    def __init__(self, posts: _Optional[_Iterable[_Union[SocialPost, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class IngestCatalystEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CatalystEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[CatalystEvent, _Mapping]]] = ...) -> None: ...

class IngestCatalystEventsResponse(_message.Message):
    __slots__ = ("inserted", "updated", "duplicate")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    duplicate: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ...) -> None: ...

class ListCatalystEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "currency", "event_types", "source", "start_time", "end_time", "newest_first")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    currency: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    source: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    newest_first: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., currency: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_first: _Optional[bool] = ...) -> None: ...

class ListCatalystEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CatalystEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[CatalystEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchCatalystEventsRequest(_message.Message):
    __slots__ = ("kinds", "symbols")
    KINDS_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    kinds: _containers.RepeatedScalarFieldContainer[str]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kinds: _Optional[_Iterable[str]] = ..., symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchCatalystEventsResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: CatalystEvent
    def __init__(self, event: _Optional[_Union[CatalystEvent, _Mapping]] = ...) -> None: ...

class GetLedgerStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLedgerStatsResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _containers.RepeatedCompositeFieldContainer[RecordStats]
    def __init__(self, stats: _Optional[_Iterable[_Union[RecordStats, _Mapping]]] = ...) -> None: ...
