from __future__ import annotations

from decimal import Decimal

from omc.application.filters import PriceTickFilter
from omc.domain.collection import RunStatus

from .conftest import NOW, Harness

PATH = "/pubapi/v2/latest"


async def test_strings_and_numbers_become_upper_case_aud_ticks_at_receive_time(
    harness: Harness,
) -> None:
    await harness.run("coinspot_prices")
    ticks = {
        t.symbol: t for t in (await harness.use_cases.list_price_ticks(PriceTickFilter())).items
    }
    assert ticks["BTC"].last == Decimal("97300.5")
    assert ticks["ETH"].last == Decimal("3418")  # a JSON number
    assert ticks["DOT"].last == Decimal("11.19")
    assert {t.quote for t in ticks.values()} == {"AUD"}
    assert {t.observed_at for t in ticks.values()} == {NOW}
    assert ticks["NEWCOIN"].bid is None  # "0" means no bids, not a price of zero


async def test_message_may_be_absent(harness: Harness) -> None:
    harness.server.fixture(PATH, "coinspot_prices", "latest_no_message.json")
    run = await harness.run("coinspot_prices")
    assert (run.status, run.inserted) == (RunStatus.SUCCESS, 1)


async def test_status_error_is_a_failed_run(harness: Harness) -> None:
    harness.server.fixture(PATH, "coinspot_prices", "latest_error.json")
    run = await harness.run("coinspot_prices")
    assert run.status is RunStatus.FAILED
    assert "Rate limit exceeded" in run.error
    assert await harness.stored() == 0


async def test_a_coin_without_a_usable_last_price_makes_a_partial_run(harness: Harness) -> None:
    harness.server.fixture(PATH, "coinspot_prices", "latest_missing_last.json")
    run = await harness.run("coinspot_prices")
    assert run.status is RunStatus.PARTIAL
    assert (run.fetched, run.inserted, run.rejected) == (3, 1, 2)
    assert "eth: last: missing" in run.error


async def test_duplicate_coins_inside_one_page_count_once(harness: Harness) -> None:
    harness.server.fixture(PATH, "coinspot_prices", "latest_duplicates.json")
    run = await harness.run("coinspot_prices")
    assert (run.inserted, run.duplicate) == (2, 1)
