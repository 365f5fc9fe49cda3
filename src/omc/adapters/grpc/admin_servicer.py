"""omc.v1.AdminService: API key management for operators (scope `admin`).

Admin actions are logged with the acting principal and the key's id, never the key.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import structlog
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.server import ServiceBinding
from omc.application.keys import ApiKeys
from omc.domain.access import ApiKey
from omc.v1 import admin_pb2 as pb
from omc.v1 import admin_pb2_grpc

ADMIN_SERVICE = pb.DESCRIPTOR.services_by_name["AdminService"].full_name

Context: TypeAlias = aio.ServicerContext[Any, Any]

_log = structlog.get_logger("omc.admin")


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, api_keys: ApiKeys) -> None:
        self._api_keys = api_keys

    async def CreateApiKey(
        self, request: pb.CreateApiKeyRequest, context: Context
    ) -> pb.CreateApiKeyResponse:
        actor = current_principal()
        created = await self._api_keys.create(request.user_id, list(request.scopes), request.name)
        _log.info(
            "admin.api_key_created",
            actor=actor.user_id,
            actor_key_id=actor.key_id,
            key_id=created.key.key_id,
            user_id=created.key.user_id,
            scopes=sorted(scope.value for scope in created.key.scopes),
        )
        return pb.CreateApiKeyResponse(api_key=api_key_to_proto(created.key), key=created.plaintext)

    async def ListApiKeys(
        self, request: pb.ListApiKeysRequest, context: Context
    ) -> pb.ListApiKeysResponse:
        page = await self._api_keys.list_page(
            request.user_id.strip() or None,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListApiKeysResponse(
            api_keys=[api_key_to_proto(key) for key in page.items],
            next_page_token=page.next_page_token,
        )

    async def RevokeApiKey(
        self, request: pb.RevokeApiKeyRequest, context: Context
    ) -> pb.RevokeApiKeyResponse:
        actor = current_principal()
        revoked = await self._api_keys.revoke(request.key_id)
        _log.info(
            "admin.api_key_revoked",
            actor=actor.user_id,
            actor_key_id=actor.key_id,
            key_id=revoked.key_id,
            user_id=revoked.user_id,
        )
        return pb.RevokeApiKeyResponse(api_key=api_key_to_proto(revoked))


def api_key_to_proto(key: ApiKey) -> pb.ApiKey:
    """Metadata only: the secret hash never leaves the server."""
    message = pb.ApiKey(
        key_id=key.key_id,
        user_id=key.user_id,
        name=key.name,
        scopes=sorted(scope.value for scope in key.scopes),
        created_at=_timestamp(key.created_at),
    )
    if key.revoked_at is not None:
        message.revoked_at.CopyFrom(_timestamp(key.revoked_at))
    return message


def _timestamp(value: Any) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def admin_binding(api_keys: ApiKeys) -> ServiceBinding:
    servicer = AdminServicer(api_keys)
    return ServiceBinding(
        ADMIN_SERVICE,
        lambda server: admin_pb2_grpc.add_AdminServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
    )
