"""Quality alert delivery to an AWS SNS topic (e-mail, SMS, chat, pagers subscribe).

boto3 is synchronous, so each publish runs in a worker thread. The message is a short
human summary; the full event travels as JSON in a `json` message-structure field for
machine subscribers, and severity/scope/kind as message attributes for filter policies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from omc.domain.quality import AlertEvent, AlertEventKind

# SNS subjects are at most 100 printable ASCII characters.
MAX_SUBJECT = 100


def sns_message(event: AlertEvent) -> dict[str, Any]:
    """The publish() arguments for one event (without the topic)."""
    alert = event.alert
    verb = "OPEN" if event.kind is AlertEventKind.OPENED else "RESOLVED"
    subject = f"[OMC data quality] {verb} {alert.severity} {alert.scope} {alert.score:.2f}"
    lines = [
        f"Data-quality alert {alert.alert_id} {event.kind}: scope {alert.scope}, "
        f"severity {alert.severity}, overall score {alert.score:.2f}.",
        f"Opened at {alert.opened_at.isoformat()}.",
    ]
    if alert.resolved_at is not None:
        lines.append(f"Resolved at {alert.resolved_at.isoformat()}.")
    if event.reason:
        lines.append(f"Reason: {event.reason}.")
    for line in alert.report.get("lines", [])[:5]:
        if isinstance(line, dict) and "message" in line:
            lines.append(f"- {line['message']}")
    detail = {
        "kind": str(event.kind),
        "alert_id": alert.alert_id,
        "scope": alert.scope,
        "severity": str(alert.severity),
        "score": alert.score,
        "opened_at": alert.opened_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "reason": event.reason,
    }
    return {
        "Subject": subject[:MAX_SUBJECT],
        "Message": "\n".join(lines),
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (
                ("kind", str(event.kind)),
                ("severity", str(alert.severity)),
                ("scope", alert.scope),
            )
        },
        "detail": json.dumps(detail),
    }


class SnsAlertSink:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    @property
    def name(self) -> str:
        return "sns"

    async def deliver(self, event: AlertEvent) -> None:
        message = sns_message(event)
        detail = message.pop("detail")
        message["Message"] = json.dumps({"default": message["Message"], "json": detail})
        await asyncio.to_thread(
            self._client.publish,
            TopicArn=self._topic_arn,
            MessageStructure="json",
            **message,
        )
