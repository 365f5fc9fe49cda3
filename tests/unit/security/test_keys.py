from __future__ import annotations

from datetime import UTC, datetime

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.secrets.environment import StaticSecrets
from omc.application.errors import ValidationError
from omc.application.keys import (
    ApiKeys,
    Authenticator,
    KeyHasher,
    KeyNotFound,
    MissingPepper,
    PermissionDenied,
    Unauthenticated,
)
from omc.application.ports import PageRequest
from omc.domain.access import Scope

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class Ticker:
    """A hand-driven monotonic clock for cache expiry."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def repository() -> MemoryApiKeyRepository:
    return MemoryApiKeyRepository()


@pytest.fixture
def hasher() -> KeyHasher:
    return KeyHasher(StaticSecrets({"api_key_pepper": "pepper-for-tests"}))


@pytest.fixture
def keys(repository: MemoryApiKeyRepository, hasher: KeyHasher) -> ApiKeys:
    return ApiKeys(repository, hasher, FixedClock(NOW))


async def test_created_key_is_shown_once_and_stored_only_as_a_hash(
    keys: ApiKeys, repository: MemoryApiKeyRepository
) -> None:
    created = await keys.create("alice", ["ledger:read"], name="laptop")
    assert created.plaintext.startswith("omc_")
    assert len(created.plaintext) >= 4 + 43
    [stored] = (await repository.list(None, PageRequest(10))).items
    assert created.plaintext not in repr(stored)
    assert stored.secret_hash != created.plaintext
    assert stored.scopes == frozenset({Scope.LEDGER_READ})


async def test_two_keys_never_collide(keys: ApiKeys) -> None:
    first = await keys.create("alice", ["ledger:read"])
    second = await keys.create("alice", ["ledger:read"])
    assert first.plaintext != second.plaintext
    assert first.key.secret_hash != second.key.secret_hash


async def test_bad_requests_list_every_problem(keys: ApiKeys) -> None:
    with pytest.raises(ValidationError) as raised:
        await keys.create(" ", ["ledger:read", "root", "everything"])
    assert [v.field for v in raised.value.violations] == ["user_id", "scopes[1]", "scopes[2]"]
    with pytest.raises(ValidationError):
        await keys.create("alice", [])


async def test_authenticate_and_scopes(
    keys: ApiKeys, repository: MemoryApiKeyRepository, hasher: KeyHasher
) -> None:
    created = await keys.create("alice", ["ledger:read"])
    auth = Authenticator(repository, hasher)
    principal = await auth.authenticate(created.plaintext)
    assert principal.user_id == "alice"
    Authenticator.require(principal, Scope.LEDGER_READ)
    with pytest.raises(PermissionDenied, match="ledger:write"):
        Authenticator.require(principal, Scope.LEDGER_WRITE)


async def test_admin_may_do_everything(
    keys: ApiKeys, repository: MemoryApiKeyRepository, hasher: KeyHasher
) -> None:
    created = await keys.ensure_bootstrap_admin()
    assert created is not None
    principal = await Authenticator(repository, hasher).authenticate(created.plaintext)
    for scope in Scope:
        Authenticator.require(principal, scope)
    assert await keys.ensure_bootstrap_admin() is None  # only on an empty key table


@pytest.mark.parametrize("presented", [None, "", "Bearer x", "omc_short", "omc_" + "A" * 43])
async def test_missing_malformed_or_unknown_keys_are_unauthenticated(
    repository: MemoryApiKeyRepository, hasher: KeyHasher, presented: str | None
) -> None:
    with pytest.raises(Unauthenticated):
        await Authenticator(repository, hasher).authenticate(presented)


async def test_revocation_is_honoured_once_the_cache_expires(
    keys: ApiKeys, repository: MemoryApiKeyRepository, hasher: KeyHasher
) -> None:
    created = await keys.create("alice", ["ledger:read"])
    ticker = Ticker()
    auth = Authenticator(repository, hasher, cache_seconds=2.0, monotonic=ticker)
    await auth.authenticate(created.plaintext)
    revoked = await keys.revoke(created.key.key_id)
    assert revoked.revoked_at == NOW
    ticker.now = 2.0
    with pytest.raises(Unauthenticated):
        await auth.authenticate(created.plaintext)


async def test_revoking_an_unknown_key(keys: ApiKeys) -> None:
    with pytest.raises(KeyNotFound):
        await keys.revoke("nope")


async def test_without_a_pepper_nothing_is_hashed(repository: MemoryApiKeyRepository) -> None:
    keys = ApiKeys(repository, KeyHasher(StaticSecrets({})), FixedClock(NOW))
    with pytest.raises(MissingPepper):
        await keys.create("alice", ["ledger:read"])
