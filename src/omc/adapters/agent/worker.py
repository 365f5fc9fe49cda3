"""The agent's own event loop, on one thread per process.

A turn's graph work (LangGraph's scheduling, the nodes, an offline model) is CPU on
the loop that runs it: 13-50 ms per turn, in slices. On the server's loop, twenty
turns made every loop iteration cost the sum of their slices, so a new Converse
stream waited that long at each step before its first event went out. Turns run here
instead; the server's loop only moves events. Whatever holds connections or shared
state (the session store, the tools' repositories, the checkpointer) stays on the
loop that owns it ("home") and is called through `on_loop`.

One thread is enough: the GIL lets one thread compute at a time anyway, and the
interpreter hands it back to the server's thread at least every switch interval, which
this module lowers to 1 ms for the process (see SWITCH_INTERVAL).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

T = TypeVar("T")

# While a turn computes here, the server's loop gets the GIL back only at a switch
# interval: CPython's default 5 ms, at every hand-over, made 20 sessions' first events
# wait in bursts (first-event p95 240-300 ms in about one run in four, the rest 43-56 ms).
# At 1 ms, five runs in a row gave 30-56 ms; final answers took ~5-10 % longer (more
# hand-overs), which a streamed answer hides.
SWITCH_INTERVAL = 0.001


class AgentLoop:
    """An event loop on a daemon thread; `run` executes a coroutine there."""

    def __init__(self, name: str = "omc-agent") -> None:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """The coroutine's result, computed on this loop. Cancelling the caller cancels
        it there and returns only once it has stopped, so nothing it does (an event it
        emits) outlives the caller's cleanup (the session lock it releases)."""
        home = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = home.create_future()
        spawned: list[asyncio.Task[T]] = []

        def deliver(task: asyncio.Task[T]) -> None:
            if outcome.done():
                return
            if task.cancelled():
                outcome.cancel()
            elif (error := task.exception()) is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(task.result())

        def report(task: asyncio.Task[T]) -> None:
            # The home loop may be gone (a test's loop closed mid-turn): nobody waits.
            with contextlib.suppress(RuntimeError):
                home.call_soon_threadsafe(deliver, task)

        def spawn() -> None:
            task = self._loop.create_task(coro)
            spawned.append(task)
            task.add_done_callback(report)

        self._loop.call_soon_threadsafe(spawn)
        try:
            return await asyncio.shield(outcome)
        except asyncio.CancelledError:
            # Callbacks run in order: spawn has run by the time this does.
            self._loop.call_soon_threadsafe(lambda: spawned[0].cancel())
            await asyncio.wait([outcome])
            raise


class InlineLoop:
    """Runs turns on the caller's own loop, as before the agent loop existed (the
    benchmark's comparison; a deployment has no reason to)."""

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await coro


_shared: AgentLoop | None = None
_shared_lock = threading.Lock()


def agent_loop() -> AgentLoop:
    """The process's agent loop, started on first use (never at import)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = AgentLoop()
        return _shared


async def on_loop(loop: asyncio.AbstractEventLoop | None, coro: Coroutine[Any, Any, T]) -> T:
    """Awaits `coro` on `loop` (directly when already there or when loop is None)."""
    if loop is None or loop is asyncio.get_running_loop():
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


class Outbox(Generic[T]):
    """One-way calls from the agent loop, delivered on the home loop in the order they
    were posted; the poster does not wait for each (a turn's events would otherwise
    cost two thread wake-ups apiece), and posts made while the home loop has not yet
    picked up the previous ones share its wake-up (each costs a syscall, and the GIL
    dropped for it). The first failure stops delivery: later posts raise it, and so
    does `close`, which waits until everything posted is delivered."""

    def __init__(self, deliver: Callable[[T], Awaitable[None]]) -> None:
        self._home = asyncio.get_running_loop()
        self._deliver = deliver
        self._posted: collections.deque[T] = collections.deque()
        self._guard = threading.Lock()
        self._woken = False
        self._queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue()
        self._error: Exception | None = None
        self._task = self._home.create_task(self._drain())

    def post(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        with self._guard:
            self._posted.append(item)
            if self._woken:
                return
            self._woken = True
        self._home.call_soon_threadsafe(self._collect)

    def _collect(self) -> None:
        with self._guard:
            self._woken = False
            items = list(self._posted)
            self._posted.clear()
        for item in items:
            self._queue.put_nowait((item,))

    async def close(self) -> None:
        """On the home loop: after everything posted so far."""
        self._collect()
        self._queue.put_nowait(None)
        await self._task
        if self._error is not None:
            raise self._error

    async def abort(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _drain(self) -> None:
        while (entry := await self._queue.get()) is not None:
            if self._error is None:
                try:
                    await self._deliver(entry[0])
                except Exception as error:  # handed to the poster and to close()
                    self._error = error


class HomeLoopSaver(BaseCheckpointSaver[Any]):
    """A checkpointer whose calls run on the home loop of the saver it wraps (a psycopg
    pool belongs to the loop that opened it; the in-memory saver to one thread)."""

    def __init__(self, inner: BaseCheckpointSaver[Any]) -> None:
        super().__init__(serde=inner.serde)
        self.inner = inner
        # LangGraph's async Postgres saver records the loop it was made on; the
        # in-memory one has none and is only ever used from the agent loop.
        self.home: asyncio.AbstractEventLoop | None = getattr(inner, "loop", None)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await on_loop(self.home, self.inner.aget_tuple(config))

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async def collect() -> list[CheckpointTuple]:
            listed = self.inner.alist(config, filter=filter, before=before, limit=limit)
            return [item async for item in listed]

        for item in await on_loop(self.home, collect()):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await on_loop(self.home, self.inner.aput(config, checkpoint, metadata, new_versions))

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await on_loop(self.home, self.inner.aput_writes(config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        await on_loop(self.home, self.inner.adelete_thread(thread_id))

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.inner.get_next_version(current, channel)
