"""In-memory collector run store and lock: one process, same behaviour as Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from omc.application.ports import Clock, Page, PageRequest
from omc.domain.collection import CollectorRun


def _run_key(run: CollectorRun) -> tuple[datetime, str]:
    return (run.started_at, run.run_id)


class MemoryCollectorRunRepository:
    def __init__(self) -> None:
        self._runs: dict[str, CollectorRun] = {}

    async def add(self, run: CollectorRun) -> None:
        self._runs[run.run_id] = run

    async def recent(self, collector: str, limit: int) -> list[CollectorRun]:
        runs = sorted(
            (run for run in self._runs.values() if run.collector == collector),
            key=_run_key,
            reverse=True,
        )
        return runs[:limit]

    async def list(self, collector: str | None, page: PageRequest) -> Page[CollectorRun]:
        runs = sorted(
            (run for run in self._runs.values() if collector is None or run.collector == collector),
            key=_run_key,
            reverse=True,
        )
        if page.after is not None:
            after: Any = tuple(page.after)
            runs = [run for run in runs if _run_key(run) < after]
        items = runs[: page.size]
        more = len(runs) > page.size
        return Page(items, _run_key(items[-1]) if more and items else None)


class MemoryCollectorLock:
    """Leases by name with an expiry; shared by every scheduler given the same instance
    (the stand-in for replicas sharing one database)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._leases: dict[str, tuple[str, datetime]] = {}
        self._mutex = asyncio.Lock()

    @asynccontextmanager
    async def hold(self, name: str, ttl: timedelta) -> AsyncIterator[bool]:
        token = uuid4().hex
        async with self._mutex:
            now = self._clock.now()
            lease = self._leases.get(name)
            acquired = lease is None or lease[1] <= now
            if acquired:
                self._leases[name] = (token, now + ttl)
        try:
            yield acquired
        finally:
            if acquired:
                async with self._mutex:
                    # An expired lease may have passed to someone else: only free our own.
                    if self._leases.get(name, ("", now))[0] == token:
                        del self._leases[name]

    def held(self, name: str) -> bool:
        lease = self._leases.get(name)
        return lease is not None and lease[1] > self._clock.now()
