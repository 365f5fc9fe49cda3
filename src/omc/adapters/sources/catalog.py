"""The six collectors with their defaults, and one function that builds them.

The composition root turns settings into `CollectorConfig`s (overriding only what is
set) and calls `build_collectors`; tests and the benchmark point every base URL at a
local fixture server the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx

from omc.adapters.sources import (
    coinspot_announcements,
    coinspot_prices,
    cryptopanic_news,
    defillama_protocols,
    reddit_posts,
    sec_filings,
)
from omc.adapters.sources.http import RetryPolicy, SourceConfig, SourceHttp
from omc.application.collect import Collector, ingestor_for
from omc.application.collection_ports import SourceFetcher
from omc.application.ledger import LedgerUseCases
from omc.application.ports import Clock, SecretsProvider
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import ProtocolMetric
from omc.domain.human import NewsItem, SocialPost
from omc.domain.record import Ledger

SEC_USER_AGENT = "OMC Oh My Coins ops@example.com"


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """One collector's knobs. `options` are the fetcher's keyword arguments
    (protocols=, subreddits=, companies=, form_impacts=, plan=, ...)."""

    cadence: timedelta
    source: SourceConfig
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    # How long one run may take before it is cancelled (None: RunCollector's default).
    lease: timedelta | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    ledger: Ledger
    record_type: type[Any]
    default: CollectorConfig


CATALOG: Mapping[str, _Entry] = {
    coinspot_prices.NAME: _Entry(
        Ledger.EXCHANGE,
        PriceTick,
        CollectorConfig(
            timedelta(seconds=10),
            SourceConfig(coinspot_prices.BASE_URL, timeout_seconds=8, rate_per_second=1),
        ),
    ),
    defillama_protocols.NAME: _Entry(
        Ledger.GLASS,
        ProtocolMetric,
        CollectorConfig(
            timedelta(hours=1),
            SourceConfig(defillama_protocols.BASE_URL, timeout_seconds=30, rate_per_second=5),
        ),
    ),
    cryptopanic_news.NAME: _Entry(
        Ledger.HUMAN,
        NewsItem,
        CollectorConfig(
            timedelta(minutes=5),
            SourceConfig(cryptopanic_news.BASE_URL, timeout_seconds=15, rate_per_second=1),
        ),
    ),
    reddit_posts.NAME: _Entry(
        Ledger.HUMAN,
        SocialPost,
        CollectorConfig(
            timedelta(minutes=15),
            SourceConfig(
                reddit_posts.BASE_URL,
                timeout_seconds=15,
                # Unauthenticated clients get about ten requests a minute.
                rate_per_second=0.15,
                user_agent=reddit_posts.DEFAULT_USER_AGENT,
            ),
        ),
    ),
    sec_filings.NAME: _Entry(
        Ledger.CATALYST,
        CatalystEvent,
        CollectorConfig(
            timedelta(minutes=10),
            SourceConfig(
                sec_filings.BASE_URL,
                timeout_seconds=15,
                rate_per_second=sec_filings.SEC_RATE_PER_SECOND,
                user_agent=SEC_USER_AGENT,
            ),
        ),
    ),
    coinspot_announcements.NAME: _Entry(
        Ledger.CATALYST,
        CatalystEvent,
        CollectorConfig(
            timedelta(seconds=60),
            SourceConfig(coinspot_announcements.BASE_URL, timeout_seconds=15, rate_per_second=1),
        ),
    ),
}

COLLECTOR_NAMES: tuple[str, ...] = tuple(CATALOG)


def default_configs() -> dict[str, CollectorConfig]:
    return {name: entry.default for name, entry in CATALOG.items()}


def local_configs(
    base_url: str, *, retry: RetryPolicy | None = None, timeout_seconds: float = 2.0
) -> dict[str, CollectorConfig]:
    """Every source pointed at one local server with no rate limit and fast retries
    (tests, benchmark, offline demos)."""
    policy = retry or RetryPolicy.fast()
    return {
        name: replace(
            config,
            source=replace(
                config.source,
                base_url=base_url,
                rate_per_second=0,
                retry=policy,
                timeout_seconds=timeout_seconds,
            ),
        )
        for name, config in default_configs().items()
    }


def build_fetcher(
    name: str,
    config: CollectorConfig,
    client: httpx.AsyncClient,
    clock: Clock,
    secrets: SecretsProvider,
) -> SourceFetcher[Any]:
    http = SourceHttp(client, name, config.source)
    options = dict(config.options)
    if name == coinspot_prices.NAME:
        return coinspot_prices.CoinSpotPrices(http, clock, **options)
    if name == defillama_protocols.NAME:
        return defillama_protocols.DefiLlamaProtocols(http, clock, **options)
    if name == cryptopanic_news.NAME:
        return cryptopanic_news.CryptoPanicNews(http, secrets, **options)
    if name == reddit_posts.NAME:
        return reddit_posts.RedditPosts(http, **options)
    if name == sec_filings.NAME:
        return sec_filings.SecFilings(http, clock, **options)
    if name == coinspot_announcements.NAME:
        return coinspot_announcements.CoinSpotAnnouncements(http, clock, **options)
    raise ValueError(f"unknown collector {name!r} (known: {', '.join(COLLECTOR_NAMES)})")


def build_collectors(
    client: httpx.AsyncClient,
    clock: Clock,
    secrets: SecretsProvider,
    use_cases: LedgerUseCases,
    configs: Mapping[str, CollectorConfig] | None = None,
) -> list[Collector[Any]]:
    """Every catalogued collector; `configs` replaces the defaults of the names it has."""
    chosen = {**default_configs(), **(configs or {})}
    collectors: list[Collector[Any]] = []
    for name, entry in CATALOG.items():
        config = chosen[name]
        collectors.append(
            Collector(
                name=name,
                ledger=entry.ledger,
                cadence=config.cadence,
                fetcher=build_fetcher(name, config, client, clock, secrets),
                ingest=ingestor_for(use_cases, entry.record_type),
                enabled=config.enabled,
                lease=config.lease,
            )
        )
    return collectors
