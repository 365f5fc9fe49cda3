"""The latest-price table (application/latest_prices.py) over memory and Postgres: primed
from storage, kept current from the tick stream, read-your-writes on the replica that
ingested, late older ticks never win, and the database answers whenever the feed is down
or the table is not primed. Every answer is checked against the repository's own
`latest()`, which reads storage directly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.listener import APPLICATION_NAME, PostgresPriceTickListener
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.errors import StorageUnavailable
from omc.application.fanout import PriceTickFanout
from omc.application.latest_prices import (
    AlwaysLive,
    CachedPriceTickRepository,
    FeedStatus,
    LatestPriceTable,
)
from omc.application.ports import IngestResult, PriceTickRepository
from omc.domain.exchange import PriceTick
from omc.domain.tick_columns import CanonicalPriceTicks
from tests.support.records import tick

BOUNDED = 10.0  # seconds: a bound on waits for background work, never a timing assertion


class Switch:
    """A feed whose liveness the test sets, over a real fan-out: turning it off
    interrupts the subscriptions, as the Postgres listener does when LISTEN drops."""

    def __init__(self, fanout: PriceTickFanout) -> None:
        self._fanout = fanout
        self._generation: int | None = 1

    def generation(self) -> int | None:
        return self._generation

    def break_feed(self) -> None:
        self._generation = None
        self._fanout.interrupt("the test broke the feed")

    def restart(self, generation: int) -> None:
        self._generation = generation


@dataclass
class Replica:
    """One replica's view: `raw` reads and writes storage directly (as another replica
    would), `cached` is what its use cases get, `table` is its latest-price table."""

    raw: PriceTickRepository
    cached: CachedPriceTickRepository
    table: LatestPriceTable
    fanout: PriceTickFanout
    restart_feed: Callable[[], Awaitable[None]]
    break_feed: Callable[[], Awaitable[None]]


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def replica(request: pytest.FixtureRequest) -> Replica:
    """Resolved lazily, as `storage` is, so the memory half never needs a database."""
    result: Replica = request.getfixturevalue(f"{request.param}_replica")
    return result


@pytest.fixture
async def memory_replica() -> AsyncIterator[Replica]:
    fanout = PriceTickFanout()
    switch = Switch(fanout)
    async for built in _replica(memory_repositories(fanout).price_ticks, fanout, switch):

        async def restart() -> None:
            switch.restart(2)

        async def broken() -> None:
            switch.break_feed()

        built.restart_feed, built.break_feed = restart, broken
        yield built


@pytest.fixture
async def postgres_replica(
    clean_postgres: AsyncEngine, postgres_url: str
) -> AsyncIterator[Replica]:
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(postgres_url, fanout, initial_backoff=0.05)
    await listener.start()
    try:
        raw = postgres_repositories(clean_postgres).price_ticks
        async for built in _replica(raw, fanout, listener):
            built.restart_feed, built.break_feed = listener.start, listener.stop
            yield built
    finally:
        await listener.stop()


async def _replica(
    raw: PriceTickRepository, fanout: PriceTickFanout, feed: FeedStatus
) -> AsyncIterator[Replica]:
    table = LatestPriceTable(raw, fanout, feed, poll_interval=0.02, initial_backoff=0.02)
    await table.start()
    try:
        yield Replica(raw, CachedPriceTickRepository(raw, table), table, fanout, _noop, _noop)
    finally:
        await table.stop()


async def _noop() -> None:
    return None


async def primed(table: LatestPriceTable) -> None:
    async with asyncio.timeout(BOUNDED):
        await table.wait_primed()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Polls `check` until it holds; the bound only keeps a broken build from hanging."""
    async with asyncio.timeout(BOUNDED):
        while not await check():  # noqa: ASYNC110 (polls storage, which has no event)
            await asyncio.sleep(0.01)


def shown(ticks: Sequence[PriceTick]) -> list[tuple[str, str, str, str]]:
    return [(t.symbol, t.quote, t.source, str(t.last)) for t in ticks]


async def assert_agrees(replica: Replica, symbols: Sequence[str], quote: str | None) -> None:
    assert replica.table.lookup(symbols, quote) == await replica.raw.latest(symbols, quote, None)


async def test_a_table_primed_from_storage_answers_as_storage_does(replica: Replica) -> None:
    await replica.raw.add_many(
        [
            tick("BTC", 9, last="9.50", source="kraken"),
            tick("BTC", 3, last="3", source="coinspot"),
            tick("BTC", 8, quote="USD", last="8"),
            tick("ETH", 5, last="5", bid="4.90", ask="5.10", volume="0"),
            tick("SOL", 1, last="1"),
        ]
    )
    replica.table.invalidate()  # primed before those ticks: build it again from storage
    await primed(replica.table)

    for symbols, quote in [
        ((), None),
        ((), "AUD"),
        (("BTC",), None),
        (("BTC",), "USD"),
        (("SOL", "BTC", "DOGE"), None),
        (("ETH",), "USD"),
        (("DOGE",), None),
    ]:
        await assert_agrees(replica, symbols, quote)
    assert shown(replica.table.lookup(("BTC",), None) or []) == [
        ("BTC", "AUD", "kraken", "9.50"),
        ("BTC", "USD", "coinspot", "8"),
    ]
    assert replica.table.series == 4


async def test_ticks_committed_elsewhere_reach_the_table(replica: Replica) -> None:
    await primed(replica.table)
    # Through the raw repository: committed as by another replica, known only from the
    # stream.
    await replica.raw.add_many([tick("BTC", 1, last="1"), tick("ETH", 1, last="10")])
    await replica.raw.add_many([tick("BTC", 2, last="2", quote="USD")])

    async def caught_up() -> bool:
        return replica.table.lookup((), None) == await replica.raw.latest((), None, None)

    await eventually(caught_up)
    assert shown(replica.table.lookup(("BTC",), None) or []) == [
        ("BTC", "AUD", "coinspot", "1"),
        ("BTC", "USD", "coinspot", "2"),
    ]
    assert replica.table.primes == 1


async def test_an_acknowledged_write_is_read_back_at_once(replica: Replica) -> None:
    await primed(replica.table)
    await replica.cached.add_many([tick("BTC", 1, last="1")])

    # No waiting: the commit was read back into the table before add_many returned.
    assert replica.table.serving
    assert shown(await replica.cached.latest(["BTC"], None, None)) == [
        ("BTC", "AUD", "coinspot", "1")
    ]
    await replica.cached.add_many([tick("BTC", 2, last="2"), tick("BTC", 1, last="1")])
    assert shown(replica.table.lookup(["BTC"], None) or []) == [("BTC", "AUD", "coinspot", "2")]


async def test_a_late_older_tick_never_replaces_a_newer_one(replica: Replica) -> None:
    await primed(replica.table)
    await replica.cached.add_many([tick("BTC", 10, last="10")])
    # Older observations arriving afterwards, through either path.
    await replica.cached.add_many([tick("BTC", 5, last="5", source="kraken")])
    await replica.raw.add_many([tick("BTC", 7, last="7", source="alpha"), tick("ETH", 1)])
    replica.table.merge([tick("BTC", 9, last="9")])  # as a delayed announcement would

    async def seen_eth() -> bool:
        return bool(replica.table.lookup(["ETH"], None))

    await eventually(seen_eth)
    assert shown(replica.table.lookup(["BTC"], None) or []) == [("BTC", "AUD", "coinspot", "10")]
    await assert_agrees(replica, ["BTC"], None)


async def test_a_tie_on_time_goes_to_the_first_source_by_name(replica: Replica) -> None:
    await primed(replica.table)
    await replica.cached.add_many([tick("BTC", 5, last="3", source="zebra")])
    await replica.raw.add_many([tick("BTC", 5, last="2", source="beta")])
    await replica.cached.add_many([tick("BTC", 5, last="1", source="alpha")])
    await replica.raw.add_many([tick("BTC", 4, last="0.5", source="aardvark")])

    async def settled() -> bool:
        return replica.table.lookup(["BTC"], None) == await replica.raw.latest(["BTC"], None, None)

    await eventually(settled)
    assert shown(replica.table.lookup(["BTC"], None) or []) == [("BTC", "AUD", "alpha", "1")]


async def test_a_duplicate_with_other_figures_does_not_displace_the_stored_tick(
    replica: Replica,
) -> None:
    await primed(replica.table)
    await replica.raw.add_many([tick("BTC", 5, last="1")])
    # The same key again with other figures: storage keeps the first, and so must we,
    # whether or not the first one's announcement has arrived yet.
    result = await replica.cached.add_many([tick("BTC", 5, last="2"), tick("ETH", 5)])

    assert result == IngestResult(inserted=1, duplicate=1)
    assert shown(await replica.cached.latest(["BTC"], None, None)) == [
        ("BTC", "AUD", "coinspot", "1")
    ]


async def test_with_the_feed_down_storage_answers_and_the_table_comes_back(
    replica: Replica,
) -> None:
    await primed(replica.table)
    await replica.cached.add_many([tick("BTC", 1, last="1")])

    await replica.break_feed()
    assert not replica.table.serving
    assert replica.table.lookup((), None) is None
    # Committed while nothing announces it: a table answer would be silently stale.
    await replica.raw.add_many([tick("BTC", 2, last="2")])
    assert shown(await replica.cached.latest(["BTC"], None, None)) == [
        ("BTC", "AUD", "coinspot", "2")
    ]

    await replica.restart_feed()
    await primed(replica.table)
    assert replica.table.primes == 2
    assert shown(replica.table.lookup(["BTC"], None) or []) == [("BTC", "AUD", "coinspot", "2")]
    await replica.raw.add_many([tick("BTC", 3, last="3")])

    async def followed() -> bool:
        return shown(replica.table.lookup(["BTC"], None) or [])[0][3] == "3"

    await eventually(followed)


async def test_requests_for_one_source_are_answered_by_storage(replica: Replica) -> None:
    await primed(replica.table)
    await replica.cached.add_many(
        [tick("BTC", 9, last="9", source="kraken"), tick("BTC", 3, last="3")]
    )

    assert shown(await replica.cached.latest(["BTC"], None, "coinspot")) == [
        ("BTC", "AUD", "coinspot", "3")
    ]


async def test_memory_grows_with_series_not_ticks(replica: Replica) -> None:
    await primed(replica.table)
    for minute in range(20):
        await replica.cached.add_many(
            [tick(symbol, minute, quote=quote) for symbol in ("BTC", "ETH") for quote in "AB"]
        )

    assert replica.table.series == 4
    assert len(replica.table.lookup((), None) or []) == 4


@pytest.mark.postgres
async def test_a_dropped_listen_connection_falls_back_then_reprimes(
    clean_postgres: AsyncEngine, postgres_url: str
) -> None:
    """The real outage path: the listener's connection is killed, the table stops
    answering at once, ticks committed meanwhile are served from the database, and after
    the listener reconnects the table is primed again with them."""
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(postgres_url, fanout, initial_backoff=0.5)
    raw = postgres_repositories(clean_postgres).price_ticks
    table = LatestPriceTable(raw, fanout, listener, poll_interval=0.02)
    cached = CachedPriceTickRepository(raw, table)
    await listener.start()
    await table.start()
    try:
        await primed(table)
        await cached.add_many([tick("BTC", 1, last="1")])
        async with clean_postgres.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )

        async def dropped() -> bool:
            return not table.serving

        await eventually(dropped)
        await raw.add_many([tick("BTC", 2, last="2")])
        assert shown(await cached.latest(["BTC"], None, None)) == [("BTC", "AUD", "coinspot", "2")]

        async def reprimed() -> bool:
            return table.serving and table.primes == 2

        await eventually(reprimed)
        assert listener.reconnects == 1
        assert shown(table.lookup(["BTC"], None) or []) == [("BTC", "AUD", "coinspot", "2")]
    finally:
        await table.stop()
        await listener.stop()


class FailingReads:
    """A repository whose reads fail on demand (the database went away after a commit),
    over a real in-memory one."""

    def __init__(self, inner: PriceTickRepository) -> None:
        self._inner = inner
        self.failing = False

    async def add_many(self, records: Sequence[PriceTick]) -> IngestResult:
        return await self._inner.add_many(records)

    async def add_canonical(self, parts: Iterable[CanonicalPriceTicks], count: int) -> IngestResult:
        return await self._inner.add_canonical(parts, count)

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> list[PriceTick]:
        if self.failing:
            raise StorageUnavailable("down")
        return await self._inner.latest(symbols, quote, source)


async def test_a_commit_that_cannot_be_read_back_stops_the_table_until_reprimed() -> None:
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
        storage.failing = True
        # The batch is stored and acknowledged; only the read-back failed.
        assert await cached.add_many([tick("BTC", 1)]) == IngestResult(inserted=1)
        assert not table.serving
        with pytest.raises(StorageUnavailable):
            await cached.latest(["BTC"], None, None)

        storage.failing = False
        await primed(table)
        assert shown(await cached.latest(["BTC"], None, None)) == [
            ("BTC", "AUD", "coinspot", "100.50")
        ]
    finally:
        await table.stop()
