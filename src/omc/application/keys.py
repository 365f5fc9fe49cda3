"""API keys: creation (shown once), listing, revocation, and authentication of callers."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from omc.application.errors import (
    ApplicationError,
    FieldViolation,
    InvalidArgument,
    ValidationError,
)
from omc.application.paging import (
    MAX_PAGE_SIZE,
    decode_page_token,
    effective_page_size,
    encode_page_token,
    filter_fingerprint,
)
from omc.application.ports import (
    ApiKeyRepository,
    Clock,
    Condition,
    Op,
    PageRequest,
    SecretsProvider,
)
from omc.application.queries import ListResult
from omc.domain.access import (
    KEY_PREFIX,
    USER_ID_PATTERN,
    ApiKey,
    Principal,
    Scope,
    key_request_violations,
    looks_like_key,
    parse_scopes,
)

PEPPER_SECRET = "api_key_pepper"  # noqa: S105 (the secret's name, not its value)
# Revocation must reach every replica within 5 s; a lookup is trusted for less than that.
AUTH_CACHE_SECONDS = 2.0
AUTH_CACHE_MAX_ENTRIES = 10_000


KEY_ID_PATTERN = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as create() issues


class Unauthenticated(ApplicationError):
    reason = "UNAUTHENTICATED"


class PermissionDenied(ApplicationError):
    reason = "PERMISSION_DENIED"


class KeyNotFound(ApplicationError):
    reason = "KEY_NOT_FOUND"


class MissingPepper(ApplicationError):
    reason = "MISSING_PEPPER"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    plaintext: str  # shown to the creator once, never stored


class KeyHasher:
    """HMAC-SHA256 with a server pepper: a leaked table alone cannot be brute-forced."""

    def __init__(self, secrets_provider: SecretsProvider) -> None:
        self._secrets = secrets_provider

    async def hash(self, plaintext: str) -> str:
        pepper = await self._secrets.get(PEPPER_SECRET)
        if not pepper:
            raise MissingPepper("the API key pepper secret is not configured")
        return hmac.new(pepper.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


class ApiKeys:
    """Operator use cases over API keys."""

    def __init__(
        self,
        repository: ApiKeyRepository,
        hasher: KeyHasher,
        clock: Clock,
        *,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self._repository = repository
        self._hasher = hasher
        self._clock = clock
        self._max_page_size = max_page_size

    async def create(self, user_id: str, scopes: list[str], name: str = "") -> CreatedKey:
        parsed, violations = parse_scopes(scopes)
        violations = key_request_violations(user_id.strip(), name) + violations
        if violations:
            raise ValidationError(violations)
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            key_id=uuid.uuid4().hex,
            user_id=user_id.strip(),
            name=name.strip(),
            scopes=parsed,
            secret_hash=await self._hasher.hash(plaintext),
            created_at=self._clock.now(),
        )
        await self._repository.add(key)
        return CreatedKey(key, plaintext)

    async def list_page(
        self, user_id: str | None = None, *, page_size: int = 0, page_token: str = ""
    ) -> ListResult[ApiKey]:
        """One AIP-158 page of keys, oldest first; the token is bound to `user_id`."""
        if user_id and not USER_ID_PATTERN.fullmatch(user_id):
            raise InvalidArgument(
                [FieldViolation("user_id", f"must match {USER_ID_PATTERN.pattern}")]
            )
        conditions = [Condition("user_id", Op.EQ, user_id)] if user_id else []
        fingerprint = filter_fingerprint("api_keys", conditions, False)
        after = decode_page_token(page_token, fingerprint)
        if after is not None and not _is_key_position(after):
            # The fingerprint is no secret: a hand-made token must not reach the query.
            raise InvalidArgument(
                [FieldViolation("page_token", "is not a token issued for this request's filter")]
            )
        size = effective_page_size(page_size, maximum=self._max_page_size)
        page = await self._repository.list(user_id or None, PageRequest(size, after))
        token = "" if page.next_after is None else encode_page_token(fingerprint, page.next_after)
        return ListResult(page.items, token)

    async def list(self, user_id: str | None = None) -> list[ApiKey]:
        """Every matching key, oldest first, following every page (the CLI's listing)."""
        keys: list[ApiKey] = []
        token = ""
        while True:
            page = await self.list_page(user_id, page_token=token)
            keys.extend(page.items)
            token = page.next_page_token
            if not token:
                return keys

    async def revoke(self, key_id: str) -> ApiKey:
        if not key_id.strip():
            raise ValidationError([FieldViolation("key_id", "must not be empty")])
        wanted = key_id.strip()
        # Only ids this service issued (uuid4 hex) can exist: anything else is not
        # looked up, so no stray bytes (NUL) reach the store.
        revoked = (
            await self._repository.revoke(wanted, self._clock.now())
            if KEY_ID_PATTERN.fullmatch(wanted)
            else None
        )
        if revoked is None:
            raise KeyNotFound(f"no API key with id {key_id!r}")
        return revoked

    async def ensure_bootstrap_admin(self) -> CreatedKey | None:
        """The first start on an empty key table creates an admin key; later starts don't."""
        if await self._repository.count() > 0:
            return None
        return await self.create("admin", [Scope.ADMIN.value], name="bootstrap admin")


def _is_key_position(after: tuple[Hashable, ...]) -> bool:
    """(created_at, key_id), as the key listing's keyset order."""
    return len(after) == 2 and isinstance(after[0], datetime) and isinstance(after[1], str)


class Authenticator:
    """Turns a presented key into a Principal, with a short cache so every RPC does not
    hit the database, yet a revocation is honoured within AUTH_CACHE_SECONDS."""

    def __init__(
        self,
        repository: ApiKeyRepository,
        hasher: KeyHasher,
        *,
        cache_seconds: float = AUTH_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._hasher = hasher
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def authenticate(self, presented: str | None) -> Principal:
        if not presented:
            raise Unauthenticated("missing API key: send 'authorization: Bearer <key>'")
        if not looks_like_key(presented):
            raise Unauthenticated("invalid API key")
        digest = await self._hasher.hash(presented)
        now = self._monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._cache_seconds:
            principal = cached[1]
        else:
            key = await self._repository.get_by_hash(digest)
            principal = key.principal() if key is not None and key.active else None
            if len(self._cache) >= AUTH_CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[digest] = (now, principal)
        if principal is None:
            raise Unauthenticated("invalid API key")
        return principal

    @staticmethod
    def require(principal: Principal, scope: Scope) -> None:
        if not principal.may(scope):
            raise PermissionDenied(f"this API key lacks the '{scope.value}' scope")
