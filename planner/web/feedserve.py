"""Serving the private calendar feeds: `/feeds/<token>.ics`.

A feed request costs one indexed query (token -> owner, kind, the owner's data version) and,
while neither the data version nor the hour changed, no more: the bytes come from this
process's cache, answered by `FastPath` in front of the app (none of its per-request work).
A feed is built for the start of the hour, so that the hour and the data version determine
it; an unchanged build gives the same bytes and the same ETag.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from sqlalchemy.orm import Session
from werkzeug.http import parse_accept_header, parse_etags
from werkzeug.wrappers import Response

from planner import db
from planner.feeds import Listing, build_calendar
from planner.feedtokens import Found, lookup
from planner.models import User
from planner.web.auth import _loopback, local_host, public
from planner.web.feeditems import feed_items

MAX_AGE = 300  # seconds a client may reuse a feed without asking again
GZIP_LEVEL = 5  # 500 events: 570 KB to 41 KB in 3.5 ms (level 9: 35 KB in 9.5 ms)
NOT_FOUND = "No such feed: the link is wrong, or it was replaced or turned off.\n"
FILENAMES = {"all": "planner-recommended.ics", "going": "planner-going.ics"}


@dataclass(frozen=True)
class Built:
    """A built feed: the bytes as they are and gzipped (calendar clients ask for gzip), each with
    its strong ETag (one hash of the bytes; the gzipped one says so), for a data version and
    an hour."""

    data_version: int
    hour: datetime
    body: bytes
    gzipped: bytes
    tag: str  # the ETag without quotes

    @classmethod
    def of(cls, body: bytes, data_version: int, hour: datetime) -> Built:
        tag = hashlib.sha256(body).hexdigest()[:40]
        return cls(data_version, hour, body, gzip.compress(body, GZIP_LEVEL, mtime=0), tag)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    def etag(self, gzipped: bool) -> str:
        return f'"{self.tag}-gzip"' if gzipped else f'"{self.tag}"'

    def matches(self, if_none_match: str) -> bool:
        """Whether an If-None-Match names either representation of these bytes (a 40-digit
        hash inside the header is ours; `*` and the rest are parsed)."""
        if self.tag in if_none_match:
            return True
        tags = parse_etags(if_none_match) if "*" in if_none_match else None
        return bool(tags and tags.star_tag)


class FeedCache:
    """Built feeds by token hash, newest use last; at most `budget` bytes in all."""

    def __init__(self, budget: int = 64 * 1024 * 1024) -> None:
        self.budget, self.size = budget, 0
        self.entries: OrderedDict[str, Built] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, data_version: int, hour: datetime) -> Built | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or (found.data_version, found.hour) != (data_version, hour):
                return None
            self.entries.move_to_end(key)
            return found

    def put(self, key: str, built: Built) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            self.size += built.size - (old.size if old else 0)
            self.entries[key] = built
            while self.size > self.budget and len(self.entries) > 1:
                _, dropped = self.entries.popitem(last=False)
                self.size -= dropped.size

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


cache = FeedCache()


@public
def feed(token: str) -> Response:
    """The feed a token names: 404 for unknown and revoked tokens alike, 304 when the client
    has these bytes already, else the bytes (gzipped when the client takes gzip). Requests the
    cache can answer are answered before Flask, by `FastPath`; this view answers the rest."""
    now = datetime.now(UTC)
    found = lookup(db.engine(), token, now)
    if found is None:
        return Response(NOT_FOUND, 404, content_type="text/plain; charset=utf-8")
    hour = hour_of(now)
    built = cache.get(found.token_hash, found.data_version, hour) or build(found, hour)
    headers = request.headers
    status, fields, body = answer(
        built, found.kind, headers.get("If-None-Match"), headers.get("Accept-Encoding")
    )
    return Response(body, status, fields)


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def answer(
    built: Built, kind: str, if_none_match: str | None, accept_encoding: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a request with these headers: 304 when If-None-Match names
    either representation of the bytes, else them, gzipped when the client takes gzip."""
    zipped = takes_gzip(accept_encoding)
    headers = [
        ("ETag", built.etag(zipped)),
        ("Cache-Control", f"private, max-age={MAX_AGE}"),
        ("Vary", "Accept-Encoding"),
    ]
    if if_none_match and built.matches(if_none_match):
        return 304, headers, b""
    body = built.gzipped if zipped else built.body
    headers += [
        ("Content-Type", "text/calendar; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Content-Disposition", f'inline; filename="{FILENAMES[kind]}"'),
    ]
    if zipped:
        headers.append(("Content-Encoding", "gzip"))
    return 200, headers, body


def takes_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding takes gzip (parsed only when it weighs codings: `q=`)."""
    if not accept_encoding or ("gzip" not in accept_encoding and "*" not in accept_encoding):
        return False
    if "q=" not in accept_encoding:
        return True
    return parse_accept_header(accept_encoding).quality("gzip") > 0


class FastPath:
    """WSGI, in front of the app: a feed request whose bytes this process has built already
    (token live, data version and hour unchanged) is answered here, with the one lookup query
    and none of the app's per-request work (session, sign-in, CSRF hooks): a calendar polling
    an unchanged feed costs about what a "hello world" costs. Anything else (unknown tokens,
    a build, other paths and methods, single-user mode from another machine or under another
    Host) goes on to the app unchanged, which refuses what it must."""

    PATH = re.compile(r"/feeds/([A-Za-z0-9_-]{43})\.ics")
    STATUS = {200: "200 OK", 304: "304 Not Modified"}

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        from planner.web import _security_headers  # the headers every answer of the app has

        self.app, self.wsgi_app = app, wsgi_app
        made = _security_headers(app.response_class()).headers
        self.security = [
            (k, v) for k, v in made.items() if k not in ("Content-Type", "Content-Length")
        ]
        self.single = app.config["MODE"] == "single"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        found = self.cached(environ)
        if found is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = found
        start_response(self.STATUS[status], headers + self.security)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    @staticmethod
    def local(environ: dict[str, Any]) -> bool:
        """Whether a request comes from this machine and names it (single-user mode answers
        nothing else; another Host is a page elsewhere reaching 127.0.0.1 by DNS rebinding)."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")  # as the app reads it
        return _loopback(environ.get("REMOTE_ADDR")) and local_host(host)

    def cached(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        match = self.PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or (self.single and not self.local(environ)):
            return None
        now = datetime.now(UTC)
        found = lookup(self.app.extensions[db.EXTENSION].kw["bind"], match.group(1), now)
        if found is None:
            return None  # the view answers 404
        built = cache.get(found.token_hash, found.data_version, hour_of(now))
        if built is None:
            return None  # the view builds it
        get = environ.get
        return answer(built, found.kind, get("HTTP_IF_NONE_MATCH"), get("HTTP_ACCEPT_ENCODING"))


def build(found: Found, hour: datetime) -> Built:
    """Build the feed `found` names as of `hour`, and keep it."""
    session = db.session()
    user = session.get(User, found.owner_id)
    if user is None:
        abort(404)
    built = Built.of(feed_bytes(session, user, found.kind, hour), found.data_version, hour)
    cache.put(found.token_hash, built)
    return built


def feed_bytes(session: Session, user: User, kind: str, now: datetime) -> bytes:
    """The feed's bytes, built with the collector paused: what a build allocates lives until
    it ends, and a full collection in the middle would scan the process's caches for nothing
    (a third of a build's time when it happened)."""
    with db.collector_paused():
        return build_calendar(listing_for(user, kind), feed_items(session, user, kind, now))


def listing_for(user: User, kind: str) -> Listing:
    """The calendar's name (whose it is: one may subscribe to several people's) and host."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "planner.invalid"
    who = user.name or user.email
    name = f"planner: {who} is going" if kind == "going" else f"planner: recommended for {who}"
    return Listing(name, host)
