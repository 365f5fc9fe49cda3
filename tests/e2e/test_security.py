"""End to end: API keys, scopes, the AdminService, rate limits, deadlines and size limits,
through real channels to an in-process server behind the real interceptors.

The auth suite runs over memory and Postgres (ledger and key storage both)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.principal import current_principal
from omc.adapters.grpc.scopes import RPC_SCOPES
from omc.adapters.grpc.server import ServiceBinding
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.memory.repositories import memory_repositories
from omc.adapters.postgres.keys import PostgresApiKeyRepository
from omc.application.fanout import PriceTickFanout
from omc.application.ports import ApiKeyRepository, RecordStats
from omc.application.rate_limit import RateLimiter
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.access import Scope
from omc.v1 import admin_pb2, admin_pb2_grpc, ledger_pb2, ledger_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import (
    BOUNDED,
    Secured,
    bearer,
    details,
    eventually,
    key_tools,
    reason,
    serve_secured,
)

BASE = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
async def postgres_api_keys(postgres_engine: AsyncEngine) -> ApiKeyRepository:
    async with postgres_engine.begin() as connection:
        await connection.execute(text("TRUNCATE api_keys"))
    return PostgresApiKeyRepository(postgres_engine)


@pytest.fixture
def key_repository(storage: Storage, request: pytest.FixtureRequest) -> ApiKeyRepository:
    """Key storage of the same kind as the ledger storage of this run."""
    if storage.name == "memory":
        return MemoryApiKeyRepository()
    result: ApiKeyRepository = request.getfixturevalue("postgres_api_keys")
    return result


@pytest.fixture
async def secured(storage: Storage, key_repository: ApiKeyRepository) -> AsyncIterator[Secured]:
    served = await serve_secured(storage.repositories, storage.fanout, key_repository)
    try:
        yield served
    finally:
        await served.close()


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _tick(symbol: str, minutes: int = 0, source: str = "fixture") -> ledger_pb2.PriceTick:
    return ledger_pb2.PriceTick(
        symbol=symbol,
        quote="AUD",
        source=source,
        last="100.5",
        observed_at=_ts(BASE + timedelta(minutes=minutes)),
    )


def _symbol() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


async def _code(call: Any) -> grpc.StatusCode:
    try:
        await call
    except aio.AioRpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    return grpc.StatusCode.OK


# --- authentication and scopes ----------------------------------------------------------


async def test_a_call_without_a_key_is_unauthenticated(secured: Secured) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await secured.ledger.GetLatestPrices(ledger_pb2.GetLatestPricesRequest())

    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer" in (raised.value.details() or "")
    assert reason(raised.value) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer omc_" + "A" * 43,  # well formed, never issued
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "omc_" + "A" * 43,  # no scheme
    ],
    ids=["unknown", "malformed", "basic", "empty", "no-scheme"],
)
async def test_an_unknown_or_malformed_key_is_unauthenticated(
    secured: Secured, header: str
) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await secured.ledger.GetLatestPrices(
            ledger_pb2.GetLatestPricesRequest(), metadata=(("authorization", header),)
        )

    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
    # The presented value is never echoed back.
    presented = header.split()[-1]
    assert len(presented) < 12 or presented not in (raised.value.details() or "")


async def test_a_read_key_reads_but_may_not_ingest(secured: Secured) -> None:
    key = await secured.key(Scope.LEDGER_READ.value, user="reader")
    symbol = _symbol()

    latest = await secured.ledger.GetLatestPrices(
        ledger_pb2.GetLatestPricesRequest(symbols=[symbol]), metadata=bearer(key)
    )
    with pytest.raises(aio.AioRpcError) as raised:
        await secured.ledger.IngestPriceTicks(
            ledger_pb2.IngestPriceTicksRequest(ticks=[_tick(symbol)]), metadata=bearer(key)
        )

    assert list(latest.ticks) == []
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "ledger:write" in (raised.value.details() or "")
    assert reason(raised.value) == "PERMISSION_DENIED"
    stats = await secured.ledger.GetLedgerStats(
        ledger_pb2.GetLedgerStatsRequest(), metadata=bearer(key)
    )
    assert {s.record_type: s.count for s in stats.stats}.get("price_ticks", 0) == 0


async def test_a_write_key_without_read_may_ingest_but_not_list(secured: Secured) -> None:
    key = await secured.key(Scope.LEDGER_WRITE.value, user="writer")

    ingested = await secured.ledger.IngestPriceTicks(
        ledger_pb2.IngestPriceTicksRequest(ticks=[_tick(_symbol())]), metadata=bearer(key)
    )
    code = await _code(
        secured.ledger.ListPriceTicks(ledger_pb2.ListPriceTicksRequest(), metadata=bearer(key))
    )

    assert ingested.inserted == 1
    assert code is grpc.StatusCode.PERMISSION_DENIED


async def test_a_stream_needs_a_key_too(secured: Secured) -> None:
    anonymous = secured.ledger.WatchPrices(ledger_pb2.WatchPricesRequest())
    with pytest.raises(aio.AioRpcError) as raised:
        await asyncio.wait_for(anonymous.read(), BOUNDED)
    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED

    writer = await secured.key(Scope.LEDGER_WRITE.value, user="writer")
    denied = secured.ledger.WatchPrices(ledger_pb2.WatchPricesRequest(), metadata=bearer(writer))
    with pytest.raises(aio.AioRpcError) as raised:
        await asyncio.wait_for(denied.read(), BOUNDED)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_health_and_reflection_stay_open(secured: Secured) -> None:
    health = health_pb2_grpc.HealthStub(secured.channel)
    reflection = reflection_pb2_grpc.ServerReflectionStub(secured.channel)

    checked = await health.Check(health_pb2.HealthCheckRequest(service=""))
    call = reflection.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = await asyncio.wait_for(call.read(), BOUNDED)
    await call.done_writing()

    assert checked.status == health_pb2.HealthCheckResponse.SERVING
    names = {service.name for service in listed.list_services_response.service}
    assert {"omc.v1.LedgerService", "omc.v1.AdminService"} <= names


async def test_an_admin_key_may_call_everything(secured: Secured) -> None:
    admin = bearer(await secured.key(Scope.ADMIN.value, user="root"))
    symbol = _symbol()

    ingested = await secured.ledger.IngestPriceTicks(
        ledger_pb2.IngestPriceTicksRequest(ticks=[_tick(symbol)]), metadata=admin
    )
    listed = await secured.ledger.ListPriceTicks(
        ledger_pb2.ListPriceTicksRequest(symbols=[symbol]), metadata=admin
    )
    keys = await secured.admin.ListApiKeys(admin_pb2.ListApiKeysRequest(), metadata=admin)

    assert ingested.inserted == 1
    assert [tick.symbol for tick in listed.ticks] == [symbol]
    assert [key.user_id for key in keys.api_keys] == ["root"]


async def test_a_revoked_key_stops_working_within_five_seconds_on_every_replica(
    storage: Storage, key_repository: ApiKeyRepository
) -> None:
    # Two servers over one key store stand for two replicas over one database.
    first = await serve_secured(storage.repositories, storage.fanout, key_repository)
    second = await serve_secured(storage.repositories, storage.fanout, key_repository)
    try:
        admin = bearer(await first.key(Scope.ADMIN.value, user="root"))
        created = await first.admin.CreateApiKey(
            admin_pb2.CreateApiKeyRequest(user_id="carol", scopes=["ledger:read"]),
            metadata=admin,
        )
        reader = bearer(created.key)
        request = ledger_pb2.GetLatestPricesRequest()
        # Both replicas have the key in their authentication cache now.
        await first.ledger.GetLatestPrices(request, metadata=reader)
        await second.ledger.GetLatestPrices(request, metadata=reader)

        await first.admin.RevokeApiKey(
            admin_pb2.RevokeApiKeyRequest(key_id=created.api_key.key_id), metadata=admin
        )

        async def refused_everywhere() -> bool:
            codes = [
                await _code(replica.ledger.GetLatestPrices(request, metadata=reader))
                for replica in (first, second)
            ]
            return codes == [grpc.StatusCode.UNAUTHENTICATED] * 2

        # The promise is 5 s; the authentication cache holds entries for 2 s.
        await eventually(refused_everywhere, within=5.0)
    finally:
        await first.close()
        await second.close()


# --- the AdminService -------------------------------------------------------------------


async def test_admin_service_creates_lists_and_revokes_keys(secured: Secured) -> None:
    admin = bearer(await secured.key(Scope.ADMIN.value, user="root"))

    created = await secured.admin.CreateApiKey(
        admin_pb2.CreateApiKeyRequest(
            user_id="dave", scopes=["ledger:write", "LEDGER:READ"], name="ingest worker"
        ),
        metadata=admin,
    )
    works = await secured.ledger.GetLatestPrices(
        ledger_pb2.GetLatestPricesRequest(), metadata=bearer(created.key)
    )
    listed = await secured.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(user_id="dave"), metadata=admin
    )
    everyone = await secured.admin.ListApiKeys(admin_pb2.ListApiKeysRequest(), metadata=admin)
    revoked = await secured.admin.RevokeApiKey(
        admin_pb2.RevokeApiKeyRequest(key_id=created.api_key.key_id), metadata=admin
    )
    again = await secured.admin.RevokeApiKey(
        admin_pb2.RevokeApiKeyRequest(key_id=created.api_key.key_id), metadata=admin
    )

    assert created.key.startswith("omc_")
    assert len(created.key) >= 4 + 43
    assert created.api_key.user_id == "dave"
    assert created.api_key.name == "ingest worker"
    assert list(created.api_key.scopes) == ["ledger:read", "ledger:write"]
    assert created.api_key.HasField("created_at")
    assert not created.api_key.HasField("revoked_at")
    assert works is not None
    assert [key.key_id for key in listed.api_keys] == [created.api_key.key_id]
    assert {key.user_id for key in everyone.api_keys} == {"root", "dave"}
    # Lists never carry a secret: neither the key nor (through any field) its hash.
    stored = [key async for key in _stored(secured)]
    wire = listed.SerializeToString() + everyone.SerializeToString()
    assert created.key.encode() not in wire
    assert all(key.secret_hash.encode() not in wire for key in stored)
    assert revoked.api_key.HasField("revoked_at")
    assert again.api_key.revoked_at == revoked.api_key.revoked_at


async def _stored(secured: Secured) -> AsyncIterator[Any]:
    for key in await secured.api_keys.list():
        yield key


async def test_admin_service_rejects_bad_requests_with_field_violations(
    secured: Secured,
) -> None:
    admin = bearer(await secured.key(Scope.ADMIN.value, user="root"))

    with pytest.raises(aio.AioRpcError) as bad:
        await secured.admin.CreateApiKey(
            admin_pb2.CreateApiKeyRequest(user_id=" ", scopes=["ledger:read", "root"]),
            metadata=admin,
        )
    with pytest.raises(aio.AioRpcError) as missing:
        await secured.admin.RevokeApiKey(
            admin_pb2.RevokeApiKeyRequest(key_id="no-such-key"), metadata=admin
        )

    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    [bad_request] = details(bad.value, error_details_pb2.BadRequest)
    assert {v.field for v in bad_request.field_violations} == {"user_id", "scopes[1]"}
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert reason(missing.value) == "KEY_NOT_FOUND"
    assert len(await secured.api_keys.list()) == 1


@pytest.mark.parametrize("scope", [s.value for s in Scope if s is not Scope.ADMIN])
async def test_only_admin_keys_may_manage_keys(secured: Secured, scope: str) -> None:
    key = bearer(await secured.key(scope, user="eve"))

    codes = [
        await _code(
            secured.admin.CreateApiKey(
                admin_pb2.CreateApiKeyRequest(user_id="eve", scopes=["admin"]), metadata=key
            )
        ),
        await _code(secured.admin.ListApiKeys(admin_pb2.ListApiKeysRequest(), metadata=key)),
        await _code(
            secured.admin.RevokeApiKey(admin_pb2.RevokeApiKeyRequest(key_id="x"), metadata=key)
        ),
    ]

    assert codes == [grpc.StatusCode.PERMISSION_DENIED] * 3
    assert [k.user_id for k in await secured.api_keys.list()] == ["eve"]


# --- logging ----------------------------------------------------------------------------


async def test_each_rpc_logs_one_line_with_the_principal_and_admin_actions_name_the_actor(
    secured: Secured,
) -> None:
    admin_key = await secured.key(Scope.ADMIN.value, user="root")
    reader_key = await secured.key(Scope.LEDGER_READ.value, user="reader")

    # merge_contextvars, as configure_logging has it first: the principal is bound there.
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        created = await secured.admin.CreateApiKey(
            admin_pb2.CreateApiKeyRequest(user_id="frank", scopes=["agent"]),
            metadata=bearer(admin_key),
        )
        await _code(secured.ledger.GetLedgerStats(ledger_pb2.GetLedgerStatsRequest()))
        await _code(
            secured.ledger.IngestPriceTicks(
                ledger_pb2.IngestPriceTicksRequest(), metadata=bearer(reader_key)
            )
        )

    rpc_lines = [line for line in logs if line["event"] == "rpc"]
    assert [(line["method"], line["grpc_code"]) for line in rpc_lines] == [
        ("/omc.v1.AdminService/CreateApiKey", "OK"),
        ("/omc.v1.LedgerService/GetLedgerStats", "UNAUTHENTICATED"),
        ("/omc.v1.LedgerService/IngestPriceTicks", "PERMISSION_DENIED"),
    ]
    assert rpc_lines[0]["principal"] == "root"
    assert "principal" not in rpc_lines[1]
    assert rpc_lines[2]["principal"] == "reader"
    [action] = [line for line in logs if line["event"] == "admin.api_key_created"]
    assert (action["actor"], action["user_id"], action["key_id"]) == (
        "root",
        "frank",
        created.api_key.key_id,
    )
    for secret in (admin_key, reader_key, created.key):
        assert secret not in repr(logs)


# --- the principal reaches servicers of every shape ------------------------------------


def _identity(data: bytes) -> bytes:
    return data


def _who_am_i_binding(
    seen: list[str],
) -> ServiceBinding:
    """A test service of every call shape that reports current_principal()."""

    async def unary(request: bytes, context: Any) -> bytes:
        return current_principal().user_id.encode()

    async def server_stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
        for _ in range(2):
            yield current_principal().user_id.encode()

    async def client_stream(requests: AsyncIterator[bytes], context: Any) -> bytes:
        count = sum([1 async for _ in requests])
        return f"{current_principal().user_id}:{count}".encode()

    async def bidi(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
        async for request in requests:
            seen.append(current_principal().user_id)
            yield request + b":" + current_principal().user_id.encode()

    codecs = {"request_deserializer": _identity, "response_serializer": _identity}
    handler = grpc.method_handlers_generic_handler(
        "omc.test.WhoAmI",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary, **codecs),
            "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, **codecs),
            "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, **codecs),
            "Bidi": grpc.stream_stream_rpc_method_handler(bidi, **codecs),
            "Unlisted": grpc.unary_unary_rpc_method_handler(unary, **codecs),
        },
    )
    return ServiceBinding(
        "omc.test.WhoAmI", lambda server: server.add_generic_rpc_handlers((handler,))
    )


@dataclass
class WhoAmI:
    secured: Secured
    seen: list[str]

    def method(self, name: str, kind: str) -> Any:
        factory = getattr(self.secured.channel, kind)
        return factory(
            f"/omc.test.WhoAmI/{name}",
            request_serializer=_identity,
            response_deserializer=_identity,
        )


@pytest.fixture
async def who_am_i(memory_storage: Storage) -> AsyncIterator[WhoAmI]:
    keys = MemoryApiKeyRepository()
    _, authenticator = key_tools(keys)
    scopes = {
        **RPC_SCOPES,
        **{
            f"/omc.test.WhoAmI/{name}": Scope.AGENT
            for name in ("Unary", "ServerStream", "ClientStream", "Bidi")
        },
    }
    seen: list[str] = []
    served = await serve_secured(
        memory_storage.repositories,
        memory_storage.fanout,
        keys,
        extra_services=[_who_am_i_binding(seen)],
        auth=AuthInterceptor(authenticator, scopes),
    )
    try:
        yield WhoAmI(served, seen)
    finally:
        await served.close()


async def test_the_principal_is_set_for_every_call_shape(who_am_i: WhoAmI) -> None:
    key = bearer(await who_am_i.secured.key(Scope.AGENT.value, user="grace"))

    unary = await who_am_i.method("Unary", "unary_unary")(b"", metadata=key)
    streamed = [r async for r in who_am_i.method("ServerStream", "unary_stream")(b"", metadata=key)]

    async def requests() -> AsyncIterator[bytes]:
        for item in (b"a", b"b", b"c"):
            yield item

    counted = await who_am_i.method("ClientStream", "stream_unary")(requests(), metadata=key)
    chat = [r async for r in who_am_i.method("Bidi", "stream_stream")(requests(), metadata=key)]

    assert unary == b"grace"
    assert streamed == [b"grace", b"grace"]
    assert counted == b"grace:3"
    assert chat == [b"a:grace", b"b:grace", b"c:grace"]
    assert who_am_i.seen == ["grace"] * 3


async def test_a_stream_stream_call_without_a_key_never_reaches_the_servicer(
    who_am_i: WhoAmI,
) -> None:
    sent = asyncio.Event()

    async def requests() -> AsyncIterator[bytes]:
        # Holds its message until the server has answered: a message written while the
        # server rejects the call can fail on the client side first ("Internal error
        # from Core"), which says nothing about the server's answer.
        await sent.wait()
        yield b"a"

    call = who_am_i.method("Bidi", "stream_stream")(requests())
    with pytest.raises(aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), BOUNDED)
    sent.set()

    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert who_am_i.seen == []


async def test_an_rpc_missing_from_the_scope_table_is_refused_even_to_admin(
    who_am_i: WhoAmI,
) -> None:
    admin = bearer(await who_am_i.secured.key(Scope.ADMIN.value, user="root"))

    with capture_logs() as logs:
        code = await _code(who_am_i.method("Unlisted", "unary_unary")(b"", metadata=admin))

    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert any(
        line["event"] == "auth.rpc_without_scope"
        and line["method"] == "/omc.test.WhoAmI/Unlisted"
        and line["log_level"] == "error"
        for line in logs
    )


# --- limits -----------------------------------------------------------------------------


async def test_the_rate_limit_is_per_user_and_says_when_to_retry(
    memory_storage: Storage,
) -> None:
    # One token an hour after a burst of two: the third call cannot be lucky.
    limiter = RateLimiter(rate=1 / 3600, burst=2)
    served = await serve_secured(
        memory_storage.repositories,
        memory_storage.fanout,
        MemoryApiKeyRepository(),
        rate_limiter=limiter,
    )
    try:
        alice = bearer(await served.key("ledger:read", user="alice"))
        alice_again = bearer(await served.key("ledger:read", user="alice"))
        bob = bearer(await served.key("ledger:read", user="bob"))
        request = ledger_pb2.GetLedgerStatsRequest()
        health = health_pb2_grpc.HealthStub(served.channel)

        await served.ledger.GetLedgerStats(request, metadata=alice)
        await served.ledger.GetLedgerStats(request, metadata=alice)
        with pytest.raises(aio.AioRpcError) as raised:
            await served.ledger.GetLedgerStats(request, metadata=alice)
        # The limit is the user's, whichever of their keys they use.
        other_key = await _code(served.ledger.GetLedgerStats(request, metadata=alice_again))
        others = await _code(served.ledger.GetLedgerStats(request, metadata=bob))
        checks = [await health.Check(health_pb2.HealthCheckRequest()) for _ in range(5)]
    finally:
        await served.close()

    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "retry after" in (raised.value.details() or "")
    [retry] = details(raised.value, error_details_pb2.RetryInfo)
    assert retry.retry_delay.ToTimedelta() > timedelta(minutes=30)
    assert reason(raised.value) == "RATE_LIMITED"
    assert other_key is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert others is grpc.StatusCode.OK
    assert len(checks) == 5  # health is never rate-limited


class _GatedStats:
    """Price tick storage whose stats() waits for a gate that never opens, and records
    whether the server gave up on it (the call was cancelled)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def stats(self) -> RecordStats:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("unreachable")


async def _serve_gated(
    deadline_seconds: float | None,
) -> tuple[Secured, _GatedStats, Sequence[tuple[str, str]]]:
    fanout = PriceTickFanout()
    repositories = memory_repositories(fanout)
    gated = _GatedStats(repositories.price_ticks)
    served = await serve_secured(
        replace(repositories, price_ticks=gated),
        fanout,
        MemoryApiKeyRepository(),
        deadline_seconds=deadline_seconds,
    )
    return served, gated, bearer(await served.key("ledger:read"))


async def test_the_server_ends_a_unary_call_at_its_own_deadline() -> None:
    served, gated, key = await _serve_gated(deadline_seconds=0.2)
    try:
        # No client deadline: only the server's own bounds the call.
        with capture_logs() as logs, pytest.raises(aio.AioRpcError) as raised:
            await asyncio.wait_for(
                served.ledger.GetLedgerStats(ledger_pb2.GetLedgerStatsRequest(), metadata=key),
                BOUNDED,
            )
    finally:
        await served.close()

    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert "0.2s" in (raised.value.details() or "")
    assert reason(raised.value) == "SERVER_DEADLINE"
    assert gated.cancelled.is_set()
    [line] = [line for line in logs if line["event"] == "rpc"]
    assert line["grpc_code"] == "DEADLINE_EXCEEDED"


async def test_a_client_deadline_is_honoured_and_the_server_stops_working() -> None:
    served, gated, key = await _serve_gated(deadline_seconds=30.0)
    try:
        with pytest.raises(aio.AioRpcError) as raised:
            await served.ledger.GetLedgerStats(
                ledger_pb2.GetLedgerStatsRequest(), metadata=key, timeout=0.2
            )
        await asyncio.wait_for(gated.cancelled.wait(), BOUNDED)
    finally:
        await served.close()

    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert gated.started.is_set()


async def test_streams_have_no_server_deadline(memory_storage: Storage) -> None:
    served = await serve_secured(
        memory_storage.repositories,
        memory_storage.fanout,
        MemoryApiKeyRepository(),
        deadline_seconds=0.05,
    )
    try:
        key = await served.key("ledger:read", "ledger:write")
        symbol = _symbol()
        watch = served.ledger.WatchPrices(
            ledger_pb2.WatchPricesRequest(symbols=[symbol]), metadata=bearer(key)
        )
        await eventually(_subscribed(memory_storage.fanout))
        # Well past the unary deadline before anything arrives on the stream.
        await asyncio.sleep(0.2)
        await served.ledger.IngestPriceTicks(
            ledger_pb2.IngestPriceTicksRequest(ticks=[_tick(symbol)]), metadata=bearer(key)
        )
        received = await asyncio.wait_for(watch.read(), BOUNDED)
        watch.cancel()
    finally:
        await served.close()

    assert received.tick.symbol == symbol


def _subscribed(fanout: PriceTickFanout) -> Any:
    async def check() -> bool:
        return fanout.subscriber_count > 0

    return check


async def test_an_oversized_message_is_resource_exhausted_and_stores_nothing(
    memory_storage: Storage,
) -> None:
    served = await serve_secured(
        memory_storage.repositories, memory_storage.fanout, MemoryApiKeyRepository()
    )
    try:
        key = bearer(await served.key("ledger:read", "ledger:write"))
        huge = ledger_pb2.NewsItem(
            source="fixture",
            external_id="1",
            title="x" * (5 * 1024 * 1024),
            url="https://example.com/1",
            published_at=_ts(BASE),
        )
        with pytest.raises(aio.AioRpcError) as raised:
            await served.ledger.IngestNewsItems(
                ledger_pb2.IngestNewsItemsRequest(items=[huge]), metadata=key
            )
        stats = await served.ledger.GetLedgerStats(ledger_pb2.GetLedgerStatsRequest(), metadata=key)
    finally:
        await served.close()

    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "larger than max" in (raised.value.details() or "").lower()
    assert all(s.count == 0 for s in stats.stats)


async def test_batch_and_page_size_caps_hold_at_the_grpc_level(memory_storage: Storage) -> None:
    served = await serve_secured(
        memory_storage.repositories,
        memory_storage.fanout,
        MemoryApiKeyRepository(),
        max_page_size=3,
    )
    try:
        key = bearer(await served.key("ledger:read", "ledger:write"))
        symbol = _symbol()
        with pytest.raises(aio.AioRpcError) as too_many:
            await served.ledger.IngestPriceTicks(
                ledger_pb2.IngestPriceTicksRequest(
                    ticks=[_tick(symbol, minutes) for minutes in range(10_001)]
                ),
                metadata=key,
            )
        with pytest.raises(aio.AioRpcError) as empty:
            await served.ledger.IngestPriceTicks(ledger_pb2.IngestPriceTicksRequest(), metadata=key)
        await served.ledger.IngestPriceTicks(
            ledger_pb2.IngestPriceTicksRequest(ticks=[_tick(symbol, m) for m in range(5)]),
            metadata=key,
        )
        capped = await served.ledger.ListPriceTicks(
            ledger_pb2.ListPriceTicksRequest(symbols=[symbol], page_size=1_000_000), metadata=key
        )
        with pytest.raises(aio.AioRpcError) as negative:
            await served.ledger.ListPriceTicks(
                ledger_pb2.ListPriceTicksRequest(page_size=-1), metadata=key
            )
    finally:
        await served.close()

    assert too_many.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    [bad_request] = details(too_many.value, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("ticks", "must hold at most 10000 records (got 10001)")
    ]
    assert empty.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert len(capped.ticks) == 3
    assert capped.next_page_token
    assert negative.value.code() is grpc.StatusCode.INVALID_ARGUMENT


# --- the composition root ---------------------------------------------------------------


async def test_the_configured_server_authenticates_limits_and_offers_the_admin_service(
    tmp_path: Path,
) -> None:
    settings = Settings(
        storage=StorageKind.MEMORY,
        home=tmp_path,
        rate_limit_per_second=1 / 3600,
        rate_limit_burst=2,
        rpc_deadline_seconds=5,
    )
    container = build_container(settings)
    server = await resolve(container.api.server)
    api_keys = await resolve(container.application.api_keys)
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        admin = admin_pb2_grpc.AdminServiceStub(channel)
        root = bearer((await api_keys.create("root", ["admin"])).plaintext)
        request = ledger_pb2.GetLedgerStatsRequest()

        anonymous = await _code(ledger.GetLedgerStats(request))
        listed = await admin.ListApiKeys(admin_pb2.ListApiKeysRequest(), metadata=root)
        second = await _code(ledger.GetLedgerStats(request, metadata=root))
        third = await _code(ledger.GetLedgerStats(request, metadata=root))
    finally:
        await channel.close()
        await server.stop(0)

    assert anonymous is grpc.StatusCode.UNAUTHENTICATED
    assert [key.user_id for key in listed.api_keys] == ["root"]
    assert second is grpc.StatusCode.OK
    assert third is grpc.StatusCode.RESOURCE_EXHAUSTED  # OMC_RATE_LIMIT_BURST=2 reached
