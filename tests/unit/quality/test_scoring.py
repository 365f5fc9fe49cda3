"""Scoring rules: ages in the right unit, continuous timeliness, volume z-scores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omc.domain.quality import Sla, format_age, timeliness
from omc.domain.quality.policy import Weights
from omc.domain.quality.scoring import VolumeVerdict, volume_check, weighted

SLA = Sla(timedelta(seconds=10), timedelta(minutes=5))


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=42), "42 s"),
        (timedelta(minutes=20), "20 min"),
        (timedelta(minutes=90), "90 min"),
        (timedelta(hours=25), "25 h"),
        (timedelta(hours=25, minutes=3), "25 h 3 min"),
        (timedelta(days=9, hours=2), "9 d 2 h"),
    ],
)
def test_ages_read_in_the_right_unit(age: timedelta, text: str) -> None:
    assert format_age(age) == text


def test_a_25_hour_old_feed_never_reads_one_hour() -> None:
    assert "1 h" not in format_age(timedelta(hours=25))
    assert format_age(timedelta(hours=25)).startswith("25")


def test_timeliness_is_continuous_between_fresh_and_dead() -> None:
    assert timeliness(timedelta(seconds=5), SLA) == 1.0
    assert timeliness(timedelta(seconds=10), SLA) == 1.0
    middle = timeliness(timedelta(seconds=155), SLA)
    assert middle == pytest.approx(0.5, abs=1e-4)
    assert 1.0 > timeliness(timedelta(seconds=60), SLA) > middle
    assert timeliness(timedelta(minutes=5), SLA) == 0.0
    assert timeliness(timedelta(hours=3), SLA) == 0.0


def test_weighted_overall_uses_the_configured_weights() -> None:
    assert weighted(1.0, 0.0, 1.0, Weights()) == pytest.approx(0.6)
    assert weighted(1.0, 0.0, 1.0, Weights(0.5, 0.0, 0.5)) == 1.0


def test_volume_flags_a_flood_and_a_silence() -> None:
    baseline = [360, 358, 361, 359, 360]
    assert volume_check("t", [*baseline, 360], z_limit=3, min_hours=3).verdict is (
        VolumeVerdict.NORMAL
    )
    flood = volume_check("t", [*baseline, 2_000], z_limit=3, min_hours=3)
    assert flood.verdict is VolumeVerdict.FLOOD
    assert flood.z > 3
    silence = volume_check("t", [*baseline, 0], z_limit=3, min_hours=3)
    assert silence.verdict is VolumeVerdict.SILENCE
    assert silence.z < -3


def test_volume_ignores_hours_before_the_first_record() -> None:
    check = volume_check("t", [0, 0, 0, 0, 360], z_limit=3, min_hours=3)
    assert check.verdict is VolumeVerdict.INSUFFICIENT_HISTORY
