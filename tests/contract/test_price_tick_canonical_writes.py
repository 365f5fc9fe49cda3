"""PriceTickRepository.add_canonical is add_many without the records: the same rows,
counts and announcements, over memory and Postgres (there through COPY text written part
by part, the merge path for existing keys, and NOTIFY)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from omc.adapters.memory.repositories import memory_repositories
from omc.application.fanout import PriceTickFanout
from omc.application.latest_prices import AlwaysLive, CachedPriceTickRepository, LatestPriceTable
from omc.application.ports import (
    IngestResult,
    LedgerRepositories,
    PageRequest,
    PriceTickRepository,
)
from omc.domain.exchange import PriceTick
from omc.domain.tick_columns import CanonicalPriceTicks, PriceTickColumns
from tests.contract.test_latest_prices import (  # noqa: F401 (fixtures used by name)
    FailingReads,
    Replica,
    memory_replica,
    postgres_replica,
    primed,
    replica,
    shown,
)
from tests.contract.test_price_tick_stream import take
from tests.support.records import tick

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def canonical(ticks: list[PriceTick]) -> CanonicalPriceTicks:
    """The ticks as the wire brings them, vouched for by the shortcut."""
    offsets = [t.observed_at - EPOCH for t in ticks]
    columns = PriceTickColumns(
        symbols=[t.symbol for t in ticks],
        quotes=[t.quote for t in ticks],
        sources=[t.source for t in ticks],
        lasts=[f"{t.last:f}" for t in ticks],
        bids=["" if t.bid is None else f"{t.bid:f}" for t in ticks],
        asks=["" if t.ask is None else f"{t.ask:f}" for t in ticks],
        volumes=["" if t.volume_24h is None else f"{t.volume_24h:f}" for t in ticks],
        seconds=[o // timedelta(seconds=1) for o in offsets],
        nanos=[o.microseconds * 1_000 + 999 for o in offsets],  # sub-microsecond is dropped
    )
    result = columns.canonical(datetime.now(UTC))
    assert result is not None
    return result


def parts(ticks: list[PriceTick], rows: int = 2) -> list[CanonicalPriceTicks]:
    """In parts of `rows`, as a batch is taken in parts."""
    return [canonical(ticks[start : start + rows]) for start in range(0, len(ticks), rows)]


async def add(repo: PriceTickRepository, ticks: list[PriceTick], rows: int = 2) -> IngestResult:
    return await repo.add_canonical(parts(ticks, rows), len(ticks))


def edge_ticks() -> list[PriceTick]:
    return [
        tick(
            "BTC",
            1,
            last="1234567890123456789012345678.123456789012345678",
            bid="0.000000000000000001",
            ask="1234567890123456789012345679",
            volume="0",
        ),
        tick("ETH", 2, last="1.50", bid="1.40", ask="1.60", source="a_b.c-d"),
        tick("X1", 3, quote="USD", last="0.10", volume="0.0"),
    ]


def exact(ticks: list[PriceTick]) -> list[tuple[str, ...]]:
    # Text, so that "1.50" and "1.5" (equal decimals) would still differ.
    return [
        tuple(
            str(value)
            for value in (t.symbol, t.quote, t.source, t.last, t.bid, t.ask, t.volume_24h)
        )
        for t in ticks
    ]


async def everything(repositories: LedgerRepositories) -> list[PriceTick]:
    return (await repositories.price_ticks.list([], PageRequest(10_000))).items


async def test_stores_exactly_the_records(repositories: LedgerRepositories) -> None:
    sent = edge_ticks()
    assert [t for part in parts(sent) for t in part.records()] == sent

    assert await add(repositories.price_ticks, sent) == IngestResult(inserted=3)

    got = await everything(repositories)
    assert got == sent
    assert exact(got) == exact(sent)


async def test_existing_keys_are_duplicates_and_the_rest_lands(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    first = [tick("BTC", 1), tick("ETH", 1)]
    assert await add(repo, first) == IngestResult(inserted=2)
    assert await add(repo, first) == IngestResult(duplicate=2)

    mixed = [tick("BTC", 1), tick("SOL", 1), tick("ETH", 1, source="kraken")]
    assert await add(repo, mixed) == IngestResult(inserted=2, duplicate=1)

    assert sorted(exact(await everything(repositories))) == sorted(exact([*first, *mixed[1:]]))


async def test_an_empty_batch_is_nothing(repositories: LedgerRepositories) -> None:
    assert await repositories.price_ticks.add_canonical([], 0) == IngestResult()
    assert await everything(repositories) == []


class Unsure(Exception):
    pass


async def test_a_part_that_fails_to_come_leaves_nothing_stored_or_announced(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    repo = repositories.price_ticks
    sent = [tick(f"S{i}", 1) for i in range(5)]

    def then_unsure() -> Iterator[CanonicalPriceTicks]:
        yield from parts(sent[:4])  # taken, and for Postgres already in the COPY
        raise Unsure

    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await add(repo, [tick("OLD", 0)])
        assert [t.symbol for t in await take(ticks, 1)] == ["OLD"]
        with pytest.raises(Unsure):
            await repo.add_canonical(then_unsure(), len(sent))
        # The same batch whole afterwards: the first announcement is its first tick.
        assert await add(repo, sent) == IngestResult(inserted=5)
        assert await take(ticks, 5) == sent

    assert len(await everything(repositories)) == 6


async def test_existing_keys_in_a_later_part_send_the_whole_batch_through_staging(
    repositories: LedgerRepositories,
) -> None:
    repo = repositories.price_ticks
    await add(repo, [tick("S4", 1)])
    sent = [tick(f"S{i}", 1) for i in range(6)]  # S4 sits in the last of three parts

    assert await add(repo, sent) == IngestResult(inserted=5, duplicate=1)
    assert len(await everything(repositories)) == 6


async def test_new_ticks_are_announced_once_in_order(
    repositories: LedgerRepositories, price_tick_fanout: PriceTickFanout
) -> None:
    # Many parts and many NOTIFY payloads.
    sent = [
        tick(f"S{i % 50}", i // 50, source="a-rather-long-source-name-for-size", volume="1" * 28)
        for i in range(2_007)
    ]
    async with price_tick_fanout.subscribe(frozenset(), None) as ticks:
        await add(repositories.price_ticks, sent, rows=500)
        assert await take(ticks, len(sent)) == sent

        fresh = tick("NEW", 0)
        await add(repositories.price_ticks, [sent[0], fresh])
        # Announcements arrive in commit order: a re-announced duplicate would come first.
        assert await take(ticks, 1) == [fresh]

    assert len(await everything(repositories)) == len(sent) + 1


async def test_the_latest_price_table_reads_back_a_canonical_batch_at_once(
    replica: Replica,  # noqa: F811 (the fixture imported above)
) -> None:
    await primed(replica.table)
    await add(replica.cached, [tick("BTC", 1, last="1.50"), tick("ETH", 1)])

    # No waiting: the commit was read back into the table before add_canonical returned.
    assert shown(await replica.cached.latest(["BTC", "ETH"], None, None)) == [
        ("BTC", "AUD", "coinspot", "1.50"),
        ("ETH", "AUD", "coinspot", "100.50"),
    ]


async def test_a_small_all_new_canonical_batch_needs_no_read_back() -> None:
    fanout = PriceTickFanout()
    storage = FailingReads(memory_repositories(fanout).price_ticks)
    table = LatestPriceTable(
        storage,  # type: ignore[arg-type]
        fanout,
        AlwaysLive(),
        initial_backoff=0.02,
    )
    cached = CachedPriceTickRepository(storage, table)  # type: ignore[arg-type]
    await table.start()
    try:
        await primed(table)
        storage.failing = True  # a read-back would now stop the table
        sent = [tick("BTC", 1), tick("ETH", 2)]
        assert await cached.add_canonical([canonical(sent)], len(sent)) == IngestResult(inserted=2)
        assert table.serving
        assert shown(await cached.latest(["BTC", "ETH"], None, None)) == [
            ("BTC", "AUD", "coinspot", "100.50"),
            ("ETH", "AUD", "coinspot", "100.50"),
        ]
        # A batch holding a duplicate is not taken as sent: it is read back.
        assert await cached.add_canonical(
            [canonical([tick("BTC", 1), tick("SOL", 3)])], 2
        ) == IngestResult(inserted=1, duplicate=1)
        assert not table.serving
    finally:
        await table.stop()
