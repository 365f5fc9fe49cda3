"""Agent sessions and their events in process memory (tests, --storage memory)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from omc.application.ports import Page
from omc.domain.agent.sessions import AgentEvent, AgentSession, NewEvent, SessionStatus


class MemorySessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, AgentSession] = {}
        self._events: dict[str, list[AgentEvent]] = {}
        self._held: set[str] = set()

    async def create(self, session: AgentSession) -> None:
        self._sessions[session.session_id] = session
        self._events[session.session_id] = []

    async def get(self, session_id: str) -> AgentSession | None:
        return self._sessions.get(session_id)

    async def list_sessions(
        self, owner: str | None, size: int, after: tuple[datetime, str] | None
    ) -> Page[AgentSession]:
        ordered = sorted(
            (s for s in self._sessions.values() if owner is None or s.owner == owner),
            key=lambda s: (s.created_at, s.session_id),
            reverse=True,
        )
        if after is not None:
            ordered = [s for s in ordered if (s.created_at, s.session_id) < after]
        items = ordered[:size]
        more = len(ordered) > size
        last = items[-1] if items else None
        return Page(items, (last.created_at, last.session_id) if more and last else None)

    async def set_status(
        self, session_id: str, status: SessionStatus, at: datetime, *, error: str = ""
    ) -> AgentSession | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        updated = replace(session, status=status, updated_at=at, error=error)
        self._sessions[session_id] = updated
        return updated

    async def append(
        self,
        session_id: str,
        events: Sequence[NewEvent],
        at: datetime,
        *,
        status: tuple[SessionStatus, str] | None = None,
    ) -> list[AgentEvent]:
        session = self._sessions[session_id]
        if status is not None:
            session = replace(session, status=status[0], error=status[1])
        stored = [
            AgentEvent(session_id, session.last_seq + offset, e.kind, dict(e.payload), at)
            for offset, e in enumerate(events, start=1)
        ]
        self._events[session_id].extend(stored)
        self._sessions[session_id] = replace(
            session, last_seq=session.last_seq + len(stored), updated_at=at
        )
        return stored

    async def events(self, session_id: str, after_seq: int, limit: int) -> list[AgentEvent]:
        # seq n sits at index n - 1: no scan, whatever the length.
        return self._events.get(session_id, [])[after_seq : after_seq + limit]

    def exclusive(self, session_id: str) -> _Lock:
        return _Lock(self._held, session_id)


class _Lock:
    """A try-lock that, like an advisory lock, never waits."""

    def __init__(self, held: set[str], session_id: str) -> None:
        self._held = held
        self._session_id = session_id
        self._acquired = False

    async def __aenter__(self) -> bool:
        await asyncio.sleep(0)
        if self._session_id in self._held:
            return False
        self._held.add(self._session_id)
        self._acquired = True
        return True

    async def __aexit__(self, *exc: object) -> None:
        if self._acquired:
            self._held.discard(self._session_id)
            self._acquired = False
