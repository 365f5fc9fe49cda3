from __future__ import annotations

from datetime import UTC, datetime

from omc.application.filters import CatalystEventFilter
from omc.domain.collection import RunStatus
from tests.support.fixture_server import ARTICLES_PATH

from .conftest import Harness


async def events(harness: Harness) -> dict[str, object]:
    listed = await harness.use_cases.list_catalyst_events(CatalystEventFilter())
    return {e.external_id: e for e in listed.items}


async def test_classifies_articles_and_raises_a_listing_event(harness: Harness) -> None:
    await harness.run("coinspot_announcements")
    stored = await events(harness)
    kinds = {key: e.event_type for key, e in stored.items()}  # type: ignore[attr-defined]
    assert kinds == {
        "article-36001": "announcement_listing",
        "listing-36001-TIA": "exchange_listing",
        "article-36002": "announcement_delisting",
        "article-36003": "announcement_maintenance",
        "article-36004": "announcement_trading",
        "article-36005": "announcement_announcement",
        "article-36006": "announcement_feature",
    }  # the draft (36007) is not published, so not stored
    listing = stored["listing-36001-TIA"]
    assert listing.currencies == ("TIA",)  # type: ignore[attr-defined]
    assert listing.occurred_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert stored["article-36002"].currencies == ("LUNC",)  # type: ignore[attr-defined]
    assert "excited" in stored["article-36001"].description  # type: ignore[attr-defined]


async def test_asks_zendesk_for_newest_first(harness: Harness) -> None:
    await harness.run("coinspot_announcements")
    [request] = [r for r in harness.server.seen() if r.path == ARTICLES_PATH]
    assert request.query["sort_by"] == "created_at"
    assert request.query["sort_order"] == "desc"


async def test_an_article_missing_fields_makes_a_partial_run(harness: Harness) -> None:
    harness.server.fixture(ARTICLES_PATH, "coinspot_announcements", "articles_missing_fields.json")
    run = await harness.run("coinspot_announcements")
    assert run.status is RunStatus.PARTIAL
    assert (run.inserted, run.rejected) == (2, 1)
