"""Postgres repositories: one generic implementation configured per record type.

A batch is one transaction of a handful of round trips whatever its size, and lands whole
or not at all. New records are COPYed straight into the table; a batch that hits an
existing key goes COPY -> temporary staging table -> one `INSERT ... SELECT ... ON
CONFLICT` instead. Reads are SQLAlchemy Core with keyset pagination.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

import psycopg
from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    exc,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import DateTime

from omc.adapters.postgres import catalyst_notifications, tables, tick_copy
from omc.adapters.postgres.notifications import (
    CHANNEL,
    CHUNK_BYTES,
    encode_canonical_ticks,
    encode_ticks,
    tick_json_sql,
)
from omc.application.errors import StorageUnavailable
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
from omc.domain.human import NewsItem, SentimentLabel, SocialPost
from omc.domain.record import LedgerRecord, sort_key
from omc.domain.tick_columns import CanonicalPriceTicks

R = TypeVar("R", bound=LedgerRecord)
# Puts a batch's rows into an open COPY, in the order of the record's fields.
CopyWriter = Callable[[psycopg.AsyncCopy], Awaitable[None]]

UNAVAILABLE_MESSAGE = "the ledger database is unavailable; retry later"

# Connection-level failures: the database is down, restarting, unreachable, or the pool
# is exhausted. Constraint and programming errors are bugs and propagate unchanged.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    ConnectionError,
)


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turns connection failures into StorageUnavailable, keeping SQL and DSNs (which
    the driver's messages contain) out of what callers and clients see."""
    try:
        yield
    except exc.DBAPIError as error:
        if error.connection_invalidated or isinstance(error, _UNAVAILABLE_ERRORS):
            raise StorageUnavailable(UNAVAILABLE_MESSAGE) from error
        raise
    except _UNAVAILABLE_ERRORS as error:
        raise StorageUnavailable(UNAVAILABLE_MESSAGE) from error


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class InsertNotice:
    """How a table announces its newly inserted rows: NOTIFY on `channel` with JSON
    arrays of rows, each row's text built in SQL by `row_json_sql(alias)`, or from records
    in hand by `encode` (which splits them into payloads under the size limit). The SQL
    side closes a payload once it passes `chunk_bytes`."""

    channel: str
    row_json_sql: Callable[[str], str]
    encode: Callable[[Sequence[Any]], list[str]]
    chunk_bytes: int


PRICE_TICK_NOTICE = InsertNotice(CHANNEL, tick_json_sql, encode_ticks, CHUNK_BYTES)
CATALYST_EVENT_NOTICE = InsertNotice(
    catalyst_notifications.CHANNEL,
    catalyst_notifications.key_json_sql,
    catalyst_notifications.encode_keys,
    catalyst_notifications.CHUNK_BYTES,
)


class PostgresRecordRepository(Generic[R]):
    """Storage of one record type in one table whose columns are named like its fields."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        record_class: type[R],
        *,
        stats_field: str,
        later_replaces_earlier: bool = False,
        enums: dict[str, type[Enum]] | None = None,
        notify_inserted: InsertNotice | None = None,
    ) -> None:
        self._engine = engine
        self._table = table
        self._record_class = record_class
        self._stats_field = stats_field
        self._fields = tuple(f.name for f in dataclasses.fields(record_class))  # type: ignore[arg-type]
        self._columns = [table.c[name] for name in self._fields]
        self._sort_columns = [table.c[name] for name in record_class.SORT_FIELDS]
        self._decoders = self._build_decoders(enums or {})
        self._get_fields = operator.attrgetter(*self._fields)
        # COPY takes arrays as lists and enums by value; everything else as it is.
        self._dumpers: list[tuple[int, Callable[[Any], Any]]] = [
            (index, list if isinstance(table.c[name].type, ARRAY) else _enum_value)
            for index, name in enumerate(self._fields)
            if isinstance(table.c[name].type, ARRAY) or name in (enums or {})
        ]
        self._staging = f"omc_staging_{table.name}"
        self._notify_inserted = notify_inserted
        self._copy_sql = f"COPY {table.name} ({', '.join(self._fields)}) FROM STDIN"
        self._insert_sql = self._build_insert(later_replaces_earlier, notify_inserted)

    # -- writes ---------------------------------------------------------------------------

    async def add_many(self, records: Sequence[R]) -> IngestResult:
        if not records:
            return IngestResult()
        rows = [self._to_row(record) for record in records]

        async def write(copy: psycopg.AsyncCopy) -> None:
            for row in rows:
                await copy.write_row(row)

        notice = self._notify_inserted
        return await self._store(
            len(rows), write, lambda: [] if notice is None else notice.encode(records)
        )

    async def _store(
        self, count: int, write: CopyWriter, announcements: Callable[[], list[str]]
    ) -> IngestResult:
        """Stores `count` rows that `write` puts into a COPY in field order, in one
        transaction; `announcements` are the NOTIFY payloads when all of them are new."""
        staged_now = False
        with storage_errors():
            async with self._engine.begin() as connection:
                pooled = await connection.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = pooled.driver_connection  # type: ignore[assignment]
                # The staging table lives as long as the pooled connection: remember it
                # there, once its creation is committed (a rollback would take it away).
                staged: set[str] = pooled.info.setdefault("omc_staging_tables", set())
                async with driver.cursor() as cursor:
                    if await self._copy_directly(cursor, write):
                        inserted, updated = count, 0
                        if self._notify_inserted is not None:
                            await self._announce(
                                cursor, self._notify_inserted.channel, announcements()
                            )
                    else:
                        staged_now = self._staging not in staged
                        inserted, updated = await self._merge(cursor, write, create=staged_now)
            if staged_now:
                staged.add(self._staging)
        return IngestResult(inserted, updated, count - inserted - updated)

    async def _copy_directly(self, cursor: psycopg.AsyncCursor[Any], write: CopyWriter) -> bool:
        """The fast path for batches of new records (the usual case): COPY straight into
        the table, as fast as a bulk load gets. Any key already taken aborts it, back to
        the savepoint, and the batch goes through `_merge` instead."""
        await cursor.execute("SAVEPOINT omc_direct_copy")
        try:
            async with cursor.copy(self._copy_sql) as copy:
                await write(copy)
        except psycopg.errors.UniqueViolation:
            await cursor.execute("ROLLBACK TO SAVEPOINT omc_direct_copy")
            return False
        return True

    async def _announce(
        self, cursor: psycopg.AsyncCursor[Any], channel: str, payloads: list[str]
    ) -> None:
        # NOTIFY is transactional: delivered on commit, dropped on rollback.
        await cursor.execute(
            # %b sends the array in binary: as a text literal, every quote in the JSON
            # would need escaping, which costs more than the COPY.
            "SELECT pg_notify(%s, payload) FROM unnest(%b::text[]) AS payload",
            (channel, payloads),
        )

    async def _merge(
        self, cursor: psycopg.AsyncCursor[Any], write: CopyWriter, *, create: bool
    ) -> tuple[int, int]:
        """COPY into a staging table, then one INSERT ... ON CONFLICT: counts inserted,
        updated and duplicate rows in a single statement."""
        columns = ", ".join(self._fields)
        if create:
            await cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self._staging} "  # noqa: S608
                f"ON COMMIT DELETE ROWS AS SELECT {columns} FROM {self._table.name} "
                "WITH NO DATA"
            )
        async with cursor.copy(f"COPY {self._staging} ({columns}) FROM STDIN") as copy:
            await write(copy)
        await cursor.execute(self._insert_sql)
        counts = await cursor.fetchone()
        assert counts is not None
        return int(counts[0]), int(counts[1])

    def _build_insert(
        self, later_replaces_earlier: bool, notify_inserted: InsertNotice | None
    ) -> str:
        table = self._table.name
        columns = ", ".join(self._fields)
        # No ORDER BY needed: a temporary table is never scanned in parallel and its
        # fresh heap returns rows in COPY order, so the first of two records competing
        # for one unique value (a news url) wins, as in the in-memory adapter.
        insert = f"INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM {self._staging} "  # noqa: S608
        if later_replaces_earlier:
            key = ", ".join(self._record_class.KEY_FIELDS)
            others = [name for name in self._fields if name not in self._record_class.KEY_FIELDS]
            assignments = ", ".join(f"{name} = excluded.{name}" for name in others)
            current = ", ".join(f"t.{name}" for name in others)
            incoming = ", ".join(f"excluded.{name}" for name in others)
            # Replace only with figures observed no earlier that actually differ; an
            # unchanged re-delivery is a duplicate, not an update.
            return (
                f"WITH written AS ({insert}"  # noqa: S608 (identifiers are ours)
                f"ON CONFLICT ({key}) DO UPDATE SET {assignments} "
                f"WHERE excluded.observed_at >= t.observed_at "
                f"AND ({current}) IS DISTINCT FROM ({incoming}) "
                "RETURNING (t.xmax = 0) AS inserted) "
                "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
                "FROM written"
            )
        # No conflict target: every unique constraint (news urls too) makes a duplicate.
        if notify_inserted is None:
            return (
                f"WITH written AS ({insert}ON CONFLICT DO NOTHING RETURNING 1) "  # noqa: S608
                "SELECT count(*), 0 FROM written"
            )
        # NOTIFY inside the writing statement: delivered on commit, only for new rows,
        # chunked so every payload stays under Postgres' 8000-byte limit.
        return (
            f"WITH written AS ({insert}ON CONFLICT DO NOTHING "  # noqa: S608
            f"RETURNING {', '.join(f't.{name}' for name in self._fields)}), "
            f"encoded AS (SELECT {notify_inserted.row_json_sql('written')} AS tick "
            "FROM written), "
            "numbered AS (SELECT tick, row_number() OVER w AS n, "
            "sum(octet_length(tick) + 1) OVER w AS upto FROM encoded "
            "WINDOW w AS (ROWS UNBOUNDED PRECEDING)), "
            f"notified AS (SELECT pg_notify('{notify_inserted.channel}', "
            "'[' || string_agg(tick, ',' ORDER BY n) || ']') AS sent "
            f"FROM numbered GROUP BY upto / {notify_inserted.chunk_bytes}) "
            "SELECT (SELECT count(*) FROM written), 0, (SELECT count(*) FROM notified)"
        )

    def _to_row(self, record: R) -> tuple[Any, ...]:
        row: tuple[Any, ...] = self._get_fields(record)
        if not self._dumpers:
            return row
        values = list(row)
        for index, dump in self._dumpers:
            if values[index] is not None:
                values[index] = dump(values[index])
        return tuple(values)

    # -- reads ----------------------------------------------------------------------------

    async def list(self, conditions: Sequence[Condition], page: PageRequest) -> Page[R]:
        statement = select(*self._columns).where(*(self._clause(c) for c in conditions))
        if page.after is not None:
            position = tuple_(
                *(
                    bindparam(None, value, type_=column.type)
                    for column, value in zip(self._sort_columns, page.after, strict=True)
                )
            )
            keys = tuple_(*self._sort_columns)
            statement = statement.where(keys < position if page.newest_first else keys > position)
        order = [c.desc() if page.newest_first else c.asc() for c in self._sort_columns]
        # One row more than asked tells whether another page follows.
        statement = statement.order_by(*order).limit(page.size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        items = [self._from_row(row) for row in rows[: page.size]]
        more = len(rows) > page.size
        return Page(items, sort_key(items[-1]) if more and items else None)

    async def stats(self) -> RecordStats:
        column = self._table.c[self._stats_field]
        statement = select(func.count(), func.min(column), func.max(column))
        with storage_errors():
            async with self._engine.connect() as connection:
                count, earliest, latest = (await connection.execute(statement)).one()
        return RecordStats(
            self._table.name,
            int(count),
            None if earliest is None else _utc(earliest),
            None if latest is None else _utc(latest),
        )

    def _clause(self, condition: Condition) -> ColumnElement[bool]:
        if condition.field not in self._table.c:
            raise ValueError(f"{self._table.name} has no field {condition.field!r}")
        column: Any = self._table.c[condition.field]
        value: Any = condition.value
        match condition.op:
            case Op.EQ:
                return column == value  # type: ignore[no-any-return]
            case Op.IN:
                return column.in_(list(value))  # type: ignore[no-any-return]
            case Op.CONTAINS:
                # `@>` rather than `= ANY(...)`: it can use the GIN index on the array.
                return column.contains(  # type: ignore[no-any-return]
                    bindparam(None, [value], type_=ARRAY(column.type.item_type))
                )
            case Op.GTE:
                return column >= value  # type: ignore[no-any-return]
            case Op.LT:
                return column < value  # type: ignore[no-any-return]
        raise ValueError(f"unknown operator {condition.op}")

    def _build_decoders(self, enums: dict[str, type[Enum]]) -> dict[str, Callable[[Any], Any]]:
        decoders: dict[str, Callable[[Any], Any]] = {}
        for name in self._fields:
            column_type = self._table.c[name].type
            if isinstance(column_type, DateTime):
                decoders[name] = _utc
            elif isinstance(column_type, ARRAY):
                decoders[name] = tuple
            elif name in enums:
                decoders[name] = enums[name]
        return decoders

    def _from_row(self, row: Sequence[Any]) -> R:
        values: dict[str, Any] = {}
        for name, value in zip(self._fields, row, strict=True):
            decoder = self._decoders.get(name)
            values[name] = value if value is None or decoder is None else decoder(value)
        return self._record_class(**values)


class PostgresPriceTickRepository(PostgresRecordRepository[PriceTick]):
    async def add_canonical(self, parts: Iterable[CanonicalPriceTicks], count: int) -> IngestResult:
        if count == 0:
            return IngestResult()
        assert self._fields == tick_copy.COLUMNS
        pending = iter(parts)
        taken: list[CanonicalPriceTicks] = []
        payloads: list[str] = []

        async def write(copy: psycopg.AsyncCopy) -> None:
            # A second COPY (the merge path) replays the parts the first one took.
            for part in taken:
                await copy.write(tick_copy.copy_text(part))
            # Each part is taken (and checked) while Postgres parses the one before.
            for part in pending:
                taken.append(part)
                await copy.write(tick_copy.copy_text(part))
                if self._notify_inserted is not None:
                    payloads.extend(encode_canonical_ticks(part))
            if sum(map(len, taken)) != count:
                raise ValueError(f"expected {count} ticks, the parts held {sum(map(len, taken))}")

        return await self._store(count, write, lambda: payloads)

    async def latest(
        self, symbols: Sequence[str], quote: str | None, source: str | None
    ) -> list[PriceTick]:
        params: dict[str, Any] = {"quote": quote, "source": source}
        columns = ", ".join(f"t.{name}" for name in self._fields)
        # A loose index scan: visit the distinct (symbol, quote) pairs through the key
        # index, one probe per pair, then take each pair's newest tick with one more
        # probe. DISTINCT ON would sort the whole table: seconds at millions of rows.
        if symbols:
            params["symbols"] = list(symbols)
            # Per requested symbol, walk its quotes: equality on symbol keeps every
            # probe a single index descent.
            pairs = """
                (SELECT wanted.symbol, first.quote
                 FROM unnest(CAST(:symbols AS text[])) AS wanted(symbol)
                 CROSS JOIN LATERAL (
                     SELECT t.quote FROM price_ticks t WHERE t.symbol = wanted.symbol
                     ORDER BY t.quote LIMIT 1) AS first)
              UNION ALL
                SELECT pairs.symbol, following.quote FROM pairs CROSS JOIN LATERAL (
                    SELECT t.quote FROM price_ticks t
                    WHERE t.symbol = pairs.symbol AND t.quote > pairs.quote
                    ORDER BY t.quote LIMIT 1) AS following
            """
        else:
            pairs = """
                (SELECT t.symbol, t.quote FROM price_ticks t ORDER BY t.symbol, t.quote LIMIT 1)
              UNION ALL
                SELECT following.symbol, following.quote FROM pairs CROSS JOIN LATERAL (
                    SELECT t.symbol, t.quote FROM price_ticks t
                    WHERE (t.symbol, t.quote) > (pairs.symbol, pairs.quote)
                    ORDER BY t.symbol, t.quote LIMIT 1) AS following
            """
        # Ties on time go to the first source by name, as the port promises.
        statement = text(
            f"""
            WITH RECURSIVE pairs(symbol, quote) AS ({pairs})
            SELECT newest.* FROM pairs CROSS JOIN LATERAL (
                SELECT {columns} FROM price_ticks t
                WHERE t.symbol = pairs.symbol AND t.quote = pairs.quote
                  AND (CAST(:source AS text) IS NULL OR t.source = :source)
                ORDER BY t.observed_at DESC, t.source LIMIT 1
            ) AS newest
            WHERE CAST(:quote AS text) IS NULL OR pairs.quote = :quote
            ORDER BY newest.symbol, newest.quote
            """  # noqa: S608 (only our own column names and fixed fragments are inlined)
        )
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement, params)).all()
        return [self._from_row(row) for row in rows]


def _enum_value(value: Enum) -> Any:
    return value.value


def postgres_repositories(engine: AsyncEngine) -> LedgerRepositories:
    """Every ledger repository over one engine. New price ticks and catalyst events are
    announced with NOTIFY; run a PostgresPriceTickListener to feed them to subscribers."""
    sentiment: dict[str, type[Enum]] = {"sentiment_label": SentimentLabel}
    return LedgerRepositories(
        price_ticks=PostgresPriceTickRepository(
            engine,
            tables.price_ticks,
            PriceTick,
            stats_field="observed_at",
            notify_inserted=PRICE_TICK_NOTICE,
        ),
        protocol_metrics=PostgresRecordRepository(
            engine,
            tables.protocol_metrics,
            ProtocolMetric,
            stats_field="observed_at",
            later_replaces_earlier=True,
        ),
        onchain_metrics=PostgresRecordRepository(
            engine, tables.onchain_metrics, OnChainMetric, stats_field="observed_at"
        ),
        news_items=PostgresRecordRepository(
            engine, tables.news_items, NewsItem, stats_field="published_at", enums=sentiment
        ),
        social_posts=PostgresRecordRepository(
            engine, tables.social_posts, SocialPost, stats_field="posted_at", enums=sentiment
        ),
        catalyst_events=PostgresRecordRepository(
            engine,
            tables.catalyst_events,
            CatalystEvent,
            stats_field="occurred_at",
            notify_inserted=CATALYST_EVENT_NOTICE,
        ),
    )
