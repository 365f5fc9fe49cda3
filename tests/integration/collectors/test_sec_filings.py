from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omc.application.filters import CatalystEventFilter
from omc.domain.collection import RunStatus
from tests.support.fixture_server import COMPANIES

from .conftest import Harness


async def events(harness: Harness) -> dict[str, object]:
    listed = await harness.use_cases.list_catalyst_events(CatalystEventFilter())
    return {e.external_id: e for e in listed.items}


async def test_filters_forms_keys_by_accession_and_builds_document_urls(harness: Harness) -> None:
    await harness.run("sec_filings")
    stored = await events(harness)
    assert "0001679788-26-000029" not in stored  # SC 13G/A is not a configured form
    eight_k = stored["0001679788-26-000031"]
    assert eight_k.event_type == "sec_filing_8_k"  # type: ignore[attr-defined]
    assert eight_k.impact == 8  # type: ignore[attr-defined]
    assert eight_k.occurred_at == datetime(2026, 2, 27, 21, 5, 12, tzinfo=UTC)  # type: ignore[attr-defined]
    assert eight_k.url == (  # type: ignore[attr-defined]
        "https://www.sec.gov/Archives/edgar/data/1679788/000167978826000031/coin-20260227.htm"
    )
    assert stored["0000950170-26-002100"].impact == 9  # type: ignore[attr-defined]  # S-1


async def test_impacts_and_forms_are_configurable(harness: Harness) -> None:
    run = await harness.run("sec_filings", form_impacts={"10-K": 7})
    assert run.inserted == 1
    [only] = (await events(harness)).values()
    assert only.impact == 7  # type: ignore[attr-defined]


async def test_lookback_leaves_old_filings_out(harness: Harness) -> None:
    run = await harness.run("sec_filings", lookback=timedelta(days=5))
    # Accepted after 2026-02-24 12:00 (NOW minus five days): 8-K, Form 4, and the 8-K.
    assert run.inserted == 3


async def test_sends_a_user_agent_with_contact_details(harness: Harness) -> None:
    await harness.run("sec_filings")
    agents = {
        r.headers["user-agent"] for r in harness.server.seen() if r.path.startswith("/submissions")
    }
    assert len(agents) == 1
    assert "@" in agents.pop()
    assert {r.path for r in harness.server.seen()} == {
        f"/submissions/CIK{cik}.json" for cik in COMPANIES
    }


async def test_a_filing_without_accession_makes_a_partial_run(harness: Harness) -> None:
    harness.server.fixture(
        "/submissions/CIK0001050446.json", "sec_filings", "CIK0001050446_missing_accession.json"
    )
    run = await harness.run("sec_filings", companies={"0001050446": "MicroStrategy"})
    assert run.status is RunStatus.PARTIAL
    assert (run.inserted, run.rejected) == (1, 1)
    assert "accessionNumber: missing" in run.error
