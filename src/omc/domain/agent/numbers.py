"""Numbers in prose: what a draft states, so the verifier can check each one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# Dates, times and ISO timestamps are stated as context, not as figures to verify.
_DATES = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"
)
# A number not glued to a word ("24h", "E12", "S&P500" are not figures).
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+\u2212])?(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>\s?%|(?![\w]))"
)


@dataclass(frozen=True, slots=True)
class NumberMention:
    raw: str
    value: Decimal
    # Digits after the point as written: "1.50" states the value to 0.005.
    decimals: int
    percent: bool
    start: int
    end: int


def extract_numbers(text: str) -> list[NumberMention]:
    masked = _DATES.sub(lambda m: " " * len(m.group()), text)
    mentions: list[NumberMention] = []
    for match in _NUMBER.finditer(masked):
        body = match.group("body").replace(",", "")
        sign = "-" if match.group("sign") in {"-", "\u2212"} else ""
        _, _, fraction = body.partition(".")
        mentions.append(
            NumberMention(
                raw=text[match.start() : match.end()].strip(),
                value=Decimal(sign + body),
                decimals=len(fraction),
                percent="%" in match.group("suffix"),
                start=match.start(),
                end=match.end(),
            )
        )
    return mentions


def format_like(value: Decimal, mention: NumberMention) -> str:
    """`value` written the way the mention was (same decimals, %, thousands commas)."""
    quantum = Decimal(1).scaleb(-mention.decimals)
    rounded = value.quantize(quantum)
    text = f"{rounded:,}" if "," in mention.raw else f"{rounded}"
    return f"{text}%" if mention.percent else text
