"""The collectors in the composition root: settings -> CollectorConfig, the providers that
build them over the chosen storage, and the scheduler's start and stop in `omc serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import structlog
from dependency_injector import containers, providers

from omc.adapters.memory.collection import MemoryCollectorLock, MemoryCollectorRunRepository
from omc.adapters.postgres.collection import PostgresCollectorLock, PostgresCollectorRunRepository
from omc.adapters.sources import sec_filings
from omc.adapters.sources.catalog import CollectorConfig, build_collectors, default_configs
from omc.adapters.sources.http import build_http_client
from omc.application.collect import CollectorUseCases, Scheduler
from omc.bootstrap.metrics import MeteredRunRepository
from omc.bootstrap.settings import Settings

log = structlog.get_logger("omc.collectors")


def collector_configs(settings: Settings) -> dict[str, CollectorConfig]:
    """The catalog's defaults with whatever OMC_SOURCES__<NAME>__* sets on top: HTTP
    knobs, the cadence and lease, and each source's own lists (slugs, subreddits, CIKs,
    forms...). `omc serve` and `omc collect` both build their collectors from this."""
    configs = default_configs()
    configs[sec_filings.NAME] = replace(
        configs[sec_filings.NAME],
        source=replace(configs[sec_filings.NAME].source, user_agent=settings.sec_user_agent),
    )
    for name, overrides in settings.sources.items():
        config = configs[name]
        source = config.source
        if overrides.base_url is not None:
            source = replace(source, base_url=overrides.base_url)
        if overrides.timeout_seconds is not None:
            source = replace(source, timeout_seconds=overrides.timeout_seconds)
        if overrides.rate_per_second is not None:
            source = replace(source, rate_per_second=overrides.rate_per_second)
        if overrides.user_agent is not None:
            source = replace(source, user_agent=overrides.user_agent)
        if overrides.retry_attempts is not None:
            source = replace(source, retry=replace(source.retry, attempts=overrides.retry_attempts))
        configs[name] = replace(
            config,
            source=source,
            cadence=(
                config.cadence
                if overrides.cadence_seconds is None
                else timedelta(seconds=overrides.cadence_seconds)
            ),
            enabled=config.enabled if overrides.enabled is None else overrides.enabled,
            options={**config.options, **overrides.fetcher_options()},
            lease=(
                config.lease
                if overrides.lease_seconds is None
                else timedelta(seconds=overrides.lease_seconds)
            ),
        )
    return configs


async def open_http_client(user_agent: str) -> AsyncIterator[httpx.AsyncClient]:
    """The one HTTP client every source shares, closed on shutdown."""
    client = build_http_client(user_agent=user_agent)
    try:
        yield client
    finally:
        await client.aclose()


class Collection(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    application = providers.DependenciesContainer()

    # The CryptoPanic key (secret `cryptopanic_api_key`) is read at every fetch, so a
    # rotated key applies without a restart.
    secrets = core.secrets
    http_client = providers.Resource(
        open_http_client, user_agent=core.settings.provided.http_user_agent
    )
    configs = providers.Callable(collector_configs, settings=core.settings)
    collectors = providers.Singleton(
        build_collectors,
        client=http_client,
        clock=core.clock,
        secrets=secrets,
        use_cases=application.use_cases,
        configs=configs,
    )
    runs = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryCollectorRunRepository),
        postgres=providers.Singleton(PostgresCollectorRunRepository, engine=storage.engine),
    )
    lock = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryCollectorLock, clock=core.clock),
        postgres=providers.Singleton(PostgresCollectorLock, engine=storage.engine),
    )
    # Every run the collectors record is also reported as a metric.
    metered_runs = providers.Singleton(MeteredRunRepository, runs, core.metrics)
    use_cases = providers.Singleton(
        CollectorUseCases.build,
        collectors=collectors,
        runs=metered_runs,
        lock=lock,
        clock=core.clock,
        max_batch=core.settings.provided.max_batch,
        max_page_size=core.settings.provided.max_page_size,
    )


def start_scheduler(settings: Settings, use_cases: CollectorUseCases) -> Scheduler | None:
    """Starts scheduling every enabled collector (None when OMC_COLLECTORS_ENABLED is
    false). Each replica runs one; the shared lock runs each tick once across them."""
    if not settings.collectors_enabled:
        log.info("collectors_not_scheduled", reason="OMC_COLLECTORS_ENABLED=false")
        return None
    scheduler = Scheduler(use_cases.run_collector, use_cases.collectors)
    scheduler.start()
    log.info(
        "collectors_scheduled",
        collectors=[c.name for c in use_cases.collectors if c.enabled],
        switched_off=[c.name for c in use_cases.collectors if not c.enabled],
    )
    return scheduler


async def stop_scheduler(scheduler: Scheduler | None, grace: float) -> None:
    """Lets runs in progress finish for up to `grace` seconds, then cancels them."""
    if scheduler is None:
        return
    await scheduler.stop(grace)
    log.info("collectors_stopped")
