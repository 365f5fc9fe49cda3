"""The verifier: every number in a draft is checked against the records its claim
cites, or against a calculation recomputed from them, within a stated tolerance.

Tolerance: a stated number matches a value when the value, rounded to the decimals
the number was written with, equals it, or when they differ by at most RELATIVE_TOLERANCE
of the value (so "152,340" matches 152340.10 and "about 4,890" matches 4890.5).
Percentages are checked against percent changes between cited rows of the same
field, and against cited fields that are percentages themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from itertools import permutations
from typing import Any

from omc.domain.agent.claims import Claim, ClaimStatus, quoted_spans
from omc.domain.agent.evidence import EvidenceRow
from omc.domain.agent.numbers import NumberMention, extract_numbers, format_like

RELATIVE_TOLERANCE = Decimal("0.001")  # 0.1 %
# Small whole numbers (counts of rows, days in a window) are context, checked against
# the number of cited rows and the plan's window instead of record fields.
_MAX_PAIRS = 400


class Verdict(StrEnum):
    SUPPORTED = "supported"
    MISMATCH = "mismatch"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Mismatch:
    mention: str
    stated: Decimal
    closest: Decimal | None
    difference: Decimal | None

    def describe(self) -> str:
        if self.closest is None:
            return f"{self.mention} is not backed by any cited record"
        return (
            f"{self.mention} does not match the cited records: closest value "
            f"{self.closest} (difference {self.difference})"
        )


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    index: int
    verdict: Verdict
    mismatches: tuple[Mismatch, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.index,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "mismatches": [m.describe() for m in self.mismatches],
        }


@dataclass(frozen=True, slots=True)
class Verification:
    checks: tuple[ClaimCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(check.verdict is Verdict.SUPPORTED for check in self.checks)

    @property
    def mismatched(self) -> tuple[ClaimCheck, ...]:
        return tuple(c for c in self.checks if c.verdict is Verdict.MISMATCH)

    def feedback(self, claims: Sequence[Claim]) -> str:
        """What the writer gets back, once: the exact differences."""
        lines = []
        for check in self.checks:
            if check.verdict is Verdict.SUPPORTED:
                continue
            text = claims[check.index].text
            detail = "; ".join(m.describe() for m in check.mismatches) or check.reason
            lines.append(f"claim {check.index + 1} ({text!r}): {detail}")
        return "\n".join(lines)


def matches(stated: Decimal, value: Decimal, decimals: int) -> bool:
    quantum = Decimal(1).scaleb(-decimals)
    try:
        if value.quantize(quantum) == stated:
            return True
    except ArithmeticError:
        pass
    return abs(stated - value) <= abs(value) * RELATIVE_TOLERANCE


def candidate_values(rows: Sequence[EvidenceRow]) -> tuple[list[Decimal], list[Decimal]]:
    """(plain values, percent values) a claim citing `rows` may state."""
    plain: list[Decimal] = []
    percents: list[Decimal] = []
    by_field: dict[str, list[tuple[str, Decimal]]] = {}
    for row in sorted(rows, key=lambda r: (r.as_of, r.evidence_id)):
        for name, value in row.numbers().items():
            plain.append(value)
            plain.append(abs(value))
            if name.endswith("_pct") or name.endswith("_percent"):
                percents.append(value)
            by_field.setdefault(name, []).append((row.evidence_id, value))
    for values in by_field.values():
        numbers = [v for _, v in values]
        if len(numbers) >= 2:
            total = sum(numbers, Decimal(0))
            plain.append(total / len(numbers))  # an average of the cited rows
            plain.append(total)
            pairs = list(permutations(numbers, 2))[:_MAX_PAIRS]
            for first, second in pairs:
                plain.append(abs(second - first))
                if first != 0:
                    change = (second - first) / first * 100
                    percents.extend((change, abs(change)))
    return plain, percents


def check_claim(
    index: int,
    claim: Claim,
    evidence: Mapping[str, EvidenceRow],
    context_numbers: Iterable[Decimal] = (),
) -> ClaimCheck:
    if claim.unknown_refs:
        refs = ", ".join(claim.unknown_refs)
        return ClaimCheck(index, Verdict.UNSUPPORTED, reason=f"cites unknown refs {refs}")
    rows = [evidence[eid] for eid in claim.evidence_ids if eid in evidence]
    mentions = extract_numbers(_mask_quotes(claim.text, rows))
    if not rows:
        return ClaimCheck(index, Verdict.UNSUPPORTED, reason="cites no evidence")
    plain, percents = candidate_values(rows)
    context = [Decimal(len(rows)), *context_numbers]
    mismatches: list[Mismatch] = []
    for mention in mentions:
        pool = percents if mention.percent else plain
        if any(matches(mention.value, value, mention.decimals) for value in pool):
            continue
        if not mention.percent and any(mention.value == value for value in context):
            continue
        closest = min(pool, key=lambda v: abs(v - mention.value), default=None)
        difference = None if closest is None else mention.value - closest
        mismatches.append(Mismatch(mention.raw, mention.value, closest, difference))
    if mismatches:
        return ClaimCheck(index, Verdict.MISMATCH, tuple(mismatches))
    return ClaimCheck(index, Verdict.SUPPORTED)


def verify(
    claims: Sequence[Claim],
    evidence: Mapping[str, EvidenceRow],
    context_numbers: Iterable[Decimal] = (),
) -> Verification:
    context = tuple(context_numbers)
    return Verification(
        tuple(check_claim(i, claim, evidence, context) for i, claim in enumerate(claims))
    )


def settle(claims: Sequence[Claim], verification: Verification) -> list[Claim]:
    """After the writer's one retry: a mismatched number is replaced by the closest
    cited value; a claim with nothing to replace it by is dropped; claims without
    evidence are marked unsupported."""
    settled: list[Claim] = []
    for check, claim in zip(verification.checks, claims, strict=True):
        if check.verdict is Verdict.SUPPORTED:
            settled.append(claim.with_status(ClaimStatus.SUPPORTED))
        elif check.verdict is Verdict.UNSUPPORTED:
            settled.append(claim.with_status(ClaimStatus.UNSUPPORTED, check.reason))
        elif all(m.closest is not None for m in check.mismatches):
            text = _replace_numbers(claim.text, check.mismatches)
            note = "; ".join(
                f"{m.mention} replaced by the cited value {m.closest}" for m in check.mismatches
            )
            settled.append(replace(claim, text=text, status=ClaimStatus.CORRECTED, note=note))
        else:
            settled.append(
                claim.with_status(
                    ClaimStatus.DROPPED, "; ".join(m.describe() for m in check.mismatches)
                )
            )
    return settled


def _replace_numbers(text: str, mismatches: Sequence[Mismatch]) -> str:
    wrong = {m.mention: m for m in mismatches}
    mentions: list[NumberMention] = [
        m for m in extract_numbers(_mask_quotes(text, ())) if m.raw in wrong
    ]
    for mention in sorted(mentions, key=lambda m: m.start, reverse=True):
        closest = wrong[mention.raw].closest
        assert closest is not None
        text = text[: mention.start] + format_like(closest, mention) + text[mention.end :]
    return text


def _mask_quotes(text: str, rows: Sequence[EvidenceRow]) -> str:
    """Quoted text that a cited record holds verbatim (a headline) is a quotation, not a
    figure: its numbers are blanked. With no rows, every quotation is blanked."""
    strings = [str(v) for row in rows for v in row.fields.values() if isinstance(v, str)]
    for start, end, inner in quoted_spans(text):
        if not rows or any(inner and inner in value for value in strings):
            text = text[:start] + " " * (end - start) + text[end:]
    return text
