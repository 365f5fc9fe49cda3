"""Ingest use case: validate a whole batch, de-duplicate it, store it atomically."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from omc.application.errors import FieldViolation, ValidationError
from omc.application.ports import Clock, IngestResult, PriceTickRepository, RecordRepository
from omc.domain.exchange import PriceTick
from omc.domain.record import LedgerRecord, natural_key
from omc.domain.tick_columns import CanonicalPriceTicks, PriceTickColumns

R = TypeVar("R", bound=LedgerRecord)

DEFAULT_MAX_BATCH = 10_000


class RecordIngestor(Generic[R]):
    """Ingests one record type.

    One invalid record rejects the batch with every violation of every record, named
    `<collection>[index].<field>`, and nothing is written. Repeated natural keys inside
    the batch collapse to one record before storage: the first wins, or for record types
    whose later observations replace earlier ones, the latest `observed_at` wins.
    """

    def __init__(
        self,
        repository: RecordRepository[R],
        clock: Clock,
        *,
        collection: str,
        later_replaces_earlier: bool = False,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._collection = collection
        self._later_replaces_earlier = later_replaces_earlier
        self._max_batch = max_batch

    async def __call__(self, records: Sequence[R]) -> IngestResult:
        if not records:
            raise ValidationError([FieldViolation(self._collection, "must hold at least 1 record")])
        if len(records) > self._max_batch:
            raise ValidationError(
                [
                    FieldViolation(
                        self._collection,
                        f"must hold at most {self._max_batch} records (got {len(records)})",
                    )
                ]
            )
        normalized = [record.normalized() for record in records]
        now = self._clock.now()
        violations = [
            violation.under(f"{self._collection}[{index}]")
            for index, record in enumerate(normalized)
            for violation in record.violations(now)
        ]
        if violations:
            raise ValidationError(violations)
        unique = self._collapse_repeated_keys(normalized)
        stored = await self._repository.add_many(unique)
        return stored + IngestResult(duplicate=len(normalized) - len(unique))

    def _collapse_repeated_keys(self, records: list[R]) -> list[R]:
        kept: dict[tuple[Hashable, ...], R] = {}
        for record in records:
            key = natural_key(record)
            current = kept.get(key)
            if current is None or (
                self._later_replaces_earlier and _observed_at(record) >= _observed_at(current)
            ):
                kept[key] = record
        return list(kept.values())


class PriceTickIngestor(RecordIngestor[PriceTick]):
    """Price ticks, the bulk feed: a batch that arrives column by column, in parts, and
    is certainly valid and canonical is stored without a record per tick, each part
    checked while the storage takes in the one before."""

    def __init__(
        self, repository: PriceTickRepository, clock: Clock, *, max_batch: int = DEFAULT_MAX_BATCH
    ) -> None:
        super().__init__(repository, clock, collection="ticks", max_batch=max_batch)
        self._ticks = repository

    async def columns(
        self,
        parts: Iterable[PriceTickColumns],
        count: int,
        records: Callable[[], Sequence[PriceTick]],
    ) -> IngestResult:
        """The outcome of `self(records())` (same rows, counts, violations and
        announcements) for a batch of `count` ticks given as consecutive `parts`, where
        `records` builds the same batch as records; it is called only when the shortcut
        cannot vouch for the whole batch, after anything written for it is undone."""
        if 0 < count <= self._max_batch:
            try:
                return await self._ticks.add_canonical(
                    _vouched_for(parts, self._clock.now()), count
                )
            except _Unsure:
                pass
        return await self(records())


class _Unsure(Exception):
    """A part the shortcut cannot vouch for: the write it was feeding is abandoned."""


def _vouched_for(parts: Iterable[PriceTickColumns], now: datetime) -> Iterator[CanonicalPriceTicks]:
    seen: set[tuple[Hashable, ...]] = set()
    for part in parts:
        canonical = part.canonical(now, seen)
        if canonical is None:
            raise _Unsure
        yield canonical


def _observed_at(record: Any) -> Any:
    return record.observed_at
