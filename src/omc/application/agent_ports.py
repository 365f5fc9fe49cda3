"""Ports of the research agent: the chat model, the session store and the engine
(the graph) that runs one turn of a conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from omc.application.errors import ApplicationError
from omc.application.ports import Page
from omc.domain.access import Principal
from omc.domain.agent.budgets import Budgets
from omc.domain.agent.sessions import AgentEvent, AgentSession, NewEvent, SessionStatus

# --- the chat model -----------------------------------------------------------------

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolSchema:
    name: str
    description: str
    # JSON Schema of the arguments object.
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    name: str
    # The raw JSON the model produced; validated by the tool, never trusted.
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    # What the graph asks for ("plan", "analyst:exchange", "write"). Real models see it
    # only through the prompts; the offline model dispatches on it.
    task: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSchema, ...] = ()
    # Ask for one JSON object as the whole reply (structured output).
    json_output: bool = False


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallOut:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class StructuredOutput:
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


ModelChunk = TextDelta | ToolCallOut | StructuredOutput | Usage


class ChatModel(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def notice(self) -> str:
        """Said to the user with every answer ("" for none): the offline model says so."""
        ...

    def stream(self, request: ChatRequest) -> AsyncIterator[ModelChunk]:
        """Text deltas as they are generated, then every tool call, structured output
        (when asked for) and usage. Raises ModelUnavailable once retries are spent."""
        ...


class ModelUnavailable(ApplicationError):
    """The model could not answer (rate limited or failing beyond the retries)."""

    reason = "MODEL_UNAVAILABLE"


# --- sessions -----------------------------------------------------------------------


class SessionStore(Protocol):
    async def create(self, session: AgentSession) -> None: ...

    async def get(self, session_id: str) -> AgentSession | None: ...

    async def list_sessions(
        self, owner: str | None, size: int, after: tuple[datetime, str] | None
    ) -> Page[AgentSession]:
        """Sessions of `owner` (every owner when None), newest first by
        (created_at, session_id); `after` is the last item of the previous page."""
        ...

    async def set_status(
        self, session_id: str, status: SessionStatus, at: datetime, *, error: str = ""
    ) -> AgentSession | None: ...

    async def append(
        self,
        session_id: str,
        events: Sequence[NewEvent],
        at: datetime,
        *,
        status: tuple[SessionStatus, str] | None = None,
    ) -> list[AgentEvent]:
        """Stores events with the next sequence numbers (monotonic, no gaps), atomically;
        with `status` (status, error) the session's status changes in the same step, so
        no reader sees a final event beside a stale status."""
        ...

    async def events(self, session_id: str, after_seq: int, limit: int) -> list[AgentEvent]:
        """Events with seq > after_seq, in order, at most `limit`."""
        ...

    def exclusive(self, session_id: str) -> AbstractAsyncContextManager[bool]:
        """Holds the session's lock (across replicas for Postgres) while inside; yields
        False without waiting when someone else holds it."""
        ...


# --- the engine: one turn of the graph --------------------------------------------------


class TurnKind(StrEnum):
    QUESTION = "question"
    ANSWER = "answer"


class TurnEnd(StrEnum):
    COMPLETED = "completed"
    WAITING_FOR_INPUT = "waiting_for_input"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Turn:
    session_id: str
    principal: Principal
    kind: TurnKind
    text: str
    budgets: Budgets = field(default_factory=Budgets)


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    end: TurnEnd
    detail: str = ""


Emit = Callable[[NewEvent], Awaitable[None]]
IsCancelled = Callable[[], bool]


class AgentEngine(Protocol):
    async def run_turn(self, turn: Turn, emit: Emit, cancelled: IsCancelled) -> TurnOutcome:
        """Runs the graph for one question or clarification answer, emitting events as
        it goes. Never raises for budgets, model failures or cancellation: those end
        the turn with their events and outcome."""
        ...
