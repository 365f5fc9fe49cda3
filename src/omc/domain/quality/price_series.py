"""Definitions over one price series' cadence intervals that every stats source shares.

Both stats sources call these very functions, so their MAD bands and gaps cannot drift
apart: the float arithmetic is the same operation for operation.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta

from omc.domain.quality.policy import StatsQuery, grid_time
from omc.domain.quality.stats import Gap


def percentile_cont(values: Sequence[float], fraction: float = 0.5) -> float:
    """PostgreSQL's percentile_cont, operation for operation (float8 arithmetic)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    first = int(position // 1)
    second = -int(-position // 1)
    low = ordered[first]
    if second == first:
        return low
    return low + (position - first) * (ordered[second] - low)


def mad_band(mids: Sequence[float], query: StatsQuery) -> tuple[float, float] | None:
    """(median, scale) of one series' interval mid-prices in one hour block, or None when
    the hour is too thin to judge or flat with a zero median. Scale is the MAD floored at
    a fraction of |median|, so a flat market does not make every cent an outlier."""
    if len(mids) < query.mad_min_points:
        return None
    median = percentile_cont(mids)
    # abs(mid - median) for every mid, looped in C: this runs once per series and hour.
    mad = percentile_cont(list(map(abs, map(median.__rsub__, mids))))
    scale = max(mad, query.mad_floor * abs(median))
    return (median, scale) if scale > 0 else None


def series_gaps(first: int, present: Sequence[int], intervals: int) -> Iterator[tuple[int, int]]:
    """[begin, end) of every run of missing intervals of one series, whose tracking starts
    at interval `first` and ends before interval `intervals`, given its present intervals
    in ascending order."""
    if not present:
        if first < intervals:
            yield first, intervals
        return
    if present[0] > first:
        yield first, present[0]
    yield from interior_gaps(present)
    if present[-1] < intervals - 1:
        yield present[-1] + 1, intervals


def interior_gaps(present: Sequence[int]) -> Iterator[tuple[int, int]]:
    """[begin, end) of the runs of missing intervals between ascending present ones."""
    # Contiguous (the usual case): no gap, and no Python loop over the series.
    if present and present[-1] - present[0] + 1 != len(present):
        for before, after in itertools.pairwise(present):
            if after - before > 1:
                yield before + 1, after


def top_gaps(
    found: Iterable[tuple[str, int, int]], end: int, query: StatsQuery, cadence: timedelta
) -> list[Gap]:
    """The `max_gaps` longest gaps from (series key, begin, end) runs of missing grid
    intervals, then by key and start; only those become Gap records (a feed gone sparse
    has thousands). A gap reaching `end`, the window's last interval, is open."""
    chosen = heapq.nsmallest(query.max_gaps, found, key=lambda g: (g[1] - g[2], g[0], g[1]))
    return [
        Gap(key, grid_time(begin, cadence), grid_time(stop, cadence), stop - begin, stop == end)
        for key, begin, stop in chosen
    ]
