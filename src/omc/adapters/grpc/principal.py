"""The authenticated caller of the RPC being served, set by the auth interceptor.

Servicers pass it to use cases explicitly; per-user filtering happens in the use cases.
"""

from __future__ import annotations

from contextvars import ContextVar

from omc.application.keys import Unauthenticated
from omc.domain.access import Principal

_current: ContextVar[Principal | None] = ContextVar("omc_principal", default=None)


def set_principal(principal: Principal | None) -> object:
    """Returns a token for `reset_principal`."""
    return _current.set(principal)


def reset_principal(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current_principal() -> Principal:
    principal = _current.get()
    if principal is None:
        # Only reachable if an RPC is served without the auth interceptor: fail closed.
        raise Unauthenticated("no authenticated principal for this call")
    return principal
