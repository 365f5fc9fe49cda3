"""The ledger schema as SQLAlchemy Core metadata.

Column names equal the domain record field names, so a `Condition(field, ...)` maps to
a column by name. Migrations in `migrations/versions` create exactly this schema; a test
compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

# Deterministic names: migrations and error translation can refer to constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _key_text(name: str, *, nullable: bool = False) -> Column[str]:
    # Keys and sort keys compare byte-wise ("C") so SQL ordering and keyset paging agree
    # with Python's code-point ordering used by the in-memory adapter.
    return Column(name, Text(collation="C"), nullable=nullable)


def _money(name: str, *, nullable: bool = True) -> Column[object]:
    # Unconstrained numeric keeps the scale as given: "1.50" comes back as "1.50".
    return Column(name, Numeric(asdecimal=True), nullable=nullable)


def _time(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False)


def _id() -> Column[int]:
    # A surrogate for operators (and logical replication); never used for ordering.
    return Column("id", BigInteger, Identity(always=True), primary_key=True)


price_ticks = Table(
    "price_ticks",
    metadata,
    _id(),
    _key_text("symbol"),
    _money("last", nullable=False),
    _time("observed_at"),
    _key_text("source"),
    _key_text("quote"),
    _money("bid"),
    _money("ask"),
    _money("volume_24h"),
    # The key in filter order: serves symbol/quote filters, time ranges and latest().
    UniqueConstraint("symbol", "quote", "observed_at", "source"),
    CheckConstraint("last > 0", name="last_positive"),
)
Index(
    "ix_price_ticks_sort",
    price_ticks.c.observed_at,
    price_ticks.c.symbol,
    price_ticks.c.quote,
    price_ticks.c.source,
)

protocol_metrics = Table(
    "protocol_metrics",
    metadata,
    _id(),
    _key_text("protocol"),
    Column("day", Date, nullable=False),
    _time("observed_at"),
    _key_text("source"),
    _money("tvl_usd"),
    _money("fees_24h"),
    _money("revenue_24h"),
    UniqueConstraint("protocol", "day", "source"),
)
Index(
    "ix_protocol_metrics_sort",
    protocol_metrics.c.day,
    protocol_metrics.c.protocol,
    protocol_metrics.c.source,
)

onchain_metrics = Table(
    "onchain_metrics",
    metadata,
    _id(),
    _key_text("asset"),
    _key_text("metric"),
    _money("value", nullable=False),
    _time("observed_at"),
    _key_text("source"),
    UniqueConstraint("asset", "metric", "observed_at", "source"),
)
Index(
    "ix_onchain_metrics_sort",
    onchain_metrics.c.observed_at,
    onchain_metrics.c.asset,
    onchain_metrics.c.metric,
    onchain_metrics.c.source,
)

news_items = Table(
    "news_items",
    metadata,
    _id(),
    _key_text("source"),
    _key_text("external_id"),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    _time("published_at"),
    Column("source_name", Text, nullable=False),
    Column("sentiment_label", Text, nullable=True),
    _money("sentiment_score"),
    Column("currencies", ARRAY(Text), nullable=False),
    Column("votes_positive", BigInteger, nullable=True),
    Column("votes_negative", BigInteger, nullable=True),
    _money("panic_score"),
    UniqueConstraint("source", "external_id"),
    # One story syndicated under two ids is still one story.
    UniqueConstraint("url"),
)
Index(
    "ix_news_items_sort",
    news_items.c.published_at,
    news_items.c.source,
    news_items.c.external_id,
)
Index("ix_news_items_currencies", news_items.c.currencies, postgresql_using="gin")

social_posts = Table(
    "social_posts",
    metadata,
    _id(),
    _key_text("platform"),
    _key_text("external_id"),
    Column("title", Text, nullable=False),
    _time("posted_at"),
    Column("community", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("score", BigInteger, nullable=False),
    Column("comment_count", BigInteger, nullable=False),
    Column("sentiment_label", Text, nullable=True),
    _money("sentiment_score"),
    Column("currencies", ARRAY(Text), nullable=False),
    UniqueConstraint("platform", "external_id"),
)
Index(
    "ix_social_posts_sort",
    social_posts.c.posted_at,
    social_posts.c.platform,
    social_posts.c.external_id,
)
Index("ix_social_posts_currencies", social_posts.c.currencies, postgresql_using="gin")

catalyst_events = Table(
    "catalyst_events",
    metadata,
    _id(),
    Column("event_type", Text, nullable=False),
    Column("title", Text, nullable=False),
    _key_text("source"),
    _key_text("external_id"),
    Column("impact", Integer, nullable=False),
    _time("occurred_at"),
    _time("detected_at"),
    Column("description", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("currencies", ARRAY(Text), nullable=False),
    UniqueConstraint("source", "external_id"),
    CheckConstraint("impact BETWEEN 1 AND 10", name="impact_range"),
)
Index(
    "ix_catalyst_events_sort",
    catalyst_events.c.occurred_at,
    catalyst_events.c.source,
    catalyst_events.c.external_id,
)
Index(
    "ix_catalyst_events_event_type",
    catalyst_events.c.event_type,
    catalyst_events.c.occurred_at,
)
Index("ix_catalyst_events_currencies", catalyst_events.c.currencies, postgresql_using="gin")

# --- Quality rollups of price ticks per (series, clock hour) (migration 0009, ADR 0008) --
# Every statement that writes price_ticks bumps the versions of the hours it touched (a
# trigger, so COPY and hand-written SQL count too); a block is trusted only while it was
# computed at its hour's current version.
price_hour_versions = Table(
    "price_hour_versions",
    metadata,
    _time("hour"),
    _key_text("symbol"),
    _key_text("quote"),
    Column("version", BigInteger, nullable=False),
    PrimaryKeyConstraint("hour", "symbol", "quote"),
)

price_hour_blocks = Table(
    "price_hour_blocks",
    metadata,
    _time("hour"),
    _key_text("symbol"),
    _key_text("quote"),
    # The policy parameters the block was computed under (cadence, bounds, MAD, gaps).
    _key_text("params"),
    Column("version", BigInteger, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("missing", BigInteger, nullable=False),
    Column("nonpositive", BigInteger, nullable=False),
    Column("crossed", BigInteger, nullable=False),
    Column("wide", BigInteger, nullable=False),
    Column("invalid", BigInteger, nullable=False),
    # Present cadence intervals (grid indexes): how many, the first and the last.
    Column("filled", Integer, nullable=False),
    Column("first_interval", BigInteger),
    Column("last_interval", BigInteger),
    # The hour's longest runs of missing intervals between present ones, [begin, end).
    Column("gap_begins", ARRAY(BigInteger), nullable=False),
    Column("gap_ends", ARRAY(BigInteger), nullable=False),
    # Intervals with a price beyond the hour's MAD band, with the band's median and scale.
    Column("beyond_intervals", ARRAY(BigInteger), nullable=False),
    Column("beyond_medians", ARRAY(Float(precision=53)), nullable=False),
    Column("beyond_scales", ARRAY(Float(precision=53)), nullable=False),
    PrimaryKeyConstraint("hour", "symbol", "quote", "params"),
)

LEDGER_TABLES: tuple[Table, ...] = (
    price_ticks,
    protocol_metrics,
    onchain_metrics,
    news_items,
    social_posts,
    catalyst_events,
)

# --- Access: API keys (only a keyed hash of each secret is stored) -------------------
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", Text(collation="C"), primary_key=True),
    _key_text("user_id"),
    Column("name", Text, nullable=False, server_default=""),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("secret_hash", Text(collation="C"), nullable=False),
    _time("created_at"),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("secret_hash"),
)
Index("ix_api_keys_user_id", api_keys.c.user_id, api_keys.c.created_at)
# ListApiKeys over every key pages in this order (migration 0008).
Index("ix_api_keys_created_at", api_keys.c.created_at, api_keys.c.key_id)

# --- Trading books: fills are the source of truth --------------------------------------
# The lot engine's inputs of each fill (lots.prepare: base units 10^-18, quote amounts
# 10^-36), as the decimal text Python parses, computed once when a fill is written
# rather than at every read of a history (ADR 0009). Numeric products never round;
# trunc() only drops the zero fraction numeric keeps from the operands' scales. A fee
# is in the quote, in the base (delivered on top of a sell's quantity) or in a third
# currency at its rate to the quote; signed + for a buy, - for a sell:
#   moved = q - base_fee, amount = q*p + quote_fee, fee = |quote_fee + base_fee*p|.
_Q = "trunc(quantity * 1e18)"
_P = "trunc(price * 1e18)"
_SIGN = "(CASE WHEN side = 'buy' THEN 1 ELSE -1 END)"
_BASE_FEE = (
    "(CASE WHEN fee = 0 OR fee_currency IN ('', quote) OR fee_currency <> symbol THEN 0 "
    f"ELSE {_SIGN} * trunc(fee * 1e18) END)"
)
_QUOTE_FEE = (
    f"(CASE WHEN fee = 0 THEN 0 WHEN fee_currency IN ('', quote) THEN {_SIGN} * trunc(fee * 1e36) "
    f"WHEN fee_currency = symbol THEN 0 ELSE {_SIGN} * trunc(fee * fee_rate_to_quote * 1e36) END)"
)
ENGINE_COLUMNS = {
    "engine_book": "symbol || '/' || quote",
    "engine_buy": "CASE WHEN side = 'buy' THEN 't' ELSE 'f' END",
    "engine_moved": f"({_Q} - {_BASE_FEE})::text",
    "engine_amount": f"({_Q} * {_P} + {_QUOTE_FEE})::text",
    "engine_fee": f"abs({_QUOTE_FEE} + {_BASE_FEE} * {_P})::text",
    "engine_volume": f"({_Q} * {_P})::text",
}

fills = Table(
    "fills",
    metadata,
    _id(),
    _key_text("owner"),
    _key_text("fill_id"),
    _key_text("symbol"),
    _key_text("quote"),
    Column("side", Text, nullable=False),
    _money("quantity", nullable=False),
    _money("price", nullable=False),
    _money("fee", nullable=False),
    Column("fee_currency", Text(collation="C"), nullable=False, server_default=""),
    _money("fee_rate_to_quote"),
    Column("strategy_id", Text(collation="C"), nullable=True),
    _time("executed_at"),
    *(
        Column(name, Text(collation="C"), Computed(expression, persisted=True), nullable=False)
        for name, expression in ENGINE_COLUMNS.items()
    ),
    UniqueConstraint("owner", "fill_id"),
    CheckConstraint("side IN ('buy', 'sell')", name="side_known"),
    CheckConstraint("quantity > 0 AND price > 0 AND fee >= 0", name="amounts_valid"),
)
# Books replay a user's fills in event order (executed_at, fill_id).
Index("ix_fills_owner_order", fills.c.owner, fills.c.executed_at, fills.c.fill_id)
Index("ix_fills_owner_symbol", fills.c.owner, fills.c.symbol, fills.c.quote, fills.c.executed_at)
# Which committed state of an owner's fills a reader saw: the id of the transaction
# that last wrote them, so a replica's in-process books cache knows when it is stale.
fill_versions = Table(
    "fill_versions",
    metadata,
    Column("owner", Text(collation="C"), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
# An owner's prepared history as one read kept it, so a replica's first read of a long
# history decodes one row and reads only the fills written since, instead of
# aggregating and parsing every fill (ADR 0010). A cache: the fills stay the truth.
fill_snapshots = Table(
    "fill_snapshots",
    metadata,
    Column("owner", Text(collation="C"), primary_key=True),
    # How `body` is encoded; a snapshot in any other format is not read.
    Column("format", Text, nullable=False),
    # The owner's fill version, newest row id and that row's stamp when it was read.
    Column("version", BigInteger, nullable=False),
    Column("last_id", BigInteger, nullable=False),
    Column("stamp", Text, nullable=False),
    Column("fills", BigInteger, nullable=False),
    Column("times", ARRAY(DateTime(timezone=True)), nullable=False),
    Column("body", LargeBinary, nullable=False),
)

# --- Collection: one row per collector run ----------------------------------------------
collector_runs = Table(
    "collector_runs",
    metadata,
    Column("run_id", Text(collation="C"), primary_key=True),
    _key_text("collector"),
    _time("started_at"),
    _time("finished_at"),
    Column("status", Text, nullable=False),
    Column("fetched", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("duplicate", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("error", Text, nullable=False, server_default=""),
)
Index("ix_collector_runs_order", collector_runs.c.started_at, collector_runs.c.run_id)
Index(
    "ix_collector_runs_collector",
    collector_runs.c.collector,
    collector_runs.c.started_at,
    collector_runs.c.run_id,
)

# --- Data quality: alerts, persisted with the report that raised them -------------------
quality_alerts = Table(
    "quality_alerts",
    metadata,
    Column("alert_id", Text(collation="C"), primary_key=True),
    # A ledger name, or "system" for the overall score.
    _key_text("scope"),
    Column("severity", Text, nullable=False),
    Column("score", Numeric(asdecimal=True), nullable=False),
    _time("opened_at"),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("report", JSONB, nullable=False),
)
Index("ix_quality_alerts_order", quality_alerts.c.opened_at, quality_alerts.c.alert_id)
# At most one open alert per scope: repeated runs update it instead of piling up.
Index(
    "uq_quality_alerts_open_scope",
    quality_alerts.c.scope,
    unique=True,
    postgresql_where=quality_alerts.c.resolved_at.is_(None),
)

# --- Agent: sessions, their events, and LangGraph's checkpoint tables --------------------
agent_sessions = Table(
    "agent_sessions",
    metadata,
    Column("session_id", Text(collation="C"), primary_key=True),
    _key_text("owner"),
    Column("goal", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("model", Text, nullable=False),
    _time("created_at"),
    _time("updated_at"),
    Column("last_seq", BigInteger, nullable=False),
    Column("error", Text, nullable=False),
)
# ListSessions: one owner's sessions, newest first, keyset on (created_at, session_id).
Index(
    "ix_agent_sessions_owner_order",
    agent_sessions.c.owner,
    agent_sessions.c.created_at,
    agent_sessions.c.session_id,
)
agent_events = Table(
    "agent_events",
    metadata,
    Column(
        "session_id",
        Text(collation="C"),
        ForeignKey("agent_sessions.session_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    _time("created_at"),
)
# The schema of langgraph-checkpoint-postgres (its migrations 0-9), created by our
# migration so `omc migrate` owns every table; AsyncPostgresSaver.setup() then finds
# its versions recorded and does nothing.
checkpoint_migrations = Table(
    "checkpoint_migrations", metadata, Column("v", Integer, primary_key=True, autoincrement=False)
)
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("thread_id", Text, primary_key=True),
    Column("checkpoint_ns", Text, primary_key=True, server_default=""),
    Column("checkpoint_id", Text, primary_key=True),
    Column("parent_checkpoint_id", Text, nullable=True),
    Column("type", Text, nullable=True),
    Column("checkpoint", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False, server_default="{}"),
)
Index("checkpoints_thread_id_idx", checkpoints.c.thread_id)
checkpoint_blobs = Table(
    "checkpoint_blobs",
    metadata,
    Column("thread_id", Text, primary_key=True),
    Column("checkpoint_ns", Text, primary_key=True, server_default=""),
    Column("channel", Text, primary_key=True),
    Column("version", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("blob", LargeBinary, nullable=True),
)
Index("checkpoint_blobs_thread_id_idx", checkpoint_blobs.c.thread_id)
checkpoint_writes = Table(
    "checkpoint_writes",
    metadata,
    Column("thread_id", Text, primary_key=True),
    Column("checkpoint_ns", Text, primary_key=True, server_default=""),
    Column("checkpoint_id", Text, primary_key=True),
    Column("task_id", Text, primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("channel", Text, nullable=False),
    Column("type", Text, nullable=True),
    Column("blob", LargeBinary, nullable=False),
    Column("task_path", Text, nullable=False, server_default=""),
)
Index("checkpoint_writes_thread_id_idx", checkpoint_writes.c.thread_id)
AGENT_TABLES = (agent_sessions, agent_events, checkpoint_blobs, checkpoint_writes, checkpoints)
