"""The fetch guard against hostile URLs, through real local servers that record what reaches them.

A refused URL must raise before anything is sent: each row asserts the exception, the reason in
its message, and that the recording server on 127.0.0.1 saw no request at all. Rows marked
``reaches`` really land on that server when private addresses are allowed (checked below), so
the refusals are not an accident of routing. Linux routes all of 127/8 to loopback, which lets a
test allow 127.0.0.2 and forbid 127.0.0.1 with an injected address policy.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

import planner.fetch
import planner.guard
from planner.fetch import (
    BadURL,
    BlockedURL,
    ConnectionFailed,
    Fetcher,
    FetchError,
    HTTPStatusError,
    check_url,
)
from planner.guard import address_problem
from planner.politeness import forget_shared
from tests.conftest import need
from tests.localserver import LocalServer

USER_AGENT = "planner-test/1.0 (+https://planner.example/bot)"
PAGE = b"<html><title>hello</title></html>"

# (url, expected exception, words the message must contain, reaches the 127.0.0.1 server)
HOSTILE = [
    ("http://127.0.0.1:{port}/", BlockedURL, "127.0.0.1 is a loopback address, not allowed", 1),
    ("http://localhost:{port}/", BlockedURL, "localhost resolves to", 1),
    ("http://2130706433:{port}/", BlockedURL, "resolves to 127.0.0.1, which is a loopback", 1),
    ("http://0x7f.1:{port}/", BlockedURL, "resolves to 127.0.0.1, which is a loopback", 1),
    ("http://127.1:{port}/", BlockedURL, "resolves to 127.0.0.1, which is a loopback", 1),
    ("http://017700000001:{port}/", BlockedURL, "resolves to 127.0.0.1, which is a loopback", 1),
    ("http://0177.0.0.1:{port}/", BlockedURL, "resolves to 127.0.0.1, which is a loopback", 1),
    ("http://user@127.0.0.1:{port}/", BlockedURL, "127.0.0.1 is a loopback address", 1),
    ("http://[::ffff:127.0.0.1]:{port}/", BlockedURL, "an IPv4-mapped IPv6 address", 0),
    ("http://0.0.0.0:{port}/", BlockedURL, "0.0.0.0 is an unspecified address", 0),
    ("http://169.254.169.254/latest/meta-data/", BlockedURL, "link-local address (cloud", 0),
    ("http://10.0.0.1/", BlockedURL, "10.0.0.1 is a private address, not allowed", 0),
    ("http://172.16.5.4/", BlockedURL, "172.16.5.4 is a private address", 0),
    ("http://192.168.1.1/", BlockedURL, "192.168.1.1 is a private address", 0),
    ("http://100.64.0.1/", BlockedURL, "100.64.0.1 is a shared address (carrier-grade NAT)", 0),
    ("http://224.0.0.1/", BlockedURL, "224.0.0.1 is a multicast address", 0),
    ("http://240.0.0.1/", BlockedURL, "240.0.0.1 is a private address", 0),
    ("http://[fe80::1]/", BlockedURL, "fe80::1 is a link-local address", 0),
    ("http://[fc00::1]/", BlockedURL, "fc00::1 is a private address", 0),
    ("http://[fd00:ec2::254]/", BlockedURL, "is a private address (cloud metadata)", 0),
    ("http://[::]/", BlockedURL, ":: is an unspecified address", 0),
    ("http://[2002:7f00:1::]/", BlockedURL, "a 6to4 address of 127.0.0.1, a loopback address", 0),
    ("http://[64:ff9b::a00:1]/", BlockedURL, "a NAT64 address of 10.0.0.1, a private address", 0),
    ("file:///etc/passwd", BadURL, "unsupported scheme file:", 0),
    ("gopher://x", BadURL, "unsupported scheme gopher:", 0),
    ("ftp://127.0.0.1:{port}/", BadURL, "unsupported scheme ftp:", 0),
]


def only(*allowed: str) -> Callable[[object], str | None]:
    """An address policy that allows exactly ``allowed``."""
    return lambda ip: None if str(ip) in allowed else "not on this test's list"


def guarded(**options: object) -> Fetcher:
    settings: dict = {"connect_timeout": 1.0, "read_timeout": 2.0, "total_timeout": 5.0}
    return Fetcher(USER_AGENT, **settings, host_delay=0, **options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def fresh_politeness() -> Iterator[None]:
    """No robots.txt answer or host slot carries over from another test."""
    forget_shared()
    yield
    forget_shared()


@pytest.fixture
def twin() -> Iterator[tuple[LocalServer, LocalServer]]:
    """Servers on 127.0.0.2 and 127.0.0.1 with the same port (so one URL could reach either)."""
    for _ in range(20):
        allowed = LocalServer("127.0.0.2")
        try:
            forbidden = LocalServer("127.0.0.1", allowed.port)
        except OSError:  # that port is taken on 127.0.0.1: try another
            allowed.close()
            continue
        with allowed, forbidden:
            yield allowed, forbidden
        return
    need("two loopback addresses", "no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.mark.parametrize(("url", "error", "reason", "reaches"), HOSTILE)
def test_hostile_url_is_refused_unsent(
    local_server: LocalServer, url: str, error: type[FetchError], reason: str, reaches: int
) -> None:
    target = url.format(port=local_server.port)
    with guarded() as client, pytest.raises(error) as caught:
        client.fetch(target)
    assert type(caught.value) is error
    assert reason in str(caught.value) and str(caught.value).startswith(target)
    assert local_server.requests == []


@pytest.mark.parametrize(("url", "error", "reason", "reaches"), HOSTILE)
def test_check_url_refuses_the_same(
    local_server: LocalServer, url: str, error: type[FetchError], reason: str, reaches: int
) -> None:
    with pytest.raises(error, match="not allowed|unsupported scheme"):
        check_url(url.format(port=local_server.port))


@pytest.mark.parametrize("url", [row[0] for row in HOSTILE if row[3]])
def test_allow_private_lets_loopback_through(local_server: LocalServer, url: str) -> None:
    # The refused rows are real: with private addresses allowed they do reach the server.
    local_server.add("/", PAGE, content_type="text/html")
    target = url.format(port=local_server.port)
    with guarded(allow_private=True) as client:
        assert client.fetch(target).content == PAGE
    assert [r.path for r in local_server.requests] == ["/robots.txt", "/"]
    assert check_url(target, allow_private=True) in (["127.0.0.1"], ["127.0.0.1", "::1"])


def test_ipv6_loopback_is_refused_unsent() -> None:
    try:
        server = LocalServer("::1")
    except OSError:
        need("IPv6 loopback", "::1 cannot be bound here")
    with server:
        with guarded() as client, pytest.raises(BlockedURL) as caught:
            client.fetch(server.url("/"))
        assert "::1 is a loopback address, not allowed" in str(caught.value)
        assert server.requests == []
        with guarded(allow_private=True, robots=False) as client, pytest.raises(HTTPStatusError):
            client.fetch(server.url("/"))  # the refusal was real: allowed, it does arrive (404)
    assert [request.path for request in server.requests] == ["/"]


def test_allow_private_keeps_metadata_and_multicast_refused() -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/", "http://0.0.0.0/"):
        with pytest.raises(BlockedURL):
            check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{port}/secret", "http://localhost:{port}/", "http://0x7f.1:{port}/"],
)
def test_redirect_to_a_forbidden_address_is_refused_unsent(
    twin: tuple[LocalServer, LocalServer], target: str
) -> None:
    allowed, forbidden = twin
    forbidden.add("/secret", b"secret")
    start = allowed.add("/start", redirect_to=target.format(port=forbidden.port))
    with guarded(address_policy=only("127.0.0.2")) as client, pytest.raises(BlockedURL) as caught:
        client.fetch(start)
    assert "is not on this test's list, not allowed" in str(caught.value)
    assert [r.path for r in allowed.requests] == ["/robots.txt", "/start"]
    assert forbidden.requests == []


def test_dns_rebinding_connects_to_the_checked_address(
    twin: tuple[LocalServer, LocalServer],
) -> None:
    # The resolver answers an allowed address at check time and a forbidden one afterwards;
    # the request must go to the address that was checked, without asking the resolver again.
    allowed, forbidden = twin
    url = f"http://rebind.test:{allowed.port}/page"
    allowed.add("/page", PAGE, content_type="text/html")
    forbidden.add("/page", b"internal")
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    policy = only("127.0.0.2")
    with guarded(resolver=rebinding, address_policy=policy, robots=False) as client:
        assert client.fetch(url).content == PAGE
        assert asked == ["rebind.test"]  # one lookup, and the connection used its answer
        with pytest.raises(BlockedURL, match="rebind.test resolves to 127.0.0.1, which is not"):
            client.fetch(url)
    assert [(r.path, r.headers["Host"]) for r in allowed.requests] == [
        ("/page", f"rebind.test:{allowed.port}")
    ]
    assert forbidden.requests == []


def test_unchecked_host_cannot_use_the_transport(local_server: LocalServer) -> None:
    # Whatever reaches the session without passing the guard is refused without connecting.
    with guarded(allow_private=True) as client, pytest.raises(requests.ConnectionError):
        client.session.get(local_server.url("/"), timeout=1)
    assert local_server.requests == []


def test_every_checked_address_is_tried(local_server: LocalServer) -> None:
    local_server.add("/", PAGE, content_type="text/html")
    url = f"http://two.test:{local_server.port}/"
    addresses = ["127.0.0.3", "127.0.0.1"]  # nothing listens on 127.0.0.3
    with guarded(allow_private=True, robots=False, resolver=lambda h, p: addresses) as client:
        assert client.fetch(url).content == PAGE


def test_one_forbidden_address_refuses_the_host(local_server: LocalServer) -> None:
    url = f"http://mixed.test:{local_server.port}/"
    both = ["127.0.0.2", "127.0.0.1"]
    with (
        guarded(resolver=lambda h, p: both, address_policy=only("127.0.0.2")) as client,
        pytest.raises(BlockedURL, match="mixed.test resolves to 127.0.0.1"),
    ):
        client.fetch(url)
    assert local_server.requests == []


def test_unknown_host_is_a_connection_failure() -> None:
    def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with guarded(resolver=nxdomain) as client, pytest.raises(ConnectionFailed) as caught:
        client.fetch("http://no-such-host.invalid/")
    assert str(caught.value) == "http://no-such-host.invalid/: host not found"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_proxy_from_the_environment_is_ignored(
    twin: tuple[LocalServer, LocalServer], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    target, proxy = twin  # the "proxy" on 127.0.0.1 records anything sent to it
    url = target.add("/page", PAGE, content_type="text/html")
    monkeypatch.setenv(variable, proxy.url("/"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with guarded(address_policy=only("127.0.0.2"), robots=False) as client:
        assert client.fetch(url).content == PAGE
    assert proxy.requests == []


def test_proxy_on_a_given_session_is_ignored(twin: tuple[LocalServer, LocalServer]) -> None:
    target, proxy = twin
    url = target.add("/page", PAGE, content_type="text/html")
    session = requests.Session()
    session.proxies = {"http": proxy.url("/"), "https": proxy.url("/")}
    with guarded(session=session, address_policy=only("127.0.0.2"), robots=False) as client:
        assert client.fetch(url).content == PAGE
    assert proxy.requests == []


# --- HTTPS to a pinned address: SNI and certificate checked against the host name -----------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``pinned.test`` (not for 127.0.0.1), made by openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        need("openssl", "not installed (Debian package openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    command += ["-nodes", "-days", "2", "-subj", "/CN=pinned.test", "-keyout", str(key)]
    command += ["-out", str(cert), "-addext", "subjectAltName=DNS:pinned.test"]
    done = subprocess.run(command, capture_output=True, check=False, timeout=30)
    if done.returncode != 0:
        need("openssl", f"could not make a certificate: {done.stderr.decode()[:200]}")
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[LocalServer, list[str | None]]]:
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    with LocalServer(tls=context) as server:
        server.add("/feed.ics", PAGE)
        yield server, names


def tls_client(certificate: tuple[Path, Path]) -> Fetcher:
    session = requests.Session()
    session.verify = str(certificate[0])
    return guarded(
        session=session, allow_private=True, robots=False, resolver=lambda h, p: ["127.0.0.1"]
    )


def test_https_to_a_pinned_address_verifies_the_host_name(
    tls_server: tuple[LocalServer, list[str | None]], certificate: tuple[Path, Path]
) -> None:
    server, names = tls_server
    url = f"https://pinned.test:{server.port}/feed.ics"
    with tls_client(certificate) as client:
        result = client.fetch(url)
    assert (result.url, result.content) == (url, PAGE)
    assert names == ["pinned.test"]  # SNI names the host, not the address connected to
    assert server.requests[-1].headers["Host"] == f"pinned.test:{server.port}"


@pytest.mark.parametrize("host", ["other.test", "127.0.0.1"])
def test_https_certificate_for_another_name_is_refused(
    tls_server: tuple[LocalServer, list[str | None]], certificate: tuple[Path, Path], host: str
) -> None:
    server, _ = tls_server
    with tls_client(certificate) as client, pytest.raises(ConnectionFailed, match="TLS error"):
        client.fetch(f"https://{host}:{server.port}/feed.ics")
    assert server.requests == []


def test_fetch_offers_the_guards_names() -> None:
    # Other modules import the guard's exceptions and checks from planner.fetch.
    names = ["FetchError", "BadURL", "BlockedURL", "ConnectionFailed", "check_url", "normalize_url"]
    for name in [*names, "address_problem"]:
        assert getattr(planner.fetch, name) is getattr(planner.guard, name), name
    assert issubclass(planner.fetch.RateLimited, planner.guard.FetchError)
