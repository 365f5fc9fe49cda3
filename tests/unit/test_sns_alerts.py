"""SNS alert sink against moto's SNS (subscribed SQS queue shows what was published)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from omc.adapters.aws.sns_alerts import SnsAlertSink
from omc.adapters.memory.clock import FixedClock
from omc.application.quality import QualityMonitor, RetryPolicy
from omc.domain.quality import AlertEvent, AlertEventKind, QualityAlert, Severity

NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)
REGION = "ap-southeast-2"
ALERT = QualityAlert(
    "a1",
    "exchange",
    Severity.HIGH,
    0.42,
    NOW,
    {"lines": [{"message": "gap BTC/AUD: 2025-06-02T11:40:00+00:00 to now"}]},
)


@pytest.fixture
def aws() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="omc-quality")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        yield sns, topic, queue


def _received(queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


async def test_opened_and_resolved_events_reach_the_topic(aws: tuple[Any, str, str]) -> None:
    sns, topic, queue = aws
    sink = SnsAlertSink(sns, topic)
    await sink.deliver(AlertEvent(AlertEventKind.OPENED, ALERT))
    resolved = replace(ALERT, resolved_at=NOW + timedelta(minutes=3))
    await sink.deliver(AlertEvent(AlertEventKind.RESOLVED, resolved, "recovered"))
    bodies = _received(queue)
    assert len(bodies) == 2
    opened = next(b for b in bodies if "OPEN " in b["Subject"])
    assert opened["Subject"] == "[OMC data quality] OPEN high exchange 0.42"
    assert "gap BTC/AUD" in opened["Message"]
    assert opened["MessageAttributes"]["severity"]["Value"] == "high"
    closed = next(b for b in bodies if "RESOLVED" in b["Subject"])
    assert "Reason: recovered." in closed["Message"]


async def test_a_missing_topic_fails_delivery_and_the_monitor_retries_and_carries_on(
    aws: tuple[Any, str, str],
) -> None:
    sns, topic, _ = aws
    sink = SnsAlertSink(sns, topic + "-gone")
    with pytest.raises(Exception, match=r"(?i)not.?found|does not exist"):
        await sink.deliver(AlertEvent(AlertEventKind.OPENED, ALERT))

    # The monitor's delivery step retries a failing sink and reports, never raises.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monitor = QualityMonitor(
        reports=None,  # type: ignore[arg-type] (delivery only)
        repository=None,  # type: ignore[arg-type]
        sinks=[sink],
        lock=None,  # type: ignore[arg-type]
        clock=FixedClock(NOW),
        retry=RetryPolicy(attempts=3, first_delay=0.5),
        sleep=sleep,
    )
    delivered = await monitor._deliver(sink, AlertEvent(AlertEventKind.OPENED, ALERT))
    assert delivered is False
    assert slept == [0.5, 1.0]
