"""Appending later fills to prepared books equals preparing everything at once: what
a store's in-process history relies on when it only reads the fills written since."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omc.domain.trading.fills import Fill
from omc.domain.trading.lots import CostMethod, LotEngine, prepare
from tests.support.prepared import columns

from .test_properties import fill_sequences


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(), cuts=st.lists(st.integers(0, 30), max_size=4))
def test_appending_later_fills_equals_preparing_them_all(
    fills: list[Fill], cuts: list[int]
) -> None:
    bounds = sorted({0, len(fills), *(cut % (len(fills) + 1) for cut in cuts)})
    grown = prepare([])
    for start, stop in pairwise(bounds):
        before = columns(grown)
        grown = grown.extended(prepare(fills[start:stop]))
        # The history it grew from is untouched (another call may be replaying it).
        assert columns(grown)[1][: len(before[1])] == before[1]
    whole = prepare(fills)
    assert columns(grown) == columns(whole)
    assert grown.fills == whole.fills
    for method in CostMethod:
        ours, theirs = LotEngine(grown, method), LotEngine(whole, method)
        ours.advance()
        theirs.advance()
        assert ours.realized == theirs.realized
        assert ours.position_totals() == theirs.position_totals()


@settings(max_examples=60, deadline=None)
@given(fills=fill_sequences(), pick=st.integers(0, 100))
def test_a_tail_that_does_not_come_after_is_refused(fills: list[Fill], pick: int) -> None:
    head = prepare(fills)
    earlier = fills[pick % len(fills)]
    with pytest.raises(ValueError, match="event order"):
        head.extended(prepare([earlier]))
    last = fills[-1]
    same_time_lower_id = prepare([_renamed(last, "a")])
    with pytest.raises(ValueError, match="event order"):
        head.extended(same_time_lower_id)
    later = prepare([_renamed(last, "f999", minutes=1)])
    assert head.extended(later).fill_ids == [*head.fill_ids, "f999"]


def _renamed(fill: Fill, fill_id: str, minutes: int = 0) -> Fill:
    return replace(fill, fill_id=fill_id, executed_at=fill.executed_at + timedelta(minutes=minutes))


@settings(max_examples=150, deadline=None)
@given(fills=fill_sequences(), picks=st.lists(st.booleans(), min_size=30, max_size=30))
def test_merging_any_two_parts_equals_preparing_them_all(
    fills: list[Fill], picks: list[bool]
) -> None:
    """A fill dated inside a kept history: merged into place, books renumbered by first
    appearance, equal to preparing everything at once."""
    kept = [fill for i, fill in enumerate(fills) if picks[i % len(picks)]]
    late = [fill for i, fill in enumerate(fills) if not picks[i % len(picks)]]
    merged = prepare(kept).merged(prepare(late))
    whole = prepare(fills)
    assert columns(merged) == columns(whole)
    assert merged.fills == whole.fills
    for method in CostMethod:
        ours, theirs = LotEngine(merged, method), LotEngine(whole, method)
        ours.advance()
        theirs.advance()
        assert ours.realized == theirs.realized
        assert ours.position_totals() == theirs.position_totals()


@settings(max_examples=60, deadline=None)
@given(fills=fill_sequences(), seconds=st.lists(st.integers(0, 3), min_size=1, max_size=5))
def test_merging_fills_at_the_same_instant_orders_them_by_id(
    fills: list[Fill], seconds: list[int]
) -> None:
    others = [_renamed(fills[i % len(fills)], f"f{i:03d}x", minutes=0) for i in range(len(seconds))]
    others = [
        replace(other, executed_at=fills[(i * 7) % len(fills)].executed_at + timedelta(seconds=s))
        for i, (other, s) in enumerate(zip(others, seconds, strict=True))
    ]
    merged = prepare(fills).merged(prepare(others))
    assert columns(merged) == columns(prepare(fills + others))
