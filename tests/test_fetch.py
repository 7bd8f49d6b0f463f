"""planner.fetch against a real local HTTP server (tests/localserver.py)."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator

import pytest

from planner.fetch import (
    BadURL,
    ConnectionFailed,
    Fetcher,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
    is_transient,
    normalize_url,
)
from planner.politeness import forget_shared
from tests import localserver
from tests.localserver import LAST_MODIFIED, LocalServer

local_server = localserver.local_server  # the fixture, so this module also runs on its own

USER_AGENT = "planner-test/1.0 (+https://planner.example/bot)"
FEED = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def fresh_politeness() -> Iterator[None]:
    """No robots.txt answer or host slot carries over from another test."""
    forget_shared()
    yield
    forget_shared()


def fetcher(**limits: float) -> Fetcher:
    """A Fetcher with short timeouts unless ``limits`` say otherwise; the local server is on
    127.0.0.1, so private addresses are allowed, and no host delay is kept between requests."""
    settings: dict = {"connect_timeout": 1.0, "read_timeout": 2.0, "total_timeout": 5.0}
    return Fetcher(USER_AGENT, **(settings | limits), allow_private=True, host_delay=0)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.ics"


def test_200_returns_body_validators_and_hash(local_server: LocalServer) -> None:
    url = local_server.add("/feed.ics", FEED)
    with fetcher() as client:
        result = client.fetch(url)
    assert (result.url, result.status, result.content) == (url, 200, FEED)
    assert result.content_type == "text/calendar"
    assert result.etag == '"' + hashlib.sha256(FEED).hexdigest() + '"'
    assert result.last_modified == LAST_MODIFIED
    assert result.content_hash == hashlib.sha256(FEED).hexdigest()
    assert not result.not_modified


def test_user_agent_and_accept_reach_the_server(local_server: LocalServer) -> None:
    url = local_server.add("/feed.ics", FEED)
    with fetcher() as client:
        client.fetch(url, accept="text/calendar")
    headers = local_server.requests[-1].headers
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == "text/calendar"


@pytest.mark.parametrize(
    ("argument", "header"), [("etag", "If-None-Match"), ("last_modified", "If-Modified-Since")]
)
def test_conditional_get_returns_304(local_server: LocalServer, argument: str, header: str) -> None:
    url = local_server.add("/feed.ics", FEED)
    with fetcher() as client:
        first = client.fetch(url)
        again = client.fetch(url, **{argument: getattr(first, argument)})
    assert local_server.requests[-1].headers[header] == getattr(first, argument)
    assert again.not_modified and again.status == 304
    assert (again.content, again.content_hash) == (b"", None)
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)


def test_304_without_validators_keeps_the_stored_ones(local_server: LocalServer) -> None:
    bare = {"ETag": None, "Last-Modified": None, "Content-Type": None}
    url = local_server.add("/feed.ics", headers=bare, status=304)
    with fetcher() as client:
        result = client.fetch(url, etag='"v1"', last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("webcal://example.org/events.ics", "https://example.org/events.ics"),
        ("  WEBCALS://example.org/a.ics?key=1 \n", "https://example.org/a.ics?key=1"),
        ("http://example.org/feed", "http://example.org/feed"),
        ("HTTPS://example.org/feed", "https://example.org/feed"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/feed.ics",
        "javascript:alert(1)",
        "http:///no-host.ics",
        "https://",
        "example.org/feed.ics",
        "http://example.org:99999/",
        "http://exa\x00mple.org/",
    ],
)
def test_bad_urls_are_refused_before_any_request(url: str) -> None:
    with fetcher() as client, pytest.raises(BadURL) as caught:
        client.fetch(url)
    assert str(caught.value).startswith(url.strip())


def test_http_error_carries_status_and_url(local_server: LocalServer) -> None:
    url = local_server.add("/gone.ics", b"gone", content_type="text/plain", status=404)
    with fetcher() as client, pytest.raises(HTTPStatusError) as caught:
        client.fetch(url)
    assert caught.value.status == 404
    assert caught.value.url == url
    assert str(caught.value) == f"{url}: HTTP 404 Not Found"


def test_gzip_body_is_decompressed(local_server: LocalServer) -> None:
    body = FEED * 200
    url = local_server.add("/feed.ics", body, gzip=True)
    with fetcher() as client:
        result = client.fetch(url)
    assert len(local_server.routes["/feed.ics"].body) < len(body)  # really sent compressed
    assert result.content == body


def test_gzip_bomb_is_cut_at_max_bytes(local_server: LocalServer) -> None:
    url = local_server.add("/bomb.ics", bytes(50 * MB), gzip=True)
    assert len(local_server.routes["/bomb.ics"].body) < MB  # only the decompressed size is big
    with fetcher(max_bytes=MB) as client, pytest.raises(TooLarge) as caught:
        client.fetch(url)
    assert str(caught.value) == f"{url}: body larger than 1 MB"


def test_announced_length_over_cap_is_refused_unread(local_server: LocalServer) -> None:
    # The body is short: reading it would hang until the read timeout, not raise TooLarge.
    url = local_server.add("/big.ics", b"x" * 10, headers={"Content-Length": str(10**9)})
    with fetcher(max_bytes=1000) as client, pytest.raises(TooLarge):
        client.fetch(url)


def test_body_counted_over_cap_without_length(local_server: LocalServer) -> None:
    url = local_server.add(
        "/big.ics", b"x" * 5000, headers={"Content-Length": None, "Connection": "close"}
    )
    with fetcher(max_bytes=1000) as client, pytest.raises(TooLarge):
        client.fetch(url)


def test_silent_server_times_out(local_server: LocalServer) -> None:
    url = local_server.add("/slow.ics", FEED, delay=3.0)
    with fetcher(read_timeout=0.3) as client, pytest.raises(FetchTimeout) as caught:
        client.fetch(url)
    assert str(caught.value) == f"{url}: timed out after 0.3 s"


def test_trickling_server_is_cut_by_total_timeout(local_server: LocalServer) -> None:
    # One byte every 0.05 s never trips the read timeout; only the deadline stops it.
    url = local_server.add("/trickle.ics", b"x" * 200, trickle=0.05)
    with (
        fetcher(read_timeout=2.0, total_timeout=0.5) as client,
        pytest.raises(FetchTimeout) as caught,
    ):
        client.fetch(url)
    assert str(caught.value) == f"{url}: not complete after 0.5 s"


def test_redirects_are_followed(local_server: LocalServer) -> None:
    final = local_server.add("/feed.ics", FEED)
    local_server.add("/old", redirect_to="/moved")
    local_server.add("/moved", redirect_to=final, status=301)
    with fetcher() as client:
        result = client.fetch(local_server.url("/old"))
    assert (result.url, result.content) == (final, FEED)


def test_redirect_loop_stops_after_five(local_server: LocalServer) -> None:
    start = local_server.add("/a", redirect_to="/b")
    local_server.add("/b", redirect_to="/a")
    with fetcher() as client, pytest.raises(FetchError, match="more than 5 redirects"):
        client.fetch(start)
    assert [r.path for r in local_server.requests].count("/robots.txt") == 1
    assert len(local_server.requests) == 1 + 6


def test_redirect_to_a_file_url_is_refused(local_server: LocalServer) -> None:
    start = local_server.add("/a", redirect_to="file:///etc/passwd")
    with fetcher() as client, pytest.raises(BadURL, match="file:///etc/passwd"):
        client.fetch(start)


def test_connection_refused() -> None:
    url = closed_port_url()
    with fetcher() as client, pytest.raises(ConnectionFailed) as caught:
        client.fetch(url)
    assert str(caught.value) == f"{url}: connection refused"


def test_tls_failure_is_a_connection_failure(local_server: LocalServer) -> None:
    url = local_server.add("/feed.ics", FEED).replace("http://", "https://")  # plain HTTP port
    with fetcher() as client, pytest.raises(ConnectionFailed, match="TLS error"):
        client.fetch(url)


def test_connection_closed_mid_body(local_server: LocalServer) -> None:
    url = local_server.add(
        "/cut.ics", b"x" * 10, headers={"Content-Length": "100", "Connection": "close"}
    )
    with fetcher() as client, pytest.raises(ConnectionFailed, match="connection broken"):
        client.fetch(url)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (FetchTimeout("u", "timed out"), True),
        (ConnectionFailed("u", "connection refused"), True),
        (HTTPStatusError("u", 429), True),
        (HTTPStatusError("u", 500), True),
        (HTTPStatusError("u", 503), True),
        (HTTPStatusError("u", 404), False),
        (HTTPStatusError("u", 403), False),
        (TooLarge("u", "too big"), False),
        (BadURL("u", "no host"), False),
        (FetchError("u", "more than 5 redirects"), False),
        (ValueError("not a fetch error"), False),
    ],
)
def test_is_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=UTF-8", "utf-8"),
        ('text/html;charset="Windows-1252"', "windows-1252"),
        ("text/html; charset=shift_jis; q=1", "shift_jis"),
        ("text/html", None),
        ("text/html; charset=no-such-codec", None),
        (None, None),
    ],
)
def test_charset_is_the_declared_one(
    local_server: LocalServer, content_type: str | None, charset: str | None
) -> None:
    url = local_server.add("/page", b"<p>caf\xc3\xa9</p>", headers={"Content-Type": content_type})
    with fetcher() as client:
        assert client.fetch(url).charset == charset
