"""Trading use cases: record fills, list fills and positions, PnL summary/breakdown/history.

Every call takes the caller's Principal. A caller only ever acts on its own books; an
admin may name another user with `user_id`. Nothing here trusts an owner field sent
by a client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from omc.application.errors import FailedPrecondition, FieldViolation, InvalidArgument
from omc.application.ingest import DEFAULT_MAX_BATCH
from omc.application.keys import PermissionDenied
from omc.application.paging import (
    MAX_PAGE_SIZE,
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import Clock, Condition, IngestResult, Op, PageRequest
from omc.application.tasks import abandon
from omc.application.trading_ports import (
    Book,
    FillQuery,
    FillRepository,
    Mark,
    MarkField,
    MarkSource,
)
from omc.domain.access import USER_ID_PATTERN, Principal
from omc.domain.rules import SYMBOL_PATTERN, normalize_symbol
from omc.domain.trading.fills import Fill
from omc.domain.trading.history import (
    HistoryPoint,
    Interval,
    MarkLookup,
    bucket_ends,
    mark_table,
    pnl_history,
)
from omc.domain.trading.lots import (
    CostMethod,
    LotEngine,
    OversellError,
    Position,
    PreparedFills,
    prepare,
)
from omc.domain.trading.metrics import (
    GroupBy,
    MixedQuotesError,
    PnLSummary,
    breakdown,
    replay_summary,
    summarize_replayed,
)
from omc.domain.violations import ValidationError

__all__ = [
    "FillPage",
    "MarkedPosition",
    "Oversold",
    "PnLWindow",
    "SummaryResult",
    "TradingBooks",
]


class Oversold(FailedPrecondition):
    """A sell larger than the position held at that point of the owner's history."""

    def __init__(self, error: OversellError) -> None:
        super().__init__(
            str(error), subject=error.fill_id, subject_field="fill_id", reason="OVERSELL"
        )
        self.fill_id = error.fill_id


@dataclass(frozen=True, slots=True)
class FillPage:
    items: list[Fill]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class MarkedPosition:
    position: Position
    mark_time: datetime | None


@dataclass(frozen=True, slots=True)
class PnLWindow:
    """What a PnL request asks for. `strategy_id=""` means fills without a strategy."""

    start: datetime | None = None
    end: datetime | None = None
    method: CostMethod = CostMethod.FIFO
    symbol: str | None = None
    quote: str | None = None
    strategy_id: str | None = None
    mark_field: MarkField = MarkField.LAST


@dataclass(frozen=True, slots=True)
class SummaryResult:
    summary: PnLSummary
    start: datetime
    end: datetime


def _no_oversell(history: list[Fill]) -> None:
    """Replays the merged history: the quantity held does not depend on the cost
    method, so FIFO answers for all three."""
    engine = LotEngine(prepare(history), CostMethod.FIFO)
    try:
        engine.advance()
    except OversellError as error:
        raise Oversold(error) from error


def _clean(text: str | None, field: str) -> str | None:
    """A symbol filter: empty means none; anything no fill could hold is refused."""
    if text is None:
        return None
    value = normalize_symbol(text)
    if value and not SYMBOL_PATTERN.fullmatch(value):
        raise InvalidArgument([FieldViolation(field, f"must match {SYMBOL_PATTERN.pattern}")])
    return value or None


def _strategy(text: str | None) -> str | None:
    """A strategy filter, stripped; "" (fills without a strategy) is kept."""
    if text is None:
        return None
    if "\x00" in text:
        raise InvalidArgument([FieldViolation("strategy_id", "must not contain NUL characters")])
    return text.strip()


class TradingBooks:
    def __init__(
        self,
        fills: FillRepository,
        marks: MarkSource,
        clock: Clock,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self._fills = fills
        self._mark_source = marks
        self._clock = clock
        self._max_batch = max_batch
        self._max_page_size = max_page_size

    # --- whose books ----------------------------------------------------------------

    @staticmethod
    def owner(principal: Principal, user_id: str | None = None) -> str:
        """The books a call acts on: the caller's, or (admin only) the named user's."""
        wanted = (user_id or "").strip()
        if not wanted or wanted == principal.user_id:
            return principal.user_id
        if not principal.is_admin:
            # Said the same way whether or not that user exists: nothing to infer.
            raise PermissionDenied("only an admin key may act on another user's books")
        if not USER_ID_PATTERN.fullmatch(wanted):
            raise InvalidArgument(
                [FieldViolation("user_id", f"must match {USER_ID_PATTERN.pattern}")]
            )
        return wanted

    # --- writes ---------------------------------------------------------------------

    async def record_fills(
        self, principal: Principal, fills: Sequence[Fill], *, user_id: str | None = None
    ) -> IngestResult:
        owner = self.owner(principal, user_id)
        if not fills:
            return IngestResult()
        if len(fills) > self._max_batch:
            raise InvalidArgument(
                [FieldViolation("fills", f"at most {self._max_batch} fills per batch")]
            )
        now = self._clock.now()
        violations: list[FieldViolation] = []
        batch: list[Fill] = []
        seen: dict[str, int] = {}
        repeated = 0
        for index, raw in enumerate(fills):
            fill = replace(raw, owner=owner).normalized()
            for violation in fill.violations(now):
                violations.append(
                    FieldViolation(f"fills[{index}].{violation.field}", violation.description)
                )
            first = seen.get(fill.fill_id)
            if first is None:
                seen[fill.fill_id] = len(batch)
                batch.append(fill)
            elif batch[first].same_content(fill):
                repeated += 1
            else:
                violations.append(
                    FieldViolation(
                        f"fills[{index}].fill_id",
                        f"repeats fill id {fill.fill_id!r} of an earlier fill of this batch "
                        "with different content",
                    )
                )
        if violations:
            raise ValidationError(violations)
        result = await self._fills.add_many(owner, batch, _no_oversell)
        return IngestResult(result.inserted, result.updated, result.duplicate + repeated)

    async def keep_recent_books(self) -> int:
        """Reads ahead the histories of the users who traded last (a replica's start);
        how many users' books were read."""
        return await self._fills.keep_recent()

    # --- reads ----------------------------------------------------------------------

    async def list_fills(
        self,
        principal: Principal,
        *,
        user_id: str | None = None,
        symbol: str | None = None,
        quote: str | None = None,
        strategy_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> FillPage:
        query = FillQuery(
            owner=self.owner(principal, user_id),
            symbol=_clean(symbol, "symbol"),
            quote=_clean(quote, "quote"),
            strategy_id=_strategy(strategy_id) or None,
            start=start,
            end=end,
        )
        _check_range(start, end)
        size = effective_page_size(page_size, maximum=self._max_page_size)
        fingerprint = filter_fingerprint("fills", _conditions(query), False)
        after = decode_page_token(page_token, fingerprint)
        if after is not None and not (
            len(after) == 2 and isinstance(after[0], datetime) and isinstance(after[1], str)
        ):
            raise InvalidArgument(
                [FieldViolation("page_token", "is not a token issued for this request's filter")]
            )
        page = await self._fills.list(query, PageRequest(size, after))
        token = "" if page.next_after is None else encode_page_token(fingerprint, page.next_after)
        return FillPage(page.items, token)

    async def list_positions(
        self,
        principal: Principal,
        *,
        user_id: str | None = None,
        symbol: str | None = None,
        quote: str | None = None,
        method: CostMethod = CostMethod.FIFO,
        mark_field: MarkField = MarkField.LAST,
        as_of: datetime | None = None,
    ) -> list[MarkedPosition]:
        owner = self.owner(principal, user_id)
        at = self._clock.now() if as_of is None else min(as_of, self._clock.now())
        prepared = await self._fills.prepared(
            FillQuery(owner, symbol=_clean(symbol, "symbol"), quote=_clean(quote, "quote"), end=at)
        )
        engine = LotEngine(prepared, method)
        engine.advance()
        held = [p for p in engine.positions() if p.quantity]
        books = [(p.symbol, p.quote) for p in held]
        found = await self._mark_source.marks_at(books, [at], mark_field)
        result = []
        for position in sorted(held, key=lambda p: (p.symbol, p.quote)):
            marks = found.get((position.symbol, position.quote))
            mark = marks[-1] if marks else None
            result.append(
                MarkedPosition(
                    position.marked(None if mark is None else mark.price),
                    None if mark is None else mark.observed_at,
                )
            )
        return result

    async def summary(
        self, principal: Principal, window: PnLWindow, *, user_id: str | None = None
    ) -> SummaryResult:
        owner = self.owner(principal, user_id)
        now = self._clock.now()
        _check_range(window.start, window.end)
        end = now if window.end is None else min(window.end, now)
        strategy = _strategy(window.strategy_id)
        symbol, quote = _clean(window.symbol, "symbol"), _clean(window.quote, "quote")
        fills, marking, start = await self._fills_with_curve_marks(owner, window, now, end)
        try:
            # The books are replayed in a worker thread while Postgres looks up the
            # marks: the replay needs none, and the two took about as long one after
            # the other. The event loop serves other calls meanwhile, GIL permitting.
            replayed = await asyncio.to_thread(
                replay_summary, fills, as_of=now, method=window.method, start=window.start,
                end=window.end, symbol=symbol, quote=quote, strategy_id=strategy,
            )  # fmt: skip
            marks = await marking
        except MixedQuotesError as error:
            raise _mixed_quotes(error) from error
        finally:
            abandon(marking)  # still running only when something above failed
        return SummaryResult(summarize_replayed(replayed, marks=marks), start, end)

    async def breakdown(
        self,
        principal: Principal,
        window: PnLWindow,
        by: GroupBy,
        *,
        user_id: str | None = None,
    ) -> dict[str, PnLSummary]:
        owner = self.owner(principal, user_id)
        now = self._clock.now()
        _check_range(window.start, window.end)
        fills = await self._scoped_fills(owner, window, now)
        end = now if window.end is None else min(window.end, now)
        start = window.start or (fills.times[0].astimezone(UTC) if len(fills) else end)
        marks = await self._lookup(fills, window, _day_times(start, end), now)
        try:
            return breakdown(
                fills,
                by=by,
                as_of=now,
                marks=marks,
                method=window.method,
                start=window.start,
                end=window.end,
                quote=_clean(window.quote, "quote"),
            )
        except MixedQuotesError as error:
            raise _mixed_quotes(error) from error

    async def history(
        self,
        principal: Principal,
        window: PnLWindow,
        interval: Interval,
        *,
        user_id: str | None = None,
    ) -> list[HistoryPoint]:
        owner = self.owner(principal, user_id)
        now = self._clock.now()
        _check_range(window.start, window.end)
        fills = await self._scoped_fills(owner, window, now)
        end = now if window.end is None else window.end
        start = window.start or (fills.times[0].astimezone(UTC) if len(fills) else end)
        if start >= end:
            return []
        times = _bucket_times(start, end, interval)
        marks = await self._lookup(fills, window, times, now)
        strategy = _strategy(window.strategy_id)
        return pnl_history(
            fills,
            interval=interval,
            start=start,
            end=end,
            marks=marks,
            method=window.method,
            symbol=_clean(window.symbol, "symbol"),
            strategy_id=strategy,
        )

    # --- helpers --------------------------------------------------------------------

    async def _scoped_fills(self, owner: str, window: PnLWindow, now: datetime) -> PreparedFills:
        return await self._fills.prepared(_scope(owner, window, now))

    async def _fills_with_curve_marks(
        self, owner: str, window: PnLWindow, now: datetime, end: datetime
    ) -> tuple[PreparedFills, asyncio.Future[MarkLookup], datetime]:
        """The scope's fills, the marks of a summary's equity curve over them (the start
        of each day from the curve's start, and now) still being read, and that start.
        The marks need only the scope's books and its first fill's time, which
        `first_fills` gives from an index, so they are read while the history is: a
        process's first summary of a long history waits for the longer of the two, not
        for both. Should a write land in between (a new book, an earlier first fill),
        the marks are read again for the fills as read. The caller awaits the marks,
        or abandons them."""
        scope = _scope(owner, window, now)
        reading = asyncio.ensure_future(self._fills.prepared(scope))
        marking: asyncio.Future[MarkLookup] | None = None
        try:
            firsts = await self._fills.first_fills(scope)
            start = window.start or (min(firsts.values()) if firsts else end)
            # One scope: the curve starts at `start`, already among the day times.
            marking = asyncio.ensure_future(
                self._marks(sorted(firsts), window, _day_times(start, end), now)
            )
            fills = await reading
            actual = window.start or (fills.times[0].astimezone(UTC) if len(fills) else end)
            if actual != start or not set(fills.book_keys) <= set(firsts):
                abandon(marking)
                start = actual
                marking = asyncio.ensure_future(
                    self._lookup(fills, window, _day_times(start, end), now, firsts=False)
                )
        except BaseException:
            if marking is not None:
                abandon(marking)
            raise
        finally:
            abandon(reading)  # still running only when something above failed
        return fills, marking, start

    async def _lookup(
        self,
        fills: PreparedFills,
        window: PnLWindow,
        times: set[datetime],
        now: datetime,
        *,
        firsts: bool = True,
    ) -> MarkLookup:
        """All marks the domain will ask for, fetched in one call. The domain asks at
        the window's edges and bucket ends (in `times`) and, with `firsts`, at each
        scope's first fill (a breakdown's groups start there); the lookup answers any
        time from the ticks fetched, exact at those times."""
        books: list[Book] = sorted(fills.book_keys)
        wanted = set(times)
        if firsts and len(fills):
            symbols: set[str] = set()
            rows = fills.rows
            keys = fills.book_keys
            for index, at in enumerate(fills.times):
                symbol = keys[rows[index][0]][0]
                if symbol not in symbols:
                    symbols.add(symbol)
                    wanted.add(at)
                    if len(symbols) == len(keys):
                        break
            strategies: set[str | None] = set()
            for strategy, at in zip(fills.strategies, fills.times, strict=True):
                if strategy not in strategies:
                    strategies.add(strategy)
                    wanted.add(at)
        return await self._marks(books, window, wanted, now)

    async def _marks(
        self, books: Sequence[Book], window: PnLWindow, times: set[datetime], now: datetime
    ) -> MarkLookup:
        found: dict[Book, list[Mark]] = await self._mark_source.marks_at(
            books, sorted({*times, now}), window.mark_field
        )
        return mark_table(
            {book: [(m.observed_at, m.price) for m in marks] for book, marks in found.items()}
        )


def _scope(owner: str, window: PnLWindow, now: datetime) -> FillQuery:
    """Every fill of the scope's books up to now: cost basis needs the whole history,
    and books of other symbols never affect this one, so symbol and quote filters are
    safe to push down. A strategy filter is not (strategies share one balance)."""
    return FillQuery(
        owner,
        symbol=_clean(window.symbol, "symbol"),
        quote=_clean(window.quote, "quote"),
        end=now + timedelta(microseconds=1),
    )


def _conditions(query: FillQuery) -> list[Condition]:
    conditions = [Condition("owner", Op.EQ, query.owner)]
    for name in ("symbol", "quote", "strategy_id"):
        value = getattr(query, name)
        if value is not None:
            conditions.append(Condition(name, Op.EQ, value))
    if query.start is not None:
        conditions.append(Condition("executed_at", Op.GTE, query.start))
    if query.end is not None:
        conditions.append(Condition("executed_at", Op.LT, query.end))
    return conditions


def _check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start >= end:
        raise InvalidArgument([FieldViolation("end_time", "must be after start_time")])


def _mixed_quotes(error: MixedQuotesError) -> InvalidArgument:
    return InvalidArgument([FieldViolation("quote", f"{error}; name one quote currency")])


def _bucket_times(start: datetime, end: datetime, interval: Interval) -> set[datetime]:
    try:
        return {start, *bucket_ends(start, end, interval)}
    except ValueError as error:  # more buckets than a history may have
        raise InvalidArgument([FieldViolation("interval", str(error))]) from error


def _day_times(start: datetime, end: datetime) -> set[datetime]:
    """Where the summary's daily equity curve reads marks: its start and each day end."""
    times = {end}
    if start < end:
        times |= _bucket_times(start, end, Interval.DAY)
    return times
