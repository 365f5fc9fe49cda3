"""Three `omc serve` replicas (A, B, C) on one Postgres.

A collector tick runs once in total, not once per replica; a WatchPrices subscriber on B
receives ticks ingested through A; an agent session started on A (it asks which coin)
is continued on B; a key revoked on A is refused by C within 5 s.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from omc.adapters.sources.catalog import COLLECTOR_NAMES
from omc.v1 import admin_pb2, admin_pb2_grpc, agent_pb2, agent_pb2_grpc, ledger_pb2, ledger_pb2_grpc
from tests.support.fixture_server import FixtureServer, serve_all_sources
from tests.support.processes import (
    bearer,
    count_rows,
    create_key,
    omc_env,
    run_omc,
    serving,
    wait_until,
)
from tests.support.traffic import BATCH_SYMBOLS, price_batch

pytestmark = pytest.mark.postgres

RPC_TIMEOUT = 10.0
BOUND = 30.0
CADENCE = 60.0  # first tick within 10% of it, then none due for half of it
REVOCATION_BOUND = 5.0


@pytest.fixture
def homes(home: Path) -> list[Path]:
    return [home / name for name in "abc"]


@pytest.fixture
def upstream() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        serve_all_sources(server)
        yield server


def collector_settings(base_url: str) -> dict[str, str]:
    settings = {"collectors_enabled": "true"}
    for name in COLLECTOR_NAMES:
        settings[f"sources__{name}__enabled"] = str(name == "coinspot_prices").lower()
    settings["sources__coinspot_prices__base_url"] = base_url
    settings["sources__coinspot_prices__cadence_seconds"] = str(CADENCE)
    settings["sources__coinspot_prices__rate_per_second"] = "0"
    settings["sources__coinspot_prices__timeout_seconds"] = "20"
    return settings


def converse(address: str, key: str, request: agent_pb2.ConverseRequest,
             until: int) -> list[agent_pb2.AgentEvent]:  # fmt: skip
    done = threading.Event()

    def outgoing() -> Iterator[agent_pb2.ConverseRequest]:
        yield request
        done.wait(BOUND)

    events: list[agent_pb2.AgentEvent] = []
    with grpc.insecure_channel(address) as channel:
        call = agent_pb2_grpc.AgentServiceStub(channel).Converse(
            outgoing(), metadata=bearer(key), timeout=BOUND
        )
        try:
            for response in call:
                events.append(response.event)
                if response.event.kind == until:
                    break
        finally:
            done.set()
            call.cancel()
    return events


def test_three_replicas_share_ticks_streams_sessions_and_revocations(
    database_url: str, homes: list[Path], upstream: FixtureServer
) -> None:
    envs = [omc_env(home, database_url, **collector_settings(upstream.base_url)) for home in homes]
    migrated = run_omc(envs[0], "migrate")
    assert migrated.returncode == 0, migrated.stderr
    _admin_id, admin = create_key(envs[0], "ops", "admin")
    with serving(*envs) as (a, b, c):
        # -- a collector tick runs once in total ------------------------------------------
        wait_until(
            lambda: count_rows(database_url, "SELECT count(*) FROM collector_runs")[0][0] >= 1,
            BOUND, "a collector run",
        )  # fmt: skip
        # Every replica's first tick falls within 10% of the cadence of its start.
        time.sleep(CADENCE * 0.1 + 2)
        runs = count_rows(
            database_url, "SELECT collector, status FROM collector_runs ORDER BY started_at"
        )
        assert runs == [("coinspot_prices", "success")], runs

        # -- WatchPrices on B sees ticks ingested through A -------------------------------
        received: queue.Queue[ledger_pb2.PriceTick] = queue.Queue()
        with grpc.insecure_channel(b.address) as channel_b:
            watch = ledger_pb2_grpc.LedgerServiceStub(channel_b).WatchPrices(
                ledger_pb2.WatchPricesRequest(symbols=list(BATCH_SYMBOLS), quote="AUD"),
                metadata=bearer(admin), timeout=BOUND,
            )  # fmt: skip

            def read() -> None:
                try:
                    for response in watch:
                        received.put(response.tick)
                except grpc.RpcError:
                    pass

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            with grpc.insecure_channel(a.address) as channel_a:
                ingest = ledger_pb2_grpc.LedgerServiceStub(channel_a).IngestPriceTicks
                marker = "replica-a"
                deadline = time.monotonic() + BOUND
                seen: set[str] = set()
                sequence = 0
                # The subscription may start a moment after the call returns: resend.
                while not seen and time.monotonic() < deadline:
                    sequence += 1
                    ingest(price_batch(marker, sequence), metadata=bearer(admin),
                           timeout=RPC_TIMEOUT)  # fmt: skip
                    try:
                        tick = received.get(timeout=2)
                    except queue.Empty:
                        continue
                    if tick.source == marker:
                        seen.add(tick.symbol)
            watch.cancel()
        assert seen, "no tick ingested on A reached the WatchPrices subscriber on B"

        # -- an agent session started on A continues on B ---------------------------------
        for replica in (a, b, c):
            assert replica.alive(), replica.log()
        vague = agent_pb2.Ask(question="how are prices doing?")
        first = converse(a.address, admin, agent_pb2.ConverseRequest(ask=vague),
                         until=agent_pb2.EVENT_KIND_CLARIFICATION_REQUESTED)  # fmt: skip
        assert first[-1].kind == agent_pb2.EVENT_KIND_CLARIFICATION_REQUESTED, first
        session_id = first[0].session_id
        try:
            rest = converse(b.address, admin,
                        agent_pb2.ConverseRequest(session_id=session_id,
                                                  answer=agent_pb2.Answer(text="BTC please")),
                        until=agent_pb2.EVENT_KIND_SESSION_ENDED)  # fmt: skip
        except grpc.RpcError:
            for replica in (a, b, c):
                print(f"replica {replica.address}: exit code {replica.process.returncode}\n"
                      f"{replica.log(30)}")  # fmt: skip
            raise
        kinds = [event.kind for event in rest]
        assert agent_pb2.EVENT_KIND_FINAL_ANSWER in kinds, kinds
        assert rest[0].seq == first[-1].seq + 1
        with grpc.insecure_channel(c.address) as channel_c:
            session = agent_pb2_grpc.AgentServiceStub(channel_c).GetSession(
                agent_pb2.GetSessionRequest(session_id=session_id), metadata=bearer(admin),
                timeout=RPC_TIMEOUT,
            ).session  # fmt: skip
        assert session.status == agent_pb2.SESSION_STATUS_COMPLETED

        # -- a key revoked on A is refused by C within 5 s -------------------------------
        key_id, key = create_key(envs[0], "reader", "ledger:read")
        with grpc.insecure_channel(c.address) as channel_c, \
                grpc.insecure_channel(a.address) as channel_a:  # fmt: skip
            latest = ledger_pb2_grpc.LedgerServiceStub(channel_c).GetLatestPrices
            request = ledger_pb2.GetLatestPricesRequest(symbols=["BTC"], quote="AUD")
            latest(request, metadata=bearer(key), timeout=RPC_TIMEOUT)  # cached on C now
            admin_pb2_grpc.AdminServiceStub(channel_a).RevokeApiKey(
                admin_pb2.RevokeApiKeyRequest(key_id=key_id), metadata=bearer(admin),
                timeout=RPC_TIMEOUT,
            )  # fmt: skip
            revoked_at = time.monotonic()

            def refused() -> bool:
                try:
                    latest(request, metadata=bearer(key), timeout=RPC_TIMEOUT)
                except grpc.RpcError as error:
                    code = error.code() if isinstance(error, grpc.Call) else None
                    if code != grpc.StatusCode.UNAUTHENTICATED:
                        raise AssertionError(f"expected UNAUTHENTICATED, got {error}") from error
                    return True
                return False

            wait_until(refused, BOUND, "the revoked key refused on C")
            refused_after = time.monotonic() - revoked_at
    print(f"\nreplicas: one collector run in total; watch on B saw {sorted(seen)} from A; "
          f"session {session_id} continued on B; revoked key refused on C after "
          f"{refused_after:.2f}s")  # fmt: skip
    assert refused_after <= REVOCATION_BOUND
