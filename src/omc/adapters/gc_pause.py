"""Pausing Python's cyclic garbage collector around bulk object building.

Hot paths that allocate tens of thousands of short- or long-lived objects, none in a
reference cycle, would otherwise trigger a collection every 700 allocations that walks
all of them (and every other tracked object) for nothing. Reference counting still
frees everything as usual. Keep the paused stretch to the build itself: during an
await, other tasks' allocations would run with the collector off too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Resumes only what it paused: nesting, or a caller that had it off, is kept."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
