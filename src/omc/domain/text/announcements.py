"""Exchange announcement titles: what kind of announcement, about which coins, how big.

Rules are tried in order and match whole words: "Delisting of XYZ" is a delisting and
never a listing ("listing" does not match inside "delisting"), and "News" is never
"new". The first matching class wins, so a title that mentions both a delisting and a
listing counts as the more consequential delisting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from omc.domain.text.currencies import bracketed_tickers, extract_currencies


class AnnouncementKind(StrEnum):
    LISTING = "listing"
    DELISTING = "delisting"
    MAINTENANCE = "maintenance"
    TRADING = "trading"
    FEATURE = "feature"
    ANNOUNCEMENT = "announcement"


# Catalyst impact (1..10) per kind: listings and delistings move prices most.
IMPACTS = MappingProxyType(
    {
        AnnouncementKind.DELISTING: 8,
        AnnouncementKind.LISTING: 8,
        AnnouncementKind.TRADING: 6,
        AnnouncementKind.MAINTENANCE: 4,
        AnnouncementKind.FEATURE: 3,
        AnnouncementKind.ANNOUNCEMENT: 2,
    }
)


def _words(*alternatives: str) -> re.Pattern[str]:
    joined = "|".join(alternatives)
    return re.compile(rf"(?<![\w-])(?:{joined})(?![\w-])", re.IGNORECASE)


_RULES: tuple[tuple[AnnouncementKind, re.Pattern[str]], ...] = (
    (
        AnnouncementKind.DELISTING,
        _words(
            r"delist(?:s|ed|ing)?", r"removal\s+of", r"will\s+be\s+removed", r"retir(?:e|es|ing)"
        ),
    ),
    (
        AnnouncementKind.LISTING,
        _words(
            r"list(?:s|ed|ing)",
            r"relist(?:s|ed|ing)?",
            r"new\s+(?:coins?|tokens?|assets?|listings?)",
        ),
    ),
    (
        AnnouncementKind.MAINTENANCE,
        _words(
            r"maintenance",
            r"hard\s*fork",
            r"network\s+upgrade",
            r"upgrade",
            r"downtime",
            r"outage",
            r"fork",
        ),
    ),
    (
        AnnouncementKind.TRADING,
        _words(
            r"trading",
            r"pairs?",
            r"halt(?:s|ed)?",
            r"suspen(?:d|ds|ded|sion)",
            r"resum(?:e|es|ed|ption)",
            r"deposits?",
            r"withdrawals?",
            r"markets?",
        ),
    ),
    (
        AnnouncementKind.FEATURE,
        _words(
            r"features?",
            r"introduc(?:e|es|ing)",
            r"launch(?:es|ed)?",
            r"now\s+supports?",
            r"staking",
            r"app",
            r"release[sd]?",
            r"improvements?",
        ),
    ),
)


# Phrases that announce a listing only when the title names a coin: "Celestia (TIA) now
# available" is a listing, "Apple Pay now available" is not.
_LISTING_IF_COIN = _words(r"now\s+(?:available|live)", r"welcome", r"adds?", r"added")


@dataclass(frozen=True, slots=True)
class Announcement:
    kind: AnnouncementKind
    impact: int
    currencies: tuple[str, ...]


def announcement_tickers(title: str) -> tuple[str, ...]:
    """ "(XYZ)" first, then cashtags, known tickers in capitals and known coin names."""
    return tuple(dict.fromkeys((*bracketed_tickers(title), *extract_currencies(title))))


def classify_kind(title: str, tickers: tuple[str, ...] | None = None) -> AnnouncementKind:
    for kind, pattern in _RULES:
        if pattern.search(title):
            return kind
        if kind is AnnouncementKind.LISTING and _LISTING_IF_COIN.search(title):
            named = announcement_tickers(title) if tickers is None else tickers
            if named:
                return kind
    return AnnouncementKind.ANNOUNCEMENT


def classify_announcement(title: str) -> Announcement:
    tickers = announcement_tickers(title)
    kind = classify_kind(title, tickers)
    return Announcement(kind, IMPACTS[kind], tickers)
