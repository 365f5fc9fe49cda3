"""The verifier: numbers in claims checked against the cited records, within tolerance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from omc.domain.agent.claims import ClaimStatus, parse_draft
from omc.domain.agent.evidence import EvidenceRow, ref_for
from omc.domain.agent.numbers import extract_numbers
from omc.domain.agent.verify import Verdict, settle, verify

T0 = datetime(2025, 12, 31, 18, tzinfo=UTC)
T1 = datetime(2025, 12, 31, 23, tzinfo=UTC)
BAR0 = EvidenceRow("exchange/price_bar/demo/BTC/AUD/1h/a", T0, {"close": "142591.17"})
BAR1 = EvidenceRow("exchange/price_bar/demo/BTC/AUD/1h/b", T1, {"close": "143587.57"})
NEWS = EvidenceRow(
    "human/news_item/demo/n1", T1, {"title": "Top 10 reasons BTC hits 200000", "score": "0.4"}
)
EVIDENCE = {row.evidence_id: row for row in (BAR0, BAR1, NEWS)}
R0, R1, RN = (ref_for(row.evidence_id) for row in (BAR0, BAR1, NEWS))
REFS = {ref_for(eid): eid for eid in EVIDENCE}


def _check(draft: str) -> tuple[list[Verdict], list[str]]:
    claims = parse_draft(draft, REFS)
    result = verify(claims, EVIDENCE)
    return [c.verdict for c in result.checks], [c.text for c in claims]


def test_numbers_from_cited_rows_and_recomputed_changes_pass() -> None:
    verdicts, _ = _check(
        f"BTC moved from 142,591.17 to 143587.57 AUD (+0.70%) on 2025-12-31 [{R0}, {R1}].\n"
        f"BTC closed near 143,588 [{R1}]."
    )
    assert verdicts == [Verdict.SUPPORTED, Verdict.SUPPORTED]


def test_a_planted_wrong_number_is_caught_with_the_exact_difference() -> None:
    claims = parse_draft(f"BTC closed at 150000.00 AUD [{R1}].", REFS)
    result = verify(claims, EVIDENCE)

    assert result.checks[0].verdict is Verdict.MISMATCH
    mismatch = result.checks[0].mismatches[0]
    assert (mismatch.stated, mismatch.closest) == (Decimal("150000.00"), Decimal("143587.57"))
    assert mismatch.difference == Decimal("6412.43")
    assert "6412.43" in result.feedback(claims)

    settled = settle(claims, result)
    assert settled[0].status is ClaimStatus.CORRECTED
    assert settled[0].text == "BTC closed at 143587.57 AUD."


def test_a_wrong_percentage_is_caught() -> None:
    verdicts, _ = _check(f"BTC rose 7.5% [{R0}, {R1}].")
    assert verdicts == [Verdict.MISMATCH]


def test_uncited_and_fabricated_citations_are_unsupported() -> None:
    claims = parse_draft("BTC will double.\nBTC closed at 143587.57 [E0000000].", REFS)
    result = verify(claims, EVIDENCE)

    assert [c.verdict for c in result.checks] == [Verdict.UNSUPPORTED, Verdict.UNSUPPORTED]
    assert all(c.status is ClaimStatus.UNSUPPORTED for c in settle(claims, result))


def test_quoted_headlines_are_quotations_not_figures() -> None:
    verdicts, texts = _check(f'Headline: "Top 10 reasons BTC hits 200000" (score 0.4) [{RN}].')

    assert verdicts == [Verdict.SUPPORTED]
    assert texts == ['Headline: "Top 10 reasons BTC hits 200000" (score 0.4).']


def test_dates_times_and_glued_numbers_are_not_figures() -> None:
    found = extract_numbers("At 2025-12-31T23:55:00+00:00 or 12:30 the 24h E12 volume was 1,250.5")
    assert [m.value for m in found] == [Decimal("1250.5")]
