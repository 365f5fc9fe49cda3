"""ApiKeyRepository contract, over the in-memory adapter and Postgres."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.keys import PostgresApiKeyRepository
from omc.application.errors import StorageUnavailable
from omc.application.ports import ApiKeyRepository, PageRequest
from omc.domain.access import ApiKey, Scope

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def api_key(
    user_id: str = "alice",
    *,
    created_at: datetime = T0,
    scopes: frozenset[Scope] = frozenset({Scope.LEDGER_READ}),
    name: str = "",
    key_id: str | None = None,
) -> ApiKey:
    return ApiKey(
        key_id=key_id or uuid.uuid4().hex,
        user_id=user_id,
        name=name,
        scopes=scopes,
        secret_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        created_at=created_at,
    )


async def listed(repository: ApiKeyRepository, user_id: str | None) -> list[ApiKey]:
    """Every key of one page large enough to hold them all."""
    page = await repository.list(user_id, PageRequest(1_000))
    assert page.next_after is None
    return page.items


@pytest.fixture
async def postgres_keys(postgres_engine: AsyncEngine) -> PostgresApiKeyRepository:
    async with postgres_engine.begin() as connection:
        await connection.execute(text("TRUNCATE api_keys"))
    return PostgresApiKeyRepository(postgres_engine)


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def repository(request: pytest.FixtureRequest) -> ApiKeyRepository:
    if request.param == "memory":
        return MemoryApiKeyRepository()
    result: ApiKeyRepository = request.getfixturevalue("postgres_keys")
    return result


async def test_an_added_key_is_found_by_its_hash_with_every_field(
    repository: ApiKeyRepository,
) -> None:
    key = api_key(
        "bob@example.com",
        scopes=frozenset({Scope.TRADING_READ, Scope.TRADING_WRITE, Scope.AGENT}),
        name="trading bot ✓",
    )
    await repository.add(key)

    assert await repository.get_by_hash(key.secret_hash) == key
    assert await repository.get_by_hash("0" * 64) is None


async def test_list_is_oldest_first_and_filters_by_user(repository: ApiKeyRepository) -> None:
    newest = api_key("alice", created_at=T0 + timedelta(minutes=5))
    oldest = api_key("alice", created_at=T0 - timedelta(days=1))
    bobs = api_key("bob", created_at=T0)
    for key in (newest, bobs, oldest):
        await repository.add(key)

    assert await listed(repository, None) == [oldest, bobs, newest]
    assert await listed(repository, "alice") == [oldest, newest]
    assert await listed(repository, "bob") == [bobs]
    assert await listed(repository, "carol") == []


async def test_keys_created_at_the_same_instant_list_by_id(repository: ApiKeyRepository) -> None:
    second = api_key(key_id="b" * 32)
    first = api_key(key_id="a" * 32)
    await repository.add(second)
    await repository.add(first)

    assert await listed(repository, None) == [first, second]


async def test_revoke_keeps_the_first_revocation_time(repository: ApiKeyRepository) -> None:
    key = api_key()
    await repository.add(key)
    first = T0 + timedelta(hours=1)

    revoked = await repository.revoke(key.key_id, first)
    again = await repository.revoke(key.key_id, first + timedelta(hours=1))

    assert revoked is not None
    assert revoked.revoked_at == first
    assert not revoked.active
    assert again == revoked
    stored = await repository.get_by_hash(key.secret_hash)
    assert stored is not None
    assert stored.revoked_at == first
    assert await listed(repository, None) == [revoked]


async def test_revoking_an_unknown_id_is_none_and_touches_nothing(
    repository: ApiKeyRepository,
) -> None:
    key = api_key()
    await repository.add(key)

    assert await repository.revoke("no-such-key", T0) is None
    assert await repository.get_by_hash(key.secret_hash) == key


async def test_count_includes_revoked_keys(repository: ApiKeyRepository) -> None:
    assert await repository.count() == 0
    first, second = api_key(), api_key("bob")
    await repository.add(first)
    await repository.add(second)
    await repository.revoke(first.key_id, T0)

    assert await repository.count() == 2


async def test_a_creation_time_in_another_zone_is_the_same_instant(
    repository: ApiKeyRepository,
) -> None:
    key = api_key(created_at=T0.astimezone(timezone(timedelta(hours=11))))
    await repository.add(key)

    stored = await repository.get_by_hash(key.secret_hash)
    assert stored is not None
    assert stored.created_at == T0


@pytest.mark.postgres
async def test_an_unreachable_database_is_storage_unavailable(tmp_path: Path) -> None:
    url = f"postgresql://postgres:secret@/postgres?host={tmp_path}&connect_timeout=2"
    engine = create_engine(url)
    repository = PostgresApiKeyRepository(engine)
    try:
        calls = [
            repository.add(api_key()),
            repository.get_by_hash("x"),
            repository.list(None, PageRequest(10)),
            repository.revoke("x", T0),
            repository.count(),
        ]
        for call in calls:
            with pytest.raises(StorageUnavailable) as raised:
                await call
            assert "secret" not in str(raised.value)
            assert str(tmp_path) not in str(raised.value)
    finally:
        await engine.dispose()
