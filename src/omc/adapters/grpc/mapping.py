"""Translation between omc.v1 messages and domain records / application filters.

Mapping never judges values: text that is not a decimal becomes Decimal("NaN") and an
unset Timestamp becomes 1970-01-01, so the domain rules (one place) report them together
with every other violation of the batch. The only errors raised here are for values the
domain has no way to represent (an enum number this server does not know).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from omc.adapters.gc_pause import cyclic_gc_paused
from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.filters import (
    CatalystEventFilter,
    NewsItemFilter,
    OnChainMetricFilter,
    PriceTickFilter,
    ProtocolMetricFilter,
    SocialPostFilter,
)
from omc.application.ports import IngestResult, RecordStats
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SentimentLabel, SocialPost
from omc.domain.tick_columns import PriceTickColumns
from omc.v1 import ledger_pb2 as pb

M = TypeVar("M")
T = TypeVar("T")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = EPOCH.date()
NOT_A_NUMBER = Decimal("NaN")
# Far beyond any real observation: the domain rejects it as "in the future".
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

_LABEL_TO_PROTO: dict[SentimentLabel, pb.SentimentLabel] = {
    SentimentLabel.BULLISH: pb.SENTIMENT_LABEL_BULLISH,
    SentimentLabel.BEARISH: pb.SENTIMENT_LABEL_BEARISH,
    SentimentLabel.NEUTRAL: pb.SENTIMENT_LABEL_NEUTRAL,
    SentimentLabel.IMPORTANT: pb.SENTIMENT_LABEL_IMPORTANT,
}
_LABEL_FROM_PROTO: dict[int, SentimentLabel] = {
    number: label for label, number in _LABEL_TO_PROTO.items()
}


# --- scalars -------------------------------------------------------------------------


def decimal_from_text(text: str) -> Decimal:
    """A required decimal: empty or malformed text is NaN, which the rules reject."""
    # Decimal() also takes "1_000" and signalling NaNs; neither is decimal text on the wire.
    if "_" in text:
        return NOT_A_NUMBER
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return NOT_A_NUMBER
    return NOT_A_NUMBER if value.is_nan() else value


def optional_decimal_from_text(text: str) -> Decimal | None:
    """An optional decimal: empty text means absent."""
    if not text.strip():
        return None
    return decimal_from_text(text)


def decimal_to_text(value: Decimal | None) -> str:
    # str() keeps the exponent the value was stored with: "1.50" stays "1.50".
    return "" if value is None else str(value)


def datetime_from_timestamp(timestamp: Timestamp) -> datetime:
    """An aware UTC datetime; unset is the 1970 epoch, which the rules reject as unset."""
    if not 0 <= timestamp.nanos < 1_000_000_000:
        return EPOCH  # malformed: the rules reject it as unset
    try:
        # Arithmetic on the epoch: a third of the cost of Timestamp.ToDatetime, which
        # matters at tens of thousands of ticks per batch.
        return EPOCH + timedelta(seconds=timestamp.seconds, microseconds=timestamp.nanos // 1000)
    except (ValueError, OverflowError, OSError):
        # Seconds outside datetime's range: report through the rules, not a crash.
        return FAR_FUTURE if timestamp.seconds > 0 else EPOCH


def optional_datetime(message: object, field: str) -> datetime | None:
    """A filter bound: unset means no bound."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    return datetime_from_timestamp(getattr(message, field))


def timestamp_from_datetime(value: datetime) -> Timestamp:
    # Arithmetic on the epoch, as in datetime_from_timestamp: Timestamp.FromDatetime
    # costs ~6 us, which every listed or watched record pays.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # naive means UTC, as FromDatetime reads it
    delta = value - EPOCH
    return Timestamp(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1_000)


def day_from_text(text: str) -> date:
    """A record's day: empty or malformed text is the epoch day, which the rules reject."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return EPOCH_DAY


def optional_day_from_text(text: str, field: str) -> date | None:
    """A filter bound given as "YYYY-MM-DD"; empty means no bound."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(
            [FieldViolation(field, f"must be a date YYYY-MM-DD (got {text[:40]!r})")]
        ) from None


def _optional_text(text: str) -> str | None:
    return text if text.strip() else None


def _sentiment_from_proto(number: int, path: str) -> SentimentLabel | None:
    if number == pb.SENTIMENT_LABEL_UNSPECIFIED:
        return None
    label = _LABEL_FROM_PROTO.get(number)
    if label is None:
        # A newer client may send a label this server does not know; the domain cannot
        # hold it, so it is refused rather than silently dropped.
        raise InvalidArgument([FieldViolation(path, f"unknown sentiment label {number}")])
    return label


def _sentiment_to_proto(label: SentimentLabel | None) -> pb.SentimentLabel:
    return pb.SENTIMENT_LABEL_UNSPECIFIED if label is None else _LABEL_TO_PROTO[label]


def ingest_counts(result: IngestResult) -> dict[str, int]:
    return {"inserted": result.inserted, "updated": result.updated, "duplicate": result.duplicate}


# --- records: proto -> domain ----------------------------------------------------------


def price_tick_from_proto(message: pb.PriceTick) -> PriceTick:
    return PriceTick(
        symbol=message.symbol,
        quote=message.quote,
        source=message.source,
        last=decimal_from_text(message.last),
        bid=optional_decimal_from_text(message.bid),
        ask=optional_decimal_from_text(message.ask),
        volume_24h=optional_decimal_from_text(message.volume_24h),
        observed_at=datetime_from_timestamp(message.observed_at),
    )


_TICK_FIELDS = attrgetter(
    "symbol", "quote", "source", "last", "bid", "ask", "volume_24h", "observed_at"
)
_TICK_TIME = attrgetter("seconds", "nanos")


# Ticks per part of a batch: big enough that a part is a few C-level passes, small
# enough that Postgres parses one part while the next is read and checked.
TICK_PART_ROWS = 2_000


def price_tick_column_parts(
    messages: Sequence[pb.PriceTick], rows: int = TICK_PART_ROWS
) -> Iterator[PriceTickColumns]:
    """The batch as consecutive parts of `rows` ticks, each read when it is taken."""
    for start in range(0, len(messages), rows):
        yield price_tick_columns_from_proto(messages[start : start + rows])


def price_tick_columns_from_proto(messages: Sequence[pb.PriceTick]) -> PriceTickColumns:
    """The batch as columns of wire values, read with C-level getters in one pass: field
    access on upb messages is most of what a tick costs before it is checked."""
    if not messages:
        return PriceTickColumns((), (), (), (), (), (), (), (), ())
    # Tens of thousands of tuples, none in a cycle: collections would cost a fifth of
    # the mapping's time (measured).
    with cyclic_gc_paused():
        symbols, quotes, sources, lasts, bids, asks, volumes, times = zip(
            *map(_TICK_FIELDS, messages), strict=True
        )
        seconds, nanos = zip(*map(_TICK_TIME, times), strict=True)
    return PriceTickColumns(symbols, quotes, sources, lasts, bids, asks, volumes, seconds, nanos)


def protocol_metric_from_proto(message: pb.ProtocolMetric) -> ProtocolMetric:
    return ProtocolMetric(
        protocol=message.protocol,
        day=day_from_text(message.day),
        observed_at=datetime_from_timestamp(message.observed_at),
        source=message.source,
        tvl_usd=optional_decimal_from_text(message.tvl_usd),
        fees_24h=optional_decimal_from_text(message.fees_24h),
        revenue_24h=optional_decimal_from_text(message.revenue_24h),
    )


def onchain_metric_from_proto(message: pb.OnChainMetric) -> OnChainMetric:
    return OnChainMetric(
        asset=message.asset,
        metric=message.metric,
        value=decimal_from_text(message.value),
        observed_at=datetime_from_timestamp(message.observed_at),
        source=message.source,
    )


def news_item_from_proto(message: pb.NewsItem, path: str = "") -> NewsItem:
    return NewsItem(
        source=message.source,
        external_id=message.external_id,
        title=message.title,
        url=message.url,
        published_at=datetime_from_timestamp(message.published_at),
        source_name=message.source_name,
        sentiment_label=_sentiment_from_proto(
            message.sentiment_label, _join(path, "sentiment_label")
        ),
        sentiment_score=optional_decimal_from_text(message.sentiment_score),
        currencies=tuple(message.currencies),
        votes_positive=message.votes_positive if message.HasField("votes_positive") else None,
        votes_negative=message.votes_negative if message.HasField("votes_negative") else None,
        panic_score=optional_decimal_from_text(message.panic_score),
    )


def social_post_from_proto(message: pb.SocialPost, path: str = "") -> SocialPost:
    return SocialPost(
        platform=message.platform,
        external_id=message.external_id,
        title=message.title,
        posted_at=datetime_from_timestamp(message.posted_at),
        community=message.community,
        author=message.author,
        body=message.body,
        url=message.url,
        score=message.score,
        comment_count=message.comment_count,
        sentiment_label=_sentiment_from_proto(
            message.sentiment_label, _join(path, "sentiment_label")
        ),
        sentiment_score=optional_decimal_from_text(message.sentiment_score),
        currencies=tuple(message.currencies),
    )


def catalyst_event_from_proto(message: pb.CatalystEvent) -> CatalystEvent:
    return CatalystEvent(
        event_type=message.event_type,
        title=message.title,
        source=message.source,
        external_id=message.external_id,
        impact=message.impact,
        occurred_at=datetime_from_timestamp(message.occurred_at),
        detected_at=datetime_from_timestamp(message.detected_at),
        description=message.description,
        url=message.url,
        currencies=tuple(message.currencies),
    )


def news_items_from_proto(messages: Iterable[pb.NewsItem]) -> list[NewsItem]:
    return _map_batch(messages, "items", news_item_from_proto)


def social_posts_from_proto(messages: Iterable[pb.SocialPost]) -> list[SocialPost]:
    return _map_batch(messages, "posts", social_post_from_proto)


def _map_batch(messages: Iterable[M], collection: str, build: Callable[[M, str], T]) -> list[T]:
    """Maps every record, then reports every unmappable field of the batch at once."""
    records: list[T] = []
    violations: list[FieldViolation] = []
    for index, message in enumerate(messages):
        try:
            records.append(build(message, f"{collection}[{index}]"))
        except InvalidArgument as error:
            violations.extend(error.violations)
    if violations:
        raise InvalidArgument(violations)
    return records


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


# --- records: domain -> proto ----------------------------------------------------------


def price_tick_to_proto(tick: PriceTick) -> pb.PriceTick:
    return pb.PriceTick(
        symbol=tick.symbol,
        quote=tick.quote,
        source=tick.source,
        last=decimal_to_text(tick.last),
        bid=decimal_to_text(tick.bid),
        ask=decimal_to_text(tick.ask),
        volume_24h=decimal_to_text(tick.volume_24h),
        observed_at=timestamp_from_datetime(tick.observed_at),
    )


def protocol_metric_to_proto(metric: ProtocolMetric) -> pb.ProtocolMetric:
    return pb.ProtocolMetric(
        protocol=metric.protocol,
        day=metric.day.isoformat(),
        observed_at=timestamp_from_datetime(metric.observed_at),
        source=metric.source,
        tvl_usd=decimal_to_text(metric.tvl_usd),
        fees_24h=decimal_to_text(metric.fees_24h),
        revenue_24h=decimal_to_text(metric.revenue_24h),
    )


def onchain_metric_to_proto(metric: OnChainMetric) -> pb.OnChainMetric:
    return pb.OnChainMetric(
        asset=metric.asset,
        metric=metric.metric,
        value=decimal_to_text(metric.value),
        observed_at=timestamp_from_datetime(metric.observed_at),
        source=metric.source,
    )


def news_item_to_proto(item: NewsItem) -> pb.NewsItem:
    message = pb.NewsItem(
        source=item.source,
        external_id=item.external_id,
        title=item.title,
        url=item.url,
        published_at=timestamp_from_datetime(item.published_at),
        source_name=item.source_name,
        sentiment_label=_sentiment_to_proto(item.sentiment_label),
        sentiment_score=decimal_to_text(item.sentiment_score),
        currencies=item.currencies,
        panic_score=decimal_to_text(item.panic_score),
    )
    if item.votes_positive is not None:
        message.votes_positive = item.votes_positive
    if item.votes_negative is not None:
        message.votes_negative = item.votes_negative
    return message


def social_post_to_proto(post: SocialPost) -> pb.SocialPost:
    return pb.SocialPost(
        platform=post.platform,
        external_id=post.external_id,
        title=post.title,
        posted_at=timestamp_from_datetime(post.posted_at),
        community=post.community,
        author=post.author,
        body=post.body,
        url=post.url,
        score=post.score,
        comment_count=post.comment_count,
        sentiment_label=_sentiment_to_proto(post.sentiment_label),
        sentiment_score=decimal_to_text(post.sentiment_score),
        currencies=post.currencies,
    )


def catalyst_event_to_proto(event: CatalystEvent) -> pb.CatalystEvent:
    return pb.CatalystEvent(
        event_type=event.event_type,
        title=event.title,
        source=event.source,
        external_id=event.external_id,
        impact=event.impact,
        occurred_at=timestamp_from_datetime(event.occurred_at),
        detected_at=timestamp_from_datetime(event.detected_at),
        description=event.description,
        url=event.url,
        currencies=event.currencies,
    )


def record_stats_to_proto(stats: RecordStats) -> pb.RecordStats:
    message = pb.RecordStats(record_type=stats.record_type, count=stats.count)
    if stats.earliest is not None:
        message.earliest_time.CopyFrom(timestamp_from_datetime(stats.earliest))
    if stats.latest is not None:
        message.latest_time.CopyFrom(timestamp_from_datetime(stats.latest))
    return message


# --- list filters ----------------------------------------------------------------------


def price_tick_filter(request: pb.ListPriceTicksRequest) -> PriceTickFilter:
    return PriceTickFilter(
        symbols=tuple(request.symbols),
        quote=_optional_text(request.quote),
        source=_optional_text(request.source),
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
    )


def protocol_metric_filter(request: pb.ListProtocolMetricsRequest) -> ProtocolMetricFilter:
    violations: list[FieldViolation] = []
    bounds: list[date | None] = []
    for field in ("start_day", "end_day"):
        try:
            bounds.append(optional_day_from_text(getattr(request, field), field))
        except InvalidArgument as error:
            violations.extend(error.violations)
    if violations:
        raise InvalidArgument(violations)
    return ProtocolMetricFilter(
        protocols=tuple(request.protocols),
        source=_optional_text(request.source),
        start_day=bounds[0],
        end_day=bounds[1],
    )


def onchain_metric_filter(request: pb.ListOnChainMetricsRequest) -> OnChainMetricFilter:
    return OnChainMetricFilter(
        assets=tuple(request.assets),
        metrics=tuple(request.metrics),
        source=_optional_text(request.source),
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
    )


def news_item_filter(request: pb.ListNewsItemsRequest) -> NewsItemFilter:
    return NewsItemFilter(
        currency=_optional_text(request.currency),
        source=_optional_text(request.source),
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
    )


def social_post_filter(request: pb.ListSocialPostsRequest) -> SocialPostFilter:
    return SocialPostFilter(
        currency=_optional_text(request.currency),
        platform=_optional_text(request.platform),
        community=_optional_text(request.community),
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
    )


def catalyst_event_filter(request: pb.ListCatalystEventsRequest) -> CatalystEventFilter:
    return CatalystEventFilter(
        currency=_optional_text(request.currency),
        event_types=tuple(request.event_types),
        source=_optional_text(request.source),
        start=optional_datetime(request, "start_time"),
        end=optional_datetime(request, "end_time"),
    )
