"""A local HTTP server for recorded upstream fixtures, with scriptable faults.

Runs the stdlib ThreadingHTTPServer on 127.0.0.1, port 0, in a daemon thread, so the
real httpx client, its retries and rate limits run over TCP while the event loop under
test stays free (a slow response sleeps in the server's thread, not in the loop).

Routes match on the path, optionally narrowed by query parameters
(`/summary/fees/lido?dataType=dailyRevenue`); the route with the most matching
parameters wins. `{{base}}` in a body becomes the server's own URL, so recorded `next`
links point back here. Faults are queued per path and used one per request; when the
queue is empty the route answers normally, unless a persistent fault is set.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | None = None  # None: the route's own body
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


def slow(seconds: float) -> Reply:
    """Answers normally, but only after `seconds` (longer than the client timeout = a timeout)."""
    return Reply(delay=seconds)


def too_many_requests(retry_after: str = "1") -> Reply:
    return Reply(429, b'{"error": "rate limited"}', {"Retry-After": retry_after})


def server_error(status: int = 500) -> Reply:
    return Reply(status, b"<html><body>Internal Server Error</body></html>",
                 {"Content-Type": "text/html"})  # fmt: skip


def malformed_json() -> Reply:
    return Reply(200, b'{"status": "ok", "prices": {"btc": {"last": "1"', {})


@dataclass
class _Route:
    body: bytes
    params: dict[str, str]
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class SeenRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    # The stdlib default backlog (5) drops connections when every source of a cycle
    # connects at once, and a dropped SYN costs a one-second retransmit.
    request_queue_size = 256
    daemon_threads = True


class FixtureServer:
    def __init__(self) -> None:
        self._routes: dict[str, list[_Route]] = {}
        self._faults: dict[str, deque[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url = ""

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> FixtureServer:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        host, port = server.server_address[:2]
        # Kept after stop(), so a test can point a client at a port nobody listens on.
        self._base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._base_url, "server not started"
        return self._base_url

    # -- scripting -------------------------------------------------------------
    def route(self, target: str, body: Any, *, status: int = 200) -> None:
        """`body`: a Path (a fixture file), bytes, str or a JSON-able object."""
        path, _, query = target.partition("?")
        if isinstance(body, Path):
            raw = body.read_bytes()
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = json.dumps(body).encode()
        with self._lock:
            routes = [r for r in self._routes.get(path, []) if r.params != dict(parse_qsl(query))]
            routes.append(_Route(raw, dict(parse_qsl(query)), status))
            self._routes[path] = routes

    def fixture(self, target: str, source: str, name: str) -> None:
        self.route(target, FIXTURES / source / name)

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._faults.setdefault(path, deque()).extend(replies)

    def always(self, path: str, reply: Reply | None) -> None:
        with self._lock:
            if reply is None:
                self._always.pop(path, None)
            else:
                self._always[path] = reply

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._faults.clear()
            self._always.clear()
            self.requests.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return list(self._routes)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def seen(self) -> Iterator[SeenRequest]:
        with self._lock:
            return iter(list(self.requests))

    # -- serving ---------------------------------------------------------------
    def _answer(self, path: str, query: dict[str, str]) -> tuple[Reply, _Route | None]:
        with self._lock:
            queued = self._faults.get(path)
            reply = queued.popleft() if queued else self._always.get(path, Reply())
            candidates = [
                r for r in self._routes.get(path, [])
                if all(query.get(k) == v for k, v in r.params.items())
            ]  # fmt: skip
        route = max(candidates, key=lambda r: len(r.params), default=None)
        return reply, route


def _handler_for(fixtures: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, the body waits for
        # a delayed ACK (~40 ms per response).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            with fixtures._lock:
                fixtures.requests.append(
                    SeenRequest(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
                )
            reply, route = fixtures._answer(parts.path, query)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.body is not None:
                status, body, content_type = reply.status, reply.body, "application/json"
            elif route is not None:
                status = reply.status if reply.status != 200 else route.status
                body, content_type = route.body, route.content_type
            else:
                status, body, content_type = 404, b'{"error": "not found"}', "application/json"
            body = body.replace(b"{{base}}", fixtures.base_url.encode())
            try:
                self.send_response(status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


# -- the standard fixture set: every source, as tests and the benchmark use it ---------
PROTOCOLS = ("lido", "aave")
SUBREDDITS = ("CryptoCurrency", "Bitcoin")
COMPANIES = {"0001679788": "Coinbase", "0001050446": "MicroStrategy"}
CATEGORY = "115000579994"
ARTICLES_PATH = f"/api/v2/help_center/en-us/categories/{CATEGORY}/articles.json"
CRYPTOPANIC_PATH = "/api/developer/v2/posts/"
CRYPTOPANIC_TOKEN = "SECRET-TOKEN-123"


def serve_all_sources(server: FixtureServer) -> None:
    server.fixture("/pubapi/v2/latest", "coinspot_prices", "latest.json")
    for slug in PROTOCOLS:
        server.fixture(f"/protocol/{slug}", "defillama_protocols", f"protocol_{slug}.json")
    server.fixture("/summary/fees/lido", "defillama_protocols", "fees_lido.json")
    server.fixture(
        "/summary/fees/lido?dataType=dailyRevenue", "defillama_protocols", "revenue_lido.json"
    )
    server.fixture(CRYPTOPANIC_PATH, "cryptopanic_news", "posts_v2_page1.json")
    server.fixture(f"{CRYPTOPANIC_PATH}?page=2", "cryptopanic_news", "posts_v2_page2.json")
    server.fixture("/api/v1/posts/", "cryptopanic_news", "posts_v1.json")
    server.fixture("/r/CryptoCurrency/new.json", "reddit_posts", "CryptoCurrency_new_page1.json")
    server.fixture(
        "/r/CryptoCurrency/new.json?after=t3_1jcr004",
        "reddit_posts",
        "CryptoCurrency_new_page2.json",
    )
    server.fixture("/r/Bitcoin/new.json", "reddit_posts", "Bitcoin_new.json")
    for cik in COMPANIES:
        server.fixture(f"/submissions/CIK{cik}.json", "sec_filings", f"CIK{cik}.json")
    server.fixture(ARTICLES_PATH, "coinspot_announcements", "articles.json")


def fixture_options() -> dict[str, dict[str, Any]]:
    """Fetcher options matching `serve_all_sources`."""
    return {
        "defillama_protocols": {"protocols": PROTOCOLS},
        "cryptopanic_news": {"max_pages": 3},
        "reddit_posts": {"subreddits": SUBREDDITS},
        "sec_filings": {"companies": COMPANIES, "lookback": None},
        "coinspot_announcements": {"category": CATEGORY},
    }
