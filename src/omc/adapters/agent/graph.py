"""The LangGraph engine: plan -> analysts in parallel (Send) -> join -> divergences ->
write -> verify -> final, with an ask_user interrupt after plan.

Events are emitted from inside the nodes through the run context (never part of the
checkpointed state, so a resumed run does not replay side effects of finished nodes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import metadata
from typing import Annotated, Any, TypedDict, TypeVar

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, Send, interrupt

from omc.adapters.agent import prompts
from omc.adapters.agent.worker import (
    AgentLoop,
    HomeLoopSaver,
    InlineLoop,
    Outbox,
    agent_loop,
    on_loop,
)
from omc.application.agent_ports import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    Emit,
    IsCancelled,
    ModelUnavailable,
    StructuredOutput,
    TextDelta,
    ToolCall,
    ToolCallOut,
    ToolSchema,
    Turn,
    TurnEnd,
    TurnKind,
    TurnOutcome,
    Usage,
)
from omc.application.agent_tools import Toolbox, ToolResult
from omc.domain.agent.budgets import BudgetExhausted, BudgetKind, Budgets, TokenMeter
from omc.domain.agent.claims import Claim, ClaimStatus, parse_draft
from omc.domain.agent.divergences import find_divergences
from omc.domain.agent.evidence import EvidenceRow, ref_for, row_from_json
from omc.domain.agent.intents import (
    MAX_WINDOW,
    Analyst,
    Intent,
    Plan,
    analysts_for,
)
from omc.domain.agent.manifest import RunManifest, ToolCallRecord, stable_hash
from omc.domain.agent.sessions import EventKind, NewEvent
from omc.domain.agent.verify import settle, verify

MAX_CLARIFICATIONS = 2
T = TypeVar("T")
ToolboxFactory = Callable[[Turn], Toolbox]


class RunCancelled(Exception):
    pass


def _merge_findings(old: list[dict[str, Any]] | None, new: list[dict[str, Any]]) -> list[Any]:
    merged = list(old or [])
    for item in new:
        if item.get("reset"):
            merged = []
        else:
            merged.append(item)
    return merged


class AgentState(TypedDict, total=False):
    question: str
    clarifications: list[dict[str, str]]
    pending_clarification: str
    plan: dict[str, Any]
    watermarks: dict[str, str]
    findings: Annotated[list[dict[str, Any]], _merge_findings]
    evidence: dict[str, dict[str, Any]]
    draft: str
    attempts: int
    feedback: str
    claims: list[dict[str, Any]]


@dataclass
class RunContext:
    """What nodes need that is not state: the model, tools, budgets and the event sink."""

    model: ChatModel
    toolbox: Toolbox
    emit: Emit
    cancelled: IsCancelled
    budgets: Budgets
    meter: TokenMeter
    now: datetime
    # The loop the tools' repositories belong to (None: the one running the graph).
    home: asyncio.AbstractEventLoop | None = None
    manifest: RunManifest = field(default_factory=RunManifest)

    def check(self) -> None:
        if self.cancelled():
            raise RunCancelled
        self.meter.check()

    async def tool(self, name: str, arguments: str, analyst: Analyst | None = None) -> ToolResult:
        return await on_loop(self.home, self.toolbox.call(name, arguments, analyst))

    async def complete(self, request: ChatRequest, *, stream_text: bool = False) -> _Reply:
        self.check()
        system = next((m.content for m in request.messages if m.role == "system"), "")
        family = request.task.split(":")[0]
        self.manifest.models.append(self.model.model_id)
        self.manifest.prompt_hashes[request.task if family == "analyst" else family] = stable_hash(
            system
        )
        reply = _Reply()
        async for chunk in self.model.stream(request):
            if isinstance(chunk, TextDelta):
                reply.text += chunk.text
                if stream_text and chunk.text:
                    await self.emit(NewEvent(EventKind.TEXT_DELTA, {"text": chunk.text}))
                if self.cancelled():
                    raise RunCancelled
            elif isinstance(chunk, ToolCallOut):
                reply.tool_calls.append(chunk.call)
            elif isinstance(chunk, StructuredOutput):
                reply.data = dict(chunk.data)
            elif isinstance(chunk, Usage):
                self.meter.add(chunk.total)
        self.meter.check()
        return reply


@dataclass
class _Reply:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    data: dict[str, Any] | None = None


class AnalystInput(TypedDict):
    analyst: str
    question: str
    plan: dict[str, Any]


# --- nodes ------------------------------------------------------------------------------


async def plan_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.check()
    watermarks = dict(state.get("watermarks") or {})
    if not watermarks:
        stats = await ctx.tool("ledger_stats", "{}")
        for row in stats.rows:
            latest = row.fields.get("latest")
            if latest:
                watermarks[str(row.fields["record_type"])] = str(latest)
    symbols_result = await ctx.tool("available_symbols", "{}")
    known = sorted({str(r.fields["symbol"]) for r in symbols_result.rows if "symbol" in r.fields})
    newest = max((datetime.fromisoformat(v) for v in watermarks.values()), default=ctx.now)
    # Windows end at the newest data rather than now: old data answers "this week" as of
    # its own week, and the answer says which time that is.
    anchor = min(ctx.now, newest)
    context = {"anchor": anchor.isoformat(), "now": ctx.now.isoformat(), "known_symbols": known}
    messages = [
        ChatMessage("system", f"{prompts.PLAN}\nCONTEXT: {json.dumps(context)}"),
        ChatMessage("user", state["question"]),
    ]
    for round_ in state.get("clarifications") or []:
        messages.append(ChatMessage("assistant", round_["question"]))
        messages.append(ChatMessage("user", round_["answer"]))
    reply = await ctx.complete(ChatRequest("plan", tuple(messages), json_output=True))
    plan = _validated_plan(reply.data or {}, anchor, known, ctx.toolbox)
    rounds = len(state.get("clarifications") or [])
    if plan.clarification and rounds < MAX_CLARIFICATIONS:
        return {
            "plan": plan.to_json(),
            "pending_clarification": plan.clarification,
            "watermarks": watermarks,
        }
    if plan.clarification:
        plan = Plan(
            plan.intents,
            tuple(known),
            plan.start,
            plan.end,
            plan.analysts,
            "",
            plan.symbols_from_books,
            (*plan.notes, "no coin named: every symbol"),
        )
    await ctx.emit(NewEvent(EventKind.PLAN, plan.to_json()))
    return {"plan": plan.to_json(), "pending_clarification": "", "watermarks": watermarks}


# Routers are coroutines: LangGraph runs a plain function in a thread pool, a hand-off
# (and a GIL round trip) per branch for a dictionary lookup.
async def route_after_plan(state: AgentState) -> Any:
    if state.get("pending_clarification"):
        return "clarify"
    plan = state["plan"]
    sends = [
        Send("analyst", {"analyst": name, "question": state["question"], "plan": plan})
        for name in plan.get("analysts", [])
    ]
    return sends or "join"


async def clarify_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    question = state["pending_clarification"]
    answer = interrupt({"question": question})
    rounds = [*(state.get("clarifications") or []), {"question": question, "answer": answer}]
    return {"clarifications": rounds, "pending_clarification": ""}


async def analyst_node(state: AnalystInput, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    name = Analyst(state["analyst"])
    ctx.check()
    await ctx.emit(NewEvent(EventKind.ANALYST_STARTED, {"analyst": name.value}))
    tools = ctx.toolbox.for_analyst(name)
    schemas = tuple(ToolSchema(t.name, t.description, t.parameters) for t in tools)
    allowed = {t.name for t in tools}
    messages: list[ChatMessage] = [
        ChatMessage("system", f"{prompts.ANALYST[name]}\n{prompts.ANALYST_RULES}"),
        ChatMessage("user", f"QUESTION: {state['question']}\nPLAN: {json.dumps(state['plan'])}"),
    ]
    rows: dict[str, EvidenceRow] = {}
    calls = 0
    cap = ctx.budgets.max_tool_calls_per_analyst
    note = ""
    capped = False
    while not capped:
        reply = await ctx.complete(
            ChatRequest(f"analyst:{name.value}", tuple(messages), tools=schemas)
        )
        messages.append(ChatMessage("assistant", reply.text, tuple(reply.tool_calls)))
        if not reply.tool_calls:
            note = reply.text
            break
        for call in reply.tool_calls:
            if calls >= cap:
                capped = True
                await ctx.emit(
                    NewEvent(
                        EventKind.BUDGET_EXHAUSTED,
                        {
                            "kind": BudgetKind.TOOL_CALLS.value,
                            "analyst": name.value,
                            "detail": f"{cap} tool calls used",
                        },
                    )
                )
                break
            calls += 1
            ctx.check()
            await ctx.emit(
                NewEvent(
                    EventKind.TOOL_CALL_STARTED,
                    {
                        "analyst": name.value,
                        "call_id": call.call_id,
                        "name": call.name,
                        "arguments": call.arguments[:2000],
                    },
                )
            )
            if call.name not in allowed:
                await ctx.emit(
                    NewEvent(
                        EventKind.ERROR,
                        {
                            "code": "UNKNOWN_TOOL",
                            "analyst": name.value,
                            "message": f"refused a call to unknown tool {call.name[:100]!r}",
                        },
                    )
                )
            result = await ctx.tool(call.name, call.arguments, name)
            for row in result.rows:
                rows.setdefault(row.evidence_id, row)
            ctx.manifest.tool_calls.append(
                ToolCallRecord(
                    name.value,
                    call.name,
                    result.arguments_hash,
                    len(result.rows),
                    result.duration_ms,
                    result.error,
                )
            )
            await ctx.emit(
                NewEvent(
                    EventKind.TOOL_CALL_FINISHED,
                    {
                        "analyst": name.value,
                        "call_id": call.call_id,
                        "name": call.name,
                        "rows": len(result.rows),
                        "evidence_ids": [row.evidence_id for row in result.rows],
                        "duration_ms": result.duration_ms,
                        "error": result.error,
                    },
                )
            )
            messages.append(
                ChatMessage(
                    "tool",
                    _tool_json(result.rows, result.error),
                    tool_call_id=call.call_id,
                    name=call.name,
                )
            )
    await ctx.emit(
        NewEvent(
            EventKind.ANALYST_FINISHED,
            {"analyst": name.value, "rows": len(rows), "tool_calls": calls, "note": note[:500]},
        )
    )
    finding = {
        "analyst": name.value,
        "rows": [row.to_json(ref_for(row.evidence_id)) for row in rows.values()],
        "note": note[:2000],
    }
    return {"findings": [finding]}


async def join_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    runtime.context.check()
    order = list(state["plan"].get("analysts", []))
    evidence: dict[str, dict[str, Any]] = {}
    for finding in sorted(
        state.get("findings") or [],
        key=lambda f: order.index(f["analyst"]) if f["analyst"] in order else len(order),
    ):
        for row in finding["rows"]:
            evidence.setdefault(row["evidence_id"], row)
    return {"evidence": evidence}


async def divergences_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    runtime.context.check()
    rows = [row_from_json(body) for body in state.get("evidence", {}).values()]
    plan = state["plan"]
    found = find_divergences(rows, (plan["start"], plan["end"]))
    evidence = dict(state.get("evidence", {}))
    for row in found:
        evidence[row.evidence_id] = row.to_json(ref_for(row.evidence_id))
    return {"evidence": evidence, "attempts": 0, "feedback": "", "draft": ""}


async def write_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.check()
    evidence_lines = "\n".join(
        json.dumps(body, sort_keys=True) for body in state.get("evidence", {}).values()
    )
    notes = "\n".join(
        f"{f['analyst']}: {f['note']}" for f in state.get("findings") or [] if f.get("note")
    )
    messages = [
        ChatMessage("system", prompts.WRITE),
        ChatMessage(
            "user",
            f"QUESTION: {state['question']}\nPLAN: {json.dumps(state['plan'])}\n"
            f"ANALYST NOTES:\n{notes}\nEVIDENCE:\n{evidence_lines}",
        ),
    ]
    if state.get("feedback"):
        messages.append(ChatMessage("assistant", state.get("draft", "")))
        messages.append(
            ChatMessage(
                "user",
                "The verifier found numbers that the cited rows do not support. Rewrite the "
                f"answer and fix exactly these:\n{state['feedback']}",
            )
        )
    if state.get("attempts", 0) == 0 and ctx.model.notice:
        await ctx.emit(NewEvent(EventKind.TEXT_DELTA, {"text": ctx.model.notice + "\n"}))
    reply = await ctx.complete(ChatRequest("write", tuple(messages)), stream_text=True)
    return {"draft": reply.text}


async def verify_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.check()
    evidence = {eid: row_from_json(body) for eid, body in state.get("evidence", {}).items()}
    refs = {ref_for(eid): eid for eid in evidence}
    claims = parse_draft(state.get("draft", ""), refs)
    plan = Plan.from_json(state["plan"])
    days = Decimal((plan.end - plan.start).days)
    hours = Decimal(int((plan.end - plan.start).total_seconds() // 3600))
    result = verify(claims, evidence, (days, hours))
    attempt = state.get("attempts", 0)
    await ctx.emit(
        NewEvent(
            EventKind.VERIFICATION_RESULT,
            {
                "attempt": attempt + 1,
                "ok": result.ok,
                "checks": [check.to_json() for check in result.checks],
            },
        )
    )
    if result.mismatched and attempt == 0:
        return {"attempts": 1, "feedback": result.feedback(claims)}
    settled = settle(claims, result)
    return {"claims": [c.to_json() for c in settled], "feedback": "", "attempts": attempt + 1}


async def route_after_verify(state: AgentState) -> str:
    return "write" if state.get("feedback") else "final"


async def final_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    ctx = runtime.context
    ctx.check()
    evidence = state.get("evidence", {})
    claims = [
        Claim(c["text"], tuple(c["evidence_ids"]), ClaimStatus(c["status"]), c["note"])
        for c in state.get("claims") or []
    ]
    cited: list[str] = []
    for claim in claims:
        if claim.status in {ClaimStatus.SUPPORTED, ClaimStatus.CORRECTED}:
            cited.extend(e for e in claim.evidence_ids if e not in cited)
    citations = [_citation(evidence[eid]) for eid in cited if eid in evidence]
    for citation in citations:
        await ctx.emit(NewEvent(EventKind.CITATION, citation))
    ctx.manifest.watermarks.update(state.get("watermarks") or {})
    await ctx.emit(
        NewEvent(
            EventKind.FINAL_ANSWER,
            {
                "answer": render_answer(claims),
                "claims": [c.to_json() for c in claims],
                "citations": citations,
                "manifest": ctx.manifest.to_json(),
                "notice": ctx.model.notice,
            },
        )
    )
    return {}


def render_answer(claims: Sequence[Claim]) -> str:
    lines = []
    for claim in claims:
        if claim.status is ClaimStatus.DROPPED:
            continue
        if claim.status is ClaimStatus.UNSUPPORTED:
            lines.append(f"(unsupported) {claim.text}")
        else:
            lines.append(claim.text)
    return "\n".join(lines)


def _citation(body: dict[str, Any]) -> dict[str, Any]:
    ledger, record_type, _ = body["evidence_id"].split("/", 2)
    return {
        "evidence_id": body["evidence_id"],
        "ref": body.get("ref", ""),
        "ledger": ledger,
        "record_type": record_type,
        "as_of": body["as_of"],
    }


def _tool_json(rows: Sequence[EvidenceRow], error: str) -> str:
    if error:
        return json.dumps({"error": error})
    return json.dumps(
        {"rows": [row.to_json(ref_for(row.evidence_id)) for row in rows]}, default=str
    )


def _validated_plan(
    data: dict[str, Any], anchor: datetime, known: Sequence[str], toolbox: Toolbox
) -> Plan:
    """A model's plan, made safe: known intents and symbols only, a bounded window."""
    intents = tuple(Intent(i) for i in data.get("intents", []) if i in set(Intent))
    if Intent.BOOKS in intents and "my_positions" not in toolbox.names():
        intents = tuple(i for i in intents if i is not Intent.BOOKS)
    symbols = tuple(
        s for s in dict.fromkeys(str(x).upper() for x in data.get("symbols", [])) if s in known
    )
    try:
        end = _aware(datetime.fromisoformat(str(data.get("end")))) if data.get("end") else anchor
        start = (
            _aware(datetime.fromisoformat(str(data.get("start"))))
            if data.get("start")
            else end - timedelta(days=7)
        )
    except ValueError:
        start, end = anchor - timedelta(days=7), anchor
    if start >= end or end - start > MAX_WINDOW:
        start = end - min(max(end - start, timedelta(hours=1)), MAX_WINDOW)
    return Plan(
        intents=intents,
        symbols=symbols,
        start=start,
        end=end,
        analysts=analysts_for(intents),
        clarification=str(data.get("clarification") or "")[:500],
        symbols_from_books=bool(data.get("symbols_from_books")),
        notes=tuple(str(n)[:200] for n in data.get("notes", [])),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_graph() -> StateGraph[AgentState, RunContext, AgentState, AgentState]:
    graph: StateGraph[AgentState, RunContext, AgentState, AgentState] = StateGraph(
        AgentState, context_schema=RunContext
    )
    graph.add_node("plan", plan_node)
    graph.add_node("clarify", clarify_node)
    graph.add_node("analyst", analyst_node)
    graph.add_node("join", join_node)
    graph.add_node("divergences", divergences_node)
    graph.add_node("write", write_node)
    graph.add_node("verify", verify_node)
    graph.add_node("final", final_node)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", route_after_plan, ["clarify", "analyst", "join"])
    graph.add_edge("clarify", "plan")
    graph.add_edge("analyst", "join")
    graph.add_edge("join", "divergences")
    graph.add_edge("divergences", "write")
    graph.add_edge("write", "verify")
    graph.add_conditional_edges("verify", route_after_verify, ["write", "final"])
    graph.add_edge("final", END)
    return graph


def code_version() -> str:
    try:
        return metadata.version("omc")
    except metadata.PackageNotFoundError:
        return "unknown"


class LangGraphEngine:
    """Runs turns of the graph, compiled once, on the agent loop (see worker.py); the
    checkpointer keeps each session's state under its session id (thread), so any
    replica can resume it."""

    def __init__(
        self,
        model: ChatModel,
        toolboxes: ToolboxFactory,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        worker: AgentLoop | InlineLoop | None = None,
    ) -> None:
        self._model = model
        self._toolboxes = toolboxes
        self._saver = HomeLoopSaver(checkpointer)
        self._graph = build_graph().compile(checkpointer=self._saver)
        self._now = now
        self._version = code_version()
        self._worker = worker

    @property
    def model_id(self) -> str:
        return self._model.model_id

    async def run_turn(self, turn: Turn, emit: Emit, cancelled: IsCancelled) -> TurnOutcome:
        outbox: Outbox[NewEvent] = Outbox(emit)

        async def emit_at_home(event: NewEvent) -> None:
            outbox.post(event)

        worker = self._worker or agent_loop()
        home = asyncio.get_running_loop()
        try:
            outcome = await worker.run(self._turn(turn, emit_at_home, cancelled, home))
        except asyncio.CancelledError:
            await outbox.abort()
            raise
        except Exception:
            with contextlib.suppress(Exception):
                await outbox.close()
            raise
        # Every event of the turn is stored before its outcome is.
        await outbox.close()
        return outcome

    async def run_on_worker(self, coro: Coroutine[Any, Any, T]) -> T:
        """For resources the turns use from the agent loop (closing the model's client)."""
        return await (self._worker or agent_loop()).run(coro)

    async def _turn(
        self, turn: Turn, emit: Emit, cancelled: IsCancelled, home: asyncio.AbstractEventLoop
    ) -> TurnOutcome:
        budgets = turn.budgets
        ctx = RunContext(
            model=self._model,
            toolbox=self._toolboxes(turn),
            emit=emit,
            cancelled=cancelled,
            budgets=budgets,
            meter=TokenMeter(budgets.max_tokens),
            now=self._now(),
            home=home,
        )
        ctx.manifest.code_version = self._version
        config: Any = {
            "configurable": {"thread_id": turn.session_id},
            "recursion_limit": budgets.max_steps,
        }
        graph_input: Any
        if turn.kind is TurnKind.QUESTION:
            graph_input = {
                "question": turn.text,
                "clarifications": [],
                "pending_clarification": "",
                "findings": [{"reset": True}],
                "watermarks": {},
                "evidence": {},
                "claims": [],
                "draft": "",
                "attempts": 0,
                "feedback": "",
            }
        else:
            snapshot = await self._graph.aget_state(config)
            if not snapshot.interrupts:
                await emit(
                    NewEvent(
                        EventKind.ERROR,
                        {"code": "NOTHING_TO_RESUME", "message": "no clarification is pending"},
                    )
                )
                return TurnOutcome(TurnEnd.FAILED, "nothing to resume")
            graph_input = Command(resume=turn.text)
        started = time.perf_counter()
        question: str | None = None
        try:
            async with asyncio.timeout(budgets.wall_clock_seconds):
                async for chunk in self._graph.astream(
                    graph_input,
                    config,
                    context=ctx,
                    stream_mode="updates",
                    # A turn is never resumed from the middle (an interrupted one is
                    # marked so and asked again), only from a clarification: state is
                    # saved when the run stops, not after every step (2 writes, not 40).
                    durability="exit",
                ):
                    pending = chunk.get("__interrupt__") if isinstance(chunk, dict) else None
                    if pending:
                        question = pending[0].value.get("question", "")
            if question is not None:
                # Asked only once the stream has ended: the run saves its state on the
                # way out, and an answer arriving before that would find nothing to resume.
                await emit(NewEvent(EventKind.CLARIFICATION_REQUESTED, {"question": question}))
                return TurnOutcome(TurnEnd.WAITING_FOR_INPUT)
            return TurnOutcome(TurnEnd.COMPLETED)
        except RunCancelled:
            return TurnOutcome(TurnEnd.CANCELLED, "cancelled")
        except TimeoutError:
            seconds = round(time.perf_counter() - started, 3)
            return await self._exhausted(
                ctx, BudgetKind.WALL_CLOCK, f"{seconds}s of {budgets.wall_clock_seconds}s"
            )
        except GraphRecursionError:
            return await self._exhausted(ctx, BudgetKind.STEPS, f"{budgets.max_steps} steps")
        except BudgetExhausted as error:
            return await self._exhausted(ctx, error.kind, error.detail)
        except ModelUnavailable as error:
            message = str(error)[:300]
            await emit(NewEvent(EventKind.ERROR, {"code": error.reason, "message": message}))
            await emit(
                NewEvent(
                    EventKind.FINAL_ANSWER,
                    {
                        "answer": f"No answer: the model is unavailable ({message}).",
                        "claims": [],
                        "citations": [],
                        "manifest": ctx.manifest.to_json(),
                        "notice": self._model.notice,
                    },
                )
            )
            return TurnOutcome(TurnEnd.FAILED, "model unavailable")

    async def _exhausted(self, ctx: RunContext, kind: BudgetKind, detail: str) -> TurnOutcome:
        await ctx.emit(NewEvent(EventKind.BUDGET_EXHAUSTED, {"kind": kind.value, "detail": detail}))
        await ctx.emit(
            NewEvent(
                EventKind.FINAL_ANSWER,
                {
                    "answer": f"Stopped before a verified answer: the {kind.value} budget ran out "
                    f"({detail}).",
                    "claims": [],
                    "citations": [],
                    "manifest": ctx.manifest.to_json(),
                    "notice": self._model.notice,
                },
            )
        )
        return TurnOutcome(TurnEnd.FAILED, f"{kind.value} budget exhausted")
