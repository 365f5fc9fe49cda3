"""Feeds price ticks and catalyst events committed by any replica into this process's
stream fan-outs.

The repositories NOTIFY inside the statement that inserts the rows, so a notification
arrives exactly when (and only if) they are committed, and only for rows new to the
table. One dedicated connection per process LISTENs; it reconnects with backoff when the
database goes away. Ticks travel whole in the payload; catalyst events travel as keys and
are fetched (see catalyst_notifications).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres import catalyst_notifications
from omc.adapters.postgres.engine import libpq_url
from omc.adapters.postgres.liveness import TCP_LIVENESS
from omc.adapters.postgres.notifications import CHANNEL, decode_ticks
from omc.adapters.postgres.repositories import storage_errors
from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.errors import StorageUnavailable
from omc.application.fanout import PriceTickFanout
from omc.application.tasks import abandon

logger = logging.getLogger(__name__)

# Names the connection in pg_stat_activity, so operators can tell it apart.
APPLICATION_NAME = "omc-price-tick-listener"

_CONNECTION_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, OSError)


class _Unresponsive(Exception):
    """The listening connection stopped answering (its peer vanished silently)."""


class CatalystEventFeed:
    """Turns catalyst event notifications (keys) into events for the fan-out: fetched by
    key over the engine, one notification after another so events keep commit order. The
    fetch runs apart from the listening connection, which stays free to deliver ticks."""

    def __init__(self, engine: AsyncEngine, fanout: CatalystEventFanout) -> None:
        self._engine = engine
        self._fanout = fanout
        self._pending: asyncio.Queue[list[catalyst_notifications.Key]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="omc-catalyst-event-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def deliver(self, payload: str) -> None:
        try:
            keys = catalyst_notifications.decode_keys(payload)
        except (ValueError, TypeError):
            # Someone else NOTIFYing on our channel must not stop the feed.
            logger.error("ignored a malformed catalyst event notification")
            return
        if keys:
            self._pending.put_nowait(keys)

    def interrupt(self, reason: str) -> None:
        self._fanout.interrupt(reason)

    async def _run(self) -> None:
        while True:
            keys = await self._pending.get()
            if not self._fanout.subscriber_count:
                continue  # no one to hand them to: spare the database the fetch
            try:
                with storage_errors():
                    events = await catalyst_notifications.fetch_events(self._engine, keys)
            except StorageUnavailable:
                logger.warning("could not fetch new catalyst events; interrupting watchers")
                self._fanout.interrupt("the catalyst event feed could not read new events")
                continue
            except Exception:
                # A bug here must neither kill the feed nor pass silently.
                logger.exception("catalyst event feed failed to read new events")
                self._fanout.interrupt("the catalyst event feed failed")
                continue
            self._fanout.publish(events)


class PostgresPriceTickListener:
    def __init__(
        self,
        url: str,
        fanout: PriceTickFanout,
        *,
        catalyst_events: CatalystEventFeed | None = None,
        password: Callable[[], str | None] | None = None,
        health_interval: float = 15.0,
        probe_timeout: float = 5.0,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
        connect_timeout: int = 10,
    ) -> None:
        self._url = libpq_url(url)
        self._fanout = fanout
        self._catalyst_events = catalyst_events
        # Asked at every (re)connect: a password rotated since start-up must be used.
        self._password = password
        self._health_interval = health_interval
        self._probe_timeout = probe_timeout
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._connect_timeout = connect_timeout
        self._task: asyncio.Task[None] | None = None
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._connections = 0
        self.reconnects = 0

    async def start(self) -> None:
        """Returns once LISTEN is active, so ticks committed afterwards are delivered.
        Raises StorageUnavailable when the first connection cannot be made."""
        if self._task is not None:
            return
        try:
            connection = await self._connect()
        except _CONNECTION_ERRORS as error:
            raise StorageUnavailable("cannot listen for price ticks: database unavailable") from (
                error
            )
        if self._catalyst_events is not None:
            self._catalyst_events.start()
        self._task = asyncio.create_task(self._run(connection), name="omc-price-tick-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()
        if self._catalyst_events is not None:
            await self._catalyst_events.stop()

    def generation(self) -> int | None:
        """None unless LISTEN is active now; otherwise which connection is listening, so
        a caller can tell that ticks may have been missed since it last asked. It turns
        None in the same step as the fanout's subscriptions are interrupted."""
        task = self._task
        if self._connection is None or task is None or task.done():
            return None
        return self._connections

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        password = self._password() if self._password is not None else None
        conninfo = make_conninfo(self._url, **TCP_LIVENESS)
        connection = await psycopg.AsyncConnection.connect(
            make_conninfo(conninfo, password=password) if password else conninfo,
            autocommit=True,
            connect_timeout=self._connect_timeout,
            application_name=APPLICATION_NAME,
        )
        await connection.execute(f"LISTEN {CHANNEL}")
        if self._catalyst_events is not None:
            await connection.execute(f"LISTEN {catalyst_notifications.CHANNEL}")
        self._connection = connection
        self._connections += 1
        return connection

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await connection.close()

    async def _run(self, connection: psycopg.AsyncConnection[Any] | None) -> None:
        backoff = self._initial_backoff
        while True:
            try:
                if connection is None:
                    connection = await self._connect()
                    self.reconnects += 1
                    logger.info("price tick listener reconnected")
                    backoff = self._initial_backoff
                async for notification in connection.notifies(timeout=self._health_interval):
                    if notification.channel == CHANNEL:
                        self._deliver(notification.payload)
                    elif self._catalyst_events is not None:
                        self._catalyst_events.deliver(notification.payload)
                if not await self._answers(connection):
                    raise _Unresponsive
            except (*_CONNECTION_ERRORS, _Unresponsive) as error:
                logger.warning(
                    "price tick listener lost its connection (%s); reconnecting",
                    f"no answer within {self._probe_timeout} s"
                    if isinstance(error, _Unresponsive)
                    else type(error).__name__,
                )
                # Ticks committed while we are away never reach us: tell subscribers.
                self._fanout.interrupt("the price feed lost its database connection")
                if self._catalyst_events is not None:
                    self._catalyst_events.interrupt(
                        "the catalyst event feed lost its database connection"
                    )
                await self._close()
                connection = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _answers(self, connection: psycopg.AsyncConnection[Any]) -> bool:
        """Whether a round trip completes within the probe timeout. A quiet channel may
        hide a dead peer (no FIN on a network partition or a failover), and a query on
        it would wait for TCP to give up. On a timeout the probe is cancelled in the
        background (psycopg's cleanup sends a cancel request, bounded by its own
        timeouts): subscribers must hear of the lost feed now, not after that."""
        probe = asyncio.ensure_future(connection.execute("SELECT 1"))
        try:
            await asyncio.wait_for(asyncio.shield(probe), self._probe_timeout)
        except TimeoutError:
            abandon(probe)
            return False
        return True

    def _deliver(self, payload: str) -> None:
        try:
            ticks = decode_ticks(payload)
        except (ValueError, TypeError, ArithmeticError):
            # Someone else NOTIFYing on our channel must not stop the feed.
            logger.error("ignored a malformed price tick notification")
            return
        self._fanout.publish(ticks)
