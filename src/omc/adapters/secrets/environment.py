"""Secrets from environment variables: `OMC_<NAME>` (e.g. OMC_API_KEY_PEPPER)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from omc.application.ports import SecretsProvider


class EnvironmentSecrets:
    def __init__(self, environ: Mapping[str, str] | None = None, prefix: str = "OMC_") -> None:
        self._environ = os.environ if environ is None else environ
        self._prefix = prefix

    async def get(self, name: str) -> str | None:
        value = self._environ.get(self._prefix + name.upper())
        return value or None


class StaticSecrets:
    """Fixed values, for tests and for secrets generated at first start (a local pepper)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    async def get(self, name: str) -> str | None:
        return self._values.get(name)


class LayeredSecrets:
    """The first provider that knows a secret wins."""

    def __init__(self, *providers: SecretsProvider) -> None:
        self._providers = providers

    async def get(self, name: str) -> str | None:
        for provider in self._providers:
            value = await provider.get(name)
            if value:
                return value
        return None
