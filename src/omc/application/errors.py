"""Application errors. Adapters translate their own failures into these; the gRPC layer
maps each to one canonical status code."""

from __future__ import annotations

from omc.domain.violations import FieldViolation, ValidationError

__all__ = [
    "AlreadyExists",
    "ApplicationError",
    "FailedPrecondition",
    "FieldViolation",
    "InvalidArgument",
    "StorageUnavailable",
    "StreamInterrupted",
    "SubscriberTooSlow",
    "ValidationError",
]


class ApplicationError(Exception):
    """Base of the errors a use case may raise on purpose."""

    reason: str = "APPLICATION_ERROR"


class InvalidArgument(ValidationError):
    """A request (not a record) is malformed: bad page token, inverted range..."""

    reason = "INVALID_ARGUMENT"


class AlreadyExists(ApplicationError):
    """A record with this key exists with different content (an idempotency key reused
    for something else). `subject` names it, e.g. the fill id."""

    reason = "ALREADY_EXISTS"

    def __init__(self, message: str, *, subject: str, subject_field: str) -> None:
        super().__init__(message)
        self.subject = subject
        self.subject_field = subject_field


class FailedPrecondition(ApplicationError):
    """The request is well formed but the stored state forbids it (a sell larger than the
    position held). `subject` names the offending record, e.g. the fill id."""

    reason = "FAILED_PRECONDITION"

    def __init__(self, message: str, *, subject: str, subject_field: str, reason: str) -> None:
        super().__init__(message)
        self.subject = subject
        self.subject_field = subject_field
        self.reason = reason


class StorageUnavailable(ApplicationError):
    """The database cannot be reached right now; retrying later may succeed."""

    reason = "STORAGE_UNAVAILABLE"


class SubscriberTooSlow(ApplicationError):
    """A stream subscriber fell so far behind that ticks would have been dropped."""

    reason = "SUBSCRIBER_TOO_SLOW"


class StreamInterrupted(ApplicationError):
    """The live feed behind a stream broke (e.g. the database connection dropped), so
    ticks may have been missed: the subscriber must reconnect and catch up from a list."""

    reason = "STREAM_INTERRUPTED"
