from __future__ import annotations

from decimal import Decimal

import pytest

from omc.domain.human import SentimentLabel
from omc.domain.text.announcements import AnnouncementKind, classify_announcement
from omc.domain.text.currencies import COIN_NAMES, extract_currencies
from omc.domain.text.sentiment import keyword_sentiment, vote_sentiment

B, S, N = SentimentLabel.BULLISH, SentimentLabel.BEARISH, SentimentLabel.NEUTRAL


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("bear market incoming", S),
        ("Bearer token leaked in the logs", N),
        ("forbearance agreement signed", N),
        ("bear-proof wallet design", N),
        ("Bullish on ETH, breakout soon", B),
        ("not bullish at all", S),
        ("no crash this time, recovery underway", B),
        ("Ethereum Classic update", N),
        ("", N),
        ("RED candles, panic selling, capitulation", S),
        ("Reddit thread about the redesign", N),
        ("Pumpkin spice and dumplings", N),
    ],
)
def test_keyword_sentiment_uses_whole_words(text: str, label: SentimentLabel) -> None:
    result = keyword_sentiment(text)
    assert result.label is label
    assert Decimal(-1) <= result.score <= Decimal(1)


@pytest.mark.parametrize(
    ("votes", "label", "score"),
    [
        ({}, N, Decimal("0")),
        ({"positive": 1}, B, Decimal("0.3333")),
        ({"negative": 1}, S, Decimal("-0.3333")),
        ({"positive": 100, "liked": 100}, B, Decimal("0.9901")),
        ({"positive": 3, "negative": 3}, N, Decimal("0")),
        ({"important": 2}, SentimentLabel.IMPORTANT, Decimal("0")),
        ({"important": 5, "positive": 5}, B, Decimal("0.7143")),
        ({"disliked": 2, "toxic": 2}, S, Decimal("-0.6667")),
        ({"positive": -4}, N, Decimal("0")),
    ],
)
def test_vote_sentiment(votes: dict[str, int], label: SentimentLabel, score: Decimal) -> None:
    result = vote_sentiment(**votes)
    assert result.label is label
    assert result.score == score


@pytest.mark.parametrize(
    ("text", "tickers"),
    [
        ("click the link to see the dot plot", ()),
        ("LINK and DOT are up", ("LINK", "DOT")),
        ("$link to the moon", ("LINK",)),
        ("Chainlink and Polkadot partner", ("LINK", "DOT")),
        ("Bitcoin Cash is not Bitcoin", ("BCH", "BTC")),
        ("ethereum classic vs Ethereum", ("ETC", "ETH")),
        ("OP is right, this is fine", ()),
        ("$OP airdrop", ("OP",)),
        ("paid $100 in fees, $USD stable", ()),
        ("BITCOIN TO THE MOON, LINK IN BIO", ("BTC",)),
        ("chainlinked lists are not Chainlink", ("LINK",)),
        ("THE SOL price", ("SOL",)),
        ("soldier of fortune", ()),
        ("I bought ETH, then more ETH", ("ETH",)),
    ],
)
def test_extract_currencies(text: str, tickers: tuple[str, ...]) -> None:
    assert extract_currencies(text) == tickers


def test_the_curated_name_map_covers_the_majors() -> None:
    assert len(COIN_NAMES) >= 50
    for name, ticker in {"bitcoin": "BTC", "chainlink": "LINK", "polkadot": "DOT"}.items():
        assert COIN_NAMES[name] == ticker


K = AnnouncementKind


@pytest.mark.parametrize(
    ("title", "kind", "tickers"),
    [
        ("Celestia (TIA) now listed on CoinSpot", K.LISTING, ("TIA",)),
        ("Delisting of Terra Classic (LUNC)", K.DELISTING, ("LUNC",)),
        ("XYZ delisted; listing of ABC postponed", K.DELISTING, ()),
        ("Relisting: Monero (XMR)", K.LISTING, ("XMR",)),
        ("Welcome Sui (SUI)", K.LISTING, ("SUI",)),
        ("Apple Pay now available", K.ANNOUNCEMENT, ()),
        ("Cardano now available", K.LISTING, ("ADA",)),
        ("CoinSpot News: March update", K.ANNOUNCEMENT, ()),
        ("Newsletter: what's new", K.ANNOUNCEMENT, ()),
        ("Scheduled maintenance: Ethereum network upgrade", K.MAINTENANCE, ("ETH",)),
        ("Bitcoin Cash (BCH) hard fork", K.MAINTENANCE, ("BCH",)),
        ("Trading halted for XRP pairs", K.TRADING, ("XRP",)),
        ("Deposits resumed for Solana", K.TRADING, ("SOL",)),
        ("New feature: recurring buys", K.FEATURE, ()),
        ("Prices in (AUD) explained", K.ANNOUNCEMENT, ()),
    ],
)
def test_classify_announcement(
    title: str, kind: AnnouncementKind, tickers: tuple[str, ...]
) -> None:
    verdict = classify_announcement(title)
    assert (verdict.kind, verdict.currencies) == (kind, tickers)
    assert 1 <= verdict.impact <= 10
