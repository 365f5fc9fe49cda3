"""OMC_METRICS=emf reaches the places the alarms watch: every RPC, collector run, monitor
score and finished agent session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from omc.adapters.aws.metrics_emf import EmfMetrics
from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.agent_sessions import MemorySessionStore
from omc.adapters.memory.collection import MemoryCollectorRunRepository
from omc.application.telemetry import NullMetrics
from omc.bootstrap.metrics import (
    MeteredRunRepository,
    MeteredSessionStore,
    build_metrics,
)
from omc.bootstrap.settings import Settings
from omc.domain.agent.sessions import AgentSession, EventKind, NewEvent, SessionStatus
from omc.domain.collection import CollectorRun, RunStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Recorder:
    """A Metrics implementation that remembers what it was told."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def rpc(self, method: str, code: str, duration_ms: float) -> None:
        self.calls.append(("rpc", (method, code)))

    def collector_run(self, collector: str, status: str, inserted: int) -> None:
        self.calls.append(("collector_run", (collector, status, inserted)))

    def quality_score(self, ledger: str, score: float) -> None:
        self.calls.append(("quality_score", (ledger, score)))

    def agent_session(self, outcome: str) -> None:
        self.calls.append(("agent_session", (outcome,)))


def test_the_setting_picks_the_backend() -> None:
    assert isinstance(build_metrics(Settings(metrics="emf", environment="staging")), EmfMetrics)
    assert isinstance(build_metrics(Settings()), NullMetrics)


async def test_every_rpc_is_counted_with_its_code() -> None:
    recorder = Recorder()
    server = GrpcServer([], metrics=recorder)
    port = await server.start("127.0.0.1:0")
    try:
        async with aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    finally:
        await server.stop(0)
    assert ("rpc", ("/grpc.health.v1.Health/Check", "OK")) in recorder.calls


async def test_recorded_collector_runs_are_reported() -> None:
    recorder = Recorder()
    runs = MeteredRunRepository(MemoryCollectorRunRepository(), recorder)
    run = CollectorRun(
        run_id="r1",
        collector="coinspot_prices",
        started_at=NOW,
        finished_at=NOW,
        status=RunStatus.SUCCESS,
        fetched=3,
        inserted=2,
        duplicate=1,
    )
    await runs.add(run)
    assert recorder.calls == [("collector_run", ("coinspot_prices", str(RunStatus.SUCCESS), 2))]
    assert await runs.recent("coinspot_prices", 5) == [run]  # still a working store


async def test_only_finished_agent_sessions_are_reported() -> None:
    recorder = Recorder()
    inner = MemorySessionStore()
    store = MeteredSessionStore(inner, recorder)
    for session_id in ("s1", "s2"):
        await inner.create(
            AgentSession(session_id, "alice", "", SessionStatus.PENDING, "offline", NOW, NOW)
        )
    await store.set_status("s1", SessionStatus.RUNNING, NOW)
    await store.append("s1", [NewEvent(EventKind.USER_MESSAGE, {"text": "hi"})], NOW)
    assert recorder.calls == []

    await store.set_status("s1", SessionStatus.FAILED, NOW, error="x")
    await store.append(
        "s2",
        [NewEvent(EventKind.SESSION_ENDED)],
        NOW,
        status=(SessionStatus.COMPLETED, ""),
    )
    assert recorder.calls == [("agent_session", ("failed",)), ("agent_session", ("completed",))]
    assert (await store.get("s2")).status is SessionStatus.COMPLETED  # type: ignore[union-attr]
