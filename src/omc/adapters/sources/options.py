"""What an operator may set per source: `OMC_SOURCES__<NAME>__<FIELD>`, one typed model per
collector, checked when the settings load so a bad list stops `omc serve` and `omc collect`
at start-up with the variable named, not at the first tick.

Lists are a JSON array (`'["lido","aave"]'`) or a comma list (`lido,aave`); the SEC
form->impact map is a JSON object (`'{"S-1": 9, "8-K": 8}'`) or `S-1=9,8-K=8`. Whatever is
unset keeps the collector's default (see each source module). Kept free of httpx and the
fetchers, so loading the settings stays cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)
from pydantic_settings import NoDecode

from omc.domain.catalyst import IMPACT_MAX, IMPACT_MIN
from omc.domain.rules import SLUG_PATTERN, SYMBOL_PATTERN

# -- the defaults the fetchers use when nothing is set ------------------------------------
# The largest protocols by TVL (DefiLlama slugs).
DEFAULT_PROTOCOLS: tuple[str, ...] = (
    "lido", "aave", "eigenlayer", "makerdao", "uniswap", "ether.fi", "curve-dex",
    "rocket-pool", "compound-finance", "pendle", "convex-finance", "morpho", "spark",
    "jito", "ethena", "sky", "binance-staked-eth", "justlend", "babylon-protocol",
    "kamino",
)  # fmt: skip
DEFAULT_SUBREDDITS: tuple[str, ...] = (
    "CryptoCurrency",
    "Bitcoin",
    "ethereum",
    "CryptoMarkets",
    "altcoin",
)
REDDIT_LISTINGS = ("new", "hot", "top", "rising")
# Reddit serves about the newest 1000 posts of a listing, however far one pages.
MAX_REDDIT_POSTS = 1_000
DEFAULT_COMPANIES: Mapping[str, str] = MappingProxyType(
    {
        "0001679788": "Coinbase",
        "0001050446": "MicroStrategy",
        "0001507605": "Marathon Digital",
        "0001167419": "Riot Platforms",
        "0001512673": "Block",
    }
)
DEFAULT_FORM_IMPACTS: Mapping[str, int] = MappingProxyType(
    {"S-1": 9, "8-K": 8, "8-K/A": 7, "10-K": 6, "10-Q": 5, "4": 3}
)
# EDGAR form types a catalyst can come from; each may also be filed as an amendment
# ("/A"). A typo ("8K", "10Q") would silently collect nothing, so it is refused.
KNOWN_FORMS = frozenset(
    {
        "3", "4", "5", "144", "6-K", "8-K", "10-K", "10-KT", "10-Q", "11-K", "13F-HR",
        "20-F", "40-F", "424B1", "424B2", "424B3", "424B4", "424B5", "424B7", "8-A12B",
        "ARS", "D", "DEF 14A", "DEFA14A", "DEFM14A", "F-1", "F-3", "F-4", "N-2", "PRE 14A",
        "S-1", "S-3", "S-3ASR", "S-4", "S-8", "SC 13D", "SC 13G", "SC TO-T", "SCHEDULE 13D",
        "SCHEDULE 13G", "15-12G", "25-NSE", "NT 10-K", "NT 10-Q",
    }
)  # fmt: skip
CRYPTOPANIC_KINDS = ("news", "media", "all")
CRYPTOPANIC_FILTERS = ("rising", "hot", "bullish", "bearish", "important", "saved", "lol")
# Zendesk Help Center pages hold at most 100 articles.
MAX_ARTICLES_PER_PAGE = 100

_SUBREDDIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")
_CIK = re.compile(r"\d{1,10}")
_REGION = re.compile(r"[a-z]{2}")

# Lists and maps reach the validators as the raw string: pydantic-settings would read
# `lido,aave` as broken JSON otherwise.
StringList = Annotated[tuple[str, ...] | None, NoDecode]
ImpactMap = Annotated[dict[str, int] | None, NoDecode]


def _items(value: object) -> list[object]:
    """A JSON array, a comma list or an already parsed sequence."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"not a JSON array ({error.msg})") from None
            return list(parsed)
        return [part for part in text.split(",")] if text else []
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError("must be a JSON array or a comma-separated list")


def _names(value: object, what: str, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    names: list[str] = []
    for item in _items(value):
        name = str(item).strip() if isinstance(item, str | int) else ""
        if not pattern.fullmatch(name):
            raise ValueError(f"{item!r} is not a valid {what}")
        names.append(name)
    if not names:
        raise ValueError(
            f"must name at least one {what} (to stop the collector, set its ENABLED=false)"
        )
    # Order kept, repeats dropped: a repeat would only fetch the same thing twice.
    return tuple(dict.fromkeys(names))


class SourceSettings(BaseModel):
    """Overrides every collector takes (`OMC_SOURCES__<NAME>__<FIELD>`); whatever is unset
    keeps the collector's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    base_url: str | None = None
    cadence_seconds: PositiveFloat | None = None
    timeout_seconds: PositiveFloat | None = None
    # Requests per second; 0 turns the limit off.
    rate_per_second: NonNegativeFloat | None = None
    user_agent: str | None = None
    # Attempts per request (1 = no retry) for connect errors, timeouts, 5xx and 429.
    retry_attempts: PositiveInt | None = None
    # The longest one run may take: a run still going after it is cancelled and recorded
    # as failed, which frees the collector for the other replicas (see CollectorLock).
    lease_seconds: PositiveFloat | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None

    def fetcher_options(self) -> dict[str, Any]:
        """The fetcher's keyword arguments this sets (none for a source without lists)."""
        return {}


class DefiLlamaSettings(SourceSettings):
    # Protocol slugs as in https://api.llama.fi/protocol/{slug}, e.g. lido,aave.
    slugs: StringList = None

    @field_validator("slugs", mode="before")
    @classmethod
    def _slugs(cls, value: object) -> tuple[str, ...] | None:
        if isinstance(value, str | list | tuple):
            value = [str(s).strip().lower() for s in _items(value)]
        return _names(value, "DefiLlama protocol slug (e.g. lido, curve-dex)", SLUG_PATTERN)

    def fetcher_options(self) -> dict[str, Any]:
        return {} if self.slugs is None else {"protocols": self.slugs}


class RedditSettings(SourceSettings):
    subreddits: StringList = None
    listing: Literal["new", "hot", "top", "rising"] | None = None
    posts_per_subreddit: int | None = Field(default=None, ge=1, le=MAX_REDDIT_POSTS)

    @field_validator("subreddits", mode="before")
    @classmethod
    def _subreddits(cls, value: object) -> tuple[str, ...] | None:
        if isinstance(value, str | list | tuple):
            # "r/Bitcoin" is how people write them.
            value = [re.sub(r"^/?r/", "", str(s).strip()) for s in _items(value)]
        return _names(value, "subreddit name (e.g. Bitcoin)", _SUBREDDIT)

    def fetcher_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.subreddits is not None:
            options["subreddits"] = self.subreddits
        if self.listing is not None:
            options["listing"] = self.listing
        if self.posts_per_subreddit is not None:
            options["max_posts"] = self.posts_per_subreddit
        return options


class SecFilingsSettings(SourceSettings):
    # Company CIKs, with or without the leading zeros (1679788 = 0001679788).
    ciks: StringList = None
    # The forms collected, each with its impact (1-10); replaces the whole default map.
    form_impacts: ImpactMap = None
    # Filings accepted longer ago than this are history, not catalysts.
    lookback_days: int | None = Field(default=None, ge=1, le=3_650)

    @field_validator("ciks", mode="before")
    @classmethod
    def _ciks(cls, value: object) -> tuple[str, ...] | None:
        if isinstance(value, str | list | tuple):
            value = [re.sub(r"^CIK", "", str(c).strip(), flags=re.I) for c in _items(value)]
        ciks = _names(value, "CIK (up to 10 digits, e.g. 0001679788)", _CIK)
        return None if ciks is None else tuple(dict.fromkeys(c.zfill(10) for c in ciks))

    @field_validator("form_impacts", mode="before")
    @classmethod
    def _form_impacts(cls, value: object) -> dict[str, int] | None:
        if value is None:
            return None
        pairs = _impact_pairs(value)
        if not pairs:
            raise ValueError("must name at least one form, e.g. S-1=9,8-K=8")
        impacts: dict[str, int] = {}
        for raw_form, raw_impact in pairs:
            form = " ".join(str(raw_form).split()).upper()
            if form.removesuffix("/A") not in KNOWN_FORMS:
                raise ValueError(
                    f"unknown form {raw_form!r} (e.g. {', '.join(DEFAULT_FORM_IMPACTS)})"
                )
            impact = _impact(raw_impact)
            if impact is None or not IMPACT_MIN <= impact <= IMPACT_MAX:
                raise ValueError(
                    f"impact of {form} must be a whole number from {IMPACT_MIN} to "
                    f"{IMPACT_MAX} (got {raw_impact!r})"
                )
            impacts[form] = impact
        return impacts

    @field_validator("user_agent")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError("must name a contact e-mail address (SEC EDGAR requires one)")
        return value.strip() if value is not None else None

    def fetcher_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.ciks is not None:
            options["companies"] = self.ciks
        if self.form_impacts is not None:
            options["form_impacts"] = dict(self.form_impacts)
        if self.lookback_days is not None:
            options["lookback"] = timedelta(days=self.lookback_days)
        return options


def _impact_pairs(value: object) -> list[tuple[object, object]]:
    if isinstance(value, Mapping):
        return list(value.items())
    if not isinstance(value, str):
        raise ValueError("must be a JSON object or FORM=IMPACT pairs, e.g. S-1=9,8-K=8")
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON object ({error.msg})") from None
        if not isinstance(parsed, dict):
            raise ValueError('must be a JSON object, e.g. {"S-1": 9}')
        return list(parsed.items())
    pairs: list[tuple[object, object]] = []
    for part in (p for p in text.split(",") if p.strip()):
        form, sep, impact = part.rpartition("=") if "=" in part else part.rpartition(":")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not FORM=IMPACT (e.g. S-1=9)")
        pairs.append((form, impact))
    return pairs


def _impact(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class CryptoPanicSettings(SourceSettings):
    # The plan in the v2 path /api/{plan}/v2/posts/ (developer, growth, enterprise...).
    plan: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    api_version: Literal["v1", "v2"] | None = None
    kind: Literal["news", "media", "all"] | None = None
    # One of CryptoPanic's feeds: rising, hot, bullish, bearish, important, saved, lol.
    filter: Literal["rising", "hot", "bullish", "bearish", "important", "saved", "lol"] | None = (
        None
    )
    # Only news about these coins, e.g. BTC,ETH.
    currencies: StringList = None
    # Only news in these languages, e.g. en,de.
    regions: StringList = None
    max_pages: int | None = Field(default=None, ge=1, le=20)

    @field_validator("currencies", mode="before")
    @classmethod
    def _currencies(cls, value: object) -> tuple[str, ...] | None:
        if isinstance(value, str | list | tuple):
            value = [str(c).strip().upper() for c in _items(value)]
        return _names(value, "coin symbol (e.g. BTC)", SYMBOL_PATTERN)

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, value: object) -> tuple[str, ...] | None:
        if isinstance(value, str | list | tuple):
            value = [str(r).strip().lower() for r in _items(value)]
        return _names(value, "region (a two-letter language code, e.g. en)", _REGION)

    def fetcher_options(self) -> dict[str, Any]:
        names = {"plan": "plan", "api_version": "api_version", "kind": "kind"}
        names |= {"filter": "post_filter", "currencies": "currencies", "regions": "regions"}
        names |= {"max_pages": "max_pages"}
        return {
            option: getattr(self, field)
            for field, option in names.items()
            if getattr(self, field) is not None
        }


class CoinSpotAnnouncementsSettings(SourceSettings):
    # The Zendesk Help Center category holding the announcements.
    category: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]{2})?$")
    per_page: int | None = Field(default=None, ge=1, le=MAX_ARTICLES_PER_PAGE)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> object:
        return str(value).strip() if isinstance(value, int | str) else value

    def fetcher_options(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in ("category", "locale", "per_page")
            if getattr(self, name) is not None
        }


class SourcesSettings(BaseModel):
    """Every collector's settings, by collector name (OMC_SOURCES__<NAME>__...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    coinspot_prices: SourceSettings = SourceSettings()
    defillama_protocols: DefiLlamaSettings = DefiLlamaSettings()
    cryptopanic_news: CryptoPanicSettings = CryptoPanicSettings()
    reddit_posts: RedditSettings = RedditSettings()
    sec_filings: SecFilingsSettings = SecFilingsSettings()
    coinspot_announcements: CoinSpotAnnouncementsSettings = CoinSpotAnnouncementsSettings()

    @model_validator(mode="before")
    @classmethod
    def _known_sources(cls, value: object) -> object:
        if isinstance(value, Mapping):
            known = tuple(cls.model_fields)
            unknown = sorted(str(name) for name in value if name not in known)
            if unknown:
                raise ValueError(
                    f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}"
                )
        return value

    def items(self) -> Iterator[tuple[str, SourceSettings]]:
        """(collector name, its settings) for every collector."""
        for name in type(self).model_fields:
            yield name, getattr(self, name)

    def __getitem__(self, name: str) -> SourceSettings:
        if name not in type(self).model_fields:
            raise KeyError(name)
        settings: SourceSettings = getattr(self, name)
        return settings
