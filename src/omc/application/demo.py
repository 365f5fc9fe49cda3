"""A deterministic demo data set covering the four ledgers, loaded through the ingest
use cases exactly as a client's batches would be.

Every timestamp is derived from DEMO_ANCHOR, a fixed instant in the past, never from the
current time: loading the set again must find every record already there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from omc.application.ledger import LedgerUseCases
from omc.application.ports import IngestResult
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SentimentLabel, SocialPost

R = TypeVar("R")

# The demo world ends here; every record is at or before it.
DEMO_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
DEMO_SOURCE = "demo"
# Small enough for any sane OMC_MAX_BATCH; a demo that fails on a tuned server helps nobody.
DEMO_CHUNK = 100

TICK_INTERVAL = timedelta(minutes=5)
TICK_HOURS = 6
METRIC_DAYS = 7

# Per-step price moves in basis points, cycled: a walk with no randomness, so every run
# and every platform produces the same decimals.
_MOVES_BPS = (12, -8, 5, -15, 20, -3, 7, -11, 9, -6, 14, -10)

_STARTING_PRICES = {  # AUD
    "BTC": Decimal("142350.00"),
    "ETH": Decimal("4810.00"),
    "SOL": Decimal("286.40"),
}
_BASE_VOLUMES = {"BTC": Decimal(1_850), "ETH": Decimal(24_300), "SOL": Decimal(410_000)}
_CENT = Decimal("0.01")
_HALF_SPREAD = Decimal("0.0005")


@dataclass(frozen=True, slots=True)
class DemoSet:
    price_ticks: tuple[PriceTick, ...]
    protocol_metrics: tuple[ProtocolMetric, ...]
    onchain_metrics: tuple[OnChainMetric, ...]
    news_items: tuple[NewsItem, ...]
    social_posts: tuple[SocialPost, ...]
    catalyst_events: tuple[CatalystEvent, ...]

    def counts(self) -> dict[str, int]:
        return {
            "price_ticks": len(self.price_ticks),
            "protocol_metrics": len(self.protocol_metrics),
            "onchain_metrics": len(self.onchain_metrics),
            "news_items": len(self.news_items),
            "social_posts": len(self.social_posts),
            "catalyst_events": len(self.catalyst_events),
        }


def demo_records(now: datetime) -> DemoSet:
    """The demo set as of `now`. Records are anchored at DEMO_ANCHOR, so the set is the
    same for every `now` after it; on a clock set before the anchor, records that would
    lie in the future are left out rather than rejected by the ingest rules."""

    def past(moment: datetime) -> bool:
        return moment <= now

    return DemoSet(
        price_ticks=tuple(t for t in _price_ticks() if past(t.observed_at)),
        protocol_metrics=tuple(m for m in _protocol_metrics() if past(m.observed_at)),
        onchain_metrics=tuple(m for m in _onchain_metrics() if past(m.observed_at)),
        news_items=tuple(n for n in _news_items() if past(n.published_at)),
        social_posts=tuple(p for p in _social_posts() if past(p.posted_at)),
        catalyst_events=tuple(
            e for e in _catalyst_events() if past(e.occurred_at) and past(e.detected_at)
        ),
    )


async def load_demo_data(
    use_cases: LedgerUseCases, demo: DemoSet | None = None
) -> dict[str, IngestResult]:
    """Ingest the demo set through the ingest use cases; returns the counts per record
    type. A second load reports every record as a duplicate."""
    records = demo if demo is not None else demo_records(DEMO_ANCHOR)
    return {
        "price_ticks": await _in_chunks(use_cases.ingest_price_ticks, records.price_ticks),
        "protocol_metrics": await _in_chunks(
            use_cases.ingest_protocol_metrics, records.protocol_metrics
        ),
        "onchain_metrics": await _in_chunks(
            use_cases.ingest_onchain_metrics, records.onchain_metrics
        ),
        "news_items": await _in_chunks(use_cases.ingest_news_items, records.news_items),
        "social_posts": await _in_chunks(use_cases.ingest_social_posts, records.social_posts),
        "catalyst_events": await _in_chunks(
            use_cases.ingest_catalyst_events, records.catalyst_events
        ),
    }


async def _in_chunks(ingest: Callable[[Sequence[R]], Any], records: Sequence[R]) -> IngestResult:
    total = IngestResult()
    for start in range(0, len(records), DEMO_CHUNK):
        result: IngestResult = await ingest(records[start : start + DEMO_CHUNK])
        total += result
    return total


def _price_ticks() -> list[PriceTick]:
    steps = TICK_HOURS * 60 // int(TICK_INTERVAL.total_seconds() // 60)
    first = DEMO_ANCHOR - steps * TICK_INTERVAL
    ticks: list[PriceTick] = []
    for symbol, start in _STARTING_PRICES.items():
        price = start
        for step in range(steps):
            move = _MOVES_BPS[(step + len(symbol) * ord(symbol[0])) % len(_MOVES_BPS)]
            price = (price * (10_000 + move) / 10_000).quantize(_CENT)
            ticks.append(
                PriceTick(
                    symbol=symbol,
                    quote="AUD",
                    source=DEMO_SOURCE,
                    observed_at=first + (step + 1) * TICK_INTERVAL,
                    last=price,
                    bid=(price * (1 - _HALF_SPREAD)).quantize(_CENT),
                    ask=(price * (1 + _HALF_SPREAD)).quantize(_CENT),
                    volume_24h=_BASE_VOLUMES[symbol] + 37 * step,
                )
            )
    return ticks


def _days() -> list[date]:
    last = (DEMO_ANCHOR - timedelta(days=1)).date()
    return [last - timedelta(days=offset) for offset in reversed(range(METRIC_DAYS))]


def _end_of(day: date) -> datetime:
    """When a day's figures are observed: half an hour before the next day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=23, minutes=30)


def _protocol_metrics() -> list[ProtocolMetric]:
    protocols = {  # tvl, fees and revenue in USD on the first day
        "aave": (Decimal("32500000000"), Decimal("2900000"), Decimal("410000")),
        "lido": (Decimal("27800000000"), Decimal("3100000"), Decimal("310000")),
        "uniswap": (Decimal("5400000000"), Decimal("4200000"), Decimal("-15000")),
    }
    metrics: list[ProtocolMetric] = []
    for protocol, (tvl, fees, revenue) in protocols.items():
        for index, day in enumerate(_days()):
            drift = Decimal(100 + _MOVES_BPS[index] // 2) / 100
            metrics.append(
                ProtocolMetric(
                    protocol=protocol,
                    day=day,
                    observed_at=_end_of(day),
                    source=DEMO_SOURCE,
                    tvl_usd=(tvl * drift).quantize(Decimal(1)),
                    fees_24h=(fees * drift).quantize(Decimal(1)),
                    revenue_24h=(revenue * drift).quantize(Decimal(1)),
                )
            )
    return metrics


def _onchain_metrics() -> list[OnChainMetric]:
    series = {
        ("BTC", "active_addresses"): Decimal(812_000),
        ("BTC", "mvrv"): Decimal("2.14"),
        ("ETH", "active_addresses"): Decimal(468_000),
        ("ETH", "staked_supply_pct"): Decimal("28.7"),
    }
    metrics: list[OnChainMetric] = []
    for (asset, metric), base in series.items():
        for index, day in enumerate(_days()):
            factor = Decimal(10_000 + _MOVES_BPS[(index + len(metric)) % len(_MOVES_BPS)])
            metrics.append(
                OnChainMetric(
                    asset=asset,
                    metric=metric,
                    value=(base * factor / 10_000).quantize(base),
                    observed_at=_end_of(day),
                    source=DEMO_SOURCE,
                )
            )
    return metrics


def _news_items() -> list[NewsItem]:
    stories = [
        ("Bitcoin holds above A$140k as year-end volumes thin", ("BTC",), "neutral", "0.05"),
        ("Ethereum staking share reaches a new high", ("ETH",), "bullish", "0.62"),
        ("Exchange outage delays withdrawals for two hours", ("BTC", "ETH"), "bearish", "-0.48"),
        ("Solana validators ship client upgrade ahead of schedule", ("SOL",), "bullish", "0.41"),
        ("Regulator publishes draft custody rules for digital assets", (), "important", "0.0"),
        ("Lido and Aave report record quarterly fees", ("ETH",), "bullish", "0.35"),
    ]
    return [
        NewsItem(
            source=DEMO_SOURCE,
            external_id=f"news-{index:03d}",
            title=title,
            url=f"https://example.com/demo/news/{index:03d}",
            published_at=DEMO_ANCHOR - timedelta(hours=30 - 5 * index),
            source_name="OMC Demo Wire",
            sentiment_label=SentimentLabel(label),
            sentiment_score=Decimal(score),
            currencies=currencies,
            votes_positive=10 + 3 * index,
            votes_negative=index,
        )
        for index, (title, currencies, label, score) in enumerate(stories, start=1)
    ]


def _social_posts() -> list[SocialPost]:
    posts = [
        ("Daily discussion: what are you watching into the new year?", (), 120, 860),
        ("BTC weekly close looks strong", ("BTC",), 540, 212),
        ("Why is ETH staking yield falling?", ("ETH",), 233, 97),
        ("SOL fees during the last congestion: a breakdown", ("SOL",), 318, 76),
        ("PSA: withdrawals paused on one exchange, funds are safe", ("BTC", "ETH"), 702, 341),
        ("Comparing DeFi lending rates: Aave vs the rest", ("ETH",), 95, 41),
    ]
    return [
        SocialPost(
            platform="reddit",
            external_id=f"demo{index:03d}",
            title=title,
            posted_at=DEMO_ANCHOR - timedelta(hours=26 - 4 * index),
            community="r/CryptoCurrency",
            author=f"demo_user_{index}",
            url=f"https://example.com/demo/social/{index:03d}",
            score=score,
            comment_count=comments,
            currencies=currencies,
        )
        for index, (title, currencies, score, comments) in enumerate(posts, start=1)
    ]


def _catalyst_events() -> list[CatalystEvent]:
    events = [
        ("exchange_listing", "Demo exchange lists SOL/AUD", ("SOL",), 6, 48),
        ("sec_filing_8_k", "Miner files 8-K on hashrate expansion", ("BTC",), 4, 40),
        ("network_upgrade", "Ethereum client release scheduled", ("ETH",), 7, 20),
        ("exchange_outage", "Withdrawals paused on a demo exchange", ("BTC", "ETH"), 8, 14),
    ]
    return [
        CatalystEvent(
            event_type=event_type,
            title=title,
            source=DEMO_SOURCE,
            external_id=f"event-{index:03d}",
            impact=impact,
            occurred_at=DEMO_ANCHOR - timedelta(hours=hours_before),
            detected_at=DEMO_ANCHOR - timedelta(hours=hours_before) + timedelta(minutes=7),
            description=f"Demo catalyst {index}: {title.lower()}.",
            url=f"https://example.com/demo/events/{index:03d}",
            currencies=currencies,
        )
        for index, (event_type, title, currencies, impact, hours_before) in enumerate(
            events, start=1
        )
    ]
