from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.repositories import memory_repositories
from omc.application.errors import ValidationError
from omc.application.fanout import PriceTickFanout
from omc.application.filters import PriceTickFilter, ProtocolMetricFilter
from omc.application.ledger import LedgerUseCases
from omc.application.ports import IngestResult
from omc.domain.exchange import PriceTick
from omc.domain.glass import ProtocolMetric

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def use_cases() -> LedgerUseCases:
    fanout = PriceTickFanout()
    return LedgerUseCases.build(memory_repositories(fanout), fanout, FixedClock(NOW), max_batch=5)


def tick(symbol: str, last: str, seconds_ago: int = 0) -> PriceTick:
    return PriceTick(
        symbol=symbol,
        last=Decimal(last),
        observed_at=NOW - timedelta(seconds=seconds_ago),
        source="coinspot",
    )


async def test_same_batch_twice_is_all_duplicates(use_cases: LedgerUseCases) -> None:
    batch = [tick("BTC", "1"), tick("ETH", "2"), tick("SOL", "3")]
    assert await use_cases.ingest_price_ticks(batch) == IngestResult(inserted=3)
    assert await use_cases.ingest_price_ticks(batch) == IngestResult(duplicate=3)
    listed = await use_cases.list_price_ticks(PriceTickFilter())
    assert len(listed.items) == 3


async def test_repeated_key_inside_a_batch_counts_as_duplicate(use_cases: LedgerUseCases) -> None:
    first, second = tick("btc", "1"), tick("BTC", "2")
    assert await use_cases.ingest_price_ticks([first, second]) == IngestResult(1, 0, 1)
    [stored] = (await use_cases.list_price_ticks(PriceTickFilter())).items
    assert stored.last == Decimal("1")  # the first occurrence wins


async def test_one_bad_record_rejects_the_whole_batch_with_every_violation(
    use_cases: LedgerUseCases,
) -> None:
    batch = [tick("BTC", "1"), tick("BTC", "-5", 1), tick("", "2", 2)]
    with pytest.raises(ValidationError) as raised:
        await use_cases.ingest_price_ticks(batch)
    assert [v.field for v in raised.value.violations] == ["ticks[1].last", "ticks[2].symbol"]
    assert (await use_cases.list_price_ticks(PriceTickFilter())).items == []


async def test_empty_and_oversized_batches_are_rejected(use_cases: LedgerUseCases) -> None:
    with pytest.raises(ValidationError, match="at least 1"):
        await use_cases.ingest_price_ticks([])
    with pytest.raises(ValidationError, match="at most 5"):
        await use_cases.ingest_price_ticks([tick("BTC", "1", i) for i in range(6)])


def metric(tvl: str, observed_minutes_ago: int) -> ProtocolMetric:
    return ProtocolMetric(
        protocol="lido",
        day=date(2026, 3, 1),
        observed_at=NOW - timedelta(minutes=observed_minutes_ago),
        source="defillama",
        tvl_usd=Decimal(tvl),
    )


async def test_later_protocol_figures_replace_earlier_ones(use_cases: LedgerUseCases) -> None:
    ingest = use_cases.ingest_protocol_metrics
    assert await ingest([metric("100", 30)]) == IngestResult(inserted=1)
    assert await ingest([metric("100", 30)]) == IngestResult(duplicate=1)
    assert await ingest([metric("110", 10)]) == IngestResult(updated=1)
    assert await ingest([metric("90", 20)]) == IngestResult(duplicate=1)  # older: ignored
    [stored] = (await use_cases.list_protocol_metrics(ProtocolMetricFilter())).items
    assert stored.tvl_usd == Decimal("110")


async def test_latest_observation_in_a_batch_wins(use_cases: LedgerUseCases) -> None:
    result = await use_cases.ingest_protocol_metrics(
        [metric("120", 5), metric("100", 30), metric("110", 10)]
    )
    assert result == IngestResult(inserted=1, duplicate=2)
    [stored] = (await use_cases.list_protocol_metrics(ProtocolMetricFilter())).items
    assert stored.tvl_usd == Decimal("120")
