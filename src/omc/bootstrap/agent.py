"""The research agent's composition: model selection, checkpointer and session store
by storage kind, the engine, and the session use cases."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import structlog
from dependency_injector import containers, providers

from omc.adapters.agent.checkpoints import memory_checkpointer, postgres_checkpointer
from omc.adapters.agent.graph import LangGraphEngine
from omc.adapters.agent.offline import OfflineModel
from omc.adapters.agent.openai_model import OpenAIChatModel
from omc.adapters.agent.worker import agent_loop
from omc.adapters.memory.agent_sessions import MemorySessionStore
from omc.adapters.postgres.agent_sessions import PostgresSessionStore
from omc.application.agent import AgentSessions
from omc.application.agent_ports import ChatModel, SessionStore, Turn
from omc.application.agent_tools import Toolbox
from omc.application.ledger import LedgerUseCases
from omc.application.ports import Clock, SecretsProvider
from omc.application.quality import QualityReports
from omc.application.trading import TradingBooks
from omc.bootstrap.database_password import RotatingPassword
from omc.bootstrap.metrics import MeteredSessionStore
from omc.bootstrap.settings import Settings
from omc.domain.agent.budgets import Budgets

OPENAI_KEY_SECRET = "openai_api_key"  # noqa: S105 (the secret's name, not its value)
OFFLINE = "offline"

_log = structlog.get_logger("omc.agent")


async def select_model(settings: Settings, secrets: SecretsProvider) -> ChatModel:
    """OpenAI (or a compatible server) when a key is configured, else the offline model."""
    if settings.agent_model.strip().lower() == OFFLINE:
        return OfflineModel()
    key = await secrets.get(OPENAI_KEY_SECRET)
    if not key:
        _log.info("agent.offline_model", reason="no openai_api_key configured")
        return OfflineModel()
    return OpenAIChatModel(settings.agent_model, key, base_url=settings.openai_base_url)


async def checkpointer_on_agent_loop(
    url: str, password: RotatingPassword | None
) -> AsyncIterator[Any]:
    """The Postgres checkpointer, opened on the agent loop that runs the turns: its
    connection pool belongs to the loop that opened it, and there it costs no hops."""
    opened = cast(
        AsyncGenerator[Any, None],
        postgres_checkpointer(url, password=None if password is None else password.current),
    )

    async def first() -> Any:
        return await anext(opened)

    saver = await agent_loop().run(first())
    try:
        yield saver
    finally:
        await agent_loop().run(opened.aclose())


def budgets_from(settings: Settings) -> Budgets:
    return Budgets(
        max_steps=settings.agent_max_steps,
        max_tool_calls_per_analyst=settings.agent_max_tool_calls,
        wall_clock_seconds=settings.agent_wall_clock_seconds,
        max_tokens=settings.agent_max_tokens,
    )


async def agent_sessions(
    settings: Settings,
    secrets: SecretsProvider,
    store: SessionStore,
    checkpointer: Any,
    ledger: LedgerUseCases,
    books: TradingBooks,
    quality: QualityReports,
    clock: Clock,
) -> AsyncIterator[AgentSessions]:
    model = await select_model(settings, secrets)

    def toolboxes(turn: Turn) -> Toolbox:
        # Per-user tools act for the session owner's principal, fixed here.
        return Toolbox(ledger, turn.principal, clock.now, books=books, quality=quality)

    engine = LangGraphEngine(model, toolboxes, checkpointer, now=clock.now)
    sessions = AgentSessions(
        store, engine, clock, model_id=model.model_id, budgets=budgets_from(settings)
    )
    try:
        yield sessions
    finally:
        await sessions.close()
        if isinstance(model, OpenAIChatModel):
            # Its connections were made by turns, on the agent loop.
            await engine.run_on_worker(model.close())


class Agent(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    application = providers.DependenciesContainer()
    quality = providers.DependenciesContainer()

    checkpointer = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(memory_checkpointer),
        postgres=providers.Resource(
            checkpointer_on_agent_loop, url=storage.database_url, password=storage.password
        ),
    )
    store = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemorySessionStore),
        postgres=providers.Singleton(PostgresSessionStore, engine=storage.engine),
    )
    sessions = providers.Resource(
        agent_sessions,
        settings=core.settings,
        secrets=core.secrets,
        store=providers.Singleton(MeteredSessionStore, store, core.metrics),
        checkpointer=checkpointer,
        ledger=application.use_cases,
        books=application.trading,
        quality=quality.reports,
        clock=core.clock,
    )
