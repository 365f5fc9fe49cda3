"""CatalystEventStream: catalyst events stored for the first time after subscribing reach
the subscriber, once, over memory and Postgres (there through NOTIFY and the listener,
as another replica would see them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.catalyst_notifications import CHANNEL
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import APPLICATION_NAME
from omc.adapters.postgres.notifications import MAX_PAYLOAD_BYTES
from omc.application.errors import StreamInterrupted
from omc.domain.catalyst import CatalystEvent
from omc.domain.rules import MAX_BODY, MAX_SHORT_TEXT
from tests.support.catalyst import (  # noqa: F401 (fixtures used by name)
    CatalystStorage,
    catalyst,
    postgres_catalyst,
    postgres_catalyst_storage,
    take,
)
from tests.support.records import catalyst_event

QUIET = 0.3  # seconds without an event before "nothing was announced" is accepted


def listing(external_id: str, symbol: str, minute: int = 0, **changes: object) -> CatalystEvent:
    event = catalyst_event(
        external_id,
        minute,
        source="coinspot",
        event_type="exchange_listing",
        impact=7,
        currencies=(symbol,),
    )
    return replace(event, **changes)  # type: ignore[arg-type]


async def nothing_more(events: AsyncIterator[CatalystEvent]) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(events), QUIET)


async def test_a_subscriber_receives_new_events_whole(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> None:
    # Far past NOTIFY's 8000-byte payload limit: the event must still arrive unabridged.
    long_text = 'Ünïcode and "quotes" and a newline\n ' * (MAX_BODY // 40)
    sent = [
        listing(
            "listing-1-TIA",
            "TIA",
            title="CoinSpot lists Celestia (TIA)",
            description=long_text[:MAX_BODY],
            url="https://coinspot.zendesk.com/hc/en-us/articles/1",
        ),
        catalyst_event("filing-1", 2, currencies=()),
    ]
    assert len(sent[0].description.encode()) > MAX_PAYLOAD_BYTES
    async with catalyst.catalyst_fanout.subscribe(frozenset(), frozenset()) as events:
        await catalyst.repositories.catalyst_events.add_many(sent)

        received = await take(events, 2)

    assert received == sent
    assert received[0].occurred_at.utcoffset() is not None


async def test_subscribers_get_only_their_kinds_and_symbols(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> None:
    fanout = catalyst.catalyst_fanout
    async with (
        fanout.subscribe(frozenset({"exchange_listing"}), frozenset()) as listings,
        fanout.subscribe(frozenset(), frozenset({"COIN", "SOL"})) as coin_or_sol,
        fanout.subscribe(frozenset({"exchange_listing"}), frozenset({"SOL"})) as sol_listings,
    ):
        await catalyst.repositories.catalyst_events.add_many(
            [
                listing("l-tia", "TIA", 1),
                catalyst_event("f-coin", 2, currencies=("COIN",)),
                catalyst_event("f-none", 3, currencies=()),
                listing("l-sol", "SOL", 4, currencies=("SOL", "JUP")),
            ]
        )

        assert [e.external_id for e in await take(listings, 2)] == ["l-tia", "l-sol"]
        assert [e.external_id for e in await take(coin_or_sol, 2)] == ["f-coin", "l-sol"]
        assert [e.external_id for e in await take(sol_listings, 1)] == ["l-sol"]
        await nothing_more(sol_listings)


async def test_an_event_stored_again_is_never_raised_again(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> None:
    first = listing("listing-1-TIA", "TIA")
    repository = catalyst.repositories.catalyst_events
    async with catalyst.catalyst_fanout.subscribe(frozenset(), frozenset()) as events:
        await repository.add_many([first])
        assert await take(events, 1) == [first]
        # A re-fetch, even with changed text, is the same event (same key).
        assert (await repository.add_many([replace(first, title="edited")])).duplicate == 1
        fresh = listing("listing-2-SOL", "SOL", 5)
        result = await repository.add_many([first, fresh])
        assert (result.inserted, result.duplicate) == (1, 1)

        # Announcements arrive in commit order: had a duplicate been sent, it would come
        # first.
        assert await take(events, 1) == [fresh]
        await repository.add_many([])
        await nothing_more(events)


async def test_a_large_batch_arrives_whole_and_in_order(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> None:
    # Keys as long as allowed, with characters JSON must escape: many NOTIFY payloads.
    suffix = '\x01"' * ((MAX_SHORT_TEXT - 10) // 2)
    sent = [listing(f"{i:05d}{suffix}", f"S{i % 7}", i % 60) for i in range(120)]
    async with catalyst.catalyst_fanout.subscribe(frozenset(), frozenset()) as events:
        await catalyst.repositories.catalyst_events.add_many(sent[:60])
        # The second batch repeats one stored event: the path that merges on conflict.
        await catalyst.repositories.catalyst_events.add_many(sent[59:])

        received = await take(events, len(sent))

    assert received == sent


async def test_a_subscriber_sees_only_events_stored_after_it_subscribed(
    catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
) -> None:
    fanout = catalyst.catalyst_fanout
    async with fanout.subscribe(frozenset(), frozenset()) as early:
        await catalyst.repositories.catalyst_events.add_many([listing("before", "TIA")])
        # Once the early subscriber has it, the feed is done with it.
        assert [e.external_id for e in await take(early, 1)] == ["before"]
        async with fanout.subscribe(frozenset(), frozenset()) as late:
            await catalyst.repositories.catalyst_events.add_many([listing("after", "TIA", 1)])

            assert [e.external_id for e in await take(late, 1)] == ["after"]


@pytest.mark.postgres
async def test_events_stored_through_one_replica_reach_watchers_on_another(
    postgres_catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url, pool_size=2)
    try:
        async with (
            postgres_catalyst_storage(engine, postgres_url, name="replica") as other,
            postgres_catalyst.catalyst_fanout.subscribe(frozenset(), frozenset()) as here,
            other.catalyst_fanout.subscribe(frozenset(), frozenset()) as there,
        ):
            event = listing("listing-9-TIA", "TIA")
            await other.repositories.catalyst_events.add_many([event])

            assert await take(here, 1) == [event]
            assert await take(there, 1) == [event]
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_foreign_notification_on_the_channel_does_not_stop_the_feed(
    postgres_catalyst: CatalystStorage,  # noqa: F811 (the shared fixture imported above)
    clean_postgres: AsyncEngine,
) -> None:
    async with postgres_catalyst.catalyst_fanout.subscribe(frozenset(), frozenset()) as events:
        async with clean_postgres.connect() as connection:
            for payload in ("not json", '{"a": 1}', '[["only-one-part"]]', '[["gone", "x"]]'):
                await connection.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": CHANNEL, "payload": payload},
                )
            await connection.commit()
        event = listing("listing-1-TIA", "TIA")
        await postgres_catalyst.repositories.catalyst_events.add_many([event])

        assert await take(events, 1) == [event]


@pytest.mark.postgres
async def test_watchers_learn_when_the_listener_loses_its_connection(
    clean_postgres: AsyncEngine, postgres_url: str
) -> None:
    async with postgres_catalyst_storage(
        clean_postgres, postgres_url, initial_backoff=0.05
    ) as storage:
        async with storage.catalyst_fanout.subscribe(frozenset(), frozenset()) as before:
            async with clean_postgres.connect() as connection:
                killed = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": APPLICATION_NAME},
                )
            assert killed >= 1
            # Events committed during the outage never reached us: the stream says so.
            with pytest.raises(StreamInterrupted):
                await asyncio.wait_for(anext(before), 5)

        # Once reconnected, new events flow again.
        listener = storage.listener
        assert listener is not None
        async with asyncio.timeout(5):
            while listener.reconnects < 1:  # noqa: ASYNC110 (polls a plain counter)
                await asyncio.sleep(0.02)
        event = listing("listing-2-SOL", "SOL")
        async with storage.catalyst_fanout.subscribe(frozenset(), frozenset()) as after:
            await storage.repositories.catalyst_events.add_many([event])

            assert await take(after, 1) == [event]
