"""Data-quality scoring: completeness, timeliness, accuracy and volume per ledger."""

from omc.domain.quality.alerts import (
    AlertEvent,
    AlertEventKind,
    QualityAlert,
    Severity,
    decide,
    severity_of,
)
from omc.domain.quality.policy import (
    SYSTEM_SCOPE,
    QualityPolicy,
    Sla,
    StatsQuery,
    Thresholds,
    Weights,
)
from omc.domain.quality.report import (
    Dimension,
    LedgerReport,
    Level,
    Line,
    QualityReport,
    build_report,
)
from omc.domain.quality.scoring import VolumeCheck, VolumeVerdict, format_age, timeliness
from omc.domain.quality.serialize import report_to_dict
from omc.domain.quality.stats import Coverage, Gap, LedgerStats, Outlier, QualityStats, RuleCounts

__all__ = [
    "SYSTEM_SCOPE",
    "AlertEvent",
    "AlertEventKind",
    "Coverage",
    "Dimension",
    "Gap",
    "LedgerReport",
    "LedgerStats",
    "Level",
    "Line",
    "Outlier",
    "QualityAlert",
    "QualityPolicy",
    "QualityReport",
    "QualityStats",
    "RuleCounts",
    "Severity",
    "Sla",
    "StatsQuery",
    "Thresholds",
    "VolumeCheck",
    "VolumeVerdict",
    "Weights",
    "build_report",
    "decide",
    "format_age",
    "report_to_dict",
    "severity_of",
    "timeliness",
]
