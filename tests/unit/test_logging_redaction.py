from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from omc.bootstrap.logging import REDACTED, configure_logging, redact_text
from omc.bootstrap.settings import LogFormat

PASSWORD = "hunter2-Sup3r"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """JSON logs captured in memory; the previous logging setup restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("debug", LogFormat.JSON, stream)
    try:
        yield stream
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
        root.handlers, root.level = saved_handlers, saved_level


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_values_of_secret_looking_keys_are_masked(output: io.StringIO) -> None:
    structlog.get_logger("t").info(
        "connecting",
        password=PASSWORD,
        db_password=PASSWORD,
        client_secret=PASSWORD,
        token=PASSWORD,
        authorization=f"Bearer {PASSWORD}",
        api_key=PASSWORD,
        headers={"Authorization": f"Bearer {PASSWORD}", "accept": "application/json"},
    )

    [line] = lines(output)
    assert PASSWORD not in output.getvalue()
    for key in ("password", "db_password", "client_secret", "token", "authorization", "api_key"):
        assert line[key] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "accept": "application/json"}


def test_urls_keep_everything_but_the_password(output: io.StringIO) -> None:
    structlog.get_logger("t").info(
        "database",
        database_url=f"postgresql://omc:{PASSWORD}@db.internal:5432/omc",
        dsn=f"host=db.internal password={PASSWORD} dbname=omc",
        plain_url="postgresql://omc@db.internal/omc",
    )

    [line] = lines(output)
    assert PASSWORD not in output.getvalue()
    assert line["database_url"] == "postgresql://omc:***@db.internal:5432/omc"
    assert line["dsn"] == "host=db.internal password=*** dbname=omc"
    assert line["plain_url"] == "postgresql://omc@db.internal/omc"


def test_stdlib_log_lines_pass_the_same_redaction(output: io.StringIO) -> None:
    logging.getLogger("sqlalchemy.pool").warning(
        "cannot reach %s", f"postgresql+psycopg://omc:{PASSWORD}@db/omc"
    )

    [line] = lines(output)
    assert PASSWORD not in output.getvalue()
    assert line["event"] == "cannot reach postgresql+psycopg://omc:***@db/omc"
    assert line["logger"] == "sqlalchemy.pool"
    assert line["level"] == "warning"


def test_exception_text_is_redacted_too(output: io.StringIO) -> None:
    try:
        raise ConnectionError(f"connection to postgresql://omc:{PASSWORD}@db/omc refused")
    except ConnectionError:
        structlog.get_logger("t").exception("storage_unavailable")

    [line] = lines(output)
    assert PASSWORD not in output.getvalue()
    assert "postgresql://omc:***@db/omc refused" in line["exception"]


def test_non_secrets_under_similar_names_are_kept(output: io.StringIO) -> None:
    structlog.get_logger("t").info(
        "listed", page_token="CgRCVEMS", next_page_token="CgRFVEgS", token_count=42
    )

    [line] = lines(output)
    assert line["page_token"] == "CgRCVEMS"
    assert line["next_page_token"] == "CgRFVEgS"
    assert line["token_count"] == 42


def test_lines_carry_context_level_logger_and_an_iso_utc_timestamp(output: io.StringIO) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-1")
    structlog.get_logger("omc.test").info("hello", symbols=3)

    [line] = lines(output)
    assert line["request_id"] == "req-1"
    assert line["event"] == "hello"
    assert line["level"] == "info"
    assert line["logger"] == "omc.test"
    assert line["timestamp"].endswith("Z")


def test_the_level_filters_lines() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure_logging("warning", LogFormat.JSON, stream)
        structlog.get_logger("t").info("hidden")
        structlog.get_logger("t").warning("shown")
    finally:
        structlog.reset_defaults()
        root.handlers, root.level = saved_handlers, saved_level

    assert [line["event"] for line in lines(stream)] == ["shown"]


def test_console_format_is_readable_and_still_redacted() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure_logging("info", LogFormat.CONSOLE, stream)
        structlog.get_logger("t").info("serving", address="127.0.0.1:50051", password=PASSWORD)
    finally:
        structlog.reset_defaults()
        root.handlers, root.level = saved_handlers, saved_level

    text = stream.getvalue()
    assert "serving" in text
    assert "127.0.0.1:50051" in text
    assert PASSWORD not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_auto_format_writes_json_when_not_on_a_terminal(output: io.StringIO) -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    configure_logging("info", LogFormat.AUTO, stream)
    structlog.get_logger("t").info("piped")

    assert json.loads(stream.getvalue())["event"] == "piped"
    assert root.handlers[0].stream is stream  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pa55@example.com/x", "https://user:***@example.com/x"),
        ("redis://:pa55@cache:6379/0", "redis://:***@cache:6379/0"),
        ("see http://example.com:8080/path", "see http://example.com:8080/path"),
        ("password='a b c' host=db", "password=*** host=db"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected
