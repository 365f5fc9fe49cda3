"""A database host that goes silent (a network partition, an RDS failover: no FIN, no
RST) is found out: the price listener tells its subscribers and listens again through a
new connection, and every connection we open carries the TCP liveness settings that let
the kernel give up on a silent peer in seconds rather than fifteen minutes."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.agent.checkpoints import postgres_checkpointer
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import PostgresPriceTickListener
from omc.adapters.postgres.liveness import TCP_LIVENESS
from omc.application.fanout import PriceTickFanout, StreamInterrupted
from tests.conftest import Storage
from tests.contract.test_price_tick_stream import take
from tests.support.records import tick
from tests.support.silent_proxy import SilentProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[SilentProxy]:
    async with SilentProxy(postgres_url).running() as running:
        yield running


async def test_the_listener_finds_a_silent_database_and_listens_again(
    postgres_storage: Storage, clean_postgres: AsyncEngine, postgres_url: str, proxy: SilentProxy
) -> None:
    fanout = PriceTickFanout()
    listener = PostgresPriceTickListener(
        proxy.url(postgres_url),
        fanout,
        health_interval=0.2,
        probe_timeout=0.5,
        initial_backoff=0.05,
    )
    await listener.start()
    ticks = postgres_storage.repositories.price_ticks
    try:
        first = listener.generation()
        async with fanout.subscribe(frozenset(), None) as before:
            await ticks.add_many([tick("BTC", 1)])
            assert await take(before, 1) == [tick("BTC", 1)]
            assert proxy.silence() >= 1
            # The connection still looks open; only its silence gives it away. Before
            # the probe had a timeout, this waited for TCP (here: forever, the proxy's
            # kernel acknowledges every byte).
            with pytest.raises(StreamInterrupted):
                await asyncio.wait_for(anext(before), 10)
        async with asyncio.timeout(10):
            while listener.generation() in (None, first):  # noqa: ASYNC110 (polls a counter)
                await asyncio.sleep(0.02)
        async with fanout.subscribe(frozenset(), None) as after:
            await ticks.add_many([tick("ETH", 2)])
            assert await take(after, 1) == [tick("ETH", 2)]
    finally:
        await listener.stop()


def _liveness_of(fd: int) -> dict[str, int]:
    """What the kernel holds for one connection's socket."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        return {
            "keepalives": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "keepalives_idle": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "keepalives_interval": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "keepalives_count": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "tcp_user_timeout": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
        }


async def test_every_kind_of_connection_carries_tcp_liveness(
    postgres_url: str, proxy: SilentProxy
) -> None:
    url = proxy.url(postgres_url)  # TCP: libpq ignores these settings on Unix sockets
    found = {}

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            found["engine"] = _liveness_of(raw.driver_connection.pgconn.socket)
    finally:
        await engine.dispose()

    listener = PostgresPriceTickListener(url, PriceTickFanout())
    await listener.start()
    try:
        # The listener's one connection is private by design; its socket is the proof.
        assert listener._connection is not None
        found["listener"] = _liveness_of(listener._connection.pgconn.socket)
    finally:
        await listener.stop()

    checkpointer = postgres_checkpointer(url, pool_size=1)
    saver = await anext(checkpointer)
    try:
        async with saver.conn.connection() as pooled:  # type: ignore[union-attr]
            found["agent checkpointer"] = _liveness_of(pooled.pgconn.socket)
    finally:
        await checkpointer.aclose()

    assert found == dict.fromkeys(found, TCP_LIVENESS)
