"""The project's only HTTP client: bounded, conditional GETs with one exception tree.

Every request has connect/read timeouts, a wall-clock deadline, a cap on the decompressed
body size and at most ``MAX_REDIRECTS`` redirects. Each hop goes through ``Fetcher._send``,
the one place where a per-hop check (SSRF guard, rate limit) belongs.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.client import responses
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

CHUNK_SIZE = 64 * 1024
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}


class FetchError(Exception):
    """A URL could not be fetched; ``str(e)`` reads ``"<url>: <what went wrong>"``."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class BadURL(FetchError):
    """Unsupported scheme, no host, or otherwise malformed URL."""


class FetchTimeout(FetchError):
    """Connect or read timeout, or the whole fetch exceeded its deadline."""


class TooLarge(FetchError):
    """The (decompressed) body is larger than the cap."""


class ConnectionFailed(FetchError):
    """DNS failure, refused or reset connection, TLS error."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (``.status``)."""

    def __init__(self, url: str, status: int, reason: str | None = None) -> None:
        super().__init__(url, f"HTTP {status} {reason or responses.get(status, '')}".rstrip())
        self.status = status
        self.reason = reason


TRANSIENT: tuple[type[FetchError], ...] = (FetchTimeout, ConnectionFailed)


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed: timeouts, connection failures, 429 and 5xx."""
    if isinstance(exc, HTTPStatusError):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, TRANSIENT)


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int  # 2xx, or 304 when the stored validators still match
    content: bytes  # b"" for 304
    content_type: str | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None  # sha256 hex of content; None for 304

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def normalize_url(url: str) -> str:
    """Strip ``url`` and map webcal(s):// to https://; BadURL unless http(s) with a host."""
    text = url.strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise BadURL(text, "malformed URL (control characters)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise BadURL(text, f"malformed URL ({exc})") from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise BadURL(text, f"unsupported scheme {parts.scheme}:" if parts.scheme else "no scheme")
    if not parts.hostname:
        raise BadURL(text, "no host in URL")
    return parts._replace(scheme=scheme).geturl()


class Fetcher:
    """Fetches URLs over one ``requests.Session`` that identifies itself with ``user_agent``.

    Like the session, a Fetcher is meant for one thread at a time: give each worker its own.
    """

    def __init__(
        self,
        user_agent: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 10 * 1024 * 1024,
        session: requests.Session | None = None,
    ) -> None:
        self.session = session if session is not None else requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.max_redirects = MAX_REDIRECTS
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes

    def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET ``url``; with ``etag``/``last_modified`` a 304 comes back as ``not_modified``."""
        target = normalize_url(url)
        deadline = time.monotonic() + self.total_timeout
        wanted = {"If-None-Match": etag, "If-Modified-Since": last_modified, "Accept": accept}
        headers = {name: value for name, value in wanted.items() if value}
        with self._follow(target, headers, deadline) as resp:
            if resp.status_code == 304:
                return _result(resp, b"", etag, last_modified)
            if resp.status_code >= 300:
                raise HTTPStatusError(resp.url, resp.status_code, resp.reason)
            return _result(resp, self._read_body(resp, deadline))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _follow(self, url: str, headers: dict[str, str], deadline: float) -> requests.Response:
        """Send ``url`` and follow up to MAX_REDIRECTS redirects; return the last response."""
        hop = url
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() >= deadline:
                raise self._too_slow(hop)
            resp = self._send(hop, headers)
            location = resp.headers.get("Location")
            if resp.status_code not in _REDIRECT_STATUSES or not location:
                return resp
            resp.close()
            hop = normalize_url(urljoin(resp.url, location))
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        """One GET for one hop, body not yet read. Every hop passes here."""
        try:
            timeout = (self.connect_timeout, self.read_timeout)
            return self.session.get(
                url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise self._translate(url, exc) from exc

    def _read_body(self, resp: requests.Response, deadline: float) -> bytes:
        """Read the decoded body, counting decompressed bytes against the cap and the deadline."""
        announced = resp.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > self.max_bytes:
            raise self._too_large(resp.url)
        body = bytearray()
        with _watchdog(resp, deadline - time.monotonic()) as expired:
            try:
                for chunk in resp.iter_content(CHUNK_SIZE):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise self._too_large(resp.url)
                    if expired.is_set():
                        break
            except requests.RequestException as exc:
                if not expired.is_set():
                    raise self._translate(resp.url, exc) from exc
        if expired.is_set():
            raise self._too_slow(resp.url)
        return bytes(body)

    def _too_large(self, url: str) -> TooLarge:
        return TooLarge(url, f"body larger than {_size(self.max_bytes)}")

    def _too_slow(self, url: str) -> FetchTimeout:
        return FetchTimeout(url, f"not complete after {self.total_timeout:g} s")

    def _translate(self, url: str, exc: requests.RequestException) -> FetchError:
        """Map any requests exception to the FetchError subclass that says what happened."""
        if isinstance(exc, requests.ConnectTimeout):
            return FetchTimeout(url, f"could not connect within {self.connect_timeout:g} s")
        if _cause(exc, requests.Timeout, urllib3.exceptions.ReadTimeoutError):
            return FetchTimeout(url, f"timed out after {self.read_timeout:g} s")
        if tls := _cause(exc, ssl.SSLError):
            return ConnectionFailed(url, f"TLS error: {getattr(tls, 'strerror', None) or tls}")
        if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return ConnectionFailed(url, _connection_problem(exc))
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
            return BadURL(url, f"malformed URL ({exc})")
        if isinstance(exc, requests.TooManyRedirects):
            return FetchError(url, f"more than {MAX_REDIRECTS} redirects")
        if isinstance(exc, requests.exceptions.ContentDecodingError):
            return FetchError(url, "could not decompress the body")
        return FetchError(url, f"{type(exc).__name__}: {exc}")


@contextmanager
def _watchdog(resp: requests.Response, seconds: float) -> Iterator[threading.Event]:
    """Set the yielded event after ``seconds`` and shut the socket so a blocked read returns."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        with suppress(Exception):  # older urllib3, or the connection is already released
            resp.raw.shutdown()

    timer = threading.Timer(max(seconds, 0.0), expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def _result(
    resp: requests.Response,
    content: bytes,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """The result for ``resp``; the given validators stand in for headers a 304 may omit."""
    return FetchResult(
        url=resp.url,
        status=resp.status_code,
        content=content,
        content_type=resp.headers.get("Content-Type"),
        etag=resp.headers.get("ETag", etag),
        last_modified=resp.headers.get("Last-Modified", last_modified),
        content_hash=None if resp.status_code == 304 else hashlib.sha256(content).hexdigest(),
    )


def _cause(exc: BaseException, *kinds: type[BaseException]) -> BaseException | None:
    """``exc`` or the first thing it wraps (cause, context, reason, args) of one of ``kinds``."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if isinstance(current, kinds):
            return current
        seen.add(id(current))
        links = (current.__cause__, current.__context__, getattr(current, "reason", None))
        stack.extend(
            x for x in (*links, *current.args) if isinstance(x, BaseException) and id(x) not in seen
        )
    return None


def _connection_problem(exc: BaseException) -> str:
    if _cause(exc, socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "host not found"
    if _cause(exc, ConnectionRefusedError):
        return "connection refused"
    if _cause(exc, ConnectionResetError):
        return "connection reset by the server"
    if _cause(exc, urllib3.exceptions.ProtocolError):
        return "connection broken while reading"
    return f"connection failed ({exc})"


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MB" if n >= mib and n % mib == 0 else f"{n} bytes"
