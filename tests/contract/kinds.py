"""One description per record type, so the generic repository contract runs over all six."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from omc.application.ports import LedgerRepositories, RecordRepository
from tests.support import records
from tests.support.records import DAY0, at

# Tie-breaking text that sorts differently by code point ("B" < "a" < "é") than under
# most linguistic collations ("a" < "B" < "é"); keyset paging must follow code points.
TIE_TEXT = ("é", "B", "a")


@dataclass(frozen=True)
class RecordKind:
    name: str
    make: Callable[[int], Any]  # record i; every 3 consecutive records share one time
    stats_field: str
    time_field: str
    time_of_group: Callable[[int], datetime | date]

    def repository(self, repositories: LedgerRepositories) -> RecordRepository[Any]:
        repository: RecordRepository[Any] = getattr(repositories, self.name)
        return repository


def _minute_group(group: int) -> datetime:
    return at(group)


KINDS = (
    RecordKind(
        "price_ticks",
        lambda i: records.tick(("ETH", "BTC")[i % 2], i // 3, source=f"src{i % 3}"),
        "observed_at",
        "observed_at",
        _minute_group,
    ),
    RecordKind(
        "protocol_metrics",
        lambda i: records.protocol_metric(
            ("curve", "aave")[i % 2], i // 3, source=f"src{i % 3}", observed_minute=100 - i
        ),
        "observed_at",
        "day",
        lambda group: DAY0 + timedelta(days=group),
    ),
    RecordKind(
        "onchain_metrics",
        lambda i: records.onchain_metric(
            ("ETH", "BTC")[i % 2], i // 3, source=f"src{i % 3}", metric="mvrv"
        ),
        "observed_at",
        "observed_at",
        _minute_group,
    ),
    RecordKind(
        "news_items",
        lambda i: records.news_item(f"{TIE_TEXT[i % 3]}{i:03d}", i // 3, source=f"src{i % 2}"),
        "published_at",
        "published_at",
        _minute_group,
    ),
    RecordKind(
        "social_posts",
        lambda i: records.social_post(f"{TIE_TEXT[i % 3]}{i:03d}", i // 3, platform=f"p{i % 2}"),
        "posted_at",
        "posted_at",
        _minute_group,
    ),
    RecordKind(
        "catalyst_events",
        lambda i: records.catalyst_event(f"{TIE_TEXT[i % 3]}{i:03d}", i // 3, source=f"s{i % 2}"),
        "occurred_at",
        "occurred_at",
        _minute_group,
    ),
)
