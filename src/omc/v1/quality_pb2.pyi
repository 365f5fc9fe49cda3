import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_SEVERITY_UNSPECIFIED: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_MEDIUM: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_HIGH: _ClassVar[AlertSeverity]

class AlertStatusFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATUS_FILTER_UNSPECIFIED: _ClassVar[AlertStatusFilter]
    ALERT_STATUS_FILTER_OPEN: _ClassVar[AlertStatusFilter]
    ALERT_STATUS_FILTER_RESOLVED: _ClassVar[AlertStatusFilter]

class AlertEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_EVENT_KIND_UNSPECIFIED: _ClassVar[AlertEventKind]
    ALERT_EVENT_KIND_OPENED: _ClassVar[AlertEventKind]
    ALERT_EVENT_KIND_RESOLVED: _ClassVar[AlertEventKind]
ALERT_SEVERITY_UNSPECIFIED: AlertSeverity
ALERT_SEVERITY_MEDIUM: AlertSeverity
ALERT_SEVERITY_HIGH: AlertSeverity
ALERT_STATUS_FILTER_UNSPECIFIED: AlertStatusFilter
ALERT_STATUS_FILTER_OPEN: AlertStatusFilter
ALERT_STATUS_FILTER_RESOLVED: AlertStatusFilter
ALERT_EVENT_KIND_UNSPECIFIED: AlertEventKind
ALERT_EVENT_KIND_OPENED: AlertEventKind
ALERT_EVENT_KIND_RESOLVED: AlertEventKind

class GetQualityReportRequest(_message.Message):
    __slots__ = ("ledger", "window", "as_of")
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ledger: str
    window: _duration_pb2.Duration
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, ledger: _Optional[str] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetQualityReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: QualityReport
    def __init__(self, report: _Optional[_Union[QualityReport, _Mapping]] = ...) -> None: ...

class QualityReport(_message.Message):
    __slots__ = ("window_start", "window_end", "completeness", "timeliness", "accuracy", "overall", "ledgers", "lines")
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    COMPLETENESS_FIELD_NUMBER: _ClassVar[int]
    TIMELINESS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    LEDGERS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    window_start: _timestamp_pb2.Timestamp
    window_end: _timestamp_pb2.Timestamp
    completeness: float
    timeliness: float
    accuracy: float
    overall: float
    ledgers: _containers.RepeatedCompositeFieldContainer[LedgerQuality]
    lines: _containers.RepeatedCompositeFieldContainer[QualityLine]
    def __init__(self, window_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completeness: _Optional[float] = ..., timeliness: _Optional[float] = ..., accuracy: _Optional[float] = ..., overall: _Optional[float] = ..., ledgers: _Optional[_Iterable[_Union[LedgerQuality, _Mapping]]] = ..., lines: _Optional[_Iterable[_Union[QualityLine, _Mapping]]] = ...) -> None: ...

class LedgerQuality(_message.Message):
    __slots__ = ("ledger", "has_data", "records", "completeness", "timeliness", "accuracy", "overall", "gaps", "outliers", "freshness", "volume", "lines")
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    HAS_DATA_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    COMPLETENESS_FIELD_NUMBER: _ClassVar[int]
    TIMELINESS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    OUTLIERS_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ledger: str
    has_data: bool
    records: int
    completeness: float
    timeliness: float
    accuracy: float
    overall: float
    gaps: _containers.RepeatedCompositeFieldContainer[QualityGap]
    outliers: _containers.RepeatedCompositeFieldContainer[QualityOutlier]
    freshness: _containers.RepeatedCompositeFieldContainer[FeedFreshness]
    volume: _containers.RepeatedCompositeFieldContainer[VolumeCheck]
    lines: _containers.RepeatedCompositeFieldContainer[QualityLine]
    def __init__(self, ledger: _Optional[str] = ..., has_data: _Optional[bool] = ..., records: _Optional[int] = ..., completeness: _Optional[float] = ..., timeliness: _Optional[float] = ..., accuracy: _Optional[float] = ..., overall: _Optional[float] = ..., gaps: _Optional[_Iterable[_Union[QualityGap, _Mapping]]] = ..., outliers: _Optional[_Iterable[_Union[QualityOutlier, _Mapping]]] = ..., freshness: _Optional[_Iterable[_Union[FeedFreshness, _Mapping]]] = ..., volume: _Optional[_Iterable[_Union[VolumeCheck, _Mapping]]] = ..., lines: _Optional[_Iterable[_Union[QualityLine, _Mapping]]] = ...) -> None: ...

class QualityGap(_message.Message):
    __slots__ = ("key", "start", "end", "missing", "open")
    KEY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    key: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    missing: int
    open: bool
    def __init__(self, key: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., missing: _Optional[int] = ..., open: _Optional[bool] = ...) -> None: ...

class QualityOutlier(_message.Message):
    __slots__ = ("symbol", "quote", "source", "observed_at", "last", "median", "deviation")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIELD_NUMBER: _ClassVar[int]
    DEVIATION_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    quote: str
    source: str
    observed_at: _timestamp_pb2.Timestamp
    last: str
    median: float
    deviation: float
    def __init__(self, symbol: _Optional[str] = ..., quote: _Optional[str] = ..., source: _Optional[str] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last: _Optional[str] = ..., median: _Optional[float] = ..., deviation: _Optional[float] = ...) -> None: ...

class FeedFreshness(_message.Message):
    __slots__ = ("feed", "newest", "age_seconds", "score")
    FEED_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIELD_NUMBER: _ClassVar[int]
    AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    feed: str
    newest: _timestamp_pb2.Timestamp
    age_seconds: float
    score: float
    def __init__(self, feed: _Optional[str] = ..., newest: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., age_seconds: _Optional[float] = ..., score: _Optional[float] = ...) -> None: ...

class VolumeCheck(_message.Message):
    __slots__ = ("record_type", "current", "baseline_mean", "baseline_std", "z", "verdict")
    RECORD_TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    BASELINE_MEAN_FIELD_NUMBER: _ClassVar[int]
    BASELINE_STD_FIELD_NUMBER: _ClassVar[int]
    Z_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    record_type: str
    current: int
    baseline_mean: float
    baseline_std: float
    z: float
    verdict: str
    def __init__(self, record_type: _Optional[str] = ..., current: _Optional[int] = ..., baseline_mean: _Optional[float] = ..., baseline_std: _Optional[float] = ..., z: _Optional[float] = ..., verdict: _Optional[str] = ...) -> None: ...

class QualityLine(_message.Message):
    __slots__ = ("level", "scope", "dimension", "message")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    level: str
    scope: str
    dimension: str
    message: str
    def __init__(self, level: _Optional[str] = ..., scope: _Optional[str] = ..., dimension: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class QualityAlert(_message.Message):
    __slots__ = ("alert_id", "scope", "severity", "score", "opened_at", "resolved_at", "report")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    scope: str
    severity: AlertSeverity
    score: float
    opened_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    report: _struct_pb2.Struct
    def __init__(self, alert_id: _Optional[str] = ..., scope: _Optional[str] = ..., severity: _Optional[_Union[AlertSeverity, str]] = ..., score: _Optional[float] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., report: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListQualityAlertsRequest(_message.Message):
    __slots__ = ("status", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: AlertStatusFilter
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[AlertStatusFilter, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQualityAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[QualityAlert]
    next_page_token: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[QualityAlert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchQualityAlertsRequest(_message.Message):
    __slots__ = ("send_open",)
    SEND_OPEN_FIELD_NUMBER: _ClassVar[int]
    send_open: bool
    def __init__(self, send_open: _Optional[bool] = ...) -> None: ...

class WatchQualityAlertsResponse(_message.Message):
    __slots__ = ("kind", "alert")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ALERT_FIELD_NUMBER: _ClassVar[int]
    kind: AlertEventKind
    alert: QualityAlert
    def __init__(self, kind: _Optional[_Union[AlertEventKind, str]] = ..., alert: _Optional[_Union[QualityAlert, _Mapping]] = ...) -> None: ...
