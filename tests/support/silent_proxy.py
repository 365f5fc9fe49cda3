"""A TCP proxy on 127.0.0.1 in front of the test Postgres that can go silent.

`silence()` makes every connection open at that moment stop carrying bytes either way
while staying open: what a network partition or a failed-over database host looks like
to a client (no FIN, no RST, nothing). Connections opened afterwards pass normally, as
they would reach the database's new home after a failover.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import make_url

from omc.adapters.postgres.engine import libpq_url


@dataclass
class _Link:
    writers: list[asyncio.StreamWriter]
    silent: asyncio.Event = field(default_factory=asyncio.Event)


class SilentProxy:
    def __init__(self, database_url: str) -> None:
        self._target = conninfo_to_dict(libpq_url(database_url))
        self._links: list[_Link] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    def url(self, database_url: str) -> str:
        """`database_url` with its host and port (or socket directory) replaced by the
        proxy's address."""
        url = make_url(libpq_url(database_url))
        query = {k: v for k, v in url.query.items() if k not in {"host", "port"}}
        proxied = url.set(host="127.0.0.1", port=self.port, query=query)
        return proxied.render_as_string(hide_password=False)

    def silence(self) -> int:
        """Silences every open connection; returns how many there were."""
        for link in self._links:
            link.silent.set()
        return len(self._links)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = str(self._target.get("host") or "localhost")
        port = int(self._target.get("port") or 5432)
        if host.startswith("/"):  # a Unix socket directory (the embedded server)
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._open_upstream()
        link = _Link([writer, up_writer])
        self._links.append(link)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, link)),
            asyncio.create_task(self._pump(up_reader, writer, link)),
        ]
        try:
            # A silenced pump never returns: its link stays open until the proxy stops.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Also when the proxy stops (this task cancelled): pumps left pending would
            # be destroyed by some later test's garbage collection, and reported there.
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for end in link.writers:
                end.close()

    @staticmethod
    async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link) -> None:
        while not link.silent.is_set():
            read = asyncio.ensure_future(source.read(65536))
            silenced = asyncio.ensure_future(link.silent.wait())
            await asyncio.wait({read, silenced}, return_when=asyncio.FIRST_COMPLETED)
            silenced.cancel()
            if link.silent.is_set():
                read.cancel()
                await asyncio.Event().wait()  # swallow everything from now on
            data = read.result()
            if not data:
                return
            sink.write(data)
            await sink.drain()

    def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SilentProxy]:
        self._server = await asyncio.start_server(self._track, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for link in self._links:
                for end in link.writers:
                    end.close()
