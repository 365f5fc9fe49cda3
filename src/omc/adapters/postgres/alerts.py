"""Quality alerts in Postgres: at most one open alert per scope (a partial unique index),
each stored with the report that raised it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.adapters.postgres.tables import quality_alerts
from omc.application.ports import Page, PageRequest
from omc.application.quality_ports import AlertStatus
from omc.domain.quality import AlertEvent, AlertEventKind, QualityAlert, Severity

_ORDER = (quality_alerts.c.opened_at, quality_alerts.c.alert_id)


def _alert(row: Row[Any]) -> QualityAlert:
    return QualityAlert(
        alert_id=row.alert_id,
        scope=row.scope,
        severity=Severity(row.severity),
        score=float(row.score),
        opened_at=row.opened_at,
        report=row.report,
        resolved_at=row.resolved_at,
    )


class PostgresAlertRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open_alerts(self) -> list[QualityAlert]:
        statement = (
            select(quality_alerts).where(quality_alerts.c.resolved_at.is_(None)).order_by(*_ORDER)
        )
        with storage_errors():
            async with self._engine.connect() as connection:
                return [_alert(row) for row in await connection.execute(statement)]

    async def apply(self, events: Sequence[AlertEvent]) -> list[AlertEvent]:
        applied = []
        with storage_errors():
            async with self._engine.begin() as connection:
                for event in events:
                    alert = event.alert
                    if event.kind is AlertEventKind.RESOLVED:
                        result = await connection.execute(
                            update(quality_alerts)
                            .where(
                                quality_alerts.c.alert_id == alert.alert_id,
                                quality_alerts.c.resolved_at.is_(None),
                            )
                            .values(resolved_at=alert.resolved_at)
                            .returning(quality_alerts.c.alert_id)
                        )
                    else:
                        # Another monitor that already opened an alert for the scope wins.
                        result = await connection.execute(
                            insert(quality_alerts)
                            .values(
                                alert_id=alert.alert_id,
                                scope=alert.scope,
                                severity=str(alert.severity),
                                score=Decimal(repr(alert.score)),
                                opened_at=alert.opened_at,
                                resolved_at=None,
                                report=dict(alert.report),
                            )
                            .on_conflict_do_nothing()
                            .returning(quality_alerts.c.alert_id)
                        )
                    if result.first() is not None:
                        applied.append(event)
        return applied

    async def changes_since(self, after: datetime) -> list[AlertEvent]:
        statement = select(quality_alerts).where(
            (quality_alerts.c.opened_at > after) | (quality_alerts.c.resolved_at > after)
        )
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = [_alert(row) for row in await connection.execute(statement)]
        events: list[tuple[datetime, int, AlertEvent]] = []
        for alert in rows:
            if alert.opened_at > after:
                events.append((alert.opened_at, 0, AlertEvent(AlertEventKind.OPENED, alert)))
            if alert.resolved_at is not None and alert.resolved_at > after:
                events.append((alert.resolved_at, 1, AlertEvent(AlertEventKind.RESOLVED, alert)))
        events.sort(key=lambda item: (item[0], item[1], item[2].alert.alert_id))
        return [event for _, _, event in events]

    async def list(self, status: AlertStatus | None, page: PageRequest) -> Page[QualityAlert]:
        statement = select(quality_alerts)
        if status is AlertStatus.OPEN:
            statement = statement.where(quality_alerts.c.resolved_at.is_(None))
        elif status is AlertStatus.RESOLVED:
            statement = statement.where(quality_alerts.c.resolved_at.is_not(None))
        if page.after is not None:
            statement = statement.where(tuple_(*_ORDER) < tuple_(*page.after))
        statement = statement.order_by(*(column.desc() for column in _ORDER)).limit(page.size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                alerts = [_alert(row) for row in await connection.execute(statement)]
        items = alerts[: page.size]
        more = len(alerts) > page.size
        last = items[-1] if more and items else None
        return Page(items, (last.opened_at, last.alert_id) if last else None)
