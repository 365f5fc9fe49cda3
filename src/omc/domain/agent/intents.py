"""Plans: which ledgers and books a question needs, for which symbols and window.

`plan_question` is the offline model's planner: keyword rules, deterministic, so the
same question over the same data always gets the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Intent(StrEnum):
    PRICES = "prices"
    SENTIMENT = "sentiment"
    EVENTS = "events"
    ONCHAIN = "onchain"
    BOOKS = "books"
    QUALITY = "quality"


class Analyst(StrEnum):
    """One analyst per ledger, one for the caller's books, one for data quality."""

    EXCHANGE = "exchange"
    HUMAN = "human"
    CATALYST = "catalyst"
    GLASS = "glass"
    BOOKS = "books"
    QUALITY = "quality"


ANALYST_FOR: dict[Intent, Analyst] = {
    Intent.PRICES: Analyst.EXCHANGE,
    Intent.SENTIMENT: Analyst.HUMAN,
    Intent.EVENTS: Analyst.CATALYST,
    Intent.ONCHAIN: Analyst.GLASS,
    Intent.BOOKS: Analyst.BOOKS,
    Intent.QUALITY: Analyst.QUALITY,
}

# Longest windows a plan may ask for; tools cap theirs again.
MAX_WINDOW = timedelta(days=90)
DEFAULT_WINDOW = timedelta(days=7)

_KEYWORDS: dict[Intent, tuple[str, ...]] = {
    Intent.PRICES: (
        "price",
        "prices",
        "move",
        "moves",
        "moved",
        "moving",
        "trading at",
        "worth",
        "cost",
        "pump",
        "dump",
        "rally",
        "chart",
        "up",
        "down",
        "volatility",
    ),
    Intent.SENTIMENT: (
        "sentiment",
        "news",
        "social",
        "saying",
        "mood",
        "feel",
        "reddit",
        "headline",
        "headlines",
        "talk",
        "buzz",
        "people",
    ),
    Intent.EVENTS: (
        "event",
        "events",
        "listing",
        "listings",
        "announcement",
        "announcements",
        "catalyst",
        "catalysts",
        "filing",
        "filings",
        "upgrade",
        "delisting",
        "outage",
        "coming up",
        "upcoming",
    ),
    Intent.ONCHAIN: (
        "on-chain",
        "onchain",
        "on chain",
        "tvl",
        "defi",
        "active addresses",
        "fees",
        "revenue",
        "protocol",
        "protocols",
        "mvrv",
        "hashrate",
        "metrics",
    ),
    Intent.BOOKS: (
        "my trades",
        "my trade",
        "my positions",
        "my position",
        "my pnl",
        "pnl",
        "p&l",
        "i hold",
        "i own",
        "portfolio",
        "my fills",
        "my books",
        "did my",
        "my btc",
        "my eth",
        "my sol",
        "holdings",
        "my coins",
        "profit",
        "loss",
    ),
    Intent.QUALITY: (
        "data quality",
        "quality",
        "stale",
        "freshness",
        "fresh",
        "gaps",
        "missing data",
    ),
}
_OVERVIEW = (Intent.PRICES, Intent.SENTIMENT, Intent.EVENTS, Intent.ONCHAIN)
# Intents that make no sense without knowing which coins.
_NEEDS_SYMBOLS = frozenset({Intent.PRICES, Intent.SENTIMENT, Intent.ONCHAIN})

NAMES: dict[str, str] = {
    "bitcoin": "BTC",
    "ether": "ETH",
    "ethereum": "ETH",
    "solana": "SOL",
    "cardano": "ADA",
    "ripple": "XRP",
    "dogecoin": "DOGE",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'-]*")
_LAST_N = re.compile(
    r"\b(?:last|past)\s+(\d{1,3})\s*(hour|hours|day|days|week|weeks|month|months)\b"
)
_UNITS = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
}


@dataclass(frozen=True, slots=True)
class Plan:
    intents: tuple[Intent, ...]
    symbols: tuple[str, ...]
    start: datetime
    end: datetime
    analysts: tuple[Analyst, ...] = ()
    # Set when the question is too ambiguous to answer: ask the user this.
    clarification: str = ""
    # Symbols the caller's books decide (e.g. "coins I hold").
    symbols_from_books: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "intents": [intent.value for intent in self.intents],
            "symbols": list(self.symbols),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "analysts": [analyst.value for analyst in self.analysts],
            "clarification": self.clarification,
            "symbols_from_books": self.symbols_from_books,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Plan:
        return cls(
            intents=tuple(Intent(value) for value in body.get("intents", ())),
            symbols=tuple(str(s).upper() for s in body.get("symbols", ())),
            start=datetime.fromisoformat(body["start"]),
            end=datetime.fromisoformat(body["end"]),
            analysts=tuple(Analyst(value) for value in body.get("analysts", ())),
            clarification=str(body.get("clarification", "")),
            symbols_from_books=bool(body.get("symbols_from_books", False)),
            notes=tuple(str(n) for n in body.get("notes", ())),
        )


def analysts_for(intents: Iterable[Intent]) -> tuple[Analyst, ...]:
    seen: list[Analyst] = []
    for intent in intents:
        analyst = ANALYST_FOR[intent]
        if analyst not in seen:
            seen.append(analyst)
    return tuple(seen)


def extract_symbols(text: str, known: Iterable[str]) -> tuple[str, ...]:
    """Known tickers named in the text (as tickers or common names), in order of mention."""
    known_set = {symbol.upper() for symbol in known}
    found: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        candidate = NAMES.get(word.lower())
        if candidate is None and (word.isupper() or word.upper() in known_set):
            candidate = word.upper().strip("'")
        if candidate and candidate in known_set and candidate not in found:
            found.append(candidate)
    return tuple(found)


def extract_window(text: str, anchor: datetime) -> tuple[datetime, datetime, str]:
    """[start, end) ending at `anchor` (the newest data, or now), and how it was read."""
    lowered = text.lower()
    match = _LAST_N.search(lowered)
    if match:
        count = int(match.group(1))
        unit = _UNITS[match.group(2).rstrip("s")]
        span = min(unit * max(count, 1), MAX_WINDOW)
        return anchor - span, anchor, f"last {count} {match.group(2)}"
    for words, span, label in (
        (("today", "24h", "24 hours", "right now", "now"), timedelta(days=1), "last 24 hours"),
        (("this week", "week", "7 days"), timedelta(days=7), "last 7 days"),
        (("last month", "this month", "month", "30 days"), timedelta(days=30), "last 30 days"),
        (("this year", "year"), MAX_WINDOW, "last 90 days (the longest window)"),
    ):
        if any(_contains(lowered, word) for word in words):
            return anchor - span, anchor, label
    return anchor - DEFAULT_WINDOW, anchor, "last 7 days (default)"


def plan_question(question: str, anchor: datetime, known_symbols: Iterable[str]) -> Plan:
    """The offline planner. Ambiguity (no coin named where one is needed) yields a plan
    whose `clarification` asks which coins."""
    known = tuple(sorted({s.upper() for s in known_symbols}))
    lowered = question.lower()
    intents = [
        intent
        for intent, words in _KEYWORDS.items()
        if any(_contains(lowered, word) for word in words)
    ]
    overview = not intents or (intents == [Intent.PRICES] and _contains(lowered, "going on"))
    if overview:
        intents = list(_OVERVIEW)
    symbols = extract_symbols(question, known)
    start, end, window = extract_window(question, anchor)
    from_books = Intent.BOOKS in intents and not symbols
    notes = [f"window: {window}"]
    clarification = ""
    if not symbols and not from_books and _NEEDS_SYMBOLS.intersection(intents):
        if _contains(lowered, "all") or _contains(lowered, "market"):
            symbols = known
            notes.append("symbols: every symbol the ledgers hold")
        else:
            listed = ", ".join(known) if known else "none yet"
            clarification = f"Which coins do you mean? The ledgers hold: {listed}."
    ordered = tuple(sorted(set(intents), key=list(Intent).index))
    return Plan(
        intents=ordered,
        symbols=tuple(symbols),
        start=start,
        end=end,
        analysts=analysts_for(ordered),
        clarification=clarification,
        symbols_from_books=from_books,
        notes=tuple(notes),
    )


def answer_clarification(plan: Plan, answer: str, known_symbols: Iterable[str]) -> Plan:
    """The plan once the user said which coins; still ambiguous when none was named."""
    known = tuple(known_symbols)
    symbols = extract_symbols(answer, known)
    if not symbols and any(_contains(answer.lower(), w) for w in ("all", "every", "any")):
        symbols = tuple(sorted({s.upper() for s in known}))
    if not symbols:
        return plan
    return Plan(
        intents=plan.intents,
        symbols=symbols,
        start=plan.start,
        end=plan.end,
        analysts=plan.analysts,
        clarification="",
        symbols_from_books=plan.symbols_from_books,
        notes=(*plan.notes, f"clarified: {', '.join(symbols)}"),
    )


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None
