"""The agent's read-only tools over the ledgers and the caller's books.

Every row a tool returns is an EvidenceRow: a stable evidence id (ledger, record type,
natural key), the data's as-of time and its fields. An empty result is a row of its own
saying so, so the model never has to guess and a claim of absence can be cited. Ledger
text (titles, posts) is returned as data fields only. Per-user tools act for the
session owner's principal, fixed when the toolbox is built: no argument can name
another user.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omc.application.errors import ApplicationError, ValidationError
from omc.application.filters import (
    CatalystEventFilter,
    NewsItemFilter,
    OnChainMetricFilter,
    PriceTickFilter,
    ProtocolMetricFilter,
    SocialPostFilter,
)
from omc.application.ledger import LedgerUseCases
from omc.application.quality import QualityReports
from omc.application.trading import PnLWindow, TradingBooks
from omc.domain.access import Principal
from omc.domain.agent.evidence import EvidenceId, EvidenceRow, Scalar
from omc.domain.agent.intents import MAX_WINDOW, Analyst
from omc.domain.agent.manifest import stable_hash
from omc.domain.exchange import PriceTick
from omc.domain.rules import SLUG_PATTERN, SYMBOL_PATTERN

MAX_ROWS = 50
MAX_TICKS_SCANNED = 20_000
INTERVALS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
}


class ToolArgumentError(Exception):
    """Arguments the model invented that fail validation: reported back to the model."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    name: str
    rows: tuple[EvidenceRow, ...] = ()
    error: str = ""
    duration_ms: float = 0.0
    arguments_hash: str = ""

    def to_json(self, refs: Mapping[str, str]) -> str:
        """What the model reads: rows with their short refs, or the error."""
        if self.error:
            return json.dumps({"error": self.error})
        return json.dumps(
            {"rows": [row.to_json(refs[row.evidence_id]) for row in self.rows]}, default=str
        )


Handler = Callable[[dict[str, Any]], Awaitable[list[EvidenceRow]]]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    analysts: frozenset[Analyst]
    handler: Handler = field(repr=False)


def _schema(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_SYMBOL = {"type": "string", "description": "ticker, e.g. BTC", "pattern": SYMBOL_PATTERN.pattern}
_SYMBOLS = {"type": "array", "items": _SYMBOL, "maxItems": 20}
_TIME = {"type": "string", "description": "RFC 3339 time, e.g. 2025-12-31T00:00:00Z"}
_WINDOW = {"start": _TIME, "end": _TIME}
_EVERY = frozenset(Analyst)


class Toolbox:
    """The tools one session may use, bound to its owner."""

    def __init__(
        self,
        ledger: LedgerUseCases,
        principal: Principal,
        now: Callable[[], datetime],
        *,
        books: TradingBooks | None = None,
        quality: QualityReports | None = None,
    ) -> None:
        self._ledger = ledger
        self._quality = quality
        self._principal = principal
        self._now = now
        self._books = books
        tools = [
            Tool(
                "latest_prices",
                "Newest exchange price tick per symbol.",
                _schema({"symbols": _SYMBOLS, "quote": _SYMBOL}),
                frozenset({Analyst.EXCHANGE}),
                self._latest_prices,
            ),
            Tool(
                "price_history",
                "Price bars (open/high/low/close of last prices) for one symbol over a "
                "window, aggregated per interval (5m, 1h, 4h, 1d).",
                _schema(
                    {
                        "symbol": _SYMBOL,
                        "quote": _SYMBOL,
                        "interval": {"type": "string", "enum": list(INTERVALS)},
                        **_WINDOW,
                    },
                    ["symbol"],
                ),
                frozenset({Analyst.EXCHANGE}),
                self._price_history,
            ),
            Tool(
                "sentiment",
                "News items and social posts about a symbol in a window, with sentiment "
                "scores, plus their average.",
                _schema({"symbol": _SYMBOL, **_WINDOW}, ["symbol"]),
                frozenset({Analyst.HUMAN}),
                self._sentiment,
            ),
            Tool(
                "catalyst_events",
                "Dated market-moving events (listings, filings, outages) in a window.",
                _schema({"symbol": _SYMBOL, **_WINDOW}),
                frozenset({Analyst.CATALYST}),
                self._catalyst_events,
            ),
            Tool(
                "onchain_metrics",
                "On-chain metrics of an asset (e.g. active_addresses) in a window.",
                _schema({"asset": _SYMBOL, "metric": {"type": "string"}, **_WINDOW}, ["asset"]),
                frozenset({Analyst.GLASS}),
                self._onchain_metrics,
            ),
            Tool(
                "protocol_metrics",
                "DeFi protocol daily TVL, fees and revenue in a window.",
                _schema({"protocol": {"type": "string"}, **_WINDOW}),
                frozenset({Analyst.GLASS}),
                self._protocol_metrics,
            ),
            Tool(
                "available_symbols",
                "Symbols with price ticks in the exchange ledger.",
                _schema({}),
                _EVERY,
                self._available_symbols,
            ),
            Tool(
                "ledger_stats",
                "Row count and time range of every record type.",
                _schema({}),
                _EVERY,
                self._ledger_stats,
            ),
        ]
        if books is not None:
            tools += [
                Tool(
                    "my_fills",
                    "The caller's own fills (trades), newest first.",
                    _schema({"symbol": _SYMBOL, **_WINDOW}),
                    frozenset({Analyst.BOOKS}),
                    self._my_fills,
                ),
                Tool(
                    "my_positions",
                    "The caller's open positions, marked at the latest exchange price.",
                    _schema({"symbol": _SYMBOL}),
                    frozenset({Analyst.BOOKS}),
                    self._my_positions,
                ),
                Tool(
                    "my_pnl_summary",
                    "The caller's realized and unrealized PnL, fees and volume in a window.",
                    _schema({"symbol": _SYMBOL, **_WINDOW}),
                    frozenset({Analyst.BOOKS}),
                    self._my_pnl_summary,
                ),
            ]
        if quality is not None:
            tools.append(
                Tool(
                    "quality_report",
                    "The data-quality report: completeness, timeliness, accuracy and overall "
                    "score (0..1) per ledger and for the system over the last hours.",
                    _schema({"window_hours": {"type": "integer", "minimum": 1, "maximum": 720}}),
                    frozenset({Analyst.QUALITY}),
                    self._quality_report,
                )
            )
        self._tools = {tool.name: tool for tool in tools}

    @property
    def owner(self) -> str:
        return self._principal.user_id

    def names(self) -> frozenset[str]:
        return frozenset(self._tools)

    def for_analyst(self, analyst: Analyst) -> list[Tool]:
        return [tool for tool in self._tools.values() if analyst in tool.analysts]

    async def call(self, name: str, arguments: str, analyst: Analyst | None = None) -> ToolResult:
        """Runs a tool; every failure the model caused comes back as `error`."""
        started = time.perf_counter()
        arguments_hash = stable_hash(arguments)
        tool = self._tools.get(name)
        if tool is None or (analyst is not None and analyst not in tool.analysts):
            return ToolResult(name, error=f"unknown tool {name!r}", arguments_hash=arguments_hash)
        try:
            parsed = json.loads(arguments or "{}")
            if not isinstance(parsed, dict):
                raise ToolArgumentError("arguments must be a JSON object")
            unknown = set(parsed) - set(tool.parameters["properties"])
            if unknown:
                raise ToolArgumentError(f"unknown arguments: {', '.join(sorted(unknown))}")
            rows = await tool.handler(parsed)
        except (ToolArgumentError, json.JSONDecodeError, ValidationError) as error:
            return ToolResult(
                name,
                error=_describe(error),
                arguments_hash=arguments_hash,
                duration_ms=_ms(started),
            )
        except ApplicationError as error:
            return ToolResult(
                name,
                error=f"{error.reason}: {error}"[:300],
                arguments_hash=arguments_hash,
                duration_ms=_ms(started),
            )
        return ToolResult(
            name, tuple(rows), duration_ms=_ms(started), arguments_hash=arguments_hash
        )

    # --- argument helpers -----------------------------------------------------------

    def _window(self, args: dict[str, Any]) -> tuple[datetime, datetime]:
        end = _time(args.get("end"), "end") or self._now()
        start = _time(args.get("start"), "start") or end - timedelta(days=7)
        if start >= end:
            raise ToolArgumentError("end must be after start")
        if end - start > MAX_WINDOW:
            raise ToolArgumentError(f"the window may span at most {MAX_WINDOW.days} days")
        return start, end

    def _empty(self, ledger: str, what: str, args: dict[str, Any]) -> list[EvidenceRow]:
        key = (what, stable_hash(args))
        return [
            EvidenceRow(
                str(EvidenceId(ledger, "empty_result", key)),
                self._now(),
                {"record_type": what, "count": 0, "query": json.dumps(args, sort_keys=True)},
            )
        ]

    # --- exchange -------------------------------------------------------------------

    async def _latest_prices(self, args: dict[str, Any]) -> list[EvidenceRow]:
        symbols = _symbols(args.get("symbols", []))
        quote = _symbol(args.get("quote"), "quote") or ""
        ticks = await self._ledger.latest_prices(symbols, quote=quote)
        rows = [_tick_row(tick) for tick in ticks[:MAX_ROWS]]
        return rows or self._empty("exchange", "price_ticks", args)

    async def _price_history(self, args: dict[str, Any]) -> list[EvidenceRow]:
        symbol = _symbol(args.get("symbol"), "symbol")
        if symbol is None:
            raise ToolArgumentError("symbol is required")
        quote = _symbol(args.get("quote"), "quote")
        interval_name = str(args.get("interval") or "1h")
        interval = INTERVALS.get(interval_name)
        if interval is None:
            raise ToolArgumentError(f"interval must be one of {', '.join(INTERVALS)}")
        start, end = self._window(args)
        ticks: list[PriceTick] = []
        token = ""
        while len(ticks) < MAX_TICKS_SCANNED:
            page = await self._ledger.list_price_ticks(
                PriceTickFilter(symbols=(symbol,), quote=quote, start=start, end=end),
                page_size=1000,
                page_token=token,
            )
            ticks.extend(page.items)
            token = page.next_page_token
            if not token:
                break
        bars = _bars(ticks, interval, interval_name)
        # The newest bars matter most when the window holds more than MAX_ROWS.
        return bars[-MAX_ROWS:] or self._empty("exchange", "price_ticks", args)

    # --- human ----------------------------------------------------------------------

    async def _sentiment(self, args: dict[str, Any]) -> list[EvidenceRow]:
        symbol = _symbol(args.get("symbol"), "symbol")
        if symbol is None:
            raise ToolArgumentError("symbol is required")
        start, end = self._window(args)
        news = await self._ledger.list_news_items(
            NewsItemFilter(currency=symbol, start=start, end=end),
            page_size=MAX_ROWS,
            newest_first=True,
        )
        posts = await self._ledger.list_social_posts(
            SocialPostFilter(currency=symbol, start=start, end=end),
            page_size=MAX_ROWS,
            newest_first=True,
        )
        rows: list[EvidenceRow] = []
        for item in news.items:
            rows.append(
                EvidenceRow(
                    str(EvidenceId("human", "news_item", (item.source, item.external_id))),
                    item.published_at,
                    {
                        "title": item.title,
                        "source": item.source,
                        "sentiment_label": item.sentiment_label and item.sentiment_label.value,
                        "sentiment_score": item.sentiment_score,
                    },
                )
            )
        for post in posts.items:
            rows.append(
                EvidenceRow(
                    str(EvidenceId("human", "social_post", (post.platform, post.external_id))),
                    post.posted_at,
                    {
                        "title": post.title,
                        "platform": post.platform,
                        "community": post.community,
                        "sentiment_label": post.sentiment_label and post.sentiment_label.value,
                        "sentiment_score": post.sentiment_score,
                    },
                )
            )
        if not rows:
            return self._empty("human", "news_and_social", args)
        scores = [
            Decimal(str(row.fields["sentiment_score"]))
            for row in rows
            if row.fields.get("sentiment_score") is not None
        ]
        summary: dict[str, Scalar] = {
            "symbol": symbol,
            "count": len(rows),
            "scored": len(scores),
            "average_sentiment": (
                (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.0001"))
                if scores
                else None
            ),
        }
        key = (symbol, start.isoformat(), end.isoformat())
        summary_row = EvidenceRow(
            str(EvidenceId("human", "sentiment_summary", key)),
            max(row.as_of for row in rows),
            summary,
        )
        return [summary_row, *rows]

    # --- catalyst -------------------------------------------------------------------

    async def _catalyst_events(self, args: dict[str, Any]) -> list[EvidenceRow]:
        symbol = _symbol(args.get("symbol"), "symbol")
        start, end = self._window(args)
        page = await self._ledger.list_catalyst_events(
            CatalystEventFilter(currency=symbol, start=start, end=end),
            page_size=MAX_ROWS,
            newest_first=True,
        )
        rows = [
            EvidenceRow(
                str(EvidenceId("catalyst", "catalyst_event", (event.source, event.external_id))),
                event.occurred_at,
                {
                    "title": event.title,
                    "event_type": event.event_type,
                    "impact": event.impact,
                    "currencies": ",".join(event.currencies),
                    "occurred_at": event.occurred_at.isoformat(),
                },
            )
            for event in page.items
        ]
        return rows or self._empty("catalyst", "catalyst_events", args)

    # --- glass ----------------------------------------------------------------------

    async def _onchain_metrics(self, args: dict[str, Any]) -> list[EvidenceRow]:
        asset = _symbol(args.get("asset"), "asset")
        if asset is None:
            raise ToolArgumentError("asset is required")
        metric = _slug(args.get("metric"), "metric")
        start, end = self._window(args)
        page = await self._ledger.list_onchain_metrics(
            OnChainMetricFilter(
                assets=(asset,), metrics=(metric,) if metric else (), start=start, end=end
            ),
            page_size=MAX_ROWS,
            newest_first=True,
        )
        rows = [
            EvidenceRow(
                str(
                    EvidenceId(
                        "glass",
                        "onchain_metric",
                        (m.source, m.asset, m.metric, m.observed_at.isoformat()),
                    )
                ),
                m.observed_at,
                {"asset": m.asset, "metric": m.metric, "value": m.value},
            )
            for m in reversed(page.items)
        ]
        return rows or self._empty("glass", "onchain_metrics", args)

    async def _protocol_metrics(self, args: dict[str, Any]) -> list[EvidenceRow]:
        protocol = _slug(args.get("protocol"), "protocol")
        start, end = self._window(args)
        page = await self._ledger.list_protocol_metrics(
            ProtocolMetricFilter(
                protocols=(protocol,) if protocol else (),
                start_day=start.date(),
                end_day=(end + timedelta(days=1)).date(),
            ),
            page_size=MAX_ROWS,
            newest_first=True,
        )
        rows = [
            EvidenceRow(
                str(
                    EvidenceId(
                        "glass", "protocol_metric", (m.source, m.protocol, m.day.isoformat())
                    )
                ),
                m.observed_at,
                {
                    "protocol": m.protocol,
                    "day": m.day.isoformat(),
                    "tvl_usd": m.tvl_usd,
                    "fees_24h": m.fees_24h,
                    "revenue_24h": m.revenue_24h,
                },
            )
            for m in reversed(page.items)
        ]
        return rows or self._empty("glass", "protocol_metrics", args)

    # --- everyone -------------------------------------------------------------------

    async def _available_symbols(self, args: dict[str, Any]) -> list[EvidenceRow]:
        ticks = await self._ledger.latest_prices(())
        rows = [
            EvidenceRow(
                str(EvidenceId("exchange", "symbol", (tick.symbol, tick.quote))),
                tick.observed_at,
                {"symbol": tick.symbol, "quote": tick.quote},
            )
            for tick in ticks[:MAX_ROWS]
        ]
        return rows or self._empty("exchange", "symbols", args)

    async def _ledger_stats(self, args: dict[str, Any]) -> list[EvidenceRow]:
        del args
        now = self._now()
        return [
            EvidenceRow(
                str(EvidenceId("ledger", "stats", (stats.record_type, now.isoformat()))),
                stats.latest or now,
                {
                    "record_type": stats.record_type,
                    "count": stats.count,
                    "earliest": stats.earliest.isoformat() if stats.earliest else None,
                    "latest": stats.latest.isoformat() if stats.latest else None,
                },
            )
            for stats in await self._ledger.statistics()
        ]

    # --- the caller's books -----------------------------------------------------------

    async def _my_fills(self, args: dict[str, Any]) -> list[EvidenceRow]:
        assert self._books is not None
        symbol = _symbol(args.get("symbol"), "symbol")
        start, end = (None, None) if not ({"start", "end"} & set(args)) else self._window(args)
        page = await self._books.list_fills(
            self._principal, symbol=symbol, start=start, end=end, page_size=MAX_ROWS
        )
        rows = [
            EvidenceRow(
                str(EvidenceId("books", "fill", (fill.owner, fill.fill_id))),
                fill.executed_at,
                {
                    "fill_id": fill.fill_id,
                    "symbol": fill.symbol,
                    "quote": fill.quote,
                    "side": str(fill.side),
                    "quantity": fill.quantity,
                    "price": fill.price,
                    "fee": fill.fee,
                },
            )
            for fill in page.items
        ]
        return rows or self._empty("books", "fills", args)

    async def _my_positions(self, args: dict[str, Any]) -> list[EvidenceRow]:
        assert self._books is not None
        symbol = _symbol(args.get("symbol"), "symbol")
        marked = await self._books.list_positions(self._principal, symbol=symbol)
        now = self._now()
        rows = []
        for item in marked[:MAX_ROWS]:
            p = item.position
            rows.append(
                EvidenceRow(
                    str(
                        EvidenceId(
                            "books", "position", (self.owner, p.symbol, p.quote, now.isoformat())
                        )
                    ),
                    item.mark_time or now,
                    {
                        "symbol": p.symbol,
                        "quote": p.quote,
                        "quantity": p.quantity,
                        "cost_basis": p.cost_basis,
                        "mark": p.mark,
                        "market_value": p.market_value,
                        "unrealized": p.unrealized,
                    },
                )
            )
        return rows or self._empty("books", "positions", args)

    async def _my_pnl_summary(self, args: dict[str, Any]) -> list[EvidenceRow]:
        assert self._books is not None
        symbol = _symbol(args.get("symbol"), "symbol")
        start, end = self._window(args)
        result = await self._books.summary(
            self._principal, PnLWindow(start=start, end=end, symbol=symbol)
        )
        s = result.summary
        key = (self.owner, symbol or "*", result.start.isoformat(), result.end.isoformat())
        return [
            EvidenceRow(
                str(EvidenceId("books", "pnl_summary", key)),
                result.end,
                {
                    "quote": s.quote,
                    "realized": s.realized,
                    "unrealized": s.unrealized,
                    "total": s.total,
                    "fees_paid": s.fees_paid,
                    "volume": s.volume,
                    "open_positions": len(s.positions),
                },
            )
        ]

    async def _quality_report(self, args: dict[str, Any]) -> list[EvidenceRow]:
        assert self._quality is not None
        hours = args.get("window_hours", 24)
        if not isinstance(hours, int) or not 1 <= hours <= 720:
            raise ToolArgumentError("window_hours must be a whole number from 1 to 720")
        report = await self._quality.report(window=timedelta(hours=hours))
        end = report.window_end
        rows = [
            EvidenceRow(
                str(EvidenceId("quality", "ledger_report", ("system", end.isoformat()))),
                end,
                {"ledger": "system", **_scores(report)},
            )
        ]
        for ledger in report.ledgers:
            rows.append(
                EvidenceRow(
                    str(
                        EvidenceId(
                            "quality", "ledger_report", (ledger.ledger.value, end.isoformat())
                        )
                    ),
                    end,
                    {
                        "ledger": ledger.ledger.value,
                        "has_data": ledger.has_data,
                        "records": ledger.records,
                        **_scores(ledger),
                    },
                )
            )
        return rows


# --- helpers ------------------------------------------------------------------------


def _scores(report: Any) -> dict[str, Scalar]:
    def score(value: float | None) -> Scalar:
        return None if value is None else Decimal(str(round(value, 4)))

    return {
        name: score(getattr(report, name))
        for name in ("completeness", "timeliness", "accuracy", "overall")
    }


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{v.field}: {v.description}" for v in error.violations)[:300]
    if isinstance(error, json.JSONDecodeError):
        return "arguments are not valid JSON"
    return str(error)[:300]


def _symbol(raw: object, name: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not SYMBOL_PATTERN.fullmatch(raw.strip().upper()):
        raise ToolArgumentError(f"{name} must be a ticker matching {SYMBOL_PATTERN.pattern}")
    return raw.strip().upper()


def _symbols(raw: object) -> list[str]:
    if not isinstance(raw, list) or len(raw) > 20:
        raise ToolArgumentError("symbols must be a list of at most 20 tickers")
    return [s for s in (_symbol(item, "symbols[]") for item in raw) if s]


def _slug(raw: object, name: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not SLUG_PATTERN.fullmatch(raw.strip().lower()):
        raise ToolArgumentError(f"{name} is not a valid name")
    return raw.strip().lower()


def _time(raw: object, name: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ToolArgumentError(f"{name} must be an RFC 3339 time")
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ToolArgumentError(f"{name} must be an RFC 3339 time") from error
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _tick_row(tick: PriceTick) -> EvidenceRow:
    key = (tick.source, tick.symbol, tick.quote, tick.observed_at.isoformat())
    return EvidenceRow(
        str(EvidenceId("exchange", "price_tick", key)),
        tick.observed_at,
        {
            "symbol": tick.symbol,
            "quote": tick.quote,
            "source": tick.source,
            "last": tick.last,
            "bid": tick.bid,
            "ask": tick.ask,
            "volume_24h": tick.volume_24h,
        },
    )


def _bars(ticks: Sequence[PriceTick], interval: timedelta, name: str) -> list[EvidenceRow]:
    """OHLC of last prices per (source, symbol, quote, bucket); buckets are aligned to
    the epoch so the same data always makes the same bars (and evidence ids)."""
    step = int(interval.total_seconds())
    buckets: dict[tuple[str, str, str, int], list[PriceTick]] = {}
    for tick in ticks:
        bucket = int(tick.observed_at.timestamp()) // step * step
        buckets.setdefault((tick.source, tick.symbol, tick.quote, bucket), []).append(tick)
    rows = []
    for (source, symbol, quote, bucket), members in sorted(
        buckets.items(), key=lambda item: (item[0][3], item[0][:3])
    ):
        members.sort(key=lambda t: t.observed_at)
        start = datetime.fromtimestamp(bucket, UTC)
        lasts = [t.last for t in members]
        rows.append(
            EvidenceRow(
                str(
                    EvidenceId(
                        "exchange", "price_bar", (source, symbol, quote, name, start.isoformat())
                    )
                ),
                members[-1].observed_at,
                {
                    "symbol": symbol,
                    "quote": quote,
                    "source": source,
                    "interval": name,
                    "bucket_start": start.isoformat(),
                    "open": lasts[0],
                    "high": max(lasts),
                    "low": min(lasts),
                    "close": lasts[-1],
                    "ticks": len(members),
                },
            )
        )
    return rows
