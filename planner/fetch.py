"""The project's only HTTP client: bounded, guarded, polite GETs with one exception tree.

Every request has connect/read timeouts, a wall-clock deadline, a cap on the decompressed
body size and at most ``MAX_REDIRECTS`` redirects. Each hop goes through ``Fetcher._send``,
which checks it before anything is sent:

1. guard: http(s) only; the host is resolved once and every address must be globally routable
   (``address_problem``); the connection then goes to a checked address (``PinnedAdapter``), so
   a second DNS answer can never redirect it. Proxies from the environment are ignored.
2. robots.txt (``planner.politeness.RobotsCache``), fetched through the same guarded path.
3. the per-host minimum delay (``planner.politeness.HostLimiter``, in-process or Redis).
"""

from __future__ import annotations

import codecs
import hashlib
import ipaddress
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import Message
from functools import partial
from http.client import responses
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

from planner.politeness import (
    HostBusy,
    HostLimiter,
    LocalHostLimiter,
    RedisHostLimiter,
    RobotsCache,
    RobotsFile,
    retry_after,
    robots_site,
)

CHUNK_SIZE = 64 * 1024
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
MAX_ADDRESSES_TRIED = 3  # a host's checked addresses tried in turn when connecting fails
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], str | None]  # why an address is refused, or None
Resolver = Callable[[str, int], list[str]]  # (host, port) -> addresses


class FetchError(Exception):
    """A URL could not be fetched; ``str(e)`` reads ``"<url>: <what went wrong>"``."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class BadURL(FetchError):
    """Unsupported scheme, no host, or otherwise malformed URL."""


class BlockedURL(BadURL):
    """The host is (or resolves to) an address planner must not connect to; nothing was sent."""


class RobotsDisallowed(FetchError):
    """The site's robots.txt does not let planner's User-Agent fetch this URL."""


class FetchTimeout(FetchError):
    """Connect or read timeout, or the whole fetch exceeded its deadline."""


class TooLarge(FetchError):
    """The (decompressed) body is larger than the cap."""


class ConnectionFailed(FetchError):
    """DNS failure, refused or reset connection, TLS error."""


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


# --- the address guard -----------------------------------------------------------------------

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_NUMERIC_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def address_problem(ip: IPAddress, allow_private: bool = False) -> str | None:
    """Why planner must not connect to ``ip`` ("a loopback address", ...), or None if it may.

    ``allow_private`` (development and tests only) lets loopback, private, CGNAT and reserved
    addresses through; unspecified, multicast, link-local and metadata addresses stay refused.
    """
    if ip in _METADATA:
        return f"a {'link-local' if ip.is_link_local else 'private'} address (cloud metadata)"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = _wrapped_problem(ip, allow_private)
        if wrapped != "":
            return wrapped
    if allow_private:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip in _CGNAT:
        return "a shared address (carrier-grade NAT)"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    return None if ip.is_global else "not a globally routable address"


def _wrapped_problem(ip: ipaddress.IPv6Address, allow_private: bool) -> str | None:
    """For IPv6 forms that carry an IPv4 address: the verdict; "" for any other address."""
    if ip.ipv4_mapped is not None:
        return f"an IPv4-mapped IPv6 address (of {ip.ipv4_mapped})"
    inner, kind = None, ""
    if ip.sixtofour is not None:
        inner, kind = ip.sixtofour, "6to4"
    elif ip.teredo is not None:
        inner, kind = ip.teredo[1], "Teredo"
    elif ip in _NAT64:
        inner, kind = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    if inner is None:
        return ""
    problem = address_problem(inner, allow_private)
    return f"a {kind} address of {inner}, {problem}" if problem else None


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` has (system resolver), in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def numeric_host(host: str) -> IPAddress | None:
    """The address of a numeric host, including every IPv4 form inet_aton accepts
    (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``); None for a name."""
    with suppress(ValueError):
        return ipaddress.ip_address(host)
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.fullmatch(p) for p in parts):
        return None
    *head, last = [_numeric_part(part) for part in parts]
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _numeric_part(part: str) -> int:
    """One part of an inet_aton address: 0x hexadecimal, 0 octal, else decimal."""
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8 if part.startswith("0") else 10)


def checked_addresses(url: str, resolver: Resolver, policy: AddressPolicy) -> list[str]:
    """The addresses of ``url``'s host, each allowed by ``policy``; BlockedURL names the first
    that is not. ``url`` must be normalized (http/https with a host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = numeric_host(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a) for a in resolver(host, _port(url))]
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            raise ConnectionFailed(url, "host not found")
    for ip in addresses:
        if problem := policy(ip):
            says = f"{host} is" if _plain_ip(host) else f"{host} resolves to {ip}, which is"
            raise BlockedURL(url, f"{says} {problem}, not allowed")
    return [str(ip) for ip in addresses]


def check_url(url: str, allow_private: bool = False, resolver: Resolver = resolve) -> list[str]:
    """The resolved, allowed addresses of ``url`` (for forms to validate early).

    Raises BadURL (scheme, syntax), BlockedURL (an address is not allowed) or ConnectionFailed
    (host not found), like a fetch of ``url`` would, without sending anything.
    """
    target = prepare_url(normalize_url(url))
    return checked_addresses(
        target, resolver, partial(address_problem, allow_private=allow_private)
    )


def prepare_url(url: str) -> str:
    """``url`` as requests will send it (IDNA host, quoted path), so the checked host is the
    one connected to."""
    try:
        prepared = requests.Request("GET", url).prepare().url
    except (requests.RequestException, ValueError) as exc:
        raise BadURL(url, f"malformed URL ({exc})") from None
    return prepared or url


def _plain_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or _DEFAULT_PORTS[parts.scheme]


class PinnedAdapter(HTTPAdapter):
    """A transport that connects only to addresses checked beforehand, never through a proxy.

    ``with adapter.pinned(host, addresses):`` allows one request to ``host``; the connection
    goes to those addresses (tried in turn while connecting fails) with the Host header, the
    TLS server name (SNI) and certificate verification all for ``host``. A request for any
    other host, or outside ``pinned``, fails without connecting.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pin: tuple[str, list[str]] | None = None
        self._address: str | None = None

    @contextmanager
    def pinned(self, host: str, addresses: list[str]) -> Iterator[None]:
        self._pin = (host, addresses)
        try:
            yield
        finally:
            self._pin = self._address = None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        if self._pin is None or self._pin[0] != parts.hostname:
            raise requests.ConnectionError(f"{parts.hostname}: no checked address to connect to")
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        addresses = self._pin[1][:MAX_ADDRESSES_TRIED]
        for index, address in enumerate(addresses):
            self._address = address
            try:
                return super().send(request, stream, timeout, verify, cert, proxies={})
            except requests.ConnectionError as exc:
                never_connected = _cause(exc, urllib3.exceptions.ConnectTimeoutError)
                if index == len(addresses) - 1 or not never_connected:
                    raise
        raise requests.ConnectionError("no address")  # unreachable: addresses is never empty

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> HTTPConnectionPool:
        """The pool for the pinned address; for https, SNI and verification use the host name."""
        if self._address is None:
            raise requests.ConnectionError("no checked address to connect to")
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = host_params["host"]
        host_params["host"] = self._address
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


# --- the fetcher ---------------------------------------------------------------------------


class Fetcher:
    """Fetches URLs over one ``requests.Session`` that identifies itself with ``user_agent``.

    Like the session, a Fetcher is meant for one thread at a time: give each worker its own.
    Options: ``allow_private`` lets loopback and private addresses through (development and
    tests only); ``robots`` honours robots.txt; ``host_delay`` is the minimum number of seconds
    between two requests to one host, kept across processes through ``redis_url`` (or a given
    ``limiter``). ``resolver`` and ``address_policy`` replace the system resolver and
    ``address_problem`` (tests).
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
        self.session.trust_env = False  # no proxies, netrc or CA bundles from the environment
        self.session.proxies.clear()
        self.session.headers["User-Agent"] = user_agent
        self.session.max_redirects = MAX_REDIRECTS
        self.adapter = PinnedAdapter()
        self.session.adapters.clear()
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.robots = robots
        self.robots_cache = robots_cache if robots_cache is not None else RobotsCache()
        self._own_limiter = limiter is None and bool(redis_url)
        if limiter is None:
            limiter = (
                RedisHostLimiter.from_url(redis_url, host_delay)
                if redis_url
                else LocalHostLimiter(host_delay)
            )
        self.limiter = limiter
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
        self.session.close()
        if self._own_limiter and isinstance(self.limiter, RedisHostLimiter):
            self.limiter.close()

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
