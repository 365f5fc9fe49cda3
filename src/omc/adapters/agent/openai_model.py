"""The OpenAI chat model (any OpenAI-compatible server: vLLM, Ollama, LM Studio...).

Streams chat completions with tool calls. 429 and 5xx (and connection failures) are
retried with exponential backoff while nothing has been streamed yet; after that, or
once the retries are spent, the call fails with ModelUnavailable, which the graph
turns into a clean error event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
from openai import AsyncOpenAI

from omc.application.agent_ports import (
    ChatMessage,
    ChatRequest,
    ModelChunk,
    ModelUnavailable,
    StructuredOutput,
    TextDelta,
    ToolCall,
    ToolCallOut,
    Usage,
)

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
MAX_BACKOFF = 8.0


def _retryable(error: Exception) -> bool:
    if isinstance(error, openai.RateLimitError | openai.APIConnectionError):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


def _message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    body: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    return body


class OpenAIChatModel:
    def __init__(
        self,
        model: str,
        api_key: str,
        *,
        base_url: str | None = None,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        timeout: float = 60.0,
    ) -> None:
        self._model = model
        # Our own retries (below) know whether anything was streamed; the client's
        # would replay a half-streamed answer.
        self._client = AsyncOpenAI(
            api_key=api_key, base_url=base_url or None, max_retries=0, timeout=timeout
        )
        self._retries = retries
        self._backoff = backoff

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    @property
    def notice(self) -> str:
        return ""

    async def close(self) -> None:
        await self._client.close()

    async def stream(self, request: ChatRequest) -> AsyncIterator[ModelChunk]:
        arguments: dict[str, Any] = {
            "model": self._model,
            "messages": [_message(m) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            arguments["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.parameters),
                    },
                }
                for t in request.tools
            ]
        if request.json_output:
            arguments["response_format"] = {"type": "json_object"}
        attempt = 0
        while True:
            streamed = False
            try:
                text = ""
                calls: dict[int, dict[str, str]] = {}
                response = await self._client.chat.completions.create(**arguments)
                async for chunk in response:
                    if chunk.usage is not None:
                        yield Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices:
                        delta = choice.delta
                        if delta.content:
                            streamed = True
                            text += delta.content
                            if not request.json_output:
                                yield TextDelta(delta.content)
                        for part in delta.tool_calls or ():
                            slot = calls.setdefault(part.index, {"id": "", "name": "", "args": ""})
                            if part.id:
                                slot["id"] = part.id
                            if part.function is not None:
                                slot["name"] += part.function.name or ""
                                slot["args"] += part.function.arguments or ""
                for index in sorted(calls):
                    slot = calls[index]
                    yield ToolCallOut(
                        ToolCall(slot["id"] or f"call-{index}", slot["name"], slot["args"])
                    )
                if request.json_output:
                    yield StructuredOutput(_json_object(text))
                return
            except openai.OpenAIError as error:
                if streamed or not _retryable(error) or attempt >= self._retries:
                    raise ModelUnavailable(_describe(error)) from error
                await asyncio.sleep(min(self._backoff * 2**attempt, MAX_BACKOFF))
                attempt += 1


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _describe(error: Exception) -> str:
    if isinstance(error, openai.APIStatusError):
        return f"the model server answered HTTP {error.status_code}"
    if isinstance(error, openai.APIConnectionError):
        return "the model server could not be reached"
    return type(error).__name__
