"""omc.v1.CollectorService: proto -> use case -> proto, and the binding that serves it.

The proto<->domain mapping of collectors lives here too: no other service uses it.
Errors propagate to the interceptor, which maps them to statuses in one place.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from google.protobuf.duration_pb2 import Duration
from grpc import aio

from omc.adapters.grpc.mapping import timestamp_from_datetime
from omc.adapters.grpc.server import ServiceBinding
from omc.application.collect import CollectorStatus, CollectorUseCases
from omc.domain.collection import CollectorHealth, CollectorRun, RunStatus
from omc.v1 import collectors_pb2 as pb
from omc.v1 import collectors_pb2_grpc

COLLECTOR_SERVICE = pb.DESCRIPTOR.services_by_name["CollectorService"].full_name

Context: TypeAlias = aio.ServicerContext[Any, Any]

_HEALTH = {
    CollectorHealth.HEALTHY: pb.COLLECTOR_HEALTH_HEALTHY,
    CollectorHealth.DEGRADED: pb.COLLECTOR_HEALTH_DEGRADED,
    CollectorHealth.FAILING: pb.COLLECTOR_HEALTH_FAILING,
    CollectorHealth.NEVER_RUN: pb.COLLECTOR_HEALTH_NEVER_RUN,
    CollectorHealth.DISABLED: pb.COLLECTOR_HEALTH_DISABLED,
}
_STATUS = {
    RunStatus.SUCCESS: pb.COLLECTOR_RUN_STATUS_SUCCESS,
    RunStatus.PARTIAL: pb.COLLECTOR_RUN_STATUS_PARTIAL,
    RunStatus.FAILED: pb.COLLECTOR_RUN_STATUS_FAILED,
    RunStatus.SKIPPED: pb.COLLECTOR_RUN_STATUS_SKIPPED,
}


def run_to_proto(run: CollectorRun) -> pb.CollectorRun:
    return pb.CollectorRun(
        run_id=run.run_id,
        collector=run.collector,
        start_time=timestamp_from_datetime(run.started_at),
        finish_time=timestamp_from_datetime(run.finished_at),
        status=_STATUS[run.status],
        fetched=run.fetched,
        inserted=run.inserted,
        updated=run.updated,
        duplicate=run.duplicate,
        rejected=run.rejected,
        error=run.error,
    )


def status_to_proto(status: CollectorStatus) -> pb.Collector:
    cadence = Duration()
    cadence.FromTimedelta(status.cadence)
    message = pb.Collector(
        name=status.name,
        ledger=str(status.ledger),
        cadence=cadence,
        enabled=status.enabled,
        health=_HEALTH[status.health],
        disabled_reason=status.disabled_reason or "",
    )
    if status.last_run is not None:
        message.last_run.CopyFrom(run_to_proto(status.last_run))
    return message


class CollectorServicer(collectors_pb2_grpc.CollectorServiceServicer):
    def __init__(self, use_cases: CollectorUseCases) -> None:
        self._use_cases = use_cases

    async def ListCollectors(
        self, request: pb.ListCollectorsRequest, context: Context
    ) -> pb.ListCollectorsResponse:
        statuses = await self._use_cases.list_collectors()
        return pb.ListCollectorsResponse(collectors=[status_to_proto(s) for s in statuses])

    async def RunCollector(
        self, request: pb.RunCollectorRequest, context: Context
    ) -> pb.RunCollectorResponse:
        run = await self._use_cases.run(request.name)
        return pb.RunCollectorResponse(run=run_to_proto(run))

    async def ListCollectorRuns(
        self, request: pb.ListCollectorRunsRequest, context: Context
    ) -> pb.ListCollectorRunsResponse:
        page = await self._use_cases.list_runs(
            request.collector.strip() or None,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListCollectorRunsResponse(
            runs=[run_to_proto(run) for run in page.items],
            next_page_token=page.next_page_token,
        )


def collector_binding(use_cases: CollectorUseCases) -> ServiceBinding:
    servicer = CollectorServicer(use_cases)
    return ServiceBinding(
        COLLECTOR_SERVICE,
        lambda server: collectors_pb2_grpc.add_CollectorServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
    )
