"""Non-default lists from OMC_SOURCES__* reach the fetchers through the same container
`omc serve` and `omc collect` use: only the configured slugs, subreddits, CIKs, forms and
category are fetched from the local fixture server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from omc.adapters.memory.clock import FixedClock
from omc.adapters.sources.catalog import COLLECTOR_NAMES
from omc.application.collect import CollectorUseCases
from omc.application.filters import CatalystEventFilter, ProtocolMetricFilter, SocialPostFilter
from omc.application.ledger import LedgerUseCases
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.collection import RunStatus
from tests.support.fixture_server import CRYPTOPANIC_PATH, CRYPTOPANIC_TOKEN, FixtureServer

from .conftest import NOW

CATEGORY = "360009999999"
ARTICLES = f"/api/v2/help_center/en-us/categories/{CATEGORY}/articles.json"


@pytest.fixture
def configured_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: FixtureServer
) -> FixtureServer:
    for name in list(os.environ):
        if name.upper().startswith("OMC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OMC_CRYPTOPANIC_API_KEY", CRYPTOPANIC_TOKEN)
    for name in COLLECTOR_NAMES:
        prefix = f"OMC_SOURCES__{name.upper()}__"
        monkeypatch.setenv(prefix + "BASE_URL", server.base_url)
        monkeypatch.setenv(prefix + "RATE_PER_SECOND", "0")
        monkeypatch.setenv(prefix + "RETRY_ATTEMPTS", "1")
        monkeypatch.setenv(prefix + "TIMEOUT_SECONDS", "30")
    for name, value in {
        # One of the two protocols the fixtures have (the default list has 20).
        "DEFILLAMA_PROTOCOLS__SLUGS": '["aave"]',
        "REDDIT_POSTS__SUBREDDITS": "r/Bitcoin",
        "REDDIT_POSTS__LISTING": "hot",
        "REDDIT_POSTS__POSTS_PER_SUBREDDIT": "7",
        "SEC_FILINGS__CIKS": "1050446",
        "SEC_FILINGS__FORM_IMPACTS": "S-1=4",
        "CRYPTOPANIC_NEWS__FILTER": "bullish",
        "CRYPTOPANIC_NEWS__CURRENCIES": "BTC,ETH",
        "COINSPOT_ANNOUNCEMENTS__CATEGORY": CATEGORY,
    }.items():
        monkeypatch.setenv("OMC_SOURCES__" + name, value)
    # Routes only the configured lists need: a hot listing and another category.
    server.fixture("/r/Bitcoin/hot.json", "reddit_posts", "Bitcoin_new.json")
    server.fixture(ARTICLES, "coinspot_announcements", "articles.json")
    return server


@pytest.fixture
async def wired(configured_env: FixtureServer) -> AsyncIterator[tuple[Any, FixtureServer]]:
    settings = Settings()
    assert settings.storage is StorageKind.POSTGRES  # the default; memory below
    container = build_container(settings.model_copy(update={"storage": StorageKind.MEMORY}))
    container.core.clock.override(providers.Object(FixedClock(NOW)))
    try:
        yield container, configured_env
    finally:
        result = container.shutdown_resources()
        if result is not None:
            await result


def requested(server: FixtureServer, prefix: str) -> set[str]:
    return {seen.path for seen in server.seen() if seen.path.startswith(prefix)}


async def test_only_the_configured_lists_are_fetched(wired: tuple[Any, FixtureServer]) -> None:
    container, server = wired
    collectors: CollectorUseCases = await resolve(container.collection.use_cases)
    ledger: LedgerUseCases = await resolve(container.application.use_cases)

    runs = {name: await collectors.run(name) for name in COLLECTOR_NAMES}

    assert {name: run.status for name, run in runs.items()} == dict.fromkeys(
        COLLECTOR_NAMES, RunStatus.SUCCESS
    ), {name: run.error for name, run in runs.items()}
    # DefiLlama: aave only, none of the other 19 default slugs.
    assert requested(server, "/protocol/") == {"/protocol/aave"}
    assert requested(server, "/summary/fees/") == {"/summary/fees/aave"}
    metrics = await ledger.list_protocol_metrics(ProtocolMetricFilter())
    assert [m.protocol for m in metrics.items] == ["aave"]
    # Reddit: r/Bitcoin's hot listing, seven posts asked for.
    assert requested(server, "/r/") == {"/r/Bitcoin/hot.json"}
    (listing,) = [seen for seen in server.seen() if seen.path.startswith("/r/")]
    assert listing.query["limit"] == "7"
    posts = await ledger.list_social_posts(SocialPostFilter())
    assert {p.community for p in posts.items} == {"Bitcoin"}
    # SEC: MicroStrategy only, S-1 filings only, at the configured impact.
    assert requested(server, "/submissions/") == {"/submissions/CIK0001050446.json"}
    events = await ledger.list_catalyst_events(CatalystEventFilter())
    filings = [e for e in events.items if e.source == "sec_edgar"]
    # The fixture's 8-K is not collected; its two S-1 rows are one filing listed twice.
    assert (runs["sec_filings"].fetched, runs["sec_filings"].duplicate) == (2, 1)
    assert [(e.event_type, e.impact) for e in filings] == [("sec_filing_s_1", 4)]
    # CryptoPanic: the filter and coins travel as query parameters.
    (first_page, *_) = [seen for seen in server.seen() if seen.path == CRYPTOPANIC_PATH]
    assert (first_page.query["filter"], first_page.query["currencies"]) == ("bullish", "BTC,ETH")
    # CoinSpot: the configured Help Center category, not the default one.
    assert requested(server, "/api/v2/help_center/") == {ARTICLES}
