import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CollectorHealth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLLECTOR_HEALTH_UNSPECIFIED: _ClassVar[CollectorHealth]
    COLLECTOR_HEALTH_HEALTHY: _ClassVar[CollectorHealth]
    COLLECTOR_HEALTH_DEGRADED: _ClassVar[CollectorHealth]
    COLLECTOR_HEALTH_FAILING: _ClassVar[CollectorHealth]
    COLLECTOR_HEALTH_NEVER_RUN: _ClassVar[CollectorHealth]
    COLLECTOR_HEALTH_DISABLED: _ClassVar[CollectorHealth]

class CollectorRunStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLLECTOR_RUN_STATUS_UNSPECIFIED: _ClassVar[CollectorRunStatus]
    COLLECTOR_RUN_STATUS_SUCCESS: _ClassVar[CollectorRunStatus]
    COLLECTOR_RUN_STATUS_PARTIAL: _ClassVar[CollectorRunStatus]
    COLLECTOR_RUN_STATUS_FAILED: _ClassVar[CollectorRunStatus]
    COLLECTOR_RUN_STATUS_SKIPPED: _ClassVar[CollectorRunStatus]
COLLECTOR_HEALTH_UNSPECIFIED: CollectorHealth
COLLECTOR_HEALTH_HEALTHY: CollectorHealth
COLLECTOR_HEALTH_DEGRADED: CollectorHealth
COLLECTOR_HEALTH_FAILING: CollectorHealth
COLLECTOR_HEALTH_NEVER_RUN: CollectorHealth
COLLECTOR_HEALTH_DISABLED: CollectorHealth
COLLECTOR_RUN_STATUS_UNSPECIFIED: CollectorRunStatus
COLLECTOR_RUN_STATUS_SUCCESS: CollectorRunStatus
COLLECTOR_RUN_STATUS_PARTIAL: CollectorRunStatus
COLLECTOR_RUN_STATUS_FAILED: CollectorRunStatus
COLLECTOR_RUN_STATUS_SKIPPED: CollectorRunStatus

class CollectorRun(_message.Message):
    __slots__ = ("run_id", "collector", "start_time", "finish_time", "status", "fetched", "inserted", "updated", "duplicate", "rejected", "error")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTOR_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FETCHED_FIELD_NUMBER: _ClassVar[int]
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    collector: str
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    status: CollectorRunStatus
    fetched: int
    inserted: int
    updated: int
    duplicate: int
    rejected: int
    error: str
    def __init__(self, run_id: _Optional[str] = ..., collector: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[CollectorRunStatus, str]] = ..., fetched: _Optional[int] = ..., inserted: _Optional[int] = ..., updated: _Optional[int] = ..., duplicate: _Optional[int] = ..., rejected: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class Collector(_message.Message):
    __slots__ = ("name", "ledger", "cadence", "enabled", "health", "disabled_reason", "last_run")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    CADENCE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    name: str
    ledger: str
    cadence: _duration_pb2.Duration
    enabled: bool
    health: CollectorHealth
    disabled_reason: str
    last_run: CollectorRun
    def __init__(self, name: _Optional[str] = ..., ledger: _Optional[str] = ..., cadence: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., enabled: _Optional[bool] = ..., health: _Optional[_Union[CollectorHealth, str]] = ..., disabled_reason: _Optional[str] = ..., last_run: _Optional[_Union[CollectorRun, _Mapping]] = ...) -> None: ...

class ListCollectorsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCollectorsResponse(_message.Message):
    __slots__ = ("collectors",)
    COLLECTORS_FIELD_NUMBER: _ClassVar[int]
    collectors: _containers.RepeatedCompositeFieldContainer[Collector]
    def __init__(self, collectors: _Optional[_Iterable[_Union[Collector, _Mapping]]] = ...) -> None: ...

class RunCollectorRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RunCollectorResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: CollectorRun
    def __init__(self, run: _Optional[_Union[CollectorRun, _Mapping]] = ...) -> None: ...

class ListCollectorRunsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "collector")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COLLECTOR_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    collector: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., collector: _Optional[str] = ...) -> None: ...

class ListCollectorRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[CollectorRun]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[CollectorRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
