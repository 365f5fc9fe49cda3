"""Collection use cases: run a collector once, schedule every collector, report health.

A run is fetch -> parse -> screen -> ingest, recorded as a CollectorRun. Records that
break the domain rules are screened out one by one (the ledger ingest rejects a whole
batch for one bad record, which is right for API callers but would let one odd upstream
row block a source), so good records land and the run is partial.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import uuid4

from omc.application.collection_ports import (
    CollectorLock,
    CollectorRunRepository,
    FetchResult,
    Rejected,
    SourceDisabled,
    SourceFetcher,
    SourceUnavailable,
    excerpt,
)
from omc.application.errors import (
    ApplicationError,
    FieldViolation,
    InvalidArgument,
    ValidationError,
)
from omc.application.ingest import DEFAULT_MAX_BATCH
from omc.application.ledger import LedgerUseCases
from omc.application.paging import (
    MAX_PAGE_SIZE,
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import Clock, Condition, IngestResult, Op, PageRequest
from omc.application.queries import ListResult
from omc.domain.catalyst import CatalystEvent
from omc.domain.collection import (
    HEALTH_WINDOW,
    CollectorHealth,
    CollectorRun,
    RunStatus,
    collector_health,
)
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SocialPost
from omc.domain.record import Ledger, LedgerRecord

R = TypeVar("R", bound=LedgerRecord)

log = logging.getLogger("omc.collect")

# A run's lease: it holds its collector's lock at most this long. A run still going when
# the lease ends is cancelled and recorded as failed, so a hung-but-alive replica frees
# the collector as surely as a dead one (whose lock dies with its database session).
DEFAULT_LOCK_TTL = timedelta(minutes=10)
# Rejects named in a run's error text; the rest are counted and logged.
ERROR_REJECTS_SHOWN = 3
MAX_ERROR_TEXT = 2_000

Ingest = Callable[[Sequence[R]], Awaitable[IngestResult]]


@dataclass(frozen=True, slots=True)
class Collector(Generic[R]):
    """A source wired to the ledger it fills."""

    name: str
    ledger: Ledger
    cadence: timedelta
    fetcher: SourceFetcher[R]
    ingest: Ingest[R]
    # The operator's switch (configuration); the fetcher may disable itself as well.
    enabled: bool = True
    # How long one run may hold the collector (None: the RunCollector's default).
    lease: timedelta | None = None


def ingestor_for(use_cases: LedgerUseCases, record_type: type[Any]) -> Ingest[Any]:
    """The ledger ingest use case for a record type."""
    ingestors: dict[type[Any], Ingest[Any]] = {
        PriceTick: use_cases.ingest_price_ticks,
        ProtocolMetric: use_cases.ingest_protocol_metrics,
        OnChainMetric: use_cases.ingest_onchain_metrics,
        NewsItem: use_cases.ingest_news_items,
        SocialPost: use_cases.ingest_social_posts,
        CatalystEvent: use_cases.ingest_catalyst_events,
    }
    return ingestors[record_type]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


@dataclass(slots=True)
class _Outcome:
    """What a run got to, filled in as it goes: a run cut off by its lease is recorded
    with whatever it had already stored."""

    status: RunStatus = RunStatus.FAILED
    fetched: int = 0
    stored: IngestResult = field(default_factory=IngestResult)
    rejected: int = 0
    error: str = ""


def lease_exceeded(collector: str, lease: timedelta) -> str:
    return f"{collector} exceeded its {lease.total_seconds():g} s lease and was cancelled"


class RunCollector:
    """Runs one collector and records the run. Never raises for source trouble: that is
    what the run's status and error text are for. Only a failure to record the run
    (storage down) propagates."""

    def __init__(
        self,
        runs: CollectorRunRepository,
        clock: Clock,
        lock: CollectorLock | None = None,
        *,
        lock_ttl: timedelta = DEFAULT_LOCK_TTL,
        max_batch: int = DEFAULT_MAX_BATCH,
        new_id: Callable[[], str] = lambda: uuid4().hex,
    ) -> None:
        self._runs = runs
        self._clock = clock
        self._lock = lock
        self._lock_ttl = lock_ttl
        self._max_batch = max_batch
        self._new_id = new_id
        self._disabled_logged: dict[str, str] = {}

    def lease(self, collector: Collector[Any]) -> timedelta:
        """How long one run of `collector` may take (and hold its lock)."""
        return collector.lease or self._lock_ttl

    async def __call__(self, collector: Collector[Any]) -> CollectorRun:
        """Runs now, as an operator asked. If another run of the collector is in progress
        anywhere, records and returns a skipped run instead of waiting."""
        if self._lock is None:
            return await self._run_and_record(collector)
        async with self._lock.hold(collector.name, self.lease(collector)) as acquired:
            if not acquired:
                started = self._clock.now()
                return await self._record(
                    collector.name,
                    started,
                    RunStatus.SKIPPED,
                    error=f"another run of {collector.name} is in progress",
                )
            return await self._run_and_record(collector)

    async def if_due(
        self, collector: Collector[Any], min_interval: timedelta
    ) -> CollectorRun | None:
        """A scheduled tick: runs unless another replica holds the collector or ran it
        less than `min_interval` ago. Deciding inside the lock, against the shared run
        store, is what makes one run per tick across replicas (a bare mutex would let a
        second replica run again right after the first released it). A disabled source is
        not recorded on every tick: its health says disabled."""
        reason = await self._disabled_reason(collector)
        if reason is not None:
            if self._disabled_logged.get(collector.name) != reason:
                log.warning("collector %s disabled: %s", collector.name, reason)
                self._disabled_logged[collector.name] = reason
            return None
        self._disabled_logged.pop(collector.name, None)
        if self._lock is None:
            return await self._run_if_due(collector, min_interval)
        async with self._lock.hold(collector.name, self.lease(collector)) as acquired:
            if not acquired:
                return None
            return await self._run_if_due(collector, min_interval)

    async def _run_if_due(
        self, collector: Collector[Any], min_interval: timedelta
    ) -> CollectorRun | None:
        latest = await self._runs.recent(collector.name, 1)
        if latest and latest[0].started_at > self._clock.now() - min_interval:
            return None
        return await self._run_and_record(collector)

    async def _disabled_reason(self, collector: Collector[Any]) -> str | None:
        if not collector.enabled:
            return "disabled by configuration"
        return await collector.fetcher.disabled_reason()

    async def _run_and_record(self, collector: Collector[Any]) -> CollectorRun:
        """One run, bounded by the collector's lease: a run that outlives it is cancelled
        (the HTTP calls and the ingest transaction under way are abandoned, so nothing of
        the unfinished batch is written) and recorded as failed. The run is recorded after
        the bound, so the record itself is never cut off."""
        started = self._clock.now()
        reason = await self._disabled_reason(collector)
        if reason is not None:
            return await self._record(collector.name, started, RunStatus.SKIPPED, error=reason)
        lease = self.lease(collector)
        outcome = _Outcome()
        bound = asyncio.timeout(lease.total_seconds())
        try:
            async with bound:
                await self._attempt(collector, outcome)
        except TimeoutError:
            if not bound.expired():
                raise
            log.error("collector %s: %s", collector.name, lease_exceeded(collector.name, lease))
            outcome.status = RunStatus.FAILED
            outcome.error = lease_exceeded(collector.name, lease) + (
                f"; {outcome.stored.inserted + outcome.stored.updated} records stored before it"
                " are kept (the next run stores the rest)"
                if outcome.stored.inserted or outcome.stored.updated
                else "; nothing was stored"
            )
        return await self._record(
            collector.name,
            started,
            outcome.status,
            fetched=outcome.fetched,
            stored=outcome.stored,
            rejected=outcome.rejected,
            error=outcome.error,
        )

    async def _attempt(self, collector: Collector[Any], outcome: _Outcome) -> None:
        try:
            fetched = await collector.fetcher.fetch()
        except SourceDisabled as error:
            outcome.status, outcome.error = RunStatus.SKIPPED, str(error)
            return
        except SourceUnavailable as error:
            log.warning("collector %s failed: %s", collector.name, error)
            outcome.error = str(error)
            return
        except Exception as error:  # a parser bug must not kill the scheduler
            log.exception("collector %s crashed", collector.name)
            outcome.error = f"unexpected {type(error).__name__} while fetching"
            return
        await self._store(collector, fetched, outcome)

    async def _store(
        self, collector: Collector[Any], fetched: FetchResult[Any], outcome: _Outcome
    ) -> None:
        good, screened = self._screen(fetched.records)
        rejected = [*fetched.rejected, *screened]
        outcome.fetched = len(fetched.records) + len(fetched.rejected)
        outcome.rejected = len(rejected)
        for item in rejected:
            log.warning(
                "collector %s rejected a record: %s | %s",
                collector.name,
                item.reason,
                excerpt(item.excerpt),
            )
        if not good and rejected:
            outcome.error = f"all {len(rejected)} records rejected; " + _summary(rejected)
            return
        try:
            for offset in range(0, len(good), self._max_batch):
                # Counted batch by batch: each batch is one transaction, stored or not.
                outcome.stored += await collector.ingest(good[offset : offset + self._max_batch])
        except ApplicationError as error:
            log.error("collector %s could not store its records: %s", collector.name, error)
            outcome.error = f"storing failed: {error}"
            return
        except ValidationError as error:  # screening should have caught every violation
            outcome.error = f"records rejected by ingest: {error}"
            return
        outcome.status = RunStatus.PARTIAL if rejected else RunStatus.SUCCESS
        outcome.error = _summary(rejected) if rejected else ""

    def _screen(self, records: Sequence[LedgerRecord]) -> tuple[list[Any], list[Rejected]]:
        now = self._clock.now()
        good: list[Any] = []
        rejected: list[Rejected] = []
        for record in records:
            violations = record.normalized().violations(now)
            if violations:
                reason = "; ".join(f"{v.field}: {v.description}" for v in violations)
                rejected.append(Rejected(reason, excerpt(record)))
            else:
                good.append(record)
        return good, rejected

    async def _record(
        self,
        collector: str,
        started: datetime,
        status: RunStatus,
        *,
        fetched: int = 0,
        stored: IngestResult | None = None,
        rejected: int = 0,
        error: str = "",
    ) -> CollectorRun:
        stored = stored or IngestResult()
        run = CollectorRun(
            run_id=self._new_id(),
            collector=collector,
            started_at=started,
            finished_at=max(started, self._clock.now()),
            status=status,
            fetched=fetched,
            inserted=stored.inserted,
            updated=stored.updated,
            duplicate=stored.duplicate,
            rejected=rejected,
            error=_clip(error),
        )
        await self._runs.add(run)
        log.info(
            "collector %s %s: fetched=%d inserted=%d updated=%d duplicate=%d rejected=%d",
            collector,
            status,
            run.fetched,
            run.inserted,
            run.updated,
            run.duplicate,
            run.rejected,
        )
        return run


def _summary(rejected: Sequence[Rejected]) -> str:
    shown = "; ".join(item.reason for item in rejected[:ERROR_REJECTS_SHOWN])
    more = len(rejected) - ERROR_REJECTS_SHOWN
    return f"{len(rejected)} rejected: {shown}" + (f" (+{more} more)" if more > 0 else "")


class Scheduler:
    """Runs every enabled collector on its cadence, each in its own task.

    A slow or hanging source only delays itself; an exception is logged and the loop
    goes on. Ticks are spread with jitter so replicas do not stampede a source, and
    `RunCollector.if_due` makes sure one replica runs each tick.
    """

    def __init__(
        self,
        run_collector: RunCollector,
        collectors: Sequence[Collector[Any]],
        *,
        jitter: float = 0.1,
        due_fraction: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 <= jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        self._run = run_collector
        self._collectors = list(collectors)
        self._jitter = jitter
        self._due_fraction = due_fraction
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def start(self) -> None:
        if self._tasks:
            raise RuntimeError("scheduler already started")
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._loop(collector), name=f"collector:{collector.name}")
            for collector in self._collectors
            if collector.enabled
        ]

    async def stop(self, grace: float = 10.0) -> None:
        """Lets runs in progress finish for up to `grace` seconds, then cancels them."""
        self._stopping.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def __aenter__(self) -> Scheduler:
        self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def tick(self, collector: Collector[Any]) -> CollectorRun | None:
        """One scheduled attempt (what each loop does on its cadence)."""
        return await self._run.if_due(collector, collector.cadence * self._due_fraction)

    async def _loop(self, collector: Collector[Any]) -> None:
        loop = asyncio.get_running_loop()
        cadence = collector.cadence.total_seconds()
        # The first tick comes soon but spread out, so replicas started together differ.
        next_at = loop.time() + self._rng.uniform(0, self._jitter * cadence)
        while not self._stopping.is_set():
            if await self._stopped_within(max(0.0, next_at - loop.time())):
                return
            started = loop.time()
            try:
                await self.tick(collector)
            except Exception:
                log.exception("scheduled run of %s failed", collector.name)
            spread = self._rng.uniform(-self._jitter, self._jitter)
            next_at = started + cadence * (1 + spread)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    name: str
    ledger: Ledger
    cadence: timedelta
    enabled: bool
    disabled_reason: str | None
    health: CollectorHealth
    last_run: CollectorRun | None


class ListCollectors:
    """Every collector with its health from recent runs."""

    def __init__(
        self,
        collectors: Sequence[Collector[Any]],
        runs: CollectorRunRepository,
        *,
        window: int = HEALTH_WINDOW,
    ) -> None:
        self._collectors = list(collectors)
        self._runs = runs
        self._window = window

    @property
    def collectors(self) -> tuple[Collector[Any], ...]:
        return tuple(self._collectors)

    async def __call__(self) -> list[CollectorStatus]:
        statuses = []
        for collector in self._collectors:
            reason = (
                "disabled by configuration"
                if not collector.enabled
                else await collector.fetcher.disabled_reason()
            )
            recent = await self._runs.recent(collector.name, self._window)
            statuses.append(
                CollectorStatus(
                    name=collector.name,
                    ledger=collector.ledger,
                    cadence=collector.cadence,
                    enabled=reason is None,
                    disabled_reason=reason,
                    health=collector_health(recent, enabled=reason is None, window=self._window),
                    last_run=recent[0] if recent else None,
                )
            )
        return statuses

    def find(self, name: str) -> Collector[Any]:
        """The collector called `name`; InvalidArgument naming the known ones otherwise."""
        for collector in self._collectors:
            if collector.name == name:
                return collector
        known = ", ".join(c.name for c in self._collectors)
        raise InvalidArgument([FieldViolation("name", f"unknown collector (known: {known})")])


class ListCollectorRuns:
    """Runs newest first, AIP-158 paged, optionally for one collector."""

    def __init__(self, runs: CollectorRunRepository, *, max_page_size: int = MAX_PAGE_SIZE) -> None:
        self._runs = runs
        self._max_page_size = max_page_size

    async def __call__(
        self, collector: str | None = None, *, page_size: int = 0, page_token: str = ""
    ) -> ListResult[CollectorRun]:
        if collector and "\x00" in collector:
            # No stored name can hold NUL (Postgres refuses it): bad input, not a fault.
            raise InvalidArgument([FieldViolation("collector", "must not contain NUL characters")])
        conditions = [Condition("collector", Op.EQ, collector)] if collector else []
        fingerprint = filter_fingerprint("collector_runs", conditions, True)
        after = decode_page_token(page_token, fingerprint)
        size = effective_page_size(page_size, maximum=self._max_page_size)
        page = await self._runs.list(collector, PageRequest(size, after, newest_first=True))
        token = "" if page.next_after is None else encode_page_token(fingerprint, page.next_after)
        return ListResult(page.items, token)


@dataclass(frozen=True, slots=True)
class CollectorUseCases:
    """What the API and the CLI offer about collectors, over one set of collectors."""

    list_collectors: ListCollectors
    run_collector: RunCollector
    list_runs: ListCollectorRuns

    @classmethod
    def build(
        cls,
        collectors: Sequence[Collector[Any]],
        runs: CollectorRunRepository,
        lock: CollectorLock | None,
        clock: Clock,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> CollectorUseCases:
        return cls(
            ListCollectors(collectors, runs),
            RunCollector(runs, clock, lock, max_batch=max_batch),
            ListCollectorRuns(runs, max_page_size=max_page_size),
        )

    @property
    def collectors(self) -> list[Collector[Any]]:
        return list(self.list_collectors.collectors)

    async def run(self, name: str) -> CollectorRun:
        """Runs the collector called `name` now (InvalidArgument when there is none)."""
        if not name.strip():
            raise InvalidArgument([FieldViolation("name", "required: the collector to run")])
        return await self.run_collector(self.list_collectors.find(name.strip()))
