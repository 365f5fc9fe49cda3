"""Sessions and their events: what a conversation is, and what it streamed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SessionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_FOR_INPUT = "waiting_for_input"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# A new question may follow these; only CANCELLED ends a session for good.
REOPENABLE = frozenset({SessionStatus.PENDING, SessionStatus.COMPLETED, SessionStatus.FAILED})


class EventKind(StrEnum):
    SESSION_STARTED = "session_started"
    USER_MESSAGE = "user_message"
    PLAN = "plan"
    ANALYST_STARTED = "analyst_started"
    ANALYST_FINISHED = "analyst_finished"
    TOOL_CALL_STARTED = "tool_call_started"
    TOOL_CALL_FINISHED = "tool_call_finished"
    TEXT_DELTA = "text_delta"
    CLARIFICATION_REQUESTED = "clarification_requested"
    CITATION = "citation"
    VERIFICATION_RESULT = "verification_result"
    BUDGET_EXHAUSTED = "budget_exhausted"
    FINAL_ANSWER = "final_answer"
    ERROR = "error"
    SESSION_ENDED = "session_ended"


@dataclass(frozen=True, slots=True)
class AgentSession:
    session_id: str
    owner: str
    goal: str
    status: SessionStatus
    model: str
    created_at: datetime
    updated_at: datetime
    last_seq: int = 0
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.status in {
            SessionStatus.COMPLETED,
            SessionStatus.FAILED,
            SessionStatus.CANCELLED,
        }


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event before the store has given it its sequence number."""

    kind: EventKind
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """A persisted event: `seq` is monotonic per session, starting at 1, with no gaps."""

    session_id: str
    seq: int
    kind: EventKind
    payload: Mapping[str, Any]
    at: datetime
