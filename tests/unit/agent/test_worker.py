"""The agent loop: turns run on its thread, results and errors come back, a cancelled
caller returns only once the work has stopped; posts from it reach the home loop in
order; a checkpointer bound to the home loop is always called there."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from omc.adapters.agent.worker import (
    SWITCH_INTERVAL,
    HomeLoopSaver,
    Outbox,
    agent_loop,
    on_loop,
)

BOUND = 10.0


async def test_a_coroutine_runs_on_the_agent_thread_and_its_result_comes_back() -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert await asyncio.wait_for(agent_loop().run(where()), BOUND) == "omc-agent"
    assert agent_loop() is agent_loop()


def test_with_the_agent_thread_running_the_gil_is_handed_over_every_millisecond() -> None:
    # The server's loop shares the process with turns computing on the agent thread.
    agent_loop()
    assert sys.getswitchinterval() <= SWITCH_INTERVAL == 0.001


async def test_an_error_comes_back_as_itself() -> None:
    async def fail() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await asyncio.wait_for(agent_loop().run(fail()), BOUND)


async def test_a_cancelled_caller_returns_once_the_work_has_stopped() -> None:
    started, stopped = threading.Event(), threading.Event()

    async def long() -> None:
        started.set()
        try:
            await asyncio.sleep(BOUND)
        finally:
            await asyncio.sleep(0.05)  # cleanup that takes a while
            stopped.set()

    caller = asyncio.create_task(agent_loop().run(long()))
    assert await asyncio.to_thread(started.wait, BOUND)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert stopped.is_set()


async def test_a_caller_cancelled_before_the_work_started_does_not_hang() -> None:
    ran = threading.Event()

    async def work() -> None:
        ran.set()

    caller = asyncio.create_task(agent_loop().run(work()))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(caller, BOUND)


async def test_outbox_delivers_on_the_home_loop_in_order_and_close_waits() -> None:
    home = asyncio.get_running_loop()
    delivered: list[int] = []
    loops: set[Any] = set()

    async def deliver(item: int) -> None:
        loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        delivered.append(item)

    outbox: Outbox[int] = Outbox(deliver)

    async def post_many() -> None:
        for item in range(200):
            outbox.post(item)
            if item % 50 == 0:
                await asyncio.sleep(0)

    await agent_loop().run(post_many())
    await asyncio.wait_for(outbox.close(), BOUND)
    assert delivered == list(range(200))
    assert loops == {home}


async def test_outbox_stops_at_the_first_failure_and_reports_it() -> None:
    delivered: list[int] = []

    async def deliver(item: int) -> None:
        if item == 3:
            raise RuntimeError("store down")
        delivered.append(item)

    outbox: Outbox[int] = Outbox(deliver)
    for item in range(6):
        outbox.post(item)
    with pytest.raises(RuntimeError, match="store down"):
        await asyncio.wait_for(outbox.close(), BOUND)
    assert delivered == [0, 1, 2]
    with pytest.raises(RuntimeError, match="store down"):
        outbox.post(7)


async def test_a_saver_bound_to_the_home_loop_is_called_there() -> None:
    home = asyncio.get_running_loop()
    calls: list[Any] = []

    class BoundSaver(InMemorySaver):
        loop = home

        async def aget_tuple(self, config: Any) -> Any:
            calls.append(asyncio.get_running_loop())
            return await super().aget_tuple(config)

    saver = HomeLoopSaver(BoundSaver())
    config: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}

    assert await agent_loop().run(saver.aget_tuple(config)) is None
    assert calls == [home]
    # An unbound saver (in memory) is used where the graph runs: no hop.
    assert HomeLoopSaver(InMemorySaver()).home is None


async def test_on_loop_without_a_loop_runs_in_place() -> None:
    async def here() -> Any:
        return asyncio.get_running_loop()

    assert await on_loop(None, here()) is asyncio.get_running_loop()
