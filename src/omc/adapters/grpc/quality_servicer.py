"""omc.v1.QualityService: proto -> use case -> proto, and its server binding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from omc.adapters.grpc.errors import ServerShuttingDown
from omc.adapters.grpc.mapping import EPOCH, FAR_FUTURE, datetime_from_timestamp
from omc.adapters.grpc.server import ServiceBinding
from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.quality import QualityAlerts, QualityReports
from omc.application.quality_ports import AlertStatus
from omc.domain.quality import AlertEvent, AlertEventKind, QualityAlert, QualityReport, Severity
from omc.domain.quality.report import LedgerReport, Line
from omc.v1 import quality_pb2 as pb
from omc.v1 import quality_pb2_grpc

Context: TypeAlias = aio.ServicerContext[Any, Any]

QUALITY_SERVICE = pb.DESCRIPTOR.services_by_name["QualityService"].full_name
DEFAULT_WATCH_POLL_SECONDS = 2.0

_SEVERITY = {
    Severity.MEDIUM: pb.ALERT_SEVERITY_MEDIUM,
    Severity.HIGH: pb.ALERT_SEVERITY_HIGH,
}
_KIND = {
    AlertEventKind.OPENED: pb.ALERT_EVENT_KIND_OPENED,
    AlertEventKind.RESOLVED: pb.ALERT_EVENT_KIND_RESOLVED,
}
_STATUS = {
    pb.ALERT_STATUS_FILTER_OPEN: AlertStatus.OPEN,
    pb.ALERT_STATUS_FILTER_RESOLVED: AlertStatus.RESOLVED,
}


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _lines(lines: tuple[Line, ...]) -> list[pb.QualityLine]:
    return [
        pb.QualityLine(
            level=str(line.level),
            scope=line.scope,
            dimension=str(line.dimension),
            message=line.message,
        )
        for line in lines
    ]


def _ledger(report: LedgerReport) -> pb.LedgerQuality:
    message = pb.LedgerQuality(
        ledger=str(report.ledger),
        has_data=report.has_data,
        records=report.records,
        gaps=[
            pb.QualityGap(
                key=g.key, start=_ts(g.start), end=_ts(g.end), missing=g.missing, open=g.open
            )
            for g in report.gaps
        ],
        outliers=[
            pb.QualityOutlier(
                symbol=o.symbol,
                quote=o.quote,
                source=o.source,
                observed_at=_ts(o.observed_at),
                last=str(o.last),
                median=o.median,
                deviation=o.deviation,
            )
            for o in report.outliers
        ],
        freshness=[
            pb.FeedFreshness(
                feed=f.feed,
                newest=_ts(f.newest) if f.newest else None,
                age_seconds=f.age_seconds or 0.0,
                score=f.score,
            )
            for f in report.freshness
        ],
        volume=[
            pb.VolumeCheck(
                record_type=v.record_type,
                current=v.current,
                baseline_mean=v.baseline_mean,
                baseline_std=v.baseline_std,
                z=v.z,
                verdict=str(v.verdict),
            )
            for v in report.volume
        ],
        lines=_lines(report.lines),
    )
    _scores(message, report)
    return message


def _scores(message: Any, scores: Any) -> None:
    for name in ("completeness", "timeliness", "accuracy", "overall"):
        value = getattr(scores, name)
        if value is not None:
            setattr(message, name, value)


def report_to_proto(report: QualityReport) -> pb.QualityReport:
    message = pb.QualityReport(
        window_start=_ts(report.window_start),
        window_end=_ts(report.window_end),
        ledgers=[_ledger(ledger) for ledger in report.ledgers],
        lines=_lines(report.lines),
    )
    _scores(message, report)
    return message


def alert_to_proto(alert: QualityAlert) -> pb.QualityAlert:
    report = Struct()
    report.update(dict(alert.report))
    return pb.QualityAlert(
        alert_id=alert.alert_id,
        scope=alert.scope,
        severity=_SEVERITY[alert.severity],
        score=alert.score,
        opened_at=_ts(alert.opened_at),
        resolved_at=_ts(alert.resolved_at) if alert.resolved_at else None,
        report=report,
    )


def event_to_proto(event: AlertEvent) -> pb.WatchQualityAlertsResponse:
    return pb.WatchQualityAlertsResponse(kind=_KIND[event.kind], alert=alert_to_proto(event.alert))


class QualityServicer(quality_pb2_grpc.QualityServiceServicer):
    def __init__(
        self,
        reports: QualityReports,
        alerts: QualityAlerts,
        *,
        watch_poll_seconds: float = DEFAULT_WATCH_POLL_SECONDS,
    ) -> None:
        self._reports = reports
        self._alerts = alerts
        self._poll = watch_poll_seconds
        self._closing = asyncio.Event()

    def close_streams(self) -> None:
        self._closing.set()

    async def GetQualityReport(
        self, request: pb.GetQualityReportRequest, context: Context
    ) -> pb.GetQualityReportResponse:
        violations: list[FieldViolation] = []
        window: timedelta | None = None
        if request.HasField("window"):
            try:
                window = request.window.ToTimedelta() or None
            except (ValueError, OverflowError):
                violations.append(FieldViolation("window", "is not a valid duration"))
        as_of: datetime | None = None
        if request.HasField("as_of"):
            as_of = datetime_from_timestamp(request.as_of)
            if as_of in (EPOCH, FAR_FUTURE):
                violations.append(FieldViolation("as_of", "is not a valid timestamp"))
        if violations:
            raise InvalidArgument(violations)
        report = await self._reports.report(request.ledger or None, window, as_of)
        return pb.GetQualityReportResponse(report=report_to_proto(report))

    async def ListQualityAlerts(
        self, request: pb.ListQualityAlertsRequest, context: Context
    ) -> pb.ListQualityAlertsResponse:
        page = await self._alerts.list(
            _STATUS.get(request.status),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListQualityAlertsResponse(
            alerts=[alert_to_proto(alert) for alert in page.items],
            next_page_token=page.next_page_token,
        )

    async def WatchQualityAlerts(
        self, request: pb.WatchQualityAlertsRequest, context: Context
    ) -> AsyncIterator[pb.WatchQualityAlertsResponse]:
        if self._closing.is_set():
            raise ServerShuttingDown
        events = self._alerts.watch(
            send_open=request.send_open, poll_interval=self._poll, stop=self._closing
        )
        async for event in events:
            yield event_to_proto(event)
        raise ServerShuttingDown


def quality_binding(
    reports: QualityReports,
    alerts: QualityAlerts,
    watch_poll_seconds: float = DEFAULT_WATCH_POLL_SECONDS,
) -> ServiceBinding:
    servicer = QualityServicer(reports, alerts, watch_poll_seconds=watch_poll_seconds)
    return ServiceBinding(
        QUALITY_SERVICE,
        lambda server: quality_pb2_grpc.add_QualityServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
        servicer.close_streams,
    )
