"""The report's intervals and hours sit on the UTC clock, wherever its window starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omc.domain.quality import QualityPolicy
from omc.domain.quality.policy import HOUR, grid_index, grid_index_after, grid_time
from omc.domain.quality.price_series import top_gaps

TEN_SECONDS = timedelta(seconds=10)
NINE = datetime(2025, 6, 2, 9, tzinfo=UTC)


def hour(at: datetime) -> int:
    return grid_index(at, HOUR)


@pytest.mark.parametrize(
    ("at", "floor", "ceiling"),
    [
        (NINE, NINE, NINE),
        (NINE + timedelta(microseconds=1), NINE, NINE + TEN_SECONDS),
        (NINE - timedelta(microseconds=1), NINE - TEN_SECONDS, NINE),
    ],
)
def test_grid_indexes_floor_and_ceil_to_the_clock(
    at: datetime, floor: datetime, ceiling: datetime
) -> None:
    assert grid_time(grid_index(at, TEN_SECONDS), TEN_SECONDS) == floor
    assert grid_time(grid_index_after(at, TEN_SECONDS), TEN_SECONDS) == ceiling


def test_an_aligned_window_is_all_complete_hours() -> None:
    query = QualityPolicy().query(NINE, NINE, timedelta(hours=3))

    assert query.complete_hours == (hour(NINE) - 3, hour(NINE))
    assert query.interval_span(TEN_SECONDS) == (
        grid_index(NINE - timedelta(hours=3), TEN_SECONDS),
        grid_index(NINE, TEN_SECONDS),
    )
    # The trailing hour is 08:00-09:00; the baseline is 06:00 and 07:00.
    assert query.baseline_hours == (hour(NINE) - 3, hour(NINE) - 1)


def test_a_window_cut_mid_hour_has_partial_edges() -> None:
    end = NINE + timedelta(minutes=20, seconds=5)
    query = QualityPolicy().query(end, end, timedelta(hours=3))

    # 06:20:05 to 09:20:05: complete hours 07:00 and 08:00.
    assert query.complete_hours == (hour(NINE) - 2, hour(NINE))
    # The cut intervals at both ends are touched: 06:20:00 and 09:20:00.
    first, stop = query.interval_span(TEN_SECONDS)
    assert grid_time(first, TEN_SECONDS) == NINE - timedelta(hours=2, minutes=40)
    assert grid_time(stop, TEN_SECONDS) == NINE + timedelta(minutes=20, seconds=10)
    # The trailing hour 08:20:05-09:20:05; only 07:00 ends before it.
    assert query.baseline_hours == (hour(NINE) - 2, hour(NINE) - 1)
    assert query.volume_hours({hour(NINE) - 2: 7, hour(NINE) - 1: 99}, 5) == (7, 5)


def test_a_one_hour_window_inside_a_clock_hour_has_no_complete_hour() -> None:
    end = NINE + timedelta(minutes=30)
    query = QualityPolicy().query(end, end, timedelta(hours=1))

    first, stop = query.complete_hours
    assert first == stop
    assert query.volume_hours({}, 3) == (3,)


def test_gaps_are_dated_on_the_grid_and_open_at_the_window_end() -> None:
    query = QualityPolicy().query(NINE, NINE, timedelta(hours=1))
    begin = grid_index(NINE - timedelta(minutes=5), TEN_SECONDS)
    end = grid_index(NINE, TEN_SECONDS)

    gaps = top_gaps([("BTC/AUD", begin, end), ("ETH/AUD", begin, begin + 2)], end, query,
                    TEN_SECONDS)  # fmt: skip

    assert [(g.key, g.start, g.end, g.missing, g.open) for g in gaps] == [
        ("BTC/AUD", NINE - timedelta(minutes=5), NINE, 30, True),
        ("ETH/AUD", NINE - timedelta(minutes=5), NINE - timedelta(minutes=4, seconds=40), 2, False),
    ]
