"""Lenient readers for upstream JSON values: strings or numbers, ISO or epoch times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class BadRecord(ValueError):
    """One upstream record cannot become a domain record; the reason is logged."""


def decimal_or_none(value: Any, field: str) -> Decimal | None:
    """Numbers arrive as JSON numbers or strings ("0.5", 0.5); empty means absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRecord(f"{field}: not a number ({value!r})")
    try:
        # str() first: Decimal(0.1) would carry the float's binary noise.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadRecord(f"{field}: not a number ({value!r})") from None
    if not number.is_finite():
        raise BadRecord(f"{field}: not a finite number ({value!r})")
    return number


def required_decimal(value: Any, field: str) -> Decimal:
    number = decimal_or_none(value, field)
    if number is None:
        raise BadRecord(f"{field}: missing")
    return number


def required_str(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise BadRecord(f"{field}: missing")
    return value.strip()


def parse_time(value: Any, field: str) -> datetime:
    """ISO 8601 (with Z or an offset; naive means UTC) or Unix seconds."""
    if isinstance(value, bool) or value is None or value == "":
        raise BadRecord(f"{field}: missing")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRecord(f"{field}: not a time ({value!r})") from None
    if not isinstance(value, str):
        raise BadRecord(f"{field}: not a time ({value!r})")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"{field}: not a time ({value!r})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRecord(f"{what}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadRecord(f"{what}: expected a list, got {type(value).__name__}")
    return value
