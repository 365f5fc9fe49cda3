"""What `omc serve` holds for life is frozen out of the collector once it has started;
garbage at that moment is collected, not frozen forever."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from omc.bootstrap.heap import freeze_startup_objects


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_live_objects_are_frozen_and_garbage_cycles_collected_first() -> None:
    kept = Node()
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    gone = weakref.ref(first)
    del first, second

    frozen = freeze_startup_objects()

    assert gone() is None
    assert frozen == gc.get_freeze_count() > 0
    assert gc.is_tracked(kept)
    assert not any(obj is kept for obj in gc.get_objects())  # out of every generation
