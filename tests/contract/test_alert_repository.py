"""AlertRepository contract over memory and Postgres."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.alerts import MemoryAlertRepository
from omc.adapters.postgres.alerts import PostgresAlertRepository
from omc.application.ports import PageRequest
from omc.application.quality_ports import AlertRepository, AlertStatus
from omc.domain.quality import AlertEvent, AlertEventKind, QualityAlert, Severity
from tests.unit.quality.scenarios import NOW

REPORT = {"overall": 0.55, "lines": [{"message": "gap BTC/AUD"}], "ledgers": []}


@pytest.fixture
async def pg_alerts(clean_postgres: AsyncEngine) -> PostgresAlertRepository:
    async with clean_postgres.begin() as connection:
        await connection.execute(text("TRUNCATE quality_alerts"))
    return PostgresAlertRepository(clean_postgres)


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def alerts(request: pytest.FixtureRequest) -> AlertRepository:
    if request.param == "memory":
        return MemoryAlertRepository()
    repository: AlertRepository = request.getfixturevalue("pg_alerts")
    return repository


def _alert(alert_id: str, scope: str = "exchange", minutes: int = 0) -> QualityAlert:
    return QualityAlert(
        alert_id, scope, Severity.MEDIUM, 0.55, NOW + timedelta(minutes=minutes), REPORT
    )


def _opened(alert: QualityAlert) -> AlertEvent:
    return AlertEvent(AlertEventKind.OPENED, alert)


async def test_open_resolve_and_round_trip(alerts: AlertRepository) -> None:
    alert = _alert("a1")
    assert await alerts.apply([_opened(alert)]) == [_opened(alert)]
    assert await alerts.open_alerts() == [alert]
    resolved = replace(alert, resolved_at=NOW + timedelta(minutes=3))
    event = AlertEvent(AlertEventKind.RESOLVED, resolved)
    assert await alerts.apply([event]) == [event]
    assert await alerts.open_alerts() == []
    # Resolving twice is a no-op, not an error.
    assert await alerts.apply([event]) == []
    page = await alerts.list(AlertStatus.RESOLVED, PageRequest(10))
    assert page.items == [resolved]


async def test_one_open_alert_per_scope(alerts: AlertRepository) -> None:
    first, second = _alert("a1"), _alert("a2", minutes=1)
    assert await alerts.apply([_opened(first)]) == [_opened(first)]
    # A concurrent monitor's opening for the same scope does not take effect.
    assert await alerts.apply([_opened(second)]) == []
    assert [a.alert_id for a in await alerts.open_alerts()] == ["a1"]


async def test_severity_change_resolves_and_reopens_atomically(alerts: AlertRepository) -> None:
    first = _alert("a1")
    await alerts.apply([_opened(first)])
    high = replace(_alert("a2", minutes=1), severity=Severity.HIGH, score=0.3)
    events = [
        AlertEvent(AlertEventKind.RESOLVED, replace(first, resolved_at=NOW + timedelta(minutes=1))),
        _opened(high),
    ]
    assert await alerts.apply(events) == events
    assert await alerts.open_alerts() == [high]


async def test_list_pages_newest_first_with_status_filter(alerts: AlertRepository) -> None:
    for index in range(5):
        alert = _alert(f"a{index}", scope=f"scope{index}", minutes=index)
        await alerts.apply([_opened(alert)])
    await alerts.apply(
        [
            AlertEvent(
                AlertEventKind.RESOLVED,
                replace(_alert("a0", "scope0"), resolved_at=NOW + timedelta(hours=1)),
            )
        ]
    )
    first = await alerts.list(None, PageRequest(2))
    assert [a.alert_id for a in first.items] == ["a4", "a3"]
    second = await alerts.list(None, PageRequest(2, first.next_after))
    third = await alerts.list(None, PageRequest(2, second.next_after))
    assert [a.alert_id for a in second.items + third.items] == ["a2", "a1", "a0"]
    assert third.next_after is None
    assert [a.alert_id for a in (await alerts.list(AlertStatus.OPEN, PageRequest(10))).items] == [
        "a4",
        "a3",
        "a2",
        "a1",
    ]


async def test_changes_since_lists_openings_and_resolutions_in_order(
    alerts: AlertRepository,
) -> None:
    first = _alert("a1")
    await alerts.apply([_opened(first)])
    resolved = replace(first, resolved_at=NOW + timedelta(minutes=2))
    await alerts.apply([AlertEvent(AlertEventKind.RESOLVED, resolved)])
    changes = await alerts.changes_since(NOW - timedelta(seconds=1))
    assert [(e.kind, e.alert.alert_id) for e in changes] == [
        (AlertEventKind.OPENED, "a1"),
        (AlertEventKind.RESOLVED, "a1"),
    ]
    later = await alerts.changes_since(NOW + timedelta(minutes=1))
    assert [(e.kind, e.alert.alert_id) for e in later] == [(AlertEventKind.RESOLVED, "a1")]
