"""In-memory alert store (same behaviour as Postgres, contract-tested) and a sink that
records what it was given (tests, `--storage memory` demos)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from omc.application.ports import Page, PageRequest
from omc.application.quality_ports import AlertStatus
from omc.domain.quality import AlertEvent, AlertEventKind, QualityAlert


def _order(alert: QualityAlert) -> tuple[datetime, str]:
    return (alert.opened_at, alert.alert_id)


class MemoryAlertRepository:
    def __init__(self) -> None:
        self._alerts: dict[str, QualityAlert] = {}
        self._lock = asyncio.Lock()

    async def open_alerts(self) -> list[QualityAlert]:
        return sorted((a for a in self._alerts.values() if a.is_open), key=_order)

    async def apply(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        async with self._lock:
            staged = dict(self._alerts)
            applied = []
            for event in events:
                alert = event.alert
                if event.kind is AlertEventKind.RESOLVED:
                    current = staged.get(alert.alert_id)
                    if current is None or not current.is_open:
                        continue
                    staged[alert.alert_id] = replace(current, resolved_at=alert.resolved_at)
                    applied.append(event)
                else:
                    taken = any(a.is_open and a.scope == alert.scope for a in staged.values())
                    if taken or alert.alert_id in staged:
                        continue
                    staged[alert.alert_id] = alert
                    applied.append(event)
            self._alerts = staged
            return applied

    async def changes_since(self, after: datetime) -> list[AlertEvent]:
        events: list[tuple[datetime, int, AlertEvent]] = []
        for alert in self._alerts.values():
            if alert.opened_at > after:
                events.append((alert.opened_at, 0, AlertEvent(AlertEventKind.OPENED, alert)))
            if alert.resolved_at is not None and alert.resolved_at > after:
                events.append((alert.resolved_at, 1, AlertEvent(AlertEventKind.RESOLVED, alert)))
        events.sort(key=lambda item: (item[0], item[1], item[2].alert.alert_id))
        return [event for _, _, event in events]

    async def list(self, status: AlertStatus | None, page: PageRequest) -> Page[QualityAlert]:
        alerts = sorted(
            (
                a
                for a in self._alerts.values()
                if status is None or (a.is_open == (status is AlertStatus.OPEN))
            ),
            key=_order,
            reverse=True,
        )
        if page.after is not None:
            after: Any = tuple(page.after)
            alerts = [a for a in alerts if _order(a) < after]
        items = alerts[: page.size]
        more = len(alerts) > page.size
        return Page(items, _order(items[-1]) if more and items else None)


class RecordingAlertSink:
    """Keeps every delivered event; `fail_times` makes the next deliveries raise first."""

    def __init__(self, name: str = "recording", *, fail_times: int = 0) -> None:
        self._name = name
        self.fail_times = fail_times
        self.events: list[AlertEvent] = []
        self.attempts = 0

    @property
    def name(self) -> str:
        return self._name

    async def deliver(self, event: AlertEvent) -> None:
        self.attempts += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("sink unavailable")
        self.events.append(event)
