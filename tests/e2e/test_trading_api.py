"""End to end: TradingService and PnLService behind the real AuthInterceptor with real
API keys, through real channels, over memory and Postgres (the `storage` fixture).

The hand-computed cases of the trading issue, batch semantics over the wire, marks
from price ticks ingested through LedgerService, and isolation between users.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc import aio
from PIL import Image

from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.pnl_servicer import pnl_binding
from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.grpc.trading_servicer import trading_binding
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.application.ledger import LedgerUseCases
from omc.application.trading import TradingBooks
from omc.v1 import ledger_pb2, ledger_pb2_grpc, pnl_pb2, pnl_pb2_grpc, trading_pb2_grpc
from omc.v1 import trading_pb2 as tpb
from tests.conftest import Storage
from tests.contract.test_fill_repository import trading_store
from tests.e2e.support_security import bearer, details, key_tools

BASE = datetime(2024, 5, 1, 12, tzinfo=UTC)
Metadata = tuple[tuple[str, str]]


@dataclass
class Api:
    trading: trading_pb2_grpc.TradingServiceStub
    pnl: pnl_pb2_grpc.PnLServiceStub
    ledger: ledger_pb2_grpc.LedgerServiceStub
    alice: Metadata
    bob: Metadata
    admin: Metadata
    reader: Metadata  # alice, trading:read only
    ticker: Metadata  # ledger:write, to ingest prices
    port: int
    alice_key: str

    async def record(
        self, who: Metadata, *fills: tpb.Fill, user_id: str = ""
    ) -> tpb.RecordFillsResponse:
        request = tpb.RecordFillsRequest(fills=list(fills), user_id=user_id)
        response: tpb.RecordFillsResponse = await self.trading.RecordFills(request, metadata=who)
        return response

    async def summary(self, who: Metadata, **fields: object) -> pnl_pb2.PnLSummary:
        response = await self.pnl.GetPnLSummary(
            pnl_pb2.GetPnLSummaryRequest(**fields),  # type: ignore[arg-type]
            metadata=who,
        )
        return response.summary

    async def fill_ids(self, who: Metadata, **fields: object) -> list[str]:
        response = await self.trading.ListFills(
            tpb.ListFillsRequest(**fields),  # type: ignore[arg-type]
            metadata=who,
        )
        return [fill.fill_id for fill in response.fills]

    async def price(self, symbol: str, hours: float, last: str) -> None:
        tick = ledger_pb2.PriceTick(
            symbol=symbol, quote="AUD", source="coinspot", last=last, observed_at=_ts(hours)
        )
        await self.ledger.IngestPriceTicks(
            ledger_pb2.IngestPriceTicksRequest(ticks=[tick]), metadata=self.ticker
        )


def _ts(hours: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(BASE + timedelta(hours=hours))
    return stamp


def buy(fill_id: str, quantity: str, price: str, hours: float = 0, **extra: str) -> tpb.Fill:
    return tpb.Fill(
        fill_id=fill_id, symbol="BTC", side=tpb.SIDE_BUY, quantity=quantity, price=price,
        executed_at=_ts(hours), **extra,
    )  # fmt: skip


def sell(fill_id: str, quantity: str, price: str, hours: float = 1, **extra: str) -> tpb.Fill:
    return tpb.Fill(
        fill_id=fill_id, symbol="BTC", side=tpb.SIDE_SELL, quantity=quantity, price=price,
        executed_at=_ts(hours), **extra,
    )  # fmt: skip


@pytest.fixture
async def api(storage: Storage, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    store = await trading_store(storage, request)
    api_keys, authenticator = key_tools(MemoryApiKeyRepository())
    clock = SystemClock()
    books = TradingBooks(store.fills, store.marks, clock)
    ledger = LedgerUseCases.build(storage.repositories, storage.fanout, clock)
    server = GrpcServer(
        [ledger_binding(ledger), trading_binding(books), pnl_binding(books)],
        interceptors=[AuthInterceptor(authenticator)],
    )
    port = await server.start("127.0.0.1:0")
    channel = aio.insecure_channel(f"127.0.0.1:{port}")

    async def key(user: str, *scopes: str) -> Metadata:
        return bearer((await api_keys.create(user, list(scopes))).plaintext)

    alice = (await api_keys.create("alice", ["trading:read", "trading:write"])).plaintext

    try:
        yield Api(
            trading_pb2_grpc.TradingServiceStub(channel),
            pnl_pb2_grpc.PnLServiceStub(channel),
            ledger_pb2_grpc.LedgerServiceStub(channel),
            alice=bearer(alice),
            bob=await key("bob", "trading:read", "trading:write"),
            admin=await key("root", "admin"),
            reader=await key("alice", "trading:read"),
            ticker=await key("feed", "ledger:write"),
            port=port,
            alice_key=alice,
        )
    finally:
        await channel.close()
        await server.stop(0)


def _info(error: aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    [info] = details(error, error_details_pb2.ErrorInfo)
    return info  # type: ignore[no-any-return]


# --- hand-computed cases ----------------------------------------------------------------


async def test_buy_then_sell_realizes_the_difference(api: Api) -> None:
    await api.record(api.alice, buy("b", "1", "50000"), sell("s", "1", "55000"))

    summary = await api.summary(api.alice)

    assert summary.realized_pnl == "5000"
    assert (summary.unrealized_pnl, summary.total_pnl) == ("0", "5000")  # flat: known zero
    assert (summary.closing_trades, summary.wins, summary.losses) == (1, 1, 0)
    assert summary.profit_factor == ""  # no losses: absent, never zero
    assert summary.average_loss == ""
    assert summary.largest_loss == ""
    assert summary.quote == "AUD"


@pytest.mark.parametrize(
    ("method", "realized"),
    [
        (tpb.COST_METHOD_FIFO, "3000"),
        (tpb.COST_METHOD_LIFO, "2000"),
        (tpb.COST_METHOD_AVERAGE, "2500"),
        (tpb.COST_METHOD_UNSPECIFIED, "3000"),
    ],
)
async def test_cost_methods(api: Api, method: int, realized: str) -> None:
    await api.record(
        api.alice,
        buy("b1", "1", "50000", 0),
        buy("b2", "1", "51000", 1),
        sell("s", "1", "53000", 2),
    )

    summary = await api.summary(api.alice, method=method)

    assert summary.realized_pnl == realized


async def test_partial_sell_and_a_window_that_starts_after_the_buy(api: Api) -> None:
    await api.record(api.alice, buy("b", "10", "50000", 0), sell("s", "3", "52000", 48))
    await api.price("BTC", 50, "53000")

    summary = await api.summary(api.alice, start_time=_ts(24))
    before = await api.summary(api.alice, start_time=_ts(0), end_time=_ts(24))

    assert summary.realized_pnl == "6000"  # the buy before the window is still the cost
    assert summary.unrealized_pnl == "21000"  # 7 x (53000 - 50000), marked from the ledger
    assert [(p.quantity, p.mark) for p in summary.positions] == [("7", "53000")]
    assert before.realized_pnl == "0"
    assert before.closing_trades == 0
    assert before.win_rate == ""


@pytest.mark.parametrize(
    ("buy_fee", "sell_fee", "realized", "fees_paid"),
    [
        # Quote fees: into the cost, out of the proceeds.
        ({"fee": "10"}, {"fee": "11"}, "4979", "21"),
        # A base fee on the buy: 0.99 BTC arrive for 50,000; all of it sells at 55,000.
        ({"fee": "0.01", "fee_currency": "BTC"}, {}, "4450", "500"),
        # A third asset at the rate on the fill: 0.1 BNB x 500 = 50 AUD each way.
        (
            {"fee": "0.1", "fee_currency": "BNB", "fee_rate_to_quote": "500"},
            {"fee": "0.1", "fee_currency": "bnb", "fee_rate_to_quote": "500"},
            "4900",
            "100",
        ),
    ],
)
async def test_fees(
    api: Api, buy_fee: dict[str, str], sell_fee: dict[str, str], realized: str, fees_paid: str
) -> None:
    quantity = "0.99" if buy_fee.get("fee_currency") == "BTC" else "1"
    await api.record(
        api.alice, buy("b", "1", "50000", **buy_fee), sell("s", quantity, "55000", **sell_fee)
    )

    summary = await api.summary(api.alice)

    assert (summary.realized_pnl, summary.fees_paid) == (realized, fees_paid)


async def test_a_third_asset_fee_without_a_rate_is_invalid(api: Api) -> None:
    with pytest.raises(aio.AioRpcError) as raised:
        await api.record(api.alice, buy("b", "1", "50000", fee="0.1", fee_currency="BNB"))

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    [bad] = details(raised.value, error_details_pb2.BadRequest)
    assert [v.field for v in bad.field_violations] == ["fills[0].fee_rate_to_quote"]


# --- batches -----------------------------------------------------------------------------


async def test_duplicates_and_already_exists(api: Api) -> None:
    first = await api.record(api.alice, buy("a", "1", "100"))
    again = await api.record(api.alice, buy("a", "1.000", "100"), buy("b", "1", "100", 2))

    assert (first.inserted, first.duplicate) == (1, 0)
    assert (again.inserted, again.duplicate) == (1, 1)
    with pytest.raises(aio.AioRpcError) as raised:
        await api.record(api.alice, buy("c", "1", "1", 3), buy("a", "2", "100"))
    assert raised.value.code() is grpc.StatusCode.ALREADY_EXISTS
    info = _info(raised.value)
    assert (info.reason, info.metadata["fill_id"]) == ("ALREADY_EXISTS", "a")
    assert await api.fill_ids(api.alice) == ["a", "b"]  # "c" was not written


async def test_an_oversell_is_failed_precondition_naming_the_fill(api: Api) -> None:
    await api.record(api.alice, buy("b", "1", "100", 0))

    with pytest.raises(aio.AioRpcError) as raised:
        await api.record(api.alice, buy("b2", "1", "100", 5), sell("s", "1.5", "120", 2))

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    info = _info(raised.value)
    assert (info.reason, info.metadata["fill_id"]) == ("OVERSELL", "s")
    assert "'s'" in (raised.value.details() or "")
    assert await api.fill_ids(api.alice) == ["b"]  # nothing of the batch


# --- positions and marks ------------------------------------------------------------------


async def test_positions_with_and_without_a_price(api: Api) -> None:
    eth = tpb.Fill(
        fill_id="e", symbol="eth", side=tpb.SIDE_BUY, quantity="2", price="3000", executed_at=_ts(0)
    )
    await api.record(api.alice, buy("b", "1", "50000"), eth)
    await api.price("BTC", 1, "60000")

    response = await api.trading.ListPositions(tpb.ListPositionsRequest(), metadata=api.alice)
    summary = await api.summary(api.alice, quote="AUD")

    btc, ether = response.positions
    assert (btc.symbol, btc.mark, btc.unrealized_pnl, btc.market_value) == (
        "BTC", "60000", "10000", "60000",
    )  # fmt: skip
    assert btc.mark_time == _ts(1)
    assert (ether.symbol, ether.mark, ether.unrealized_pnl, ether.market_value) == (
        "ETH",
        "",
        "",
        "",
    )
    assert not ether.HasField("mark_time")
    assert (summary.unrealized_pnl, summary.total_pnl) == ("", "")  # unknown, not zero
    assert list(summary.unmarked) == ["ETH/AUD"]


async def test_history_buckets_from_ingested_ticks(api: Api) -> None:
    await api.record(api.alice, buy("b", "2", "100", 1), sell("s", "1", "130", 25))
    await api.price("BTC", 2, "110")
    await api.price("BTC", 30, "150")

    response = await api.pnl.GetPnLHistory(
        pnl_pb2.GetPnLHistoryRequest(
            start_time=_ts(-12), end_time=_ts(36), interval=pnl_pb2.HISTORY_INTERVAL_DAY
        ),
        metadata=api.alice,
    )

    assert [(p.realized_pnl, p.cumulative_realized_pnl, p.equity) for p in response.points] == [
        ("0", "0", "20"),  # 2 x 110 - 200
        ("30", "30", "80"),  # 30 realized + 1 x 150 - 100
    ]
    assert response.points[0].start_time == _ts(-12)
    assert response.points[-1].end_time == _ts(36)


async def test_breakdown_by_strategy(api: Api) -> None:
    await api.record(
        api.alice,
        buy("b", "2", "100", 0),
        sell("s1", "1", "110", 1, strategy_id="grid"),
        sell("s2", "1", "90", 2),
    )

    response = await api.pnl.GetPnLBreakdown(
        pnl_pb2.GetPnLBreakdownRequest(group_by=pnl_pb2.BREAKDOWN_GROUP_STRATEGY),
        metadata=api.alice,
    )

    assert [(g.key, g.summary.realized_pnl) for g in response.groups] == [
        ("", "-10"),
        ("grid", "10"),
    ]


# --- isolation ----------------------------------------------------------------------------


async def test_users_cannot_read_or_infer_each_others_books(api: Api) -> None:
    await api.record(api.alice, buy("a1", "1", "50000"), sell("a2", "1", "55000", strategy_id="s"))

    # Bob sees nothing, whatever he filters by.
    assert await api.fill_ids(api.bob) == []
    assert await api.fill_ids(api.bob, strategy_id="s") == []
    bob_summary = await api.summary(api.bob, strategy_id="s")
    assert (bob_summary.realized_pnl, bob_summary.closing_trades) == ("0", 0)
    positions = await api.trading.ListPositions(tpb.ListPositionsRequest(), metadata=api.bob)
    assert list(positions.positions) == []
    # Alice's fill ids are free in Bob's books: no ALREADY_EXISTS to probe them with.
    assert (await api.record(api.bob, buy("a1", "3", "7"))).inserted == 1
    # Naming Alice is refused the same way whether or not she exists.
    for user in ("alice", "nobody"):
        for call in (
            api.trading.ListFills(tpb.ListFillsRequest(user_id=user), metadata=api.bob),
            api.pnl.GetPnLSummary(pnl_pb2.GetPnLSummaryRequest(user_id=user), metadata=api.bob),
            api.trading.ListPositions(tpb.ListPositionsRequest(user_id=user), metadata=api.bob),
        ):
            with pytest.raises(aio.AioRpcError) as raised:
                await call
            assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    # The admin may look at (and write into) anyone's books.
    assert await api.fill_ids(api.admin, user_id="alice") == ["a1", "a2"]
    admin_view = await api.summary(api.admin, user_id="alice")
    assert admin_view.realized_pnl == "5000"
    assert (await api.summary(api.alice)).realized_pnl == "5000"  # Bob's a1 changed nothing


async def test_scopes_and_keys_are_enforced(api: Api) -> None:
    with pytest.raises(aio.AioRpcError) as read_only:
        await api.record(api.reader, buy("x", "1", "1"))
    with pytest.raises(aio.AioRpcError) as anonymous:
        await api.trading.ListFills(tpb.ListFillsRequest())

    assert read_only.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert await api.fill_ids(api.reader) == []


async def test_list_fills_pages_and_validates(api: Api) -> None:
    await api.record(api.alice, *(buy(f"f{i}", "1", "10", i) for i in range(5)))

    first = await api.trading.ListFills(tpb.ListFillsRequest(page_size=2), metadata=api.alice)
    second = await api.trading.ListFills(
        tpb.ListFillsRequest(page_size=2, page_token=first.next_page_token), metadata=api.alice
    )

    assert [f.fill_id for f in (*first.fills, *second.fills)] == ["f0", "f1", "f2", "f3"]
    assert first.fills[0].owner == "alice"
    assert first.fills[0].executed_at == _ts(0)
    with pytest.raises(aio.AioRpcError) as raised:
        await api.trading.ListFills(tpb.ListFillsRequest(page_size=-1), metadata=api.alice)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT


# --- the CLI ------------------------------------------------------------------------------


async def omc(api: Api, home: Path, key: str, *args: str) -> tuple[int, str, str]:
    """Runs the `omc` command in a child process against the in-process server."""
    env = {
        **os.environ,
        "OMC_GRPC_ADDRESS": f"127.0.0.1:{api.port}",
        "OMC_API_KEY": key,
        "OMC_HOME": str(home),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from omc.cli import main; sys.exit(main())", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("storage", ["memory"], indirect=True)  # the CLI, not storage
async def test_omc_pnl_prints_the_summary_and_plots(api: Api, tmp_path: Path) -> None:
    await api.record(
        api.alice,
        buy("b1", "1", "50000", 0),
        buy("b2", "1", "51000", 1),
        sell("s", "1", "53000", 30),
    )
    await api.price("BTC", 40, "52000")
    png = tmp_path / "equity.png"

    code, out, _err = await omc(
        api, tmp_path, api.alice_key, "pnl", "--method", "lifo", "--start", "2024-05-01",
        "--plot", str(png),
    )  # fmt: skip

    assert code == 0
    table = dict(line.split("  ", 1) for line in out.splitlines() if "  " in line)
    figures = {label.strip(): value.strip() for label, value in table.items()}
    assert figures["method"] == "lifo"
    assert figures["realized PnL"] == "2000"  # LIFO: 53,000 - 51,000
    assert figures["profit factor"] == "n/a"  # no losses: absent, not 0
    assert figures["unrealized PnL"] == "2000"  # LIFO keeps the 50,000 lot: 52,000 - 50,000
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size[0] > 100


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
async def test_omc_pnl_reports_errors_without_a_traceback(api: Api, tmp_path: Path) -> None:
    code, _out, err = await omc(api, tmp_path, "omc_" + "x" * 43, "pnl")

    assert code == 1
    assert "UNAUTHENTICATED" in err
    assert "Traceback" not in err
