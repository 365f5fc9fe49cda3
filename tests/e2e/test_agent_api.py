"""AgentService end to end: Converse over a real channel with the offline model and the
demo data, behind the real auth interceptor, once over memory and once over Postgres
(sessions, events and LangGraph checkpoints all in Postgres)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import grpc
import pytest
from grpc import aio
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import text

from omc.adapters.agent.checkpoints import postgres_checkpointer
from omc.adapters.grpc.agent_servicer import agent_binding
from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.agent_sessions import MemorySessionStore
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.postgres.agent_sessions import PostgresSessionStore
from omc.adapters.postgres.tables import AGENT_TABLES
from omc.application.agent import AgentSessions
from omc.application.agent_ports import SessionStore
from omc.application.demo import load_demo_data
from omc.application.ledger import LedgerUseCases
from omc.commands.ask import converse as converse_cli
from omc.v1 import agent_pb2 as pb
from omc.v1 import agent_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import bearer, key_tools
from tests.support.agent import make_engine

BOUND = 30.0
Metadata = tuple[tuple[str, str]]


@dataclass
class Api:
    stub: agent_pb2_grpc.AgentServiceStub
    alice: Metadata
    bob: Metadata
    admin: Metadata
    reader: Metadata


async def _backend(
    storage: Storage, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[SessionStore, BaseCheckpointSaver]]:  # type: ignore[type-arg]
    if storage.name == "memory":
        yield MemorySessionStore(), InMemorySaver()
        return
    engine = request.getfixturevalue("clean_postgres")
    url = request.getfixturevalue("postgres_url")
    async with engine.begin() as connection:
        names = ", ".join(table.name for table in AGENT_TABLES)
        await connection.execute(text(f"TRUNCATE {names}"))
    saver = postgres_checkpointer(url, pool_size=4)
    checkpointer = await saver.__anext__()
    try:
        yield PostgresSessionStore(engine), checkpointer
    finally:
        await saver.aclose()


@pytest.fixture
async def api(storage: Storage, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    clock = SystemClock()
    ledger = LedgerUseCases.build(storage.repositories, storage.fanout, clock)
    await load_demo_data(ledger)
    backend = _backend(storage, request)
    store, checkpointer = await backend.__anext__()
    engine = make_engine(ledger, checkpointer=checkpointer)
    sessions = AgentSessions(store, engine, clock, model_id=engine.model_id, poll_seconds=0.05)
    api_keys, authenticator = key_tools(MemoryApiKeyRepository())
    server = GrpcServer([agent_binding(sessions)], interceptors=[AuthInterceptor(authenticator)])
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")

    async def key(user: str, *scopes: str) -> Metadata:
        return bearer((await api_keys.create(user, list(scopes))).plaintext)

    try:
        yield Api(
            agent_pb2_grpc.AgentServiceStub(channel),
            alice=await key("alice", "agent"),
            bob=await key("bob", "agent"),
            admin=await key("root", "admin"),
            reader=await key("carol", "ledger:read"),
        )
    finally:
        await channel.close()
        await server.stop(0)
        await sessions.close()
        await backend.aclose()


async def converse(
    stub: agent_pb2_grpc.AgentServiceStub,
    metadata: Metadata,
    requests: Sequence[pb.ConverseRequest],
    *,
    until: int = pb.EVENT_KIND_SESSION_ENDED,
) -> list[pb.AgentEvent]:
    """Sends the requests, then reads until an event of kind `until`, then half-closes."""
    done = asyncio.Event()

    async def outgoing() -> AsyncIterator[pb.ConverseRequest]:
        for item in requests:
            yield item
        await done.wait()

    call = stub.Converse(outgoing(), metadata=metadata)
    events: list[pb.AgentEvent] = []

    async def read() -> None:
        async for response in call:
            events.append(response.event)
            if response.event.kind == until:
                done.set()
                return

    try:
        await asyncio.wait_for(read(), BOUND)
    finally:
        done.set()
        call.cancel()
    return events


def _ask(question: str, session_id: str = "") -> pb.ConverseRequest:
    return pb.ConverseRequest(session_id=session_id, ask=pb.Ask(question=question))


async def test_a_question_streams_plan_analysts_tools_citations_and_a_verified_answer(
    api: Api,
) -> None:
    events = await converse(api.stub, api.alice, [_ask("What is going on with SOL this week?")])

    kinds = [e.kind for e in events]
    assert kinds[0] == pb.EVENT_KIND_SESSION_STARTED
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert pb.EVENT_KIND_PLAN in kinds
    analysts = {e.payload["analyst"] for e in events if e.kind == pb.EVENT_KIND_ANALYST_STARTED}
    assert analysts == {"exchange", "human", "catalyst", "glass"}
    assert pb.EVENT_KIND_TOOL_CALL_FINISHED in kinds
    assert pb.EVENT_KIND_TEXT_DELTA in kinds
    assert pb.EVENT_KIND_CITATION in kinds
    final = next(e for e in events if e.kind == pb.EVENT_KIND_FINAL_ANSWER).final_answer
    assert "offline model" in final.notice
    assert "SOL last traded at" in final.answer
    assert final.claims
    assert all(c.status == "supported" for c in final.claims)
    assert {c.evidence_id for c in final.citations} >= {
        eid for claim in final.claims for eid in claim.evidence_ids
    }
    assert final.manifest["models"] == ["omc-offline-1"]
    assert events[-1].kind == pb.EVENT_KIND_SESSION_ENDED
    session = (
        await api.stub.GetSession(
            pb.GetSessionRequest(session_id=events[0].session_id), metadata=api.alice
        )
    ).session
    assert session.status == pb.SESSION_STATUS_COMPLETED
    assert session.last_seq == events[-1].seq


async def test_clarification_is_asked_and_answered_over_the_stream(api: Api) -> None:
    first = await converse(
        api.stub, api.alice, [_ask("how are prices doing?")],
        until=pb.EVENT_KIND_CLARIFICATION_REQUESTED,
    )  # fmt: skip
    session_id = first[0].session_id
    assert "Which coins" in first[-1].payload["question"]
    session = (
        await api.stub.GetSession(pb.GetSessionRequest(session_id=session_id), metadata=api.alice)
    ).session
    assert session.status == pb.SESSION_STATUS_WAITING_FOR_INPUT

    answer = pb.ConverseRequest(session_id=session_id, answer=pb.Answer(text="BTC please"))
    rest = await converse(api.stub, api.alice, [answer])

    plan = next(e for e in rest if e.kind == pb.EVENT_KIND_PLAN)
    assert list(plan.payload["symbols"]) == ["BTC"]
    final = next(e for e in rest if e.kind == pb.EVENT_KIND_FINAL_ANSWER).final_answer
    assert "BTC last traded at" in final.answer
    assert rest[0].seq == first[-1].seq + 1


async def test_reconnect_replays_what_was_missed(api: Api) -> None:
    events = await converse(api.stub, api.alice, [_ask("BTC price today?")])
    session_id = events[0].session_id
    reconnect = pb.ConverseRequest(session_id=session_id, reconnect=pb.Reconnect(last_seq=3))

    replayed = await converse(api.stub, api.alice, [reconnect])

    assert [e.seq for e in replayed] == [e.seq for e in events[3:]]
    assert [e.kind for e in replayed] == [e.kind for e in events[3:]]


async def test_sessions_are_private_to_their_owner_and_visible_to_admin(api: Api) -> None:
    events = await converse(api.stub, api.alice, [_ask("ETH price today?")])
    session_id = events[0].session_id

    with pytest.raises(aio.AioRpcError) as caught:
        await api.stub.GetSession(pb.GetSessionRequest(session_id=session_id), metadata=api.bob)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(aio.AioRpcError) as replay:
        await converse(
            api.stub, api.bob,
            [pb.ConverseRequest(session_id=session_id, reconnect=pb.Reconnect(last_seq=0))],
        )  # fmt: skip
    assert replay.value.code() == grpc.StatusCode.NOT_FOUND
    bobs = await api.stub.ListSessions(pb.ListSessionsRequest(), metadata=api.bob)
    assert list(bobs.sessions) == []
    seen = await api.stub.GetSession(
        pb.GetSessionRequest(session_id=session_id), metadata=api.admin
    )
    assert seen.session.owner == "alice"


async def test_agent_scope_is_required(api: Api) -> None:
    with pytest.raises(aio.AioRpcError) as caught:
        await api.stub.CreateSession(pb.CreateSessionRequest(), metadata=api.reader)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_list_pages_and_cancel(api: Api) -> None:
    ids = [
        (
            await api.stub.CreateSession(pb.CreateSessionRequest(goal=f"g{i}"), metadata=api.alice)
        ).session.session_id
        for i in range(3)
    ]
    first = await api.stub.ListSessions(pb.ListSessionsRequest(page_size=2), metadata=api.alice)
    second = await api.stub.ListSessions(
        pb.ListSessionsRequest(page_size=2, page_token=first.next_page_token), metadata=api.alice
    )
    listed = [s.session_id for s in [*first.sessions, *second.sessions]]
    assert sorted(listed) == sorted(ids)
    assert second.next_page_token == ""

    cancelled = await api.stub.CancelSession(
        pb.CancelSessionRequest(session_id=ids[0]), metadata=api.alice
    )
    assert cancelled.session.status == pb.SESSION_STATUS_CANCELLED
    with pytest.raises(aio.AioRpcError) as caught:
        await converse(api.stub, api.alice, [_ask("BTC price?", ids[0])])
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_omc_ask_streams_the_answer_and_answers_clarifications(api: Api) -> None:
    out = io.StringIO()
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "SOL"

    status = await asyncio.wait_for(
        converse_cli(api.stub, api.alice, "how are prices doing?", out=out, prompt=prompt), BOUND
    )

    assert status == 0
    assert "Which coins" in asked[0]
    printed = out.getvalue()
    assert "[offline model]" in printed
    assert "SOL last traded at" in printed
    assert "citations:" in printed
    assert "exchange/price_tick/demo/SOL" in printed
