"""CryptoPanic news -> NewsItem (Human ledger).

`GET /api/{plan}/v2/posts/?auth_token=...` (or the legacy `/api/v1/posts/`). Both shapes
are accepted: v1 names the coins in `currencies`, v2 in `instruments` (each `{"code":
"BTC", ...}`). Sentiment comes from the readers' votes (see `vote_sentiment`).

The API key comes from the secrets port at every fetch (rotations apply without a
restart); without one the collector is disabled, not failing. The key travels in the
query string, as CryptoPanic requires, so every URL is redacted before it is logged or
put in an error, `next` links included; a `next` link to another host is not followed,
since following it would hand the key to that host.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from omc.adapters.sources._parse import (
    BadRecord,
    as_dict,
    decimal_or_none,
    parse_time,
    required_str,
)
from omc.adapters.sources.http import MalformedPayload, SourceHttp
from omc.application.collection_ports import FetchResult, Rejected, SourceDisabled, excerpt
from omc.application.ports import SecretsProvider
from omc.domain.human import NewsItem
from omc.domain.rules import SYMBOL_PATTERN
from omc.domain.text.sentiment import vote_sentiment

NAME = "cryptopanic_news"
BASE_URL = "https://cryptopanic.com"
SECRET_NAME = "cryptopanic_api_key"  # noqa: S105 (the name of the secret, not its value)
DISABLED_REASON = (
    "no CryptoPanic API key: set OMC_CRYPTOPANIC_API_KEY (or the secret "
    f"{SECRET_NAME!r} in the secrets store) to enable {NAME}"
)

log = logging.getLogger("omc.sources.cryptopanic")


def _count(votes: dict[str, Any], name: str) -> int:
    value = votes.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _codes(item: dict[str, Any]) -> tuple[str, ...]:
    # v2 calls them instruments, v1 currencies; same {"code": ...} entries.
    entries = item.get("instruments") or item.get("currencies") or []
    codes: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        code = entry.get("code") if isinstance(entry, dict) else None
        if isinstance(code, str) and SYMBOL_PATTERN.fullmatch(code.strip().upper()):
            codes.append(code.strip().upper())
    return tuple(dict.fromkeys(codes))


def parse_post(item: Any, *, source: str = "cryptopanic") -> NewsItem:
    post = as_dict(item, "post")
    external_id = required_str(post, "id")
    title = required_str(post, "title")
    published_at = parse_time(post.get("published_at"), "published_at")
    slug = post.get("slug") if isinstance(post.get("slug"), str) else ""
    url = post.get("original_url") or post.get("url")
    if not isinstance(url, str) or not url.strip():
        url = f"https://cryptopanic.com/news/{external_id}/{slug}".rstrip("/")
    votes = post.get("votes") if isinstance(post.get("votes"), dict) else {}
    assert isinstance(votes, dict)
    sentiment = vote_sentiment(
        positive=_count(votes, "positive"),
        negative=_count(votes, "negative"),
        important=_count(votes, "important"),
        liked=_count(votes, "liked"),
        disliked=_count(votes, "disliked"),
        toxic=_count(votes, "toxic"),
    )
    origin = post.get("source")
    source_name = ""
    if isinstance(origin, dict):
        source_name = str(origin.get("title") or origin.get("domain") or "")
    elif isinstance(post.get("domain"), str):
        source_name = post["domain"]
    return NewsItem(
        source=source,
        external_id=external_id,
        title=title,
        url=url.strip(),
        published_at=published_at,
        source_name=source_name,
        sentiment_label=sentiment.label,
        sentiment_score=sentiment.score,
        currencies=_codes(post),
        votes_positive=_count(votes, "positive"),
        votes_negative=_count(votes, "negative"),
        panic_score=decimal_or_none(post.get("panic_score"), "panic_score"),
    )


def parse_posts(payload: Any, *, source: str = "cryptopanic") -> tuple[FetchResult[NewsItem], Any]:
    """The page's items and its `next` link."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise MalformedPayload(f"{NAME}: expected an object with a `results` list")
    result = FetchResult[NewsItem]()
    for item in payload["results"]:
        try:
            result.records.append(parse_post(item, source=source))
        except BadRecord as error:
            result.rejected.append(Rejected(str(error), excerpt(item)))
    return result, payload.get("next")


class CryptoPanicNews:
    def __init__(
        self,
        http: SourceHttp,
        secrets: SecretsProvider,
        *,
        plan: str = "developer",
        api_version: str = "v2",
        kind: str = "news",
        max_pages: int = 1,
        post_filter: str | None = None,
        currencies: Sequence[str] = (),
        regions: Sequence[str] = (),
        source: str = "cryptopanic",
    ) -> None:
        if api_version not in ("v1", "v2"):
            raise ValueError("api_version must be v1 or v2")
        self._http = http
        self._secrets = secrets
        self._path = "/api/v1/posts/" if api_version == "v1" else f"/api/{plan}/v2/posts/"
        # CryptoPanic's own query parameters; the `next` links carry them on.
        self._query: dict[str, str | int] = {"public": "true", "kind": kind}
        if post_filter:
            self._query["filter"] = post_filter
        if currencies:
            self._query["currencies"] = ",".join(currencies)
        if regions:
            self._query["regions"] = ",".join(regions)
        self._max_pages = max(1, max_pages)
        self._source = source

    @property
    def name(self) -> str:
        return NAME

    async def disabled_reason(self) -> str | None:
        return None if await self._secrets.get(SECRET_NAME) else DISABLED_REASON

    async def fetch(self) -> FetchResult[NewsItem]:
        token = await self._secrets.get(SECRET_NAME)
        if not token:
            raise SourceDisabled(DISABLED_REASON)
        result = FetchResult[NewsItem]()
        target: str = self._path
        params: dict[str, str | int] | None = {"auth_token": token, **self._query}
        for page in range(self._max_pages):
            payload = await self._http.get_json(target, params=params, secrets=(token,))
            page_result, next_url = parse_posts(payload, source=self._source)
            result.records.extend(page_result.records)
            result.rejected.extend(page_result.rejected)
            if not isinstance(next_url, str) or not next_url or page + 1 >= self._max_pages:
                break
            if not next_url.startswith(self._http.base_url + "/"):
                log.warning(
                    "%s: not following a next link to another host: %s",
                    NAME,
                    self._http.redact(next_url, (token,)),
                )
                break
            log.debug("%s: following %s", NAME, self._http.redact(next_url, (token,)))
            # The next link already carries the query, token included.
            target, params = next_url, None
        return result
