"""The scoring rules: pure functions from numbers to scores in [0, 1]."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from omc.domain.quality.policy import Sla, Weights

DIGITS = 4


def rounded(value: float) -> float:
    return round(value, DIGITS)


def timeliness(age: timedelta, sla: Sla) -> float:
    """1.0 up to the target age, 0.0 from the stale age on, linear in between."""
    if age <= sla.target:
        return 1.0
    if age >= sla.stale:
        return 0.0
    return rounded(1 - (age - sla.target) / (sla.stale - sla.target))


def share(good: int, total: int) -> float | None:
    return None if total <= 0 else rounded(good / total)


def weighted(completeness: float, timeliness_: float, accuracy: float, weights: Weights) -> float:
    total = weights.completeness + weights.timeliness + weights.accuracy
    return rounded(
        (
            weights.completeness * completeness
            + weights.timeliness * timeliness_
            + weights.accuracy * accuracy
        )
        / total
    )


def format_age(age: timedelta) -> str:
    """An age in the unit a person reads it in: 25 hours stays "25 h", never "1 hour"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 72:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


class VolumeVerdict(StrEnum):
    NORMAL = "normal"
    FLOOD = "flood"
    SILENCE = "silence"
    INSUFFICIENT_HISTORY = "insufficient_history"


@dataclass(frozen=True, slots=True)
class VolumeCheck:
    record_type: str
    current: int
    baseline_mean: float
    baseline_std: float
    z: float
    verdict: VolumeVerdict


def volume_check(
    record_type: str, hourly: Sequence[int], *, z_limit: float, min_hours: int
) -> VolumeCheck:
    """The last hour's count against the hours before it. Hours before the first record
    are not a baseline (a feed that started an hour ago is not a flood)."""
    counts = list(hourly)
    current = counts[-1] if counts else 0
    earlier = counts[:-1]
    while earlier and earlier[0] == 0:
        earlier.pop(0)
    if len(earlier) < min_hours:
        return VolumeCheck(record_type, current, 0.0, 0.0, 0.0, VolumeVerdict.INSUFFICIENT_HISTORY)
    mean = sum(earlier) / len(earlier)
    std = math.sqrt(sum((count - mean) ** 2 for count in earlier) / len(earlier))
    # A perfectly regular baseline has no spread; Poisson noise (sqrt of the mean) is the
    # least a count varies by, so one extra record is never a "flood".
    scale = max(std, math.sqrt(mean), 1.0)
    z = rounded((current - mean) / scale)
    verdict = VolumeVerdict.NORMAL
    if z > z_limit:
        verdict = VolumeVerdict.FLOOD
    elif z < -z_limit:
        verdict = VolumeVerdict.SILENCE
    return VolumeCheck(record_type, current, rounded(mean), rounded(std), z, verdict)
