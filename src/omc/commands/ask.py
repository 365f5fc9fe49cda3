"""`omc ask "question"`: a conversation with the research agent of a running server,
streamed to the terminal (plan, analysts, tools, the answer as it is written, then
citations), answering clarification prompts from stdin."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, TextIO

import grpc
from grpc import aio

from omc.bootstrap.settings import Settings
from omc.commands.client import ClientConfigurationError, call_metadata, open_channel
from omc.v1 import agent_pb2 as pb
from omc.v1 import agent_pb2_grpc

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="ask the research agent a question",
        description="Streams a conversation with the server's AgentService (OMC_API_KEY "
        "or OMC_HOME/admin.key; the key needs the agent scope).",
    )
    parser.add_argument("question", help='e.g. "what is going on with SOL this week?"')
    parser.add_argument("--session", default="", help="continue this session")
    parser.add_argument("--verbose", action="store_true", help="show tool calls and checks")
    parser.set_defaults(handler=run)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        metadata = call_metadata(settings)
        async with open_channel(settings) as channel:
            stub = agent_pb2_grpc.AgentServiceStub(channel)  # type: ignore[no-untyped-call]
            return await converse(stub, metadata, args.question, args.session, verbose=args.verbose)
    except ClientConfigurationError as error:
        print(f"omc ask: {error}", file=sys.stderr)
        return EXIT_USAGE
    except aio.AioRpcError as error:
        code = error.code().name if isinstance(error.code(), grpc.StatusCode) else "ERROR"
        print(f"omc ask: {code}: {error.details()}", file=sys.stderr)
        return EXIT_FAILED


async def converse(
    stub: Any,
    metadata: Any,
    question: str,
    session_id: str = "",
    *,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    prompt: Callable[[str], str] = input,
) -> int:
    """One question, answering clarifications, until the turn's final event."""
    outbox: asyncio.Queue[pb.ConverseRequest | None] = asyncio.Queue()
    await outbox.put(pb.ConverseRequest(session_id=session_id, ask=pb.Ask(question=question)))

    async def requests() -> AsyncIterator[pb.ConverseRequest]:
        while (item := await outbox.get()) is not None:
            yield item

    call = stub.Converse(requests(), metadata=metadata)
    status = EXIT_OK
    try:
        async for response in call:
            event = response.event
            session_id = event.session_id
            kind = event.kind
            payload = dict(event.payload)
            if kind == pb.EVENT_KIND_SESSION_STARTED:
                print(f"session {session_id} (model {payload.get('model', '?')})", file=out)
            elif kind == pb.EVENT_KIND_PLAN:
                symbols = ", ".join(payload.get("symbols", [])) or "none"
                analysts = ", ".join(payload.get("analysts", []))
                print(f"plan: {analysts} | symbols: {symbols}", file=out)
            elif kind == pb.EVENT_KIND_ANALYST_STARTED and verbose:
                print(f"  {payload['analyst']} analyst started", file=out)
            elif kind == pb.EVENT_KIND_TOOL_CALL_FINISHED and verbose:
                error = f" error: {payload['error']}" if payload.get("error") else ""
                print(f"    {payload['name']}: {int(payload['rows'])} rows{error}", file=out)
            elif kind == pb.EVENT_KIND_TEXT_DELTA:
                print(payload.get("text", ""), end="", file=out, flush=True)
            elif kind == pb.EVENT_KIND_VERIFICATION_RESULT and verbose:
                print(f"verification: {'ok' if payload.get('ok') else 'mismatch'}", file=out)
            elif kind == pb.EVENT_KIND_CLARIFICATION_REQUESTED:
                answer = await asyncio.to_thread(prompt, f"\n{payload['question']} > ")
                await outbox.put(
                    pb.ConverseRequest(session_id=session_id, answer=pb.Answer(text=answer))
                )
            elif kind == pb.EVENT_KIND_BUDGET_EXHAUSTED:
                print(f"\nbudget exhausted: {payload.get('kind')} ({payload.get('detail')})",
                      file=out)  # fmt: skip
            elif kind == pb.EVENT_KIND_ERROR:
                print(f"\nerror: {payload.get('code')}: {payload.get('message')}", file=out)
            elif kind == pb.EVENT_KIND_FINAL_ANSWER:
                render_final(event.final_answer, out)
            elif kind == pb.EVENT_KIND_SESSION_ENDED:
                if payload.get("status") != "completed":
                    status = EXIT_FAILED
                break
    finally:
        await outbox.put(None)
        call.cancel()
    return status


def render_final(final: pb.FinalAnswer, out: TextIO) -> None:
    print("\n\nanswer:", file=out)
    refs = {c.evidence_id: index for index, c in enumerate(final.citations, start=1)}
    for claim in final.claims:
        if claim.status == "dropped":
            continue
        marks = "".join(f"[{refs[e]}]" for e in claim.evidence_ids if e in refs)
        flag = " (unsupported)" if claim.status == "unsupported" else ""
        fixed = " (corrected)" if claim.status == "corrected" else ""
        print(f"  - {claim.text} {marks}{flag}{fixed}", file=out)
    if not final.claims:
        print(f"  {final.answer}", file=out)
    if final.citations:
        print("citations:", file=out)
        for citation in final.citations:
            as_of = citation.as_of.ToDatetime().isoformat()
            print(f"  [{refs[citation.evidence_id]}] {citation.evidence_id} (as of {as_of})",
                  file=out)  # fmt: skip
