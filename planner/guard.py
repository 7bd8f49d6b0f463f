"""The address guard: which URLs planner may fetch, and which addresses it may connect to.

``normalize_url`` allows http(s) only (webcal maps to https). ``checked_addresses`` resolves the
host once and refuses it unless every address passes the policy (``address_problem``: globally
routable only). ``PinnedAdapter`` then connects to one of those checked addresses, so a second
DNS answer can never redirect the connection; ``guard_session`` fits a ``requests.Session``
with it and ignores proxies from the environment. ``check_url`` runs the same checks without
sending anything, for forms to validate early.

The exceptions the guard raises (``FetchError`` and its ``BadURL``, ``BlockedURL`` and
``ConnectionFailed``) are defined here; ``planner.fetch`` re-exports them with the rest of
the tree, and other code imports them from there.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

MAX_ADDRESSES_TRIED = 3  # a host's checked addresses tried in turn when connecting fails
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


class ConnectionFailed(FetchError):
    """DNS failure, refused or reset connection, TLS error."""


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


# --- addresses -----------------------------------------------------------------------------------

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


# --- the pinned transport ----------------------------------------------------------------------


def guard_session(session: requests.Session) -> PinnedAdapter:
    """Make ``session`` send only through a new PinnedAdapter (returned) and ignore proxies,
    netrc and CA bundles from the environment."""
    session.trust_env = False
    session.proxies.clear()
    adapter = PinnedAdapter()
    session.adapters.clear()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return adapter


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
                never_connected = find_cause(exc, urllib3.exceptions.ConnectTimeoutError)
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


def find_cause(exc: BaseException, *kinds: type[BaseException]) -> BaseException | None:
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
