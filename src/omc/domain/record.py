"""What every ledger record offers the application: normalisation, rules and keys."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol, Self

from omc.domain.violations import FieldViolation


class Ledger(StrEnum):
    EXCHANGE = "exchange"
    GLASS = "glass"
    HUMAN = "human"
    CATALYST = "catalyst"


class LedgerRecord(Protocol):
    """A record of one of the four ledgers."""

    ledger: ClassVar[Ledger]
    # The record's time: range filters and listings order by it.
    TIME_FIELD: ClassVar[str]
    # The identity ingest is idempotent on.
    KEY_FIELDS: ClassVar[tuple[str, ...]]
    # A total order for listings and keyset paging: the time, then a unique tie-break.
    SORT_FIELDS: ClassVar[tuple[str, ...]]

    def normalized(self) -> Self:
        """The same record in canonical form (upper-case symbols, UTC times)."""
        ...

    def violations(self, now: datetime) -> list[FieldViolation]:
        """Every rule this record breaks (empty when valid); field paths are relative."""
        ...


def natural_key(record: LedgerRecord) -> tuple[Hashable, ...]:
    return tuple(getattr(record, name) for name in record.KEY_FIELDS)


def sort_key(record: LedgerRecord) -> tuple[Hashable, ...]:
    return tuple(getattr(record, name) for name in record.SORT_FIELDS)
