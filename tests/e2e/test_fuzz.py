"""Property-based fuzzing of the public RPCs through a real channel.

Requests are generated from the proto descriptors (so new fields are fuzzed without
touching this file) with adversarial values: huge and unicode strings, NUL and control
characters, NaN/Infinity/garbage decimals, pre-epoch, far-future and out-of-range
timestamps, unknown enum numbers, negative and huge integers, empty and oversized
batches. Whatever comes in, no RPC answers INTERNAL or UNKNOWN, and a rejected request
leaves the stores as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor as d
from google.protobuf import message_factory
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

import omc.v1
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.access import Scope
from omc.v1 import admin_pb2, admin_pb2_grpc, ledger_pb2, ledger_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import Secured, bearer, serve_secured

SERVER_FAULTS = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
CALL_TIMEOUT = 30.0  # a bound against hangs, far above any expected call
STREAM_WINDOW = 0.05  # seconds a fuzzed stream is kept open before the client leaves
MAX_DEPTH = 3

DECIMAL_NOISE = [
    "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf", "1e999999999",
    "-1e-999999999", "1E+308", "0x1A", "1_000", " 1 ", "1.2.3", ".", "-", "+",
    "\u0661\u0662\u0663", "\u0663.\u0665",  # Arabic-Indic digits: Decimal() takes them
    "-0", "0", "0.0000000000000000000000000000001", "9" * 400, "1e-400", "1,5", "½", "∞",
]  # fmt: skip
VALID_TOKENS = [
    "BTC", "eth", "AUD", "USD", "coinspot", "defillama", "glassnode", "uniswap",
    "https://example.com/news/1", "twitter", "reddit", "100.5", "0.01", "64210.50",
    "ledger:read", "ledger:write", "admin", "agent", "alice", "2024-05-01",
]  # fmt: skip
ODD_TEXT = [
    "", " ", "\x00", "a\x00b", "\t\n\r", "\u202e", "\ufeff", "😀" * 10, "é", "ß", "İ",
    "'; DROP TABLE price_ticks; --", "%s%s%n", "../../etc/passwd", "{}", "null", "\ud7ff",
]  # fmt: skip

strings = st.one_of(
    st.sampled_from(DECIMAL_NOISE + VALID_TOKENS + ODD_TEXT),
    st.text(max_size=40),
    # Huge: past every length cap, and now and then past the 4 MiB message limit.
    st.builds(
        lambda char, count: char * count,
        st.sampled_from(["a", "é", "😀", "\x00", "9"]),
        st.sampled_from([300, 2_001, 70_000, 1_500_000]),
    ),
)

_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the largest valid Timestamp
_MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z, the smallest
timestamps = st.builds(
    lambda seconds, nanos: Timestamp(seconds=seconds, nanos=nanos),
    st.one_of(
        st.sampled_from(
            [0, -1, _MIN_SECONDS, _MAX_SECONDS, _MIN_SECONDS - 1, _MAX_SECONDS + 1, 2**62, -(2**62)]
        ),
        st.integers(-(2**40), 2**40),
        st.integers(1_600_000_000, 1_800_000_000),  # around now: mostly valid
    ),
    st.one_of(st.just(0), st.integers(-(10**9), 2 * 10**9)),
)

_INT_RANGES = {
    d.FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    d.FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    d.FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    d.FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [v for v in (0, 1, -1, 2, 10, 1_000, 1_001, 10_000, low, high) if low <= v <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def _scalar(field: d.FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == d.FieldDescriptor.TYPE_STRING:
        return strings
    if kind == d.FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if kind == d.FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == d.FieldDescriptor.TYPE_ENUM:
        # proto3 enums are open: unknown numbers reach the server as they are.
        return st.integers(-3, len(field.enum_type.values) + 3)
    if kind in (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=32)
    if kind in _INT_RANGES:
        return _integers(*_INT_RANGES[kind])
    if kind == d.FieldDescriptor.TYPE_MESSAGE:
        return messages(field.message_type, depth + 1)
    raise NotImplementedError(f"no strategy for field type {kind} ({field.full_name})")


def messages(descriptor: d.Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """Any message of this type, every field optional, values adversarial."""
    if descriptor.full_name == "google.protobuf.Timestamp":
        return timestamps
    cls = message_factory.GetMessageClass(descriptor)
    if depth > MAX_DEPTH:
        return st.just(cls())
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        value = _scalar(field, depth)
        if field.is_repeated:
            value = st.lists(value, max_size=4)
        fields[field.name] = value
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls, values))


def _build(cls: Callable[[], Message], values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        target = getattr(message, name)
        if isinstance(value, list):
            if value and isinstance(value[0], Message):
                target.extend(value)  # repeated messages
            else:
                target.extend(value)
        elif isinstance(value, Message):
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


# --- the server ------------------------------------------------------------------------


@dataclass
class Target:
    secured: Secured
    admin: tuple[tuple[str, str]]


async def _target(storage: Storage) -> AsyncIterator[Target]:
    served = await serve_secured(storage.repositories, storage.fanout, MemoryApiKeyRepository())
    try:
        yield Target(served, bearer(await served.key(Scope.ADMIN.value, user="root")))
    finally:
        await served.close()


@pytest.fixture
async def target(storage: Storage) -> AsyncIterator[Target]:
    async for served in _target(storage):
        yield served


@pytest.fixture
async def memory_target(memory_storage: Storage) -> AsyncIterator[Target]:
    async for served in _target(memory_storage):
        yield served


@pytest.fixture
async def postgres_target(postgres_storage: Storage) -> AsyncIterator[Target]:
    async for served in _target(postgres_storage):
        yield served


async def _configured(settings: Settings, database_url: str | None) -> AsyncIterator[Target]:
    container = build_container(settings, database_url)
    server = await resolve(container.api.server)
    api_keys = await resolve(container.application.api_keys)
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    secured = Secured(
        server,
        channel,
        api_keys,
        ledger_pb2_grpc.LedgerServiceStub(channel),
        admin_pb2_grpc.AdminServiceStub(channel),
        port,
    )
    try:
        admin = (await api_keys.create("root", [Scope.ADMIN.value])).plaintext
        yield Target(secured, bearer(admin))
    finally:
        await secured.close()
        await container.shutdown_resources()  # type: ignore[func-returns-value]


def _settings(tmp_path: Path, storage: StorageKind, **extra: Any) -> Settings:
    return Settings(
        storage=storage,
        home=tmp_path,
        collectors_enabled=False,
        quality_monitor_enabled=False,
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
        **extra,
    )


@pytest.fixture
async def configured_target(tmp_path: Path) -> AsyncIterator[Target]:
    """Every service as `omc serve --storage memory` wires it (no scheduled collectors)."""
    async for served in _configured(_settings(tmp_path, StorageKind.MEMORY), None):
        yield served


@pytest.fixture
async def configured_postgres_target(
    tmp_path: Path,
    clean_postgres: AsyncEngine,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Target]:
    """Every service as `omc serve` wires it over a real Postgres."""
    del clean_postgres  # empty ledgers first
    monkeypatch.setenv("OMC_API_KEY_PEPPER", "fuzz-pepper")
    settings = _settings(tmp_path, StorageKind.POSTGRES, database_url=SecretStr(postgres_url))
    async for served in _configured(settings, postgres_url):
        yield served


def _methods(module: Any, service: str) -> list[d.MethodDescriptor]:
    return list(module.DESCRIPTOR.services_by_name[service].methods)


LEDGER_METHODS = _methods(ledger_pb2, "LedgerService")
ADMIN_METHODS = _methods(admin_pb2, "AdminService")
INGEST_METHODS = [m for m in LEDGER_METHODS if m.name.startswith("Ingest")]
# Would fetch from the real upstream APIs, which tests never call.
_CALLS_THE_INTERNET = {"/omc.v1.CollectorService/RunCollector"}


def _other_methods() -> list[d.MethodDescriptor]:
    """Every RPC of the omc.v1 services besides the ledger and admin ones, found in the
    generated modules, so services added later are fuzzed too."""
    found = []
    for info in pkgutil.iter_modules(omc.v1.__path__):
        if not info.name.endswith("_pb2") or info.name in {"ledger_pb2", "admin_pb2"}:
            continue
        module = importlib.import_module(f"omc.v1.{info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            found.extend(
                method
                for method in service.methods
                if f"/{service.full_name}/{method.name}" not in _CALLS_THE_INTERNET
            )
    return found


# Found by this suite, owned elsewhere: fuzzed no further (a failing property spends
# minutes shrinking) but pinned by test_known_server_faults, strict so the entry must go
# once fixed.
# Inputs that once answered INTERNAL, kept as regression cases.
KNOWN_FAULTS = {
    "/omc.v1.QualityService/GetQualityReport": (
        "an out-of-range as_of Timestamp reached Timestamp.ToDatetime unchecked",
        {"as_of": Timestamp(seconds=0, nanos=-1)},
    ),
}


def _path(method: d.MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def _param(method: d.MethodDescriptor) -> Any:
    return pytest.param(method, id=f"{method.containing_service.name}.{method.name}")


OTHER_METHODS = [_param(m) for m in _other_methods() if _path(m) not in KNOWN_FAULTS]


async def _snapshot(target: Target) -> tuple[bytes, bytes]:
    """Everything a rejected request must leave untouched: ledger stats and the keys."""
    stats = await target.secured.ledger.GetLedgerStats(
        ledger_pb2.GetLedgerStatsRequest(), metadata=target.admin, timeout=CALL_TIMEOUT
    )
    keys = await target.secured.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(), metadata=target.admin, timeout=CALL_TIMEOUT
    )
    return stats.SerializeToString(deterministic=True), keys.SerializeToString(deterministic=True)


async def _call(target: Target, method: d.MethodDescriptor, request: Message) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    response_class = message_factory.GetMessageClass(method.output_type)
    codecs = {
        "request_serializer": type(request).SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    channel = target.secured.channel
    metadata = target.admin
    try:
        if method.server_streaming:
            call = (
                channel.stream_stream(path, **codecs)(iter([request]), metadata=metadata)
                if method.client_streaming
                else channel.unary_stream(path, **codecs)(request, metadata=metadata)
            )
            # A valid subscription (or conversation) need not answer at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.read(), STREAM_WINDOW)
            call.cancel()
            code = await call.code()
            return grpc.StatusCode.OK if code is grpc.StatusCode.CANCELLED else code
        if method.client_streaming:
            await channel.stream_unary(path, **codecs)(
                iter([request]), metadata=metadata, timeout=CALL_TIMEOUT
            )
        else:
            await channel.unary_unary(path, **codecs)(
                request, metadata=metadata, timeout=CALL_TIMEOUT
            )
    except aio.AioRpcError as error:
        failed: grpc.StatusCode = error.code()
        return failed
    return grpc.StatusCode.OK


async def _check(target: Target, method: d.MethodDescriptor, request: Message) -> None:
    before = await _snapshot(target)
    code = await _call(target, method, request)
    assert code not in SERVER_FAULTS, f"{method.name} answered {code.name} to {request!r:.500}"
    if code is not grpc.StatusCode.OK:
        assert await _snapshot(target) == before, f"rejected {method.name} changed the stores"


def _fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


EVERY_RPC = pytest.mark.parametrize("method", LEDGER_METHODS + ADMIN_METHODS, ids=lambda m: m.name)


# Most examples run over memory (fast); Postgres gets fewer, to catch what only a real
# database refuses (NUL characters, numeric overflow) without a long suite.
@EVERY_RPC
@_fuzz(examples=25)
@given(data=st.data())
async def test_no_rpc_answers_a_server_fault_or_half_applies_a_rejection(
    memory_target: Target, method: d.MethodDescriptor, data: st.DataObject
) -> None:
    request = data.draw(messages(method.input_type), label="request")
    await _check(memory_target, method, request)


@pytest.mark.postgres
@EVERY_RPC
@_fuzz(examples=8)
@given(data=st.data())
async def test_no_rpc_answers_a_server_fault_or_half_applies_a_rejection_over_postgres(
    postgres_target: Target, method: d.MethodDescriptor, data: st.DataObject
) -> None:
    request = data.draw(messages(method.input_type), label="request")
    await _check(postgres_target, method, request)


@pytest.mark.parametrize("method", OTHER_METHODS)
@_fuzz(examples=10)
@given(data=st.data())
async def test_the_other_services_never_answer_a_server_fault(
    configured_target: Target, method: d.MethodDescriptor, data: st.DataObject
) -> None:
    request = data.draw(messages(method.input_type), label="request")
    await _check(configured_target, method, request)


@pytest.mark.postgres
@pytest.mark.parametrize("method", OTHER_METHODS)
@_fuzz(examples=5)
@given(data=st.data())
async def test_the_other_services_never_answer_a_server_fault_over_postgres(
    configured_postgres_target: Target, method: d.MethodDescriptor, data: st.DataObject
) -> None:
    request = data.draw(messages(method.input_type), label="request")
    await _check(configured_postgres_target, method, request)


@pytest.mark.parametrize(
    "method",
    [m for m in _other_methods() if _path(m) in KNOWN_FAULTS],
    ids=lambda m: f"{m.containing_service.name}.{m.name}",
)
async def test_inputs_that_once_failed_are_rejected_cleanly(
    configured_target: Target, method: d.MethodDescriptor
) -> None:
    fields = KNOWN_FAULTS[_path(method)][1]
    request = message_factory.GetMessageClass(method.input_type)(**fields)
    await _check(configured_target, method, request)


# Ledger inputs that once answered INTERNAL over Postgres, kept as regression cases
# (their RPCs stay fuzzed above).
LEDGER_REGRESSIONS = {
    "ListSocialPosts": {"community": "crypto\x00currency"},  # Postgres text refuses NUL
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(LEDGER_REGRESSIONS))
async def test_ledger_inputs_that_once_failed_over_postgres_are_rejected_cleanly(
    postgres_target: Target, name: str
) -> None:
    method = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].methods_by_name[name]
    request = message_factory.GetMessageClass(method.input_type)(**LEDGER_REGRESSIONS[name])
    await _check(postgres_target, method, request)


def _with_nul_in_every_string(descriptor: d.Descriptor, depth: int = 2) -> Message:
    """A request whose every string field (nested ones too) holds a NUL character,
    which Postgres text and jsonb refuse: each must be rejected before storage."""
    message = message_factory.GetMessageClass(descriptor)()
    for field in descriptor.fields:
        repeated = field.is_repeated
        if field.type == field.TYPE_STRING:
            if repeated:
                getattr(message, field.name).append("x\x00y")
            else:
                setattr(message, field.name, "x\x00y")
        elif field.type == field.TYPE_MESSAGE and depth > 0 and not repeated:
            if field.message_type.GetOptions().map_entry:
                continue
            getattr(message, field.name).CopyFrom(
                _with_nul_in_every_string(field.message_type, depth - 1)
            )
    return message


@pytest.mark.postgres
@pytest.mark.parametrize(
    "method", [_param(m) for m in [*LEDGER_METHODS, *ADMIN_METHODS, *_other_methods()]]
)
async def test_nul_characters_never_reach_postgres(
    configured_postgres_target: Target, method: d.MethodDescriptor
) -> None:
    await _check(configured_postgres_target, method, _with_nul_in_every_string(method.input_type))
    # One field at a time too: with every field bad, the first check to fail hides the rest.
    message_class = message_factory.GetMessageClass(method.input_type)
    for field in method.input_type.fields:
        if field.type == field.TYPE_STRING:
            value = ["x\x00y"] if field.is_repeated else "x\x00y"
            await _check(configured_postgres_target, method, message_class(**{field.name: value}))


@pytest.mark.parametrize("method", INGEST_METHODS, ids=lambda m: m.name)
async def test_an_oversized_batch_is_rejected_whole(
    target: Target, method: d.MethodDescriptor
) -> None:
    request_class = message_factory.GetMessageClass(method.input_type)
    [batch] = [f for f in method.input_type.fields if f.is_repeated]
    record_class = message_factory.GetMessageClass(batch.message_type)
    request = request_class()
    getattr(request, batch.name).extend(record_class() for _ in range(10_001))
    before = await _snapshot(target)

    with pytest.raises(aio.AioRpcError) as raised:
        await target.secured.channel.unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=message_factory.GetMessageClass(method.output_type).FromString,
        )(request, metadata=target.admin, timeout=CALL_TIMEOUT)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 10000" in (raised.value.details() or "")
    assert await _snapshot(target) == before


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
async def test_any_authorization_header_is_refused_cleanly(
    memory_target: Target, header: str
) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await memory_target.secured.ledger.GetLedgerStats(
            ledger_pb2.GetLedgerStatsRequest(),
            metadata=(("authorization", header),),
            timeout=CALL_TIMEOUT,
        )

    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
