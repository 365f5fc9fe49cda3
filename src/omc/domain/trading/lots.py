"""The lot engine: positions and realized PnL by FIFO, LIFO or weighted average cost.

Exactness. Validated fills have at most 18 decimal places, so the engine works in
scaled integers: base quantities in units of 10^-18 and quote amounts in units
of 10^-36, where `quantity x price` (and `fee x rate`) is exact. The only
division is the cost of PART of a lot (or of an average-cost pool); it is taken
from the cumulative share consumed, `floor(cost0 x consumed / qty0)`, so that
how a quantity is split across fills never changes the result and the residue
(below 10^-36) stays in the lot until the lot closes. Bookkeeping is
conservative: the cost removed from a lot is exactly what the lot loses, so

    sum(realized) + sum(remaining cost) == sum(buy costs) - sum(net sell proceeds)

holds exactly, and a flat book has the same total under every method.

Speed. The hot loop sees only tuples of ints and per-book deques of
`[qty, cost, qty0, cost0]` lists (average cost: one such list per book); no
objects per lot, no Decimal. Fills are replayed in (executed_at, fill_id) order,
so any ingest order gives the same books.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from enum import StrEnum
from operator import attrgetter, itemgetter
from typing import TypeVar

from omc.domain.trading.fills import Fill, Side

QTY_EXP = 18
AMOUNT_EXP = 36
_T = TypeVar("_T")
# Traps turn any rounding into an error instead of a silent loss of exactness.
_EXACT = Context(prec=120, traps=[Inexact, InvalidOperation, Overflow])


class CostMethod(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    AVERAGE = "average"


class OversellError(Exception):
    """A sell larger than the position held at that moment (spot only, no shorts)."""

    def __init__(
        self,
        fill_id: str,
        symbol: str,
        quote: str,
        requested: Decimal,
        available: Decimal,
        executed_at: datetime,
    ) -> None:
        self.fill_id = fill_id
        self.symbol = symbol
        self.quote = quote
        self.requested = requested
        self.available = available
        self.executed_at = executed_at
        super().__init__(
            f"fill {fill_id!r} sells {requested} {symbol} (fee in {symbol} included) "
            f"but only {available} {symbol} was held in {symbol}/{quote} "
            f"at {executed_at.isoformat()}"
        )


def to_decimal(scaled: int, exp: int) -> Decimal:
    """An engine integer back to a Decimal, exactly, without trailing zeros."""
    value = Decimal(scaled).scaleb(-exp, _EXACT)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=_EXACT)
    return value.normalize(_EXACT)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """A sum that never rounds (the default context keeps only 28 digits)."""
    total = Decimal(0)
    add = _EXACT.add
    for value in values:
        total = add(total, value)
    return total


def scaled(value: Decimal, exp: int) -> int:
    """A Decimal with at most `exp` decimal places as an integer of units 10^-exp."""
    return int(value.scaleb(exp, _EXACT).to_integral_exact(context=_EXACT))


# One row per fill: (book index, is_buy, base units moved, quote amount), where
# the amount is the cost of a buy (fees in) or the net proceeds of a sell (fees out).
Row = tuple[int, bool, int, int]


class PreparedFills:
    """Fills in event order, converted once to the engine's scaled integers.

    Two ways in: `prepare(fills)` from Fill records, or `from_columns` from a store
    that already did the conversion (no Fill objects, no Decimal per fill). The
    per-fill columns the books read besides the rows (times, ids, strategies) are
    taken from the Fill records on first use when they came that way.
    """

    __slots__ = (
        "_fill_ids",
        "_strategies",
        "_times",
        "book_keys",
        "fees",
        "fills",
        "rows",
        "volumes",
    )

    def __init__(
        self,
        book_keys: tuple[tuple[str, str], ...],
        rows: list[Row],
        fees: list[int],
        volumes: list[int],
        *,
        fills: tuple[Fill, ...] = (),
        times: list[datetime] | None = None,
        fill_ids: list[str] | None = None,
        strategies: list[str | None] | None = None,
    ) -> None:
        self.book_keys = book_keys
        self.rows = rows
        self.fees = fees  # fee in quote, 10^-36
        self.volumes = volumes  # quantity x price, 10^-36
        # The source records when prepared from Fills (closes name them); else empty.
        self.fills = fills
        self._times = times
        self._fill_ids = fill_ids
        self._strategies = strategies

    @classmethod
    def from_columns(
        cls,
        *,
        times: list[datetime],
        fill_ids: list[str],
        strategies: list[str | None],
        book_keys: tuple[tuple[str, str], ...],
        rows: list[Row],
        fees: list[int],
        volumes: list[int],
    ) -> PreparedFills:
        """Columns already in event order and scaled exactly as `prepare` would."""
        lengths = {len(times), len(fill_ids), len(strategies), len(rows), len(fees), len(volumes)}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        return cls(
            book_keys, rows, fees, volumes, times=times, fill_ids=fill_ids, strategies=strategies
        )

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def times(self) -> list[datetime]:
        """Aware times of the fills; a store may give them in any zone (compared by instant)."""
        if self._times is None:
            self._times = [fill.executed_at for fill in self.fills]
        return self._times

    @property
    def fill_ids(self) -> list[str]:
        if self._fill_ids is None:
            self._fill_ids = [fill.fill_id for fill in self.fills]
        return self._fill_ids

    @property
    def strategies(self) -> list[str | None]:
        if self._strategies is None:
            self._strategies = [fill.strategy_id for fill in self.fills]
        return self._strategies

    def head(self, count: int) -> PreparedFills:
        """The first `count` fills, as `prepare` would give them: books without a fill
        among them are dropped (the others keep their order of first appearance)."""
        if count >= len(self.rows):
            return self
        count = max(count, 0)
        times, ids, strategies = self.times, self.fill_ids, self.strategies
        rows = self.rows[:count]
        prefix = PreparedFills(
            self.book_keys,
            rows,
            self.fees[:count],
            self.volumes[:count],
            fills=self.fills[:count],
            times=times[:count],
            fill_ids=ids[:count],
            strategies=strategies[:count],
        )
        used = {row[0] for row in rows}
        if len(used) == len(self.book_keys):
            return prefix
        keys = self.book_keys
        wanted = {keys[index] for index in used}
        return prefix.select(lambda symbol, quote: (symbol, quote) in wanted)

    def extended(self, tail: PreparedFills) -> PreparedFills:
        """These fills followed by `tail`, whose fills all come later in event order:
        equal to preparing both at once. A book new in `tail` is numbered after these
        books, in its order of first appearance, as `prepare` would number it.

        Neither input is changed: a cached history may be in use by another call.
        """
        if not len(tail):
            return self
        if not len(self) and not self.book_keys:
            return tail
        if len(self) and (tail.times[0], tail.fill_ids[0]) <= (self.times[-1], self.fill_ids[-1]):
            raise ValueError("the tail must come after these fills in event order")
        numbers = {key: index for index, key in enumerate(self.book_keys)}
        keys = list(self.book_keys)
        mapping: list[int] = []
        for key in tail.book_keys:
            index = numbers.get(key)
            if index is None:
                index = numbers[key] = len(keys)
                keys.append(key)
            mapping.append(index)
        rows = tail.rows
        if mapping != list(range(len(mapping))):
            rows = [(mapping[book], buy, moved, amount) for book, buy, moved, amount in rows]
        # Closes name Fill records: keep them only if both sides have them.
        fills = self.fills + tail.fills if self.fills and tail.fills else ()
        return PreparedFills(
            tuple(keys),
            self.rows + rows,
            self.fees + tail.fees,
            self.volumes + tail.volumes,
            fills=fills,
            times=self.times + tail.times,
            fill_ids=self.fill_ids + tail.fill_ids,
            strategies=self.strategies + tail.strategies,
        )

    def merged(self, other: PreparedFills) -> PreparedFills:
        """These fills and `other`'s (no fill in both), in one event order: equal to
        preparing them all at once, books numbered by first appearance. Costs a copy of
        the columns (plus a renumbering pass if a book now first appears earlier), not
        a conversion: what a store does when a fill is dated inside a kept history."""
        if not len(other):
            return self
        if not len(self) or (other.times[0], other.fill_ids[0]) > (
            self.times[-1],
            self.fill_ids[-1],
        ):
            return self.extended(other)
        times, ids = self.times, self.fill_ids
        cuts = []
        for at, fill_id in zip(other.times, other.fill_ids, strict=True):
            low = bisect_left(times, at)
            # Same instant: ordered by fill id, so a second bisect within that run.
            cuts.append(bisect_left(ids, fill_id, low, bisect_right(times, at, low)))
        numbers = {key: index for index, key in enumerate(self.book_keys)}
        keys = list(self.book_keys)
        mapping: list[int] = []
        for key in other.book_keys:
            index = numbers.get(key)
            if index is None:
                index = numbers[key] = len(keys)
                keys.append(key)
            mapping.append(index)
        theirs = [(mapping[book], buy, moved, amount) for book, buy, moved, amount in other.rows]
        rows = _interleave(self.rows, theirs, cuts)
        order = list(dict.fromkeys(map(itemgetter(0), rows)))
        if order != list(range(len(order))):
            renumber = {old: new for new, old in enumerate(order)}
            keys = [keys[old] for old in order]
            rows = [(renumber[book], buy, moved, amount) for book, buy, moved, amount in rows]
        return PreparedFills(
            tuple(keys),
            rows,
            _interleave(self.fees, other.fees, cuts),
            _interleave(self.volumes, other.volumes, cuts),
            fills=(
                tuple(_interleave(list(self.fills), list(other.fills), cuts))
                if self.fills and other.fills
                else ()
            ),
            times=_interleave(times, other.times, cuts),
            fill_ids=_interleave(ids, other.fill_ids, cuts),
            strategies=_interleave(self.strategies, other.strategies, cuts),
        )

    def select(self, keep: Callable[[str, str], bool]) -> PreparedFills:
        """Only the books (symbol, quote) that `keep` accepts, renumbered; a book's
        replay never depends on another book, so its results are unchanged."""
        mapping: dict[int, int] = {}
        keys: list[tuple[str, str]] = []
        for index, (symbol, quote) in enumerate(self.book_keys):
            if keep(symbol, quote):
                mapping[index] = len(keys)
                keys.append((symbol, quote))
        if len(keys) == len(self.book_keys):
            return self
        picked = [i for i, row in enumerate(self.rows) if row[0] in mapping]
        rows = self.rows
        times, ids, strategies = self.times, self.fill_ids, self.strategies
        kept: list[Row] = []
        for i in picked:
            book, buy, moved, amount = rows[i]
            kept.append((mapping[book], buy, moved, amount))
        return PreparedFills(
            tuple(keys),
            kept,
            [self.fees[i] for i in picked],
            [self.volumes[i] for i in picked],
            fills=tuple(self.fills[i] for i in picked) if self.fills else (),
            times=[times[i] for i in picked],
            fill_ids=[ids[i] for i in picked],
            strategies=[strategies[i] for i in picked],
        )


def _interleave(base: Sequence[_T], extra: Sequence[_T], cuts: Sequence[int]) -> list[_T]:
    """`base` with extra[j] inserted before base[cuts[j]] (cuts non-decreasing): whole
    slices copied in C, one Python step per inserted item."""
    out: list[_T] = []
    done = 0
    for item, cut in zip(extra, cuts, strict=True):
        out += base[done:cut]
        out.append(item)
        done = cut
    out += base[done:]
    return out


def event_order(fills: Iterable[Fill]) -> list[Fill]:
    """By executed_at, then fill_id.

    Two stable sorts on single keys: about twice as fast as one sort on a
    (datetime, str) tuple, whose comparisons test each datetime twice.
    """
    ordered = sorted(fills, key=attrgetter("fill_id"))
    ordered.sort(key=attrgetter("executed_at"))
    return ordered


def prepare(fills: Iterable[Fill]) -> PreparedFills:
    """Sort into event order and convert; fills must be normalized and valid.

    Valid fills have at most 18 decimal places, so every product below is an
    integer; the context traps rather than round if that promise is broken
    for a product, and `int()` of a scaled quantity would drop digits only for
    an invalid fill.

    Decimal arithmetic is most of the cost here, and prices and fees repeat (ticks,
    flat fee schedules), so their conversions are memoized per call: a dict hit
    costs a fraction of a Decimal multiply.
    """
    ordered = event_order(fills)
    books: dict[tuple[str, str], int] = {}
    rows: list[Row] = []
    fees: list[int] = []
    volumes: list[int] = []
    scale_q = Decimal(10) ** QTY_EXP
    scale_a = Decimal(10) ** AMOUNT_EXP
    buy_side = Side.BUY
    book_of = books.get
    add_row, add_fee, add_volume = rows.append, fees.append, volumes.append
    prices: dict[Decimal, int] = {}
    price_of = prices.get
    quote_fees: dict[Decimal, int] = {}
    quote_fee_of = quote_fees.get
    with localcontext(_EXACT):
        for fill in ordered:
            symbol = fill.symbol
            quote = fill.quote
            book = book_of((symbol, quote))
            if book is None:
                book = books[(symbol, quote)] = len(books)
            qty = int(fill.quantity * scale_q)
            raw_price = fill.price
            price = price_of(raw_price)
            if price is None:
                price = prices[raw_price] = int(raw_price * scale_q)
            base_fee = 0
            fee = fill.fee
            if not fee:
                fee_amount = 0
            else:
                currency = fill.fee_currency or quote
                if currency == quote:
                    fee_amount = quote_fee_of(fee)  # type: ignore[assignment]
                    if fee_amount is None:
                        fee_amount = quote_fees[fee] = int(fee * scale_a)
                elif currency == symbol:
                    base_fee = int(fee * scale_q)
                    fee_amount = base_fee * price
                else:
                    fee_amount = int(fill.fee_in_quote * scale_a)
            if fill.side is buy_side:
                moved = qty - base_fee
                add_row((book, True, moved, moved * price + fee_amount))
            else:
                moved = qty + base_fee
                add_row((book, False, moved, moved * price - fee_amount))
            add_fee(fee_amount)
            add_volume(qty * price)
    return PreparedFills(tuple(books), rows, fees, volumes, fills=tuple(ordered))


@dataclass(frozen=True, slots=True)
class Position:
    """An open (or flat) holding of `symbol` priced in `quote`.

    Without a mark, `mark`, `market_value` and `unrealized` are None: unknown,
    never zero.
    """

    symbol: str
    quote: str
    quantity: Decimal
    cost_basis: Decimal
    mark: Decimal | None = None

    @property
    def average_cost(self) -> Decimal | None:
        if not self.quantity:
            return None
        return self.cost_basis / self.quantity

    @property
    def market_value(self) -> Decimal | None:
        if self.mark is None:
            return None
        return _EXACT.multiply(self.quantity, self.mark)

    @property
    def unrealized(self) -> Decimal | None:
        value = self.market_value
        if value is None:
            return None
        return _EXACT.subtract(value, self.cost_basis)

    def marked(self, mark: Decimal | None) -> Position:
        return Position(self.symbol, self.quote, self.quantity, self.cost_basis, mark)


@dataclass(frozen=True, slots=True)
class Close:
    """A closing (sell) fill and the lots it matched."""

    fill: Fill
    quantity: Decimal  # base units taken out of the position, base fee included
    proceeds: Decimal  # net of fees
    cost_basis: Decimal
    realized: Decimal


class LotEngine:
    """Replays prepared fills; can stop at any index to look at the books then."""

    __slots__ = ("_lots", "done", "method", "prepared", "realized")

    def __init__(self, prepared: PreparedFills, method: CostMethod = CostMethod.FIFO) -> None:
        self.prepared = prepared
        self.method = method
        self.done = 0
        # Realized PnL of each closing fill (10^-36 quote), None for buys.
        self.realized: list[int | None] = []
        self._lots: list[deque[list[int]]] = [deque() for _ in prepared.book_keys]
        if method is CostMethod.AVERAGE:
            for lots in self._lots:
                lots.append([0, 0, 0, 0])

    def advance(self, until: int | None = None) -> None:
        """Replay fills up to index `until` (exclusive; all by default)."""
        stop = len(self.prepared.rows) if until is None else until
        if stop <= self.done:
            return
        rows = self.prepared.rows[self.done : stop]
        failed = _REPLAY[self.method](rows, self._lots, self.realized)
        if failed is not None:
            index, available = failed
            raise self._oversell(self.done + index, available)
        self.done = stop

    def _oversell(self, index: int, available: int) -> OversellError:
        prepared = self.prepared
        book, _buy, moved, _amount = prepared.rows[index]
        symbol, quote = prepared.book_keys[book]
        return OversellError(
            prepared.fill_ids[index],
            symbol,
            quote,
            to_decimal(moved, QTY_EXP),
            to_decimal(available, QTY_EXP),
            prepared.times[index].astimezone(UTC),
        )

    def position_totals(self) -> list[tuple[int, int]]:
        """(quantity 10^-18, remaining cost 10^-36) per book, in book order."""
        quantity, cost = itemgetter(0), itemgetter(1)
        return [(sum(map(quantity, lots)), sum(map(cost, lots))) for lots in self._lots]

    def positions(self) -> list[Position]:
        keys = self.prepared.book_keys
        return [
            Position(keys[i][0], keys[i][1], to_decimal(q, QTY_EXP), to_decimal(c, AMOUNT_EXP))
            for i, (q, c) in enumerate(self.position_totals())
        ]


def _replay_fifo(
    rows: Sequence[Row],
    books: list[deque[list[int]]],
    realized: list[int | None],
) -> tuple[int, int] | None:
    """Returns (row index, quantity held) of an oversell, else None.

    FIFO and LIFO are two copies of one loop on purpose: a flag tested inside
    the loop costs about a tenth of the throughput.
    """
    out = realized.append
    first = len(realized)
    for book, buy, moved, amount in rows:
        lots = books[book]
        if buy:
            lots.append([moved, amount, moved, amount])
            out(None)
            continue
        remaining = moved
        cost = 0
        while remaining:
            if not lots:
                return len(realized) - first, moved - remaining
            lot = lots[0]
            held = lot[0]
            if held <= remaining:
                remaining -= held
                cost += lot[1]
                lots.popleft()
            else:
                held -= remaining
                lot[0] = held
                qty0 = lot[2]
                cost0 = lot[3]
                left = cost0 - cost0 * (qty0 - held) // qty0
                cost += lot[1] - left
                lot[1] = left
                remaining = 0
        out(amount - cost)
    return None


def _replay_lifo(
    rows: Sequence[Row],
    books: list[deque[list[int]]],
    realized: list[int | None],
) -> tuple[int, int] | None:
    out = realized.append
    first = len(realized)
    for book, buy, moved, amount in rows:
        lots = books[book]
        if buy:
            lots.append([moved, amount, moved, amount])
            out(None)
            continue
        remaining = moved
        cost = 0
        while remaining:
            if not lots:
                return len(realized) - first, moved - remaining
            lot = lots[-1]
            held = lot[0]
            if held <= remaining:
                remaining -= held
                cost += lot[1]
                lots.pop()
            else:
                held -= remaining
                lot[0] = held
                qty0 = lot[2]
                cost0 = lot[3]
                left = cost0 - cost0 * (qty0 - held) // qty0
                cost += lot[1] - left
                lot[1] = left
                remaining = 0
        out(amount - cost)
    return None


def _replay_average(
    rows: Sequence[Row],
    books: list[deque[list[int]]],
    realized: list[int | None],
) -> tuple[int, int] | None:
    """Weighted average cost: one pool per book, [qty, cost, qty0, cost0].

    qty0/cost0 are the pool when its average last changed (at a buy); sells
    between two buys take `floor(cost0 x sold_since / qty0)` cumulatively.
    """
    out = realized.append
    first = len(realized)
    for book, buy, moved, amount in rows:
        pool = books[book][0]
        if buy:
            qty = pool[0] + moved
            cost = pool[1] + amount
            pool[0] = pool[2] = qty
            pool[1] = pool[3] = cost
            out(None)
            continue
        held = pool[0]
        if moved > held:
            return len(realized) - first, held
        held -= moved
        qty0 = pool[2]
        cost0 = pool[3]
        left = cost0 - cost0 * (qty0 - held) // qty0
        out(amount - (pool[1] - left))
        pool[0] = held
        pool[1] = left
    return None


_REPLAY = {
    CostMethod.FIFO: _replay_fifo,
    CostMethod.LIFO: _replay_lifo,
    CostMethod.AVERAGE: _replay_average,
}


@dataclass(frozen=True, slots=True)
class Books:
    """The books of one owner after replaying fills by one method."""

    method: CostMethod
    positions: tuple[Position, ...]
    closes: tuple[Close, ...]
    fees_paid: Decimal
    volume: Decimal

    @property
    def realized(self) -> Decimal:
        return exact_sum(close.realized for close in self.closes)

    def position(self, symbol: str, quote: str) -> Position | None:
        for position in self.positions:
            if (position.symbol, position.quote) == (symbol, quote):
                return position
        return None


def closes_of(engine: LotEngine, start: int = 0, stop: int | None = None) -> list[Close]:
    """The closing fills replayed so far; needs books prepared from Fill records."""
    prepared = engine.prepared
    if len(prepared) and not prepared.fills:
        raise ValueError("closes name their Fill records: prepare the books from fills")
    end = engine.done if stop is None else min(stop, engine.done)
    closes = []
    for index in range(start, end):
        value = engine.realized[index]
        if value is None:
            continue
        _book, _buy, moved, amount = prepared.rows[index]
        closes.append(
            Close(
                prepared.fills[index],
                to_decimal(moved, QTY_EXP),
                to_decimal(amount, AMOUNT_EXP),
                to_decimal(amount - value, AMOUNT_EXP),
                to_decimal(value, AMOUNT_EXP),
            )
        )
    return closes


def build_books(fills: Iterable[Fill], method: CostMethod = CostMethod.FIFO) -> Books:
    """Replay normalized, valid fills of ONE owner; raises OversellError."""
    prepared = prepare(fills)
    owners = {fill.owner for fill in prepared.fills}
    if len(owners) > 1:
        raise ValueError(f"books are per owner; got fills of {len(owners)} owners")
    engine = LotEngine(prepared, method)
    engine.advance()
    return Books(
        method,
        tuple(engine.positions()),
        tuple(closes_of(engine)),
        to_decimal(sum(prepared.fees), AMOUNT_EXP),
        to_decimal(sum(prepared.volumes), AMOUNT_EXP),
    )
