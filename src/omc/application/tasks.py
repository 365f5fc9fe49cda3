"""Letting go of a running task or future without losing what it ends with."""

from __future__ import annotations

import asyncio
from typing import Any


def abandon(future: asyncio.Future[Any]) -> None:
    """Cancels `future` (nothing if it is done) and reads its outcome once it ends, so
    a failure nobody awaits is not logged as "exception was never retrieved"."""
    future.cancel()
    future.add_done_callback(_take_outcome)


def _take_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
