"""Two replicas (two gRPC servers, each with its own session store, engine, connection
pools and checkpointer) over one Postgres, contending for one agent session: only one
turn advances it at a time, the other caller is told so with FAILED_PRECONDITION /
SESSION_BUSY straight away, and the session's history has every event once, in order.

The turn that wins is held inside the model (a gate the test opens) so the contention
is real and not a matter of timing; every wait is bounded."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import grpc
import pytest
from grpc import aio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.agent.checkpoints import postgres_checkpointer
from omc.adapters.agent.offline import OfflineModel
from omc.adapters.grpc.agent_servicer import agent_binding
from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.agent_sessions import PostgresSessionStore
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.tables import AGENT_TABLES
from omc.application.agent import AgentSessions
from omc.application.agent_ports import ChatRequest, ModelChunk
from omc.application.demo import load_demo_data
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.v1 import agent_pb2 as pb
from omc.v1 import agent_pb2_grpc
from tests.e2e.support_security import bearer, key_tools, reason
from tests.support.agent import make_engine

BOUND = 30.0
Metadata = tuple[tuple[str, str]]


class GatedModel:
    """The offline model, held before every reply while the gate is shut. Turns run on
    the agent loop's thread, so the gate is a thread-safe event."""

    def __init__(self) -> None:
        self._inner = OfflineModel()
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def notice(self) -> str:
        return self._inner.notice

    async def stream(self, request: ChatRequest) -> AsyncIterator[ModelChunk]:
        deadline = asyncio.get_running_loop().time() + BOUND
        while not self.gate.is_set():
            self.waiting.set()
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the gate was never opened")
            await asyncio.sleep(0.01)
        async for chunk in self._inner.stream(request):
            yield chunk


@dataclass
class Replica:
    stub: agent_pb2_grpc.AgentServiceStub
    metadata: Metadata
    model: GatedModel


@pytest.fixture
async def replicas(
    postgres_url: str, postgres_engine: AsyncEngine
) -> AsyncIterator[tuple[Replica, Replica]]:
    async with postgres_engine.begin() as connection:
        names = ", ".join(table.name for table in AGENT_TABLES)
        await connection.execute(text(f"TRUNCATE {names}"))
    # One key store behind both, as the api_keys table would be.
    api_keys, authenticator = key_tools(MemoryApiKeyRepository())
    alice = bearer((await api_keys.create("alice", ["agent"])).plaintext)
    built: list[Replica] = []
    cleanups = []
    for _ in range(2):
        fanout = PriceTickFanout()
        ledger = LedgerUseCases.build(memory_repositories(fanout), fanout, SystemClock())
        await load_demo_data(ledger)
        engine = create_engine(postgres_url, pool_size=3)
        saver = postgres_checkpointer(postgres_url, pool_size=2)
        model = GatedModel()
        graph = make_engine(ledger, model=model, checkpointer=await saver.__anext__())
        sessions = AgentSessions(
            PostgresSessionStore(engine),
            graph,
            SystemClock(),
            model_id=graph.model_id,
            poll_seconds=0.05,
        )
        server = GrpcServer(
            [agent_binding(sessions)], interceptors=[AuthInterceptor(authenticator)]
        )
        port = await server.start("127.0.0.1:0")
        channel = aio.insecure_channel(f"127.0.0.1:{port}")
        built.append(Replica(agent_pb2_grpc.AgentServiceStub(channel), alice, model))
        cleanups.append((channel, server, sessions, saver, engine))
    try:
        yield built[0], built[1]
    finally:
        for replica in built:
            replica.model.gate.set()
        for channel, server, sessions, saver, engine in cleanups:
            await channel.close()
            await server.stop(0)
            await sessions.close()
            await saver.aclose()  # type: ignore[attr-defined]
            await engine.dispose()


async def converse(
    replica: Replica,
    request: pb.ConverseRequest,
    *,
    until: int = pb.EVENT_KIND_SESSION_ENDED,
    until_seq: int = 0,
    seen: list[pb.AgentEvent] | None = None,
) -> list[pb.AgentEvent]:
    """Sends one request, reads events (into `seen` as they come) until one of kind
    `until` (or, with `until_seq`, the event of that seq), then half-closes."""
    done = asyncio.Event()
    events = [] if seen is None else seen

    async def outgoing() -> AsyncIterator[pb.ConverseRequest]:
        yield request
        await done.wait()

    call = replica.stub.Converse(outgoing(), metadata=replica.metadata)

    async def read() -> None:
        async for response in call:
            events.append(response.event)
            if (response.event.seq == until_seq) if until_seq else (response.event.kind == until):
                return

    try:
        await asyncio.wait_for(read(), BOUND)
    finally:
        done.set()
        call.cancel()
    return events


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(BOUND):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def _ask(session_id: str, question: str) -> pb.ConverseRequest:
    return pb.ConverseRequest(session_id=session_id, ask=pb.Ask(question=question))


def _history_is_whole(history: Sequence[pb.AgentEvent]) -> None:
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    kinds = [e.kind for e in history]
    assert kinds.count(pb.EVENT_KIND_SESSION_STARTED) == 1
    # Turns never interleave: each question is followed by its own events up to its end.
    turn_open = False
    for kind in kinds:
        if kind == pb.EVENT_KIND_USER_MESSAGE:
            assert not turn_open, kinds
            turn_open = True
        elif kind == pb.EVENT_KIND_SESSION_ENDED:
            assert turn_open, kinds
            turn_open = False
    assert not turn_open


async def test_concurrent_questions_on_two_replicas_advance_the_session_one_at_a_time(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    opening = await converse(a, pb.ConverseRequest(ask=pb.Ask(question="BTC price today?")))
    session_id = opening[0].session_id
    assert opening[-1].payload["status"] == "completed"

    for round_ in range(2):
        for replica in (a, b):
            replica.model.gate.clear()
            replica.model.waiting.clear()
        questions = {id(a): f"ETH price today? ({round_}, A)", id(b): f"SOL price? ({round_}, B)"}
        streamed: dict[int, list[pb.AgentEvent]] = {id(a): [], id(b): []}
        calls = {
            id(r): asyncio.create_task(
                converse(r, _ask(session_id, questions[id(r)]), seen=streamed[id(r)])
            )
            for r in (a, b)
        }
        # Both asked at once; the loser is refused while the winner is held in its model.
        finished, _ = await asyncio.wait(
            calls.values(), timeout=BOUND, return_when=asyncio.FIRST_COMPLETED
        )
        assert len(finished) == 1, "one of the two must be refused while the other runs"
        [refused] = finished
        with pytest.raises(aio.AioRpcError) as caught:
            refused.result()
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert reason(caught.value) == "SESSION_BUSY"
        loser = a if calls[id(a)] is refused else b
        winner = b if loser is a else a
        assert streamed[id(loser)] == []
        assert await asyncio.to_thread(winner.model.waiting.wait, BOUND)
        won_so_far = streamed[id(winner)]
        await until(lambda: bool(won_so_far))  # noqa: B023 (awaited within the iteration)
        assert won_so_far[0].kind == pb.EVENT_KIND_USER_MESSAGE
        assert won_so_far[0].payload["text"] == questions[id(winner)]

        winner.model.gate.set()
        loser.model.gate.set()
        won = await calls[id(winner)]
        assert won[-1].kind == pb.EVENT_KIND_SESSION_ENDED
        assert won[-1].payload["status"] == "completed"

        # The turn over, the refused caller may go on, on its own replica.
        retried = await converse(loser, _ask(session_id, questions[id(loser)]))
        assert retried[0].seq == won[-1].seq + 1
        assert retried[-1].payload["status"] == "completed"

    # The whole history, read through either replica, is the same and whole.
    session = (
        await b.stub.GetSession(pb.GetSessionRequest(session_id=session_id), metadata=b.metadata)
    ).session
    assert session.status == pb.SESSION_STATUS_COMPLETED
    reconnect = pb.ConverseRequest(session_id=session_id, reconnect=pb.Reconnect(last_seq=0))
    through_a = await converse(a, reconnect, until_seq=session.last_seq)
    through_b = await converse(b, reconnect, until_seq=session.last_seq)
    assert through_a == through_b
    _history_is_whole(through_b)
    asked = [e.payload["text"] for e in through_b if e.kind == pb.EVENT_KIND_USER_MESSAGE]
    # The opening question, then per round the winner's and the refused one asked again.
    assert len(asked) == 5, asked
    assert len(set(asked)) == 5, asked
    assert through_b[-1].kind == pb.EVENT_KIND_SESSION_ENDED


async def test_a_reconnect_on_one_replica_follows_a_turn_running_on_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    a.model.gate.clear()
    running: list[pb.AgentEvent] = []
    turn = asyncio.create_task(
        converse(a, pb.ConverseRequest(ask=pb.Ask(question="BTC price today?")), seen=running)
    )
    assert await asyncio.to_thread(a.model.waiting.wait, BOUND)
    await until(lambda: len(running) >= 2)
    session_id = running[0].session_id
    seen = running[-1].seq

    follower = asyncio.create_task(
        converse(
            b, pb.ConverseRequest(session_id=session_id, reconnect=pb.Reconnect(last_seq=seen))
        )
    )
    a.model.gate.set()
    streamed = await turn
    followed = await follower

    # B replays what it missed and then follows live, each event once.
    assert [e.seq for e in followed] == [e.seq for e in streamed if e.seq > seen]
    assert followed == [e for e in streamed if e.seq > seen]
    _history_is_whole(streamed)
