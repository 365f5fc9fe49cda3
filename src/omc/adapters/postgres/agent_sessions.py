"""Agent sessions and events in Postgres; a session advisory lock per running turn."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.adapters.postgres.tables import agent_events, agent_sessions
from omc.application.ports import Page
from omc.domain.agent.sessions import (
    AgentEvent,
    AgentSession,
    EventKind,
    NewEvent,
    SessionStatus,
)

# Namespaces the advisory-lock key so it cannot collide with other lock users.
_LOCK_PREFIX = "omc.agent.session:"


def _session(row: Any) -> AgentSession:
    return AgentSession(
        session_id=row.session_id,
        owner=row.owner,
        goal=row.goal,
        status=SessionStatus(row.status),
        model=row.model,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_seq=row.last_seq,
        error=row.error,
    )


class PostgresSessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, session: AgentSession) -> None:
        with storage_errors():
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(agent_sessions).values(
                        session_id=session.session_id,
                        owner=session.owner,
                        goal=session.goal,
                        status=session.status.value,
                        model=session.model,
                        created_at=session.created_at,
                        updated_at=session.updated_at,
                        last_seq=session.last_seq,
                        error=session.error,
                    )
                )

    async def get(self, session_id: str) -> AgentSession | None:
        with storage_errors():
            async with self._engine.connect() as connection:
                row = (
                    await connection.execute(
                        select(agent_sessions).where(agent_sessions.c.session_id == session_id)
                    )
                ).first()
        return None if row is None else _session(row)

    async def list_sessions(
        self, owner: str | None, size: int, after: tuple[datetime, str] | None
    ) -> Page[AgentSession]:
        c = agent_sessions.c
        query = select(agent_sessions)
        if owner is not None:
            query = query.where(c.owner == owner)
        if after is not None:
            query = query.where(tuple_(c.created_at, c.session_id) < tuple_(*after))
        query = query.order_by(c.created_at.desc(), c.session_id.desc()).limit(size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        items = [_session(row) for row in rows[:size]]
        more = len(rows) > size
        return Page(items, (items[-1].created_at, items[-1].session_id) if more else None)

    async def set_status(
        self, session_id: str, status: SessionStatus, at: datetime, *, error: str = ""
    ) -> AgentSession | None:
        with storage_errors():
            async with self._engine.begin() as connection:
                row = (
                    await connection.execute(
                        update(agent_sessions)
                        .where(agent_sessions.c.session_id == session_id)
                        .values(status=status.value, updated_at=at, error=error)
                        .returning(agent_sessions)
                    )
                ).first()
        return None if row is None else _session(row)

    async def append(
        self,
        session_id: str,
        events: Sequence[NewEvent],
        at: datetime,
        *,
        status: tuple[SessionStatus, str] | None = None,
    ) -> list[AgentEvent]:
        if not events:
            return []
        changes: dict[str, Any] = {}
        if status is not None:
            changes = {"status": status[0].value, "error": status[1]}
        with storage_errors():
            async with self._engine.begin() as connection:
                # The row lock of this update orders concurrent appends: no gaps, no repeats.
                last = (
                    await connection.execute(
                        update(agent_sessions)
                        .where(agent_sessions.c.session_id == session_id)
                        .values(
                            last_seq=agent_sessions.c.last_seq + len(events),
                            updated_at=at,
                            **changes,
                        )
                        .returning(agent_sessions.c.last_seq)
                    )
                ).scalar_one()
                first = last - len(events) + 1
                stored = [
                    AgentEvent(session_id, first + i, e.kind, dict(e.payload), at)
                    for i, e in enumerate(events)
                ]
                await connection.execute(
                    insert(agent_events),
                    [
                        {
                            "session_id": session_id,
                            "seq": e.seq,
                            "kind": e.kind.value,
                            "payload": json.loads(json.dumps(e.payload, default=str)),
                            "created_at": at,
                        }
                        for e in stored
                    ],
                )
        return stored

    async def events(self, session_id: str, after_seq: int, limit: int) -> list[AgentEvent]:
        c = agent_events.c
        query = (
            select(agent_events)
            .where(and_(c.session_id == session_id, c.seq > after_seq))
            .order_by(c.seq)
            .limit(limit)
        )
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        return [
            AgentEvent(row.session_id, row.seq, EventKind(row.kind), row.payload, row.created_at)
            for row in rows
        ]

    @asynccontextmanager
    async def exclusive(self, session_id: str) -> AsyncIterator[bool]:
        """A session-level advisory lock on a connection held while inside: if this
        process dies, Postgres drops the connection and with it the lock."""
        key = _LOCK_PREFIX + session_id
        with storage_errors():
            async with self._engine.connect() as raw:
                connection = await raw.execution_options(isolation_level="AUTOCOMMIT")
                acquired = bool(
                    (
                        await connection.execute(
                            text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"),
                            {"key": key},
                        )
                    ).scalar_one()
                )
                try:
                    yield acquired
                finally:
                    if acquired:
                        await connection.execute(
                            text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"),
                            {"key": key},
                        )
