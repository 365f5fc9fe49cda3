"""The benchmarks still run: `bench/run_all.py --smoke` (tiny sizes) end to end into a
temporary BENCHMARKS file. Asserts that every bench ran and printed its figures and
goals; never how fast anything was (that is what the full run and BENCHMARKS.md are for).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.run_all import BENCHES
from tests.support.postgres import drop_database, recreate_database, worker_id

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 600.0  # a bound for a stuck bench, not a speed expectation


@pytest.fixture
def bench_database_url(postgres_server_url: str) -> Iterator[str]:
    name = f"omc_bench_smoke_{worker_id()}"
    yield recreate_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


def test_every_bench_runs_and_reports_numbers(bench_database_url: str, tmp_path: Path) -> None:
    out, figures = tmp_path / "BENCHMARKS.md", tmp_path / "benchmarks.json"
    done = subprocess.run(
        [sys.executable, "bench/run_all.py", "--smoke", "--out", str(out), "--json", str(figures)],
        cwd=ROOT,
        env={**_env(), "OMC_BENCH_DATABASE_URL": bench_database_url},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    results = json.loads(figures.read_text())
    by_key = {bench["key"]: bench for bench in results["benches"]}
    assert set(by_key) == {bench.key for bench in BENCHES}
    for key, bench in by_key.items():
        assert bench["error"] == "", (key, bench["error"])
        assert bench["figures"], key
        assert all(math.isfinite(value) for value in bench["figures"].values()), key
        assert bench["goals"], key
        assert all(goal["measured"] for goal in bench["goals"]), key
    # GetPnLSummary's read-ahead line (what `omc serve` does at start), a replica's first
    # call and the snapshot write are parsed.
    assert {
        "read ahead s",
        "first call after read ahead s",
        "a replica's first call p50 s",
        "snapshot write s",
    } <= set(by_key["pnl_summary"]["figures"])
    # The reads and quality benches share one seeded set of price ticks: one writes it,
    # the other (whichever ran second) reuses it.
    shared = [by_key[key]["output"] for key in ("reads", "quality")]
    assert sum("price ticks: seeded" in output for output in shared) == 1, shared
    assert sum("reused (seeded earlier in this run)" in output for output in shared) == 1

    text = out.read_text()
    assert "# Benchmarks" in text
    for bench in BENCHES:
        assert f"### {bench.title}" in text
    assert "did not run or finish" not in text


def _env() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if not name.startswith("OMC_")}
