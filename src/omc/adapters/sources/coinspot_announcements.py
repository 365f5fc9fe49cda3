"""CoinSpot announcements from its Zendesk Help Center JSON API -> CatalystEvent.

`GET /api/v2/help_center/en-us/categories/{category}/articles.json` on
`https://coinspot.zendesk.com`, newest first: `{"articles": [{"id", "title", "body",
"html_url", "created_at", "draft", ...}], "next_page": ...}`. No browser, no HTML
scraping. Each article becomes an `announcement_<kind>` event timed at its `created_at`
(listing, delisting, maintenance, trading, feature or announcement; see
omc.domain.text.announcements). A listing also yields one `exchange_listing` event per
coin: the alert other services watch for (the article event describes the article, the
listing event the market fact, with its own key so both are stored once).
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from omc.adapters.sources._parse import BadRecord, as_dict, parse_time, required_str
from omc.adapters.sources.http import MalformedPayload, SourceHttp
from omc.application.collection_ports import FetchResult, Rejected, excerpt
from omc.application.ports import Clock
from omc.domain.catalyst import CatalystEvent
from omc.domain.rules import MAX_TITLE
from omc.domain.text.announcements import AnnouncementKind, classify_announcement

NAME = "coinspot_announcements"
BASE_URL = "https://coinspot.zendesk.com"
DEFAULT_CATEGORY = "115000579994"
DEFAULT_LOCALE = "en-us"
LISTING_EVENT = "exchange_listing"
MAX_DESCRIPTION = 2_000

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(body: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body))).strip()


def parse_article(
    item: Any, detected_at: datetime, *, source: str = "coinspot", exchange: str = "CoinSpot"
) -> list[CatalystEvent]:
    """The article's events; an empty list for a draft."""
    article = as_dict(item, "article")
    if article.get("draft") is True:
        return []
    article_id = required_str(article, "id")
    title = required_str(article, "title")
    created_at = parse_time(article.get("created_at"), "created_at")
    url = article.get("html_url") if isinstance(article.get("html_url"), str) else ""
    assert isinstance(url, str)
    body = article.get("body") if isinstance(article.get("body"), str) else ""
    assert isinstance(body, str)
    verdict = classify_announcement(title)
    events = [
        CatalystEvent(
            event_type=f"announcement_{verdict.kind}",
            title=title[:MAX_TITLE],
            source=source,
            external_id=f"article-{article_id}",
            impact=verdict.impact,
            occurred_at=created_at,
            detected_at=detected_at,
            description=plain_text(body)[:MAX_DESCRIPTION],
            url=url,
            currencies=verdict.currencies,
        )
    ]
    if verdict.kind is AnnouncementKind.LISTING:
        for ticker in verdict.currencies or ("",):
            events.append(
                CatalystEvent(
                    event_type=LISTING_EVENT,
                    title=(f"{exchange} lists {ticker}" if ticker else title)[:MAX_TITLE],
                    source=source,
                    external_id=f"listing-{article_id}" + (f"-{ticker}" if ticker else ""),
                    impact=verdict.impact,
                    occurred_at=created_at,
                    detected_at=detected_at,
                    description=title,
                    url=url,
                    currencies=(ticker,) if ticker else (),
                )
            )
    return events


def parse_articles(
    payload: Any, detected_at: datetime, *, source: str = "coinspot"
) -> FetchResult[CatalystEvent]:
    if not isinstance(payload, dict) or not isinstance(payload.get("articles"), list):
        raise MalformedPayload(f"{NAME}: expected an object with an `articles` list")
    result = FetchResult[CatalystEvent]()
    for item in payload["articles"]:
        try:
            result.records.extend(parse_article(item, detected_at, source=source))
        except BadRecord as error:
            result.rejected.append(Rejected(str(error), excerpt(item)))
    return result


class CoinSpotAnnouncements:
    def __init__(
        self,
        http: SourceHttp,
        clock: Clock,
        *,
        category: str = DEFAULT_CATEGORY,
        locale: str = DEFAULT_LOCALE,
        per_page: int = 30,
        source: str = "coinspot",
    ) -> None:
        self._http = http
        self._clock = clock
        self._path = f"/api/v2/help_center/{locale}/categories/{category}/articles.json"
        self._per_page = per_page
        self._source = source

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None

    async def fetch(self) -> FetchResult[CatalystEvent]:
        # The newest page is enough at a one-minute cadence; older articles are stored.
        payload = await self._http.get_json(
            self._path,
            params={"sort_by": "created_at", "sort_order": "desc", "per_page": self._per_page},
        )
        return parse_articles(payload, self._clock.now(), source=self._source)
