"""Budgets: every run stops with a clear final event, never a hang or a recursion error."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BudgetKind(StrEnum):
    STEPS = "steps"
    TOOL_CALLS = "tool_calls"
    WALL_CLOCK = "wall_clock"
    TOKENS = "tokens"


@dataclass(frozen=True, slots=True)
class Budgets:
    # Graph super-steps of one turn (LangGraph's recursion limit).
    max_steps: int = 40
    # Tool calls one analyst may make in one turn.
    max_tool_calls_per_analyst: int = 6
    # Wall-clock seconds one turn may take.
    wall_clock_seconds: float = 60.0
    # Prompt plus completion tokens of one turn, as the model reports them.
    max_tokens: int = 60_000


class BudgetExhausted(Exception):
    """A budget ran out; the run ends with a budget-exhausted and a final event."""

    def __init__(self, kind: BudgetKind, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind.value} budget exhausted: {detail}")


class TokenMeter:
    """Counts the tokens a turn has used against its budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def add(self, tokens: int) -> None:
        self.used += max(tokens, 0)

    def check(self) -> None:
        if self.used > self.limit:
            raise BudgetExhausted(BudgetKind.TOKENS, f"{self.used} tokens used, limit {self.limit}")
