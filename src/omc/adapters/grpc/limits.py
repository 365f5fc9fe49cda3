"""Per-call limits: a per-principal rate limit and a server-side deadline for unary RPCs.

Must run after AuthInterceptor (it reads the principal it sets). Message size limits are
grpc's own (GrpcServer's max receive/send lengths); batch and page caps live in the use
cases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
from grpc import aio

from omc.adapters.grpc.errors import RpcDeadlineExceeded
from omc.adapters.grpc.handlers import guarded, streams
from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.scopes import is_open
from omc.application.rate_limit import RateLimiter

DEFAULT_DEADLINE_SECONDS = 30.0


class LimitsInterceptor(aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Rate-limits authenticated calls per user (RESOURCE_EXHAUSTED with RetryInfo) and
    ends unary calls that outlive `deadline_seconds` (DEADLINE_EXCEEDED).

    Streams have no server deadline: WatchPrices is meant to stay open. Open services
    (health, reflection) are not rate-limited: load balancers poll them.
    A client's own shorter deadline is enforced by grpc, which cancels the handler."""

    def __init__(
        self,
        rate_limiter: RateLimiter | None,
        deadline_seconds: float | None = DEFAULT_DEADLINE_SECONDS,
    ) -> None:
        if deadline_seconds is not None and deadline_seconds <= 0:
            raise ValueError("deadline_seconds must be > 0")
        self._limiter = rate_limiter
        self._deadline = deadline_seconds

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        limit_rate = self._limiter is not None and not is_open(handler_call_details.method)
        deadline = None if streams(handler) else self._deadline
        if not limit_rate and deadline is None:
            return handler

        def guard(context: aio.ServicerContext) -> Any:
            return self._limited(limit_rate, deadline)

        return guarded(handler, guard)

    @asynccontextmanager
    async def _limited(self, limit_rate: bool, deadline: float | None) -> AsyncIterator[None]:
        if limit_rate:
            assert self._limiter is not None
            self._limiter.acquire(current_principal().user_id)
        if deadline is None:
            yield
            return
        try:
            async with asyncio.timeout(deadline) as timeout:
                yield
        except TimeoutError:
            # Only our own expiry is the server deadline; a TimeoutError raised by the
            # handler itself (a driver's, say) keeps its own mapping.
            if timeout.expired():
                raise RpcDeadlineExceeded(deadline) from None
            raise
