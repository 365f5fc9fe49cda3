"""Exceptions -> AIP-193 statuses: a canonical code, a safe message, google.rpc details.

Written once and used by the interceptor, so servicers never catch anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from omc.application.errors import (
    AlreadyExists,
    FailedPrecondition,
    StorageUnavailable,
    StreamInterrupted,
    SubscriberTooSlow,
)
from omc.application.keys import KeyNotFound, PermissionDenied, Unauthenticated
from omc.application.rate_limit import RateLimited
from omc.domain.violations import ValidationError

ERROR_DOMAIN = "omc.dev"
# Status details travel in a trailer; clients drop trailers over their metadata limit
# (8 KiB by default), which would turn a helpful INVALID_ARGUMENT into an opaque error.
MAX_REPORTED_VIOLATIONS = 50
MAX_DESCRIPTION = 200
MAX_MESSAGE = 1_000


class ServerShuttingDown(Exception):
    """A long-lived stream ends because this server is draining; clients reconnect."""


class RpcDeadlineExceeded(Exception):
    """A unary RPC ran past the server's own deadline (the client may have set none)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the server's deadline of {seconds:g}s for this call was exceeded")


@dataclass(frozen=True, slots=True)
class MappedError:
    status: grpc.Status
    # True when the exception was not raised on purpose: log it with its traceback.
    unexpected: bool

    @property
    def code(self) -> grpc.StatusCode:
        code: grpc.StatusCode = self.status.code
        return code


def map_exception(error: Exception, request_id: str) -> MappedError:
    if isinstance(error, ValidationError):
        return MappedError(_invalid_argument(error, request_id), unexpected=False)
    if isinstance(error, StorageUnavailable):
        # The adapter's message may quote the driver (hosts, SQL): keep it in the log.
        return _expected(
            code_pb2.UNAVAILABLE,
            "storage is unavailable; retry later",
            error.reason,
            request_id,
        )
    if isinstance(error, SubscriberTooSlow):
        return _expected(
            code_pb2.RESOURCE_EXHAUSTED,
            f"stream ended: the client read too slowly ({_clip(str(error), MAX_MESSAGE)})",
            error.reason,
            request_id,
        )
    if isinstance(error, StreamInterrupted):
        return _expected(
            code_pb2.UNAVAILABLE,
            # Our own reasons ("the price feed lost its database connection"), never a
            # driver's message.
            f"stream ended: {_clip(str(error), MAX_MESSAGE)}; reconnect and catch up with "
            "ListPriceTicks or ListCatalystEvents",
            error.reason,
            request_id,
        )
    if isinstance(error, Unauthenticated):
        # Our own messages ("missing API key...", "invalid API key"): never the key.
        return _expected(code_pb2.UNAUTHENTICATED, str(error), error.reason, request_id)
    if isinstance(error, PermissionDenied):
        return _expected(code_pb2.PERMISSION_DENIED, str(error), error.reason, request_id)
    if isinstance(error, KeyNotFound):
        return _expected(
            code_pb2.NOT_FOUND, _clip(str(error), MAX_MESSAGE), error.reason, request_id
        )
    if isinstance(error, RateLimited):
        return MappedError(_rate_limited(error, request_id), unexpected=False)
    if isinstance(error, RpcDeadlineExceeded):
        return _expected(code_pb2.DEADLINE_EXCEEDED, str(error), "SERVER_DEADLINE", request_id)
    if isinstance(error, AlreadyExists | FailedPrecondition):
        code = (
            code_pb2.ALREADY_EXISTS
            if isinstance(error, AlreadyExists)
            else code_pb2.FAILED_PRECONDITION
        )
        # Our own message; the metadata names the record so clients need not parse it.
        info = _error_info(error.reason, request_id, **{error.subject_field: error.subject})
        return MappedError(_status(code, _clip(str(error), MAX_MESSAGE), info), unexpected=False)
    if isinstance(error, ServerShuttingDown):
        return _expected(
            code_pb2.UNAVAILABLE,
            "server is shutting down; reconnect",
            "SERVER_SHUTTING_DOWN",
            request_id,
        )
    status = _status(
        code_pb2.INTERNAL,
        f"internal error (request id {request_id})",
        _error_info("INTERNAL", request_id),
        error_details_pb2.RequestInfo(request_id=request_id),
    )
    return MappedError(status, unexpected=True)


def _invalid_argument(error: ValidationError, request_id: str) -> grpc.Status:
    violations = error.violations
    shown = violations[:MAX_REPORTED_VIOLATIONS]
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=v.field, description=_clip(v.description, MAX_DESCRIPTION)
            )
            for v in shown
        ]
    )
    summary = "; ".join(f"{v.field}: {v.description}" for v in shown[:5])
    more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
    noun = "violation" if len(violations) == 1 else "violations"
    message = _clip(f"{len(violations)} {noun}: {summary}{more}", MAX_MESSAGE)
    reason = getattr(error, "reason", "VALIDATION_FAILED")
    info = _error_info(reason, request_id, violation_count=str(len(violations)))
    return _status(code_pb2.INVALID_ARGUMENT, message, info, bad_request)


def _rate_limited(error: RateLimited, request_id: str) -> grpc.Status:
    delay = duration_pb2.Duration()
    # Rounded up: a client that waits exactly this long finds a token in the bucket.
    delay.FromMilliseconds(max(1, math.ceil(error.retry_after_seconds * 1000)))
    info = _error_info(error.reason, request_id)
    return _status(
        code_pb2.RESOURCE_EXHAUSTED,
        str(error),
        info,
        error_details_pb2.RetryInfo(retry_delay=delay),
    )


def _expected(code: int, message: str, reason: str, request_id: str) -> MappedError:
    status = _status(code, message, _error_info(reason, request_id))
    return MappedError(status, unexpected=False)


def _error_info(reason: str, request_id: str, **metadata: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(
        reason=reason, domain=ERROR_DOMAIN, metadata={"request_id": request_id, **metadata}
    )


def _status(code: int, message: str, *details: Message) -> grpc.Status:
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=packed))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
