"""The NOTIFY payload that tells every replica which catalyst events were just stored.

A payload is a JSON array of natural keys, `[[source, external_id], ...]`, and each
listener fetches the events by key. Keys rather than whole events: a description may be
40,000 characters, far past NOTIFY's 8000-byte limit, and truncating it would hand
watchers an event that differs from the stored one. A key is at most ~1.6 KB (a 64-byte
source slug, a 256-character id even if every character is escaped), and the fetch is
one indexed query per notification, for events that arrive a few per minute.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from omc.adapters.postgres import tables
from omc.adapters.postgres.notifications import json_array_payloads
from omc.domain.catalyst import CatalystEvent

CHANNEL = "omc_catalyst_events"
# A chunk closes once its keys pass this many bytes; one more key (< 1.7 KB) keeps it
# under the limit.
CHUNK_BYTES = 6_000

Key = tuple[str, str]

_FIELDS = (
    "event_type",
    "title",
    "source",
    "external_id",
    "impact",
    "occurred_at",
    "detected_at",
    "description",
    "url",
    "currencies",
)


def key_json_sql(alias: str) -> str:
    """SQL for one event's key as JSON text, reading the columns of `alias`."""
    return f"json_build_array({alias}.source, {alias}.external_id)::text"


def encode_keys(events: Sequence[Any]) -> list[str]:
    """Payloads naming `events`, in order, each within the NOTIFY size limit."""
    encoded = [
        json.dumps([event.source, event.external_id], separators=(",", ":")) for event in events
    ]
    return json_array_payloads(encoded, [len(text.encode()) for text in encoded])


def decode_keys(payload: str) -> list[Key]:
    keys = json.loads(payload)
    if not isinstance(keys, list) or not all(
        isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key)
        for key in keys
    ):
        raise ValueError("not a list of [source, external_id] keys")
    return [(source, external_id) for source, external_id in keys]


async def fetch_events(engine: AsyncEngine, keys: Sequence[Key]) -> list[CatalystEvent]:
    """The stored events with these keys, in the order of `keys`; a key whose row is gone
    (deleted since) is skipped."""
    table = tables.catalyst_events
    columns = [table.c[name] for name in _FIELDS]
    statement = select(*columns).where(
        tuple_(table.c.source, table.c.external_id).in_(list(dict.fromkeys(keys)))
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    found: dict[Key, CatalystEvent] = {}
    for row in rows:
        values = dict(zip(_FIELDS, row, strict=True))
        values["occurred_at"] = values["occurred_at"].astimezone(UTC)
        values["detected_at"] = values["detected_at"].astimezone(UTC)
        values["currencies"] = tuple(values["currencies"])
        event = CatalystEvent(**values)
        found[(event.source, event.external_id)] = event
    return [found[key] for key in keys if key in found]
