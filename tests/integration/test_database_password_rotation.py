"""A rotated database password reaches connections opened after the rotation, without
restarting the replica (RDS rotates the secret on its own schedule)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from omc.adapters.agent.checkpoints import postgres_checkpointer
from omc.adapters.postgres.engine import create_engine
from omc.adapters.postgres.listener import APPLICATION_NAME, PostgresPriceTickListener
from omc.application.fanout import PriceTickFanout
from omc.bootstrap.database_password import RotatingPassword, rotating_password
from omc.bootstrap.settings import Settings


class RotatableSecrets:
    """A secrets provider whose value an operator (the test) rotates, and which can be
    made to fail like an unreachable Secrets Manager."""

    def __init__(self, password: str | None) -> None:
        self.password = password
        self.failing = False

    async def get(self, name: str) -> str | None:
        if self.failing:
            raise ConnectionError("secrets manager unreachable")
        return self.password if name == "database_password" else None


async def _password_of_a_new_connection(engine: Any) -> str | None:
    await engine.dispose()  # a fresh pool: the next checkout opens a new connection
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        return raw.driver_connection.info.password  # type: ignore[no-any-return]


async def test_new_connections_use_the_password_current_at_connect_time(
    postgres_url: str,
) -> None:
    secrets = RotatableSecrets("before-rotation")
    password = RotatingPassword(secrets)
    await password.refresh()
    engine = create_engine(postgres_url, pool_size=1, password=password.current)
    try:
        assert await _password_of_a_new_connection(engine) == "before-rotation"
        secrets.password = "after-rotation"
        await password.refresh()
        assert await _password_of_a_new_connection(engine) == "after-rotation"
    finally:
        await engine.dispose()


async def test_the_price_listener_reconnects_with_the_rotated_password(
    postgres_url: str,
) -> None:
    secrets = RotatableSecrets("before-rotation")
    password = RotatingPassword(secrets)
    await password.refresh()
    listener = PostgresPriceTickListener(
        postgres_url, PriceTickFanout(), password=password.current, initial_backoff=0.05
    )
    engine = create_engine(postgres_url, pool_size=1)
    await listener.start()
    try:
        assert _listening_password(listener) == "before-rotation"
        secrets.password = "after-rotation"
        await password.refresh()
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )
        async with asyncio.timeout(10):
            while listener.reconnects < 1:  # noqa: ASYNC110 (polls a plain counter)
                await asyncio.sleep(0.02)
        assert _listening_password(listener) == "after-rotation"
    finally:
        await listener.stop()
        await engine.dispose()


async def test_the_agent_checkpointer_pool_connects_with_the_rotated_password(
    postgres_url: str,
) -> None:
    secrets = RotatableSecrets("before-rotation")
    password = RotatingPassword(secrets)
    await password.refresh()
    checkpointer = postgres_checkpointer(postgres_url, password=password.current)
    saver = await anext(checkpointer)
    try:
        pool = saver.conn
        async with pool.connection() as first:
            assert first.info.password == "before-rotation"
        secrets.password = "after-rotation"
        await password.refresh()
        # Holding every connection the pool may open forces connections opened after
        # the rotation (it had opened at most two before it).
        async with contextlib.AsyncExitStack() as stack:
            held = [await stack.enter_async_context(pool.connection()) for _ in range(5)]
            assert "after-rotation" in {connection.info.password for connection in held}
    finally:
        await checkpointer.aclose()


def _listening_password(listener: PostgresPriceTickListener) -> str | None:
    # The listener's one connection is private by design; its libpq password is the
    # only observable proof of which secret value it connected with.
    connection = listener._connection
    assert connection is not None
    return connection.info.password


async def test_a_failed_refresh_keeps_the_last_known_password() -> None:
    secrets = RotatableSecrets("known")
    password = RotatingPassword(secrets, refresh_seconds=0.01)
    await password.refresh()
    secrets.failing = True
    refresher = asyncio.create_task(password.keep_fresh())
    await asyncio.sleep(0.05)
    assert not refresher.done()  # the loop survives provider failures
    assert password.current() == "known"
    secrets.failing = False
    secrets.password = "rotated"
    for _ in range(100):
        if password.current() == "rotated":
            break
        await asyncio.sleep(0.01)
    refresher.cancel()
    assert password.current() == "rotated"


def _settings(url: str) -> Settings:
    return Settings(storage="postgres", database_url=SecretStr(url))


@pytest.mark.parametrize(
    ("url", "secret", "rotates"),
    [
        ("postgresql://omc@db.internal/omc", "from-secret", True),
        ("postgresql://omc:inline@db.internal/omc", "from-secret", False),
        ("postgresql://omc@db.internal/omc", None, False),
    ],
    ids=["password-from-secret", "password-in-url", "no-secret-configured"],
)
async def test_only_a_password_taken_from_the_secret_is_rotated(
    url: str, secret: str | None, rotates: bool
) -> None:
    resource = rotating_password(_settings(url), RotatableSecrets(secret), refresh_seconds=60)
    password = await anext(resource)
    try:
        assert (password is not None) is rotates
        if password is not None:
            assert password.current() == secret
    finally:
        await resource.aclose()
