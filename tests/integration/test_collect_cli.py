"""`omc collect` and the collectors inside `omc serve`, as real subprocesses against the
test Postgres, with every source pointed at the local fixture server or at a closed port
(this machine's situation: no internet). Every wait is bounded; nothing is timed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2

from omc.adapters.sources.catalog import COLLECTOR_NAMES
from omc.v1 import collectors_pb2, collectors_pb2_grpc
from tests.integration.test_cli import (
    RPC_TIMEOUT,
    database_url,
    health_status,
    home,
    omc_environment,
    run_omc,
    serving,
)
from tests.support.fixture_server import CRYPTOPANIC_TOKEN, FixtureServer, serve_all_sources

__all__ = ["database_url", "home"]  # fixtures shared with test_cli

pytestmark = pytest.mark.postgres

TOKEN = "cp-" + CRYPTOPANIC_TOKEN  # never to be seen in any output
PEPPER = "collect-cli-test-pepper-0123456789abcdefghijklmnop"
BOUNDED = 60.0


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        serve_all_sources(running)
        yield running


@pytest.fixture
def closed_port() -> str:
    """A local URL nothing listens on: connections are refused, as offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def sources_at(base_url: str, **extra: str) -> dict[str, str]:
    env = {}
    for name in COLLECTOR_NAMES:
        prefix = f"OMC_SOURCES__{name.upper()}__"
        env[prefix + "BASE_URL"] = base_url
        env[prefix + "RATE_PER_SECOND"] = "0"
        env[prefix + "RETRY_ATTEMPTS"] = "1"
        # Generous: a busy CI box must not turn a local answer into a timeout.
        env[prefix + "TIMEOUT_SECONDS"] = "30"
        for field, value in extra.items():
            env[prefix + field.upper()] = value
    return env


def collect_env(home: Path, url: str, base_url: str) -> dict[str, str]:
    return (
        omc_environment(home, url)
        | sources_at(base_url)
        | {
            "OMC_CRYPTOPANIC_API_KEY": TOKEN,
            "OMC_API_KEY_PEPPER": PEPPER,
        }
    )


def stored_runs(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT collector, status, error FROM collector_runs ORDER BY started_at"
        ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def test_collect_one_prints_the_run_and_stores_it(
    home: Path, database_url: str, server: FixtureServer
) -> None:
    env = collect_env(home, database_url, server.base_url)

    result = run_omc(env, "collect", "coinspot_prices", "--json")

    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["collector"] == "coinspot_prices"
    assert record["status"] == "success"
    assert record["fetched"] > 0
    assert record["inserted"] == record["fetched"]
    assert stored_runs(database_url) == [("coinspot_prices", "success", "")]
    assert server.hits("/pubapi/v2/latest") == 1

    table = run_omc(env, "collect", "coinspot_announcements")
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()[:2]
    assert header.split()[:2] == ["collector", "status"]
    assert row.split()[:2] == ["coinspot_announcements", "success"]


def test_collect_all_runs_every_collector_and_fails_when_one_failed(
    home: Path, database_url: str, server: FixtureServer
) -> None:
    # Only some of the default protocols, companies and subreddits have fixtures, so some
    # collectors fail (404s) while the others succeed.
    env = collect_env(home, database_url, server.base_url)

    result = run_omc(env, "collect", "--all", "--json")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["collector"] for r in records) == sorted(COLLECTOR_NAMES)
    failed = any(r["status"] == "failed" for r in records)
    assert result.returncode == (1 if failed else 0)
    by_name = {r["collector"]: r for r in records}
    assert by_name["coinspot_prices"]["status"] == "success"
    assert by_name["cryptopanic_news"]["status"] == "success"
    assert TOKEN not in result.stdout + result.stderr


def test_collect_offline_fails_with_a_clear_error_and_never_shows_the_key(
    home: Path, database_url: str, closed_port: str
) -> None:
    env = collect_env(home, database_url, closed_port)

    result = run_omc(env, "collect", "cryptopanic_news")

    assert result.returncode == 1
    assert "failed" in result.stdout
    assert "cannot connect" in result.stdout
    assert "auth_token=REDACTED" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    ((collector, status, error),) = stored_runs(database_url)
    assert (collector, status) == ("cryptopanic_news", "failed")
    assert "cannot connect" in error
    assert TOKEN not in error


def test_collect_unknown_name_is_a_usage_error(home: Path, database_url: str) -> None:
    result = run_omc(omc_environment(home, database_url) | {"OMC_STORAGE": "memory"}, "collect",
                     "no_such_collector")  # fmt: skip

    assert result.returncode == 2
    assert "unknown collector" in result.stderr


def test_without_a_cryptopanic_key_the_collector_is_skipped_not_failed(
    home: Path, database_url: str, server: FixtureServer
) -> None:
    env = collect_env(home, database_url, server.base_url)
    del env["OMC_CRYPTOPANIC_API_KEY"]

    result = run_omc(env, "collect", "cryptopanic_news", "--json")

    assert result.returncode == 0
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "skipped"
    assert "no CryptoPanic API key" in record["error"]
    assert server.hits("/api/developer/v2/posts/") == 0


def test_serve_offline_keeps_serving_records_failed_runs_and_reports_failing(
    home: Path, database_url: str, closed_port: str
) -> None:
    env = collect_env(home, database_url, closed_port) | sources_at(
        closed_port, cadence_seconds="1"
    )
    with serving(env) as (served, address):
        deadline = time.monotonic() + BOUNDED
        while {c for c, _s, _e in stored_runs(database_url)} != set(COLLECTOR_NAMES):
            assert time.monotonic() < deadline, "not every collector ran:\n" + "".join(served.seen)
            time.sleep(0.2)

        assert health_status(address) == health_pb2.HealthCheckResponse.SERVING
        collectors = list_collectors(address, home)
        assert {c.name for c in collectors} == set(COLLECTOR_NAMES)
        for collector in collectors:
            assert collector.health == collectors_pb2.COLLECTOR_HEALTH_FAILING, collector
            assert collector.last_run.status == collectors_pb2.COLLECTOR_RUN_STATUS_FAILED
            assert "cannot connect" in collector.last_run.error
        assert served.terminate() == 0
        served.wait_for("stopped", BOUNDED)

    runs = stored_runs(database_url)
    assert {status for _c, status, _e in runs} == {"failed"}
    assert all("cannot connect" in error for _c, _s, error in runs)
    log = "".join(served.seen)
    assert "collectors_scheduled" in log
    assert TOKEN not in log
    assert all(TOKEN not in error for _c, _s, error in runs)


def list_collectors(address: str, home: Path) -> list[collectors_pb2.Collector]:
    key_file = home / "admin.key"
    metadata = [("authorization", f"Bearer {key_file.read_text().strip()}")] if (
        key_file.exists()
    ) else []  # fmt: skip
    with grpc.insecure_channel(address) as channel:
        stub = collectors_pb2_grpc.CollectorServiceStub(channel)
        response = stub.ListCollectors(
            collectors_pb2.ListCollectorsRequest(), metadata=metadata, timeout=RPC_TIMEOUT
        )
    return list(response.collectors)
