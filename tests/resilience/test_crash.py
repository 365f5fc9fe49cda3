"""Crash: `kill -9` of `omc serve` in the middle of a stream of ingest batches.

After a restart on the same database every batch that was acknowledged is stored whole,
and no batch is half-stored (a batch is one transaction: all of its rows or none).
"""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest

from omc.v1 import ledger_pb2, ledger_pb2_grpc
from tests.support.processes import (
    SERVING,
    ServeProcess,
    bearer,
    count_rows,
    health,
    omc_env,
    serving,
    wait_until,
)
from tests.support.traffic import BATCH_SYMBOLS, price_batch

pytestmark = pytest.mark.postgres

STREAMS = 4
RPC_TIMEOUT = 10.0


class Stream:
    """Threads sending batches back to back until the server goes away."""

    def __init__(self, address: str, key: str) -> None:
        self.acknowledged: set[str] = set()
        self.codes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._address = address
        self._key = key
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(STREAMS)
        ]
        for thread in self._threads:
            thread.start()

    def _send(self, stream: int) -> None:
        with grpc.insecure_channel(self._address) as channel:
            stub = ledger_pb2_grpc.LedgerServiceStub(channel)
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                marker = f"crash-{stream}-{sequence}"
                try:
                    stub.IngestPriceTicks(
                        price_batch(marker, sequence), metadata=bearer(self._key),
                        timeout=RPC_TIMEOUT,
                    )  # fmt: skip
                except grpc.RpcError as error:
                    code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
                    with self._lock:
                        self.codes[code] = self.codes.get(code, 0) + 1
                    continue
                with self._lock:
                    self.acknowledged.add(marker)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=RPC_TIMEOUT + 5)


def test_kill_9_during_ingest_keeps_every_acknowledged_batch_and_no_partial_one(
    database_url: str, home: Path
) -> None:
    env = omc_env(home, database_url)
    served = ServeProcess(env)
    try:
        served.wait_for("serving")
        key = (home / "admin.key").read_text().strip()
        stream = Stream(served.address, key)
        try:
            wait_until(lambda: len(stream.acknowledged) >= 100, 60, "batches before the crash")
            served.kill9()
            acknowledged_before_restart = len(stream.acknowledged)
        finally:
            stream.stop()
    finally:
        served.kill9()

    with serving(env) as (restarted,):
        assert health(restarted.address) == SERVING
        with grpc.insecure_channel(restarted.address) as channel:
            assert ledger_pb2_grpc.LedgerServiceStub(channel).GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(symbols=["BTC"], quote="AUD"),
                metadata=bearer(key), timeout=RPC_TIMEOUT,
            ).ticks  # fmt: skip

    rows = dict(
        count_rows(  # type: ignore[arg-type]
            database_url,
            "SELECT source, count(*) FROM price_ticks WHERE source LIKE 'crash-%%' GROUP BY source",
        )
    )
    print(
        f"\ncrash: {len(stream.acknowledged)} batches acknowledged ({acknowledged_before_restart} "
        f"when killed), {len(rows)} stored; failed calls after the kill: {stream.codes}"
    )
    missing = sorted(stream.acknowledged - set(rows))
    partial = {source: n for source, n in rows.items() if n != len(BATCH_SYMBOLS)}
    assert not missing, f"acknowledged batches lost: {missing[:10]}"
    assert not partial, f"half-stored batches: {partial}"
