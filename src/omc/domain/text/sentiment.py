"""Sentiment of a short text from keywords, and of a news item from its readers' votes.

Both give a label and a score in [-1, 1]. Keywords match whole words only ("bear" fires
on "bear market", never inside "bearer" or "forbearance"), and a negation just before a
keyword ("not bullish", "no crash") flips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from omc.domain.human import SentimentLabel

SCORE_PLACES = Decimal("0.0001")
# A label needs this much net agreement; below it the text or the vote is neutral.
LABEL_THRESHOLD = Decimal("0.2")

BULLISH_TERMS: tuple[str, ...] = (
    "bull", "bulls", "bullish", "moon", "mooning", "to the moon", "pump", "pumping",
    "rally", "rallies", "rallying", "surge", "surges", "surging", "soar", "soars", "soaring",
    "breakout", "ath", "all-time high", "all time high", "gain", "gains", "green", "buy",
    "buying", "accumulate", "accumulating", "adoption", "approved", "approval", "uptrend",
    "recovery", "rebound", "rebounds", "hodl", "outperform", "outperforms", "record high",
)  # fmt: skip
BEARISH_TERMS: tuple[str, ...] = (
    "bear", "bears", "bearish", "dump", "dumping", "dumped", "crash", "crashes", "crashed",
    "plunge", "plunges", "plunged", "tank", "tanks", "tanking", "sell-off", "selloff",
    "selling", "red", "fud", "scam", "hack", "hacked", "exploit", "exploited", "rug pull",
    "rugpull", "rugged", "liquidated", "liquidation", "liquidations", "ban", "banned",
    "lawsuit", "sued", "fraud", "downtrend", "capitulation", "collapse", "collapses",
    "rekt", "panic", "fear", "bankrupt", "bankruptcy", "delisted", "delisting",
)  # fmt: skip
NEGATIONS: frozenset[str] = frozenset(
    {"not", "no", "never", "isn't", "aren't", "wasn't", "won't", "don't", "didn't", "nor"}
)


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: SentimentLabel
    score: Decimal


NEUTRAL = Sentiment(SentimentLabel.NEUTRAL, Decimal(0))


def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(set(terms), key=len, reverse=True)
    alternation = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in ordered)
    # Hyphens and apostrophes join words: "bear" must not fire inside "bear-proof" either.
    return re.compile(rf"(?<![\w'-])(?:{alternation})(?![\w'-])", re.IGNORECASE)


_BULLISH = _terms_pattern(BULLISH_TERMS)
_BEARISH = _terms_pattern(BEARISH_TERMS)
_WORD = re.compile(r"[\w']+")


def _negated(text: str, start: int) -> bool:
    before = _WORD.findall(text[max(0, start - 40) : start].lower())
    return any(word in NEGATIONS for word in before[-2:])


def _score(positive: int, negative: int, damping: int) -> Decimal:
    """(positive - negative) / (positive + negative + damping): in (-1, 1), and a
    single keyword or vote cannot claim certainty."""
    total = positive + negative + damping
    if total == 0:
        return Decimal(0)
    return (Decimal(positive - negative) / Decimal(total)).quantize(SCORE_PLACES)


def _label(score: Decimal) -> SentimentLabel:
    if score >= LABEL_THRESHOLD:
        return SentimentLabel.BULLISH
    if score <= -LABEL_THRESHOLD:
        return SentimentLabel.BEARISH
    return SentimentLabel.NEUTRAL


def keyword_sentiment(text: str) -> Sentiment:
    """Counts bullish and bearish keywords (negated ones count for the other side).

    score = (bullish - bearish) / (bullish + bearish + 1); label bullish at >= 0.2,
    bearish at <= -0.2, else neutral.
    """
    positive = negative = 0
    for pattern, bullish in ((_BULLISH, True), (_BEARISH, False)):
        for match in pattern.finditer(text):
            if bullish != _negated(text, match.start()):
                positive += 1
            else:
                negative += 1
    if positive == negative == 0:
        return NEUTRAL
    score = _score(positive, negative, 1)
    return Sentiment(_label(score), score)


def vote_sentiment(
    *,
    positive: int = 0,
    negative: int = 0,
    important: int = 0,
    liked: int = 0,
    disliked: int = 0,
    toxic: int = 0,
) -> Sentiment:
    """Sentiment from CryptoPanic votes.

    bullish = positive + liked; bearish = negative + disliked + toxic;
    score = (bullish - bearish) / (bullish + bearish + 2), so one vote gives +-0.33
    and the score only nears +-1 with many agreeing votes. Label: bullish at >= 0.2,
    bearish at <= -0.2; otherwise important when anyone flagged it important,
    else neutral. Negative counts (a malformed payload) count as zero.
    """
    bullish = max(positive, 0) + max(liked, 0)
    bearish = max(negative, 0) + max(disliked, 0) + max(toxic, 0)
    score = _score(bullish, bearish, 2)
    label = _label(score)
    if label is SentimentLabel.NEUTRAL and important > 0:
        label = SentimentLabel.IMPORTANT
    return Sentiment(label, score)
