from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SentimentLabel, SocialPost
from omc.domain.record import natural_key, sort_key

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def tick(**changes: object) -> PriceTick:
    values: dict[str, object] = {
        "symbol": "btc",
        "last": Decimal("100000.50"),
        "bid": Decimal("100000.00"),
        "ask": Decimal("100001.00"),
        "observed_at": NOW - timedelta(seconds=5),
        "source": "coinspot",
    }
    values.update(changes)
    return PriceTick(**values).normalized()  # type: ignore[arg-type]


def fields_of(violations: list) -> list[str]:
    return [v.field for v in violations]


def test_valid_tick_has_no_violations_and_is_normalised() -> None:
    record = tick(symbol="  eth ", quote="aud", source="CoinSpot")
    assert record.symbol == "ETH"
    assert record.quote == "AUD"
    assert record.source == "coinspot"
    assert record.violations(NOW) == []


def test_tick_reports_every_violation_not_just_the_first() -> None:
    record = tick(symbol="", last=Decimal("-1"), bid=Decimal("5"), ask=Decimal("4"))
    assert fields_of(record.violations(NOW)) == ["symbol", "last", "bid"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("0"), "greater than 0"),
        (Decimal("1e40"), "integer digits"),
        (Decimal("0.0000000000000000001"), "decimal places"),
    ],
)
def test_price_must_be_positive_finite_and_bounded(value: Decimal, message: str) -> None:
    [violation] = tick(last=value, bid=None, ask=None).violations(NOW)
    assert violation.field == "last"
    assert message in violation.description


@pytest.mark.parametrize("symbol", ["BTC-AUD", "A" * 16, "BT C", "€"])
def test_symbols_must_match_the_pattern(symbol: str) -> None:
    assert fields_of(tick(symbol=symbol).violations(NOW)) == ["symbol"]


def test_timestamps_must_be_aware_set_and_not_in_the_future() -> None:
    naive = tick(observed_at=datetime(2026, 3, 1, 11, 0))
    assert "timezone-aware" in naive.violations(NOW)[0].description
    unset = tick(observed_at=datetime(1970, 1, 1, tzinfo=UTC))
    assert "not before 2009" in unset.violations(NOW)[0].description
    assert tick(observed_at=NOW + timedelta(minutes=5)).violations(NOW) == []
    future = tick(observed_at=NOW + timedelta(minutes=5, seconds=1))
    assert "future" in future.violations(NOW)[0].description


def test_times_are_converted_to_utc() -> None:
    sydney = timezone(timedelta(hours=11))
    record = tick(observed_at=datetime(2026, 3, 1, 22, 0, tzinfo=sydney))
    assert record.observed_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert record.observed_at.utcoffset() == timedelta(0)


def test_protocol_metric_needs_at_least_one_figure() -> None:
    empty = ProtocolMetric(
        protocol="Lido", day=date(2026, 2, 28), observed_at=NOW, source="defillama"
    ).normalized()
    assert empty.protocol == "lido"
    assert fields_of(empty.violations(NOW)) == ["tvl_usd"]
    negative_revenue = ProtocolMetric(
        protocol="lido",
        day=date(2026, 2, 28),
        observed_at=NOW,
        source="defillama",
        revenue_24h=Decimal("-10"),
    )
    assert negative_revenue.violations(NOW) == []
    negative_tvl = ProtocolMetric(
        protocol="lido",
        day=date(2026, 2, 28),
        observed_at=NOW,
        source="defillama",
        tvl_usd=Decimal("-1"),
    )
    assert fields_of(negative_tvl.violations(NOW)) == ["tvl_usd"]


def test_onchain_metric_names_are_slugs() -> None:
    metric = OnChainMetric(
        asset="eth", metric="Active_Addresses", value=Decimal("1"), observed_at=NOW, source="x"
    ).normalized()
    assert (metric.asset, metric.metric) == ("ETH", "active_addresses")
    assert metric.violations(NOW) == []
    bad = OnChainMetric(
        asset="eth", metric="has space", value=Decimal("NaN"), observed_at=NOW, source="x"
    ).normalized()
    assert fields_of(bad.violations(NOW)) == ["metric", "value"]


def test_news_sentiment_range_currencies_and_url() -> None:
    item = NewsItem(
        source="cryptopanic",
        external_id="1",
        title="  ",
        url="ftp://example.com/a",
        published_at=NOW,
        sentiment_label=SentimentLabel.BULLISH,
        sentiment_score=Decimal("1.5"),
        currencies=("btc", "BTC", "eth", "not a symbol"),
    ).normalized()
    assert item.currencies == ("BTC", "ETH", "NOT A SYMBOL")
    assert fields_of(item.violations(NOW)) == [
        "title",
        "url",
        "sentiment_score",
        "currencies[2]",
    ]


def test_social_post_rules() -> None:
    post = SocialPost(
        platform="Reddit",
        external_id="abc",
        title="SOL to the moon",
        posted_at=NOW,
        community="CryptoCurrency",
        comment_count=-1,
        sentiment_score=Decimal("-1"),
    ).normalized()
    assert post.platform == "reddit"
    assert fields_of(post.violations(NOW)) == ["comment_count"]


@pytest.mark.parametrize(("impact", "valid"), [(0, False), (1, True), (10, True), (11, False)])
def test_catalyst_impact_is_one_to_ten(impact: int, valid: bool) -> None:
    event = CatalystEvent(
        event_type="exchange_listing",
        title="Binance lists XYZ",
        source="binance",
        external_id="42",
        impact=impact,
        occurred_at=NOW,
        detected_at=NOW,
    )
    assert (event.violations(NOW) == []) is valid


@pytest.mark.parametrize(
    "record_type", [PriceTick, ProtocolMetric, OnChainMetric, NewsItem, SocialPost, CatalystEvent]
)
def test_key_and_sort_fields_name_real_fields(record_type: type) -> None:
    names = {f.name for f in fields(record_type)}
    assert set(record_type.KEY_FIELDS) <= names
    assert set(record_type.SORT_FIELDS) <= names
    assert record_type.SORT_FIELDS[0] == record_type.TIME_FIELD
    # The sort key must be unique per record: it has to contain the whole natural key.
    assert set(record_type.KEY_FIELDS) <= set(record_type.SORT_FIELDS)


def test_natural_and_sort_keys() -> None:
    record = tick()
    assert natural_key(record) == ("coinspot", "BTC", "AUD", record.observed_at)
    assert sort_key(record) == (record.observed_at, "BTC", "AUD", "coinspot")
