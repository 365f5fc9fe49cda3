"""checkov over terraform/ (and the Dockerfile), offline, with zero failed checks.

checkov pins an old boto3 and packaging, which would break this project's pinned
dependencies, so it lives in its own virtualenv: `.venv/tools/checkov` (created by
`python -m venv .venv/tools/checkov && .venv/tools/checkov/bin/pip install -r
terraform/requirements-checkov.txt`), or wherever OMC_CHECKOV points.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .hcl import ROOT, TERRAFORM

CONFIG = TERRAFORM / ".checkov.yaml"
HOW_TO_INSTALL = (
    "checkov not found. Install it into its own venv (it conflicts with the project's "
    "pins):\n  python3 -m venv .venv/tools/checkov && "
    ".venv/tools/checkov/bin/pip install -r terraform/requirements-checkov.txt\n"
    "or set OMC_CHECKOV=/path/to/checkov"
)


def checkov() -> str:
    candidates = [
        os.environ.get("OMC_CHECKOV", ""),
        str(ROOT / ".venv" / "tools" / "checkov" / "bin" / "checkov"),
        shutil.which("checkov") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(HOW_TO_INSTALL)


def scan(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [checkov(), *args, "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def _failures(reports: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['check_id']} {f['resource']} ({f['file_path']}): {f['check_name']}"
        for report in reports
        for f in report["results"]["failed_checks"]
    ]


def test_terraform_has_no_failed_checks() -> None:
    reports = scan("--directory", "terraform", "--config-file", str(CONFIG))
    [report] = [r for r in reports if r["check_type"] == "terraform"]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 50
    assert report["summary"]["passed"] > 100
    assert _failures(reports) == []


def test_dockerfile_has_no_failed_checks() -> None:
    reports = scan("--file", "Dockerfile", "--framework", "dockerfile", "--quiet")
    assert _failures(reports) == []


def test_every_skip_has_a_one_line_justification() -> None:
    lines = CONFIG.read_text().splitlines()
    skips = [i for i, line in enumerate(lines) if re.match(r"^\s*-\s*CKV", line)]
    assert skips, "no skips is fine, but then remove this test's expectation"
    for i in skips:
        justification = lines[i - 1].strip()
        assert justification.startswith("#"), f"{lines[i].strip()} has no justification"
        assert len(justification) > 30, f"{lines[i].strip()}: justification too thin"
