"""Claims: the answer is a list of sentences, each citing the evidence it rests on.

Writers cite with short refs in brackets ("BTC last traded at 152340.10 AUD [E3]"); the
graph maps refs to evidence ids. A sentence with no (known) citation is unsupported and
is shown as such, never as fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

_REFS = re.compile(r"\[\s*(E[0-9a-f]+(?:\s*[,;]\s*E[0-9a-f]+)*)\s*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])|\n+")


class ClaimStatus(StrEnum):
    PENDING = "pending"
    SUPPORTED = "supported"
    CORRECTED = "corrected"
    UNSUPPORTED = "unsupported"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Claim:
    text: str
    evidence_ids: tuple[str, ...] = ()
    status: ClaimStatus = ClaimStatus.PENDING
    note: str = ""
    # Refs the writer cited that no tool returned: a fabricated citation.
    unknown_refs: tuple[str, ...] = field(default_factory=tuple)

    def with_status(self, status: ClaimStatus, note: str = "") -> Claim:
        return replace(self, status=status, note=note)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "evidence_ids": list(self.evidence_ids),
            "status": self.status.value,
            "note": self.note,
        }


def parse_draft(draft: str, refs: Mapping[str, str]) -> list[Claim]:
    """Splits a draft into claims and resolves their refs to evidence ids."""
    claims: list[Claim] = []
    for sentence in _sentences(draft):
        cleaned = sentence.strip().lstrip("-*• ").strip()
        if not cleaned:
            continue
        cited: list[str] = []
        unknown: list[str] = []
        for group in _REFS.findall(cleaned):
            for ref in re.split(r"\s*[,;]\s*", group):
                evidence_id = refs.get(ref)
                if evidence_id is None:
                    unknown.append(ref)
                elif evidence_id not in cited:
                    cited.append(evidence_id)
        text = re.sub(r"\s+([.,;:!?])", r"\1", _REFS.sub("", cleaned)).strip()
        text = re.sub(r"\s{2,}", " ", text)
        if text:
            claims.append(Claim(text, tuple(cited), unknown_refs=tuple(unknown)))
    return claims


def _sentences(draft: str) -> list[str]:
    """Lines, split further at sentence ends outside double quotes (a quoted headline
    may hold full stops of its own)."""
    pieces: list[str] = []
    for line in draft.strip().splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            if line.count('"', 0, match.start()) % 2 == 0:
                pieces.append(line[start : match.start()])
                start = match.end()
        pieces.append(line[start:])
    return pieces


def quoted_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, inner text) of every double-quoted span."""
    return [(m.start(), m.end(), m.group(1)) for m in re.finditer(r'"([^"]*)"', text)]
