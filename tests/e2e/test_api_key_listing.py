"""End to end: ListApiKeys pages (AIP-158) through a real channel to the secured server,
over memory and Postgres key storage."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc import aio

from omc.domain.access import Scope
from omc.v1 import admin_pb2
from tests.e2e.support_security import Secured, bearer, details
from tests.e2e.test_security import (  # noqa: F401 (fixtures used by name)
    key_repository,
    postgres_api_keys,
    secured,
)

Metadata = tuple[tuple[str, str]]


async def walk(
    secured: Secured,  # noqa: F811 (the shared fixture imported above)
    admin: Metadata,
    user_id: str,
    page_size: int,
) -> list[list[admin_pb2.ApiKey]]:
    pages: list[list[admin_pb2.ApiKey]] = []
    token = ""
    while True:
        response = await secured.admin.ListApiKeys(
            admin_pb2.ListApiKeysRequest(user_id=user_id, page_size=page_size, page_token=token),
            metadata=admin,
        )
        pages.append(list(response.api_keys))
        token = response.next_page_token
        if not token:
            return pages


async def invalid_fields(call: object) -> list[str]:
    with pytest.raises(aio.AioRpcError) as raised:
        await call  # type: ignore[misc]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [bad_request] = details(raised.value, error_details_pb2.BadRequest)
    return [violation.field for violation in bad_request.field_violations]


async def test_25_keys_walk_in_pages_of_10_oldest_first(
    secured: Secured,  # noqa: F811 (the shared fixture imported above)
) -> None:
    admin = bearer(await secured.key(Scope.ADMIN.value, user="root"))
    created = [(await secured.api_keys.create("walker", ["ledger:read"])).key for _ in range(25)]
    await secured.admin.RevokeApiKey(
        admin_pb2.RevokeApiKeyRequest(key_id=created[12].key_id), metadata=admin
    )
    expected = [key.key_id for key in sorted(created, key=lambda k: (k.created_at, k.key_id))]

    walker = await walk(secured, admin, "walker", 10)
    everyone = await walk(secured, admin, "", 10)

    assert [len(page) for page in walker] == [10, 10, 5]
    assert [key.key_id for page in walker for key in page] == expected
    assert [key.key_id for page in walker for key in page if key.HasField("revoked_at")] == [
        created[12].key_id
    ]
    assert [len(page) for page in everyone] == [10, 10, 6]
    assert everyone[0][0].user_id == "root"
    assert [key.key_id for page in everyone for key in page][1:] == expected


async def test_bad_page_requests_are_invalid_argument_naming_the_field(
    secured: Secured,  # noqa: F811 (the shared fixture imported above)
) -> None:
    admin = bearer(await secured.key(Scope.ADMIN.value, user="root"))
    for _ in range(3):
        await secured.api_keys.create("walker", ["ledger:read"])
    first = await secured.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(user_id="walker", page_size=1), metadata=admin
    )
    assert first.next_page_token

    other_filter = secured.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(user_id="root", page_token=first.next_page_token),
        metadata=admin,
    )
    garbage = secured.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(page_token="not-a-token"), metadata=admin
    )
    negative = secured.admin.ListApiKeys(admin_pb2.ListApiKeysRequest(page_size=-1), metadata=admin)

    assert await invalid_fields(other_filter) == ["page_token"]
    assert await invalid_fields(garbage) == ["page_token"]
    assert await invalid_fields(negative) == ["page_size"]
