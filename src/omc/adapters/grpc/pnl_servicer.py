"""omc.v1.PnLService: proto -> window -> use case (with the caller) -> proto."""

from __future__ import annotations

from typing import Any, TypeAlias

from grpc import aio

from omc.adapters.grpc import trading_mapping as tm
from omc.adapters.grpc.mapping import timestamp_from_datetime
from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.server import ServiceBinding
from omc.application.trading import TradingBooks
from omc.v1 import pnl_pb2 as pb
from omc.v1 import pnl_pb2_grpc

Context: TypeAlias = aio.ServicerContext[Any, Any]


class PnLServicer(pnl_pb2_grpc.PnLServiceServicer):
    def __init__(self, books: TradingBooks) -> None:
        self._books = books

    async def GetPnLSummary(
        self, request: pb.GetPnLSummaryRequest, context: Context
    ) -> pb.GetPnLSummaryResponse:
        result = await self._books.summary(
            current_principal(), tm.summary_window(request), user_id=request.user_id
        )
        return pb.GetPnLSummaryResponse(
            summary=tm.summary_to_proto(result.summary),
            start_time=timestamp_from_datetime(result.start),
            end_time=timestamp_from_datetime(result.end),
        )

    async def GetPnLBreakdown(
        self, request: pb.GetPnLBreakdownRequest, context: Context
    ) -> pb.GetPnLBreakdownResponse:
        groups = await self._books.breakdown(
            current_principal(),
            tm.breakdown_window(request),
            tm.group_by(request.group_by),
            user_id=request.user_id,
        )
        return pb.GetPnLBreakdownResponse(
            groups=[
                pb.PnLGroup(key=key, summary=tm.summary_to_proto(summary))
                for key, summary in groups.items()
            ]
        )

    async def GetPnLHistory(
        self, request: pb.GetPnLHistoryRequest, context: Context
    ) -> pb.GetPnLHistoryResponse:
        points = await self._books.history(
            current_principal(),
            tm.history_window(request),
            tm.interval(request.interval),
            user_id=request.user_id,
        )
        return pb.GetPnLHistoryResponse(points=[tm.history_point_to_proto(p) for p in points])


PNL_SERVICE = pb.DESCRIPTOR.services_by_name["PnLService"].full_name


def pnl_binding(books: TradingBooks) -> ServiceBinding:
    servicer = PnLServicer(books)
    return ServiceBinding(
        PNL_SERVICE,
        lambda server: pnl_pb2_grpc.add_PnLServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
    )
