"""Reddit subreddit listings -> SocialPost (Human ledger).

`GET /r/{sub}/new.json?limit=100&raw_json=1` (or `hot`), paging with `after` until
`max_posts` posts per subreddit. Stickied posts (moderator notices pinned for weeks) are
skipped. Sentiment from keywords with word boundaries, tickers from cashtags, tickers in
capitals and coin names (so "link" in prose is not Chainlink). Reddit throttles clients
without a descriptive User-Agent, so the source sets its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from omc.adapters.sources._parse import BadRecord, as_dict, parse_time, required_str
from omc.adapters.sources.http import MalformedPayload, SourceHttp
from omc.adapters.sources.options import DEFAULT_SUBREDDITS, REDDIT_LISTINGS
from omc.application.collection_ports import FetchResult, Rejected, SourceUnavailable, excerpt
from omc.domain.human import SocialPost
from omc.domain.rules import MAX_BODY, MAX_TITLE
from omc.domain.text.currencies import extract_currencies
from omc.domain.text.sentiment import keyword_sentiment

NAME = "reddit_posts"
BASE_URL = "https://www.reddit.com"
PERMALINK_HOST = "https://www.reddit.com"
DEFAULT_USER_AGENT = "python:omc-collector:0.1.0 (by /u/omc-bot; contact ops@example.com)"
PAGE_LIMIT = 100


def parse_child(child: Any, subreddit: str) -> SocialPost | None:
    """The post, or None for a stickied post (skipped, not rejected)."""
    data = as_dict(as_dict(child, "child").get("data"), "child.data")
    if data.get("stickied") is True or data.get("pinned") is True:
        return None
    name = data.get("name") or (f"t3_{data['id']}" if data.get("id") else None)
    if not isinstance(name, str) or not name:
        raise BadRecord("id: missing")
    title = required_str(data, "title")
    body = data.get("selftext") if isinstance(data.get("selftext"), str) else ""
    assert isinstance(body, str)
    text = f"{title}\n{body}"
    sentiment = keyword_sentiment(text)
    permalink = data.get("permalink")
    url = f"{PERMALINK_HOST}{permalink}" if isinstance(permalink, str) and permalink else ""
    score = data.get("score", 0)
    comments = data.get("num_comments", 0)
    return SocialPost(
        platform="reddit",
        external_id=name,
        title=title[:MAX_TITLE],
        posted_at=parse_time(data.get("created_utc"), "created_utc"),
        community=str(data.get("subreddit") or subreddit),
        author=str(data.get("author") or ""),
        body=body[:MAX_BODY],
        url=url,
        score=score if isinstance(score, int) and not isinstance(score, bool) else 0,
        comment_count=comments if isinstance(comments, int) and comments >= 0 else 0,
        sentiment_label=sentiment.label,
        sentiment_score=sentiment.score,
        currencies=extract_currencies(text),
    )


def parse_listing(payload: Any, subreddit: str) -> tuple[FetchResult[SocialPost], str | None]:
    """One listing page's posts and its `after` cursor."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise MalformedPayload(f"{NAME}: r/{subreddit}: expected a Listing object")
    data = payload["data"]
    children = data.get("children")
    if not isinstance(children, list):
        raise MalformedPayload(f"{NAME}: r/{subreddit}: `children` missing")
    result = FetchResult[SocialPost]()
    for child in children:
        try:
            post = parse_child(child, subreddit)
        except BadRecord as error:
            result.rejected.append(Rejected(f"r/{subreddit}: {error}", excerpt(child)))
            continue
        if post is not None:
            result.records.append(post)
    after = data.get("after")
    return result, after if isinstance(after, str) and after else None


class RedditPosts:
    def __init__(
        self,
        http: SourceHttp,
        *,
        subreddits: Sequence[str] = DEFAULT_SUBREDDITS,
        listing: str = "new",
        max_posts: int = 100,
    ) -> None:
        if listing not in REDDIT_LISTINGS:
            raise ValueError("listing must be new, hot, top or rising")
        self._http = http
        self._subreddits = tuple(subreddits)
        self._listing = listing
        self._max_posts = max(1, max_posts)

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None if self._subreddits else "no subreddits configured"

    async def fetch(self) -> FetchResult[SocialPost]:
        pages = await asyncio.gather(*(self._subreddit(sub) for sub in self._subreddits))
        result = FetchResult[SocialPost]()
        for page in pages:
            result.records.extend(page.records)
            result.rejected.extend(page.rejected)
        return result

    async def _subreddit(self, subreddit: str) -> FetchResult[SocialPost]:
        """One subreddit; its failure is a reject so the other subreddits still land."""
        result = FetchResult[SocialPost]()
        after: str | None = None
        seen = 0
        while seen < self._max_posts:
            limit = min(PAGE_LIMIT, self._max_posts - seen)
            params: dict[str, str | int] = {"limit": limit, "raw_json": 1}
            if after:
                params["after"] = after
            try:
                payload = await self._http.get_json(
                    f"/r/{subreddit}/{self._listing}.json", params=params
                )
                page, after = parse_listing(payload, subreddit)
            except SourceUnavailable as error:
                result.rejected.append(Rejected(f"r/{subreddit}: {error}", subreddit))
                break
            result.records.extend(page.records)
            result.rejected.extend(page.rejected)
            seen += len(page.records) + len(page.rejected)
            if after is None or not (page.records or page.rejected):
                break
        return result
