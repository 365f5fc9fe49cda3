"""omc.v1.LedgerService: proto -> domain/filter -> use case -> proto, nothing else.

Errors propagate to the interceptor, which maps them to statuses in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeAlias, TypeVar

from grpc import aio

from omc.adapters.grpc import mapping as m
from omc.adapters.grpc.errors import ServerShuttingDown
from omc.adapters.grpc.latest_responses import LatestPricesResponses
from omc.application.ledger import LedgerUseCases
from omc.v1 import ledger_pb2 as pb
from omc.v1 import ledger_pb2_grpc

T = TypeVar("T")

Context: TypeAlias = aio.ServicerContext[Any, Any]


class LedgerServicer(ledger_pb2_grpc.LedgerServiceServicer):
    def __init__(self, use_cases: LedgerUseCases) -> None:
        self._use_cases = use_cases
        self._closing = asyncio.Event()
        self._latest_responses = LatestPricesResponses()

    def close_streams(self) -> None:
        """Ends every open WatchPrices and WatchCatalystEvents stream with UNAVAILABLE, so
        a draining server is not held open for the whole grace period by subscribers that
        never finish."""
        self._closing.set()

    # --- exchange ---------------------------------------------------------------------

    async def IngestPriceTicks(
        self, request: pb.IngestPriceTicksRequest, context: Context
    ) -> pb.IngestPriceTicksResponse:
        result = await self._use_cases.ingest_price_ticks.columns(
            m.price_tick_column_parts(request.ticks),
            len(request.ticks),
            lambda: [m.price_tick_from_proto(tick) for tick in request.ticks],
        )
        return pb.IngestPriceTicksResponse(**m.ingest_counts(result))

    async def ListPriceTicks(
        self, request: pb.ListPriceTicksRequest, context: Context
    ) -> pb.ListPriceTicksResponse:
        page = await self._use_cases.list_price_ticks(
            m.price_tick_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListPriceTicksResponse(
            ticks=[m.price_tick_to_proto(tick) for tick in page.items],
            next_page_token=page.next_page_token,
        )

    async def GetLatestPrices(
        self, request: pb.GetLatestPricesRequest, context: Context
    ) -> pb.GetLatestPricesResponse:
        ticks = await self._use_cases.latest_prices(
            list(request.symbols), quote=request.quote, source=request.source
        )
        return self._latest_responses.response(request, ticks)

    async def WatchPrices(
        self, request: pb.WatchPricesRequest, context: Context
    ) -> AsyncIterator[pb.WatchPricesResponse]:
        if self._closing.is_set():
            raise ServerShuttingDown
        subscription = self._use_cases.watch_prices(list(request.symbols), quote=request.quote)
        async with subscription as ticks:
            async for tick in _until(self._closing, ticks):
                yield pb.WatchPricesResponse(tick=m.price_tick_to_proto(tick))

    # --- glass ------------------------------------------------------------------------

    async def IngestProtocolMetrics(
        self, request: pb.IngestProtocolMetricsRequest, context: Context
    ) -> pb.IngestProtocolMetricsResponse:
        metrics = [m.protocol_metric_from_proto(metric) for metric in request.metrics]
        result = await self._use_cases.ingest_protocol_metrics(metrics)
        return pb.IngestProtocolMetricsResponse(**m.ingest_counts(result))

    async def ListProtocolMetrics(
        self, request: pb.ListProtocolMetricsRequest, context: Context
    ) -> pb.ListProtocolMetricsResponse:
        page = await self._use_cases.list_protocol_metrics(
            m.protocol_metric_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListProtocolMetricsResponse(
            metrics=[m.protocol_metric_to_proto(metric) for metric in page.items],
            next_page_token=page.next_page_token,
        )

    async def IngestOnChainMetrics(
        self, request: pb.IngestOnChainMetricsRequest, context: Context
    ) -> pb.IngestOnChainMetricsResponse:
        metrics = [m.onchain_metric_from_proto(metric) for metric in request.metrics]
        result = await self._use_cases.ingest_onchain_metrics(metrics)
        return pb.IngestOnChainMetricsResponse(**m.ingest_counts(result))

    async def ListOnChainMetrics(
        self, request: pb.ListOnChainMetricsRequest, context: Context
    ) -> pb.ListOnChainMetricsResponse:
        page = await self._use_cases.list_onchain_metrics(
            m.onchain_metric_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListOnChainMetricsResponse(
            metrics=[m.onchain_metric_to_proto(metric) for metric in page.items],
            next_page_token=page.next_page_token,
        )

    # --- human ------------------------------------------------------------------------

    async def IngestNewsItems(
        self, request: pb.IngestNewsItemsRequest, context: Context
    ) -> pb.IngestNewsItemsResponse:
        result = await self._use_cases.ingest_news_items(m.news_items_from_proto(request.items))
        return pb.IngestNewsItemsResponse(**m.ingest_counts(result))

    async def ListNewsItems(
        self, request: pb.ListNewsItemsRequest, context: Context
    ) -> pb.ListNewsItemsResponse:
        page = await self._use_cases.list_news_items(
            m.news_item_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListNewsItemsResponse(
            items=[m.news_item_to_proto(item) for item in page.items],
            next_page_token=page.next_page_token,
        )

    async def IngestSocialPosts(
        self, request: pb.IngestSocialPostsRequest, context: Context
    ) -> pb.IngestSocialPostsResponse:
        result = await self._use_cases.ingest_social_posts(m.social_posts_from_proto(request.posts))
        return pb.IngestSocialPostsResponse(**m.ingest_counts(result))

    async def ListSocialPosts(
        self, request: pb.ListSocialPostsRequest, context: Context
    ) -> pb.ListSocialPostsResponse:
        page = await self._use_cases.list_social_posts(
            m.social_post_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListSocialPostsResponse(
            posts=[m.social_post_to_proto(post) for post in page.items],
            next_page_token=page.next_page_token,
        )

    # --- catalyst ---------------------------------------------------------------------

    async def IngestCatalystEvents(
        self, request: pb.IngestCatalystEventsRequest, context: Context
    ) -> pb.IngestCatalystEventsResponse:
        events = [m.catalyst_event_from_proto(event) for event in request.events]
        result = await self._use_cases.ingest_catalyst_events(events)
        return pb.IngestCatalystEventsResponse(**m.ingest_counts(result))

    async def ListCatalystEvents(
        self, request: pb.ListCatalystEventsRequest, context: Context
    ) -> pb.ListCatalystEventsResponse:
        page = await self._use_cases.list_catalyst_events(
            m.catalyst_event_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
            newest_first=request.newest_first,
        )
        return pb.ListCatalystEventsResponse(
            events=[m.catalyst_event_to_proto(event) for event in page.items],
            next_page_token=page.next_page_token,
        )

    async def WatchCatalystEvents(
        self, request: pb.WatchCatalystEventsRequest, context: Context
    ) -> AsyncIterator[pb.WatchCatalystEventsResponse]:
        if self._closing.is_set():
            raise ServerShuttingDown
        subscription = self._use_cases.watch_catalyst_events(
            list(request.kinds), list(request.symbols)
        )
        async with subscription as events:
            async for event in _until(self._closing, events):
                yield pb.WatchCatalystEventsResponse(event=m.catalyst_event_to_proto(event))

    # --- statistics -------------------------------------------------------------------

    async def GetLedgerStats(
        self, request: pb.GetLedgerStatsRequest, context: Context
    ) -> pb.GetLedgerStatsResponse:
        stats = await self._use_cases.statistics()
        return pb.GetLedgerStatsResponse(stats=[m.record_stats_to_proto(s) for s in stats])


async def _until(closing: asyncio.Event, items: AsyncIterator[T]) -> AsyncIterator[T]:
    """Yields from `items` until `closing` is set, then raises ServerShuttingDown."""
    closed = asyncio.ensure_future(closing.wait())
    following: asyncio.Future[T] | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(items))
            await asyncio.wait({following, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                raise ServerShuttingDown
            try:
                item = following.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        # Also on client cancellation: a pending read must not outlive the subscription.
        closed.cancel()
        if following is not None:
            following.cancel()
