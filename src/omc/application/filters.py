"""List filters per record type, turned into adapter-neutral conditions.

Every time range is half-open: [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from omc.application.errors import FieldViolation, InvalidArgument
from omc.application.ports import Condition, Op
from omc.domain.rules import SLUG_PATTERN, SYMBOL_PATTERN, normalize_symbol, normalize_symbols

MAX_FILTER_VALUES = 100


class _Terms:
    """Builds conditions and collects every problem with the filter at once."""

    def __init__(self) -> None:
        self.conditions: list[Condition] = []
        self.violations: list[FieldViolation] = []

    def symbols(self, name: str, field: str, raw: tuple[str, ...]) -> None:
        values = normalize_symbols(raw)
        if len(values) > MAX_FILTER_VALUES:
            self.violations.append(FieldViolation(name, f"at most {MAX_FILTER_VALUES} values"))
        for index, value in enumerate(values):
            if not SYMBOL_PATTERN.fullmatch(value):
                self.violations.append(
                    FieldViolation(f"{name}[{index}]", f"must match {SYMBOL_PATTERN.pattern}")
                )
        if values:
            self.conditions.append(Condition(field, Op.IN, tuple(sorted(values))))

    def symbol(self, name: str, field: str, raw: str | None, *, op: Op = Op.EQ) -> None:
        if raw is None or not raw.strip():
            return
        value = normalize_symbol(raw)
        if not SYMBOL_PATTERN.fullmatch(value):
            self.violations.append(FieldViolation(name, f"must match {SYMBOL_PATTERN.pattern}"))
        self.conditions.append(Condition(field, op, value))

    def slugs(self, name: str, field: str, raw: tuple[str, ...]) -> None:
        values = tuple(sorted({v.strip().lower() for v in raw if v.strip()}))
        if len(values) > MAX_FILTER_VALUES:
            self.violations.append(FieldViolation(name, f"at most {MAX_FILTER_VALUES} values"))
        for value in values:
            if not SLUG_PATTERN.fullmatch(value):
                self.violations.append(FieldViolation(name, f"{value!r} is not a valid name"))
        if values:
            self.conditions.append(Condition(field, Op.IN, values))

    def slug(self, name: str, field: str, raw: str | None) -> None:
        if raw and raw.strip():
            self.slugs(name, field, (raw,))

    def text(self, name: str, field: str, raw: str | None) -> None:
        if not raw or not raw.strip():
            return
        if "\x00" in raw:
            # No stored text can hold NUL (Postgres refuses it), so no record could match.
            self.violations.append(FieldViolation(name, "must not contain NUL characters"))
            return
        self.conditions.append(Condition(field, Op.EQ, raw.strip()))

    def time_range(
        self,
        field: str,
        start: datetime | date | None,
        end: datetime | date | None,
        *,
        names: tuple[str, str] = ("start_time", "end_time"),
    ) -> None:
        start_name, end_name = names
        for name, value in ((start_name, start), (end_name, end)):
            if isinstance(value, datetime) and value.tzinfo is None:
                self.violations.append(FieldViolation(name, "must be timezone-aware"))
        if start is not None and end is not None and start >= end:
            self.violations.append(FieldViolation(end_name, f"must be after {start_name}"))
        if start is not None:
            self.conditions.append(Condition(field, Op.GTE, start))
        if end is not None:
            self.conditions.append(Condition(field, Op.LT, end))

    def done(self) -> tuple[Condition, ...]:
        if self.violations:
            raise InvalidArgument(self.violations)
        return tuple(self.conditions)


@dataclass(frozen=True, slots=True)
class PriceTickFilter:
    symbols: tuple[str, ...] = ()
    quote: str | None = None
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.symbols("symbols", "symbol", self.symbols)
        terms.symbol("quote", "quote", self.quote)
        terms.slug("source", "source", self.source)
        terms.time_range("observed_at", self.start, self.end)
        return terms.done()


@dataclass(frozen=True, slots=True)
class ProtocolMetricFilter:
    protocols: tuple[str, ...] = ()
    source: str | None = None
    start_day: date | None = None
    end_day: date | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.slugs("protocols", "protocol", self.protocols)
        terms.slug("source", "source", self.source)
        terms.time_range("day", self.start_day, self.end_day, names=("start_day", "end_day"))
        return terms.done()


@dataclass(frozen=True, slots=True)
class OnChainMetricFilter:
    assets: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.symbols("assets", "asset", self.assets)
        terms.slugs("metrics", "metric", self.metrics)
        terms.slug("source", "source", self.source)
        terms.time_range("observed_at", self.start, self.end)
        return terms.done()


@dataclass(frozen=True, slots=True)
class NewsItemFilter:
    currency: str | None = None
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.symbol("currency", "currencies", self.currency, op=Op.CONTAINS)
        terms.slug("source", "source", self.source)
        terms.time_range("published_at", self.start, self.end)
        return terms.done()


@dataclass(frozen=True, slots=True)
class SocialPostFilter:
    currency: str | None = None
    platform: str | None = None
    community: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.symbol("currency", "currencies", self.currency, op=Op.CONTAINS)
        terms.slug("platform", "platform", self.platform)
        terms.text("community", "community", self.community)
        terms.time_range("posted_at", self.start, self.end)
        return terms.done()


@dataclass(frozen=True, slots=True)
class CatalystEventFilter:
    currency: str | None = None
    event_types: tuple[str, ...] = ()
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self) -> tuple[Condition, ...]:
        terms = _Terms()
        terms.symbol("currency", "currencies", self.currency, op=Op.CONTAINS)
        terms.slugs("event_types", "event_type", self.event_types)
        terms.slug("source", "source", self.source)
        terms.time_range("occurred_at", self.start, self.end)
        return terms.done()
