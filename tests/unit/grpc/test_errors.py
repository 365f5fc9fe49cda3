"""Exception -> status mapping: canonical codes, AIP-193 details, nothing leaked."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from omc.adapters.grpc.errors import (
    ERROR_DOMAIN,
    MAX_REPORTED_VIOLATIONS,
    ServerShuttingDown,
    map_exception,
)
from omc.application.errors import (
    FieldViolation,
    InvalidArgument,
    StorageUnavailable,
    SubscriberTooSlow,
    ValidationError,
)


def _details(status: grpc.Status) -> status_pb2.Status:
    [(key, value)] = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


def _unpack(rich: status_pb2.Status, kind: type) -> list:  # type: ignore[type-arg]
    found = []
    for detail in rich.details:
        if detail.Is(kind.DESCRIPTOR):
            message = kind()
            detail.Unpack(message)
            found.append(message)
    return found


def test_validation_errors_become_invalid_argument_with_field_violations() -> None:
    error = ValidationError(
        [FieldViolation("ticks[0].last", "must be > 0"), FieldViolation("ticks[1].symbol", "bad")]
    )

    mapped = map_exception(error, "req-1")

    assert mapped.code is grpc.StatusCode.INVALID_ARGUMENT
    assert not mapped.unexpected
    rich = _details(mapped.status)
    [bad_request] = _unpack(rich, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("ticks[0].last", "must be > 0"),
        ("ticks[1].symbol", "bad"),
    ]
    [info] = _unpack(rich, error_details_pb2.ErrorInfo)
    assert info.domain == ERROR_DOMAIN
    assert info.reason == "VALIDATION_FAILED"
    assert info.metadata["request_id"] == "req-1"


def test_invalid_argument_keeps_its_own_reason() -> None:
    mapped = map_exception(InvalidArgument([FieldViolation("page_size", "neg")]), "r")

    [info] = _unpack(_details(mapped.status), error_details_pb2.ErrorInfo)
    assert mapped.code is grpc.StatusCode.INVALID_ARGUMENT
    assert info.reason == "INVALID_ARGUMENT"


def test_huge_batches_report_a_bounded_number_of_violations() -> None:
    error = ValidationError([FieldViolation(f"ticks[{i}].last", "x" * 5000) for i in range(5000)])

    mapped = map_exception(error, "r")

    [bad_request] = _unpack(_details(mapped.status), error_details_pb2.BadRequest)
    assert len(bad_request.field_violations) == MAX_REPORTED_VIOLATIONS
    assert mapped.status.details.startswith("5000 violations")
    assert len(mapped.status.details) <= 1000


def test_storage_unavailable_hides_the_driver_message() -> None:
    mapped = map_exception(StorageUnavailable("connection to 10.0.0.5 failed: SELECT 1"), "r")

    assert mapped.code is grpc.StatusCode.UNAVAILABLE
    assert "10.0.0.5" not in mapped.status.details
    assert "SELECT" not in mapped.status.details


def test_slow_subscribers_are_resource_exhausted() -> None:
    assert map_exception(SubscriberTooSlow("x"), "r").code is grpc.StatusCode.RESOURCE_EXHAUSTED


def test_shutdown_ends_streams_as_unavailable() -> None:
    assert map_exception(ServerShuttingDown(), "r").code is grpc.StatusCode.UNAVAILABLE


def test_anything_else_is_internal_with_only_the_request_id() -> None:
    mapped = map_exception(KeyError("SELECT password FROM users"), "abc123")

    assert mapped.code is grpc.StatusCode.INTERNAL
    assert mapped.unexpected
    assert mapped.status.details == "internal error (request id abc123)"
    rich = _details(mapped.status)
    assert "SELECT" not in str(rich)
    [info] = _unpack(rich, error_details_pb2.RequestInfo)
    assert info.request_id == "abc123"
