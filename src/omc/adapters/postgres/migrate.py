"""Alembic, driven from code: works from an installed package, no alembic.ini needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from omc.adapters.postgres.engine import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # env.py takes the connection from here instead of building its own engine.
    config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision`, in one transaction."""
    _run(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Take the schema at `url` down to `revision` (`base` removes every ledger table)."""
    _run(url, lambda config: command.downgrade(config, revision))


def current(url: str) -> str | None:
    """The revision the database at `url` is at; None when never migrated."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _engine(url: str) -> Engine:
    # Migrations are short-lived and synchronous; psycopg serves both sync and async.
    return create_engine(sqlalchemy_url(url), poolclass=NullPool)


def _run(url: str, step: Callable[[Config], None]) -> None:
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            step(alembic_config(connection))
    finally:
        engine.dispose()
