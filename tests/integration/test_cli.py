"""The `omc` console script, run as a real subprocess.

Against the test PostgreSQL (OMC_DATABASE_URL, a database of this test's own) and once
with no URL at all, where `omc` starts and stops an embedded Postgres in OMC_HOME.
Every wait is bounded; nothing asserts how long anything took.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

import omc
from omc.application.demo import DEMO_ANCHOR, demo_records
from omc.v1 import ledger_pb2, ledger_pb2_grpc
from tests.support.postgres import drop_database, recreate_database, worker_id

pytestmark = pytest.mark.postgres

START_TIMEOUT = 90.0  # the first embedded start runs initdb
STOP_TIMEOUT = 60.0
COMMAND_TIMEOUT = 120.0
RPC_TIMEOUT = 10.0
OMC = Path(sys.executable).with_name("omc")


def omc_environment(home: Path, database_url: str | None) -> dict[str, str]:
    # The developer's own OMC_* settings must not leak into what is under test.
    env = {name: value for name, value in os.environ.items() if not name.startswith("OMC_")}
    env.update(
        OMC_HOME=str(home),
        OMC_GRPC_ADDRESS="127.0.0.1:0",
        OMC_LOG_FORMAT="json",
        OMC_SHUTDOWN_GRACE_SECONDS="5",
    )
    if database_url is not None:
        env["OMC_DATABASE_URL"] = database_url
        # Replicas on one external database share a pepper, so omc wants it configured.
        env["OMC_API_KEY_PEPPER"] = "pepper-for-cli-tests"
    return env


def run_omc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OMC), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def demo_table(stdout: str) -> dict[str, tuple[int, int, int]]:
    """`omc demo-data` output: record type -> (inserted, updated, duplicate)."""
    rows = [line.split() for line in stdout.strip().splitlines()[1:]]
    return {name: (int(ins), int(upd), int(dup)) for name, ins, upd, dup in rows}


class Served:
    """A running `omc serve`, its JSON log lines read on a thread so waits can time out."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(OMC), "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        """The first log line with this event; fails on exit or timeout, showing the log."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no {event!r} log line in {timeout}s:\n" + "".join(self.seen))
            if line is None:
                pytest.fail(f"omc serve exited before {event!r}:\n" + "".join(self.seen))
            self.seen.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                record = json.loads(line)
                if record.get("event") == event:
                    return dict(record)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[Served, str]]:
    served = Served(env)
    try:
        line = served.wait_for("serving", START_TIMEOUT)
        yield served, f"127.0.0.1:{line['port']}"
    finally:
        served.kill()


def health_status(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        response = stub.Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT)
    return int(response.status)


def admin_key(home: Path) -> tuple[tuple[str, str]]:
    """Call metadata with the admin key the first `omc serve` wrote to OMC_HOME."""
    return (("authorization", "Bearer " + (home / "admin.key").read_text().strip()),)


def ingest_tick(
    address: str, home: Path, symbol: str, last: str
) -> ledger_pb2.IngestPriceTicksResponse:
    observed = Timestamp()
    observed.FromDatetime(datetime(2026, 2, 1, 12, 0, tzinfo=UTC))
    tick = ledger_pb2.PriceTick(
        symbol=symbol, quote="AUD", source="cli-test", last=last, observed_at=observed
    )
    with grpc.insecure_channel(address) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        return stub.IngestPriceTicks(
            ledger_pb2.IngestPriceTicksRequest(ticks=[tick]),
            metadata=admin_key(home),
            timeout=RPC_TIMEOUT,
        )


def latest_prices(address: str, home: Path, *symbols: str) -> dict[str, str]:
    with grpc.insecure_channel(address) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        response = stub.GetLatestPrices(
            ledger_pb2.GetLatestPricesRequest(symbols=list(symbols), quote="AUD"),
            metadata=admin_key(home),
            timeout=RPC_TIMEOUT,
        )
    return {tick.symbol: tick.last for tick in response.ticks}


@pytest.fixture
def home() -> Iterator[Path]:
    # Short on purpose: the embedded server's Unix socket lives under OMC_HOME and socket
    # paths are limited to about 100 bytes, which pytest's deep tmp_path can exceed.
    directory = Path(tempfile.mkdtemp(prefix="omc-cli-"))
    yield directory / "home"
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    """An empty, unmigrated database of this test's own: `omc` must migrate it itself."""
    name = f"omc_cli_{worker_id()}"
    yield recreate_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


def test_version() -> None:
    result = run_omc(omc_environment(Path("/nonexistent"), None), "--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"omc {omc.__version__}"


def test_invalid_configuration_is_a_usage_error(home: Path) -> None:
    env = omc_environment(home, None) | {"OMC_STORAGE": "sqlite"}

    result = run_omc(env, "demo-data")

    assert result.returncode == 2
    assert "invalid OMC_STORAGE" in result.stderr


def test_demo_data_twice_inserts_once_then_reports_only_duplicates(
    home: Path, database_url: str
) -> None:
    env = omc_environment(home, database_url)
    expected = demo_records(DEMO_ANCHOR).counts()

    first = run_omc(env, "demo-data")
    second = run_omc(env, "demo-data")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert demo_table(first.stdout) == {name: (n, 0, 0) for name, n in expected.items()}
    assert demo_table(second.stdout) == {name: (0, 0, n) for name, n in expected.items()}


def test_migrate_reports_the_head_revision(home: Path, database_url: str) -> None:
    result = run_omc(omc_environment(home, database_url), "migrate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database schema at revision ")
    assert "None" not in result.stdout


def test_serve_is_healthy_stops_on_sigterm_and_keeps_its_data(
    home: Path, database_url: str
) -> None:
    env = omc_environment(home, database_url)

    with serving(env) as (served, address):
        assert health_status(address) == health_pb2.HealthCheckResponse.SERVING
        check = run_omc(env, "health", "--address", address)
        assert check.returncode == 0, check.stderr
        assert check.stdout.strip() == f"{address}: SERVING"
        assert ingest_tick(address, home, "btc", "150000.5").inserted == 1
        assert served.terminate() == 0
        served.wait_for("stopped", STOP_TIMEOUT)

    after_stop = run_omc(env, "health", "--address", address, "--timeout", "2")
    assert after_stop.returncode == 1

    with serving(env) as (served, address):
        assert latest_prices(address, home, "BTC") == {"BTC": "150000.5"}
        assert served.terminate() == 0


def test_without_a_database_url_an_embedded_postgres_lives_as_long_as_omc(home: Path) -> None:
    env = omc_environment(home, None)
    postmaster_pid = home / "pgdata" / "postmaster.pid"

    with serving(env) as (served, address):
        assert postmaster_pid.exists()
        assert health_status(address) == health_pb2.HealthCheckResponse.SERVING
        assert ingest_tick(address, home, "eth", "4900.25").inserted == 1
        assert served.terminate() == 0
        served.wait_for("embedded_postgres_stopped", STOP_TIMEOUT)
    assert not postmaster_pid.exists()

    loaded = run_omc(env, "demo-data")
    assert loaded.returncode == 0, loaded.stderr
    assert demo_table(loaded.stdout)["price_ticks"][0] > 0
    assert not postmaster_pid.exists()

    with serving(env) as (served, address):
        prices = latest_prices(address, home, "BTC", "ETH")
        # ETH: the tick ingested before the restart is newer than the demo's.
        assert prices["ETH"] == "4900.25"
        assert "BTC" in prices
        assert served.terminate() == 0
    assert not postmaster_pid.exists()
