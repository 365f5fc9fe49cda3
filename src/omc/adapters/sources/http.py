"""HTTP for every source: one shared client, per-source timeouts, rate limits, retries.

Retries (tenacity): connect errors, timeouts, 5xx and 429 are retried with exponential
backoff and jitter; a 429 or 503 with `Retry-After` waits what the server asked (capped).
Other 4xx are not retried: asking again will not fix a bad request or a missing page.
Everything that goes wrong ends as SourceUnavailable with a redacted message, so no
credential in a URL (CryptoPanic's `auth_token`) reaches a log line or a run's error.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from omc.application.collection_ports import SourceUnavailable

DEFAULT_USER_AGENT = "omc/0.1.0 (Oh My Coins market intelligence; contact ops@example.com)"
REDACTED = "REDACTED"

_SENSITIVE = r"auth_token|access_token|api_key|apikey|api-key|token|key|secret|password|sig"
_PARAM = re.compile(rf"([?&;](?:{_SENSITIVE})=)([^&#\s'\"<>]+)", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replaces credential query parameters and any known secret value in `text`."""
    text = _PARAM.sub(rf"\1{REDACTED}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    """httpx logs every request URL at INFO; this keeps tokens in URLs out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter()


def install_log_redaction() -> None:
    """Idempotent; called when a client is built (never at import time)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def build_http_client(
    *, user_agent: str = DEFAULT_USER_AGENT, max_connections: int = 64
) -> httpx.AsyncClient:
    """The one client every source shares (connection pooling across sources). Timeouts
    and rate limits are per source, applied per request by SourceHttp."""
    install_log_redaction()
    return httpx.AsyncClient(
        headers={
            "User-Agent": user_agent,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        },
        follow_redirects=True,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections // 2
        ),
        timeout=httpx.Timeout(10.0),
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    initial_seconds: float = 0.5
    max_seconds: float = 30.0
    jitter_seconds: float = 0.5
    # A server asking for a longer pause than this gets this; the next tick tries again.
    max_retry_after_seconds: float = 60.0

    @classmethod
    def fast(cls) -> RetryPolicy:
        """Millisecond backoff, for tests and benchmarks against a local server."""
        return cls(
            attempts=4,
            initial_seconds=0.001,
            max_seconds=0.01,
            jitter_seconds=0.001,
            max_retry_after_seconds=0.01,
        )


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """How to talk to one upstream."""

    base_url: str
    timeout_seconds: float = 10.0
    # Requests per second; 0 means unlimited (benchmarks, tests).
    rate_per_second: float = 0.0
    # Overrides the shared client's User-Agent (SEC wants contact details, Reddit its own).
    user_agent: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    headers: Mapping[str, str] = field(default_factory=dict)


class RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class MalformedPayload(SourceUnavailable):
    """The body was not the JSON the source promises."""

    reason = "MALFORMED_PAYLOAD"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def _retryable(error: BaseException) -> bool:
    return isinstance(error, (RetryableStatus, *_TRANSIENT))


def _limiter(rate_per_second: float) -> AsyncLimiter | None:
    if rate_per_second <= 0:
        return None
    if rate_per_second >= 1:
        return AsyncLimiter(rate_per_second, 1.0)
    # Below one request a second: one request per 1/rate seconds, no burst.
    return AsyncLimiter(1, 1.0 / rate_per_second)


class SourceHttp:
    """One source's view of the shared client: base URL, timeout, limiter, retries."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        name: str,
        config: SourceConfig,
        *,
        secrets: Iterable[str] = (),
    ) -> None:
        self.client = client
        self.name = name
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self._secrets = tuple(secrets)
        self._limiter = _limiter(config.rate_per_second)
        self._headers = dict(config.headers)
        if config.user_agent:
            self._headers["User-Agent"] = config.user_agent
        policy = config.retry
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial_seconds,
            max=policy.max_seconds,
            jitter=policy.jitter_seconds,
        )

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def redact(self, text: str, secrets: Iterable[str] = ()) -> str:
        return redact(text, (*self._secrets, *secrets))

    def retry_wait(self, state: RetryCallState) -> float:
        """Retry-After when the server sent one (capped), else backoff with jitter."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableStatus) and error.retry_after is not None:
            return min(error.retry_after, self.config.retry.max_retry_after_seconds)
        return float(self._backoff(state))

    async def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        secrets: Iterable[str] = (),
    ) -> Any:
        """GET and decode JSON, retrying transient failures; raises SourceUnavailable
        (MalformedPayload for a body that is not JSON) with a redacted message."""
        url = self.url(path)
        hidden = (*self._secrets, *secrets)
        shown = redact(str(httpx.URL(url, params=params)), hidden)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.config.retry.attempts)),
            wait=self.retry_wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
            before_sleep=lambda state: _log_retry(self.name, shown, state, hidden),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(url, params, shown)
        except RetryableStatus as error:
            raise SourceUnavailable(
                f"{self.name}: GET {shown} failed after {self.config.retry.attempts} "
                f"attempts: HTTP {error.status}"
            ) from None
        except httpx.TimeoutException:
            raise SourceUnavailable(
                f"{self.name}: GET {shown} timed out after {self.config.timeout_seconds}s "
                f"({self.config.retry.attempts} attempts)"
            ) from None
        except httpx.ConnectError as error:
            raise SourceUnavailable(
                f"{self.name}: cannot connect for GET {shown}: {redact(str(error), hidden)}"
            ) from None
        except httpx.HTTPError as error:
            raise SourceUnavailable(
                f"{self.name}: GET {shown} failed: {type(error).__name__}: "
                f"{redact(str(error), hidden)}"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _attempt(self, url: str, params: Mapping[str, str | int] | None, shown: str) -> Any:
        if self._limiter is not None:
            async with self._limiter:
                response = await self._get(url, params)
        else:
            response = await self._get(url, params)
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableStatus(status, parse_retry_after(response.headers.get("Retry-After")))
        if status >= 400:
            raise SourceUnavailable(f"{self.name}: GET {shown} returned HTTP {status}")
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise MalformedPayload(
                f"{self.name}: GET {shown} returned malformed JSON ({error.__class__.__name__}"
                f" at byte {getattr(error, 'pos', '?')})"
            ) from None

    async def _get(self, url: str, params: Mapping[str, str | int] | None) -> httpx.Response:
        return await self.client.get(
            url,
            params=params,
            headers=self._headers,
            timeout=self.config.timeout_seconds,
        )


_log = logging.getLogger("omc.sources")


def _log_retry(name: str, shown: str, state: RetryCallState, hidden: tuple[str, ...]) -> None:
    error = state.outcome.exception() if state.outcome else None
    _log.warning(
        "%s: GET %s attempt %d failed (%s); retrying in %.3fs",
        name,
        shown,
        state.attempt_number,
        redact(f"{type(error).__name__}: {error}", hidden),
        state.upcoming_sleep,
    )
