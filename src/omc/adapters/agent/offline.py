"""The offline model: deterministic, no network, the default when no key is configured.

It drives the same graph, tools, verifier and events as a real model, reading only what
a real model would read (the messages): it plans with the keyword planner, asks its
analysts' tools for the plan's symbols and window, and writes an answer that restates
tool results with their citations. Same question over the same data, same answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omc.application.agent_ports import (
    ChatMessage,
    ChatRequest,
    ModelChunk,
    StructuredOutput,
    TextDelta,
    ToolCall,
    ToolCallOut,
    Usage,
)
from omc.domain.agent.intents import Analyst, Plan, plan_question

OFFLINE_MODEL_ID = "omc-offline-1"
NOTICE = (
    "[offline model] OMC's deterministic offline model wrote this answer: it restates "
    "ledger records and computed figures only, each with its citation."
)
MAX_HEADLINES = 3


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class OfflineModel:
    @property
    def model_id(self) -> str:
        return OFFLINE_MODEL_ID

    @property
    def notice(self) -> str:
        return NOTICE

    async def stream(self, request: ChatRequest) -> AsyncIterator[ModelChunk]:
        prompt = sum(_tokens(m.content) for m in request.messages)
        if request.task == "plan":
            data = _plan(request.messages)
            yield StructuredOutput(data)
            yield Usage(prompt, _tokens(json.dumps(data)))
        elif request.task.startswith("analyst:"):
            analyst = Analyst(request.task.split(":", 1)[1])
            if any(m.role == "tool" for m in request.messages):
                rows = sum(_row_count(m.content) for m in request.messages if m.role == "tool")
                note = f"{analyst.value}: read {rows} rows."
                yield TextDelta(note)
                yield Usage(prompt, _tokens(note))
            else:
                plan = _plan_in(request.messages)
                for index, (name, arguments) in enumerate(_calls(analyst, plan)):
                    yield ToolCallOut(
                        ToolCall(f"{analyst.value}-{index}", name, json.dumps(arguments))
                    )
                yield Usage(prompt, 20)
        elif request.task == "write":
            for line in _write(request.messages):
                yield TextDelta(line + "\n")
            yield Usage(prompt, 200)
        else:
            yield TextDelta("")


def _plan(messages: Sequence[ChatMessage]) -> dict[str, Any]:
    system = next(m.content for m in messages if m.role == "system")
    context = json.loads(system.rsplit("CONTEXT: ", 1)[1])
    users = [m.content for m in messages if m.role == "user"]
    anchor = datetime.fromisoformat(context["anchor"])
    # The question plus every clarification answer, read as one question.
    return plan_question(" ".join(users), anchor, context["known_symbols"]).to_json()


def _plan_in(messages: Sequence[ChatMessage]) -> Plan:
    user = next(m.content for m in messages if m.role == "user")
    return Plan.from_json(json.loads(user.split("PLAN: ", 1)[1].splitlines()[0]))


def _row_count(content: str) -> int:
    try:
        return len(json.loads(content).get("rows", []))
    except (ValueError, AttributeError):
        return 0


def _calls(analyst: Analyst, plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    window = {"start": plan.start.isoformat(), "end": plan.end.isoformat()}
    span = plan.end - plan.start
    interval = "1h" if span <= timedelta(days=14) else "1d"
    symbols = list(plan.symbols)
    if analyst is Analyst.EXCHANGE:
        calls: list[tuple[str, dict[str, Any]]] = [("latest_prices", {"symbols": symbols})]
        calls += [("price_history", {"symbol": s, "interval": interval, **window}) for s in symbols]
        return calls
    if analyst is Analyst.HUMAN:
        return [("sentiment", {"symbol": s, **window}) for s in symbols]
    if analyst is Analyst.CATALYST:
        if not symbols:
            return [("catalyst_events", window)]
        return [("catalyst_events", {"symbol": s, **window}) for s in symbols]
    if analyst is Analyst.GLASS:
        return [("onchain_metrics", {"asset": s, **window}) for s in symbols] + [
            ("protocol_metrics", window)
        ]
    if analyst is Analyst.BOOKS:
        return [("my_positions", {}), ("my_pnl_summary", window), ("my_fills", {})]
    if analyst is Analyst.QUALITY:
        return [("quality_report", {})]
    return []


def _evidence(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    user = next(m.content for m in messages if m.role == "user")
    body = user.split("EVIDENCE:\n", 1)[1] if "EVIDENCE:\n" in user else ""
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def _kind(row: dict[str, Any]) -> str:
    return str(row["evidence_id"]).split("/", 2)[1]


def _pct(first: str, last: str) -> str | None:
    a, b = Decimal(first), Decimal(last)
    if a == 0:
        return None
    return f"{(b - a) / a * 100:+.2f}%"


def _write(messages: Sequence[ChatMessage]) -> list[str]:
    rows = _evidence(messages)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kind[_kind(row)].append(row)
    lines: list[str] = []
    for row in by_kind["price_tick"]:
        lines.append(
            f"{row['symbol']} last traded at {row['last']} {row['quote']} on {row['source']} "
            f"at {row['as_of']} [{row['ref']}]."
        )
    bars: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in by_kind["price_bar"]:
        bars[row["symbol"]].append(row)
    for symbol, members in sorted(bars.items()):
        members.sort(key=lambda r: r["bucket_start"])
        first, last = members[0], members[-1]
        change = _pct(first["close"], last["close"]) if len(members) > 1 else None
        if change:
            lines.append(
                f"{symbol} moved from {first['close']} to {last['close']} {first['quote']} "
                f"({change}) between {first['bucket_start']} and {last['as_of']} "
                f"[{first['ref']}, {last['ref']}]."
            )
        high = max(members, key=lambda r: Decimal(r["high"]))
        low = min(members, key=lambda r: Decimal(r["low"]))
        lines.append(
            f"Its range in the window was {low['low']} to {high['high']} {first['quote']} "
            f"[{low['ref']}, {high['ref']}]."
        )
    for row in by_kind["sentiment_summary"]:
        if row.get("average_sentiment") is not None:
            lines.append(
                f"Across {row['count']} news items and social posts about {row['symbol']}, "
                f"the average sentiment score was {row['average_sentiment']} [{row['ref']}]."
            )
    headlines = sorted(
        by_kind["news_item"] + by_kind["social_post"], key=lambda r: r["as_of"], reverse=True
    )
    for row in headlines[:MAX_HEADLINES]:
        label = row.get("sentiment_label") or "unlabelled"
        lines.append(f'Headline: "{row["title"]}" ({label}) [{row["ref"]}].')
    for row in by_kind["catalyst_event"]:
        lines.append(
            f'Event: "{row["title"]}" ({row["event_type"]}, impact {row["impact"]}) '
            f"on {row['occurred_at']} [{row['ref']}]."
        )
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in by_kind["onchain_metric"]:
        series[(row["asset"], row["metric"])].append(row)
    for (asset, metric), members in sorted(series.items()):
        members.sort(key=lambda r: r["as_of"])
        first, last = members[0], members[-1]
        change = _pct(first["value"], last["value"]) if len(members) > 1 else None
        since = f", {change} since {first['as_of']}" if change else ""
        refs = f"{first['ref']}, {last['ref']}" if change else last["ref"]
        lines.append(f"{asset} {metric} was {last['value']} at {last['as_of']}{since} [{refs}].")
    latest_protocol: dict[str, dict[str, Any]] = {}
    for row in by_kind["protocol_metric"]:
        latest_protocol[row["protocol"]] = row
    for protocol, row in sorted(latest_protocol.items()):
        if row.get("tvl_usd") is not None:
            lines.append(f"{protocol} TVL was {row['tvl_usd']} USD on {row['day']} [{row['ref']}].")
    for row in by_kind["position"]:
        marked = (
            f", marked at {row['mark']} with unrealized PnL {row['unrealized']}"
            if row.get("mark") is not None and row.get("unrealized") is not None
            else ", with no mark"
        )
        lines.append(
            f"You hold {row['quantity']} {row['symbol']} at a cost basis of "
            f"{row['cost_basis']} {row['quote']}{marked} [{row['ref']}]."
        )
    for row in by_kind["pnl_summary"]:
        lines.append(
            f"Your realized PnL in the window was {row['realized']} {row['quote'] or ''}, "
            f"fees paid {row['fees_paid']}, volume {row['volume']} [{row['ref']}]."
        )
    fills = sorted(by_kind["fill"], key=lambda r: r["as_of"], reverse=True)
    if fills:
        latest = fills[0]
        lines.append(
            f"Your latest fill was a {latest['side']} of {latest['quantity']} "
            f"{latest['symbol']} at {latest['price']} {latest['quote']} on {latest['as_of']} "
            f"[{latest['ref']}]."
        )
    for row in by_kind["ledger_report"]:
        if row.get("overall") is None:
            lines.append(f"The {row['ledger']} ledger has no data to score [{row['ref']}].")
            continue
        lines.append(
            f"The {row['ledger']} data-quality score was {row['overall']} (completeness "
            f"{row['completeness']}, timeliness {row['timeliness']}, accuracy "
            f"{row['accuracy']}) [{row['ref']}]."
        )
    for row in by_kind["divergence"]:
        figures = ", ".join(
            f"{name} {row[name]}"
            for name in ("average_sentiment", "price_change_pct", "metric_change_pct", "impact")
            if row.get(name) is not None
        )
        lines.append(
            f"Divergence for {row['symbol']}: {row['description']} ({figures}) [{row['ref']}]."
        )
    for row in by_kind["empty_result"]:
        ledger = str(row["evidence_id"]).split("/", 1)[0]
        lines.append(
            f"The {ledger} ledger returned no {row['record_type']} for this question "
            f"[{row['ref']}]."
        )
    if not lines:
        lines.append("The plan needed no ledger, so there is nothing to report.")
    return lines
