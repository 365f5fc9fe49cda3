"""proto <-> domain mapping: malformed input reaches the domain rules, never crashes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from omc.adapters.grpc import mapping
from omc.application.errors import InvalidArgument
from omc.domain.exchange import PriceTick
from omc.domain.human import SentimentLabel
from omc.v1 import ledger_pb2 as pb

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _tick(**fields: object) -> pb.PriceTick:
    defaults: dict[str, object] = {
        "symbol": "BTC",
        "quote": "AUD",
        "source": "coinspot",
        "last": "100.5",
        "observed_at": _timestamp(datetime(2024, 5, 1, tzinfo=UTC)),
    }
    return pb.PriceTick(**{**defaults, **fields})


def _violations(tick: PriceTick) -> dict[str, str]:
    return {v.field: v.description for v in tick.normalized().violations(NOW)}


@pytest.mark.parametrize("text", ["abc", "1,5", "1_000", "--1", "0x10", "NaN", "sNaN"])
def test_text_that_is_not_a_decimal_is_reported_by_the_domain_rules(text: str) -> None:
    tick = mapping.price_tick_from_proto(_tick(last=text, bid=text))

    assert tick.last.is_qnan()
    assert _violations(tick) == {
        "last": "must be a finite decimal number",
        "bid": "must be a finite decimal number",
    }


def test_bad_decimals_are_reported_together_with_other_violations() -> None:
    tick = mapping.price_tick_from_proto(_tick(symbol="", last="12abc"))

    assert set(_violations(tick)) == {"symbol", "last"}


def test_empty_optional_decimal_is_absent_and_empty_required_decimal_is_rejected() -> None:
    tick = mapping.price_tick_from_proto(_tick(last="", bid="", ask="", volume_24h=""))

    assert (tick.bid, tick.ask, tick.volume_24h) == (None, None, None)
    assert _violations(tick) == {"last": "must be a finite decimal number"}


def test_decimal_text_keeps_its_exact_digits_both_ways() -> None:
    tick = mapping.price_tick_from_proto(_tick(last="1.50", ask="0.000000001", bid=" 1.25 "))

    assert tick.last == Decimal("1.50")
    assert tick.bid == Decimal("1.25")
    back = mapping.price_tick_to_proto(tick)
    assert (back.last, back.ask, back.bid, back.volume_24h) == ("1.50", "1E-9", "1.25", "")
    assert mapping.price_tick_from_proto(back).ask == Decimal("0.000000001")


def test_unset_timestamp_becomes_the_epoch_which_the_rules_reject_as_unset() -> None:
    message = _tick()
    message.ClearField("observed_at")

    tick = mapping.price_tick_from_proto(message)

    assert tick.observed_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert _violations(tick) == {"observed_at": "must be set and not before 2009-01-03"}


def test_timestamps_round_trip_to_the_microsecond_in_utc() -> None:
    moment = datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=UTC)

    tick = mapping.price_tick_from_proto(_tick(observed_at=_timestamp(moment)))

    assert tick.observed_at == moment
    assert tick.observed_at.tzinfo is UTC
    assert mapping.price_tick_to_proto(tick).observed_at == _timestamp(moment)


def test_timestamp_beyond_datetime_range_is_reported_not_raised() -> None:
    far = Timestamp(seconds=400_000_000_000)

    tick = mapping.price_tick_from_proto(_tick(observed_at=far))

    assert _violations(tick) == {"observed_at": "must not be more than 5 minutes in the future"}


def test_protocol_metric_day_text_maps_to_a_date_and_bad_text_is_reported() -> None:
    good = mapping.protocol_metric_from_proto(
        pb.ProtocolMetric(protocol="aave", day="2024-05-01", source="defillama", tvl_usd="1")
    )
    bad = mapping.protocol_metric_from_proto(
        pb.ProtocolMetric(protocol="aave", day="2024-13-45", source="defillama", tvl_usd="1")
    )

    assert good.day == date(2024, 5, 1)
    assert mapping.protocol_metric_to_proto(good).day == "2024-05-01"
    assert {v.field for v in bad.violations(NOW)} >= {"day"}


def test_filter_days_must_be_dates() -> None:
    request = pb.ListProtocolMetricsRequest(start_day="yesterday", end_day="2024-02-30")

    with pytest.raises(InvalidArgument) as raised:
        mapping.protocol_metric_filter(request)

    assert [v.field for v in raised.value.violations] == ["start_day", "end_day"]


def test_filter_time_bounds_are_absent_unless_set() -> None:
    moment = datetime(2024, 5, 1, tzinfo=UTC)

    unbounded = mapping.price_tick_filter(pb.ListPriceTicksRequest())
    bounded = mapping.price_tick_filter(pb.ListPriceTicksRequest(start_time=_timestamp(moment)))

    assert (unbounded.start, unbounded.end, unbounded.quote, unbounded.source) == (
        None,
        None,
        None,
        None,
    )
    assert bounded.start == moment
    assert bounded.end is None


def test_sentiment_unspecified_means_no_sentiment_and_labels_round_trip() -> None:
    base = {
        "source": "cryptopanic",
        "external_id": "1",
        "title": "t",
        "url": "https://example.com/1",
    }
    [plain, bullish] = mapping.news_items_from_proto(
        [pb.NewsItem(**base), pb.NewsItem(**base, sentiment_label=pb.SENTIMENT_LABEL_BULLISH)]
    )

    assert plain.sentiment_label is None
    assert bullish.sentiment_label is SentimentLabel.BULLISH
    assert mapping.news_item_to_proto(plain).sentiment_label == pb.SENTIMENT_LABEL_UNSPECIFIED
    assert mapping.news_item_to_proto(bullish).sentiment_label == pb.SENTIMENT_LABEL_BULLISH


def test_unknown_sentiment_labels_are_refused_with_their_path() -> None:
    posts = [
        pb.SocialPost(platform="reddit", external_id="1", title="t"),
        pb.SocialPost(platform="reddit", external_id="2", title="t", sentiment_label=99),  # type: ignore[arg-type]
    ]

    with pytest.raises(InvalidArgument) as raised:
        mapping.social_posts_from_proto(posts)

    assert [v.field for v in raised.value.violations] == ["posts[1].sentiment_label"]


def test_optional_vote_counts_keep_their_presence() -> None:
    message = pb.NewsItem(
        source="s", external_id="1", title="t", url="https://e.com", votes_positive=0
    )

    [item] = mapping.news_items_from_proto([message])

    assert (item.votes_positive, item.votes_negative) == (0, None)
    back = mapping.news_item_to_proto(item)
    assert back.HasField("votes_positive")
    assert not back.HasField("votes_negative")
