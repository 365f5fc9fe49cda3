"""Secrets from AWS Secrets Manager, cached with a TTL.

Which secret holds what comes from `OMC_SECRETS_<NAME>` variables, e.g.
`OMC_SECRETS_API_KEY_PEPPER=omc/prod/pepper` or, for one field of a JSON secret,
`OMC_SECRETS_DATABASE_PASSWORD=omc/prod/db#password`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from omc.application.errors import ApplicationError

ENV_PREFIX = "OMC_SECRETS_"
DEFAULT_TTL_SECONDS = 300.0


class SecretUnavailable(ApplicationError):
    reason = "SECRET_UNAVAILABLE"


def secret_ids_from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and value
    }


class SecretsManagerSecrets:
    def __init__(
        self,
        client: Any,
        secret_ids: Mapping[str, str],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._secret_ids = {name.lower(): ref for name, ref in secret_ids.items()}
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = asyncio.Lock()

    async def get(self, name: str) -> str | None:
        reference = self._secret_ids.get(name.lower())
        if reference is None:
            return None
        secret_id, _, field = reference.partition("#")
        raw = await self._secret_string(secret_id, name)
        if not field:
            return raw
        try:
            document = json.loads(raw)
            value = document[field]
        except (ValueError, KeyError, TypeError) as error:
            raise SecretUnavailable(
                f"secret for {name!r} is not a JSON object with the field {field!r}"
            ) from error
        return str(value)

    async def _secret_string(self, secret_id: str, name: str) -> str:
        async with self._lock:
            cached = self._cache.get(secret_id)
            if cached is not None and self._monotonic() - cached[0] < self._ttl:
                return cached[1]
            try:
                response = await asyncio.to_thread(
                    self._client.get_secret_value, SecretId=secret_id
                )
            except (ClientError, BotoCoreError) as error:
                # The message names the secret we wanted, never a value.
                raise SecretUnavailable(f"cannot read the secret for {name!r}") from error
            value = response.get("SecretString")
            if value is None:
                raise SecretUnavailable(f"the secret for {name!r} holds no string")
            self._cache[secret_id] = (self._monotonic(), value)
            return str(value)
