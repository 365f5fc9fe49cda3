"""CloudWatch Embedded Metric Format (EMF): metrics as JSON lines on stdout.

On ECS the awslogs driver ships stdout to CloudWatch Logs, which turns every line
carrying an `_aws` block into metrics: no agent, no PutMetricData calls, no extra IAM.

The names below are the contract with `terraform/modules/monitoring`: its alarms and
dashboard use exactly these strings, and tests/infra cross-checks them.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

NAMESPACE = "OMC"

# Dimensions. Environment is on every metric so staging and production can share an
# account without mixing their numbers.
DIM_ENVIRONMENT = "Environment"
DIM_METHOD = "Method"
DIM_COLLECTOR = "Collector"
DIM_LEDGER = "Ledger"
DIMENSIONS = frozenset({DIM_ENVIRONMENT, DIM_METHOD, DIM_COLLECTOR, DIM_LEDGER})

# Metric names.
RPC_COUNT = "RpcCount"
RPC_LATENCY = "RpcLatency"
# Server-side faults only: a client's INVALID_ARGUMENT or NOT_FOUND is not an outage.
# The ALB cannot see these (gRPC errors travel as HTTP 200 with a status trailer).
RPC_ERRORS = "RpcErrors"
COLLECTOR_RUNS = "CollectorRuns"
COLLECTOR_FAILURES = "CollectorFailures"
RECORDS_INSERTED = "RecordsInserted"
QUALITY_SCORE = "QualityScore"
AGENT_SESSIONS = "AgentSessions"
AGENT_FAILURES = "AgentFailures"
METRIC_NAMES = frozenset(
    {
        RPC_COUNT,
        RPC_LATENCY,
        RPC_ERRORS,
        COLLECTOR_RUNS,
        COLLECTOR_FAILURES,
        RECORDS_INSERTED,
        QUALITY_SCORE,
        AGENT_SESSIONS,
        AGENT_FAILURES,
    }
)

SERVER_FAULT_CODES = frozenset(
    {"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "DEADLINE_EXCEEDED", "UNIMPLEMENTED"}
)
# A collector that found another replica holding the lease "skipped": that is the
# coordination working, not a failure.
COLLECTOR_OK_STATUSES = frozenset({"ok", "success", "succeeded", "skipped"})
AGENT_OK_OUTCOMES = frozenset({"ok", "success", "succeeded", "completed"})

# CloudWatch rejects dimension values longer than this.
_MAX_DIMENSION_VALUE = 1024


def _status_code_name(code: str) -> str:
    # Accept "INTERNAL", "internal" and str(grpc.StatusCode.INTERNAL) alike.
    return code.rsplit(".", 1)[-1].strip().upper()


class EmfMetrics:
    """`omc.application.telemetry.Metrics` written as one EMF JSON line per event."""

    def __init__(
        self,
        environment: str,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not environment.strip():
            raise ValueError("environment must not be blank")
        self._environment = environment.strip()[:_MAX_DIMENSION_VALUE]
        self._stream = stream
        self._clock = clock
        self._lock = threading.Lock()

    def rpc(self, method: str, code: str, duration_ms: float) -> None:
        name = _status_code_name(code)
        values: dict[str, float] = {
            RPC_COUNT: 1,
            RPC_ERRORS: 1 if name in SERVER_FAULT_CODES else 0,
        }
        if math.isfinite(duration_ms) and duration_ms >= 0:
            values[RPC_LATENCY] = duration_ms
        self._emit(
            dimension_sets=[[DIM_ENVIRONMENT], [DIM_ENVIRONMENT, DIM_METHOD]],
            dimensions={DIM_METHOD: method},
            units={RPC_COUNT: "Count", RPC_ERRORS: "Count", RPC_LATENCY: "Milliseconds"},
            values=values,
            properties={"Code": name},
        )

    def collector_run(self, collector: str, status: str, inserted: int) -> None:
        failed = status.strip().lower() not in COLLECTOR_OK_STATUSES
        self._emit(
            dimension_sets=[[DIM_ENVIRONMENT], [DIM_ENVIRONMENT, DIM_COLLECTOR]],
            dimensions={DIM_COLLECTOR: collector},
            units={COLLECTOR_RUNS: "Count", COLLECTOR_FAILURES: "Count", RECORDS_INSERTED: "Count"},
            values={
                COLLECTOR_RUNS: 1,
                COLLECTOR_FAILURES: 1 if failed else 0,
                RECORDS_INSERTED: max(inserted, 0),
            },
            properties={"Status": status},
        )

    def quality_score(self, ledger: str, score: float) -> None:
        if not math.isfinite(score):
            return
        # The Environment-only set lets one alarm watch the worst ledger via Minimum.
        self._emit(
            dimension_sets=[[DIM_ENVIRONMENT], [DIM_ENVIRONMENT, DIM_LEDGER]],
            dimensions={DIM_LEDGER: ledger},
            units={QUALITY_SCORE: "None"},
            values={QUALITY_SCORE: score},
        )

    def agent_session(self, outcome: str) -> None:
        failed = outcome.strip().lower() not in AGENT_OK_OUTCOMES
        self._emit(
            dimension_sets=[[DIM_ENVIRONMENT]],
            dimensions={},
            units={AGENT_SESSIONS: "Count", AGENT_FAILURES: "Count"},
            values={AGENT_SESSIONS: 1, AGENT_FAILURES: 1 if failed else 0},
            properties={"Outcome": outcome},
        )

    def _emit(
        self,
        *,
        dimension_sets: Sequence[Sequence[str]],
        dimensions: Mapping[str, str],
        units: Mapping[str, str],
        values: Mapping[str, float],
        properties: Mapping[str, str] | None = None,
    ) -> None:
        labels = {
            key: (value or "unknown")[:_MAX_DIMENSION_VALUE] for key, value in dimensions.items()
        }
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(self._clock() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [list(dims) for dims in dimension_sets],
                        "Metrics": [{"Name": name, "Unit": units[name]} for name in values],
                    }
                ],
            },
            **(properties or {}),
            DIM_ENVIRONMENT: self._environment,
            **labels,
            **values,
        }
        line = json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n"
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            with self._lock:
                stream.write(line)
                stream.flush()
        except (OSError, ValueError):
            # A closed or broken stdout must not fail the RPC that produced the number.
            return
