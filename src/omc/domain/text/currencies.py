"""Which currencies a piece of text is about.

Three signals count, in order of trust:

1. a cashtag: `$LINK`, `$link` (explicit intent, any symbol);
2. a known ticker written in capitals as a standalone token: `LINK`, `DOT`;
3. a known coin name as whole words: "Chainlink", "Polkadot", "Bitcoin Cash".

Lower-case "link" or "dot" in prose is never a ticker. Tickers that are also everyday
English words in capitals ("OP" on Reddit is the original poster) need a cashtag or the
coin's name. A text shouted in capitals turns off rule 2, since then every capitalised
word would "stand out".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from omc.domain.rules import SYMBOL_PATTERN

# Curated names of ~50 major coins. Names that are ordinary words ("compound", "stacks",
# "dash", "render", "jupiter") are left out on purpose: they fire on prose.
COIN_NAMES: Mapping[str, str] = {
    "bitcoin": "BTC",
    "bitcoin cash": "BCH",
    "wrapped bitcoin": "WBTC",
    "ethereum": "ETH",
    "ether": "ETH",
    "ethereum classic": "ETC",
    "tether": "USDT",
    "usd coin": "USDC",
    "binance coin": "BNB",
    "solana": "SOL",
    "ripple": "XRP",
    "cardano": "ADA",
    "dogecoin": "DOGE",
    "tron": "TRX",
    "toncoin": "TON",
    "avalanche": "AVAX",
    "shiba inu": "SHIB",
    "polkadot": "DOT",
    "chainlink": "LINK",
    "litecoin": "LTC",
    "polygon": "POL",
    "near protocol": "NEAR",
    "uniswap": "UNI",
    "internet computer": "ICP",
    "aptos": "APT",
    "stellar": "XLM",
    "monero": "XMR",
    "cosmos": "ATOM",
    "filecoin": "FIL",
    "hedera": "HBAR",
    "arbitrum": "ARB",
    "vechain": "VET",
    "lido dao": "LDO",
    "makerdao": "MKR",
    "aave": "AAVE",
    "the graph": "GRT",
    "algorand": "ALGO",
    "tezos": "XTZ",
    "injective": "INJ",
    "kaspa": "KAS",
    "fantom": "FTM",
    "the sandbox": "SAND",
    "decentraland": "MANA",
    "axie infinity": "AXS",
    "synthetix": "SNX",
    "multiversx": "EGLD",
    "zcash": "ZEC",
    "pancakeswap": "CAKE",
    "celestia": "TIA",
    "worldcoin": "WLD",
    "bittensor": "TAO",
    "ethena": "ENA",
    "hyperliquid": "HYPE",
    "cronos": "CRO",
    "dogwifhat": "WIF",
    "pepe": "PEPE",
    "floki": "FLOKI",
    "sui": "SUI",
}

# Tickers recognised in capitals without a `$`. Every name's ticker, plus tickers whose
# coin name is too ambiguous to list above.
KNOWN_TICKERS: frozenset[str] = frozenset(COIN_NAMES.values()) | frozenset(
    {"BNB", "XRP", "DAI", "COMP", "CRV", "DASH", "RNDR", "STX", "JUP", "MATIC", "OKB", "QNT"}
)

# Known tickers that are also common words or abbreviations in capitals; they need `$`
# or the coin's name.
AMBIGUOUS_TICKERS: frozenset[str] = frozenset(
    {"OP", "ONE", "GAS", "AMP", "ANY", "BOND", "CAT", "FUN", "KEY", "NEAR", "SUN", "TIME", "HYPE"}
)

# Fiat currencies show up in cashtags and brackets ("$USD", "(AUD)") but are not coins.
FIAT: frozenset[str] = frozenset({"USD", "AUD", "EUR", "GBP", "NZD", "CAD", "JPY", "CNY", "SGD"})

# Above this share of upper-case letters the text is shouting and capitals mean nothing.
SHOUTING_RATIO = 0.6

_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9]{0,14})\b")
_CAPS_TOKEN = re.compile(r"(?<![\w$])([A-Z][A-Z0-9]{1,14})(?![\w])")


def _names_pattern(names: Mapping[str, str]) -> re.Pattern[str]:
    # Longest first, so "bitcoin cash" wins over "bitcoin" at the same position.
    ordered = sorted(names, key=len, reverse=True)
    alternation = "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in ordered)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE)


_NAMES = _names_pattern(COIN_NAMES)


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters) > SHOUTING_RATIO


def extract_currencies(text: str) -> tuple[str, ...]:
    """Tickers the text mentions, upper case, de-duplicated, in order of first mention."""
    found: list[tuple[int, str]] = []
    for match in _CASHTAG.finditer(text):
        symbol = match.group(1).upper()
        if symbol not in FIAT:
            found.append((match.start(), symbol))
    if not is_shouting(text):
        for match in _CAPS_TOKEN.finditer(text):
            symbol = match.group(1)
            if symbol in KNOWN_TICKERS and symbol not in AMBIGUOUS_TICKERS:
                found.append((match.start(), symbol))
    for match in _NAMES.finditer(text):
        name = " ".join(match.group(0).lower().split())
        found.append((match.start(), COIN_NAMES[name]))
    return _ordered_unique(found)


def bracketed_tickers(text: str) -> tuple[str, ...]:
    """Tickers written in brackets, as announcements do: "Celestia (TIA) now listed"."""
    found = [
        (match.start(), match.group(1).upper())
        for match in re.finditer(r"\(\s*\$?([A-Za-z0-9]{2,15})\s*\)", text)
        if any(c.isalpha() for c in match.group(1))
        and match.group(1).isupper()
        and match.group(1).upper() not in FIAT
    ]
    return _ordered_unique(found)


def _ordered_unique(found: list[tuple[int, str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _position, symbol in sorted(found):
        if SYMBOL_PATTERN.fullmatch(symbol):
            seen.setdefault(symbol, None)
    return tuple(seen)
