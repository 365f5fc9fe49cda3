"""API keys in Postgres (the `api_keys` table): only the keyed hash of a secret is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import RowMapping, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres.repositories import storage_errors
from omc.adapters.postgres.tables import api_keys
from omc.application.ports import Page, PageRequest
from omc.domain.access import ApiKey, Scope


def _key(row: RowMapping) -> ApiKey:
    revoked_at = row["revoked_at"]
    return ApiKey(
        key_id=row["key_id"],
        user_id=row["user_id"],
        name=row["name"],
        scopes=frozenset(Scope(name) for name in row["scopes"]),
        secret_hash=row["secret_hash"],
        created_at=row["created_at"].astimezone(UTC),
        revoked_at=revoked_at.astimezone(UTC) if revoked_at is not None else None,
    )


class PostgresApiKeyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, key: ApiKey) -> None:
        with storage_errors():
            async with self._engine.begin() as connection:
                await connection.execute(
                    api_keys.insert().values(
                        key_id=key.key_id,
                        user_id=key.user_id,
                        name=key.name,
                        # Sorted so a key's row does not depend on set iteration order.
                        scopes=sorted(scope.value for scope in key.scopes),
                        secret_hash=key.secret_hash,
                        created_at=key.created_at,
                        revoked_at=key.revoked_at,
                    )
                )

    async def get_by_hash(self, secret_hash: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.secret_hash == secret_hash)
        with storage_errors():
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).mappings().first()
        return _key(row) if row is not None else None

    async def list(self, user_id: str | None, page: PageRequest) -> Page[ApiKey]:
        # Served by ix_api_keys_user_id (user_id, created_at) for one user and by
        # ix_api_keys_created_at (created_at, key_id) for every key.
        query = select(api_keys)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        if page.after is not None:
            created_at, key_id = page.after
            position = tuple_(
                bindparam(None, created_at, type_=api_keys.c.created_at.type),
                bindparam(None, key_id, type_=api_keys.c.key_id.type),
            )
            query = query.where(tuple_(api_keys.c.created_at, api_keys.c.key_id) > position)
        # One row more than asked tells whether another page follows.
        query = query.order_by(api_keys.c.created_at, api_keys.c.key_id).limit(page.size + 1)
        with storage_errors():
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        items = [_key(row) for row in rows[: page.size]]
        last = items[-1] if len(rows) > page.size and items else None
        return Page(items, None if last is None else (last.created_at, last.key_id))

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        # COALESCE keeps the first revocation time, so revoking twice changes nothing.
        statement = (
            update(api_keys)
            .where(api_keys.c.key_id == key_id)
            .values(revoked_at=func.coalesce(api_keys.c.revoked_at, at))
            .returning(*api_keys.c)
        )
        with storage_errors():
            async with self._engine.begin() as connection:
                row = (await connection.execute(statement)).mappings().first()
        return _key(row) if row is not None else None

    async def count(self) -> int:
        with storage_errors():
            async with self._engine.connect() as connection:
                total = await connection.scalar(select(func.count()).select_from(api_keys))
        return int(total or 0)
