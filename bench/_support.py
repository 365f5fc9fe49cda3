"""Shared bench plumbing: a Postgres to measure against, and result reporting."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omc.adapters.postgres import migrate
from omc.adapters.postgres.embedded import EmbeddedPostgres
from omc.bootstrap.logging import configure_logging


def quiet_logs() -> None:
    """Production logging (JSON) at warning level: the one line per RPC is an info line,
    and writing hundreds of thousands of them would measure the terminal."""
    configure_logging("warning", "json")


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """OMC_BENCH_DATABASE_URL if set (it must be a scratch database: tables are
    truncated), else an embedded Postgres in a temporary directory. Migrated."""
    url = os.environ.get("OMC_BENCH_DATABASE_URL")
    if url:
        migrate.upgrade(url)
        yield url
        return
    # Not under /tmp/pytest-of-*: pytest resets that tree's modes, which pgserver dislikes.
    directory = Path(tempfile.mkdtemp(prefix="omc-bench-pg-"))
    server = EmbeddedPostgres(directory)
    try:
        url = server.start()
        migrate.upgrade(url)
        yield url
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""


@dataclass
class Report:
    title: str
    figures: list[Figure] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    goals: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str, note: str = "") -> None:
        self.figures.append(Figure(name, value, unit, note))

    def print(self) -> None:
        print(f"\n{self.title}  ({platform.machine()}, {os.cpu_count()} cores)")
        width = max(len(f.name) for f in self.figures)
        for f in self.figures:
            print(f"  {f.name:<{width}}  {f.value:>14,.1f} {f.unit}  {f.note}")
        for name, ratio in self.ratios.items():
            goal = self.goals.get(name, "")
            print(f"  ratio {name}: {ratio:.2f}{'  (goal ' + goal + ')' if goal else ''}")

    def write_json(self, path: str | None) -> None:
        if path:
            Path(path).write_text(json.dumps(asdict(self), indent=2))


def as_dict(report: Report) -> dict[str, Any]:
    return asdict(report)
