"""Who may do what: principals, scopes and API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from omc.domain.rules import MAX_SHORT_TEXT, RuleCheck
from omc.domain.violations import FieldViolation

KEY_PREFIX = "omc_"
# 32 random bytes in url-safe base64 without padding are 43 characters.
KEY_SECRET_MIN_CHARS = 43
KEY_PATTERN = re.compile(r"^omc_[A-Za-z0-9_-]{43,128}$")
USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")


class Scope(StrEnum):
    LEDGER_READ = "ledger:read"
    LEDGER_WRITE = "ledger:write"
    COLLECTORS_RUN = "collectors:run"
    TRADING_READ = "trading:read"
    TRADING_WRITE = "trading:write"
    AGENT = "agent"
    ADMIN = "admin"


def parse_scopes(raw: list[str] | tuple[str, ...]) -> tuple[frozenset[Scope], list[FieldViolation]]:
    """Scopes from their names; every unknown name is a violation."""
    scopes: set[Scope] = set()
    violations: list[FieldViolation] = []
    known = {scope.value for scope in Scope}
    for index, name in enumerate(raw):
        cleaned = name.strip().lower()
        if cleaned in known:
            scopes.add(Scope(cleaned))
        else:
            violations.append(
                FieldViolation(
                    f"scopes[{index}]",
                    f"unknown scope {name!r}; known: {', '.join(sorted(known))}",
                )
            )
    if not raw:
        violations.append(FieldViolation("scopes", "at least one scope is required"))
    return frozenset(scopes), violations


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a user and what its key allows."""

    user_id: str
    scopes: frozenset[Scope]
    key_id: str

    def may(self, scope: Scope) -> bool:
        # admin is the operator's key: it can do everything another key can.
        return scope in self.scopes or Scope.ADMIN in self.scopes

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key. Only a keyed hash of the secret is ever kept."""

    key_id: str
    user_id: str
    name: str
    scopes: frozenset[Scope]
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(self.user_id, self.scopes, self.key_id)


def key_request_violations(user_id: str, name: str) -> list[FieldViolation]:
    check = RuleCheck()
    if not USER_ID_PATTERN.fullmatch(user_id):
        check.fail(
            "user_id",
            "must be 1-128 letters, digits, '_', '.', '@' or '-', starting with a letter or digit",
        )
    check.text("name", name, max_length=MAX_SHORT_TEXT, required=False)
    return check.violations


def looks_like_key(presented: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(presented))
