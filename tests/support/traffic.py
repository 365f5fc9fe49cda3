"""Requests for load and fault tests: price-tick batches marked by their `source` (so a
batch's rows can be counted in the database), fills, and a tally of status codes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from omc.v1 import ledger_pb2, trading_pb2

BATCH_SYMBOLS = ("BTC", "ETH", "SOL", "ADA", "XRP")
EPOCH = datetime(2026, 3, 1, tzinfo=UTC)


def timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def price_batch(marker: str, sequence: int) -> ledger_pb2.IngestPriceTicksRequest:
    """One tick per symbol, all with source `marker`: the batch is the rows of that source."""
    observed = timestamp(EPOCH + timedelta(seconds=sequence))
    return ledger_pb2.IngestPriceTicksRequest(
        ticks=[
            ledger_pb2.PriceTick(
                symbol=symbol, quote="AUD", source=marker, last=f"{100 + n}.{sequence % 100:02d}",
                bid=f"{99 + n}.5", ask=f"{101 + n}.5", observed_at=observed,
            )
            for n, symbol in enumerate(BATCH_SYMBOLS)
        ]
    )  # fmt: skip


def fills_batch(prefix: str, sequence: int) -> trading_pb2.RecordFillsRequest:
    """A buy and a smaller sell of BTC: never oversells, whatever order batches land in
    (every buy precedes its own sell in time and the position only grows)."""
    at = EPOCH + timedelta(minutes=sequence)
    return trading_pb2.RecordFillsRequest(
        fills=[
            trading_pb2.Fill(
                fill_id=f"{prefix}-{sequence}-b", symbol="BTC", quote="AUD",
                side=trading_pb2.SIDE_BUY, quantity="0.02", price="150000", fee="1",
                fee_currency="AUD", executed_at=timestamp(at),
            ),
            trading_pb2.Fill(
                fill_id=f"{prefix}-{sequence}-s", symbol="BTC", quote="AUD",
                side=trading_pb2.SIDE_SELL, quantity="0.01", price="151000", fee="1",
                fee_currency="AUD", executed_at=timestamp(at + timedelta(seconds=30)),
            ),
        ]
    )  # fmt: skip


class Tally:
    """Status codes per RPC, safe to update from many threads or tasks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.codes: Counter[tuple[str, str]] = Counter()
        self.details: dict[str, str] = {}

    def record(self, rpc: str, code: grpc.StatusCode, detail: str = "") -> None:
        with self._lock:
            self.codes[(rpc, code.name)] += 1
            if code not in (grpc.StatusCode.OK,) and code.name not in self.details:
                self.details[code.name] = f"{rpc}: {detail}"

    def by_code(self) -> Counter[str]:
        with self._lock:
            result: Counter[str] = Counter()
            for (_rpc, code), n in self.codes.items():
                result[code] += n
            return result

    def table(self) -> str:
        with self._lock:
            return "\n".join(
                f"  {rpc:<16} {code:<20} {n}" for (rpc, code), n in sorted(self.codes.items())
            )


FAULTS = frozenset({"INTERNAL", "UNKNOWN", "DATA_LOSS"})
