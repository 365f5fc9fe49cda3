"""AIP-158 paging: page sizes and opaque page tokens bound to the request's filter."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Hashable, Sequence
from datetime import date, datetime
from typing import Any

from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.ports import Condition

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000


def effective_page_size(requested: int, *, maximum: int = MAX_PAGE_SIZE) -> int:
    """0 means the default; larger than the maximum is capped; negative is an error."""
    if requested < 0:
        raise InvalidArgument([FieldViolation("page_size", "must not be negative")])
    if requested == 0:
        return min(DEFAULT_PAGE_SIZE, maximum)
    return min(requested, maximum)


def filter_fingerprint(
    record_type: str, conditions: Sequence[Condition], newest_first: bool
) -> str:
    """A digest of everything that shapes the result set, so a token cannot be replayed
    against a different filter (AIP-158: changing the filter invalidates the token)."""
    canonical = json.dumps(
        [record_type, newest_first, [[c.field, str(c.op), _encode(c.value)] for c in conditions]],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def encode_page_token(fingerprint: str, after: tuple[Hashable, ...]) -> str:
    payload = json.dumps(
        {"f": fingerprint, "k": [_encode(v) for v in after]}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, fingerprint: str) -> tuple[Hashable, ...] | None:
    """The keyset position a token stands for; None for the first page."""
    if not token:
        return None
    invalid = InvalidArgument(
        [FieldViolation("page_token", "is not a token issued for this request's filter")]
    )
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or payload.get("f") != fingerprint:
            raise invalid
        key = payload["k"]
        if not isinstance(key, list):
            raise invalid
        return tuple(_decode(v) for v in key)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise invalid from error


def _encode(value: object) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, str | int) or value is None:
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in a page token")


def _decode(value: Any) -> Hashable:
    if isinstance(value, dict):
        if "dt" in value:
            parsed = datetime.fromisoformat(value["dt"])
            if parsed.tzinfo is None:
                raise ValueError("naive datetime in page token")
            return parsed
        if "d" in value:
            return date.fromisoformat(value["d"])
        raise ValueError("unknown value in page token")
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, str | int):
        return value
    raise ValueError("unknown value in page token")
