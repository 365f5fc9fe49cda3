"""Ports: what the use cases need from the outside world, as Protocols.

Adapters (memory, postgres) implement them; the contract tests in
tests/contract hold both to the same behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from omc.domain.access import ApiKey
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SocialPost
from omc.domain.tick_columns import CanonicalPriceTicks

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How a batch landed: new rows, rows replaced by newer figures, and no-ops."""

    inserted: int = 0
    updated: int = 0
    duplicate: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.duplicate + other.duplicate,
        )


class Op(StrEnum):
    EQ = "eq"  # field == value
    IN = "in"  # field in value (a tuple)
    CONTAINS = "contains"  # value in field (a tuple field such as currencies)
    GTE = "gte"  # field >= value
    LT = "lt"  # field < value


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter term over a record field; adapters translate, never interpret freely."""

    field: str
    op: Op
    value: str | datetime | date | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Keyset page: up to `size` records strictly after `after` in sort order."""

    size: int
    after: tuple[Hashable, ...] | None = None
    newest_first: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    items: list[R]
    # The sort key of the last item when more records follow; None at the end.
    next_after: tuple[Hashable, ...] | None = None


@dataclass(frozen=True, slots=True)
class RecordStats:
    record_type: str
    count: int
    earliest: datetime | None = None
    latest: datetime | None = None


class RecordRepository(Protocol[R]):
    """Storage of one record type of a ledger."""

    async def add_many(self, records: Sequence[R]) -> IngestResult:
        """Store a batch atomically. Records carry distinct natural keys (the use case
        de-duplicates first). Existing keys are duplicates, except where the record type
        replaces older figures (ProtocolMetric), which counts as updated."""
        ...

    async def list(self, conditions: Sequence[Condition], page: PageRequest) -> Page[R]:
        """Records matching every condition, in SORT_FIELDS order, one keyset page."""
        ...

    async def stats(self) -> RecordStats:
        """Row count and the earliest and latest record time."""
        ...


class PriceTickRepository(RecordRepository[PriceTick], Protocol):
    async def add_canonical(self, parts: Iterable[CanonicalPriceTicks], count: int) -> IngestResult:
        """Exactly `add_many` of every record of `parts` (`count` in all, in order): the
        same rows, counts and announcements, without building a record per tick (bulk
        ingest's fast path). Parts may be checked as they are taken: if taking one
        raises, nothing is stored and the error propagates."""
        ...

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> list[PriceTick]:
        """The newest tick per (symbol, quote); all symbols when `symbols` is empty.
        Ordered by symbol, then quote. Ties on time go to the first source by name."""
        ...


class ProtocolMetricRepository(RecordRepository[ProtocolMetric], Protocol): ...


class OnChainMetricRepository(RecordRepository[OnChainMetric], Protocol): ...


class NewsItemRepository(RecordRepository[NewsItem], Protocol): ...


class SocialPostRepository(RecordRepository[SocialPost], Protocol): ...


class CatalystEventRepository(RecordRepository[CatalystEvent], Protocol): ...


class PriceTickStream(Protocol):
    """New price ticks as they are committed, from this process or any replica."""

    def subscribe(
        self, symbols: frozenset[str], quote: str | None
    ) -> AbstractAsyncContextManager[AsyncIterator[PriceTick]]:
        """Ticks for `symbols` (every symbol when empty) committed after subscribing.
        The iterator raises SubscriberTooSlow rather than silently dropping ticks."""
        ...


class CatalystEventStream(Protocol):
    """Catalyst events as they are stored for the first time, by this process or any
    replica; an event fetched again later is never announced again."""

    def subscribe(
        self, kinds: frozenset[str], symbols: frozenset[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[CatalystEvent]]:
        """Events of `kinds` (every kind when empty) naming at least one of `symbols`
        among their currencies (every event when empty), stored after subscribing. The
        iterator raises SubscriberTooSlow rather than silently dropping events."""
        ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get_by_hash(self, secret_hash: str) -> ApiKey | None:
        """The key with this secret hash, revoked or not."""
        ...

    async def list(self, user_id: str | None, page: PageRequest) -> Page[ApiKey]:
        """One page of the keys of one user (every key when None), oldest first, keyset
        ordered by (created_at, key_id): neither ever changes, so a walk never repeats or
        skips a key. `page.after` is the previous page's `next_after`."""
        ...

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        """Marks the key revoked (idempotent: an already revoked key keeps its time).
        None when no key has this id."""
        ...

    async def count(self) -> int: ...


class SecretsProvider(Protocol):
    async def get(self, name: str) -> str | None:
        """The secret's current value, or None when it is not configured."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class LedgerRepositories:
    """Every ledger repository, as one unit the composition root can provide."""

    price_ticks: PriceTickRepository
    protocol_metrics: ProtocolMetricRepository
    onchain_metrics: OnChainMetricRepository
    news_items: NewsItemRepository
    social_posts: SocialPostRepository
    catalyst_events: CatalystEventRepository

    def every(self) -> tuple[RecordRepository[Any], ...]:
        return (
            self.price_ticks,
            self.protocol_metrics,
            self.onchain_metrics,
            self.news_items,
            self.social_posts,
            self.catalyst_events,
        )
