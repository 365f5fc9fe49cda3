"""The database password as it is NOW, for connections opened long after start-up.

RDS rotates the password it keeps in Secrets Manager (every 7 days by default). Open
connections survive a rotation, but every connection opened later (pool growth, a
reconnect after an outage, the price listener's reconnects) must use the new value, so
a replica re-reads the secret on a short period instead of baking the start-up value
into its URL. Connection factories ask `current()` synchronously at connect time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog

from omc.application.ports import SecretsProvider
from omc.bootstrap.security import DATABASE_PASSWORD_SECRET, url_has_password
from omc.bootstrap.settings import Settings

log = structlog.get_logger("omc.security")

# Well under the secrets cache TTL would be pointless (the cache answers), and well under
# the time an operator would wait after a rotation before suspecting the service.
DEFAULT_REFRESH_SECONDS = 60.0


class RotatingPassword:
    """The latest value of one secret, re-read every `refresh_seconds`.

    A failed re-read keeps the previous value: a Secrets Manager hiccup must not turn
    into refused connections while the old password may well still be valid."""

    def __init__(
        self,
        secrets: SecretsProvider,
        name: str = DATABASE_PASSWORD_SECRET,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ) -> None:
        self._secrets = secrets
        self._name = name
        self._refresh_seconds = refresh_seconds
        self._value: str | None = None

    def current(self) -> str | None:
        return self._value

    async def refresh(self) -> None:
        value = await self._secrets.get(self._name)
        if value and value != self._value:
            if self._value is not None:
                log.info("database_password_rotated", name=self._name)
            self._value = value

    async def keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except Exception as error:
                log.warning(
                    "database_password_refresh_failed",
                    name=self._name,
                    error_type=type(error).__name__,
                )


def password_from_secret(settings: Settings) -> bool:
    """Whether this configuration takes its database password from the secret: an
    external URL without a password of its own (the embedded server needs none)."""
    if settings.database_url is None:
        return False
    return not url_has_password(settings.database_url.get_secret_value())


async def rotating_password(
    settings: Settings, secrets: SecretsProvider, refresh_seconds: float = DEFAULT_REFRESH_SECONDS
) -> AsyncIterator[RotatingPassword | None]:
    """A RotatingPassword kept fresh for as long as the resource lives, or None when the
    password does not come from a secret (nothing to rotate). An async generator, as
    dependency-injector Resources expect."""
    if not password_from_secret(settings):
        yield None
        return
    password = RotatingPassword(secrets, refresh_seconds=refresh_seconds)
    await password.refresh()
    if password.current() is None:
        yield None
        return
    refresher = asyncio.create_task(password.keep_fresh(), name="database-password-refresh")
    try:
        yield password
    finally:
        refresher.cancel()
        await asyncio.gather(refresher, return_exceptions=True)
