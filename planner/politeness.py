"""Politeness toward the sites planner fetches: robots.txt, per-host spacing, Retry-After.

``planner.fetch.Fetcher`` uses these pieces on every hop; nothing here does HTTP itself.

- ``RobotsCache`` keeps each site's parsed robots.txt (Protego) for a while; the fetcher
  gives it a ``load`` function that fetches ``/robots.txt`` through the guarded path.
- A ``HostLimiter`` spaces requests to one host by a minimum delay: ``LocalHostLimiter`` within
  one process, ``RedisHostLimiter`` across every process that shares the Redis server.
- ``retry_after`` reads a ``Retry-After`` header (seconds or an HTTP date).
- ``shared_robots_cache`` and ``shared_limiter`` hand every Fetcher in a process (one per
  thread) the same cache and in-process limiter, so all threads keep one per-host delay.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from protego import Protego
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

ROBOTS_TTL = 3600.0  # seconds a fetched robots.txt (or its 4xx answer) is kept
ROBOTS_ERROR_TTL = 300.0  # seconds an unreachable robots.txt (5xx, timeout) counts as "allow all"
ROBOTS_MAX_ENTRIES = 2048
MAX_DEFER = 3600.0  # the longest a Retry-After pushes a host's next request back


@dataclass(frozen=True)
class RobotsFile:
    """What fetching /robots.txt gave: the final status (None when it failed) and the body."""

    status: int | None
    body: bytes = b""


def robots_rules(robots: RobotsFile) -> tuple[Protego | bool, float]:
    """The rules (or True = allow all, False = disallow all) and for how long to keep them."""
    status = robots.status
    if status is None or status == 429 or status >= 500:
        return True, ROBOTS_ERROR_TTL
    if status in (401, 403):
        return False, ROBOTS_TTL
    if status >= 400:  # 404, 410 and the other client errors: no rules
        return True, ROBOTS_TTL
    return Protego.parse(robots.body.decode("utf-8", "replace")), ROBOTS_TTL


class RobotsCache:
    """Each site's robots.txt rules, keyed by scheme://host:port, kept ``ROBOTS_TTL`` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._rules: dict[str, tuple[Protego | bool, float]] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str, user_agent: str, load: Callable[[str], RobotsFile]) -> bool:
        """Whether robots.txt lets ``user_agent`` fetch ``url``; ``load`` fetches robots.txt."""
        rules = self.rules(robots_url(url), load)
        if isinstance(rules, bool):
            return rules
        return bool(rules.can_fetch(url, user_agent))

    def rules(self, robots: str, load: Callable[[str], RobotsFile]) -> Protego | bool:
        now = self.clock()
        with self._lock:
            cached = self._rules.get(robots)
        if cached is not None and cached[1] > now:
            return cached[0]
        rules, ttl = robots_rules(load(robots))
        with self._lock:
            if len(self._rules) >= ROBOTS_MAX_ENTRIES:
                self._rules = {k: v for k, v in self._rules.items() if v[1] > now}
                while len(self._rules) >= ROBOTS_MAX_ENTRIES:
                    del self._rules[next(iter(self._rules))]
            self._rules[robots] = (rules, now + ttl)
        return rules


def robots_url(url: str) -> str:
    """The robots.txt that governs ``url`` (same scheme, host and port; no user info)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/robots.txt"


def robots_site(url: str) -> str:
    """The host (and port, when given) whose robots.txt governs ``url``, for messages."""
    return urlsplit(url).netloc.rpartition("@")[2]


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date); None if unusable.

    ``now`` is the wall-clock time (``time.time()``) that an HTTP date is measured from.
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - moment)


class HostBusy(Exception):
    """The host's next free slot is further away than the caller is willing to wait."""

    def __init__(self, host: str, wait: float) -> None:
        super().__init__(f"{host}: next request allowed in {wait:.1f} s")
        self.host = host
        self.wait = wait


class HostLimiter(Protocol):
    """Spaces requests to each host by a minimum delay."""

    def wait(self, host: str, max_wait: float = math.inf) -> float:
        """Reserve the host's next slot and sleep until it; return the seconds slept.

        Raises ``HostBusy`` (reserving nothing) when the slot is more than ``max_wait`` away.
        """
        ...

    def defer(self, host: str, seconds: float) -> None:
        """Push the host's next slot at least ``seconds`` (capped at MAX_DEFER) from now."""
        ...


def host_key(host: str) -> str:
    return host.lower().rstrip(".")


class LocalHostLimiter:
    """A HostLimiter for one process: the next free instant per host, under a lock."""

    def __init__(
        self,
        delay: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.delay = max(0.0, delay)
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, max_wait: float = math.inf) -> float:
        key = host_key(host)
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(key, now))
            if slot - now > max_wait:
                raise HostBusy(host, slot - now)
            self._forget_past(now)
            self._next[key] = slot + self.delay
        if slot > now:
            self.sleep(slot - now)
        return slot - now

    def defer(self, host: str, seconds: float) -> None:
        key = host_key(host)
        with self._lock:
            until = self.clock() + min(max(seconds, 0.0), MAX_DEFER)
            self._next[key] = max(self._next.get(key, until), until)

    def _forget_past(self, now: float) -> None:
        if len(self._next) > 1024:
            self._next = {key: at for key, at in self._next.items() if at > now}


# KEYS[1] = the host's key; ARGV = delay ms, max wait ms (-1: no limit). Redis's own clock
# serves every worker, so machines with skewed clocks still share one schedule.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0))
local max_wait = tonumber(ARGV[2])
if max_wait >= 0 and slot - now > max_wait then return {slot - now, 0} end
local free = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], free, 'PX', free - now + 1000)
return {slot - now, 1}
"""
# KEYS[1] = the host's key; ARGV[1] = ms from now before the next request.
_DEFER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = now + tonumber(ARGV[1])
if free > tonumber(redis.call('GET', KEYS[1]) or 0) then
  redis.call('SET', KEYS[1], free, 'PX', free - now + 1000)
end
return free
"""


class RedisHostLimiter:
    """A HostLimiter shared by every process using the same Redis: one atomic slot per host.

    Each ``wait`` reserves the host's next slot in a Lua script (one round trip, atomic); keys
    expire a second after their slot. When Redis fails, spacing falls back to this process only.
    """

    def __init__(
        self,
        client: Any,
        delay: float = 1.0,
        *,
        prefix: str = "planner:host-slot:",
        sleep: Callable[[float], object] = time.sleep,
        fallback: LocalHostLimiter | None = None,
    ) -> None:
        self.client = client
        self.delay = max(0.0, delay)
        self.prefix = prefix
        self.sleep = sleep
        self._reserve = client.register_script(_RESERVE)
        self._defer = client.register_script(_DEFER)
        self._fallback = fallback or LocalHostLimiter(delay, sleep=sleep)

    @classmethod
    def from_url(cls, url: str, delay: float = 1.0, **options: Any) -> RedisHostLimiter:
        from redis import Redis

        client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, delay, **options)

    def wait(self, host: str, max_wait: float = math.inf) -> float:
        limit = -1 if math.isinf(max_wait) else max(0, round(max_wait * 1000))
        try:
            wait_ms, reserved = self._reserve(
                keys=[self.prefix + host_key(host)], args=[round(self.delay * 1000), limit]
            )
        except (RedisError, OSError) as exc:  # keep fetching, spaced in this process only
            log.warning("host limiter: Redis unavailable (%s); spacing in this process only", exc)
            return self._fallback.wait(host, max_wait)
        seconds = int(wait_ms) / 1000
        if not int(reserved):
            raise HostBusy(host, seconds)
        if seconds > 0:
            self.sleep(seconds)
        return seconds

    def close(self) -> None:
        self.client.close()

    def defer(self, host: str, seconds: float) -> None:
        millis = round(min(max(seconds, 0.0), MAX_DEFER) * 1000)
        try:
            self._defer(keys=[self.prefix + host_key(host)], args=[millis])
        except (RedisError, OSError) as exc:
            log.warning("host limiter: Redis unavailable (%s); deferring in this process", exc)
            self._fallback.defer(host, seconds)


# The process's shared instances: keyed by user agent (robots.txt) and delay (limiter).
_shared_lock = threading.Lock()
_shared_robots: dict[str, RobotsCache] = {}
_shared_limiters: dict[float, LocalHostLimiter] = {}
_shared_redis: dict[tuple[str, float], RedisHostLimiter] = {}


def shared_robots_cache(user_agent: str) -> RobotsCache:
    """This process's robots.txt cache for ``user_agent``, the same one for every caller."""
    with _shared_lock:
        cache = _shared_robots.get(user_agent)
        if cache is None:
            cache = _shared_robots[user_agent] = RobotsCache()
        return cache


def shared_limiter(delay: float) -> LocalHostLimiter:
    """This process's in-process limiter spacing requests to each host by ``delay`` seconds:
    every thread that asks for the same delay waits its turn in the same schedule."""
    key = max(0.0, delay)
    with _shared_lock:
        limiter = _shared_limiters.get(key)
        if limiter is None:
            limiter = _shared_limiters[key] = LocalHostLimiter(key)
        return limiter


def shared_redis_limiter(url: str, delay: float) -> RedisHostLimiter:
    """This process's limiter through the Redis at ``url``: one connection pool, however many
    fetchers (threads) use it."""
    key = (url, max(0.0, delay))
    fallback = shared_limiter(delay)
    with _shared_lock:
        limiter = _shared_redis.get(key)
        if limiter is None:
            limiter = _shared_redis[key] = RedisHostLimiter.from_url(url, key[1], fallback=fallback)
        return limiter


def forget_shared() -> None:
    """Drop the shared caches and limiters, closing their connections (tests)."""
    with _shared_lock:
        for limiter in _shared_redis.values():
            limiter.client.close()
        _shared_redis.clear()
        _shared_robots.clear()
        _shared_limiters.clear()
