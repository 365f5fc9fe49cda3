"""omc.v1.TradingService: proto -> domain -> use case (with the caller) -> proto."""

from __future__ import annotations

from typing import Any, TypeAlias

from grpc import aio

from omc.adapters.grpc import trading_mapping as tm
from omc.adapters.grpc.mapping import optional_datetime
from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.server import ServiceBinding
from omc.application.trading import TradingBooks
from omc.v1 import trading_pb2 as pb
from omc.v1 import trading_pb2_grpc

Context: TypeAlias = aio.ServicerContext[Any, Any]


class TradingServicer(trading_pb2_grpc.TradingServiceServicer):
    def __init__(self, books: TradingBooks) -> None:
        self._books = books

    async def RecordFills(
        self, request: pb.RecordFillsRequest, context: Context
    ) -> pb.RecordFillsResponse:
        fills = [tm.fill_from_proto(fill) for fill in request.fills]
        result = await self._books.record_fills(current_principal(), fills, user_id=request.user_id)
        return pb.RecordFillsResponse(inserted=result.inserted, duplicate=result.duplicate)

    async def ListFills(
        self, request: pb.ListFillsRequest, context: Context
    ) -> pb.ListFillsResponse:
        page = await self._books.list_fills(
            current_principal(),
            user_id=request.user_id,
            symbol=request.symbol,
            quote=request.quote,
            strategy_id=request.strategy_id,
            start=optional_datetime(request, "start_time"),
            end=optional_datetime(request, "end_time"),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListFillsResponse(
            fills=[tm.fill_to_proto(fill) for fill in page.items],
            next_page_token=page.next_page_token,
        )

    async def ListPositions(
        self, request: pb.ListPositionsRequest, context: Context
    ) -> pb.ListPositionsResponse:
        positions = await self._books.list_positions(
            current_principal(),
            user_id=request.user_id,
            symbol=request.symbol,
            quote=request.quote,
            method=tm.cost_method(request.method),
            mark_field=tm.mark_field(request.mark_price),
            as_of=optional_datetime(request, "as_of"),
        )
        return pb.ListPositionsResponse(
            positions=[tm.marked_position_to_proto(p) for p in positions]
        )


TRADING_SERVICE = pb.DESCRIPTOR.services_by_name["TradingService"].full_name


def trading_binding(books: TradingBooks) -> ServiceBinding:
    servicer = TradingServicer(books)
    return ServiceBinding(
        TRADING_SERVICE,
        lambda server: trading_pb2_grpc.add_TradingServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
    )
