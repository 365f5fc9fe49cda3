"""Database outage: the Postgres server stops under a steady mixed load and comes back.

One `omc serve` on a Postgres of this test's own, stopped and restarted with pg_ctl.
While it is down the service stays up, health says NOT_SERVING and calls answer
UNAVAILABLE (never INTERNAL or UNKNOWN); once it is back everything serves again
within 10 s; every ingest batch acknowledged OK is stored whole, and none is partial.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from omc.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    ledger_pb2,
    ledger_pb2_grpc,
    pnl_pb2,
    pnl_pb2_grpc,
    quality_pb2,
    quality_pb2_grpc,
    trading_pb2_grpc,
)
from tests.support.processes import (
    NOT_SERVING,
    SERVING,
    OwnPostgres,
    bearer,
    count_rows,
    health,
    omc_env,
    serving,
    wait_until,
)
from tests.support.traffic import BATCH_SYMBOLS, FAULTS, Tally, fills_batch, price_batch

pytestmark = pytest.mark.postgres

RPC_TIMEOUT = 10.0
WORKERS = 4
RECOVERY_BOUND = 10.0


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        yield server
    finally:
        server.destroy()


class Load:
    """Worker threads looping ingest batch -> GetLatestPrices -> ListPriceTicks ->
    RecordFills -> GetPnLSummary -> ListSessions -> ListQualityAlerts, tallying codes and
    remembering acknowledged batches."""

    def __init__(self, address: str, key: str) -> None:
        self._address = address
        self._metadata = bearer(key)
        self.tally = Tally()
        self.acknowledged: set[str] = set()
        self.attempted: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, args=(n,), daemon=True) for n in range(WORKERS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2 * RPC_TIMEOUT + 5)

    def _call(self, rpc: str, method: object, request: object) -> bool:
        try:
            method(request, metadata=self._metadata, timeout=RPC_TIMEOUT)  # type: ignore[operator]
        except grpc.RpcError as error:
            if isinstance(error, grpc.Call):
                self.tally.record(rpc, error.code(), error.details() or "")
            else:
                self.tally.record(rpc, grpc.StatusCode.UNKNOWN, str(error))
            return False
        self.tally.record(rpc, grpc.StatusCode.OK)
        return True

    def _work(self, worker: int) -> None:
        with grpc.insecure_channel(self._address) as channel:
            ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
            trading = trading_pb2_grpc.TradingServiceStub(channel)
            pnl = pnl_pb2_grpc.PnLServiceStub(channel)
            agent = agent_pb2_grpc.AgentServiceStub(channel)
            quality = quality_pb2_grpc.QualityServiceStub(channel)
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                marker = f"outage-{worker}-{sequence}"
                with self._lock:
                    self.attempted.add(marker)
                if self._call("IngestPriceTicks", ledger.IngestPriceTicks,
                              price_batch(marker, sequence)):  # fmt: skip
                    with self._lock:
                        self.acknowledged.add(marker)
                latest = ledger_pb2.GetLatestPricesRequest(symbols=["BTC"], quote="AUD")
                self._call("GetLatestPrices", ledger.GetLatestPrices, latest)
                page = ledger_pb2.ListPriceTicksRequest(page_size=20, newest_first=True)
                self._call("ListPriceTicks", ledger.ListPriceTicks, page)
                self._call("RecordFills", trading.RecordFills,
                           fills_batch(f"outage-{worker}", sequence))  # fmt: skip
                self._call("GetPnLSummary", pnl.GetPnLSummary, pnl_pb2.GetPnLSummaryRequest())
                self._call("ListSessions", agent.ListSessions,
                           agent_pb2.ListSessionsRequest(page_size=5))  # fmt: skip
                self._call("ListQualityAlerts", quality.ListQualityAlerts,
                           quality_pb2.ListQualityAlertsRequest(page_size=5))  # fmt: skip
                time.sleep(0.02)


def everything_serves(address: str, key: str) -> bool:
    if health(address) != SERVING:
        return False
    with grpc.insecure_channel(address) as channel:
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        try:
            ledger.IngestPriceTicks(price_batch("outage-probe", 1), metadata=bearer(key),
                                    timeout=RPC_TIMEOUT)  # fmt: skip
            ledger.GetLatestPrices(ledger_pb2.GetLatestPricesRequest(symbols=["BTC"], quote="AUD"),
                                   metadata=bearer(key), timeout=RPC_TIMEOUT)  # fmt: skip
            pnl_pb2_grpc.PnLServiceStub(channel).GetPnLSummary(
                pnl_pb2.GetPnLSummaryRequest(), metadata=bearer(key), timeout=RPC_TIMEOUT
            )
        except grpc.RpcError:
            return False
    return True


def test_database_outage_is_unavailable_then_recovers_and_loses_no_acknowledged_batch(
    own_postgres: OwnPostgres, home: Path
) -> None:
    env = omc_env(home, own_postgres.url)
    with serving(env) as (served,):
        key = (home / "admin.key").read_text().strip()
        load = Load(served.address, key)
        load.start()
        try:
            wait_until(lambda: len(load.acknowledged) >= 20, 30, "steady load before the outage")
            before = load.tally.by_code()

            own_postgres.stop()
            stopped_at = time.monotonic()
            wait_until(lambda: health(served.address) == NOT_SERVING, 20, "health NOT_SERVING")
            not_serving_after = time.monotonic() - stopped_at
            unavailable_then = load.tally.by_code()["UNAVAILABLE"]
            wait_until(
                lambda: load.tally.by_code()["UNAVAILABLE"] >= unavailable_then + 20,
                30, "calls answering UNAVAILABLE during the outage",
            )  # fmt: skip
            assert served.alive(), served.log()

            own_postgres.start()
            restarted_at = time.monotonic()
            wait_until(lambda: everything_serves(served.address, key), 30, "recovery", every=0.2)
            recovery = time.monotonic() - restarted_at
            acknowledged_at_recovery = len(load.acknowledged)
            wait_until(
                lambda: len(load.acknowledged) >= acknowledged_at_recovery + 20,
                30, "steady load after the outage",
            )  # fmt: skip
        finally:
            load.stop()
        assert served.alive(), served.log()
        assert health(served.address) == SERVING

    codes = load.tally.by_code()
    print(
        f"\noutage: NOT_SERVING {not_serving_after:.1f}s after the stop; everything served "
        f"{recovery:.1f}s after the restart; batches acknowledged {len(load.acknowledged)} "
        f"of {len(load.attempted)}\ncodes before the outage: {dict(before)}\n"
        f"codes overall:\n{load.tally.table()}"
    )
    assert not FAULTS & set(codes), (load.tally.table(), load.tally.details)
    assert set(codes) <= {"OK", "UNAVAILABLE"}, (load.tally.table(), load.tally.details)
    assert recovery <= RECOVERY_BOUND

    rows = dict(
        count_rows(  # type: ignore[arg-type]
            own_postgres.url,
            "SELECT source, count(*) FROM price_ticks WHERE source LIKE 'outage-%%-%%' "
            "GROUP BY source",
        )
    )
    rows.pop("outage-probe", None)
    missing = sorted(load.acknowledged - set(rows))
    partial = {source: n for source, n in rows.items() if n != len(BATCH_SYMBOLS)}
    assert not missing, f"acknowledged batches not stored: {missing[:10]}"
    assert not partial, f"half-stored batches: {partial}"
