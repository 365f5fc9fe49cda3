"""Dependency-injector containers, grouped by role.

Nothing here connects, listens or starts anything when imported: engines and listeners
are async Resources, initialised on first use and closed by `shutdown_resources()`.
Tests override any provider (e.g. `container.core.clock.override(...)`).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from dependency_injector import containers, providers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.grpc.admin_servicer import admin_binding
from omc.adapters.grpc.agent_servicer import agent_binding
from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.collector_servicer import collector_binding
from omc.adapters.grpc.limits import LimitsInterceptor
from omc.adapters.grpc.pnl_servicer import pnl_binding
from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.grpc.trading_servicer import trading_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.fills import MemoryFillRepository
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.memory.marks import MemoryMarkSource
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.fills import PostgresFillRepository
from omc.adapters.postgres.keys import PostgresApiKeyRepository
from omc.adapters.postgres.listener import CatalystEventFeed, PostgresPriceTickListener
from omc.adapters.postgres.marks import PostgresMarkSource
from omc.adapters.postgres.repositories import postgres_repositories
from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.fanout import PriceTickFanout
from omc.application.keys import ApiKeys, Authenticator, KeyHasher
from omc.application.latest_prices import (
    AlwaysLive,
    CachedPriceTickRepository,
    FeedStatus,
    LatestPriceTable,
)
from omc.application.ledger import LedgerUseCases
from omc.application.ports import LedgerRepositories, PriceTickStream
from omc.application.rate_limit import RateLimiter
from omc.application.trading import TradingBooks
from omc.bootstrap.agent import Agent
from omc.bootstrap.collectors import Collection
from omc.bootstrap.database_password import RotatingPassword, rotating_password
from omc.bootstrap.metrics import build_metrics
from omc.bootstrap.quality import Quality
from omc.bootstrap.security import build_secrets, server_credentials_for
from omc.bootstrap.settings import Settings

T = TypeVar("T")


async def open_engine(
    url: str, pool_size: int, password: RotatingPassword | None
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        url, pool_size=pool_size, password=None if password is None else password.current
    )
    try:
        yield engine
    finally:
        await engine.dispose()


async def run_listener(
    url: str,
    fanout: PriceTickFanout,
    engine: AsyncEngine,
    catalyst_fanout: CatalystEventFanout,
    password: RotatingPassword | None,
) -> AsyncIterator[PostgresPriceTickListener]:
    listener = PostgresPriceTickListener(
        url,
        fanout,
        catalyst_events=CatalystEventFeed(engine, catalyst_fanout),
        password=None if password is None else password.current,
    )
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()


def database_probes(engine: AsyncEngine) -> tuple[Callable[[], Awaitable[bool]], ...]:
    """Readiness: health says NOT_SERVING while the database cannot answer a query, so
    a load balancer sends no traffic to a replica that could only fail it."""

    async def database_answers() -> bool:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    return (database_answers,)


async def with_latest_prices(
    repositories: LedgerRepositories, stream: PriceTickStream, feed: FeedStatus
) -> AsyncIterator[LedgerRepositories]:
    """The repositories the use cases get: price ticks behind this replica's latest-price
    table, kept current from the stream while `feed` is live (ADR 0005)."""
    table = LatestPriceTable(repositories.price_ticks, stream, feed)
    await table.start()
    try:
        yield dataclasses.replace(
            repositories, price_ticks=CachedPriceTickRepository(repositories.price_ticks, table)
        )
    finally:
        await table.stop()


def listening_stream(fanout: T, listener: PostgresPriceTickListener) -> T:
    """The fanout, once the listener that feeds it from LISTEN/NOTIFY is running: with
    Postgres, ticks and catalyst events committed by any replica reach subscribers only
    through it."""
    del listener  # required only so the Resource is started before the stream is used
    return fanout


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    secrets = providers.Singleton(build_secrets, settings=settings)
    fanout = providers.Singleton(PriceTickFanout)
    catalyst_fanout = providers.Singleton(CatalystEventFanout)
    metrics = providers.Singleton(build_metrics, settings=settings)


class Storage(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    # A libpq `postgresql://` URL, resolved by the caller: the configured one or the
    # embedded server's. Unused (and may stay unset) with memory storage.
    database_url = providers.Dependency(instance_of=str)

    password = providers.Resource(rotating_password, settings=core.settings, secrets=core.secrets)
    engine = providers.Resource(
        open_engine,
        url=database_url,
        pool_size=core.settings.provided.db_pool_size,
        password=password,
    )
    listener = providers.Resource(
        run_listener,
        url=database_url,
        fanout=core.fanout,
        engine=engine,
        catalyst_fanout=core.catalyst_fanout,
        password=password,
    )

    repositories = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(
            memory_repositories, fanout=core.fanout, catalyst_fanout=core.catalyst_fanout
        ),
        postgres=providers.Singleton(postgres_repositories, engine=engine),
    )
    stream = providers.Selector(
        core.settings.provided.storage,
        memory=core.fanout,
        postgres=providers.Singleton(listening_stream, fanout=core.fanout, listener=listener),
    )
    catalyst_stream = providers.Selector(
        core.settings.provided.storage,
        memory=core.catalyst_fanout,
        postgres=providers.Singleton(
            listening_stream, fanout=core.catalyst_fanout, listener=listener
        ),
    )
    # Whether every committed tick reaches `stream` now: the memory repositories publish
    # their own commits; with Postgres, while the listener's LISTEN connection is up.
    feed = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(AlwaysLive),
        postgres=listener,
    )
    ledger_repositories = providers.Resource(
        with_latest_prices, repositories=repositories, stream=stream, feed=feed
    )
    api_key_repository = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryApiKeyRepository),
        postgres=providers.Singleton(PostgresApiKeyRepository, engine=engine),
    )
    fills = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryFillRepository),
        postgres=providers.Singleton(PostgresFillRepository, engine=engine),
    )
    marks = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryMarkSource, repositories.provided.price_ticks),
        postgres=providers.Singleton(PostgresMarkSource, engine=engine),
    )
    readiness_probes = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Object(()),
        postgres=providers.Singleton(database_probes, engine=engine),
    )


class Application(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()

    key_hasher = providers.Singleton(KeyHasher, core.secrets)
    api_keys = providers.Singleton(
        ApiKeys,
        repository=storage.api_key_repository,
        hasher=key_hasher,
        clock=core.clock,
        max_page_size=core.settings.provided.max_page_size,
    )
    authenticator = providers.Singleton(
        Authenticator, repository=storage.api_key_repository, hasher=key_hasher
    )
    use_cases = providers.Singleton(
        LedgerUseCases.build,
        repositories=storage.ledger_repositories,
        stream=storage.stream,
        clock=core.clock,
        max_batch=core.settings.provided.max_batch,
        max_page_size=core.settings.provided.max_page_size,
        catalyst_stream=storage.catalyst_stream,
    )
    trading = providers.Singleton(
        TradingBooks,
        fills=storage.fills,
        marks=storage.marks,
        clock=core.clock,
        max_batch=core.settings.provided.max_batch,
        max_page_size=core.settings.provided.max_page_size,
    )


class Api(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    application = providers.DependenciesContainer()
    collection = providers.DependenciesContainer()
    quality = providers.DependenciesContainer()
    agent = providers.DependenciesContainer()

    services = providers.List(
        providers.Factory(ledger_binding, use_cases=application.use_cases),
        providers.Factory(trading_binding, books=application.trading),
        providers.Factory(pnl_binding, books=application.trading),
        providers.Factory(collector_binding, use_cases=collection.use_cases),
        quality.binding,
        providers.Factory(admin_binding, api_keys=application.api_keys),
        providers.Factory(agent_binding, sessions=agent.sessions),
    )
    rate_limiter = providers.Singleton(
        RateLimiter,
        rate=core.settings.provided.rate_limit_per_second,
        burst=core.settings.provided.rate_limit_burst,
    )
    # In this order, after GrpcServer's own request-id/logging/error interceptor: the
    # limits read the principal that authentication sets.
    interceptors = providers.List(
        providers.Factory(AuthInterceptor, authenticator=application.authenticator),
        providers.Factory(
            LimitsInterceptor,
            rate_limiter=rate_limiter,
            deadline_seconds=core.settings.provided.rpc_deadline_seconds,
        ),
    )
    server = providers.Factory(
        GrpcServer,
        services=services,
        interceptors=interceptors,
        readiness_probes=storage.readiness_probes,
        max_receive_message_bytes=core.settings.provided.max_message_bytes,
        max_send_message_bytes=core.settings.provided.max_message_bytes,
        credentials=providers.Callable(server_credentials_for, core.settings),
        metrics=core.metrics,
    )


class OmcContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    database_url = providers.Dependency(instance_of=str)

    core = providers.Container(Core, settings=settings)
    storage = providers.Container(Storage, core=core, database_url=database_url)
    application = providers.Container(Application, core=core, storage=storage)
    collection = providers.Container(
        Collection, core=core, storage=storage, application=application
    )
    quality = providers.Container(Quality, core=core, storage=storage, collection=collection)
    agent = providers.Container(
        Agent, core=core, storage=storage, application=application, quality=quality
    )
    api = providers.Container(
        Api,
        core=core,
        storage=storage,
        application=application,
        collection=collection,
        quality=quality,
        agent=agent,
    )


def build_container(settings: Settings, database_url: str | None = None) -> OmcContainer:
    container = OmcContainer(settings=providers.Object(settings))
    if database_url is not None:
        container.database_url.override(providers.Object(database_url))
    return container


async def resolve(provider: providers.Provider[T]) -> T:
    """A provider's value whether or not an async Resource sits in its dependencies
    (with memory storage none does, and dependency-injector then returns it directly)."""
    value: Any = provider()
    if inspect.isawaitable(value):
        value = await value
    return value  # type: ignore[no-any-return]
