"""Per-principal rate limiting with token buckets."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from omc.application.errors import ApplicationError

MAX_TRACKED_PRINCIPALS = 100_000


class RateLimited(ApplicationError):
    reason = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"rate limit exceeded; retry after {retry_after_seconds:.2f}s")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` requests per second on average, bursts up to `burst`, per principal.
    Per process: with N replicas the cluster-wide ceiling is N times this."""

    def __init__(
        self, rate: float, burst: int, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate
        self._burst = float(burst)
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, principal_id: str, cost: float = 1.0) -> None:
        now = self._monotonic()
        bucket = self._buckets.get(principal_id)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_PRINCIPALS:
                self._buckets.clear()
            bucket = self._buckets[principal_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < cost:
            raise RateLimited((cost - bucket.tokens) / self._rate)
        bucket.tokens -= cost
