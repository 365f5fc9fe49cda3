"""Every source against the same faults, over TCP with the real client and retries."""

from __future__ import annotations

import logging

import pytest

from omc.domain.collection import RunStatus
from tests.support.fixture_server import (
    ARTICLES_PATH,
    COMPANIES,
    CRYPTOPANIC_PATH,
    CRYPTOPANIC_TOKEN,
    Reply,
    malformed_json,
    server_error,
    slow,
    too_many_requests,
)

from .conftest import TEST_TIMEOUT, Harness

# The paths a source needs; a fault on all of them takes the whole source down.
PATHS = {
    "coinspot_prices": ["/pubapi/v2/latest"],
    "defillama_protocols": ["/protocol/lido", "/protocol/aave"],
    "cryptopanic_news": [CRYPTOPANIC_PATH],
    "reddit_posts": ["/r/CryptoCurrency/new.json", "/r/Bitcoin/new.json"],
    "sec_filings": [f"/submissions/CIK{cik}.json" for cik in COMPANIES],
    "coinspot_announcements": [ARTICLES_PATH],
}
# (fetched, inserted, duplicate) of one clean run over the recorded fixtures.
HAPPY = {
    "coinspot_prices": (10, 10, 0),
    "defillama_protocols": (2, 2, 0),
    "cryptopanic_news": (4, 4, 0),
    "reddit_posts": (9, 8, 1),
    "sec_filings": (7, 6, 1),
    "coinspot_announcements": (7, 7, 0),
}
SOURCES = list(PATHS)


def counts(run: object) -> tuple[int, int, int]:
    return (run.fetched, run.inserted, run.duplicate)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", SOURCES)
async def test_happy_path(harness: Harness, name: str) -> None:
    run = await harness.run(name)
    assert run.status is RunStatus.SUCCESS, run.error
    assert counts(run) == HAPPY[name]
    assert run.rejected == 0
    assert await harness.stored() == HAPPY[name][1]


@pytest.mark.parametrize("name", SOURCES)
async def test_same_data_twice_inserts_nothing_the_second_time(harness: Harness, name: str) -> None:
    await harness.run(name)
    again = await harness.run(name)
    assert again.status is RunStatus.SUCCESS
    assert again.inserted == 0
    assert again.duplicate == HAPPY[name][0]
    assert await harness.stored() == HAPPY[name][1]


@pytest.mark.parametrize("name", SOURCES)
async def test_timeout_then_success(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.script(path, slow(TEST_TIMEOUT * 2))
    run = await harness.run(name, timeout=TEST_TIMEOUT)
    assert run.status is RunStatus.SUCCESS, run.error
    assert counts(run) == HAPPY[name]


@pytest.mark.parametrize("name", SOURCES)
async def test_timeout_forever_fails_and_writes_nothing(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.always(path, slow(TEST_TIMEOUT * 2))
    run = await harness.run(name, timeout=TEST_TIMEOUT)
    assert run.status is RunStatus.FAILED
    assert "timed out" in run.error
    assert await harness.stored() == 0


@pytest.mark.parametrize("name", SOURCES)
async def test_429_with_retry_after_then_success(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.script(path, too_many_requests("1"))
    run = await harness.run(name)
    assert run.status is RunStatus.SUCCESS, run.error
    assert counts(run) == HAPPY[name]
    for path in PATHS[name]:
        assert harness.server.hits(path) >= 2


@pytest.mark.parametrize("name", SOURCES)
async def test_500_burst_then_success(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.script(path, server_error(), server_error(503), server_error(502))
    run = await harness.run(name)
    assert run.status is RunStatus.SUCCESS, run.error
    assert counts(run) == HAPPY[name]


@pytest.mark.parametrize("name", SOURCES)
async def test_500_forever_fails_and_writes_nothing(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.always(path, server_error())
    run = await harness.run(name)
    assert run.status is RunStatus.FAILED
    assert "HTTP 500" in run.error
    assert run.inserted == 0
    assert await harness.stored() == 0
    # Retried, but a bounded number of times.
    assert harness.server.hits(PATHS[name][0]) == 4


@pytest.mark.parametrize("name", SOURCES)
async def test_malformed_json_fails_and_writes_nothing(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.always(path, malformed_json())
    run = await harness.run(name)
    assert run.status is RunStatus.FAILED
    assert "malformed JSON" in run.error
    assert await harness.stored() == 0
    # Malformed JSON is not transient: no retries.
    assert harness.server.hits(PATHS[name][0]) == 1


@pytest.mark.parametrize("name", SOURCES)
async def test_other_4xx_is_not_retried(harness: Harness, name: str) -> None:
    for path in PATHS[name]:
        harness.server.always(path, Reply(403, b'{"error": "forbidden"}'))
    run = await harness.run(name)
    assert run.status is RunStatus.FAILED
    assert "HTTP 403" in run.error
    assert harness.server.hits(PATHS[name][0]) == 1


@pytest.mark.parametrize("name", SOURCES)
async def test_connection_refused_is_a_clear_failed_run(harness: Harness, name: str) -> None:
    harness.server.stop()
    run = await harness.run(name)
    assert run.status is RunStatus.FAILED
    assert "cannot connect" in run.error


async def test_cryptopanic_token_never_reaches_logs_or_errors(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.server.script(CRYPTOPANIC_PATH, too_many_requests("0"))
    ok = await harness.run("cryptopanic_news")
    harness.server.always(CRYPTOPANIC_PATH, server_error())
    failed = await harness.run("cryptopanic_news")
    assert ok.status is RunStatus.SUCCESS
    assert failed.status is RunStatus.FAILED
    # The token did go over the wire (as CryptoPanic requires), including on the next page...
    sent = [r.query.get("auth_token") for r in harness.server.seen()]
    assert CRYPTOPANIC_TOKEN in sent
    assert any(r.query.get("page") == "2" for r in harness.server.seen())
    # ...but never into a log line (httpx's own request lines included) or a run.
    assert caplog.records
    assert all(CRYPTOPANIC_TOKEN not in r.getMessage() for r in caplog.records)
    assert CRYPTOPANIC_TOKEN not in failed.error
    assert "auth_token=REDACTED" in failed.error
