from __future__ import annotations

from decimal import Decimal

from omc.application.collect import RunCollector
from omc.application.filters import NewsItemFilter
from omc.domain.collection import RunStatus
from omc.domain.human import SentimentLabel
from tests.support.fixture_server import CRYPTOPANIC_PATH

from .conftest import Harness


async def items(harness: Harness) -> dict[str, object]:
    listed = await harness.use_cases.list_news_items(NewsItemFilter())
    return {n.external_id: n for n in listed.items}


async def test_v2_instruments_votes_and_paging(harness: Harness) -> None:
    run = await harness.run("cryptopanic_news")
    assert run.inserted == 4
    news = await items(harness)
    etf = news["21000001"]
    assert etf.currencies == ("BTC",)  # type: ignore[attr-defined]
    assert etf.sentiment_label is SentimentLabel.BULLISH  # type: ignore[attr-defined]
    assert etf.sentiment_score == Decimal("0.8824")  # (15 - 0) / (15 + 0 + 2)  # type: ignore[attr-defined]
    assert etf.url.startswith("https://www.coindesk.com/")  # type: ignore[attr-defined]
    assert news["21000002"].sentiment_label is SentimentLabel.BEARISH  # type: ignore[attr-defined]
    assert news["21000003"].sentiment_label is SentimentLabel.IMPORTANT  # type: ignore[attr-defined]
    assert news["21000003"].currencies == ("SOL", "LINK")  # type: ignore[attr-defined]
    assert news["21000004"].sentiment_label is SentimentLabel.NEUTRAL  # type: ignore[attr-defined]


async def test_v1_currencies_shape(harness: Harness) -> None:
    run = await harness.run("cryptopanic_news", api_version="v1")
    assert run.inserted == 2
    news = await items(harness)
    assert news["20999001"].currencies == ("DOT",)  # type: ignore[attr-defined]
    assert news["20999001"].source_name == "Cointelegraph"  # type: ignore[attr-defined]


async def test_without_a_key_the_run_is_skipped_with_a_clear_message(harness: Harness) -> None:
    harness.secrets.clear()
    run = await harness.run("cryptopanic_news")
    assert run.status is RunStatus.SKIPPED
    assert "OMC_CRYPTOPANIC_API_KEY" in run.error
    assert harness.server.hits(CRYPTOPANIC_PATH) == 0


async def test_without_a_key_scheduled_ticks_record_nothing(harness: Harness) -> None:
    harness.secrets.clear()
    run_collector = RunCollector(harness.runs, harness.clock)
    collector = harness.collector("cryptopanic_news")
    assert await run_collector.if_due(collector, collector.cadence) is None
    assert await harness.runs.recent("cryptopanic_news", 10) == []


async def test_a_next_link_to_another_host_is_not_followed(harness: Harness) -> None:
    harness.server.fixture(CRYPTOPANIC_PATH, "cryptopanic_news", "posts_v2_offsite_next.json")
    run = await harness.run("cryptopanic_news")
    assert (run.status, run.inserted) == (RunStatus.SUCCESS, 1)


async def test_a_post_missing_fields_makes_a_partial_run(harness: Harness) -> None:
    harness.server.fixture(CRYPTOPANIC_PATH, "cryptopanic_news", "posts_missing_fields.json")
    run = await harness.run("cryptopanic_news")
    assert run.status is RunStatus.PARTIAL
    assert (run.inserted, run.rejected) == (1, 1)
    assert "title: missing" in run.error
