"""Polite fetching: robots.txt, per-host spacing (in-process and across processes through Redis),
and Retry-After, against real local servers.

Spacing is checked on the instants the local server recorded, with a generous tolerance; waits
that are not the point of a test are avoided by ``host_delay=0``.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from email.utils import formatdate
from itertools import pairwise
from urllib.parse import urlsplit, urlunsplit

import pytest

from planner.fetch import Fetcher, HTTPStatusError, RateLimited, RobotsDisallowed, is_transient
from planner.politeness import (
    MAX_DEFER,
    ROBOTS_ERROR_TTL,
    HostBusy,
    LocalHostLimiter,
    RedisHostLimiter,
    RobotsCache,
    forget_shared,
    retry_after,
    shared_limiter,
    shared_robots_cache,
)
from tests.conftest import REDIS_URL, need
from tests.localserver import LocalServer

USER_AGENT = "planner-test/1.0 (+https://planner.example/bot)"
PAGE = b"<html><title>hello</title></html>"
DISALLOW_PRIVATE = b"User-agent: *\nDisallow: /private\n"
FETCH_REDIS_URL = urlunsplit(  # this file's own db: the one after the run's
    urlsplit(REDIS_URL)._replace(path=f"/{int(urlsplit(REDIS_URL).path[1:]) + 1}")
)


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def fresh_politeness() -> Iterator[None]:
    """Each test starts with new shared robots caches and limiters, and leaves none behind
    (a Retry-After here would otherwise hold 127.0.0.1 back in later tests)."""
    forget_shared()
    yield
    forget_shared()


def polite(**options: object) -> Fetcher:
    settings: dict = {"connect_timeout": 1.0, "read_timeout": 2.0, "total_timeout": 5.0}
    settings |= {"allow_private": True, "host_delay": 0}
    return Fetcher(options.pop("user_agent", USER_AGENT), **(settings | options))  # type: ignore[arg-type]


def paths(server: LocalServer) -> list[str]:
    return [request.path for request in server.requests]


# --- robots.txt --------------------------------------------------------------------------------


def test_robots_disallow_is_honoured_and_cached(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", DISALLOW_PRIVATE, content_type="text/plain")
    public = local_server.add("/public", PAGE, content_type="text/html")
    private = local_server.add("/private/page", PAGE, content_type="text/html")
    with polite() as client:
        client.fetch(public)
        with pytest.raises(RobotsDisallowed) as caught:
            client.fetch(private)
        client.fetch(public)
    site = f"127.0.0.1:{local_server.port}"
    assert str(caught.value) == f"{private}: robots.txt of {site} disallows it"
    assert paths(local_server) == ["/robots.txt", "/public", "/public"]


def test_robots_rules_are_read_for_the_fetchers_user_agent(local_server: LocalServer) -> None:
    rules = b"User-agent: planner-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    local_server.add("/robots.txt", rules, content_type="text/plain")
    url = local_server.add("/page", PAGE, content_type="text/html")
    with polite() as ours, pytest.raises(RobotsDisallowed):
        ours.fetch(url)
    with polite(user_agent="otherbot/2.0") as theirs:
        assert theirs.fetch(url).content == PAGE


@pytest.mark.parametrize(
    ("status", "allowed", "ttl"),
    [
        (404, True, "long"),
        (410, True, "long"),
        (401, False, "long"),
        (403, False, "long"),
        (500, True, "short"),
        (503, True, "short"),
    ],
)
def test_robots_answer_status_decides_and_is_cached(
    local_server: LocalServer, status: int, allowed: bool, ttl: str
) -> None:
    local_server.add("/robots.txt", DISALLOW_PRIVATE, content_type="text/plain", status=status)
    url = local_server.add("/page", PAGE, content_type="text/html")
    clock = Clock()
    with polite(robots_cache=RobotsCache(clock=clock)) as client:
        for _ in range(2):
            if allowed:
                assert client.fetch(url).content == PAGE
            else:
                with pytest.raises(RobotsDisallowed):
                    client.fetch(url)
        assert paths(local_server).count("/robots.txt") == 1  # cached
        clock.now += ROBOTS_ERROR_TTL + 1
        with nullcontext() if allowed else pytest.raises(RobotsDisallowed):
            client.fetch(url)
    expected = 2 if ttl == "short" else 1  # an unavailable robots.txt is asked for again soon
    assert paths(local_server).count("/robots.txt") == expected


def test_unreachable_robots_txt_allows(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", DISALLOW_PRIVATE, delay=2.0)  # answers after the read timeout
    url = local_server.add("/private/page", PAGE, content_type="text/html")
    with polite(read_timeout=0.3) as client:
        assert client.fetch(url).content == PAGE


def test_robots_can_be_switched_off(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", b"User-agent: *\nDisallow: /\n", content_type="text/plain")
    url = local_server.add("/page", PAGE, content_type="text/html")
    with polite(robots=False) as client:
        assert client.fetch(url).content == PAGE
    assert paths(local_server) == ["/page"]


# --- per-host delay, in one process --------------------------------------------------------------


def test_local_limiter_spaces_each_host_on_its_own() -> None:
    clock = Clock()
    limiter = LocalHostLimiter(2.0, clock=clock, sleep=clock.sleep)
    assert limiter.wait("a.example") == 0
    assert limiter.wait("b.example") == 0  # another host is not held up by a.example
    assert limiter.wait("A.example.") == 2.0  # same host: waits for its slot
    clock.now += 10
    assert limiter.wait("a.example") == 0
    assert clock.slept == [2.0]


def test_local_limiter_defer_and_busy() -> None:
    clock = Clock()
    limiter = LocalHostLimiter(1.0, clock=clock, sleep=clock.sleep)
    limiter.defer("a.example", 30)
    with pytest.raises(HostBusy) as caught:
        limiter.wait("a.example", max_wait=5)
    assert caught.value.wait == 30
    assert limiter.wait("a.example") == 30  # without a limit it sleeps until then
    limiter.defer("b.example", 10**6)
    with pytest.raises(HostBusy) as capped:
        limiter.wait("b.example", max_wait=0)
    assert capped.value.wait == MAX_DEFER


def test_fetcher_spaces_requests_to_one_host(local_server: LocalServer) -> None:
    url = local_server.add("/page", PAGE, content_type="text/html")
    with polite(host_delay=0.3, robots=False) as client:
        for _ in range(3):
            client.fetch(url)
    instants = [request.at for request in local_server.requests]
    assert min(later - earlier for earlier, later in pairwise(instants)) >= 0.2


def test_fetcher_does_not_hold_one_host_up_for_another(local_server: LocalServer) -> None:
    # With a 30 s delay and a 2 s budget, a fetch that had to wait would raise RateLimited.
    pages = {name: f"http://{name}:{local_server.port}/page" for name in ("a.test", "b.test")}
    local_server.add("/page", PAGE, content_type="text/html")
    options = {"host_delay": 30.0, "total_timeout": 2.0, "robots": False}
    with polite(**options, resolver=lambda host, port: ["127.0.0.1"]) as client:
        client.fetch(pages["a.test"])
        client.fetch(pages["b.test"])
        with pytest.raises(RateLimited) as caught:
            client.fetch(pages["a.test"])
    assert 25 < caught.value.retry_after <= 30 and is_transient(caught.value)
    assert "next request to a.test allowed in" in str(caught.value)
    assert [request.headers["Host"].split(":")[0] for request in local_server.requests] == [
        "a.test",
        "b.test",
    ]


# --- one schedule for all threads of a process ----------------------------------------------


def test_fetchers_of_a_process_share_robots_cache_and_limiter() -> None:
    first, second = polite(host_delay=1.0), polite(host_delay=1.0)
    assert first.robots_cache is second.robots_cache is shared_robots_cache(USER_AGENT)
    assert first.limiter is second.limiter is shared_limiter(1.0)
    assert polite(user_agent="otherbot/2.0").robots_cache is not first.robots_cache
    assert polite(host_delay=2.0).limiter is not first.limiter
    cache, limiter = RobotsCache(), LocalHostLimiter(1.0)
    given = polite(robots_cache=cache, limiter=limiter)  # the test seams stay
    assert given.robots_cache is cache and given.limiter is limiter


def test_robots_txt_is_read_once_for_all_fetchers(local_server: LocalServer) -> None:
    local_server.add("/robots.txt", DISALLOW_PRIVATE, content_type="text/plain")
    url = local_server.add("/public", PAGE, content_type="text/html")
    for _ in range(2):
        with polite() as client:  # each thread builds its own Fetcher
            client.fetch(url)
    assert paths(local_server) == ["/robots.txt", "/public", "/public"]


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:1/0"], ids=["local", "redis-down"])
def test_threads_with_their_own_fetchers_keep_one_host_delay(
    local_server: LocalServer, redis_url: str | None
) -> None:
    url = local_server.add("/page", PAGE, content_type="text/html")
    start = threading.Barrier(2)

    def work() -> None:
        with polite(host_delay=0.3, robots=False, redis_url=redis_url) as client:
            start.wait(timeout=10)
            for _ in range(2):
                client.fetch(url)

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(work) for _ in range(2)]:
            done.result(timeout=30)
    instants = sorted(request.at for request in local_server.requests)
    gaps = [later - earlier for earlier, later in pairwise(instants)]
    assert len(instants) == 4 and min(gaps) >= 0.2, gaps  # 0.3 s apart, give or take


# --- Retry-After -------------------------------------------------------------------------------


def http_date(seconds_from_now: float) -> str:
    return formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("header", ["seconds", "date"])
def test_retry_after_is_reported_and_holds_the_host_back(
    local_server: LocalServer, status: int, header: str
) -> None:
    value = "120" if header == "seconds" else http_date(120)
    url = local_server.add("/page", b"busy", "text/plain", {"Retry-After": value}, status)
    with polite(robots=False) as client:
        with pytest.raises(HTTPStatusError) as caught:
            client.fetch(url)
        assert caught.value.status == status and is_transient(caught.value)
        assert caught.value.retry_after is not None and 115 <= caught.value.retry_after <= 120
        assert "retry after 1" in str(caught.value)
        with pytest.raises(RateLimited) as held:
            client.fetch(url)  # the host's next slot was pushed back: nothing is sent
    assert held.value.retry_after > 100
    assert paths(local_server) == ["/page"]


def test_error_without_retry_after_does_not_hold_the_host(local_server: LocalServer) -> None:
    url = local_server.add("/page", b"busy", content_type="text/plain", status=503)
    with polite(robots=False) as client:
        for _ in range(2):
            with pytest.raises(HTTPStatusError) as caught:
                client.fetch(url)
            assert caught.value.retry_after is None
    assert paths(local_server) == ["/page", "/page"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after(value) == seconds


def test_retry_after_http_date_is_measured_from_now() -> None:
    now = 1_700_000_000.0
    assert retry_after(formatdate(now + 90, usegmt=True), now=now) == 90.0


# --- per-host delay across processes, through Redis ------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    try:
        from redis import Redis

        client = Redis.from_url(FETCH_REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # any failure means: not here
        need("Redis", str(exc))
    client.flushdb()
    yield FETCH_REDIS_URL
    client.flushdb()
    client.close()


@pytest.mark.redis
def test_redis_limiter_spaces_each_host_on_its_own(redis_url: str) -> None:
    limiter = RedisHostLimiter.from_url(redis_url, 5.0, sleep=lambda seconds: None)
    assert limiter.wait("a.example") == 0
    assert limiter.wait("b.example") == 0
    assert 4 < limiter.wait("a.example") <= 5  # reserved the slot after the first
    with pytest.raises(HostBusy) as caught:
        limiter.wait("a.example", max_wait=1)
    assert 9 < caught.value.wait <= 10  # and nothing was reserved by the refused call
    ttl = limiter.client.pttl("planner:host-slot:a.example")
    assert 0 < ttl <= 12_000  # keys expire shortly after their last slot


@pytest.mark.redis
def test_redis_limiter_defer_is_capped(redis_url: str) -> None:
    limiter = RedisHostLimiter.from_url(redis_url, 1.0, sleep=lambda seconds: None)
    limiter.defer("a.example", 30)
    limiter.defer("b.example", 10**6)
    with pytest.raises(HostBusy) as deferred:
        limiter.wait("a.example", max_wait=1)
    with pytest.raises(HostBusy) as capped:
        limiter.wait("b.example", max_wait=1)
    assert 29 < deferred.value.wait <= 30
    assert MAX_DEFER - 5 < capped.value.wait <= MAX_DEFER


def fetch_in_worker(url: str, redis_url: str, name: str, start: object, count: int) -> None:
    """One worker process: wait for the others, then fetch ``url`` ``count`` times."""
    with Fetcher(
        f"{USER_AGENT} {name}",
        allow_private=True,
        robots=False,
        host_delay=0.3,
        redis_url=redis_url,
    ) as client:
        start.wait(timeout=30)  # type: ignore[attr-defined]
        for _ in range(count):
            client.fetch(url)


@pytest.mark.redis
def test_two_processes_share_the_host_delay_through_redis(
    local_server: LocalServer, redis_url: str
) -> None:
    url = local_server.add("/page", PAGE, content_type="text/html")
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    workers = [
        spawn.Process(target=fetch_in_worker, args=(url, redis_url, name, start, 3))
        for name in ("one", "two")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    seen = sorted(local_server.requests, key=lambda request: request.at)
    assert {request.headers["User-Agent"].rsplit(" ", 1)[1] for request in seen} == {"one", "two"}
    gaps = [later.at - earlier.at for earlier, later in pairwise(seen)]
    assert len(seen) == 6 and min(gaps) >= 0.2, gaps  # 0.3 s apart, give or take


def test_redis_limiter_spaces_locally_while_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    local = LocalHostLimiter(2.0, clock=clock, sleep=clock.sleep)
    limiter = RedisHostLimiter.from_url("redis://127.0.0.1:1/0", 2.0, fallback=local)
    assert limiter.wait("a.example") == 0
    assert limiter.wait("a.example") == 2.0
    assert "Redis unavailable" in caplog.text
