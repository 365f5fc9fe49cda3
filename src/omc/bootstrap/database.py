"""Which database a command uses, and bringing its schema up to date.

Shared by every command (`serve`, `migrate`, `demo-data`, `collect`...) so they all
resolve the database the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from omc.adapters.postgres import migrate
from omc.adapters.postgres.embedded import EmbeddedPostgres
from omc.bootstrap.security import build_secrets, external_database_url
from omc.bootstrap.settings import Settings, StorageKind

log = structlog.get_logger("omc.cli")


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[str | None]:
    """The database every command uses: OMC_DATABASE_URL when set, else an embedded
    Postgres in OMC_HOME/pgdata that lives exactly as long as the command."""
    if settings.storage is StorageKind.MEMORY:
        yield None
        return
    if settings.database_url is not None:
        # The password may live in a secret rather than in the URL (see bootstrap.security).
        yield await external_database_url(settings, build_secrets(settings))
        return
    # EmbeddedPostgres keeps its cluster in <data_dir>/pgdata, i.e. OMC_HOME/pgdata.
    embedded = EmbeddedPostgres(settings.home)
    log.info("embedded_postgres_starting", data_dir=str(embedded.pgdata))
    url = await asyncio.to_thread(embedded.start)
    log.info("embedded_postgres_started", data_dir=str(embedded.pgdata))
    try:
        yield url
    finally:
        # Shielded: a second Ctrl-C must not leave a postmaster running in OMC_HOME.
        await asyncio.shield(asyncio.to_thread(embedded.stop))
        log.info("embedded_postgres_stopped", data_dir=str(embedded.pgdata))


async def migrated(url: str | None, revision: str = "head") -> None:
    if url is None:
        return
    # Alembic is synchronous; a thread keeps the event loop (and signals) responsive.
    await asyncio.to_thread(migrate.upgrade, url, revision)
    log.info("migrations_applied", revision=revision)
