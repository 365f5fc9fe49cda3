"""Concurrent agent conversations over gRPC with the offline model and the demo data.

    python bench/agent_sessions.py [--sessions 20] [--rounds 3]

N clients (in a child process, as real clients are; --in-process-clients puts them on
the server's loop) each open a Converse stream on one server (memory storage, the real
auth interceptor) and ask a question; the script reports p50/p95 time to the
first event and to the final answer, next to the same question answered by the graph
alone with no gRPC or sessions (the floor), and the process's memory before and after.
Rounds alternate with the same rounds against a second server whose turns run on its
own event loop (as before the agent loop existed), so both are measured under the
same load. Goal: first event p95 <= 100 ms. Every session must complete.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grpc import aio

from bench._support import quiet_logs
from omc.adapters.agent.worker import InlineLoop
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


async def _serve(sessions, api_keys, authenticator):  # type: ignore[no-untyped-def]
    server = GrpcServer([agent_binding(sessions)], interceptors=[AuthInterceptor(authenticator)])
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    return server, channel, agent_pb2_grpc.AgentServiceStub(channel), port


def _tally(results, figures) -> None:  # type: ignore[no-untyped-def]
    for first, final, ok in results:
        figures["first"].append(first)
        if final is not None:
            figures["final"].append(final)
        figures["completed"] += ok


async def _round(stub, keys, figures) -> None:  # type: ignore[no-untyped-def]
    _tally(
        await asyncio.gather(
            *(one(stub, keys[i], QUESTIONS[i % len(QUESTIONS)]) for i in range(len(keys)))
        ),
        figures,
    )


class _Clients:
    """The clients in a child process, as real clients are: their CPU is not on the
    server's event loop or its GIL. One line in (a server's port), one line out."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, keys) -> _Clients:  # type: ignore[no-untyped-def]
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", json.dumps(keys),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def round(self, port: int, figures, command: str = "round") -> None:  # type: ignore[no-untyped-def]
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(f"{command} {port}\n".encode())
        await self._process.stdin.drain()
        line = await self._process.stdout.readline()
        if not line:
            raise SystemExit("the client process died")
        _tally(json.loads(line), figures)

    async def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        await self._process.wait()


async def client_main(keys) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    stubs: dict[int, agent_pb2_grpc.AgentServiceStub] = {}
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, port = line.split()[0], int(line.split()[1])
        if command == "warm":
            channel = aio.insecure_channel(f"127.0.0.1:{port}")
            stubs[port] = agent_pb2_grpc.AgentServiceStub(channel)
            await one(stubs[port], keys[0], QUESTIONS[0])  # warm up channel and code paths
            results = []
        else:
            results = await asyncio.gather(
                *(
                    one(stubs[port], keys[i], QUESTIONS[i % len(QUESTIONS)])
                    for i in range(len(keys))
                )
            )
        print(json.dumps(results), flush=True)


def _row(name: str, values: list[float]) -> str:
    return f"{name:28}{_pct(values, 0.5):10.1f}{_pct(values, 0.95):10.1f}{max(values) * 1000:10.1f}"


async def main(sessions_count: int, rounds: int, compare: bool, in_process: bool) -> None:
    quiet_logs()
    fanout = PriceTickFanout()
    ledger = LedgerUseCases.build(memory_repositories(fanout), fanout, SystemClock())
    await load_demo_data(ledger)
    # Turns on the process's agent loop (what omc serve does), and, for comparison in
    # the same run, on the server's own loop (how it was before the agent loop).
    modes = {"agent loop": make_sessions(ledger)}
    if compare:
        modes["server loop"] = make_sessions(ledger, worker=InlineLoop())
    for sessions in modes.values():
        sessions._poll = 0.25  # the service's default, not the tests' 0.05
    # The floor: the graph alone, one question, no gRPC, no concurrency.
    floor: list[float] = []
    for question in QUESTIONS:
        who = principal("floor")
        session = await modes["agent loop"].create_session(who)
        started = time.perf_counter()
        await drain(await modes["agent loop"].ask(who, session.session_id, question))
        floor.append(time.perf_counter() - started)

    api_keys, authenticator = key_tools(MemoryApiKeyRepository())
    keys = [
        bearer((await api_keys.create(f"user{i}", ["agent"])).plaintext)
        for i in range(sessions_count)
    ]
    served = {name: await _serve(s, api_keys, authenticator) for name, s in modes.items()}
    for _, _, stub, _ in served.values():
        await one(stub, keys[0], QUESTIONS[0])  # warm up channel and code paths
    clients = None if in_process else await _Clients.start([list(key) for key in keys])
    if clients is not None:
        for server in served.values():
            await clients.round(server[3], {}, "warm")

    gc.collect()
    rss_before = _rss_mib()
    load = os.getloadavg()
    figures = {name: {"first": [], "final": [], "completed": 0} for name in modes}
    wall = time.perf_counter()
    for number in range(rounds):
        # Alternate the order so neither mode always runs on a warmer machine.
        order = list(modes) if number % 2 == 0 else list(reversed(modes))
        for name in order:
            if clients is None:
                await _round(served[name][2], keys, figures[name])
            else:
                await clients.round(served[name][3], figures[name])
    wall = time.perf_counter() - wall
    gc.collect()
    rss_after = _rss_mib()
    if clients is not None:
        await clients.stop()
    for server, channel, _, _ in served.values():
        await channel.close()
        await server.stop(0)
    for sessions in modes.values():
        await sessions.close()

    total = sessions_count * rounds
    main_figures = figures["agent loop"]
    where = "in the server's process" if in_process else "in a child process"
    print(f"{sessions_count} concurrent Converse sessions x {rounds} rounds, offline model, "
          f"clients {where}")  # fmt: skip
    print(f"load average before the rounds: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print(_row("first event", main_figures["first"]))
    print(_row("final answer", main_figures["final"]))
    print(_row("floor: graph alone, serial", floor))
    if compare:
        before = figures["server loop"]
        print("same rounds, interleaved, turns on the server's loop (before):")
        print(_row("server loop: first event", before["first"]))
        print(_row("server loop: final answer", before["final"]))
        ratio = _pct(before["first"], 0.95) / max(_pct(main_figures["first"], 0.95), 1e-9)
        print(f"first-event p95, server loop / agent loop: {ratio:.1f}x")
    print(f"completed: {main_figures['completed']}/{total}; wall {wall:.2f}s (all modes)")
    print(f"memory: peak RSS {rss_before:.1f} -> {rss_after:.1f} MiB "
          f"(sessions, events and checkpoints stay in memory by design)")  # fmt: skip
    goal = _pct(main_figures["first"], 0.95) <= 100
    print(f"goal first-event p95 <= 100 ms: {'met' if goal else 'NOT met'}")
    if any(f["completed"] != total for f in figures.values()):
        raise SystemExit("not every session completed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the rounds with turns on the server's loop",
    )
    parser.add_argument(
        "--in-process-clients",
        action="store_true",
        help="run the clients on the server's event loop (their CPU then counts against it)",
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.client:
        asyncio.run(client_main([tuple(map(tuple, key)) for key in json.loads(options.client)]))
    else:
        asyncio.run(
            main(
                options.sessions, options.rounds, not options.no_compare, options.in_process_clients
            )
        )
