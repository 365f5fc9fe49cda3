from __future__ import annotations

import io
import json
from typing import Any

import pytest

from omc.adapters.aws import metrics_emf as emf
from omc.adapters.aws.metrics_emf import EmfMetrics
from omc.application.telemetry import Metrics, NullMetrics

NOW = 1_767_225_600.123


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def assert_valid_emf(document: dict[str, Any]) -> None:
    """The rules CloudWatch applies before it extracts anything from a log line."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int)
    assert meta["Timestamp"] == int(NOW * 1000)
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"] == emf.NAMESPACE
        assert 1 <= len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(document[key], str)
                assert 0 < len(document[key]) <= 1024
                assert key in emf.DIMENSIONS
        for metric in directive["Metrics"]:
            assert metric["Name"] in emf.METRIC_NAMES
            assert metric["Unit"] in {"Count", "Milliseconds", "None"}
            value = document[metric["Name"]]
            assert isinstance(value, int | float)
            assert not isinstance(value, bool)


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def metrics(stream: io.StringIO) -> EmfMetrics:
    return EmfMetrics("production", stream=stream, clock=lambda: NOW)


def test_both_implementations_satisfy_the_port(metrics: EmfMetrics) -> None:
    implementations: list[Metrics] = [metrics, NullMetrics()]
    for implementation in implementations:
        implementation.rpc("/omc.v1.LedgerService/ListPriceTicks", "OK", 1.0)
        implementation.collector_run("coingecko", "ok", 3)
        implementation.quality_score("exchange", 0.9)
        implementation.agent_session("completed")


def test_rpc_line_counts_latency_and_no_error_for_ok(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    metrics.rpc("/omc.v1.LedgerService/ListPriceTicks", "OK", 12.5)

    [doc] = lines(stream)
    assert_valid_emf(doc)
    assert doc["Environment"] == "production"
    assert doc["Method"] == "/omc.v1.LedgerService/ListPriceTicks"
    assert doc["Code"] == "OK"
    assert doc[emf.RPC_COUNT] == 1
    assert doc[emf.RPC_ERRORS] == 0
    assert doc[emf.RPC_LATENCY] == 12.5
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["Environment"],
        ["Environment", "Method"],
    ]


@pytest.mark.parametrize(
    ("code", "is_fault"),
    [
        ("INTERNAL", 1),
        ("StatusCode.UNAVAILABLE", 1),
        ("deadline_exceeded", 1),
        ("INVALID_ARGUMENT", 0),
        ("NOT_FOUND", 0),
        ("UNAUTHENTICATED", 0),
    ],
)
def test_only_server_faults_count_as_rpc_errors(
    metrics: EmfMetrics, stream: io.StringIO, code: str, is_fault: int
) -> None:
    metrics.rpc("/omc.v1.LedgerService/Ingest", code, 3)
    [doc] = lines(stream)
    assert doc[emf.RPC_ERRORS] == is_fault


def test_non_finite_latency_is_dropped_not_written(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    metrics.rpc("/m", "OK", float("nan"))
    [doc] = lines(stream)
    assert_valid_emf(doc)
    assert emf.RPC_LATENCY not in doc


@pytest.mark.parametrize(("status", "failures"), [("ok", 0), ("skipped", 0), ("failed", 1)])
def test_collector_runs_failures_and_inserted(
    metrics: EmfMetrics, stream: io.StringIO, status: str, failures: int
) -> None:
    metrics.collector_run("cryptopanic", status, 42)
    [doc] = lines(stream)
    assert_valid_emf(doc)
    assert doc["Collector"] == "cryptopanic"
    assert doc["Status"] == status
    assert doc[emf.COLLECTOR_RUNS] == 1
    assert doc[emf.COLLECTOR_FAILURES] == failures
    assert doc[emf.RECORDS_INSERTED] == 42


def test_quality_score_has_an_environment_only_set_for_the_worst_ledger_alarm(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    metrics.quality_score("human", 0.65)
    metrics.quality_score("glass", float("inf"))
    [doc] = lines(stream)
    assert_valid_emf(doc)
    assert doc[emf.QUALITY_SCORE] == 0.65
    assert doc["Ledger"] == "human"
    assert ["Environment"] in doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


@pytest.mark.parametrize(("outcome", "failures"), [("completed", 0), ("error", 1)])
def test_agent_sessions_and_failures(
    metrics: EmfMetrics, stream: io.StringIO, outcome: str, failures: int
) -> None:
    metrics.agent_session(outcome)
    [doc] = lines(stream)
    assert_valid_emf(doc)
    assert doc[emf.AGENT_SESSIONS] == 1
    assert doc[emf.AGENT_FAILURES] == failures


def test_one_line_per_event(metrics: EmfMetrics, stream: io.StringIO) -> None:
    for _ in range(3):
        metrics.rpc("/m", "OK", 1)
    metrics.collector_run("c", "ok", 0)
    assert len(lines(stream)) == 4


def test_defaults_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    EmfMetrics("staging", clock=lambda: NOW).agent_session("ok")
    doc = json.loads(capsys.readouterr().out)
    assert_valid_emf(doc)
    assert doc["Environment"] == "staging"


def test_a_closed_stream_never_raises_into_the_caller() -> None:
    stream = io.StringIO()
    stream.close()
    EmfMetrics("production", stream=stream).rpc("/m", "OK", 1)


def test_blank_environment_is_rejected() -> None:
    with pytest.raises(ValueError, match="environment"):
        EmfMetrics("  ")
