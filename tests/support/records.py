"""Ledger records for storage tests, already in normalised form (as the use cases hand
them to repositories)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SentimentLabel, SocialPost

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY0 = date(2025, 1, 1)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def tick(
    symbol: str = "BTC",
    minute: int = 0,
    *,
    source: str = "coinspot",
    quote: str = "AUD",
    last: str = "100.50",
    bid: str | None = None,
    ask: str | None = None,
    volume: str | None = None,
) -> PriceTick:
    return PriceTick(
        symbol=symbol,
        last=Decimal(last),
        observed_at=at(minute),
        source=source,
        quote=quote,
        bid=_dec(bid),
        ask=_dec(ask),
        volume_24h=_dec(volume),
    )


def protocol_metric(
    protocol: str = "aave",
    day: int = 0,
    *,
    observed_minute: int = 0,
    source: str = "defillama",
    tvl: str | None = "1000.00",
    fees: str | None = None,
    revenue: str | None = None,
) -> ProtocolMetric:
    return ProtocolMetric(
        protocol=protocol,
        day=DAY0 + timedelta(days=day),
        observed_at=at(observed_minute),
        source=source,
        tvl_usd=_dec(tvl),
        fees_24h=_dec(fees),
        revenue_24h=_dec(revenue),
    )


def onchain_metric(
    asset: str = "BTC",
    minute: int = 0,
    *,
    metric: str = "active_addresses",
    source: str = "glassnode",
    value: str = "123.450",
) -> OnChainMetric:
    return OnChainMetric(
        asset=asset, metric=metric, value=Decimal(value), observed_at=at(minute), source=source
    )


def news_item(
    external_id: str = "n1",
    minute: int = 0,
    *,
    source: str = "cryptopanic",
    url: str | None = None,
    currencies: tuple[str, ...] = ("BTC",),
    label: SentimentLabel | None = SentimentLabel.BULLISH,
    score: str | None = "0.50",
    title: str = "Bitcoin rallies",
) -> NewsItem:
    return NewsItem(
        source=source,
        external_id=external_id,
        title=title,
        url=url or f"https://news.example/{source}/{external_id}",
        published_at=at(minute),
        source_name="Example News",
        sentiment_label=label,
        sentiment_score=_dec(score),
        currencies=currencies,
        votes_positive=3,
        votes_negative=None,
        panic_score=Decimal("12.5"),
    )


def social_post(
    external_id: str = "p1",
    minute: int = 0,
    *,
    platform: str = "reddit",
    community: str = "r/CryptoCurrency",
    currencies: tuple[str, ...] = ("ETH",),
    label: SentimentLabel | None = None,
) -> SocialPost:
    return SocialPost(
        platform=platform,
        external_id=external_id,
        title="ETH gas fees today",
        posted_at=at(minute),
        community=community,
        author="satoshi",
        body="Fees are low.",
        url=f"https://reddit.example/{external_id}",
        score=42,
        comment_count=7,
        sentiment_label=label,
        sentiment_score=None,
        currencies=currencies,
    )


def catalyst_event(
    external_id: str = "e1",
    minute: int = 0,
    *,
    source: str = "sec",
    event_type: str = "sec_filing_8_k",
    impact: int = 5,
    currencies: tuple[str, ...] = ("COIN",),
) -> CatalystEvent:
    return CatalystEvent(
        event_type=event_type,
        title="8-K filed",
        source=source,
        external_id=external_id,
        impact=impact,
        occurred_at=at(minute),
        detected_at=at(minute + 1),
        description="",
        url="",
        currencies=currencies,
    )
