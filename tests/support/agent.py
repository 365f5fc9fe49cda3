"""Agent test support: services over memory or Postgres storage with the demo data,
scripted models, and helpers to drain event streams within a bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from omc.adapters.agent.graph import LangGraphEngine
from omc.adapters.agent.offline import OfflineModel
from omc.adapters.agent.worker import AgentLoop, InlineLoop
from omc.adapters.memory.agent_sessions import MemorySessionStore
from omc.adapters.memory.clock import SystemClock
from omc.application.agent import AgentSessions
from omc.application.agent_ports import (
    ChatModel,
    ChatRequest,
    ModelChunk,
    SessionStore,
    Turn,
)
from omc.application.agent_tools import Toolbox
from omc.application.ledger import LedgerUseCases
from omc.application.quality import QualityReports
from omc.application.trading import TradingBooks
from omc.domain.access import Principal, Scope
from omc.domain.agent.budgets import Budgets
from omc.domain.agent.sessions import AgentEvent, EventKind

BOUND = 20.0  # seconds: every wait is bounded, never a timing assertion
# The demo world ends at 2026-01-01; "now" sits just after it.
DEMO_NOW = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)


def principal(user: str, *, admin: bool = False) -> Principal:
    scopes = {Scope.AGENT, Scope.ADMIN} if admin else {Scope.AGENT}
    return Principal(user, frozenset(scopes), f"key-{user}")


def make_engine(
    ledger: LedgerUseCases,
    model: ChatModel | None = None,
    checkpointer: BaseCheckpointSaver | None = None,  # type: ignore[type-arg]
    books: TradingBooks | None = None,
    now: datetime = DEMO_NOW,
    quality: QualityReports | None = None,
    worker: AgentLoop | InlineLoop | None = None,
) -> LangGraphEngine:
    def toolboxes(turn: Turn) -> Toolbox:
        return Toolbox(ledger, turn.principal, lambda: now, books=books, quality=quality)

    return LangGraphEngine(
        model or OfflineModel(),
        toolboxes,
        checkpointer or InMemorySaver(),
        now=lambda: now,
        worker=worker,
    )


def make_sessions(
    ledger: LedgerUseCases,
    *,
    model: ChatModel | None = None,
    store: SessionStore | None = None,
    checkpointer: BaseCheckpointSaver | None = None,  # type: ignore[type-arg]
    budgets: Budgets | None = None,
    books: TradingBooks | None = None,
    quality: QualityReports | None = None,
    worker: AgentLoop | InlineLoop | None = None,
) -> AgentSessions:
    engine = make_engine(ledger, model, checkpointer, books, quality=quality, worker=worker)
    return AgentSessions(
        store or MemorySessionStore(),
        engine,
        SystemClock(),
        model_id=engine.model_id,
        budgets=budgets,
        poll_seconds=0.05,
    )


async def drain(stream: AsyncIterator[AgentEvent]) -> list[AgentEvent]:
    async def collect() -> list[AgentEvent]:
        return [event async for event in stream]

    return await asyncio.wait_for(collect(), BOUND)


def kinds(events: Sequence[AgentEvent]) -> list[EventKind]:
    return [event.kind for event in events]


def only(events: Sequence[AgentEvent], kind: EventKind) -> list[AgentEvent]:
    return [event for event in events if event.kind is kind]


Script = Callable[[ChatRequest], Sequence[ModelChunk]]


class ScriptedModel:
    """A real ChatModel whose replies a test writes, per request."""

    def __init__(self, script: Script, model_id: str = "scripted-1") -> None:
        self._script = script
        self._id = model_id
        self.requests: list[ChatRequest] = []

    @property
    def model_id(self) -> str:
        return self._id

    @property
    def notice(self) -> str:
        return ""

    async def stream(self, request: ChatRequest) -> AsyncIterator[ModelChunk]:
        self.requests.append(request)
        for chunk in self._script(request):
            await asyncio.sleep(0)
            yield chunk
