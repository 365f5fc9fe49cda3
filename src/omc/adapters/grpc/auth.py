"""Authentication and authorisation of every RPC: a Bearer API key and the scope the
RPC needs (scopes.RPC_SCOPES). Health and reflection stay open.

Failures are raised from inside the handler's behaviour, so the request-id/logging
interceptor (which runs first) logs and maps them like any other error, once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import grpc
import structlog
from grpc import aio

from omc.adapters.grpc.handlers import guarded
from omc.adapters.grpc.principal import reset_principal, set_principal
from omc.adapters.grpc.scopes import RPC_SCOPES, is_open
from omc.application.keys import Authenticator, PermissionDenied, Unauthenticated
from omc.domain.access import Scope

AUTHORIZATION_HEADER = "authorization"
_BEARER = "bearer"

_log = structlog.get_logger("omc.grpc.auth")


def presented_key(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The key of an `authorization: Bearer <key>` header; None when there is none."""
    for name, value in metadata or ():
        if name.lower() != AUTHORIZATION_HEADER:
            continue
        scheme, _, key = (value if isinstance(value, str) else "").strip().partition(" ")
        if scheme.lower() != _BEARER or not key.strip():
            raise Unauthenticated("the authorization metadata must be 'Bearer <key>'")
        return key.strip()
    return None


class AuthInterceptor(aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Sets the caller's Principal (principal.current_principal) for the servicer and
    binds its user and key id (never the key) to the log context of the call."""

    def __init__(
        self, authenticator: Authenticator, scopes: Mapping[str, Scope] = RPC_SCOPES
    ) -> None:
        self._authenticator = authenticator
        self._scopes = scopes

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or is_open(method):
            return handler
        metadata = handler_call_details.invocation_metadata

        def guard(context: aio.ServicerContext) -> Any:
            return self._authorised(method, metadata)

        return guarded(handler, guard)

    @asynccontextmanager
    async def _authorised(
        self, method: str, metadata: Sequence[tuple[str, str | bytes]] | None
    ) -> AsyncIterator[None]:
        principal = await self._authenticator.authenticate(presented_key(metadata))
        # Bound for the rest of the call's task, so the RPC's one log line (written by
        # the outer interceptor after this returns) names the caller.
        structlog.contextvars.bind_contextvars(
            principal=principal.user_id, principal_key_id=principal.key_id
        )
        scope = self._scopes.get(method)
        if scope is None:
            # A servicer offers an RPC nobody put in the scope table: a bug. Fail closed.
            _log.error("auth.rpc_without_scope", method=method)
            raise PermissionDenied("this RPC is not available to any API key")
        self._authenticator.require(principal, scope)
        token = set_principal(principal)
        try:
            yield
        finally:
            # A stream finalised from another task (garbage collection) cannot reset
            # it; the variable dies with the call's context anyway.
            with contextlib.suppress(ValueError):
                reset_principal(token)
