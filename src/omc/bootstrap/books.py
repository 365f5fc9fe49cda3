"""Reading ahead the trading books of recent traders when `omc serve` starts."""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog

from omc.application.trading import TradingBooks
from omc.bootstrap.settings import Settings

log = structlog.get_logger("omc.trading")


async def _read_ahead(books: TradingBooks) -> None:
    began = time.perf_counter()
    try:
        owners = await books.keep_recent_books()
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a cache warm-up: serving goes on without it
        log.warning("books_read_ahead_failed", error=type(error).__name__)
        return
    log.info("books_read_ahead", users=owners, seconds=round(time.perf_counter() - began, 3))


def start_read_ahead(settings: Settings, books: TradingBooks) -> asyncio.Task[None] | None:
    if not settings.books_read_ahead:
        return None
    return asyncio.create_task(_read_ahead(books), name="omc-books-read-ahead")


async def stop_read_ahead(task: asyncio.Task[None] | None) -> None:
    """Cancels a read-ahead still running (a shutdown soon after start)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
