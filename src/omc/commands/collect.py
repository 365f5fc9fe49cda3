"""`omc collect NAME` / `omc collect --all`: run collectors once, here, now.

Runs in this process against the database (resolved as `omc migrate` does), not through
a server, so cron or an operator can use it with no server running. The same lock as
the scheduler's applies: a collector that a replica is running now is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from omc.application.collect import CollectorUseCases
from omc.application.errors import InvalidArgument
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.database import database, migrated
from omc.bootstrap.settings import Settings
from omc.domain.collection import CollectorRun, RunStatus

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_COUNTS = ("fetched", "inserted", "updated", "duplicate", "rejected")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "collect",
        help="run collectors once, now (exit 1 when a run failed)",
        description="Runs collectors once in this process against the database and prints "
        "each run. Exit code 1 when a run failed.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", help="the collector to run, e.g. coinspot_prices")
    which.add_argument("--all", action="store_true", help="run every collector concurrently")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    parser.set_defaults(handler=collect)


async def collect(settings: Settings, args: argparse.Namespace) -> int:
    async with database(settings) as url:
        await migrated(url)
        container = build_container(settings, url)
        try:
            use_cases: CollectorUseCases = await resolve(container.collection.use_cases)
            try:
                runs = await _run(use_cases, None if args.all else args.name)
            except InvalidArgument as error:
                print(f"omc collect: {error}", file=sys.stderr)
                return EXIT_USAGE
        finally:
            result = container.shutdown_resources()
            if result is not None:
                await result
    _print(runs, as_json=args.json)
    return EXIT_FAILED if any(run.status is RunStatus.FAILED for run in runs) else EXIT_OK


async def _run(use_cases: CollectorUseCases, name: str | None) -> list[CollectorRun]:
    if name is not None:
        return [await use_cases.run(name)]
    # Every collector side by side: a slow source only delays its own run.
    return list(await asyncio.gather(*(use_cases.run_collector(c) for c in use_cases.collectors)))


def run_record(run: CollectorRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "collector": run.collector,
        "status": str(run.status),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "seconds": round(run.duration_seconds, 3),
        **{name: getattr(run, name) for name in _COUNTS},
        "error": run.error,
    }


def _print(runs: list[CollectorRun], *, as_json: bool) -> None:
    if as_json:
        for run in runs:
            print(json.dumps(run_record(run)))
        return
    width = max(len("collector"), *(len(run.collector) for run in runs))
    header = "  ".join(f"{name:>9}" for name in _COUNTS)
    print(f"{'collector':<{width}}  {'status':<8}  {header}  {'seconds':>8}  run_id")
    for run in runs:
        counts = "  ".join(f"{getattr(run, name):>9}" for name in _COUNTS)
        print(
            f"{run.collector:<{width}}  {run.status:<8}  {counts}  "
            f"{run.duration_seconds:>8.2f}  {run.run_id}"
        )
        if run.error:
            print(f"  {run.error}")
