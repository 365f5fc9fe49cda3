"""Alerts on overall scores: opened once, raised again on a severity change, resolved on
recovery. `decide` is the whole state machine; the application persists its events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from omc.domain.quality.policy import Thresholds


class Severity(StrEnum):
    MEDIUM = "medium"
    HIGH = "high"


class AlertEventKind(StrEnum):
    OPENED = "opened"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class QualityAlert:
    alert_id: str
    # A ledger name, or "system".
    scope: str
    severity: Severity
    score: float
    opened_at: datetime
    # The report that raised the alert, as JSON-ready data.
    report: Mapping[str, Any]
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    kind: AlertEventKind
    alert: QualityAlert
    # When resolved because the severity changed, the alert opened in its place.
    reason: str = ""


def severity_of(score: float | None, thresholds: Thresholds) -> Severity | None:
    if score is None:
        return None
    if score < thresholds.high:
        return Severity.HIGH
    if score < thresholds.medium:
        return Severity.MEDIUM
    return None


def decide(
    scores: Mapping[str, float | None],
    open_alerts: Mapping[str, QualityAlert],
    thresholds: Thresholds,
    *,
    now: datetime,
    report: Mapping[str, Any],
    new_id: Callable[[], str],
) -> list[AlertEvent]:
    """Events that bring the open alerts in line with `scores`. A scope without a score
    (no data) keeps whatever is open: absence of data is not a recovery."""
    events: list[AlertEvent] = []
    for scope in sorted(set(scores) | set(open_alerts)):
        score = scores.get(scope)
        current = open_alerts.get(scope)
        if score is None:
            continue
        wanted = severity_of(score, thresholds)
        if current is not None and current.severity == wanted:
            continue
        if current is not None:
            reason = "recovered" if wanted is None else f"severity changed to {wanted}"
            events.append(
                AlertEvent(AlertEventKind.RESOLVED, replace(current, resolved_at=now), reason)
            )
        if wanted is not None:
            alert = QualityAlert(new_id(), scope, wanted, score, now, report)
            reason = "" if current is None else f"severity changed from {current.severity}"
            events.append(AlertEvent(AlertEventKind.OPENED, alert, reason))
    return events
