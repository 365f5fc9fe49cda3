"""Checkpointers: LangGraph's Postgres saver over a psycopg pool (with Postgres storage),
its in-memory saver (with memory storage)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


async def postgres_checkpointer(url: str, pool_size: int = 5) -> AsyncIterator[AsyncPostgresSaver]:
    """The tables come from our migration 0006, so setup() is not called here."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=pool_size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    try:
        yield AsyncPostgresSaver(pool)
    finally:
        await pool.close()


def memory_checkpointer() -> InMemorySaver:
    return InMemorySaver()
