"""Concurrent agent conversations over gRPC with the offline model and the demo data.

    python bench/agent_sessions.py [--sessions 20] [--rounds 3]

N clients each open a Converse stream on one in-process server (memory storage, the
real auth interceptor) and ask a question; the script reports p50/p95 time to the
first event and to the final answer, next to the same question answered by the graph
alone with no gRPC or sessions (the floor), and the process's memory before and after.
Goal: first event p95 <= 100 ms. Every session must complete.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grpc import aio

from bench._support import quiet_logs
from omc.adapters.grpc.agent_servicer import agent_binding
from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.application.demo import load_demo_data
from omc.application.fanout import PriceTickFanout
from omc.application.ledger import LedgerUseCases
from omc.v1 import agent_pb2 as pb
from omc.v1 import agent_pb2_grpc
from tests.e2e.support_security import bearer, key_tools
from tests.support.agent import drain, make_sessions, principal

QUESTIONS = (
    "What is going on with SOL this week?",
    "BTC price and sentiment today",
    "ETH on-chain metrics and events this week",
)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one(stub: agent_pb2_grpc.AgentServiceStub, metadata, question: str):  # type: ignore[no-untyped-def]
    done = asyncio.Event()

    async def requests():  # type: ignore[no-untyped-def]
        yield pb.ConverseRequest(ask=pb.Ask(question=question))
        await done.wait()

    started = time.perf_counter()
    first = final = None
    call = stub.Converse(requests(), metadata=metadata)
    async for response in call:
        now = time.perf_counter() - started
        if first is None:
            first = now
        if response.event.kind == pb.EVENT_KIND_FINAL_ANSWER:
            final = now
        if response.event.kind == pb.EVENT_KIND_SESSION_ENDED:
            completed = response.event.payload["status"] == "completed"
            break
    done.set()
    call.cancel()
    return first, final, completed


async def main(sessions_count: int, rounds: int) -> None:
    quiet_logs()
    fanout = PriceTickFanout()
    ledger = LedgerUseCases.build(memory_repositories(fanout), fanout, SystemClock())
    await load_demo_data(ledger)
    sessions = make_sessions(ledger)
    sessions._poll = 0.25
    # The floor: the graph alone, one question, no gRPC, no concurrency.
    floor: list[float] = []
    for question in QUESTIONS:
        who = principal("floor")
        session = await sessions.create_session(who)
        started = time.perf_counter()
        await drain(await sessions.ask(who, session.session_id, question))
        floor.append(time.perf_counter() - started)

    api_keys, authenticator = key_tools(MemoryApiKeyRepository())
    server = GrpcServer([agent_binding(sessions)], interceptors=[AuthInterceptor(authenticator)])
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    stub = agent_pb2_grpc.AgentServiceStub(channel)
    keys = [
        bearer((await api_keys.create(f"user{i}", ["agent"])).plaintext)
        for i in range(sessions_count)
    ]
    await one(stub, keys[0], QUESTIONS[0])  # warm up channel and code paths

    gc.collect()
    rss_before = _rss_mib()
    firsts: list[float] = []
    finals: list[float] = []
    completed = 0
    wall = time.perf_counter()
    for _ in range(rounds):
        results = await asyncio.gather(
            *(one(stub, keys[i], QUESTIONS[i % len(QUESTIONS)]) for i in range(sessions_count))
        )
        for first, final, ok in results:
            firsts.append(first)
            if final is not None:
                finals.append(final)
            completed += ok
    wall = time.perf_counter() - wall
    gc.collect()
    rss_after = _rss_mib()
    await channel.close()
    await server.stop(0)
    await sessions.close()

    total = sessions_count * rounds
    print(f"{sessions_count} concurrent Converse sessions x {rounds} rounds, offline model")
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print(f"{'first event':28}{_pct(firsts, .5):10.1f}{_pct(firsts, .95):10.1f}"
          f"{max(firsts) * 1000:10.1f}")  # fmt: skip
    print(f"{'final answer':28}{_pct(finals, .5):10.1f}{_pct(finals, .95):10.1f}"
          f"{max(finals) * 1000:10.1f}")  # fmt: skip
    print(f"{'floor: graph alone, serial':28}{_pct(floor, .5):10.1f}{_pct(floor, .95):10.1f}"
          f"{max(floor) * 1000:10.1f}")  # fmt: skip
    print(f"completed: {completed}/{total}; wall {wall:.2f}s")
    print(f"memory: peak RSS {rss_before:.1f} -> {rss_after:.1f} MiB "
          f"(sessions, events and checkpoints stay in memory by design)")  # fmt: skip
    goal = _pct(firsts, 0.95) <= 100
    print(f"goal first-event p95 <= 100 ms: {'met' if goal else 'NOT met'}")
    if completed != total:
        raise SystemExit("not every session completed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.sessions, options.rounds))
