"""The project's only HTTP client: bounded, guarded, polite GETs with one exception tree.

Every request has connect/read timeouts, a wall-clock deadline, a cap on the decompressed
body size and at most ``MAX_REDIRECTS`` redirects. Each hop goes through ``Fetcher._send``,
which checks it before anything is sent:

1. the address guard (``planner.guard``): http(s) only; the host is resolved once and every
   address must be globally routable; the connection then goes to a checked address, so a
   second DNS answer can never redirect it. Proxies from the environment are ignored.
2. robots.txt (``planner.politeness.RobotsCache``), fetched through the same guarded path.
3. the per-host minimum delay (``planner.politeness.HostLimiter``, in-process or Redis).

The robots.txt cache and the in-process host limiter are shared by every Fetcher in the
process (one per thread), so all threads keep one per-host delay.

The exception tree is ``FetchError`` and its subclasses; the guard's (``BadURL``,
``BlockedURL``, ``ConnectionFailed``) are defined in ``planner.guard`` and re-exported here.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import Message
from functools import partial
from http.client import responses
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from planner.guard import (
    AddressPolicy,
    BadURL,
    BlockedURL,
    ConnectionFailed,
    FetchError,
    Resolver,
    address_problem,
    check_url,
    checked_addresses,
    find_cause,
    guard_session,
    normalize_url,
    prepare_url,
    resolve,
)
from planner.politeness import (
    HostBusy,
    HostLimiter,
    RobotsCache,
    RobotsFile,
    retry_after,
    robots_site,
    shared_limiter,
    shared_redis_limiter,
    shared_robots_cache,
)

__all__ = [
    "TRANSIENT",
    "BadURL",
    "BlockedURL",
    "ConnectionFailed",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "Fetcher",
    "HTTPStatusError",
    "RateLimited",
    "RobotsDisallowed",
    "TooLarge",
    "address_problem",
    "check_url",
    "is_transient",
    "normalize_url",
]

CHUNK_SIZE = 64 * 1024
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RobotsDisallowed(FetchError):
    """The site's robots.txt does not let planner's User-Agent fetch this URL."""


class FetchTimeout(FetchError):
    """Connect or read timeout, or the whole fetch exceeded its deadline."""


class TooLarge(FetchError):
    """The (decompressed) body is larger than the cap."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (``.status``); 429/503 may carry
    ``.retry_after``, the seconds its Retry-After header asks to wait (None without one)."""

    def __init__(
        self, url: str, status: int, reason: str | None = None, retry_after: float | None = None
    ) -> None:
        message = f"HTTP {status} {reason or responses.get(status, '')}".rstrip()
        if retry_after is not None:
            message += f", retry after {retry_after:.0f} s"
        super().__init__(url, message)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class RateLimited(FetchError):
    """The host's next request slot is further away than this fetch may wait (``.retry_after``)."""

    def __init__(self, url: str, message: str, retry_after: float) -> None:
        super().__init__(url, message)
        self.retry_after = retry_after


TRANSIENT: tuple[type[FetchError], ...] = (FetchTimeout, ConnectionFailed, RateLimited)


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

    @property
    def charset(self) -> str | None:
        """The charset the Content-Type header declares (lower case), if Python knows it.

        Only a hint: the page reader decides from the bytes (BOM, meta charset).
        """
        if not self.content_type:
            return None
        header = Message()
        header["Content-Type"] = self.content_type
        declared = header.get_content_charset()
        try:
            return declared if declared and codecs.lookup(declared) else None
        except LookupError:
            return None


# --- the fetcher ---------------------------------------------------------------------------


class Fetcher:
    """Fetches URLs over one ``requests.Session`` that identifies itself with ``user_agent``.

    Like the session, a Fetcher is meant for one thread at a time: give each worker its own.
    Their robots.txt cache (per user agent) and host limiter (per delay) are the process's
    shared ones, so all threads keep one per-host delay. Options: ``allow_private`` lets
    loopback and private addresses through (development and tests only); ``robots`` honours
    robots.txt; ``host_delay`` is the minimum number of seconds between two requests to one
    host, kept across processes through ``redis_url``. ``limiter``, ``robots_cache``,
    ``resolver`` and ``address_policy`` replace the shared limiter and cache, the system
    resolver and ``address_problem`` (tests).
    """

    def __init__(
        self,
        user_agent: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 10 * 1024 * 1024,
        session: requests.Session | None = None,
        *,
        allow_private: bool = False,
        robots: bool = True,
        host_delay: float = 1.0,
        redis_url: str | None = None,
        limiter: HostLimiter | None = None,
        robots_cache: RobotsCache | None = None,
        resolver: Resolver = resolve,
        address_policy: AddressPolicy | None = None,
    ) -> None:
        self.session = session if session is not None else requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.max_redirects = MAX_REDIRECTS
        self.adapter = guard_session(self.session)
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.robots = robots
        if robots_cache is None:
            robots_cache = shared_robots_cache(user_agent)
        self.robots_cache = robots_cache
        self.limiter = limiter if limiter is not None else _default_limiter(host_delay, redis_url)
        self.resolver = resolver
        self.address_policy = address_policy or partial(
            address_problem, allow_private=allow_private
        )

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
                raise HTTPStatusError(resp.url, resp.status_code, resp.reason, _retry_after(resp))
            return _result(resp, self._read_body(resp, deadline, self.max_bytes))

    def close(self) -> None:
        self.session.close()  # the limiter is shared by the process (politeness.forget_shared)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _follow(
        self, url: str, headers: dict[str, str], deadline: float, robots: bool = True
    ) -> requests.Response:
        """Send ``url`` and follow up to MAX_REDIRECTS redirects; return the last response."""
        hop = url
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() >= deadline:
                raise self._too_slow(hop)
            resp = self._send(hop, headers, deadline, robots)
            location = resp.headers.get("Location")
            if resp.status_code not in _REDIRECT_STATUSES or not location:
                return resp
            resp.close()
            hop = normalize_url(urljoin(resp.url, location))
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _send(
        self, url: str, headers: dict[str, str], deadline: float, robots: bool = True
    ) -> requests.Response:
        """One GET for one hop, body not yet read. Every hop passes here: address guard,
        robots.txt (unless ``robots`` is False), the host's turn, then the pinned request."""
        url = prepare_url(url)
        host = urlsplit(url).hostname or ""
        addresses = checked_addresses(url, self.resolver, self.address_policy)
        if robots and self.robots:
            self._check_robots(url, deadline)
        self._wait_turn(url, host, deadline)
        try:
            timeout = (self.connect_timeout, self.read_timeout)
            with self.adapter.pinned(host, addresses):
                resp = self.session.get(
                    url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
                )
        except requests.RequestException as exc:
            raise self._translate(url, exc) from exc
        pause = _retry_after(resp)
        if pause is not None:
            self.limiter.defer(host, pause)
        return resp

    def _check_robots(self, url: str, deadline: float) -> None:
        load = partial(self._load_robots, deadline=deadline)
        if not self.robots_cache.allowed(url, self.user_agent, load):
            raise RobotsDisallowed(url, f"robots.txt of {robots_site(url)} disallows it")

    def _load_robots(self, robots_url: str, deadline: float) -> RobotsFile:
        """Fetch robots.txt through the guarded path; status None when that failed.

        RateLimited passes through: robots.txt is then read on a later try, not assumed empty.
        """
        try:
            with self._follow(robots_url, {}, deadline, robots=False) as resp:
                if resp.status_code >= 300:
                    return RobotsFile(resp.status_code)
                return RobotsFile(
                    resp.status_code, self._read_body(resp, deadline, ROBOTS_MAX_BYTES)
                )
        except RateLimited:
            raise
        except FetchError:
            return RobotsFile(None)

    def _wait_turn(self, url: str, host: str, deadline: float) -> None:
        """Wait for the host's next slot; RateLimited when it comes after the deadline."""
        try:
            self.limiter.wait(host, max(0.0, deadline - time.monotonic()))
        except HostBusy as busy:
            message = f"next request to {host} allowed in {math.ceil(busy.wait)} s (rate limit)"
            raise RateLimited(url, message, busy.wait) from None

    def _read_body(self, resp: requests.Response, deadline: float, limit: int) -> bytes:
        """Read the decoded body, counting decompressed bytes against ``limit`` and the deadline."""
        announced = resp.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > limit:
            raise self._too_large(resp.url, limit)
        body = bytearray()
        with _watchdog(resp, deadline - time.monotonic()) as expired:
            try:
                for chunk in resp.iter_content(CHUNK_SIZE):
                    body += chunk
                    if len(body) > limit:
                        raise self._too_large(resp.url, limit)
                    if expired.is_set():
                        break
            except requests.RequestException as exc:
                if not expired.is_set():
                    raise self._translate(resp.url, exc) from exc
        if expired.is_set():
            raise self._too_slow(resp.url)
        return bytes(body)

    def _too_large(self, url: str, limit: int) -> TooLarge:
        return TooLarge(url, f"body larger than {_size(limit)}")

    def _too_slow(self, url: str) -> FetchTimeout:
        return FetchTimeout(url, f"not complete after {self.total_timeout:g} s")

    def _translate(self, url: str, exc: requests.RequestException) -> FetchError:
        """Map any requests exception to the FetchError subclass that says what happened."""
        if isinstance(exc, requests.ConnectTimeout):
            return FetchTimeout(url, f"could not connect within {self.connect_timeout:g} s")
        if find_cause(exc, requests.Timeout, urllib3.exceptions.ReadTimeoutError):
            return FetchTimeout(url, f"timed out after {self.read_timeout:g} s")
        if tls := find_cause(exc, ssl.SSLError):
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


def _default_limiter(delay: float, redis_url: str | None) -> HostLimiter:
    """Spacing through Redis when configured (falling back to this process's shared limiter
    while Redis is down), else the process's shared in-process limiter for ``delay``."""
    if redis_url:
        return shared_redis_limiter(redis_url, delay)
    return shared_limiter(delay)


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds a 429 or 503 answer asks to wait (its Retry-After header), else None."""
    if resp.status_code not in (429, 503):
        return None
    return retry_after(resp.headers.get("Retry-After"))


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


def _connection_problem(exc: BaseException) -> str:
    if find_cause(exc, socket.gaierror, urllib3.exceptions.NameResolutionError):
        return "host not found"
    if find_cause(exc, ConnectionRefusedError):
        return "connection refused"
    if find_cause(exc, ConnectionResetError):
        return "connection reset by the server"
    if find_cause(exc, urllib3.exceptions.ProtocolError):
        return "connection broken while reading"
    return f"connection failed ({exc})"


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MB" if n >= mib and n % mib == 0 else f"{n} bytes"
