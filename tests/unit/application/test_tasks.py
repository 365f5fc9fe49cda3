"""An abandoned task is cancelled if still running, and its outcome is read either way."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from omc.application.tasks import abandon


async def test_a_running_task_is_cancelled() -> None:
    task = asyncio.ensure_future(asyncio.sleep(10))
    await asyncio.sleep(0)
    abandon(task)
    await asyncio.sleep(0)
    assert task.cancelled()


async def test_a_failure_nobody_awaits_is_not_reported_as_never_retrieved() -> None:
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:

        async def fail() -> None:
            raise RuntimeError("boom")

        task = asyncio.ensure_future(fail())
        name = task.get_name()
        await asyncio.sleep(0)
        assert task.done()
        abandon(task)
        await asyncio.sleep(0)
        del task
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    # Only reports about this task: the collection may also find other tests' leftovers.
    assert [c for c in reported if getattr(c.get("future"), "get_name", str)() == name] == []
