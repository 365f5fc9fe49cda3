"""Catalyst ledger: events that move markets (filings, listings, delistings...)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import ClassVar

from omc.domain.record import Ledger
from omc.domain.rules import (
    MAX_BODY,
    MAX_SHORT_TEXT,
    MAX_TITLE,
    RuleCheck,
    normalize_symbols,
    to_utc,
)
from omc.domain.violations import FieldViolation

IMPACT_MIN = 1
IMPACT_MAX = 10


@dataclass(frozen=True, slots=True)
class CatalystEvent:
    """A dated event (e.g. sec_filing_8_k, exchange_listing) scored for impact 1..10."""

    event_type: str
    title: str
    source: str
    external_id: str
    impact: int
    occurred_at: datetime
    detected_at: datetime
    description: str = ""
    url: str = ""
    currencies: tuple[str, ...] = field(default_factory=tuple)

    ledger: ClassVar[Ledger] = Ledger.CATALYST
    TIME_FIELD: ClassVar[str] = "occurred_at"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("source", "external_id")
    SORT_FIELDS: ClassVar[tuple[str, ...]] = ("occurred_at", "source", "external_id")

    def normalized(self) -> CatalystEvent:
        return replace(
            self,
            event_type=self.event_type.strip().lower(),
            title=self.title.strip(),
            source=self.source.strip().lower(),
            external_id=self.external_id.strip(),
            description=self.description.strip(),
            url=self.url.strip(),
            currencies=normalize_symbols(self.currencies),
            occurred_at=to_utc(self.occurred_at),
            detected_at=to_utc(self.detected_at),
        )

    def violations(self, now: datetime) -> list[FieldViolation]:
        check = RuleCheck()
        check.slug("event_type", self.event_type)
        check.text("title", self.title, max_length=MAX_TITLE)
        check.slug("source", self.source)
        check.text("external_id", self.external_id, max_length=MAX_SHORT_TEXT)
        check.text("description", self.description, max_length=MAX_BODY, required=False)
        check.url("url", self.url, required=False)
        if not IMPACT_MIN <= self.impact <= IMPACT_MAX:
            check.fail(
                "impact", f"must be between {IMPACT_MIN} and {IMPACT_MAX} (got {self.impact})"
            )
        check.timestamp("occurred_at", self.occurred_at, now)
        check.timestamp("detected_at", self.detected_at, now)
        check.symbols("currencies", self.currencies)
        return check.violations
