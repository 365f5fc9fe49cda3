"""Lot engine throughput, side by side with its limit and a naive baseline, in one run.

    python bench/pnl_engine.py [--fills 1000000] [--symbols 50] [--seed 7]

Measures fills per second over the same generated fills (50 symbols, fees in the
quote, the base and BNB, realized PnL of every closing fill):

* engine, end to end: sort into event order + convert Decimals to scaled ints
  (`prepare`) + FIFO replay (`LotEngine.advance`), the sum of the two timed steps;
* engine, replay only: the FIFO replay over already prepared rows;
* storage path: what GetPnLSummary does with Postgres's answer, the store's columns
  (event order, the engine's integers stored with each fill and comma-joined, as
  psycopg returns them: written here from `prepare`'s, outside the timer) to the
  engine's columns (`prepared_from_columns`, no Fill, no Decimal) + replay;
* limit: a bare FIFO over scaled integers in `collections.deque`, no fees, no
  event-order sort, no checks: what one core of CPython can do at best;
* naive: Decimal, one object per lot, `list.pop(0)`, position re-summed from the
  lot list at every sell, fees included.

The engine and the naive baseline must agree on the total realized PnL to the
last digit; the script checks it.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from omc.adapters.postgres.fills import StoredColumns, prepared_from_columns
from omc.domain.trading.fills import Fill, Side
from omc.domain.trading.lots import (
    AMOUNT_EXP,
    QTY_EXP,
    CostMethod,
    LotEngine,
    PreparedFills,
    prepare,
    to_decimal,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def generate(n: int, symbols: int, seed: int) -> list[Fill]:
    """Realistic-ish fills: 8-dp quantities, 2-dp prices, never an oversell."""
    rng = random.Random(seed)
    names = [f"C{i:02d}" for i in range(symbols)]
    prices = [rng.randint(100, 5_000_000) for _ in range(symbols)]  # cents
    held = [0] * symbols  # 10^-8 units
    fills: list[Fill] = []
    for i in range(n):
        s = rng.randrange(symbols)
        prices[s] = max(1, prices[s] + rng.randint(-prices[s] // 100, prices[s] // 100))
        price = Decimal(prices[s]).scaleb(-2)
        fee_pick = rng.random()
        sell = held[s] > 1000 and rng.random() < 0.5
        qty = max(1, held[s] * rng.randint(1, 100) // 100) if sell else rng.randint(1000, 100000000)
        fee_currency = "AUD"
        fee_rate = None
        if fee_pick < 0.8:
            fee = (Decimal(qty * prices[s]) / 1000).quantize(Decimal(1)).scaleb(-10)
        elif fee_pick < 0.9:
            fee_units = qty // 1000
            if sell:
                qty -= fee_units  # the base fee is delivered on top of the quantity
            fee = Decimal(fee_units).scaleb(-8)
            fee_currency = names[s]
        else:
            fee = Decimal(rng.randint(1, 10_000)).scaleb(-8)
            fee_currency = "BNB"
            fee_rate = Decimal("912.35")
        base_fee = int(fee.scaleb(8)) if fee_currency == names[s] else 0
        held[s] += -(qty + base_fee) if sell else qty - base_fee
        fills.append(
            Fill(
                fill_id=f"{i:08d}",
                owner="bench",
                symbol=names[s],
                side=Side.SELL if sell else Side.BUY,
                quantity=Decimal(qty).scaleb(-8),
                price=price,
                executed_at=START + timedelta(seconds=i),
                fee=fee,
                fee_currency=fee_currency,
                fee_rate_to_quote=fee_rate,
            )
        )
    return fills


def limit_rows(fills: list[Fill]) -> list[tuple[int, bool, int, int]]:
    """The limit's input: already in order, already scaled, no fees."""
    index: dict[str, int] = {}
    rows = []
    for fill in fills:
        book = index.setdefault(fill.symbol, len(index))
        rows.append(
            (
                book,
                fill.side is Side.BUY,
                int(fill.position_delta.copy_abs().scaleb(QTY_EXP)),
                int(fill.price.scaleb(QTY_EXP)),
            )
        )
    return rows


def bare_fifo(rows: list[tuple[int, bool, int, int]]) -> list[int]:
    books: list[deque[list[int]]] = [deque() for _ in range(64)]
    realized: list[int] = []
    for book, buy, qty, price in rows:
        lots = books[book]
        if buy:
            lots.append([qty, price])
            continue
        pnl = 0
        while qty:
            lot = lots[0]
            if lot[0] <= qty:
                qty -= lot[0]
                pnl += (price - lot[1]) * lot[0]
                lots.popleft()
            else:
                lot[0] -= qty
                pnl += (price - lot[1]) * qty
                qty = 0
        realized.append(pnl)
    return realized


class NaiveLot:
    def __init__(self, quantity: Decimal, cost: Decimal) -> None:
        self.quantity = quantity
        self.cost = cost

    def unit_cost(self) -> Decimal:
        return self.cost / self.quantity

    def take(self, quantity: Decimal) -> Decimal:
        part = self.cost * quantity / self.quantity
        self.quantity -= quantity
        self.cost -= part
        return part


def naive_fifo(fills: list[Fill]) -> list[Decimal]:
    realized: list[Decimal] = []
    with localcontext() as ctx:
        ctx.prec = 80
        books: dict[tuple[str, str], list[NaiveLot]] = {}
        for fill in sorted(fills, key=lambda f: (f.executed_at, f.fill_id)):
            lots = books.setdefault((fill.symbol, fill.quote), [])
            moved = abs(fill.position_delta)
            if fill.side is Side.BUY:
                lots.append(NaiveLot(moved, moved * fill.price + fill.fee_in_quote))
                continue
            if sum(lot.quantity for lot in lots) < moved:
                raise RuntimeError(f"oversell {fill.fill_id}")
            cost = Decimal(0)
            remaining = moved
            while remaining > 0:
                lot = lots[0]
                if lot.quantity <= remaining:
                    remaining -= lot.quantity
                    cost += lot.cost
                    lots.pop(0)
                else:
                    cost += lot.take(remaining)
                    remaining = Decimal(0)
            realized.append(moved * fill.price - fill.fee_in_quote - cost)
    return realized


def stored_columns(prepared: PreparedFills) -> StoredColumns:
    """What the Postgres adapter's prepared query returns for these fills: migration
    0010 stores exactly the engine's integers with each fill (the contract suite
    checks Postgres's against `prepare`'s), here taken from `prepare`'s answer."""
    keys = prepared.book_keys
    books = [f"{keys[book][0]}/{keys[book][1]}" for book, _buy, _moved, _amount in prepared.rows]
    return StoredColumns(
        prepared.times,
        prepared.fill_ids,
        prepared.strategies,
        ",".join(books),
        "".join("t" if buy else "f" for _book, buy, _moved, _amount in prepared.rows),
        ",".join(str(moved) for _book, _buy, moved, _amount in prepared.rows),
        ",".join(str(amount) for _book, _buy, _moved, amount in prepared.rows),
        ",".join(map(str, prepared.fees)),
        ",".join(map(str, prepared.volumes)),
    )


def timed(label: str, count: int, run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - began
    finally:
        gc.enable()
    rate = count / seconds
    print(f"  {label:<34} {seconds:8.3f} s  {rate:>12,.0f} fills/s")
    return rate, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"generating {args.fills:,} fills over {args.symbols} symbols ...", flush=True)
    fills = generate(args.fills, args.symbols, args.seed)
    random.Random(args.seed).shuffle(fills)  # ingest order is not event order
    closing = sum(1 for fill in fills if fill.side is Side.SELL)
    print(f"  {closing:,} closing fills; Python {sys.version.split()[0]}")
    rows = limit_rows(sorted(fills, key=lambda f: (f.executed_at, f.fill_id)))
    n = len(fills)

    print("measuring (FIFO, one core):")
    prep_rate, prepared = timed("prepare (sort+convert)", n, lambda: prepare(fills))

    def replay_only() -> LotEngine:
        engine = LotEngine(prepared, CostMethod.FIFO)
        engine.advance()
        return engine

    stored = stored_columns(prepared)

    def storage_path() -> LotEngine:
        engine = LotEngine(prepared_from_columns(stored), CostMethod.FIFO)
        engine.advance()
        return engine

    core_rate, engine = timed("engine replay only", n, replay_only)
    # End to end is exactly prepare, then replay: the two timings above added, rather than
    # converting the million Fill objects a second time (this bench's longest step).
    e2e_seconds = n / prep_rate + n / core_rate
    e2e_rate = n / e2e_seconds
    print(
        f"  {'engine end to end (sort+convert)':<34} {e2e_seconds:8.3f} s  {e2e_rate:>12,.0f}"
        " fills/s  (prepare + replay)"
    )
    storage_rate, _ = timed("storage path: columns+replay", n, storage_path)
    limit_rate, _ = timed("limit: bare deque FIFO, no fees", n, lambda: bare_fifo(rows))
    naive_rate, naive = timed("naive: Decimal objects, pop(0)", n, lambda: naive_fifo(fills))

    ours = [value for value in engine.realized if value is not None]
    assert len(ours) == len(naive) == closing
    total = to_decimal(sum(ours), AMOUNT_EXP)
    with localcontext() as ctx:
        ctx.prec = 120
        naive_total = sum(naive, Decimal(0))
    print(f"total realized: engine {total}  naive {naive_total}")
    # Naive divides per partial lot; our floor on cumulative shares is at 10^-36.
    assert abs(total - naive_total) < Decimal("1e-20"), "engine and naive disagree"

    print("ratios:")
    print(f"  engine end to end / limit   {e2e_rate / limit_rate:6.2f}")
    print(f"  engine replay only / limit  {core_rate / limit_rate:6.2f}")
    print(f"  engine end to end / naive   {e2e_rate / naive_rate:6.2f}x")
    print(f"  engine replay only / naive  {core_rate / naive_rate:6.2f}x")
    print(f"  storage path / limit        {storage_rate / limit_rate:6.2f}")
    print(f"  storage path / naive        {storage_rate / naive_rate:6.2f}x")
    goal = 1_000_000
    print(
        f"goal {goal:,} fills/s: replay {'met' if core_rate >= goal else 'NOT met'}, "
        f"end to end {'met' if e2e_rate >= goal else 'NOT met'} "
        f"(prepare alone {prep_rate:,.0f}/s)"
    )


if __name__ == "__main__":
    main()
