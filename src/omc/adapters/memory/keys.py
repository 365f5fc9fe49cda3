"""In-memory API key store."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from datetime import datetime
from typing import Any

from omc.application.ports import Page, PageRequest
from omc.domain.access import ApiKey


class MemoryApiKeyRepository:
    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    async def add(self, key: ApiKey) -> None:
        self._keys[key.key_id] = key

    async def get_by_hash(self, secret_hash: str) -> ApiKey | None:
        return next((k for k in self._keys.values() if k.secret_hash == secret_hash), None)

    async def list(self, user_id: str | None, page: PageRequest) -> Page[ApiKey]:
        keys = sorted(
            (k for k in self._keys.values() if user_id is None or k.user_id == user_id),
            key=_order,
        )
        if page.after is not None:
            after: Any = tuple(page.after)
            keys = [k for k in keys if _order(k) > after]
        items = keys[: page.size]
        more = len(keys) > page.size
        return Page(items, _order(items[-1]) if more and items else None)

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        key = self._keys.get(key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key = replace(key, revoked_at=at)
            self._keys[key_id] = key
        return key

    async def count(self) -> int:
        return len(self._keys)


def _order(key: ApiKey) -> tuple[Hashable, ...]:
    return (key.created_at, key.key_id)
