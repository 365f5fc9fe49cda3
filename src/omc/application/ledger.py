"""The ledger use cases, wired together for one set of repositories."""

from __future__ import annotations

from dataclasses import dataclass

from omc.application.ingest import DEFAULT_MAX_BATCH, PriceTickIngestor, RecordIngestor
from omc.application.paging import MAX_PAGE_SIZE
from omc.application.ports import (
    CatalystEventStream,
    Clock,
    LedgerRepositories,
    PriceTickStream,
)
from omc.application.queries import LatestPrices, LedgerStatistics, RecordLister
from omc.application.watch import WatchCatalystEvents, WatchPrices
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SocialPost


@dataclass(frozen=True, slots=True)
class LedgerUseCases:
    ingest_price_ticks: PriceTickIngestor
    ingest_protocol_metrics: RecordIngestor[ProtocolMetric]
    ingest_onchain_metrics: RecordIngestor[OnChainMetric]
    ingest_news_items: RecordIngestor[NewsItem]
    ingest_social_posts: RecordIngestor[SocialPost]
    ingest_catalyst_events: RecordIngestor[CatalystEvent]
    list_price_ticks: RecordLister[PriceTick]
    list_protocol_metrics: RecordLister[ProtocolMetric]
    list_onchain_metrics: RecordLister[OnChainMetric]
    list_news_items: RecordLister[NewsItem]
    list_social_posts: RecordLister[SocialPost]
    list_catalyst_events: RecordLister[CatalystEvent]
    latest_prices: LatestPrices
    watch_prices: WatchPrices
    watch_catalyst_events: WatchCatalystEvents
    statistics: LedgerStatistics

    @classmethod
    def build(
        cls,
        repositories: LedgerRepositories,
        stream: PriceTickStream,
        clock: Clock,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_page_size: int = MAX_PAGE_SIZE,
        catalyst_stream: CatalystEventStream | None = None,
    ) -> LedgerUseCases:
        """`catalyst_stream` None: nothing feeds catalyst events to watchers in this
        wiring (tests that never watch them), so WatchCatalystEvents is UNAVAILABLE."""
        r = repositories
        return cls(
            ingest_price_ticks=PriceTickIngestor(r.price_ticks, clock, max_batch=max_batch),
            ingest_protocol_metrics=RecordIngestor(
                r.protocol_metrics,
                clock,
                collection="metrics",
                later_replaces_earlier=True,
                max_batch=max_batch,
            ),
            ingest_onchain_metrics=RecordIngestor(
                r.onchain_metrics, clock, collection="metrics", max_batch=max_batch
            ),
            ingest_news_items=RecordIngestor(
                r.news_items, clock, collection="items", max_batch=max_batch
            ),
            ingest_social_posts=RecordIngestor(
                r.social_posts, clock, collection="posts", max_batch=max_batch
            ),
            ingest_catalyst_events=RecordIngestor(
                r.catalyst_events, clock, collection="events", max_batch=max_batch
            ),
            list_price_ticks=RecordLister(
                r.price_ticks, record_type="price_ticks", max_page_size=max_page_size
            ),
            list_protocol_metrics=RecordLister(
                r.protocol_metrics, record_type="protocol_metrics", max_page_size=max_page_size
            ),
            list_onchain_metrics=RecordLister(
                r.onchain_metrics, record_type="onchain_metrics", max_page_size=max_page_size
            ),
            list_news_items=RecordLister(
                r.news_items, record_type="news_items", max_page_size=max_page_size
            ),
            list_social_posts=RecordLister(
                r.social_posts, record_type="social_posts", max_page_size=max_page_size
            ),
            list_catalyst_events=RecordLister(
                r.catalyst_events, record_type="catalyst_events", max_page_size=max_page_size
            ),
            latest_prices=LatestPrices(r.price_ticks),
            watch_prices=WatchPrices(stream),
            watch_catalyst_events=WatchCatalystEvents(catalyst_stream),
            statistics=LedgerStatistics(r),
        )
