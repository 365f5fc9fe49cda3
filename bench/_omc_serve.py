"""A real `omc serve` process for benches that measure the service as deployed (its
wiring, interceptors, LISTEN/NOTIFY listener), plus a sampler of its resident memory."""

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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

OMC = Path(sys.executable).with_name("omc")
START_TIMEOUT = 90.0


class OmcServe:
    """`omc serve` on an existing database, with collectors and the quality monitor off
    (no network here, and their timers would add noise) and a rate limit high enough
    that the bench measures the service, not the limiter's refusals."""

    def __init__(self, database_url: str, **settings: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="omc-bench-home-"))
        env = {name: value for name, value in os.environ.items() if not name.startswith("OMC_")}
        env.update(
            OMC_HOME=str(self.home),
            OMC_DATABASE_URL=database_url,
            OMC_API_KEY_PEPPER="bench-pepper",
            OMC_GRPC_ADDRESS="127.0.0.1:0",
            OMC_LOG_FORMAT="json",
            OMC_LOG_LEVEL="info",
            OMC_COLLECTORS_ENABLED="false",
            OMC_QUALITY_MONITOR_ENABLED="false",
            OMC_RATE_LIMIT_PER_SECOND="1000000",
            OMC_RATE_LIMIT_BURST="1000000",
            OMC_SHUTDOWN_GRACE_SECONDS="2",
            OMC_MAX_MESSAGE_BYTES=str(64 * 1024 * 1024),
        )
        env.update(settings)
        self._env = env
        self.process = subprocess.Popen(
            [str(OMC), "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._tail: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.address = f"127.0.0.1:{self._wait_for('serving')['port']}"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            # The per-RPC info lines are drained (a full pipe would block the server),
            # only the start-up ones are kept.
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                tail = "".join(self._tail)
                raise RuntimeError(f"omc serve: no {event!r} line:\n{tail}") from None
            if line is None:
                raise RuntimeError(f"omc serve exited before {event!r}:\n{''.join(self._tail)}")
            self._tail.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                record = json.loads(line)
                if record.get("event") == event:
                    threading.Thread(target=self._drain, daemon=True).start()
                    return dict(record)

    def _drain(self) -> None:
        while (line := self._lines.get()) is not None:
            self._tail = [*self._tail[-40:], line]

    def metadata(self) -> tuple[tuple[str, str]]:
        """Call metadata with an admin key: the one `omc serve` writes to OMC_HOME on an
        empty key table, else (a database reused across benches) one made by `omc keys`."""
        path = self.home / "admin.key"
        if not path.exists():
            created = subprocess.run(
                [str(OMC), "keys", "create", "--user", "bench-admin", "--scopes", "admin"],
                env=self._env, capture_output=True, text=True, timeout=120, check=True,
            )  # fmt: skip
            [key] = [
                line.split()[1] for line in created.stdout.splitlines() if line.startswith("key ")
            ]
            path.write_text(key)
        key = path.read_text().strip()
        return (("authorization", f"Bearer {key}"),)

    def stop(self) -> None:
        if self.process.poll() is not None:
            # It died under the bench: say why, or the figures would hide it.
            print(f"omc serve exited {self.process.returncode}:", file=sys.stderr)
            print("".join(self._tail[-40:]), file=sys.stderr)
        else:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)


@contextlib.contextmanager
def omc_serve(database_url: str, **settings: str) -> Iterator[OmcServe]:
    served = OmcServe(database_url, **settings)
    try:
        yield served
    finally:
        served.stop()


class RssSampler:
    """Samples a process's resident set size on a thread (psutil, every `interval`)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.samples: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.samples.append(self._process.memory_info().rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return max(self.samples, default=0) / 2**20

    def now_mib(self) -> float:
        return self._process.memory_info().rss / 2**20
