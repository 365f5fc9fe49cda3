"""Checkpointers: LangGraph's Postgres saver over a psycopg pool (with Postgres storage),
its in-memory saver (with memory storage)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from omc.adapters.postgres.liveness import TCP_LIVENESS


async def postgres_checkpointer(
    url: str, pool_size: int = 5, password: Callable[[], str | None] | None = None
) -> AsyncIterator[AsyncPostgresSaver]:
    """The tables come from our migration 0006, so setup() is not called here.

    `password`, when given, is asked at every new pooled connection, so a password
    rotated since start-up is the one used."""

    def connection_kwargs() -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            **TCP_LIVENESS,
        }
        current = password() if password is not None else None
        if current:
            kwargs["password"] = current
        return kwargs

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url, min_size=1, max_size=pool_size, open=False, kwargs=connection_kwargs
    )
    await pool.open()
    try:
        yield AsyncPostgresSaver(pool)
    finally:
        await pool.close()


def memory_checkpointer() -> InMemorySaver:
    return InMemorySaver()
