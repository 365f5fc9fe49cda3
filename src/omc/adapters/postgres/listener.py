"""Feeds price ticks committed by any replica into this process's stream fan-out.

The repositories NOTIFY inside the statement that inserts the ticks, so a notification
arrives exactly when (and only if) the ticks are committed. One dedicated connection per
process LISTENs; it reconnects with backoff when the database goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg

from omc.adapters.postgres.engine import libpq_url
from omc.adapters.postgres.notifications import CHANNEL, decode_ticks
from omc.application.errors import StorageUnavailable
from omc.application.fanout import PriceTickFanout

logger = logging.getLogger(__name__)

# Names the connection in pg_stat_activity, so operators can tell it apart.
APPLICATION_NAME = "omc-price-tick-listener"

_CONNECTION_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, OSError)


class PostgresPriceTickListener:
    def __init__(
        self,
        url: str,
        fanout: PriceTickFanout,
        *,
        health_interval: float = 15.0,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
        connect_timeout: int = 10,
    ) -> None:
        self._url = libpq_url(url)
        self._fanout = fanout
        self._health_interval = health_interval
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._connect_timeout = connect_timeout
        self._task: asyncio.Task[None] | None = None
        self._connection: psycopg.AsyncConnection[Any] | None = None
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
        self._task = asyncio.create_task(self._run(connection), name="omc-price-tick-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        connection = await psycopg.AsyncConnection.connect(
            self._url,
            autocommit=True,
            connect_timeout=self._connect_timeout,
            application_name=APPLICATION_NAME,
        )
        await connection.execute(f"LISTEN {CHANNEL}")
        self._connection = connection
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
                    self._deliver(notification.payload)
                # A quiet channel may hide a dead peer (no FIN on a network partition):
                # a round trip proves the connection still works.
                await connection.execute("SELECT 1")
            except _CONNECTION_ERRORS:
                logger.warning("price tick listener lost its connection; reconnecting")
                # Ticks committed while we are away never reach us: tell subscribers.
                self._fanout.interrupt("the price feed lost its database connection")
                await self._close()
                connection = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    def _deliver(self, payload: str) -> None:
        try:
            ticks = decode_ticks(payload)
        except (ValueError, TypeError, ArithmeticError):
            # Someone else NOTIFYing on our channel must not stop the feed.
            logger.error("ignored a malformed price tick notification")
            return
        self._fanout.publish(ticks)
