from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from omc.application.filters import ProtocolMetricFilter
from omc.domain.collection import RunStatus

from .conftest import NOW, Harness


async def metrics(harness: Harness) -> dict[str, object]:
    listed = await harness.use_cases.list_protocol_metrics(ProtocolMetricFilter())
    return {m.protocol: m for m in listed.items}


async def test_latest_tvl_fees_and_revenue_one_row_per_protocol_per_day(harness: Harness) -> None:
    await harness.run("defillama_protocols")
    rows = await metrics(harness)
    lido, aave = rows["lido"], rows["aave"]
    assert lido.tvl_usd == Decimal("34210123456.78")  # type: ignore[attr-defined]
    assert lido.fees_24h == Decimal("3512345.12")  # type: ignore[attr-defined]
    assert lido.revenue_24h == Decimal("351234.51")  # type: ignore[attr-defined]
    assert lido.day == NOW.date()  # type: ignore[attr-defined]
    # Ethereum + Arbitrum only: -borrowed, -staking, -pool2 and the totals are not TVL.
    assert aave.tvl_usd == Decimal(21_500_000_000 + 1_200_000_000)  # type: ignore[attr-defined]


async def test_a_failing_fees_call_still_stores_tvl(harness: Harness) -> None:
    # aave has no fees route (404), lido's fees answer 500 forever.
    from tests.support.fixture_server import server_error

    harness.server.always("/summary/fees/lido", server_error())
    run = await harness.run("defillama_protocols")
    assert run.status is RunStatus.SUCCESS
    rows = await metrics(harness)
    assert rows["lido"].fees_24h is None  # type: ignore[attr-defined]
    assert rows["lido"].tvl_usd is not None  # type: ignore[attr-defined]


async def test_a_later_observation_the_same_day_updates_in_place(harness: Harness) -> None:
    await harness.run("defillama_protocols")
    harness.clock.advance(timedelta(hours=1))
    run = await harness.run("defillama_protocols")
    assert (run.inserted, run.updated) == (0, 2)
    assert len(await metrics(harness)) == 2


async def test_a_protocol_without_figures_is_rejected_and_the_rest_stored(harness: Harness) -> None:
    harness.server.fixture("/protocol/broken", "defillama_protocols", "protocol_broken.json")
    run = await harness.run("defillama_protocols", protocols=("lido", "broken", "aave"))
    assert run.status is RunStatus.PARTIAL
    assert (run.inserted, run.rejected) == (2, 1)
    assert "broken: no TVL" in run.error


async def test_duplicate_slugs_in_the_list_count_once(harness: Harness) -> None:
    run = await harness.run("defillama_protocols", protocols=("lido", "lido", "aave"))
    assert (run.inserted, run.duplicate) == (2, 1)
