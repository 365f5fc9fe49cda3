from __future__ import annotations

import pytest

from omc.application.rate_limit import RateLimited, RateLimiter


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_per_principal() -> None:
    ticker = Ticker()
    limiter = RateLimiter(rate=2.0, burst=3, monotonic=ticker)
    for _ in range(3):
        limiter.acquire("alice")
    with pytest.raises(RateLimited) as raised:
        limiter.acquire("alice")
    assert raised.value.retry_after_seconds == pytest.approx(0.5)
    limiter.acquire("bob")  # another principal has its own bucket
    ticker.now = 0.5
    limiter.acquire("alice")
    with pytest.raises(RateLimited):
        limiter.acquire("alice")


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=0, burst=1)
