"""Divergences between ledgers, computed in code (never by a model): sentiment against
price, on-chain activity against price, a catalyst for a coin the caller holds.

Each divergence is itself an evidence row ("calc/divergence/...") carrying the figures
it rests on and the ids of the rows they came from, so a writer can cite it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from omc.domain.agent.evidence import EvidenceId, EvidenceRow

SENTIMENT_THRESHOLD = Decimal("0.2")
PRICE_MOVE_PCT = Decimal(1)
FLAT_PRICE_PCT = Decimal(1)
ONCHAIN_MOVE_PCT = Decimal(5)
_HUNDREDTH = Decimal("0.01")


def _kind(row: EvidenceRow) -> str:
    return row.evidence_id.split("/", 2)[1]


def _change_pct(first: Decimal, last: Decimal) -> Decimal | None:
    if first == 0:
        return None
    return ((last - first) / first * 100).quantize(_HUNDREDTH)


def price_changes(rows: Sequence[EvidenceRow]) -> dict[str, tuple[Decimal, list[str]]]:
    """Per symbol: percent change from the first to the last bar's close, and the two
    bars' ids."""
    bars: dict[str, list[EvidenceRow]] = {}
    for row in rows:
        if _kind(row) == "price_bar":
            bars.setdefault(str(row.fields["symbol"]), []).append(row)
    changes: dict[str, tuple[Decimal, list[str]]] = {}
    for symbol, members in bars.items():
        members.sort(key=lambda r: str(r.fields["bucket_start"]))
        if len(members) < 2:
            continue
        first, last = members[0], members[-1]
        pct = _change_pct(first.numbers()["close"], last.numbers()["close"])
        if pct is not None:
            changes[symbol] = (pct, [first.evidence_id, last.evidence_id])
    return changes


def find_divergences(rows: Sequence[EvidenceRow], window: tuple[str, str]) -> list[EvidenceRow]:
    found: list[EvidenceRow] = []
    changes = price_changes(rows)
    start, end = window
    for row in rows:
        kind = _kind(row)
        if kind == "sentiment_summary":
            symbol = str(row.fields["symbol"])
            average = row.numbers().get("average_sentiment")
            if average is None or symbol not in changes:
                continue
            pct, bar_ids = changes[symbol]
            if average >= SENTIMENT_THRESHOLD and pct <= -PRICE_MOVE_PCT:
                text = "sentiment is positive while the price falls"
            elif average <= -SENTIMENT_THRESHOLD and pct >= PRICE_MOVE_PCT:
                text = "sentiment is negative while the price rises"
            else:
                continue
            found.append(
                _divergence(
                    "sentiment_vs_price",
                    symbol,
                    start,
                    end,
                    row.as_of,
                    text,
                    {"average_sentiment": average, "price_change_pct": pct},
                    [row.evidence_id, *bar_ids],
                )
            )
    onchain: dict[tuple[str, str], list[EvidenceRow]] = {}
    for row in rows:
        if _kind(row) == "onchain_metric":
            key = (str(row.fields["asset"]), str(row.fields["metric"]))
            onchain.setdefault(key, []).append(row)
    for (asset, metric), members in sorted(onchain.items()):
        if asset not in changes or len(members) < 2:
            continue
        members.sort(key=lambda r: r.as_of)
        moved = _change_pct(members[0].numbers()["value"], members[-1].numbers()["value"])
        pct, bar_ids = changes[asset]
        if moved is None or abs(moved) < ONCHAIN_MOVE_PCT or abs(pct) >= FLAT_PRICE_PCT:
            continue
        direction = "up" if moved > 0 else "down"
        found.append(
            _divergence(
                f"onchain_vs_price:{metric}",
                asset,
                start,
                end,
                members[-1].as_of,
                f"{metric} is {direction} while the price is flat",
                {"metric_change_pct": moved, "price_change_pct": pct},
                [members[0].evidence_id, members[-1].evidence_id, *bar_ids],
            )
        )
    held = {str(r.fields["symbol"]): r for r in rows if _kind(r) == "position"}
    for row in rows:
        if _kind(row) != "catalyst_event":
            continue
        for symbol in str(row.fields.get("currencies", "")).split(","):
            if symbol in held:
                found.append(
                    _divergence(
                        "catalyst_for_position",
                        symbol,
                        start,
                        end,
                        row.as_of,
                        "a catalyst concerns a coin you hold",
                        {"impact": int(str(row.fields["impact"]))},
                        [row.evidence_id, held[symbol].evidence_id],
                    )
                )
    return found


def _divergence(
    kind: str,
    symbol: str,
    start: str,
    end: str,
    as_of: datetime,
    text: str,
    figures: dict[str, Decimal | int],
    based_on: list[str],
) -> EvidenceRow:
    return EvidenceRow(
        str(EvidenceId("calc", "divergence", (kind, symbol, start, end))),
        as_of,
        {
            "kind": kind,
            "symbol": symbol,
            "description": text,
            **figures,
            "based_on": ",".join(based_on),
        },
    )
