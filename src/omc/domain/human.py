"""Human ledger: news and social posts with their sentiment."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from omc.domain.record import Ledger
from omc.domain.rules import (
    MAX_BODY,
    MAX_SHORT_TEXT,
    MAX_TITLE,
    RuleCheck,
    normalize_symbols,
    to_utc,
)
from omc.domain.violations import FieldViolation

SENTIMENT_MIN = Decimal(-1)
SENTIMENT_MAX = Decimal(1)


class SentimentLabel(StrEnum):
    BULLISH = "bullish"
    BEARISH = "bearish"
    NEUTRAL = "neutral"
    IMPORTANT = "important"


@dataclass(frozen=True, slots=True)
class NewsItem:
    """A news story about one or more currencies."""

    source: str
    external_id: str
    title: str
    url: str
    published_at: datetime
    source_name: str = ""
    sentiment_label: SentimentLabel | None = None
    sentiment_score: Decimal | None = None
    currencies: tuple[str, ...] = field(default_factory=tuple)
    votes_positive: int | None = None
    votes_negative: int | None = None
    panic_score: Decimal | None = None

    ledger: ClassVar[Ledger] = Ledger.HUMAN
    TIME_FIELD: ClassVar[str] = "published_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("source", "external_id")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("published_at", "source", "external_id")

    def normalized(self) -> NewsItem:
        return replace(
            self,
            source=self.source.strip().lower(),
            external_id=self.external_id.strip(),
            title=self.title.strip(),
            url=self.url.strip(),
            source_name=self.source_name.strip(),
            currencies=normalize_symbols(self.currencies),
            published_at=to_utc(self.published_at),
        )

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.slug("source", self.source)
        check.text("external_id", self.external_id, max_length=MAX_SHORT_TEXT)
        check.text("title", self.title, max_length=MAX_TITLE)
        check.url("url", self.url, required=True)
        check.text("source_name", self.source_name, max_length=MAX_SHORT_TEXT, required=False)
        check.timestamp("published_at", self.published_at, now)
        check.score("sentiment_score", self.sentiment_score, SENTIMENT_MIN, SENTIMENT_MAX)
        check.symbols("currencies", self.currencies)
        if self.votes_positive is not None:
            check.integer("votes_positive", self.votes_positive, non_negative=True)
        if self.votes_negative is not None:
            check.integer("votes_negative", self.votes_negative, non_negative=True)
        check.decimal("panic_score", self.panic_score, non_negative=True)
        return check.violations


@dataclass(frozen=True, slots=True)
class SocialPost:
    """A post on a social platform (a subreddit post, say)."""

    platform: str
    external_id: str
    title: str
    posted_at: datetime
    community: str = ""
    author: str = ""
    body: str = ""
    url: str = ""
    score: int = 0
    comment_count: int = 0
    sentiment_label: SentimentLabel | None = None
    sentiment_score: Decimal | None = None
    currencies: tuple[str, ...] = field(default_factory=tuple)

    ledger: ClassVar[Ledger] = Ledger.HUMAN
    TIME_FIELD: ClassVar[str] = "posted_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("platform", "external_id")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("posted_at", "platform", "external_id")

    def normalized(self) -> SocialPost:
        return replace(
            self,
            platform=self.platform.strip().lower(),
            external_id=self.external_id.strip(),
            title=self.title.strip(),
            community=self.community.strip(),
            author=self.author.strip(),
            url=self.url.strip(),
            currencies=normalize_symbols(self.currencies),
            posted_at=to_utc(self.posted_at),
        )

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.slug("platform", self.platform)
        check.text("external_id", self.external_id, max_length=MAX_SHORT_TEXT)
        check.text("title", self.title, max_length=MAX_TITLE)
        check.text("community", self.community, max_length=MAX_SHORT_TEXT, required=False)
        check.text("author", self.author, max_length=MAX_SHORT_TEXT, required=False)
        check.text("body", self.body, max_length=MAX_BODY, required=False)
        check.url("url", self.url, required=False)
        check.integer("comment_count", self.comment_count, non_negative=True)
        check.timestamp("posted_at", self.posted_at, now)
        check.score("sentiment_score", self.sentiment_score, SENTIMENT_MIN, SENTIMENT_MAX)
        check.symbols("currencies", self.currencies)
        return check.violations
