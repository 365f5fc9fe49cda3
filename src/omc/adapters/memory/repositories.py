"""In-memory repositories that behave exactly like the Postgres ones (contract-tested)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from omc.application.catalyst_fanout import CatalystEventFanout
from omc.application.fanout import PriceTickFanout
from omc.application.ports import (
    Condition,
    IngestResult,
    LedgerRepositories,
    Op,
    Page,
    PageRequest,
    RecordStats,
)
from omc.domain.catalyst import CatalystEvent
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import NewsItem, SocialPost
from omc.domain.record import LedgerRecord, natural_key, sort_key
from omc.domain.tick_columns import CanonicalPriceTicks

R = TypeVar("R", bound=LedgerRecord)


def _matches(record: object, condition: Condition) -> bool:
    value: Any = getattr(record, condition.field)
    wanted: Any = condition.value
    match condition.op:
        case Op.EQ:
            return bool(value == wanted)
        case Op.IN:
            return value in wanted
        case Op.CONTAINS:
            return wanted in value
        case Op.GTE:
            return bool(value >= wanted)
        case Op.LT:
            return bool(value < wanted)
    raise ValueError(f"unknown operator {condition.op}")


class MemoryRecordRepository(Generic[R]):
    def __init__(
        self,
        record_type: str,
        *,
        stats_field: str,
        later_replaces_earlier: bool = False,
        unique_fields: tuple[str, ...] = (),
        on_commit: Callable[[list[R]], None] | None = None,
    ) -> None:
        self._record_type = record_type
        self._stats_field = stats_field
        self._later_replaces_earlier = later_replaces_earlier
        self._unique_fields = unique_fields
        self._on_commit = on_commit
        self._rows: dict[tuple[Hashable, ...], R] = {}
        self._lock = asyncio.Lock()

    async def add_many(self, records: Sequence[R]) -> IngestResult:
        async with self._lock:
            # Work out every change first, then apply them all: a batch lands whole.
            changes: dict[tuple[Hashable, ...], R] = {}
            taken = {
                name: {getattr(row, name) for row in self._rows.values()}
                for name in self._unique_fields
            }
            fresh: list[R] = []
            updated = duplicate = 0
            for record in records:
                key = natural_key(record)
                existing = self._rows.get(key)
                if existing is None:
                    if key in changes or any(
                        getattr(record, name) in taken[name] for name in self._unique_fields
                    ):
                        duplicate += 1
                        continue
                    for name in self._unique_fields:
                        taken[name].add(getattr(record, name))
                    changes[key] = record
                    fresh.append(record)
                elif (
                    self._later_replaces_earlier
                    and _observed_at(record) >= _observed_at(existing)
                    and record != existing
                ):
                    changes[key] = record
                    updated += 1
                else:
                    duplicate += 1
            self._rows.update(changes)
        if self._on_commit is not None and fresh:
            self._on_commit(fresh)
        return IngestResult(len(fresh), updated, duplicate)

    async def list(self, conditions: Sequence[Condition], page: PageRequest) -> Page[R]:
        matching = [row for row in self._rows.values() if all(_matches(row, c) for c in conditions)]
        matching.sort(key=sort_key, reverse=page.newest_first)
        if page.after is not None:
            after: Any = page.after
            matching = [
                row
                for row in matching
                if (sort_key(row) < after if page.newest_first else sort_key(row) > after)
            ]
        items = matching[: page.size]
        more = len(matching) > page.size
        return Page(items, sort_key(items[-1]) if more and items else None)

    async def stats(self) -> RecordStats:
        times: list[datetime] = [getattr(row, self._stats_field) for row in self._rows.values()]
        return RecordStats(
            self._record_type, len(times), min(times, default=None), max(times, default=None)
        )


class MemoryPriceTickRepository(MemoryRecordRepository[PriceTick]):
    async def add_canonical(self, parts: Iterable[CanonicalPriceTicks], count: int) -> IngestResult:
        # Every part is taken before anything is stored: a part that raises leaves nothing.
        return await self.add_many([tick for part in parts for tick in part.records()])

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> list[PriceTick]:
        wanted = set(symbols)
        newest: dict[tuple[str, str], PriceTick] = {}
        for tick in self._rows.values():
            if (wanted and tick.symbol not in wanted) or (quote and tick.quote != quote):
                continue
            if source and tick.source != source:
                continue
            key = (tick.symbol, tick.quote)
            best = newest.get(key)
            if best is None or (tick.observed_at, _inverse(tick.source)) > (
                best.observed_at,
                _inverse(best.source),
            ):
                newest[key] = tick
        return [newest[key] for key in sorted(newest)]


def _observed_at(record: object) -> Any:
    return getattr(record, "observed_at")  # noqa: B009 (generic over record types)


def _inverse(text: str) -> tuple[int, ...]:
    """Sorts strings in reverse byte order, so max() picks the first source by name."""
    return tuple(-b for b in text.encode())


def memory_repositories(
    fanout: PriceTickFanout, catalyst_fanout: CatalystEventFanout | None = None
) -> LedgerRepositories:
    """New ticks reach `fanout`, and new catalyst events `catalyst_fanout`, on commit."""
    return LedgerRepositories(
        price_ticks=MemoryPriceTickRepository(
            "price_ticks", stats_field="observed_at", on_commit=fanout.publish
        ),
        protocol_metrics=MemoryRecordRepository[ProtocolMetric](
            "protocol_metrics", stats_field="observed_at", later_replaces_earlier=True
        ),
        onchain_metrics=MemoryRecordRepository[OnChainMetric](
            "onchain_metrics", stats_field="observed_at"
        ),
        news_items=MemoryRecordRepository[NewsItem](
            "news_items", stats_field="published_at", unique_fields=("url",)
        ),
        social_posts=MemoryRecordRepository[SocialPost]("social_posts", stats_field="posted_at"),
        catalyst_events=MemoryRecordRepository[CatalystEvent](
            "catalyst_events",
            stats_field="occurred_at",
            on_commit=None if catalyst_fanout is None else catalyst_fanout.publish,
        ),
    )
