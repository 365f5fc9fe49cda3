"""Ports of the data-quality monitor: aggregates where the data lives, alert storage,
alert delivery. The monitor's once-across-replicas lock is a CollectorLock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from omc.application.ports import Page, PageRequest
from omc.domain.quality import AlertEvent, QualityAlert, QualityStats, StatsQuery
from omc.domain.record import Ledger


class QualityStatsSource(Protocol):
    async def stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        """The aggregates of `ledgers` over the query's window, computed by the store
        (never by shipping every row to the caller). Ledgers in the order given."""
        ...

    async def keep_hours(self, query: StatsQuery, max_hours: int) -> int:
        """Brings what the store keeps per complete hour of the query's window up to date
        for at most `max_hours` hours, newest first, so later reports need not read those
        hours' records; returns how many hours it worked out. A store that keeps nothing
        between reports returns 0."""
        ...


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class AlertRepository(Protocol):
    async def open_alerts(self) -> list[QualityAlert]:
        """Every open alert (at most one per scope)."""
        ...

    async def apply(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        """Stores the events atomically: RESOLVED sets resolved_at, OPENED inserts.
        Returns the events that took effect: a concurrent monitor that already opened
        or resolved the same thing makes an event a no-op, not an error."""
        ...

    async def changes_since(self, after: datetime) -> list[AlertEvent]:
        """Openings and resolutions strictly after `after`, oldest first."""
        ...

    async def list(self, status: AlertStatus | None, page: PageRequest) -> Page[QualityAlert]:
        """Alerts newest first by (opened_at, alert_id); `page.after` is the previous
        page's `next_after`."""
        ...


class AlertSink(Protocol):
    """Somewhere alert events reach people: a log, a topic, a pager."""

    @property
    def name(self) -> str: ...

    async def deliver(self, event: AlertEvent) -> None:
        """Delivers one event or raises; the monitor retries and never stops for it."""
        ...
