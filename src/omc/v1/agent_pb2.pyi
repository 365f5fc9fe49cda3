import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATUS_UNSPECIFIED: _ClassVar[SessionStatus]
    SESSION_STATUS_PENDING: _ClassVar[SessionStatus]
    SESSION_STATUS_RUNNING: _ClassVar[SessionStatus]
    SESSION_STATUS_WAITING_FOR_INPUT: _ClassVar[SessionStatus]
    SESSION_STATUS_COMPLETED: _ClassVar[SessionStatus]
    SESSION_STATUS_FAILED: _ClassVar[SessionStatus]
    SESSION_STATUS_CANCELLED: _ClassVar[SessionStatus]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_SESSION_STARTED: _ClassVar[EventKind]
    EVENT_KIND_USER_MESSAGE: _ClassVar[EventKind]
    EVENT_KIND_PLAN: _ClassVar[EventKind]
    EVENT_KIND_ANALYST_STARTED: _ClassVar[EventKind]
    EVENT_KIND_ANALYST_FINISHED: _ClassVar[EventKind]
    EVENT_KIND_TOOL_CALL_STARTED: _ClassVar[EventKind]
    EVENT_KIND_TOOL_CALL_FINISHED: _ClassVar[EventKind]
    EVENT_KIND_TEXT_DELTA: _ClassVar[EventKind]
    EVENT_KIND_CLARIFICATION_REQUESTED: _ClassVar[EventKind]
    EVENT_KIND_CITATION: _ClassVar[EventKind]
    EVENT_KIND_VERIFICATION_RESULT: _ClassVar[EventKind]
    EVENT_KIND_BUDGET_EXHAUSTED: _ClassVar[EventKind]
    EVENT_KIND_FINAL_ANSWER: _ClassVar[EventKind]
    EVENT_KIND_ERROR: _ClassVar[EventKind]
    EVENT_KIND_SESSION_ENDED: _ClassVar[EventKind]
SESSION_STATUS_UNSPECIFIED: SessionStatus
SESSION_STATUS_PENDING: SessionStatus
SESSION_STATUS_RUNNING: SessionStatus
SESSION_STATUS_WAITING_FOR_INPUT: SessionStatus
SESSION_STATUS_COMPLETED: SessionStatus
SESSION_STATUS_FAILED: SessionStatus
SESSION_STATUS_CANCELLED: SessionStatus
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_SESSION_STARTED: EventKind
EVENT_KIND_USER_MESSAGE: EventKind
EVENT_KIND_PLAN: EventKind
EVENT_KIND_ANALYST_STARTED: EventKind
EVENT_KIND_ANALYST_FINISHED: EventKind
EVENT_KIND_TOOL_CALL_STARTED: EventKind
EVENT_KIND_TOOL_CALL_FINISHED: EventKind
EVENT_KIND_TEXT_DELTA: EventKind
EVENT_KIND_CLARIFICATION_REQUESTED: EventKind
EVENT_KIND_CITATION: EventKind
EVENT_KIND_VERIFICATION_RESULT: EventKind
EVENT_KIND_BUDGET_EXHAUSTED: EventKind
EVENT_KIND_FINAL_ANSWER: EventKind
EVENT_KIND_ERROR: EventKind
EVENT_KIND_SESSION_ENDED: EventKind

class Session(_message.Message):
    __slots__ = ("session_id", "owner", "goal", "status", "model", "create_time", "update_time", "last_seq", "error")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    owner: str
    goal: str
    status: SessionStatus
    model: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    last_seq: int
    error: str
    def __init__(self, session_id: _Optional[str] = ..., owner: _Optional[str] = ..., goal: _Optional[str] = ..., status: _Optional[_Union[SessionStatus, str]] = ..., model: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seq: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("text", "evidence_ids", "status", "note")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    text: str
    evidence_ids: _containers.RepeatedScalarFieldContainer[str]
    status: str
    note: str
    def __init__(self, text: _Optional[str] = ..., evidence_ids: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Citation(_message.Message):
    __slots__ = ("evidence_id", "ref", "ledger", "record_type", "as_of")
    EVIDENCE_ID_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    LEDGER_FIELD_NUMBER: _ClassVar[int]
    RECORD_TYPE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    evidence_id: str
    ref: str
    ledger: str
    record_type: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, evidence_id: _Optional[str] = ..., ref: _Optional[str] = ..., ledger: _Optional[str] = ..., record_type: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FinalAnswer(_message.Message):
    __slots__ = ("answer", "claims", "citations", "manifest", "notice")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    answer: str
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    manifest: _struct_pb2.Struct
    notice: str
    def __init__(self, answer: _Optional[str] = ..., claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ..., manifest: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., notice: _Optional[str] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("session_id", "seq", "kind", "time", "payload", "final_answer")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    FINAL_ANSWER_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    kind: EventKind
    time: _timestamp_pb2.Timestamp
    payload: _struct_pb2.Struct
    final_answer: FinalAnswer
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., kind: _Optional[_Union[EventKind, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., final_answer: _Optional[_Union[FinalAnswer, _Mapping]] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("goal",)
    GOAL_FIELD_NUMBER: _ClassVar[int]
    goal: str
    def __init__(self, goal: _Optional[str] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class Ask(_message.Message):
    __slots__ = ("question",)
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    question: str
    def __init__(self, question: _Optional[str] = ...) -> None: ...

class Answer(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Reconnect(_message.Message):
    __slots__ = ("last_seq",)
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    last_seq: int
    def __init__(self, last_seq: _Optional[int] = ...) -> None: ...

class ConverseRequest(_message.Message):
    __slots__ = ("session_id", "ask", "answer", "cancel", "reconnect")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ASK_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    ask: Ask
    answer: Answer
    cancel: Cancel
    reconnect: Reconnect
    def __init__(self, session_id: _Optional[str] = ..., ask: _Optional[_Union[Ask, _Mapping]] = ..., answer: _Optional[_Union[Answer, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., reconnect: _Optional[_Union[Reconnect, _Mapping]] = ...) -> None: ...

class ConverseResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: AgentEvent
    def __init__(self, event: _Optional[_Union[AgentEvent, _Mapping]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "user_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    user_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class CancelSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...
