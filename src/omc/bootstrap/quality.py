"""Composition of the data-quality monitor: policy from settings, stores per storage
kind, alert sinks, and the monitor's lifecycle inside `omc serve`."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from dependency_injector import containers, providers

from omc.adapters.aws.sns_alerts import SnsAlertSink
from omc.adapters.grpc.quality_servicer import quality_binding
from omc.adapters.logsink import LogAlertSink
from omc.adapters.memory.alerts import MemoryAlertRepository
from omc.adapters.memory.quality import MemoryQualityStats
from omc.adapters.postgres.alerts import PostgresAlertRepository
from omc.adapters.postgres.quality import PostgresQualityStats
from omc.adapters.sources.catalog import CATALOG
from omc.application.quality import QualityAlerts, QualityMonitor, QualityReports
from omc.application.quality_ports import AlertSink
from omc.bootstrap.metrics import MeteredQualityReports
from omc.bootstrap.settings import Settings
from omc.domain.quality import QualityPolicy, Sla, Thresholds, Weights
from omc.domain.quality.policy import default_slas
from omc.domain.record import Ledger

log = structlog.get_logger("omc.quality")


def quality_policy(settings: Settings) -> QualityPolicy:
    slas = default_slas()
    for feed, (target, stale) in settings.quality_slas.items():
        if feed not in slas:
            raise ValueError(f"OMC_QUALITY_SLAS: unknown feed {feed!r} (known: {sorted(slas)})")
        slas[feed] = Sla(timedelta(seconds=target), timedelta(seconds=stale))
    configured = {name: entry.default.cadence for name, entry in CATALOG.items()}
    for name, source in settings.sources.items():
        if source.cadence_seconds:
            configured[name] = timedelta(seconds=source.cadence_seconds)
    return QualityPolicy(
        window=timedelta(hours=settings.quality_window_hours),
        price_cadence=timedelta(seconds=settings.quality_price_cadence_seconds),
        collectors={
            name: (CATALOG[name].ledger, cadence)
            for name, cadence in configured.items()
            if CATALOG[name].ledger in (Ledger.HUMAN, Ledger.CATALYST)
        },
        slas=slas,
        max_spread=Decimal(str(settings.quality_max_spread)),
        mad_k=settings.quality_mad_k,
        weights=Weights(
            settings.quality_weight_completeness,
            settings.quality_weight_timeliness,
            settings.quality_weight_accuracy,
        ),
        thresholds=Thresholds(settings.quality_alert_medium, settings.quality_alert_high),
    )


def alert_sinks(settings: Settings) -> list[AlertSink]:
    sinks: list[AlertSink] = [LogAlertSink()]
    if settings.alerts_sns_topic_arn:
        import boto3  # only a deployment that publishes pays for the client

        sinks.append(SnsAlertSink(boto3.client("sns"), settings.alerts_sns_topic_arn))
    return sinks


class Quality(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    collection = providers.DependenciesContainer()

    policy = providers.Singleton(quality_policy, settings=core.settings)
    stats = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(
            MemoryQualityStats, repositories=storage.repositories, runs=collection.runs
        ),
        postgres=providers.Singleton(PostgresQualityStats, engine=storage.engine),
    )
    alerts_repository = providers.Selector(
        core.settings.provided.storage,
        memory=providers.Singleton(MemoryAlertRepository),
        postgres=providers.Singleton(PostgresAlertRepository, engine=storage.engine),
    )
    reports = providers.Singleton(QualityReports, source=stats, policy=policy, clock=core.clock)
    alerts = providers.Singleton(
        QualityAlerts,
        repository=alerts_repository,
        clock=core.clock,
        max_page_size=core.settings.provided.max_page_size,
    )
    sinks = providers.Singleton(alert_sinks, settings=core.settings)
    monitor = providers.Singleton(
        QualityMonitor,
        reports=providers.Singleton(MeteredQualityReports, reports, core.metrics),
        repository=alerts_repository,
        sinks=sinks,
        lock=collection.lock,
        clock=core.clock,
        keep_hours_per_cycle=core.settings.provided.quality_keep_hours_per_cycle,
    )
    binding = providers.Factory(
        quality_binding,
        reports=reports,
        alerts=alerts,
        watch_poll_seconds=core.settings.provided.quality_watch_poll_seconds,
    )


def start_monitor(settings: Settings, monitor: QualityMonitor) -> asyncio.Task[Any] | None:
    """Runs the monitor every OMC_QUALITY_MONITOR_INTERVAL_SECONDS in this replica; the
    shared lock lets one replica evaluate each cycle."""
    if not settings.quality_monitor_enabled:
        log.info("quality_monitor_off", reason="OMC_QUALITY_MONITOR_ENABLED=false")
        return None
    task = asyncio.create_task(
        monitor.run_forever(settings.quality_monitor_interval_seconds), name="omc-quality"
    )
    log.info("quality_monitor_started", interval_seconds=settings.quality_monitor_interval_seconds)
    return task


async def stop_monitor(
    task: asyncio.Task[Any] | None, monitor: QualityMonitor, grace: float
) -> None:
    if task is None:
        return
    monitor.stop()
    try:
        await asyncio.wait_for(task, grace)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    log.info("quality_monitor_stopped")
