"""What every ledger record offers the application: normalisation, rules and keys."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
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
    return _getter(type(record), "KEY_FIELDS")(record)


def sort_key(record: LedgerRecord) -> tuple[Hashable, ...]:
    return _getter(type(record), "SORT_FIELDS")(record)


_GETTERS: dict[tuple[type, str], Callable[[object], tuple[Hashable, ...]]] = {}


def _getter(kind: type, fields: str) -> Callable[[object], tuple[Hashable, ...]]:
    # One attrgetter per record type: keys are computed for every record of every batch.
    getter = _GETTERS.get((kind, fields))
    if getter is None:
        names: tuple[str, ...] = getattr(kind, fields)
        single = attrgetter(*names)
        getter = (lambda r: (single(r),)) if len(names) == 1 else single
        _GETTERS[(kind, fields)] = getter
    return getter
