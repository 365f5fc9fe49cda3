"""The OpenAI adapter through the real `openai` client over HTTP, against a local
OpenAI-compatible server on 127.0.0.1 that streams scripted server-sent events."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from omc.adapters.agent.openai_model import OpenAIChatModel
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.repositories import memory_repositories
from omc.application.agent_ports import (
    ChatMessage,
    ChatRequest,
    ModelChunk,
    ModelUnavailable,
    StructuredOutput,
    TextDelta,
    ToolCallOut,
    ToolSchema,
    Usage,
)
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.domain.agent.sessions import EventKind
from tests.support.agent import drain, make_sessions, only, principal

Reply = tuple[int, list[dict[str, Any]]]  # status, SSE chunks (or an error body)


def _chunk(delta: dict[str, Any], usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}] if delta else [],
        "usage": usage,
    }  # fmt: skip


class CompatibleServer:
    """Answers POST /v1/chat/completions from a script; the last reply repeats."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.bodies: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                server.bodies.append(json.loads(self.rfile.read(length)))
                status, chunks = (
                    server.replies.popleft() if len(server.replies) > 1 else server.replies[0]
                )
                if status != 200:
                    body = json.dumps({"error": {"message": "nope", "type": "x"}}).encode()
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> CompatibleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def server() -> Iterator[CompatibleServer]:
    with CompatibleServer() as running:
        yield running


def model(server: CompatibleServer) -> OpenAIChatModel:
    return OpenAIChatModel("m", "test-key", base_url=server.base_url, backoff=0.01, timeout=10)


async def collect(chat: OpenAIChatModel, request: ChatRequest) -> list[ModelChunk]:
    return [chunk async for chunk in chat.stream(request)]


REQUEST = ChatRequest("write", (ChatMessage("system", "s"), ChatMessage("user", "hi")))


async def test_streamed_text(server: CompatibleServer) -> None:
    server.replies.append(
        (200, [_chunk({"role": "assistant", "content": "BTC "}), _chunk({"content": "rose."}),
               _chunk({}, {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10})])
    )  # fmt: skip

    chunks = await collect(model(server), REQUEST)

    assert [c.text for c in chunks if isinstance(c, TextDelta)] == ["BTC ", "rose."]
    assert Usage(7, 3) in chunks
    assert server.bodies[0]["stream"] is True
    assert server.bodies[0]["messages"][1] == {"role": "user", "content": "hi"}


async def test_streamed_tool_calls(server: CompatibleServer) -> None:
    def call(index: int, **function: str) -> dict[str, Any]:
        part: dict[str, Any] = {"index": index, "function": function}
        if "name" in function:
            part |= {"id": f"call_{index}", "type": "function"}
        return _chunk({"tool_calls": [part]})

    server.replies.append(
        (200, [call(0, name="latest_prices", arguments=""), call(0, arguments='{"symbols"'),
               call(1, name="sentiment", arguments='{"symbol": "BTC"}'),
               call(0, arguments=': ["BTC"]}')])
    )  # fmt: skip
    tools = (ToolSchema("latest_prices", "d", {"type": "object", "properties": {}}),)

    chunks = await collect(model(server), ChatRequest("analyst:exchange", REQUEST.messages, tools))

    calls = [c.call for c in chunks if isinstance(c, ToolCallOut)]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == [
        ("call_0", "latest_prices", {"symbols": ["BTC"]}),
        ("call_1", "sentiment", {"symbol": "BTC"}),
    ]
    assert server.bodies[0]["tools"][0]["function"]["name"] == "latest_prices"


async def test_structured_output(server: CompatibleServer) -> None:
    server.replies.append((200, [_chunk({"content": '{"intents": '}), _chunk({"content": "[]}"})]))

    chunks = await collect(model(server), ChatRequest("plan", REQUEST.messages, json_output=True))

    assert StructuredOutput({"intents": []}) in chunks
    assert not [c for c in chunks if isinstance(c, TextDelta)]
    assert server.bodies[0]["response_format"] == {"type": "json_object"}


async def test_429_then_success_is_retried(server: CompatibleServer) -> None:
    server.replies.extend([(429, []), (429, []), (200, [_chunk({"content": "ok"})])])

    chunks = await collect(model(server), REQUEST)

    assert [c.text for c in chunks if isinstance(c, TextDelta)] == ["ok"]
    assert len(server.bodies) == 3


async def test_500_forever_fails_cleanly(server: CompatibleServer) -> None:
    server.replies.append((500, []))

    with pytest.raises(ModelUnavailable, match="HTTP 500"):
        await collect(model(server), REQUEST)
    assert len(server.bodies) == 4  # the first try and three retries


async def test_500_forever_ends_a_turn_with_an_error_event(server: CompatibleServer) -> None:
    fanout = PriceTickFanout()
    ledger = LedgerUseCases.build(memory_repositories(fanout), fanout, SystemClock())
    server.replies.append((500, []))
    sessions = make_sessions(ledger, model=model(server))
    who = principal("alice")
    session = await sessions.create_session(who)

    events = await drain(await sessions.ask(who, session.session_id, "BTC?"))

    errors = only(events, EventKind.ERROR)
    assert errors[0].payload["code"] == "MODEL_UNAVAILABLE"
    assert "HTTP 500" in errors[0].payload["message"]
    assert "model is unavailable" in only(events, EventKind.FINAL_ANSWER)[0].payload["answer"]
    assert events[-1].kind is EventKind.SESSION_ENDED
