"""Telemetry port: the few numbers operators alarm on.

The core reports what happened in domain words (an RPC finished, a collector ran,
a ledger was scored, an agent session ended); an adapter decides how that reaches a
metrics backend. `NullMetrics` is the default so nothing needs a backend to run.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """Sink for operational metrics. Implementations must never raise into the caller:
    losing a data point is always better than failing the request that produced it."""

    def rpc(self, method: str, code: str, duration_ms: float) -> None:
        """One finished RPC: full method name, canonical status code name, wall time."""
        ...

    def collector_run(self, collector: str, status: str, inserted: int) -> None:
        """One collector tick: which upstream, how it ended, how many new records."""
        ...

    def quality_score(self, ledger: str, score: float) -> None:
        """The latest data-quality score of a ledger, between 0 and 1."""
        ...

    def agent_session(self, outcome: str) -> None:
        """One finished agent session and how it ended."""
        ...


class NullMetrics:
    """Discards everything; for tests, local runs and `OMC_METRICS=none`."""

    def rpc(self, method: str, code: str, duration_ms: float) -> None:
        return None

    def collector_run(self, collector: str, status: str, inserted: int) -> None:
        return None

    def quality_score(self, ledger: str, score: float) -> None:
        return None

    def agent_session(self, outcome: str) -> None:
        return None
