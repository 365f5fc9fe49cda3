"""Ports of the collectors: fetching from a source, recording runs, one run at a time.

Kept apart from ports.py so the ledger ports stay small; the composition root provides
these next to the ledger repositories.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar

from omc.application.errors import ApplicationError
from omc.application.ports import Page, PageRequest
from omc.domain.collection import CollectorRun

R = TypeVar("R")

# A rejected record's raw excerpt is cut to this length before it is logged or kept.
MAX_EXCERPT = 300


class Rejected(NamedTuple):
    """One upstream record that could not be turned into a domain record."""

    reason: str
    excerpt: str


# Not frozen and without slots: `FetchResult[T]()` sets `__orig_class__`, which a frozen
# slotted dataclass refuses.
@dataclass
class FetchResult(Generic[R]):
    """What one fetch produced: parsed records and the upstream records it had to reject."""

    records: list[R] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


class SourceUnavailable(ApplicationError):
    """The source could not be read: unreachable, HTTP failure after retries, malformed
    payload or an error status in the body. The run fails and nothing is written.
    The message never holds credentials."""

    reason = "SOURCE_UNAVAILABLE"


class SourceDisabled(ApplicationError):
    """The source cannot run as configured (e.g. no API key); the run is skipped."""

    reason = "SOURCE_DISABLED"


class SourceFetcher(Protocol[R]):
    """One upstream API turned into domain records."""

    @property
    def name(self) -> str:
        """The collector's name, e.g. `coinspot_prices`."""
        ...

    async def disabled_reason(self) -> str | None:
        """Why the source cannot run now (e.g. "no CryptoPanic API key"), or None."""
        ...

    async def fetch(self) -> FetchResult[R]:
        """Fetches and parses one cycle. Raises SourceUnavailable when nothing usable
        came back and SourceDisabled when it cannot run; a bad record is a reject."""
        ...


class CollectorRunRepository(Protocol):
    async def add(self, run: CollectorRun) -> None: ...

    async def recent(self, collector: str, limit: int) -> list[CollectorRun]:
        """The newest `limit` runs of a collector, newest first."""
        ...

    async def list(self, collector: str | None, page: PageRequest) -> Page[CollectorRun]:
        """Runs of one collector (all when None), newest first by (started_at, run_id)
        whatever `page.newest_first` says; `page.after` is the previous `next_after`."""
        ...


class CollectorLock(Protocol):
    """Mutual exclusion of one collector across every replica sharing the database: a
    lease.

    `hold` yields True when this process got the collector and holds it until the block
    ends; False when someone else holds it (never waits). Nobody holds it longer than
    about `ttl`: the holder's own run is cut off at `ttl` (RunCollector bounds every run
    by it and then releases), and the store frees a hold on its own when the holder is
    gone (a dead process, a lost connection) or has not come back within `ttl` plus a
    grace period (a frozen process), so no replica can block a collector forever."""

    def hold(self, name: str, ttl: timedelta) -> AbstractAsyncContextManager[bool]: ...


__all__ = [
    "MAX_EXCERPT",
    "CollectorLock",
    "CollectorRunRepository",
    "FetchResult",
    "Rejected",
    "SourceDisabled",
    "SourceFetcher",
    "SourceUnavailable",
]


def excerpt(raw: object, limit: int = MAX_EXCERPT) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= limit else text[:limit] + "..."
