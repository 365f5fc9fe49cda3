"""Operational metrics: which backend (OMC_METRICS), and the decorators that report
collector runs, quality scores and agent sessions without the core knowing about it."""

from __future__ import annotations

from typing import Any

from omc.adapters.aws.metrics_emf import EmfMetrics
from omc.application.telemetry import Metrics, NullMetrics
from omc.bootstrap.settings import Settings
from omc.domain.agent.sessions import SessionStatus

_FINAL_SESSION_STATUSES = frozenset(
    {SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED}
)


def build_metrics(settings: Settings) -> Metrics:
    if settings.metrics == "emf":
        return EmfMetrics(settings.environment)
    return NullMetrics()


class _Delegating:
    """Everything not overridden goes to the wrapped object unchanged."""

    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class MeteredRunRepository(_Delegating):
    """A collector run store that also reports each recorded run."""

    async def add(self, run: Any) -> None:
        await self._inner.add(run)
        self._metrics.collector_run(run.collector, str(run.status), run.inserted)


class MeteredQualityReports(_Delegating):
    """The monitor's reports, each score also reported (API reads are not counted)."""

    async def report(self, *args: Any, **kwargs: Any) -> Any:
        report = await self._inner.report(*args, **kwargs)
        for scope, score in report.scores().items():
            if score is not None:
                self._metrics.quality_score(scope, score)
        return report


class MeteredSessionStore(_Delegating):
    """An agent session store that reports each session reaching a final status."""

    async def set_status(
        self, session_id: str, status: SessionStatus, *args: Any, **kw: Any
    ) -> Any:
        session = await self._inner.set_status(session_id, status, *args, **kw)
        if status in _FINAL_SESSION_STATUSES:
            self._metrics.agent_session(status.value)
        return session

    async def append(self, *args: Any, status: Any = None, **kwargs: Any) -> Any:
        events = await self._inner.append(*args, status=status, **kwargs)
        if status is not None and status[0] in _FINAL_SESSION_STATUSES:
            self._metrics.agent_session(status[0].value)
        return events
