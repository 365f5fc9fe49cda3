"""Data-quality use cases: the report, alert listings and watches, and the monitor that
turns reports into alerts on a schedule, once across replicas."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from omc.application.collection_ports import CollectorLock
from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.paging import (
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import Clock, Condition, Op, PageRequest
from omc.application.quality_ports import (
    AlertRepository,
    AlertSink,
    AlertStatus,
    QualityStatsSource,
)
from omc.domain.quality import (
    AlertEvent,
    AlertEventKind,
    QualityAlert,
    QualityPolicy,
    QualityReport,
    build_report,
    decide,
    report_to_dict,
)
from omc.domain.record import Ledger

log = logging.getLogger("omc.quality")

MAX_WINDOW = timedelta(days=30)
MONITOR_LOCK = "quality-monitor"


def check_policy(policy: QualityPolicy) -> None:
    """Buckets and hour blocks must line up, or counts per hour would split intervals."""
    cadence = policy.price_cadence
    if cadence <= timedelta(0) or timedelta(hours=1) % cadence or cadence % timedelta(seconds=1):
        raise ValueError("the price cadence must be whole seconds dividing one hour")


class QualityReports:
    def __init__(self, source: QualityStatsSource, policy: QualityPolicy, clock: Clock) -> None:
        check_policy(policy)
        self._source = source
        self.policy = policy
        self._clock = clock

    async def report(
        self,
        ledger: str | None = None,
        window: timedelta | None = None,
        as_of: datetime | None = None,
    ) -> QualityReport:
        """The report over `window` (default the policy's) ending at `as_of` (default
        now), for one ledger or all of them."""
        violations: list[FieldViolation] = []
        ledgers = list(Ledger)
        if ledger:
            try:
                ledgers = [Ledger(ledger.strip().lower())]
            except ValueError:
                known = ", ".join(item.value for item in Ledger)
                violations.append(FieldViolation("ledger", f"must be one of {known}"))
        length = window or self.policy.window
        if length < timedelta(hours=1) or length > MAX_WINDOW or length % timedelta(hours=1):
            violations.append(
                FieldViolation("window", "must be a whole number of hours from 1 h to 30 days")
            )
        now = self._clock.now()
        end = as_of.astimezone(UTC) if as_of is not None and as_of.tzinfo else now
        if as_of is not None and (as_of.tzinfo is None or as_of > now):
            violations.append(FieldViolation("as_of", "must be a UTC time not in the future"))
        if violations:
            raise InvalidArgument(violations)
        stats = await self._source.stats(self.policy.query(end, now, length), ledgers)
        return build_report(stats, self.policy)

    async def keep_hours(self, max_hours: int) -> int:
        """Has the store bring up to date what it keeps per hour for the longest window a
        report may ask (at most `max_hours` hours, newest first); returns how many."""
        now = self._clock.now()
        return await self._source.keep_hours(self.policy.query(now, now, MAX_WINDOW), max_hours)


@dataclass(frozen=True, slots=True)
class AlertPage:
    items: list[QualityAlert]
    next_page_token: str = ""


class QualityAlerts:
    def __init__(
        self, repository: AlertRepository, clock: Clock, *, max_page_size: int = 1_000
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._max_page_size = max_page_size

    async def list(
        self, status: AlertStatus | None, *, page_size: int = 0, page_token: str = ""
    ) -> AlertPage:
        size = effective_page_size(page_size, maximum=self._max_page_size)
        conditions = [Condition("status", Op.EQ, status.value if status else "")]
        fingerprint = filter_fingerprint("quality_alerts", conditions, True)
        after = decode_page_token(page_token, fingerprint)
        page = await self._repository.list(status, PageRequest(size, after, newest_first=True))
        token = encode_page_token(fingerprint, page.next_after) if page.next_after else ""
        return AlertPage(page.items, token)

    async def watch(
        self,
        *,
        send_open: bool,
        poll_interval: float,
        stop: asyncio.Event | None = None,
    ) -> AsyncIterator[AlertEvent]:
        """Alert events as any replica's monitor stores them (polled from the repository,
        so every replica's watchers see every event); first the open alerts if asked."""
        cursor = self._clock.now()
        if send_open:
            for alert in await self._repository.open_alerts():
                yield AlertEvent(AlertEventKind.OPENED, alert)
        while stop is None or not stop.is_set():
            if await _stopped_within(stop, poll_interval):
                return
            events = await self._repository.changes_since(cursor)
            for event in events:
                yield event
                cursor = max(cursor, _event_time(event))


def _event_time(event: AlertEvent) -> datetime:
    alert = event.alert
    if event.kind is AlertEventKind.RESOLVED and alert.resolved_at is not None:
        return alert.resolved_at
    return alert.opened_at


async def _stopped_within(stop: asyncio.Event | None, seconds: float) -> bool:
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    first_delay: float = 0.5
    factor: float = 2.0


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """One monitor cycle: whether this replica ran it, the report and the alert events."""

    ran: bool
    report: QualityReport | None = None
    events: list[AlertEvent] = field(default_factory=list)
    failed_deliveries: int = 0
    # Hours whose per-hour summaries the store brought up to date in this cycle.
    kept_hours: int = 0


class QualityMonitor:
    """Scores the ledgers, opens/resolves alerts and delivers their events.

    Each cycle runs under a cross-replica lock, so with several replicas one of them
    evaluates; the alert state in the repository makes a second evaluation harmless
    anyway (nothing repeats while the condition holds)."""

    def __init__(
        self,
        reports: QualityReports,
        repository: AlertRepository,
        sinks: Sequence[AlertSink],
        lock: CollectorLock,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        new_id: Callable[[], str] = lambda: uuid4().hex,
        keep_hours_per_cycle: int = 0,
    ) -> None:
        self._reports = reports
        self._keep_hours = keep_hours_per_cycle
        self._repository = repository
        self._sinks = tuple(sinks)
        self._lock = lock
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._new_id = new_id
        self._stopping = asyncio.Event()

    async def run_once(self, lock_ttl: timedelta = timedelta(minutes=5)) -> MonitorRun:
        async with self._lock.hold(MONITOR_LOCK, lock_ttl) as acquired:
            if not acquired:
                return MonitorRun(False)
            report = await self._reports.report()
            open_alerts = {alert.scope: alert for alert in await self._repository.open_alerts()}
            events = decide(
                report.scores(),
                open_alerts,
                self._reports.policy.thresholds,
                now=self._clock.now(),
                report=report_to_dict(report),
                new_id=self._new_id,
            )
            applied = await self._repository.apply(events) if events else []
            kept = await self._keep_hours_up_to_date()
        failed = 0
        for event in applied:
            for sink in self._sinks:
                failed += 0 if await self._deliver(sink, event) else 1
        return MonitorRun(True, report, applied, failed, kept)

    async def _keep_hours_up_to_date(self) -> int:
        """A few hours per cycle, so that a long report asked later (up to 30 days) reads
        what the store keeps instead of every record; never a reason to fail a cycle."""
        if self._keep_hours <= 0:
            return 0
        try:
            return await self._reports.keep_hours(self._keep_hours)
        except Exception as error:
            log.warning("quality hours not kept this cycle: %s", type(error).__name__)
            return 0

    async def _deliver(self, sink: AlertSink, event: AlertEvent) -> bool:
        delay = self._retry.first_delay
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await sink.deliver(event)
                return True
            except Exception as error:  # a sink failing must never stop the monitor
                log.warning(
                    "quality alert delivery failed (sink %s, attempt %d of %d): %s",
                    sink.name,
                    attempt,
                    self._retry.attempts,
                    type(error).__name__,
                )
                if attempt < self._retry.attempts:
                    await self._sleep(delay)
                    delay *= self._retry.factor
        log.error("quality alert %s not delivered to %s", event.alert.alert_id, sink.name)
        return False

    def stop(self) -> None:
        self._stopping.set()

    async def run_forever(self, interval: float) -> None:
        """A cycle every `interval` seconds until stop(); a failing cycle is logged and
        the next one runs on time."""
        while not self._stopping.is_set():
            try:
                outcome = await self.run_once(timedelta(seconds=max(interval * 5, 60)))
                if outcome.ran and outcome.report is not None:
                    log.info(
                        "quality cycle: overall %s, %d alert event(s)",
                        outcome.report.overall,
                        len(outcome.events),
                    )
            except Exception:
                log.exception("quality cycle failed")
            if await _stopped_within(self._stopping, interval):
                return
