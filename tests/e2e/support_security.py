"""A secured in-process server for the security e2e suites: the ledger and admin services
behind the real AuthInterceptor and LimitsInterceptor, API keys peppered from a known
secret, over memory or Postgres key storage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from google.rpc import error_details_pb2
from grpc import aio
from grpc_status import rpc_status

from omc.adapters.grpc.admin_servicer import admin_binding
from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.limits import LimitsInterceptor
from omc.adapters.grpc.server import GrpcServer, ServiceBinding, ledger_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.secrets.environment import StaticSecrets
from omc.application.fanout import PriceTickFanout
from omc.application.keys import PEPPER_SECRET, ApiKeys, Authenticator, KeyHasher
from omc.application.ledger import LedgerUseCases
from omc.application.ports import ApiKeyRepository, LedgerRepositories
from omc.application.rate_limit import RateLimiter
from omc.v1 import admin_pb2_grpc, ledger_pb2_grpc

PEPPER = "pepper-3f9c1d7e-never-in-a-log"  # a test's known secret
BOUNDED = 10.0  # seconds: a generous bound on waits, never a timing assertion


def bearer(key: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {key}"),)


def details(error: aio.AioRpcError, kind: type) -> list:  # type: ignore[type-arg]
    status = rpc_status.from_call(error)
    assert status is not None, "the error must carry google.rpc.Status details"
    found = []
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            message = kind()
            detail.Unpack(message)
            found.append(message)
    return found


def reason(error: aio.AioRpcError) -> str:
    [info] = details(error, error_details_pb2.ErrorInfo)
    return str(info.reason)


@dataclass
class Secured:
    server: GrpcServer
    channel: aio.Channel
    api_keys: ApiKeys
    ledger: ledger_pb2_grpc.LedgerServiceStub
    admin: admin_pb2_grpc.AdminServiceStub
    port: int
    extra_channels: list[aio.Channel] = field(default_factory=list)

    async def key(self, *scopes: str, user: str = "alice", name: str = "") -> str:
        created = await self.api_keys.create(user, list(scopes), name)
        return created.plaintext

    async def close(self) -> None:
        for channel in (self.channel, *self.extra_channels):
            await channel.close()
        await self.server.stop(0)


def key_tools(keys: ApiKeyRepository, pepper: str = PEPPER) -> tuple[ApiKeys, Authenticator]:
    hasher = KeyHasher(StaticSecrets({PEPPER_SECRET: pepper}))
    return ApiKeys(keys, hasher, SystemClock()), Authenticator(keys, hasher)


async def serve_secured(
    repositories: LedgerRepositories,
    fanout: PriceTickFanout,
    keys: ApiKeyRepository,
    *,
    rate_limiter: RateLimiter | None = None,
    deadline_seconds: float | None = 30.0,
    extra_services: Sequence[ServiceBinding] = (),
    auth: AuthInterceptor | None = None,
    max_message_bytes: int | None = None,
    max_batch: int = 10_000,
    max_page_size: int = 1_000,
) -> Secured:
    api_keys, authenticator = key_tools(keys)
    use_cases = LedgerUseCases.build(
        repositories, fanout, SystemClock(), max_batch=max_batch, max_page_size=max_page_size
    )
    sizes = (
        {}
        if max_message_bytes is None
        else {
            "max_receive_message_bytes": max_message_bytes,
            "max_send_message_bytes": max_message_bytes,
        }
    )
    server = GrpcServer(
        [ledger_binding(use_cases), admin_binding(api_keys), *extra_services],
        interceptors=[
            auth if auth is not None else AuthInterceptor(authenticator),
            LimitsInterceptor(rate_limiter, deadline_seconds),
        ],
        **sizes,
    )
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    return Secured(
        server,
        channel,
        api_keys,
        ledger_pb2_grpc.LedgerServiceStub(channel),
        admin_pb2_grpc.AdminServiceStub(channel),
        port,
    )


async def eventually(condition: object, within: float = BOUNDED) -> None:
    """Polls an async predicate until it holds; fails after `within` seconds. Polling:
    what is awaited (a cache expiring, a subscription) offers no event to wait on."""

    async def poll() -> None:
        while not await condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), within)
