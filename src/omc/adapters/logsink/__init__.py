"""Alert delivery to the structured log (always on: the log is the sink of last resort)."""

from __future__ import annotations

import structlog

from omc.domain.quality import AlertEvent, AlertEventKind

_log = structlog.get_logger("omc.quality.alerts")


class LogAlertSink:
    @property
    def name(self) -> str:
        return "log"

    async def deliver(self, event: AlertEvent) -> None:
        alert = event.alert
        method = _log.warning if event.kind is AlertEventKind.OPENED else _log.info
        method(
            f"quality_alert_{event.kind}",
            alert_id=alert.alert_id,
            scope=alert.scope,
            severity=str(alert.severity),
            score=alert.score,
            opened_at=alert.opened_at.isoformat(),
            resolved_at=alert.resolved_at.isoformat() if alert.resolved_at else None,
            reason=event.reason,
        )
