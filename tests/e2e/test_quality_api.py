"""End to end: QualityService behind the real AuthInterceptor, over memory and Postgres:
a report with a gap, alerts opened by the monitor, listed, watched and resolved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.rpc import error_details_pb2
from grpc import aio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.grpc.quality_servicer import quality_binding
from omc.adapters.memory.alerts import MemoryAlertRepository, RecordingAlertSink
from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.collection import MemoryCollectorLock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.memory.quality import MemoryQualityStats
from omc.adapters.postgres.alerts import PostgresAlertRepository
from omc.adapters.postgres.quality import PostgresQualityStats
from omc.application.quality import QualityAlerts, QualityMonitor, QualityReports
from omc.application.quality_ports import AlertRepository, QualityStatsSource
from omc.domain.quality import QualityPolicy
from omc.v1 import quality_pb2 as pb
from omc.v1 import quality_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import BOUNDED, Secured, bearer, details, serve_secured
from tests.unit.quality.scenarios import NOW, ticks


class Served:
    def __init__(self, secured: Secured, storage: Storage, monitor: QualityMonitor) -> None:
        self.secured = secured
        self.storage = storage
        self.monitor = monitor
        self.stub = quality_pb2_grpc.QualityServiceStub(secured.channel)


@pytest.fixture
async def served(storage: Storage, request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    clock = FixedClock(NOW)
    source: QualityStatsSource
    alerts: AlertRepository
    if storage.name == "postgres":
        engine: AsyncEngine = request.getfixturevalue("clean_postgres")
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE quality_alerts, collector_runs"))
        source, alerts = PostgresQualityStats(engine), PostgresAlertRepository(engine)
    else:
        source, alerts = MemoryQualityStats(storage.repositories), MemoryAlertRepository()
    reports = QualityReports(source, QualityPolicy(), clock)
    alert_use_cases = QualityAlerts(alerts, clock)
    monitor = QualityMonitor(
        reports, alerts, [RecordingAlertSink()], MemoryCollectorLock(clock), clock
    )
    secured = await serve_secured(
        storage.repositories,
        storage.fanout,
        MemoryApiKeyRepository(),
        extra_services=[quality_binding(reports, alert_use_cases, watch_poll_seconds=0.05)],
    )
    try:
        yield Served(secured, storage, monitor)
    finally:
        await secured.close()


async def test_report_needs_a_key_with_ledger_read(served: Served) -> None:
    with pytest.raises(aio.AioRpcError) as error:
        await served.stub.GetQualityReport(pb.GetQualityReportRequest())
    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    key = await served.secured.key("trading:read")
    with pytest.raises(aio.AioRpcError) as error:
        await served.stub.GetQualityReport(pb.GetQualityReportRequest(), metadata=bearer(key))
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_bad_ledger_and_window_are_invalid_arguments(served: Served) -> None:
    key = await served.secured.key("ledger:read")
    with pytest.raises(aio.AioRpcError) as error:
        await served.stub.GetQualityReport(
            pb.GetQualityReportRequest(ledger="moon", window=Duration(seconds=90)),
            metadata=bearer(key),
        )
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    [bad] = details(error.value, error_details_pb2.BadRequest)
    assert {v.field for v in bad.field_violations} == {"ledger", "window"}


async def test_gap_report_alert_watch_and_resolution(served: Served) -> None:
    key = await served.secured.key("ledger:read")
    ticks_repo = served.storage.repositories.price_ticks
    await ticks_repo.add_many(ticks("BTC", NOW - timedelta(hours=2), NOW - timedelta(minutes=20)))

    response = await served.stub.GetQualityReport(
        pb.GetQualityReportRequest(ledger="exchange"), metadata=bearer(key)
    )
    [exchange] = response.report.ledgers
    assert exchange.ledger == "exchange"
    assert exchange.timeliness == 0.0
    assert exchange.overall < 0.7
    [gap] = exchange.gaps
    assert gap.key == "BTC/AUD"
    assert gap.open
    assert gap.start.ToDatetime().replace(tzinfo=NOW.tzinfo) == NOW - timedelta(minutes=20)
    assert any("20 min" in line.message for line in exchange.lines)

    first = await served.monitor.run_once()
    assert first.ran
    assert {e.alert.scope for e in first.events} == {"exchange", "system"}
    assert (await served.monitor.run_once()).events == []  # not repeated while it holds

    listed = await served.stub.ListQualityAlerts(
        pb.ListQualityAlertsRequest(status=pb.ALERT_STATUS_FILTER_OPEN), metadata=bearer(key)
    )
    assert {a.scope for a in listed.alerts} == {"exchange", "system"}
    exchange_alert = next(a for a in listed.alerts if a.scope == "exchange")
    assert exchange_alert.severity == pb.ALERT_SEVERITY_MEDIUM
    assert exchange_alert.report["overall"] == pytest.approx(exchange_alert.score)

    stream = served.stub.WatchQualityAlerts(
        pb.WatchQualityAlertsRequest(send_open=True), metadata=bearer(key)
    )
    opened = [await asyncio.wait_for(stream.read(), BOUNDED) for _ in range(2)]
    assert {e.kind for e in opened} == {pb.ALERT_EVENT_KIND_OPENED}

    # The feed resumes: the next cycle resolves both alerts and watchers hear of it.
    served.monitor._clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    await ticks_repo.add_many(ticks("BTC", NOW, NOW + timedelta(minutes=5)))
    resolved_run = await served.monitor.run_once()
    assert {e.kind.value for e in resolved_run.events} == {"resolved"}
    resolved = [await asyncio.wait_for(stream.read(), BOUNDED) for _ in range(2)]
    assert {e.kind for e in resolved} == {pb.ALERT_EVENT_KIND_RESOLVED}
    assert all(e.alert.HasField("resolved_at") for e in resolved)
    stream.cancel()

    still_open = await served.stub.ListQualityAlerts(
        pb.ListQualityAlertsRequest(status=pb.ALERT_STATUS_FILTER_OPEN), metadata=bearer(key)
    )
    assert list(still_open.alerts) == []
