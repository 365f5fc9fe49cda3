"""Collector runs in Postgres, and the lock that keeps one run of a collector at a time
across every replica sharing the database."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.adapters.postgres.tables import collector_runs
from omc.application.ports import Page, PageRequest
from omc.domain.collection import CollectorRun, RunStatus

log = logging.getLogger("omc.postgres.collection")

_COLUMNS = tuple(collector_runs.c)
_ORDER = (collector_runs.c.started_at, collector_runs.c.run_id)


def _from_row(row: Row[Any]) -> CollectorRun:
    values = row._mapping
    return CollectorRun(
        run_id=values["run_id"],
        collector=values["collector"],
        started_at=values["started_at"].astimezone(UTC),
        finished_at=values["finished_at"].astimezone(UTC),
        status=RunStatus(values["status"]),
        fetched=values["fetched"],
        inserted=values["inserted"],
        updated=values["updated"],
        duplicate=values["duplicate"],
        rejected=values["rejected"],
        error=values["error"],
    )


class PostgresCollectorRunRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, run: CollectorRun) -> None:
        statement = insert(collector_runs).values(
            run_id=run.run_id,
            collector=run.collector,
            started_at=run.started_at,
            finished_at=run.finished_at,
            status=str(run.status),
            fetched=run.fetched,
            inserted=run.inserted,
            updated=run.updated,
            duplicate=run.duplicate,
            rejected=run.rejected,
            error=run.error,
        )
        with storage_errors():
            async with self._engine.begin() as connection:
                await connection.execute(statement)

    async def recent(self, collector: str, limit: int) -> list[CollectorRun]:
        statement = (
            select(*_COLUMNS)
            .where(collector_runs.c.collector == collector)
            .order_by(*(column.desc() for column in _ORDER))
            .limit(max(0, limit))
        )
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        return [_from_row(row) for row in rows]

    async def list(self, collector: str | None, page: PageRequest) -> Page[CollectorRun]:
        statement = select(*_COLUMNS)
        if collector is not None:
            statement = statement.where(collector_runs.c.collector == collector)
        if page.after is not None:
            started_at, run_id = page.after
            position = tuple_(
                bindparam(None, started_at, type_=collector_runs.c.started_at.type),
                bindparam(None, run_id, type_=collector_runs.c.run_id.type),
            )
            statement = statement.where(tuple_(*_ORDER) < position)
        # One row more than asked tells whether another page follows.
        statement = statement.order_by(*(column.desc() for column in _ORDER)).limit(page.size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        items = [_from_row(row) for row in rows[: page.size]]
        more = len(rows) > page.size
        last = items[-1] if more and items else None
        return Page(items, None if last is None else (last.started_at, last.run_id))

    async def count(self) -> int:
        """Every recorded run (diagnostics and tests)."""
        with storage_errors():
            async with self._engine.connect() as connection:
                return int(
                    (
                        await connection.execute(select(func.count()).select_from(collector_runs))
                    ).scalar_one()
                )


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a collector. Derived in Python (not
    with Postgres' hashtext, whose values may change between major versions), so every
    replica computes the same key."""
    digest = hashlib.blake2b(f"omc.collector:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# One round trip each, as before the lease: the session's expiry is set only when the
# lock was got, and put back to the server's default with the unlock.
_ACQUIRE = text(
    "SELECT CASE WHEN pg_try_advisory_lock(:key)"
    " THEN set_config('idle_session_timeout', :ms, false) IS NOT NULL ELSE false END"
)
_RELEASE = text(
    "SELECT pg_advisory_unlock(:key), set_config('idle_session_timeout',"
    " (SELECT reset_val FROM pg_settings WHERE name = 'idle_session_timeout'), false)"
)
# How long past its ttl a hold may go unanswered before Postgres ends the session (and
# with it the lock): room for recording the run and releasing after a run cut off at ttl.
DEFAULT_EXPIRY_GRACE = timedelta(seconds=30)


class PostgresCollectorLock:
    """A lease made of a session-level advisory lock (`pg_try_advisory_lock`) on a
    connection checked out of the pool for the whole run.

    It never waits: a replica that finds the collector held skips the tick. Why this is
    an expiring lease, in each way a holder can fail:

    - dies or loses the network: Postgres ends its session, which frees the lock at once
      (no need to wait out a lease);
    - hangs in its run (a source that never answers): RunCollector bounds every run by
      `ttl`, cancels it, records it as failed and releases, so the lock is held at most
      `ttl` plus the time to record the run;
    - freezes altogether (a stuck event loop cannot cancel anything): the lock's session
      is idle from acquisition to release, so `idle_session_timeout` = `ttl` + `grace`
      makes Postgres end the session, and the lock with it, once that has passed.

    The connection runs in autocommit, so a long run does not keep a transaction open;
    its timeout is reset before the connection goes back to the pool."""

    def __init__(self, engine: AsyncEngine, *, grace: timedelta = DEFAULT_EXPIRY_GRACE) -> None:
        self._engine = engine
        self._grace = grace

    @asynccontextmanager
    async def hold(self, name: str, ttl: timedelta) -> AsyncIterator[bool]:
        key = lock_key(name)
        expiry_ms = max(1, int((ttl + self._grace).total_seconds() * 1000))
        with storage_errors():
            connection = await self._engine.connect()
        try:
            with storage_errors():
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                acquired = bool(
                    (
                        await connection.execute(_ACQUIRE, {"key": key, "ms": str(expiry_ms)})
                    ).scalar_one()
                )
        except BaseException:
            await connection.invalidate()
            await connection.close()
            raise
        try:
            yield acquired
        finally:
            await self._release(connection, key if acquired else None, name)

    async def _release(self, connection: AsyncConnection, key: int | None, name: str) -> None:
        try:
            if key is not None:
                await connection.execute(_RELEASE, {"key": key})
        except Exception:
            # Either Postgres already ended the session (the lease expired: the lock went
            # with it) or it cannot be reached; dropping the connection drops the lock in
            # both cases, and the run has been recorded, so this is not the run's failure.
            log.warning(
                "could not release the lock of collector %s (lease expired or database "
                "unreachable); dropping the connection",
                name,
            )
            await connection.invalidate()
        except BaseException:
            # Cancelled while releasing: never return a session that may hold the lock.
            await connection.invalidate()
            raise
        finally:
            await connection.close()
