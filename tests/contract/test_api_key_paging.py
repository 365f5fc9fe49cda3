"""ListApiKeys paging (AIP-158) over the in-memory key store and Postgres: the use case's
tokens and sizes on top of the repository's keyset pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from omc.adapters.memory.clock import FixedClock
from omc.adapters.secrets.environment import StaticSecrets
from omc.application.errors import InvalidArgument
from omc.application.keys import PEPPER_SECRET, ApiKeys, KeyHasher
from omc.application.paging import encode_page_token, filter_fingerprint
from omc.application.ports import ApiKeyRepository
from omc.domain.access import ApiKey
from tests.contract.test_api_key_repository import (  # noqa: F401 (fixtures used by name)
    T0,
    api_key,
    postgres_keys,
    repository,
)


def use_cases(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
    max_page_size: int = 1_000,
) -> ApiKeys:
    hasher = KeyHasher(StaticSecrets({PEPPER_SECRET: "pepper"}))
    return ApiKeys(repository, hasher, FixedClock(T0), max_page_size=max_page_size)


async def add_keys(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
    count: int,
    user_id: str = "alice",
) -> list[ApiKey]:
    """`count` keys, three to a creation instant so ties are ordered by key_id; returned in
    the listing order."""
    keys = [
        api_key(user_id, created_at=T0 + timedelta(seconds=i // 3), key_id=uuid.uuid4().hex)
        for i in range(count)
    ]
    for key in reversed(keys):
        await repository.add(key)
    return sorted(keys, key=lambda k: (k.created_at, k.key_id))


async def walk(keys: ApiKeys, user_id: str | None, page_size: int) -> list[list[ApiKey]]:
    pages: list[list[ApiKey]] = []
    token = ""
    while True:
        page = await keys.list_page(user_id, page_size=page_size, page_token=token)
        pages.append(page.items)
        token = page.next_page_token
        if not token:
            return pages


async def test_25_keys_in_pages_of_10_walk_every_key_once_in_order(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    expected = await add_keys(repository, 25)

    pages = await walk(use_cases(repository), None, 10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [key for page in pages for key in page] == expected


async def test_a_user_filter_pages_only_that_users_keys(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    alices = await add_keys(repository, 25, "alice")
    await add_keys(repository, 12, "bob")

    pages = await walk(use_cases(repository), "alice", 10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [key for page in pages for key in page] == alices


async def test_an_exact_multiple_ends_without_an_empty_page(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    expected = await add_keys(repository, 20)

    pages = await walk(use_cases(repository), None, 10)

    assert [key for page in pages for key in page] == expected
    assert [len(page) for page in pages] == [10, 10]


async def test_keys_added_during_a_walk_never_repeat_or_skip_the_others(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    expected = await add_keys(repository, 25)
    keys = use_cases(repository)

    first = await keys.list_page(page_size=10)
    older = api_key(created_at=T0 - timedelta(days=1))
    newer = api_key(created_at=T0 + timedelta(days=1))
    await repository.add(older)
    await repository.add(newer)
    rest = await walk_from(keys, first.next_page_token, 10)

    listed = first.items + rest
    assert listed == [*expected, newer]
    assert len({key.key_id for key in listed}) == len(listed)


async def walk_from(keys: ApiKeys, token: str, page_size: int) -> list[ApiKey]:
    items: list[ApiKey] = []
    while token:
        page = await keys.list_page(page_size=page_size, page_token=token)
        items.extend(page.items)
        token = page.next_page_token
    return items


async def test_revoked_keys_are_listed_with_their_revocation(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    expected = await add_keys(repository, 25)
    keys = use_cases(repository)
    first = await keys.list_page(page_size=10)
    revoked = expected[15]
    await repository.revoke(revoked.key_id, T0 + timedelta(hours=1))

    listed = first.items + await walk_from(keys, first.next_page_token, 10)

    assert [key.key_id for key in listed] == [key.key_id for key in expected]
    assert [key.revoked_at for key in listed if key.revoked_at is not None] == [
        T0 + timedelta(hours=1)
    ]


async def test_zero_means_the_default_and_sizes_are_capped(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    await add_keys(repository, 120)

    default = await use_cases(repository).list_page()
    capped = await use_cases(repository, max_page_size=7).list_page(page_size=50)

    assert len(default.items) == 100
    assert default.next_page_token
    assert len(capped.items) == 7


async def test_list_follows_every_page(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    expected = await add_keys(repository, 25)

    assert await use_cases(repository, max_page_size=10).list() == expected


def _violated_fields(error: pytest.ExceptionInfo[InvalidArgument]) -> list[str]:
    return [violation.field for violation in error.value.violations]


async def test_a_token_used_with_another_filter_is_invalid(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    await add_keys(repository, 12, "alice")
    await add_keys(repository, 12, "bob")
    keys = use_cases(repository)
    alices = await keys.list_page("alice", page_size=10)
    everyones = await keys.list_page(None, page_size=10)

    with pytest.raises(InvalidArgument) as for_bob:
        await keys.list_page("bob", page_size=10, page_token=alices.next_page_token)
    with pytest.raises(InvalidArgument) as for_everyone:
        await keys.list_page(None, page_size=10, page_token=alices.next_page_token)
    with pytest.raises(InvalidArgument) as for_alice:
        await keys.list_page("alice", page_size=10, page_token=everyones.next_page_token)

    for raised in (for_bob, for_everyone, for_alice):
        assert _violated_fields(raised) == ["page_token"]


@pytest.mark.parametrize("token", ["garbage", "!!!", "eyJmIjoxfQ", "e30", "W10"])
async def test_a_garbage_token_is_invalid(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
    token: str,
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await use_cases(repository).list_page(page_token=token)

    assert _violated_fields(raised) == ["page_token"]


async def test_a_negative_page_size_is_invalid(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await use_cases(repository).list_page(page_size=-1)

    assert _violated_fields(raised) == ["page_size"]


async def test_a_hand_made_token_for_the_right_filter_but_a_wrong_position_is_invalid(
    repository: ApiKeyRepository,  # noqa: F811 (the shared fixture imported above)
) -> None:
    fingerprint = filter_fingerprint("api_keys", [], False)
    tokens = [
        encode_page_token(fingerprint, ("x",)),
        encode_page_token(fingerprint, ("not a time", "k")),
        encode_page_token(fingerprint, (T0, 7)),
    ]

    for token in tokens:
        with pytest.raises(InvalidArgument) as raised:
            await use_cases(repository).list_page(page_token=token)
        assert _violated_fields(raised) == ["page_token"]
