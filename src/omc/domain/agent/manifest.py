"""The run manifest: what an answer rests on, so a different answer on rerun can be
explained (another model, prompt, tool argument, newer data or code)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def stable_hash(value: Any) -> str:
    """sha256 of canonical JSON (sorted keys), first 16 hex digits."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    analyst: str
    name: str
    arguments_hash: str
    rows: int
    duration_ms: float
    error: str = ""


@dataclass(slots=True)
class RunManifest:
    models: list[str] = field(default_factory=list)
    prompt_hashes: dict[str, str] = field(default_factory=dict)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    # Latest record time per record type when the run read the ledgers.
    watermarks: dict[str, str] = field(default_factory=dict)
    code_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "models": sorted(set(self.models)),
            "prompt_hashes": dict(sorted(self.prompt_hashes.items())),
            "tool_calls": [
                {
                    "analyst": call.analyst,
                    "name": call.name,
                    "arguments_hash": call.arguments_hash,
                    "rows": call.rows,
                    "duration_ms": call.duration_ms,
                    "error": call.error,
                }
                for call in self.tool_calls
            ],
            "watermarks": dict(sorted(self.watermarks.items())),
            "code_version": self.code_version,
        }
