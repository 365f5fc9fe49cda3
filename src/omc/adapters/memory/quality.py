"""Quality aggregates computed in Python over the in-memory ledgers.

The same definitions as the Postgres adapter's SQL, one for one (the contract test feeds
both the same records and requires equal reports). The functions take plain iterables,
so the benchmark's load-every-row baseline reuses them.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from omc.application.collection_ports import CollectorRunRepository
from omc.application.ports import LedgerRepositories, PageRequest
from omc.domain.catalyst import IMPACT_MAX, IMPACT_MIN, CatalystEvent
from omc.domain.collection import CollectorRun, RunStatus
from omc.domain.exchange import PriceTick
from omc.domain.glass import OnChainMetric, ProtocolMetric
from omc.domain.human import SENTIMENT_MAX, SENTIMENT_MIN, NewsItem, SocialPost
from omc.domain.quality import Coverage, LedgerStats, Outlier, QualityStats, RuleCounts
from omc.domain.quality import policy as p
from omc.domain.quality.policy import HOUR, StatsQuery, grid_index
from omc.domain.quality.price_series import mad_band, series_gaps, top_gaps
from omc.domain.record import Ledger, natural_key

DAY = timedelta(days=1)
DELIVERED = (RunStatus.SUCCESS, RunStatus.PARTIAL)


class MemoryQualityStats:
    def __init__(
        self,
        repositories: LedgerRepositories,
        runs: CollectorRunRepository | None = None,
    ) -> None:
        self._repositories = repositories
        self._runs = runs

    async def stats(self, query: StatsQuery, ledgers: Sequence[Ledger]) -> QualityStats:
        result = []
        for ledger in ledgers:
            if ledger is Ledger.EXCHANGE:
                ticks = await _all(self._repositories.price_ticks)
                result.append(price_stats(ticks, query))
            elif ledger is Ledger.GLASS:
                protocols = await _all(self._repositories.protocol_metrics)
                onchain = await _all(self._repositories.onchain_metrics)
                result.append(glass_stats(protocols, onchain, query))
            elif ledger is Ledger.HUMAN:
                news = await _all(self._repositories.news_items)
                social = await _all(self._repositories.social_posts)
                result.append(human_stats(news, social, await self._all_runs(), query))
            else:
                events = await _all(self._repositories.catalyst_events)
                result.append(catalyst_stats(events, await self._all_runs(), query))
        return QualityStats(query.start, query.end, tuple(result))

    async def keep_hours(self, query: StatsQuery, max_hours: int) -> int:
        # Every report works from the records themselves: there is nothing to keep.
        return 0

    async def _all_runs(self) -> list[CollectorRun]:
        if self._runs is None:
            return []
        return (await self._runs.list(None, PageRequest(sys.maxsize))).items


async def _all(repository: Any) -> list[Any]:
    return list((await repository.list([], PageRequest(sys.maxsize))).items)


# --- shared definitions ---------------------------------------------------------------


def hourly_counts(times: Iterable[datetime], query: StatsQuery) -> tuple[int, ...]:
    """Records per baseline clock hour, then in the trailing hour (StatsQuery.volume_hours)."""
    per_hour = Counter[int]()
    trailing = 0
    for at in times:
        if query.trailing_start <= at < query.end:
            trailing += 1
        if query.start <= at < query.end:
            per_hour[grid_index(at, HOUR)] += 1
    return query.volume_hours(per_hour, trailing)


def _newest(times: Iterable[datetime], end: datetime) -> datetime | None:
    return max((at for at in times if at < end), default=None)


def _duplicates(records: Iterable[Any], *extra_unique: str) -> int:
    items = list(records)
    total = 0
    keys: list[Iterable[Hashable]] = [[natural_key(r) for r in items]]
    keys += [[getattr(r, name) for r in items] for name in extra_unique]
    for column in keys:
        total += sum(count - 1 for count in Counter(column).values() if count > 1)
    return total


def _rules(
    record_type: str,
    records: int,
    by_rule: dict[str, int],
    invalid: int,
    missing: int,
    duplicates: int,
) -> RuleCounts:
    return RuleCounts(
        record_type, records, invalid, tuple(sorted(by_rule.items())), missing, duplicates
    )


# --- exchange -------------------------------------------------------------------------


def _tick_problems(tick: PriceTick, query: StatsQuery) -> tuple[bool, bool, bool]:
    """(non-positive price, bid above ask, spread beyond the bound)."""
    bid, ask = tick.bid, tick.ask
    nonpositive = tick.last <= 0 or (bid is not None and bid <= 0) or (ask is not None and ask <= 0)
    crossed = bid is not None and ask is not None and bid > ask
    wide = (
        bid is not None
        and ask is not None
        and bid <= ask
        and (ask - bid) * 2 > query.max_spread * (ask + bid)
    )
    return nonpositive, crossed, wide


def price_stats(ticks: Iterable[PriceTick], query: StatsQuery) -> LedgerStats:
    cadence = query.price_cadence
    _, end_interval = query.interval_span(cadence)
    first_seen: dict[tuple[str, str], datetime] = {}
    newest: dict[tuple[str, str], datetime] = {}
    # (series, bucket) -> [count, low, high]
    buckets: dict[tuple[str, str], dict[int, list[Any]]] = defaultdict(dict)
    window: list[PriceTick] = []
    # Every rule is reported, broken or not, with no ticks at all too (as the SQL does).
    counts = Counter(
        dict.fromkeys(("price_positive", "bid_not_above_ask", "spread_within_bound"), 0)
    )
    future = missing = invalid = 0
    newest_any: datetime | None = None
    all_ticks: list[PriceTick] = []
    for tick in ticks:
        all_ticks.append(tick)
        series = (tick.symbol, tick.quote)
        at = tick.observed_at
        if at > query.now:
            future += 1
        if at < query.end:
            newest[series] = max(newest.get(series, at), at)
            newest_any = at if newest_any is None else max(newest_any, at)
            if at >= query.tracking_start:
                first_seen[series] = min(first_seen.get(series, at), at)
        if not query.start <= at < query.end:
            continue
        window.append(tick)
        value = float(tick.last)
        bucket = buckets[series].setdefault(grid_index(at, cadence), [0, value, value])
        bucket[0] += 1
        bucket[1] = min(bucket[1], value)
        bucket[2] = max(bucket[2], value)
        if tick.bid is None or tick.ask is None:
            missing += 1
        nonpositive, crossed, wide = _tick_problems(tick, query)
        counts["price_positive"] += nonpositive
        counts["bid_not_above_ask"] += crossed
        counts["spread_within_bound"] += wide
        invalid += nonpositive or crossed or wide

    coverage: list[Coverage] = []
    found: list[tuple[str, int, int]] = []
    for series in sorted(first_seen):
        key = f"{series[0]}/{series[1]}"
        first = grid_index(max(query.start, first_seen[series]), cadence)
        present = sorted(buckets.get(series, {}))
        coverage.append(Coverage(key, end_interval - first, len(present), newest.get(series)))
        found.extend((key, begin, end) for begin, end in series_gaps(first, present, end_interval))

    outliers = _outliers(window, buckets, query)
    counts["within_k_mad"] = len(outliers)
    counts["not_in_future"] = future
    rules = _rules(
        "price_ticks",
        len(window) + future,
        dict(counts),
        invalid + future + len(outliers),
        missing,
        _duplicates(all_ticks),
    )
    return LedgerStats(
        Ledger.EXCHANGE,
        coverage=tuple(coverage),
        gaps=tuple(top_gaps(found, end_interval, query, cadence)),
        rules=(rules,),
        outliers=tuple(outliers[: query.max_outliers]),
        hourly=(("price_ticks", hourly_counts((t.observed_at for t in window), query)),),
        newest=((p.FEED_EXCHANGE, newest_any),),
    )


def _outliers(
    window: Sequence[PriceTick],
    buckets: dict[tuple[str, str], dict[int, list[Any]]],
    query: StatsQuery,
) -> list[Outlier]:
    per_hour = int(HOUR / query.price_cadence)
    # (series, hour) -> (median, threshold scale)
    bands: dict[tuple[tuple[str, str], int], tuple[float, float]] = {}
    for series, series_buckets in buckets.items():
        mids_by_hour: dict[int, list[float]] = defaultdict(list)
        for index, (_, low, high) in series_buckets.items():
            mids_by_hour[index // per_hour].append((low + high) / 2)
        for hour, mids in mids_by_hour.items():
            band = mad_band(mids, query)
            if band is not None:
                bands[(series, hour)] = band
    found = []
    for tick in window:
        index = grid_index(tick.observed_at, query.price_cadence)
        band = bands.get(((tick.symbol, tick.quote), index // per_hour))
        if band is None or any(_tick_problems(tick, query)):
            continue
        median, scale = band
        distance = abs(float(tick.last) - median)
        if distance > query.mad_k * scale:
            found.append(
                Outlier(
                    tick.symbol,
                    tick.quote,
                    tick.source,
                    tick.observed_at,
                    tick.last,
                    median,
                    distance / scale,
                )
            )
    # Ordered on the exact deviations, rounded only for the report (as the SQL does).
    found.sort(key=lambda o: (-o.deviation, o.symbol, o.quote, o.observed_at, o.source))
    return [replace(o, median=round(o.median, 6), deviation=round(o.deviation, 2)) for o in found]


# --- glass ----------------------------------------------------------------------------


def expected_days(query: StatsQuery) -> list[date]:
    """Calendar days the window covers, the current (incomplete) day of its end excluded."""
    first = query.start.date()
    last = max(query.end.date(), first + DAY)
    return [first + DAY * i for i in range((last - first).days)]


def _day_coverage(
    key_days: dict[str, set[date]], first_days: dict[str, date], days: Sequence[date]
) -> list[Coverage]:
    result = []
    for key in sorted(first_days):
        wanted = [day for day in days if day >= first_days[key]]
        if wanted:
            result.append(Coverage(key, len(wanted), len(key_days[key] & set(wanted))))
    return result


def glass_stats(
    protocols: Sequence[ProtocolMetric], onchain: Sequence[OnChainMetric], query: StatsQuery
) -> LedgerStats:
    days = expected_days(query)
    horizon = days[-1]
    tracking_day = query.tracking_start.date()
    key_days: dict[str, set[date]] = defaultdict(set)
    first_days: dict[str, date] = {}

    def track(key: str, day: date) -> None:
        if tracking_day <= day <= horizon:
            key_days[key].add(day)
            first_days[key] = min(first_days.get(key, day), day)

    for metric in protocols:
        track(f"protocol:{metric.protocol}", metric.day)
    for point in onchain:
        track(f"onchain:{point.asset}/{point.metric}", point.observed_at.date())

    in_window = [m for m in protocols if query.start <= m.observed_at < query.end]
    future_protocols = [
        m for m in protocols if m.observed_at > query.now or m.day > query.now.date()
    ]
    negative = [
        m
        for m in in_window
        if (m.tvl_usd is not None and m.tvl_usd < 0) or (m.fees_24h is not None and m.fees_24h < 0)
    ]
    protocol_rules = _rules(
        "protocol_metrics",
        len(in_window) + len(future_protocols),
        {"amounts_non_negative": len(negative), "not_in_future": len(future_protocols)},
        len(negative) + len(future_protocols),
        sum(1 for m in in_window if m.tvl_usd is None),
        _duplicates(protocols),
    )
    onchain_window = [m for m in onchain if query.start <= m.observed_at < query.end]
    onchain_future = sum(1 for m in onchain if m.observed_at > query.now)
    onchain_rules = _rules(
        "onchain_metrics",
        len(onchain_window) + onchain_future,
        {"not_in_future": onchain_future},
        onchain_future,
        0,
        _duplicates(onchain),
    )
    return LedgerStats(
        Ledger.GLASS,
        coverage=tuple(_day_coverage(key_days, first_days, days)),
        rules=(protocol_rules, onchain_rules),
        hourly=(
            ("protocol_metrics", hourly_counts((m.observed_at for m in protocols), query)),
            ("onchain_metrics", hourly_counts((m.observed_at for m in onchain), query)),
        ),
        newest=(
            (p.FEED_PROTOCOL_METRICS, _newest((m.observed_at for m in protocols), query.end)),
            (p.FEED_ONCHAIN_METRICS, _newest((m.observed_at for m in onchain), query.end)),
        ),
    )


# --- human and catalyst: completeness from collector runs ------------------------------


def run_coverage(runs: Iterable[CollectorRun], ledger: Ledger, query: StatsQuery) -> list[Coverage]:
    result = []
    by_collector: dict[str, list[CollectorRun]] = defaultdict(list)
    for run in runs:
        by_collector[run.collector].append(run)
    for name in sorted(query.collectors):
        owner, cadence = query.collectors[name]
        if owner is not ledger:
            continue
        tracked = [
            run.started_at
            for run in by_collector.get(name, [])
            if query.tracking_start <= run.started_at < query.end
        ]
        if not tracked:
            continue
        first = max(0, query.bucket(max(query.start, min(tracked)), cadence))
        filled = {
            query.bucket(run.started_at, cadence)
            for run in by_collector[name]
            if run.status in DELIVERED and query.start <= run.started_at < query.end
        }
        result.append(Coverage(name, query.intervals(cadence) - first, len(filled)))
    return result


def _sentiment_rules(
    record_type: str, records: Sequence[Any], time_field: str, query: StatsQuery
) -> tuple[RuleCounts, tuple[int, ...], datetime | None]:
    times = [getattr(r, time_field) for r in records]
    in_window = [r for r, at in zip(records, times, strict=True) if query.start <= at < query.end]
    future = sum(1 for at in times if at > query.now)
    out_of_range = sum(
        1
        for r in in_window
        if r.sentiment_score is not None and not SENTIMENT_MIN <= r.sentiment_score <= SENTIMENT_MAX
    )
    extra = ("url",) if record_type == "news_items" else ()
    rules = _rules(
        record_type,
        len(in_window) + future,
        {"sentiment_in_range": out_of_range, "not_in_future": future},
        out_of_range + future,
        sum(1 for r in in_window if r.sentiment_score is None),
        _duplicates(records, *extra),
    )
    return rules, hourly_counts(times, query), _newest(times, query.end)


def human_stats(
    news: Sequence[NewsItem],
    social: Sequence[SocialPost],
    runs: Iterable[CollectorRun],
    query: StatsQuery,
) -> LedgerStats:
    news_rules, news_hourly, news_newest = _sentiment_rules(
        "news_items", news, "published_at", query
    )
    social_rules, social_hourly, social_newest = _sentiment_rules(
        "social_posts", social, "posted_at", query
    )
    return LedgerStats(
        Ledger.HUMAN,
        coverage=tuple(run_coverage(runs, Ledger.HUMAN, query)),
        rules=(news_rules, social_rules),
        hourly=(("news_items", news_hourly), ("social_posts", social_hourly)),
        newest=((p.FEED_NEWS, news_newest), (p.FEED_SOCIAL, social_newest)),
    )


def catalyst_stats(
    events: Sequence[CatalystEvent], runs: Iterable[CollectorRun], query: StatsQuery
) -> LedgerStats:
    # Events are judged by when OMC learnt of them: an old filing found today is news today.
    in_window = [e for e in events if query.start <= e.detected_at < query.end]
    future = sum(1 for e in events if e.occurred_at > query.now or e.detected_at > query.now)
    impact = sum(1 for e in in_window if not IMPACT_MIN <= e.impact <= IMPACT_MAX)
    rules = _rules(
        "catalyst_events",
        len(in_window) + future,
        {"impact_in_range": impact, "not_in_future": future},
        impact + future,
        sum(1 for e in in_window if not e.url),
        _duplicates(events),
    )
    filings = [e.detected_at for e in events if e.event_type.startswith(p.FILING_EVENT_PREFIX)]
    others = [e.detected_at for e in events if not e.event_type.startswith(p.FILING_EVENT_PREFIX)]
    return LedgerStats(
        Ledger.CATALYST,
        coverage=tuple(run_coverage(runs, Ledger.CATALYST, query)),
        rules=(rules,),
        hourly=(("catalyst_events", hourly_counts((e.detected_at for e in events), query)),),
        newest=(
            (p.FEED_ANNOUNCEMENTS, _newest(others, query.end)),
            (p.FEED_FILINGS, _newest(filings, query.end)),
        ),
    )
