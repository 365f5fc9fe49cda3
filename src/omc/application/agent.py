"""Agent sessions: create, converse (ask, answer a clarification, follow), cancel.

A turn runs as its own task holding the session's lock (a Postgres advisory lock with
Postgres storage), so two replicas never advance one session at once and a client
that disconnects does not stop the work: it reconnects with the last sequence number
it saw and gets the rest from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime

from omc.application.agent_ports import (
    AgentEngine,
    SessionStore,
    Turn,
    TurnEnd,
    TurnKind,
    TurnOutcome,
)
from omc.application.errors import FailedPrecondition, FieldViolation, InvalidArgument
from omc.application.keys import KeyNotFound
from omc.application.paging import (
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import Clock, Condition, Op
from omc.domain.access import USER_ID_PATTERN, Principal
from omc.domain.agent.budgets import Budgets
from omc.domain.agent.sessions import (
    REOPENABLE,
    AgentEvent,
    AgentSession,
    EventKind,
    NewEvent,
    SessionStatus,
)

MAX_QUESTION_CHARS = 4_000
SESSION_ID_PATTERN = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as open_session issues
MAX_SESSION_PAGE = 100
_LOCK_WAIT_SECONDS = 5.0
_REPLAY_BATCH = 500
_OUTCOME_STATUS = {
    TurnEnd.COMPLETED: SessionStatus.COMPLETED,
    TurnEnd.WAITING_FOR_INPUT: SessionStatus.WAITING_FOR_INPUT,
    TurnEnd.FAILED: SessionStatus.FAILED,
    TurnEnd.CANCELLED: SessionStatus.CANCELLED,
}


class SessionNotFound(KeyNotFound):
    """No such session, or not the caller's: both answer the same, so ids leak nothing."""

    reason = "SESSION_NOT_FOUND"


def _busy(session_id: str) -> FailedPrecondition:
    return FailedPrecondition(
        "the session is advancing in another stream; reconnect to follow it",
        subject=session_id,
        subject_field="session_id",
        reason="SESSION_BUSY",
    )


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: list[AgentSession]
    next_page_token: str


class AgentSessions:
    def __init__(
        self,
        store: SessionStore,
        engine: AgentEngine,
        clock: Clock,
        *,
        model_id: str,
        budgets: Budgets | None = None,
        poll_seconds: float = 0.25,
    ) -> None:
        self._store = store
        self._engine = engine
        self._clock = clock
        self._model_id = model_id
        self._budgets = budgets or Budgets()
        self._poll = poll_seconds
        self._turns: dict[str, asyncio.Task[None]] = {}
        self._cancelled: set[str] = set()
        self._signals: dict[str, asyncio.Event] = {}

    # --- sessions ---------------------------------------------------------------------

    async def create_session(self, principal: Principal, goal: str = "") -> AgentSession:
        session, _ = await self.open_session(principal, goal)
        return session

    async def open_session(
        self, principal: Principal, goal: str = ""
    ) -> tuple[AgentSession, list[AgentEvent]]:
        """A new session and its opening events, for a stream to send at once: its
        first event is the one that tells the client which session to resume."""
        goal = _text(goal, "goal", required=False)
        now = self._clock.now()
        session = AgentSession(
            session_id=uuid.uuid4().hex,
            owner=principal.user_id,
            goal=goal,
            status=SessionStatus.PENDING,
            model=self._model_id,
            created_at=now,
            updated_at=now,
        )
        await self._store.create(session)
        opening = await self._store.append(
            session.session_id,
            [NewEvent(EventKind.SESSION_STARTED, {"goal": goal, "model": self._model_id})],
            now,
        )
        return replace(session, last_seq=opening[-1].seq), opening

    async def get_session(self, principal: Principal, session_id: str) -> AgentSession:
        wanted = session_id.strip()
        # Only ids this service issued (uuid4 hex) can exist: anything else is not
        # looked up, so no stray bytes (NUL) reach the store.
        session = await self._store.get(wanted) if SESSION_ID_PATTERN.fullmatch(wanted) else None
        if session is None or not (principal.is_admin or session.owner == principal.user_id):
            raise SessionNotFound(f"no session {session_id!r}")
        return session

    async def list_sessions(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        user_id: str = "",
    ) -> SessionPage:
        owner: str | None = principal.user_id
        wanted = user_id.strip()
        if principal.is_admin:
            if wanted and wanted != "*" and not USER_ID_PATTERN.fullmatch(wanted):
                raise InvalidArgument(
                    [FieldViolation("user_id", f"must be '*' or match {USER_ID_PATTERN.pattern}")]
                )
            owner = None if wanted == "*" else (wanted or principal.user_id)
        elif wanted and wanted != principal.user_id:
            owner = principal.user_id  # a non-admin only ever sees their own
        size = effective_page_size(page_size, maximum=MAX_SESSION_PAGE)
        conditions = (Condition("owner", Op.EQ, owner or "*"),)
        fingerprint = filter_fingerprint("agent_sessions", conditions, True)
        after = decode_page_token(page_token, fingerprint)
        key: tuple[datetime, str] | None = None
        if after is not None:
            if not (len(after) == 2 and isinstance(after[0], datetime)):
                raise InvalidArgument([FieldViolation("page_token", "is not a valid token")])
            key = (after[0], str(after[1]))
        page = await self._store.list_sessions(owner, size, key)
        token = "" if page.next_after is None else encode_page_token(fingerprint, page.next_after)
        return SessionPage(page.items, token)

    async def cancel_session(self, principal: Principal, session_id: str) -> AgentSession:
        session = await self.get_session(principal, session_id)
        if session.status is SessionStatus.CANCELLED:
            return session
        self._cancelled.add(session.session_id)
        if session.session_id in self._turns:
            # The running turn sees the flag, ends with its events and sets the status.
            await self._wait_for_turn(session.session_id)
        else:
            async with self._store.exclusive(session.session_id) as acquired:
                if acquired:
                    await self._finish(session.session_id, TurnOutcome(TurnEnd.CANCELLED))
                else:
                    # Running on another replica: it polls the status and stops there.
                    await self._store.set_status(
                        session.session_id, SessionStatus.CANCELLED, self._clock.now()
                    )
            self._bump(session.session_id)
        return await self.get_session(principal, session_id)

    # --- conversing -------------------------------------------------------------------

    async def ask(
        self, principal: Principal, session_id: str, question: str
    ) -> AsyncIterator[AgentEvent]:
        """Starts a turn for a question and streams its events (including the question)."""
        after = await self._start(principal, session_id, TurnKind.QUESTION, question)
        return self._tail(session_id, after)

    async def answer(
        self, principal: Principal, session_id: str, text: str
    ) -> AsyncIterator[AgentEvent]:
        """Resumes a session waiting for a clarification with the user's answer."""
        after = await self._start(principal, session_id, TurnKind.ANSWER, text)
        return self._tail(session_id, after)

    async def follow(
        self, principal: Principal, session_id: str, after_seq: int
    ) -> AsyncIterator[AgentEvent]:
        """Every event after `after_seq`, then live ones while a turn is running."""
        if after_seq < 0:
            raise InvalidArgument([FieldViolation("last_seq", "must not be negative")])
        session = await self.get_session(principal, session_id)
        return self._tail(session.session_id, after_seq)

    async def close(self) -> None:
        """Stops turns running here (server shutdown); their sessions can be resumed."""
        tasks = list(self._turns.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def wait_idle(self) -> None:
        """Until no turn runs on this replica (tests and benchmarks)."""
        while self._turns:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    # --- internals ----------------------------------------------------------------------

    async def _start(self, principal: Principal, session_id: str, kind: TurnKind, text: str) -> int:
        text = _text(text, "question" if kind is TurnKind.QUESTION else "answer")
        session = await self.get_session(principal, session_id)
        lock = await self._acquire(session.session_id)
        try:
            session = await self.get_session(principal, session_id)
            now = self._clock.now()
            if session.status is SessionStatus.RUNNING:
                # We hold the lock, so whoever ran it is gone (a restart): say so.
                await self._store.append(
                    session.session_id,
                    [
                        NewEvent(
                            EventKind.ERROR,
                            {
                                "code": "TURN_INTERRUPTED",
                                "message": "the previous turn was interrupted",
                            },
                        )
                    ],
                    now,
                )
                session = await self._set(session.session_id, SessionStatus.FAILED, "interrupted")
            self._check_state(session, kind)
            self._cancelled.discard(session.session_id)
            after = session.last_seq
            await self._store.append(
                session.session_id,
                [NewEvent(EventKind.USER_MESSAGE, {"kind": kind.value, "text": text})],
                now,
            )
            await self._set(session.session_id, SessionStatus.RUNNING)
        except BaseException:
            await lock.__aexit__(None, None, None)
            raise
        turn = Turn(session.session_id, principal, kind, text, self._budgets)
        self._turns[session.session_id] = asyncio.create_task(
            self._run(turn, lock), name=f"omc-agent-{session.session_id}"
        )
        return after

    async def _acquire(self, session_id: str) -> AbstractAsyncContextManager[bool]:
        """The session's lock. While a turn runs (anywhere) a second one is refused at
        once: queueing it would hide from its client that the session moved on. A turn
        that has just stored its end (a clarification, a final answer) still holds the
        lock for a moment, so a prompt follow-up waits briefly for that instead."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _LOCK_WAIT_SECONDS
        while True:
            lock = self._store.exclusive(session_id)
            if await lock.__aenter__():
                return lock
            await lock.__aexit__(None, None, None)
            session = await self._store.get(session_id)
            running = session is not None and session.status is SessionStatus.RUNNING
            if running or loop.time() >= deadline:
                raise _busy(session_id)
            await asyncio.sleep(0.05)

    def _check_state(self, session: AgentSession, kind: TurnKind) -> None:
        if session.status is SessionStatus.CANCELLED:
            raise FailedPrecondition(
                "the session was cancelled; create a new one",
                subject=session.session_id,
                subject_field="session_id",
                reason="SESSION_CANCELLED",
            )
        if kind is TurnKind.ANSWER and session.status is not SessionStatus.WAITING_FOR_INPUT:
            raise FailedPrecondition(
                "the session is not waiting for a clarification",
                subject=session.session_id,
                subject_field="session_id",
                reason="NOT_WAITING_FOR_INPUT",
            )
        if kind is TurnKind.QUESTION and not (
            session.status in REOPENABLE or session.status is SessionStatus.WAITING_FOR_INPUT
        ):
            raise _busy(session.session_id)

    async def _run(self, turn: Turn, lock: AbstractAsyncContextManager[bool]) -> None:
        session_id = turn.session_id

        async def emit(event: NewEvent) -> None:
            if event.kind is EventKind.CLARIFICATION_REQUESTED:
                # Status first: a client acting on the question finds the session waiting.
                await self._set(session_id, SessionStatus.WAITING_FOR_INPUT)
            await self._store.append(session_id, [event], self._clock.now())
            self._bump(session_id)

        watcher = asyncio.create_task(self._watch_cancel(session_id))
        try:
            try:
                # A backstop only: the engine enforces the wall-clock budget itself.
                async with asyncio.timeout(turn.budgets.wall_clock_seconds + 10):
                    outcome = await self._engine.run_turn(
                        turn, emit, lambda: session_id in self._cancelled
                    )
            except TimeoutError:
                outcome = TurnOutcome(TurnEnd.FAILED, "wall-clock budget exhausted")
            except asyncio.CancelledError:
                raise
            except Exception:  # the engine promised not to raise: fail the turn cleanly
                await emit(
                    NewEvent(EventKind.ERROR, {"code": "INTERNAL", "message": "internal error"})
                )
                outcome = TurnOutcome(TurnEnd.FAILED, "internal error")
            if session_id in self._cancelled and outcome.end is not TurnEnd.CANCELLED:
                outcome = TurnOutcome(TurnEnd.CANCELLED)
            await self._finish(session_id, outcome)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._turns.pop(session_id, None)
            await lock.__aexit__(None, None, None)
            self._bump(session_id)

    async def _finish(self, session_id: str, outcome: TurnOutcome) -> None:
        status = _OUTCOME_STATUS[outcome.end]
        if status is SessionStatus.WAITING_FOR_INPUT:
            await self._set(session_id, status, outcome.detail)
        else:
            # One step: a client that stops reading at SESSION_ENDED and asks for the
            # session must see its final status.
            payload = {"status": status.value, "detail": outcome.detail}
            await self._store.append(
                session_id,
                [NewEvent(EventKind.SESSION_ENDED, payload)],
                self._clock.now(),
                status=(status, outcome.detail),
            )
        self._bump(session_id)

    async def _watch_cancel(self, session_id: str) -> None:
        """Notices a cancel made through another replica (it can only set the status)."""
        while True:
            await asyncio.sleep(self._poll)
            session = await self._store.get(session_id)
            if session is not None and session.status is SessionStatus.CANCELLED:
                self._cancelled.add(session_id)
                return

    async def _wait_for_turn(self, session_id: str) -> None:
        task = self._turns.get(session_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def _set(self, session_id: str, status: SessionStatus, error: str = "") -> AgentSession:
        session = await self._store.set_status(session_id, status, self._clock.now(), error=error)
        if session is None:
            raise SessionNotFound(f"no session {session_id!r}")
        return session

    def _bump(self, session_id: str) -> None:
        signal = self._signals.pop(session_id, None)
        if signal is not None:
            signal.set()

    async def _tail(self, session_id: str, after: int) -> AsyncIterator[AgentEvent]:
        while True:
            signal = self._signals.setdefault(session_id, asyncio.Event())
            events = await self._store.events(session_id, after, _REPLAY_BATCH)
            for event in events:
                after = event.seq
                yield event
            if events:
                continue
            session = await self._store.get(session_id)
            if session is None or session.status is not SessionStatus.RUNNING:
                if await self._store.events(session_id, after, 1):
                    continue
                if session is None or await self._turn_over(session):
                    return
            # Woken by this replica's appends; polling covers turns run by another one.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), self._poll)

    async def _turn_over(self, session: AgentSession) -> bool:
        """Waiting sessions turn WAITING_FOR_INPUT just before their question is stored:
        a tail ends only once the question is there to be sent."""
        if session.status is not SessionStatus.WAITING_FOR_INPUT:
            return True
        last = await self._store.events(session.session_id, session.last_seq - 1, 1)
        return bool(last) and last[0].kind is EventKind.CLARIFICATION_REQUESTED


def _text(raw: str, name: str, *, required: bool = True) -> str:
    text = raw.strip()
    if required and not text:
        raise InvalidArgument([FieldViolation(name, "must not be empty")])
    if "\x00" in text:
        # Postgres text and jsonb cannot hold NUL; refused here, not as a storage fault.
        raise InvalidArgument([FieldViolation(name, "must not contain NUL characters")])
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidArgument([FieldViolation(name, f"at most {MAX_QUESTION_CHARS} characters")])
    return text
