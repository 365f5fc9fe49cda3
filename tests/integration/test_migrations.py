"""Alembic migrations: a stairway up and down every revision, and the migrated schema
equal to the SQLAlchemy metadata the repositories use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Text, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from omc.adapters.postgres import migrate
from omc.adapters.postgres.engine import sqlalchemy_url
from omc.adapters.postgres.migrate import MIGRATIONS_DIR
from omc.adapters.postgres.tables import metadata
from tests.support.postgres import drop_database, recreate_database, worker_id

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def migrations_database(postgres_server_url: str) -> Iterator[str]:
    name = f"omc_migrations_{worker_id()}"
    yield recreate_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


@pytest.fixture
def fresh_database(migrations_database: str) -> str:
    """A database without any ledger schema (creating one per test costs seconds)."""
    if migrate.current(migrations_database) is not None:
        migrate.downgrade(migrations_database, "base")
    assert ledger_tables(migrations_database) == set()
    return migrations_database


def revisions_oldest_first() -> list[tuple[str, str]]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    steps = [
        (revision.revision, revision.down_revision or "base")
        for revision in script.walk_revisions("base", "heads")
    ]
    return [(up, str(down)) for up, down in reversed(steps)]


def ledger_tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_stairway_up_down_up_through_every_revision(fresh_database: str) -> None:
    assert migrate.current(fresh_database) is None
    for revision, previous in revisions_oldest_first():
        migrate.upgrade(fresh_database, revision)
        assert migrate.current(fresh_database) == revision
        migrate.downgrade(fresh_database, previous)
        assert migrate.current(fresh_database) == (None if previous == "base" else previous)
        migrate.upgrade(fresh_database, revision)
        assert migrate.current(fresh_database) == revision


def test_head_to_base_and_back(fresh_database: str) -> None:
    migrate.upgrade(fresh_database)
    assert ledger_tables(fresh_database) == set(metadata.tables)

    migrate.downgrade(fresh_database, "base")
    assert ledger_tables(fresh_database) == set()
    assert migrate.current(fresh_database) is None

    migrate.upgrade(fresh_database, "head")
    assert ledger_tables(fresh_database) == set(metadata.tables)


@pytest.fixture
def migrated(fresh_database: str) -> Iterator[Connection]:
    migrate.upgrade(fresh_database)
    engine = create_engine(sqlalchemy_url(fresh_database), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_metadata(migrated: Connection) -> None:
    context = MigrationContext.configure(migrated, opts={"compare_type": True})

    assert compare_metadata(context, metadata) == []


def test_migrated_constraint_names_match_the_metadata(migrated: Connection) -> None:
    # compare_metadata ignores check constraints and some renames; names matter to
    # error translation and to later migrations, so compare them all. (NOT NULL has
    # been in pg_constraint since Postgres 18; nullability is compared above.)
    rows = migrated.execute(
        text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'c', 'f') "
            "AND conrelid <> 'alembic_version'::regclass"
        )
    ).all()
    in_database = {(table, name) for table, name in rows}
    expected = {
        (table.name, str(constraint.name))
        for table in metadata.sorted_tables
        for constraint in table.constraints
    }

    assert in_database == expected


def test_migrated_key_columns_sort_by_code_point(migrated: Connection) -> None:
    # compare_metadata does not compare collations; keyset paging depends on them.
    rows = migrated.execute(
        text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = 'text'"
        )
    ).all()
    in_database = {(table, column): collation for table, column, collation in rows}
    expected = {
        (table.name, column.name): column.type.collation
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Text)
    }

    assert in_database == expected
    assert in_database[("price_ticks", "symbol")] == "C"


def test_hour_versions_start_from_the_ticks_already_stored(fresh_database: str) -> None:
    migrate.upgrade(fresh_database, "0008_api_key_listing")
    engine = create_engine(sqlalchemy_url(fresh_database), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO price_ticks (symbol, quote, source, last, observed_at)"
                    " SELECT 'BTC', 'AUD', 'feed', 100, t FROM generate_series("
                    " TIMESTAMPTZ '2025-06-02 10:59:50+00', TIMESTAMPTZ '2025-06-02 11:00:10+00',"
                    " INTERVAL '10 seconds') AS t"
                )
            )
        migrate.upgrade(fresh_database)
        with engine.begin() as connection:
            before = connection.execute(
                text("SELECT hour, version FROM price_hour_versions ORDER BY hour")
            ).all()
            connection.execute(
                text(
                    "INSERT INTO price_ticks (symbol, quote, source, last, observed_at)"
                    " VALUES ('BTC', 'AUD', 'feed', 100, TIMESTAMPTZ '2025-06-02 11:30:00+00')"
                )
            )
            after = connection.execute(
                text("SELECT hour, version FROM price_hour_versions ORDER BY hour")
            ).all()
    finally:
        engine.dispose()

    hours = [datetime(2025, 6, 2, h, tzinfo=UTC) for h in (10, 11)]
    assert before == [(hours[0], 1), (hours[1], 1)]
    assert after == [(hours[0], 1), (hours[1], 2)]
