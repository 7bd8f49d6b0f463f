"""A real HTTP server on 127.0.0.1 for tests, so that the real ``requests`` code path runs.

    def test_feed(local_server):
        url = local_server.add("/feed.ics", Path("tests/data/ical/x.ics").read_bytes())
        ...
        assert local_server.requests[-1].headers["User-Agent"].startswith("planner")

Each route answers with a strong ETag (quoted sha256 of the body) and a Last-Modified date, and
with 304 to a matching If-None-Match (or, without one, a not-older If-Modified-Since). Options
per route: ``gzip``, ``delay`` before answering, ``trickle`` (one body byte every N seconds),
``redirect_to``. Unknown paths get 404. The server writes nothing to stderr.

``LocalServer(host="127.0.0.2", port=..., tls=ssl_context)`` binds another loopback address
(Linux routes all of 127/8 to loopback; ``::1`` works too), a chosen port, or serves HTTPS;
each recorded request carries ``at``, the ``time.monotonic()`` instant it arrived.
"""

from __future__ import annotations

import gzip as gzip_codec
import hashlib
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
_VALIDATORS = ("etag", "last-modified")


class Request(NamedTuple):
    """One request as the server received it; ``headers`` has case-insensitive ``get``."""

    method: str
    path: str
    headers: Message
    at: float = 0.0  # time.monotonic() when the request line arrived


@dataclass(frozen=True)
class Route:
    status: int
    headers: dict[str, str]  # as sent, Content-Length included
    body: bytes  # as sent (compressed when gzip)
    delay: float = 0.0
    trickle: float | None = None


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 and a free port; start with ``with`` or start()."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.host = host
        self.tls = tls
        self.requests: list[Request] = []
        self.routes: dict[str, Route] = {}
        self.stopping = threading.Event()
        self._server = _Server(self, host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/{path.lstrip('/')}"

    def add(
        self,
        path: str,
        body: bytes = b"",
        content_type: str = "text/calendar",
        headers: Mapping[str, str | None] | None = None,
        status: int = 200,
        *,
        gzip: bool = False,
        delay: float = 0.0,
        trickle: float | None = None,
        redirect_to: str | None = None,
        last_modified: str = LAST_MODIFIED,
    ) -> str:
        """Serve ``body`` at ``path``; return its URL. ``headers`` override defaults (None drops).

        ``redirect_to`` (a path or URL) answers 302 unless ``status`` is another 3xx.
        """
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        sent = gzip_codec.compress(body, compresslevel=6) if gzip else body
        merged = {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}
        if gzip:
            merged["Content-Encoding"] = "gzip"
        if redirect_to is not None:
            status = status if 300 <= status < 400 else 302
            merged["Location"] = redirect_to
        merged["Content-Length"] = str(len(sent))
        for name, value in (headers or {}).items():
            merged = {key: val for key, val in merged.items() if key.lower() != name.lower()}
            if value is not None:
                merged[name] = value
        self.routes[path] = Route(status, merged, sent, delay, trickle)
        return self.url(path)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; delayed and trickling answers are abandoned at once."""
        self.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LocalServer, host: str, port: int) -> None:
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        self.server_name, self.server_port = self.owner.host, int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, object]:
        """Accept; with TLS, wrap the socket (the handshake runs in the handler's thread)."""
        sock, address = super().get_request()
        if self.owner.tls is not None:
            sock = self.owner.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet: clients that hang up early are what several tests are about."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        owner = self.server.owner
        owner.requests.append(Request("GET", self.path, self.headers, time.monotonic()))
        route = owner.routes.get(self.path) or owner.routes.get(urlsplit(self.path).path)
        if route is None:
            self._answer(
                Route(404, {"Content-Type": "text/plain", "Content-Length": "9"}, b"not found")
            )
        elif route.delay and owner.stopping.wait(route.delay):
            self.close_connection = True  # server closing: abandon the answer
        else:
            self._answer(_not_modified(route) if _matches(route, self.headers) else route)

    def _answer(self, route: Route) -> None:
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if route.trickle is None:
            self.wfile.write(route.body)
            return
        for index in range(len(route.body)):
            self.wfile.write(route.body[index : index + 1])
            if self.server.owner.stopping.wait(route.trickle):
                self.close_connection = True
                return

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


def _matches(route: Route, headers: Message) -> bool:
    """Whether the request's validators still match ``route`` (so the answer is 304)."""
    if route.status != 200:
        return False
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or _header(route, "ETag").removeprefix("W/") in tags
    since, modified = headers.get("If-Modified-Since"), _header(route, "Last-Modified")
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _header(route: Route, name: str) -> str:
    return next((v for k, v in route.headers.items() if k.lower() == name.lower()), "")


def _not_modified(route: Route) -> Route:
    kept = {name: value for name, value in route.headers.items() if name.lower() in _VALIDATORS}
    return Route(304, kept, b"")


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A started LocalServer, closed after the test."""
    with LocalServer() as server:
        yield server
