"""The quality report: scores per ledger and for the system, with the lines behind them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from omc.domain.quality.policy import (
    FEED_EXCHANGE,
    SYSTEM_SCOPE,
    QualityPolicy,
)
from omc.domain.quality.scoring import (
    VolumeCheck,
    VolumeVerdict,
    format_age,
    format_score,
    rounded,
    share,
    timeliness,
    volume_check,
    weighted,
)
from omc.domain.quality.stats import Gap, LedgerStats, Outlier, QualityStats
from omc.domain.record import Ledger


class Level(StrEnum):
    ISSUE = "issue"
    WARNING = "warning"
    INFO = "info"


class Dimension(StrEnum):
    COMPLETENESS = "completeness"
    TIMELINESS = "timeliness"
    ACCURACY = "accuracy"
    VOLUME = "volume"
    OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class Line:
    level: Level
    scope: str
    dimension: Dimension
    message: str


@dataclass(frozen=True, slots=True)
class Freshness:
    feed: str
    newest: datetime | None
    age_seconds: float | None
    score: float


@dataclass(frozen=True, slots=True)
class LedgerReport:
    ledger: Ledger
    has_data: bool
    records: int = 0
    completeness: float | None = None
    timeliness: float | None = None
    accuracy: float | None = None
    overall: float | None = None
    gaps: tuple[Gap, ...] = ()
    outliers: tuple[Outlier, ...] = ()
    freshness: tuple[Freshness, ...] = ()
    volume: tuple[VolumeCheck, ...] = ()
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class QualityReport:
    window_start: datetime
    window_end: datetime
    completeness: float | None = None
    timeliness: float | None = None
    accuracy: float | None = None
    overall: float | None = None
    ledgers: tuple[LedgerReport, ...] = field(default_factory=tuple)
    lines: tuple[Line, ...] = ()

    def ledger(self, ledger: Ledger) -> LedgerReport:
        return next(report for report in self.ledgers if report.ledger is ledger)

    def scores(self) -> dict[str, float | None]:
        """The overall score per alert scope: every ledger, and the system."""
        result: dict[str, float | None] = {str(r.ledger): r.overall for r in self.ledgers}
        result[SYSTEM_SCOPE] = self.overall
        return result

    def all_lines(self) -> list[Line]:
        return [*self.lines, *(line for ledger in self.ledgers for line in ledger.lines)]


def build_report(stats: QualityStats, policy: QualityPolicy) -> QualityReport:
    ledgers = tuple(_ledger_report(ledger, stats, policy) for ledger in stats.ledgers)
    scored = [ledger for ledger in ledgers if ledger.overall is not None]
    lines: list[Line] = []
    if not scored:
        lines.append(
            Line(Level.ISSUE, SYSTEM_SCOPE, Dimension.OVERALL, "no ledger has data to score")
        )
        return QualityReport(stats.start, stats.end, ledgers=ledgers, lines=tuple(lines))
    completeness = _mean(ledger.completeness for ledger in scored)
    timeliness_ = _mean(ledger.timeliness for ledger in scored)
    accuracy = _mean(ledger.accuracy for ledger in scored)
    overall = weighted(completeness, timeliness_, accuracy, policy.weights)
    lines.append(
        Line(
            _level(overall, policy),
            SYSTEM_SCOPE,
            Dimension.OVERALL,
            f"system overall {format_score(overall)} over {len(scored)} ledger(s) with data "
            f"(completeness {format_score(completeness)}, timeliness "
            f"{format_score(timeliness_)}, accuracy {format_score(accuracy)})",
        )
    )
    return QualityReport(
        stats.start,
        stats.end,
        completeness,
        timeliness_,
        accuracy,
        overall,
        ledgers,
        tuple(lines),
    )


def _mean(values: Iterable[float | None]) -> float:
    present = [value for value in values if value is not None]
    return rounded(sum(present) / len(present)) if present else 0.0


def _level(score: float, policy: QualityPolicy) -> Level:
    if score < policy.thresholds.high:
        return Level.ISSUE
    if score < policy.thresholds.medium:
        return Level.WARNING
    return Level.INFO


def _ledger_report(
    stats: LedgerStats, quality: QualityStats, policy: QualityPolicy
) -> LedgerReport:
    scope = str(stats.ledger)
    lines: list[Line] = []

    def say(level: Level, dimension: Dimension, message: str) -> None:
        lines.append(Line(level, scope, dimension, message))

    records = sum(rule.records for rule in stats.rules)
    if not stats.has_data:
        say(Level.INFO, Dimension.OVERALL, "no data: nothing to score")
        return LedgerReport(stats.ledger, False, records, lines=tuple(lines))

    # --- completeness: expected intervals filled, and expected fields present ------------
    expected = sum(c.expected for c in stats.coverage)
    filled = sum(c.filled for c in stats.coverage)
    coverage = share(filled, expected)
    missing_fields = sum(rule.missing_fields for rule in stats.rules)
    fields = share(records - missing_fields, records)
    if coverage is not None:
        level = Level.INFO if coverage >= policy.thresholds.medium else Level.WARNING
        say(
            level,
            Dimension.COMPLETENESS,
            f"{filled} of {expected} expected intervals hold data ({coverage:.1%}) across "
            f"{len(stats.coverage)} tracked series",
        )
        for item in stats.coverage:
            item_share = share(item.filled, item.expected)
            if item_share is not None and item_share < policy.thresholds.medium:
                say(
                    Level.WARNING,
                    Dimension.COMPLETENESS,
                    f"{item.key}: {item.filled} of {item.expected} intervals ({item_share:.1%})",
                )
    else:
        say(
            Level.INFO,
            Dimension.COMPLETENESS,
            "no tracked series or collector runs: interval coverage not measured",
        )
    for gap in stats.gaps:
        state = "still open" if gap.open else "closed"
        say(
            Level.WARNING,
            Dimension.COMPLETENESS,
            f"gap {gap.key}: {gap.start.isoformat()} to {gap.end.isoformat()} "
            f"({gap.missing} intervals, {format_age(gap.end - gap.start)}, {state})",
        )
    if missing_fields:
        say(
            Level.WARNING,
            Dimension.COMPLETENESS,
            f"{missing_fields} of {records} records lack an expected field",
        )
    parts = [part for part in (coverage, fields) if part is not None]
    completeness = 0.0
    if parts:
        completeness = 1.0
        for part in parts:
            completeness *= part
        completeness = rounded(completeness)
    else:
        say(Level.ISSUE, Dimension.COMPLETENESS, "no records in the window")

    # --- timeliness: each feed's newest record against its SLA -------------------------
    freshness: list[Freshness] = []
    series = [c for c in stats.coverage if c.newest is not None]
    if stats.ledger is Ledger.EXCHANGE and series:
        feeds = [(f"exchange/{c.key}", FEED_EXCHANGE, c.newest) for c in series]
    else:
        feeds = [(feed, feed, newest) for feed, newest in stats.newest]
    for name, sla_name, newest in feeds:
        if newest is None:
            say(Level.INFO, Dimension.TIMELINESS, f"{name}: no records yet, not scored")
            continue
        sla = policy.sla(sla_name)
        age = quality.end - newest
        score = timeliness(age, sla)
        freshness.append(Freshness(name, newest, age.total_seconds(), score))
        level = Level.INFO if score >= 1.0 else (Level.ISSUE if score <= 0 else Level.WARNING)
        say(
            level,
            Dimension.TIMELINESS,
            f"{name}: newest record {format_age(age)} old (target {format_age(sla.target)}, "
            f"stale at {format_age(sla.stale)}) -> {score:.2f}",
        )
    timeliness_ = _mean(f.score for f in freshness)

    # --- accuracy: share of records passing every rule ---------------------------------
    invalid = sum(rule.invalid for rule in stats.rules)
    duplicates = sum(rule.duplicates for rule in stats.rules)
    for rule in stats.rules:
        for name, count in rule.by_rule:
            if count:
                say(
                    Level.WARNING,
                    Dimension.ACCURACY,
                    f"{rule.record_type}: {count} record(s) break rule {name}",
                )
        if rule.duplicates:
            say(
                Level.ISSUE,
                Dimension.ACCURACY,
                f"{rule.record_type}: {rule.duplicates} duplicate natural key(s) (must be 0)",
            )
    for outlier in stats.outliers:
        say(
            Level.WARNING,
            Dimension.ACCURACY,
            f"outlier {outlier.symbol}/{outlier.quote} from {outlier.source} at "
            f"{outlier.observed_at.isoformat()}: {outlier.last} vs hourly median "
            f"{outlier.median:g} ({outlier.deviation:.1f} x MAD)",
        )
    accuracy = 1.0
    if records:
        accuracy = rounded(max(0, records - invalid - duplicates) / records)
        say(
            Level.INFO if accuracy >= policy.thresholds.medium else Level.WARNING,
            Dimension.ACCURACY,
            f"{records - invalid} of {records} records pass every rule ({accuracy:.2%})",
        )

    # --- volume: the last hour against the ones before ---------------------------------
    volume = tuple(
        volume_check(
            record_type, counts, z_limit=policy.volume_z, min_hours=policy.volume_min_hours
        )
        for record_type, counts in stats.hourly
    )
    for check in volume:
        if check.verdict in (VolumeVerdict.FLOOD, VolumeVerdict.SILENCE):
            say(
                Level.WARNING,
                Dimension.VOLUME,
                f"{check.record_type}: {check.verdict} - {check.current} records in the last "
                f"hour vs {check.baseline_mean:g} +/- {check.baseline_std:g} (z {check.z:+.1f})",
            )

    overall = weighted(completeness, timeliness_, accuracy, policy.weights)
    say(
        _level(overall, policy),
        Dimension.OVERALL,
        f"{scope} overall {overall:.2f} (completeness {completeness:.2f}, timeliness "
        f"{timeliness_:.2f}, accuracy {accuracy:.2f}) over {records} records in "
        f"{format_age(timedelta(seconds=(quality.end - quality.start).total_seconds()))}",
    )
    return LedgerReport(
        stats.ledger,
        True,
        records,
        completeness,
        timeliness_,
        accuracy,
        overall,
        stats.gaps,
        stats.outliers,
        tuple(freshness),
        volume,
        tuple(lines),
    )
