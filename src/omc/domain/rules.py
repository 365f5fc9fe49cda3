"""Field rules shared by every ledger record. One place, used by every entry point."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal

from omc.domain.violations import FieldViolation

SYMBOL_PATTERN = re.compile(r"^[A-Z0-9]{1,15}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_FUTURE_SKEW = timedelta(minutes=5)
# Nothing in crypto markets predates the Bitcoin genesis block; an earlier time
# is almost always an unset protobuf Timestamp (1970-01-01) or a unit mistake.
EARLIEST_TIME = datetime(2009, 1, 3, tzinfo=UTC)
MAX_INTEGER_DIGITS = 28
MAX_FRACTION_DIGITS = 18
MAX_CURRENCIES = 64
_SMALLEST_STEP = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
# Wide enough that quantizing any value within the digit limits is exact.
_WIDE = Context(prec=MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 4)
MAX_SHORT_TEXT = 256
MAX_TITLE = 1_000
MAX_URL = 2_048
MAX_BODY = 40_000


def normalize_symbol(raw: str) -> str:
    """Symbols are upper case, trimmed; normalised once at the edge of the domain."""
    return raw.strip().upper()


def normalize_symbols(raw: Iterable[str]) -> tuple[str, ...]:
    """Upper-cased, de-duplicated, in first-seen order."""
    seen: dict[str, None] = {}
    for item in raw:
        seen.setdefault(normalize_symbol(item), None)
    return tuple(seen)


class RuleCheck:
    """Collects violations for one record so all of them are reported together."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def fail(self, field: str, description: str) -> None:
        self.violations.append(FieldViolation(field, description))

    def symbol(self, field: str, value: str) -> None:
        if not SYMBOL_PATTERN.fullmatch(value):
            self.fail(field, f"must match {SYMBOL_PATTERN.pattern} (got {_shown(value)})")

    def symbols(self, field: str, values: tuple[str, ...]) -> None:
        if len(values) > MAX_CURRENCIES:
            self.fail(field, f"at most {MAX_CURRENCIES} entries (got {len(values)})")
            return
        for index, value in enumerate(values):
            self.symbol(f"{field}[{index}]", value)

    def slug(self, field: str, value: str) -> None:
        if not SLUG_PATTERN.fullmatch(value):
            self.fail(
                field,
                "must be 1-64 lower-case letters, digits, '_', '.' or '-' "
                f"starting with a letter or digit (got {_shown(value)})",
            )

    def text(self, field: str, value: str, *, max_length: int, required: bool = True) -> None:
        if required and not value.strip():
            self.fail(field, "must not be empty")
        if "\x00" in value:
            # Postgres text and jsonb cannot store NUL: refused as input, not a fault.
            self.fail(field, "must not contain NUL characters")
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters (got {len(value)})")

    def decimal(
        self,
        field: str,
        value: Decimal | None,
        *,
        required: bool = False,
        positive: bool = False,
        non_negative: bool = False,
    ) -> None:
        if value is None:
            if required:
                self.fail(field, "is required")
            return
        if not value.is_finite():
            self.fail(field, "must be a finite decimal number")
            return
        # adjusted() is the exponent of the leading digit: cheap, unlike as_tuple().
        if value and value.adjusted() >= MAX_INTEGER_DIGITS:
            self.fail(field, f"must have at most {MAX_INTEGER_DIGITS} integer digits")
        elif value != value.quantize(_SMALLEST_STEP, context=_WIDE):
            self.fail(field, f"must have at most {MAX_FRACTION_DIGITS} decimal places")
        if positive and value <= 0:
            self.fail(field, f"must be greater than 0 (got {value})")
        elif non_negative and value < 0:
            self.fail(field, f"must be 0 or greater (got {value})")

    def score(self, field: str, value: Decimal | None, low: Decimal, high: Decimal) -> None:
        if value is None:
            return
        self.decimal(field, value)
        if value.is_finite() and not low <= value <= high:
            self.fail(field, f"must be between {low} and {high} (got {value})")

    def timestamp(self, field: str, value: datetime, now: datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail(field, "must be timezone-aware")
            return
        if value < EARLIEST_TIME:
            self.fail(field, f"must be set and not before {EARLIEST_TIME.date().isoformat()}")
        if value > now + MAX_FUTURE_SKEW:
            self.fail(field, "must not be more than 5 minutes in the future")

    def day(self, field: str, value: date, now: datetime) -> None:
        if value < EARLIEST_TIME.date():
            self.fail(field, f"must be set and not before {EARLIEST_TIME.date().isoformat()}")
        if value > (now + MAX_FUTURE_SKEW).astimezone(UTC).date():
            self.fail(field, "must not be in the future")

    def url(self, field: str, value: str, *, required: bool) -> None:
        self.text(field, value, max_length=MAX_URL, required=required)
        if value and not value.startswith(("https://", "http://")):
            self.fail(field, "must be an http(s) URL")

    def integer(self, field: str, value: int, *, non_negative: bool = False) -> None:
        if non_negative and value < 0:
            self.fail(field, f"must be 0 or greater (got {value})")


def to_utc(value: datetime) -> datetime:
    """Aware datetimes are stored in UTC; naive ones are left for the rules to reject."""
    if value.tzinfo is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")
