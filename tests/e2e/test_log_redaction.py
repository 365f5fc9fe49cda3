"""No secret reaches a log line: real RPCs with known API keys, pepper and database
credentials, logged through the production logging configuration into a captured stream.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import grpc
import pytest
import structlog
from grpc import aio

from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.application.fanout import PriceTickFanout
from omc.application.ports import RecordStats
from omc.bootstrap.logging import configure_logging
from omc.bootstrap.settings import LogFormat
from omc.domain.access import Scope
from omc.v1 import admin_pb2, ledger_pb2
from tests.conftest import Storage
from tests.e2e.support_security import PEPPER, Secured, bearer, serve_secured

DB_PASSWORD = "hunter2-db-4e1f"
OPENAI_KEY = "sk-test-9b7a61c0ffee"
UNISSUED_KEY = "omc_" + "Zq3" * 15  # well formed, never issued


class _LeakyStats:
    """Price tick storage whose stats() fails the way a careless driver does: the DSN,
    password included, in the exception message."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def stats(self) -> RecordStats:
        raise RuntimeError(
            f"connection to postgresql://omc:{DB_PASSWORD}@db.internal:5432/omc failed; "
            f"retry with host=db.internal password={DB_PASSWORD} dbname=omc"
        )


@pytest.fixture(params=[LogFormat.JSON, LogFormat.CONSOLE], ids=["json", "console"])
def captured(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """structlog and stdlib logging configured as `omc serve` does, into a string."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("debug", request.param, stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()
        root.handlers, root.level = saved_handlers, saved_level


@pytest.fixture
async def leaky(memory_storage: Storage) -> AsyncIterator[Secured]:
    repositories = memory_storage.repositories
    served = await serve_secured(
        replace(repositories, price_ticks=_LeakyStats(repositories.price_ticks)),
        PriceTickFanout(),
        MemoryApiKeyRepository(),
    )
    try:
        yield served
    finally:
        await served.close()


async def _code(call: Any) -> grpc.StatusCode:
    try:
        await call
    except aio.AioRpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    return grpc.StatusCode.OK


async def test_rpcs_log_principals_and_errors_but_never_a_secret(
    captured: io.StringIO, leaky: Secured
) -> None:
    admin_key = await leaky.key(Scope.ADMIN.value, user="root")
    reader_key = await leaky.key(Scope.LEDGER_READ.value, user="reader")
    admin = bearer(admin_key)

    created = await leaky.admin.CreateApiKey(
        admin_pb2.CreateApiKeyRequest(user_id="ivy", scopes=["agent"], name=OPENAI_KEY),
        metadata=admin,
    )
    codes = [
        await _code(
            leaky.ledger.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(), metadata=bearer(reader_key)
            )
        ),
        await _code(
            leaky.ledger.IngestPriceTicks(
                ledger_pb2.IngestPriceTicksRequest(), metadata=bearer(reader_key)
            )
        ),
        await _code(
            leaky.ledger.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(), metadata=bearer(UNISSUED_KEY)
            )
        ),
        await _code(
            leaky.ledger.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(),
                metadata=(("authorization", f"Basic {created.key}"),),
            )
        ),
        await _code(
            leaky.ledger.GetLedgerStats(ledger_pb2.GetLedgerStatsRequest(), metadata=admin)
        ),
        await _code(
            leaky.admin.RevokeApiKey(
                admin_pb2.RevokeApiKeyRequest(key_id=created.api_key.key_id), metadata=admin
            )
        ),
        await _code(
            leaky.ledger.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(), metadata=bearer(created.key)
            )
        ),
    ]
    log = captured.getvalue()

    assert codes == [
        grpc.StatusCode.OK,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.OK,
        grpc.StatusCode.UNAUTHENTICATED,  # revoked (and never cached: first use)
    ]
    # The log did record what happened, with who did it...
    assert "admin.api_key_created" in log
    assert "admin.api_key_revoked" in log
    assert created.api_key.key_id in log
    assert "reader" in log
    assert "db.internal" in log  # the failure is logged, only its password masked
    # ...and none of the secrets.
    for secret in (admin_key, reader_key, created.key, UNISSUED_KEY, PEPPER, DB_PASSWORD):
        assert secret not in log, f"a secret reached the log: {secret[:6]}..."
    # Key names are labels chosen by the admin; one that looks like a credential is
    # still only ever shown in the key list, not logged.
    assert OPENAI_KEY not in log
