"""Upstream faults under the scheduler of a real `omc serve`.

Healthy sources (CoinSpot prices and announcements, on a 1 s cadence) are served from
recorded fixtures; the faulty ones time out, answer 500 or send malformed JSON, forever.
The scheduler never dies, the faulty sources keep being retried (failed runs recorded),
and the healthy ones keep their cadence.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from omc.adapters.sources.catalog import COLLECTOR_NAMES
from tests.support.fixture_server import (
    FixtureServer,
    Reply,
    _Route,
    malformed_json,
    serve_all_sources,
    server_error,
    slow,
)
from tests.support.processes import SERVING, count_rows, health, omc_env, serving

pytestmark = pytest.mark.postgres

HEALTHY = ("coinspot_prices", "coinspot_announcements")
FAULTS = {
    "sec_filings": "timeout",
    "reddit_posts": "error",
    "defillama_protocols": "malformed",
}
CADENCE = 1.0
FAULTY_CADENCE = 2.0
OBSERVED = 12.0  # seconds of scheduling watched


class FaultServer(FixtureServer):
    """The fixture server, plus a fault for every path under /timeout, /error and
    /malformed: a source whose base URL is one of those fails on every request."""

    _FAULTS = {"timeout": slow(3.0), "error": server_error(500), "malformed": malformed_json()}

    def _answer(self, path: str, query: dict[str, str]) -> tuple[Reply, _Route | None]:
        prefix = path.strip("/").split("/", 1)[0]
        if prefix in self._FAULTS:
            return self._FAULTS[prefix], _Route(b"{}", {})
        return super()._answer(path, query)


@pytest.fixture
def upstream() -> Iterator[FaultServer]:
    with FaultServer() as server:
        serve_all_sources(server)
        yield server


def source_settings(base_url: str) -> dict[str, str]:
    settings = {"collectors_enabled": "true", "cryptopanic_api_key": "cp-test-token"}
    for name in COLLECTOR_NAMES:
        fault = FAULTS.get(name)
        prefix = f"sources__{name}__"
        settings[prefix + "base_url"] = f"{base_url}/{fault}" if fault else base_url
        settings[prefix + "rate_per_second"] = "0"
        settings[prefix + "retry_attempts"] = "2"
        settings[prefix + "timeout_seconds"] = "1" if fault == "timeout" else "20"
        settings[prefix + "cadence_seconds"] = str(FAULTY_CADENCE if fault else CADENCE)
    # CryptoPanic has no fixture at the default plan's path: off, not a fault under test.
    settings["sources__cryptopanic_news__enabled"] = "false"
    return settings


def test_faulty_upstreams_never_stop_the_scheduler_or_slow_the_healthy_collectors(
    database_url: str, home: Path, upstream: FaultServer
) -> None:
    env = omc_env(home, database_url, **source_settings(upstream.base_url))
    with serving(env) as (served,):
        started = time.monotonic()
        time.sleep(OBSERVED)
        watched = time.monotonic() - started
        assert served.alive(), served.log()
        assert health(served.address) == SERVING
        runs = count_rows(
            database_url,
            "SELECT collector, status, count(*) FROM collector_runs GROUP BY collector, status",
        )
    by_collector: dict[str, dict[str, int]] = {}
    for collector, status, n in runs:
        by_collector.setdefault(collector, {})[status] = n
    print(f"\ncollector runs in {watched:.1f}s (cadence {CADENCE}s healthy, "
          f"{FAULTY_CADENCE}s faulty): {by_collector}")  # fmt: skip

    for name in HEALTHY:
        statuses = by_collector.get(name, {})
        assert set(statuses) == {"success"}, (name, statuses)
        # At their cadence, less start-up jitter and generous slack for a busy machine.
        assert statuses["success"] >= watched / CADENCE / 2, (name, statuses)
    for name in FAULTS:
        statuses = by_collector.get(name, {})
        assert set(statuses) <= {"failed", "partial"}, (name, statuses)
        # Retried on their own cadence, fault after fault.
        assert sum(statuses.values()) >= 2, (name, statuses)
    assert not [r for r in served.records() if r.get("event") == "scheduled run failed"]
