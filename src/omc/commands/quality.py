"""`omc quality`: the data-quality report as a table (or JSON), with an exit code a cron
job or pipeline can gate on: 0 when the system's overall score is at or above the
medium alert threshold, 1 when below it or when no ledger has data, 2 on bad input.

Computed in this process against the database (resolved as `omc migrate` does), not
through a server: it needs no API key and works with no server running, and the
aggregates run inside Postgres either way.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from omc.application.errors import InvalidArgument
from omc.application.quality import QualityReports
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.database import database, migrated
from omc.bootstrap.settings import Settings
from omc.domain.quality import Level, QualityReport, report_to_dict
from omc.domain.quality.scoring import format_score

EXIT_OK = 0
EXIT_BELOW_THRESHOLD = 1
EXIT_USAGE = 2
_MARK = {Level.ISSUE: "!!", Level.WARNING: " !", Level.INFO: "  "}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "quality",
        help="data-quality report; exit 1 when the overall score is below the alert threshold",
        description="Scores each ledger's completeness, timeliness and accuracy over a "
        "window and prints the report. Exit code 1 when the system's overall score is "
        "below OMC_QUALITY_ALERT_MEDIUM (or nothing has data).",
    )
    parser.add_argument("--ledger", help="exchange, glass, human or catalyst (default: all)")
    parser.add_argument("--window-hours", type=int, help="window length (OMC_QUALITY_WINDOW_HOURS)")
    parser.add_argument("--as-of", help="end of the window, ISO 8601 (default: now)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=quality)


async def quality(settings: Settings, args: argparse.Namespace) -> int:
    try:
        as_of = datetime.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print("omc quality: --as-of must be an ISO 8601 time", file=sys.stderr)
        return EXIT_USAGE
    window = timedelta(hours=args.window_hours) if args.window_hours else None
    async with database(settings) as url:
        await migrated(url)
        container = build_container(settings, url)
        try:
            reports: QualityReports = await resolve(container.quality.reports)
            try:
                report = await reports.report(args.ledger, window, as_of)
            except InvalidArgument as error:
                print(f"omc quality: {error}", file=sys.stderr)
                return EXIT_USAGE
        finally:
            result = container.shutdown_resources()
            if result is not None:
                await result
    if args.json:
        print(json.dumps(report_to_dict(report), indent=2))
    else:
        print(render(report))
    threshold = reports.policy.thresholds.medium
    return (
        EXIT_OK
        if report.overall is not None and report.overall >= threshold
        else (EXIT_BELOW_THRESHOLD)
    )


def render(report: QualityReport) -> str:
    out = [
        f"data quality {report.window_start.isoformat()} .. {report.window_end.isoformat()}",
        "",
        f"{'ledger':<10} {'records':>9} {'complete':>9} {'timely':>8} {'accurate':>9} "
        f"{'overall':>8}",
    ]
    for ledger in report.ledgers:
        out.append(
            f"{ledger.ledger:<10} {ledger.records:>9} {format_score(ledger.completeness):>9} "
            f"{format_score(ledger.timeliness):>8} {format_score(ledger.accuracy):>9} "
            f"{format_score(ledger.overall):>8}"
        )
    out.append(
        f"{'system':<10} {'':>9} {format_score(report.completeness):>9} "
        f"{format_score(report.timeliness):>8} {format_score(report.accuracy):>9} "
        f"{format_score(report.overall):>8}"
    )
    out.append("")
    for line in report.all_lines():
        out.append(f"{_MARK[line.level]} {line.scope:<9} {line.dimension:<13} {line.message}")
    return "\n".join(out)
