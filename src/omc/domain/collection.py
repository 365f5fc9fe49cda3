"""Collector runs and the health they add up to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

HEALTHY_RATIO = 0.95
DEGRADED_RATIO = 0.80
# How many recent runs health looks at: enough to smooth one blip, short enough that a
# recovered source turns healthy again within the hour.
HEALTH_WINDOW = 20


class RunStatus(StrEnum):
    SUCCESS = "success"
    # Some records were rejected; the good ones were stored.
    PARTIAL = "partial"
    # Nothing was stored: the source was unreachable, malformed or every record was bad.
    FAILED = "failed"
    # The collector did not run: disabled (no API key), or another run was in progress.
    SKIPPED = "skipped"


class CollectorHealth(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    FAILING = "failing"
    NEVER_RUN = "never_run"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class CollectorRun:
    """One fetch -> parse -> ingest of one collector."""

    run_id: str
    collector: str
    started_at: datetime
    finished_at: datetime
    status: RunStatus
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    error: str = ""

    # Listings page newest first by (started_at, run_id).
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("started_at", "run_id")

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def delivered(self) -> bool:
        """The run reached the source and stored what it could."""
        return self.status in (RunStatus.SUCCESS, RunStatus.PARTIAL)


def success_ratio(runs: Sequence[CollectorRun]) -> float | None:
    """Share of delivered runs among those that ran (skipped runs do not count)."""
    ran = [run for run in runs if run.status is not RunStatus.SKIPPED]
    if not ran:
        return None
    return sum(1 for run in ran if run.delivered) / len(ran)


def collector_health(
    recent: Sequence[CollectorRun], *, enabled: bool, window: int = HEALTH_WINDOW
) -> CollectorHealth:
    """Health from the newest `window` runs (newest first): healthy at >= 95% delivered
    runs, degraded at >= 80%, else failing. A partial run counts as delivered: its good
    records were stored and its rejects are reported on the run."""
    if not enabled:
        return CollectorHealth.DISABLED
    ratio = success_ratio(recent[:window])
    if ratio is None:
        return CollectorHealth.NEVER_RUN
    if ratio >= HEALTHY_RATIO:
        return CollectorHealth.HEALTHY
    if ratio >= DEGRADED_RATIO:
        return CollectorHealth.DEGRADED
    return CollectorHealth.FAILING
