"""`omc keys create|list|revoke`: manage API keys directly in the database.

Works with no server running (resolved like `omc migrate`: OMC_DATABASE_URL, else the
embedded Postgres in OMC_HOME), so an operator can always mint a key, even the first one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import structlog

from omc.application.errors import StorageUnavailable, ValidationError
from omc.application.keys import ApiKeys, KeyNotFound
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.database import database, migrated
from omc.bootstrap.security import SecurityConfigurationError, require_pepper
from omc.bootstrap.settings import Settings, StorageKind
from omc.domain.access import ApiKey, Scope

log = structlog.get_logger("omc.keys")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="create, list and revoke API keys (directly in the database)",
        description="Manages API keys in the database this configuration points at; "
        "no server needs to be running.",
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="create a key and print it (shown only once)")
    create.add_argument("--user", required=True, help="the principal the key acts as")
    create.add_argument(
        "--scopes",
        required=True,
        help="comma-separated, from: " + ", ".join(scope.value for scope in Scope),
    )
    create.add_argument("--name", default="", help="a label, e.g. where the key is used")
    create.set_defaults(handler=_handler(create_key))

    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--user", help="only this user's keys")
    listing.set_defaults(handler=_handler(list_keys))

    revoke = actions.add_parser("revoke", help="revoke a key; every replica refuses it within 5 s")
    revoke.add_argument("key_id", help="the key's id, from `omc keys list`")
    revoke.set_defaults(handler=_handler(revoke_key))


Action = Callable[[ApiKeys, argparse.Namespace], Awaitable[int]]


def _handler(action: Action) -> Callable[[Settings, argparse.Namespace], Awaitable[int]]:
    async def handle(settings: Settings, args: argparse.Namespace) -> int:
        if settings.storage is StorageKind.MEMORY:
            print("omc keys: nothing to manage with OMC_STORAGE=memory", file=sys.stderr)
            return EXIT_USAGE
        try:
            async with api_keys(settings) as keys:
                return await action(keys, args)
        except ValidationError as error:
            for violation in error.violations:
                print(f"omc keys: {violation.field}: {violation.description}", file=sys.stderr)
            return EXIT_USAGE
        except (KeyNotFound, SecurityConfigurationError, StorageUnavailable) as error:
            print(f"omc keys: {error}", file=sys.stderr)
            return EXIT_FAILED

    return handle


@asynccontextmanager
async def api_keys(settings: Settings) -> AsyncIterator[ApiKeys]:
    async with database(settings) as url:
        await migrated(url)
        container = build_container(settings, url)
        try:
            await require_pepper(settings, container.core.secrets())
            yield await resolve(container.application.api_keys)
        finally:
            result = container.shutdown_resources()
            if result is not None:
                await result


async def create_key(keys: ApiKeys, args: argparse.Namespace) -> int:
    scopes = [name for name in args.scopes.split(",") if name.strip()]
    created = await keys.create(args.user, scopes, args.name)
    key = created.key
    log.info("api_key_created", key_id=key.key_id, user_id=key.user_id, scopes=_scopes(key))
    print(f"key_id  {key.key_id}")
    print(f"user    {key.user_id}")
    print(f"scopes  {_scopes(key)}")
    print(f"key     {created.plaintext}")
    print("This is the only time the key is shown: store it now.", file=sys.stderr)
    return EXIT_OK


async def list_keys(keys: ApiKeys, args: argparse.Namespace) -> int:
    listed = await keys.list(args.user)
    header = ("KEY ID", "USER", "NAME", "SCOPES", "CREATED", "REVOKED")
    rows = [
        (
            key.key_id,
            key.user_id,
            key.name,
            _scopes(key),
            _time(key.created_at),
            _time(key.revoked_at) if key.revoked_at is not None else "-",
        )
        for key in listed
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


async def revoke_key(keys: ApiKeys, args: argparse.Namespace) -> int:
    revoked = await keys.revoke(args.key_id)
    log.info("api_key_revoked", key_id=revoked.key_id, user_id=revoked.user_id)
    print(f"revoked {revoked.key_id} (user {revoked.user_id}) at {_time(revoked.revoked_at)}")
    return EXIT_OK


def _scopes(key: ApiKey) -> str:
    return ",".join(sorted(scope.value for scope in key.scopes))


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""
