"""The geocoding jobs with the real geopy Nominatim class against a local server that answers
like Nominatim: configuration, the database cache (hits and misses), failures that leave rows
pending, the rate limit across workers through Redis, and a real RQ worker on the "geocode" queue.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from planner import db
from planner.accounts import create_user
from planner.geo import GeoError, NominatimGeocoder, Place
from planner.geocode import (
    EXTENSION,
    app_geocoder,
    enqueue_geocode,
    geocode_contacts,
    geocode_events,
    geocode_trip,
    geocode_user,
    locate,
)
from planner.jobs import queue
from planner.models import Contact, Event, GeoCache, Trip, User
from planner.politeness import LocalHostLimiter
from tests.conftest import REDIS_URL, make_app, need, redis_error

ROOT = Path(__file__).parent.parent
UA = "planner-test/0.1 (+https://example.org/planner; geo@example.org)"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def answer(name: str, lat: str, lon: str, country: str, cc: str, **extra: Any) -> dict[str, Any]:
    """One result as Nominatim's /search answers with format=json&addressdetails=1&extratags=1."""
    return {
        "place_id": 100000 + len(name),
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "relation",
        "osm_id": 5400890 + len(name),
        "lat": lat,
        "lon": lon,
        "class": "boundary",
        "type": "administrative",
        "place_rank": 16,
        "importance": 0.72,
        "addresstype": "city",
        "name": name,
        "display_name": f"{name}, {country}",
        "address": {"city": name, "country": country, "country_code": cc},
        "extratags": extra,
        "boundingbox": [str(float(lat) - 0.1), str(float(lat) + 0.1), lon, lon],
    }


PLACES = {
    "lisbon": answer("Lisboa", "38.7077507", "-9.1365919", "Portugal", "pt", population="545796"),
    "spokane": answer("Spokane", "47.6571934", "-117.42351", "United States", "us"),
    "berlin": answer("Berlin", "52.5108850", "13.3989367", "Deutschland", "de"),
    "porto": answer("Porto", "41.1494512", "-8.6107884", "Portugal", "pt"),
    "madrid": answer("Madrid", "40.4167047", "-3.7035825", "España", "es"),
    "paris": answer("Paris", "48.8588897", "2.3200410", "France", "fr"),
    "rome": answer("Roma", "41.8933203", "12.4829321", "Italia", "it"),
    "vienna": answer("Wien", "48.2083537", "16.3725042", "Österreich", "at"),
}


@dataclass
class Seen:
    at: float  # time.monotonic() on arrival
    path: str
    query: dict[str, list[str]]
    user_agent: str | None


@dataclass
class FakeNominatim:
    """Answers GET {prefix}/search like Nominatim: the known place whose name starts the query
    (the part before the first comma), else ``[]``. ``failing`` maps such a name (or "*") to
    an HTTP status; ``body`` replaces every answer; ``delay`` holds each answer back."""

    prefix: str = ""
    failing: dict[str, int] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def queries(self) -> list[str]:
        return [s.query["q"][0] for s in self.seen]

    def respond(self, path: str) -> tuple[int, bytes]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        if parts.path != f"{self.prefix}/search" or "q" not in query:
            return 404, b'{"error": "not found"}'
        key = query["q"][0].split(",")[0].strip().lower()
        status = self.failing.get(key) or self.failing.get("*")
        if status:
            return status, b"<html><body>Service unavailable</body></html>"
        if self.body is not None:
            return 200, self.body
        found = [PLACES[key]] if key in PLACES else []
        if query.get("format") == ["jsonv2"]:
            found = [{**p, "category": p["class"]} for p in found]
        return 200, json.dumps(found).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        fake: FakeNominatim = self.server.fake  # type: ignore[attr-defined]
        arrived = time.monotonic()
        query = parse_qs(urlsplit(self.path).query)
        fake.seen.append(Seen(arrived, self.path, query, self.headers.get("User-Agent")))
        if fake.delay and fake.stopping.wait(fake.delay):
            self.close_connection = True
            return
        status, body = fake.respond(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if status == 429:
            self.send_header("Retry-After", "30")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.fake = fake  # type: ignore[attr-defined]
    fake.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield fake
    fake.stopping.set()
    server.shutdown()
    thread.join()
    server.server_close()


def nominatim_config(fake: FakeNominatim) -> dict[str, object]:
    return {"GEOCODER": "nominatim", "NOMINATIM_URL": fake.url, "USER_AGENT": UA}


@pytest.fixture
def geo_app(tmp_path: Path, nominatim: FakeNominatim) -> Iterator[Flask]:
    """SQLite, no Redis, Nominatim at the local server."""
    url = f"sqlite:///{tmp_path / 'planner.sqlite3'}"
    app = make_app(url, tmp_path, **nominatim_config(nominatim))
    with app.app_context():
        app_geocoder().limiter = LocalHostLimiter(0.0)  # the spacing has tests of its own
        yield app
        db.session().close()
        db.engine().dispose()


def user_with(session: Any, email: str, **fields: Any) -> User:
    user = create_user(session, email, None, NOW)
    for name, value in fields.items():
        setattr(user, name, value)
    session.commit()
    return user


def trip_to(session: Any, user: User, city: str) -> Trip:
    trip = Trip(owner_id=user.id, city=city, starts_on=date(2025, 5, 1), ends_on=date(2025, 5, 3))
    session.add(trip)
    session.commit()
    return trip


def cached_queries(session: Any) -> dict[str, bool]:
    rows = session.scalars(select(GeoCache).where(GeoCache.provider == "nominatim"))
    return {row.query: row.found for row in rows}


def test_the_configured_geocoder_asks_nominatim_politely(
    tmp_path: Path, nominatim: FakeNominatim
) -> None:
    nominatim.prefix = "/nominatim"  # self-hosted under a path
    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, **nominatim_config(nominatim))
    with app.app_context():
        geocoder = app_geocoder()
        assert isinstance(geocoder, NominatimGeocoder) and geocoder.timeout == 10
        session = db.session()
        trip = trip_to(session, user_with(session, "a@example.org"), "Lisbon, Portugal")
        assert geocode_trip(trip.id, NOW.isoformat()) == {"trip_id": trip.id, "found": True}
        db.session().expire_all()
        stored = db.session().get(Trip, trip.id)
        assert (stored.lat, stored.lon) == pytest.approx((38.7077507, -9.1365919))
        assert stored.timezone == "Europe/Lisbon" and stored.geocoded_at == NOW
        db.session().close()
        db.engine().dispose()
    (request,) = nominatim.seen
    assert urlsplit(request.path).path == "/nominatim/search"
    assert request.user_agent == UA
    assert request.query["q"] == ["Lisbon, Portugal"] and request.query["format"] == ["json"]
    assert request.query["addressdetails"] == ["1"] and request.query["limit"] == ["1"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_hits_and_misses_are_cached_for_every_worker(
    backend: str, tmp_path: Path, nominatim: FakeNominatim, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import database_url

    url = database_url(backend, tmp_path, request.getfixturevalue("postgres_schema_factory"))
    first, second = (make_app(url, tmp_path, **nominatim_config(nominatim)) for _ in range(2))
    for app in (first, second, first):  # two apps, as two workers: one geocoder each
        with app.app_context():
            session = db.session()
            berlin = locate(session, "  Berlin,   Germany ", NOW)
            nowhere = locate(session, "Qwxzyville", NOW)
            session.commit()
            assert berlin is not None and (berlin.name, berlin.country) == ("Berlin", "DE")
            assert berlin.timezone == "Europe/Berlin" and nowhere is None
            assert cached_queries(session) == {"berlin, germany": True, "qwxzyville": False}
            session.close()
    for app in (first, second):
        with app.app_context():
            db.engine().dispose()
    assert nominatim.queries() == ["Berlin, Germany", "Qwxzyville"]  # as typed, spaces tidied


class RacedGeocoder(NominatimGeocoder):
    """Another worker caches the same place while this one asks the service."""

    def locate(self, text: str) -> Place | None:
        with Session(db.engine()) as other:
            other.add(
                GeoCache(
                    provider="nominatim",
                    query="lisbon",
                    found=True,
                    name="Lisboa",
                    lat=38.7,
                    lon=-9.1,
                    timezone="Europe/Lisbon",
                    country="PT",
                )
            )
            other.commit()
        return super().locate(text)


def test_a_place_cached_meanwhile_by_another_worker_is_taken(
    any_app: Flask, nominatim: FakeNominatim
) -> None:
    geocoder = RacedGeocoder(UA, f"127.0.0.1:{nominatim.port}", "http", LocalHostLimiter(0.0))
    session = db.session()
    user = user_with(session, "a@example.org")
    # mid-job, with a change of its own: not written while the service is asked, or SQLite's
    # single writer lock would keep every other worker (and the web app) waiting meanwhile
    session.add(Contact(owner_id=user.id, name="Ana", city="Porto"))
    place = locate(session, "Lisbon", NOW, geocoder)
    assert place is not None and (place.name, place.lat, place.country) == ("Lisboa", 38.7, "PT")
    session.commit()
    assert cached_queries(session) == {"lisbon": True}
    assert session.scalar(select(func.count()).select_from(Contact)) == 1


class MovingGeocoder(NominatimGeocoder):
    """The user changes the trip's city while this worker asks the service for the old one."""

    def locate(self, text: str) -> Place | None:
        with Session(db.engine()) as web:
            web.execute(update(Trip).values(city="Porto", geocoded_at=None))
            web.commit()
        return super().locate(text)


def test_a_city_changed_meanwhile_is_left_to_its_own_job(
    geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    trip = trip_to(session, user_with(session, "a@example.org"), "Lisbon")
    mover = MovingGeocoder(UA, f"127.0.0.1:{nominatim.port}", "http", LocalHostLimiter(0.0))
    geo_app.extensions[EXTENSION]["geocoder"] = mover
    result = geocode_trip(trip.id, NOW.isoformat())
    assert result["message"] == "the city changed meanwhile"
    stored = session.get(Trip, trip.id)
    assert (stored.city, stored.lat, stored.geocoded_at) == ("Porto", None, None)
    del geo_app.extensions[EXTENSION]["geocoder"]
    assert geocode_trip(trip.id, NOW.isoformat()) == {"trip_id": trip.id, "found": True}
    assert session.get(Trip, trip.id).timezone == "Europe/Lisbon"  # Porto's zone
    assert nominatim.queries() == ["Lisbon", "Porto"]


def _slow_geocoder(app: Flask, fake: FakeNominatim) -> None:
    """A geocoder with a short timeout in place of the configured one (10 s is long to wait)."""
    limiter = LocalHostLimiter(0.0)
    domain = f"127.0.0.1:{fake.port}"
    geocoder = NominatimGeocoder(UA, domain=domain, scheme="http", limiter=limiter, timeout=0.3)
    app.extensions[EXTENSION] = {"geocoder": geocoder}
    fake.delay = 2.0


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("500", "Non-successful status code 500"),
        ("503", "Non-successful status code 503"),
        ("429", "Non-successful status code 429"),
        ("timeout", "timed out"),
        ("html", "Could not deserialize"),
        ("no coordinates", "unreadable answer"),
    ],
)
def test_a_failing_service_fails_the_job_and_leaves_the_trip_pending(
    geo_app: Flask, nominatim: FakeNominatim, failure: str, message: str
) -> None:
    if failure.isdigit():
        nominatim.failing["*"] = int(failure)
    elif failure == "timeout":
        _slow_geocoder(geo_app, nominatim)
    elif failure == "html":
        nominatim.body = b"<html><body>Maintenance</body></html>"
    else:
        nominatim.body = json.dumps([{"name": "Lisboa", "display_name": "Lisboa"}]).encode()
    session = db.session()
    trip = trip_to(session, user_with(session, "a@example.org"), "Lisbon")
    with pytest.raises(GeoError, match=message):
        geocode_trip(trip.id, NOW.isoformat())
    session.rollback()
    session.expire_all()
    stored = session.get(Trip, trip.id)
    assert stored.geocoded_at is None and stored.lat is None
    assert session.scalar(select(func.count()).select_from(GeoCache)) == 0
    assert len(nominatim.seen) == 1


def test_too_many_requests_pushes_the_next_request_back(nominatim: FakeNominatim) -> None:
    clock = {"now": 100.0, "slept": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds
        clock["slept"] += seconds

    limiter = LocalHostLimiter(1.0, clock=lambda: clock["now"], sleep=sleep)
    domain = f"127.0.0.1:{nominatim.port}"
    geocoder = NominatimGeocoder(UA, domain=domain, scheme="http", limiter=limiter)
    nominatim.failing["*"] = 429  # with Retry-After: 30
    with pytest.raises(GeoError):
        geocoder.locate("Lisbon")
    nominatim.failing.clear()
    assert geocoder.locate("Lisbon") is not None
    assert clock["slept"] == pytest.approx(30.0)


def test_user_home_sets_the_zone_only_when_it_is_automatic(
    geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    auto = user_with(session, "auto@example.org", home_location="Lisbon")
    chosen = user_with(
        session, "own@example.org", home_location="Lisbon", timezone="UTC", timezone_auto=False
    )
    homeless = user_with(session, "none@example.org")
    results = [geocode_user(u.id, NOW.isoformat()) for u in (auto, chosen, homeless)]
    assert [r["found"] for r in results] == [True, True, False]
    session.expire_all()
    auto, chosen, homeless = (session.get(User, u.id) for u in (auto, chosen, homeless))
    assert (auto.timezone, chosen.timezone, homeless.timezone) == ("Europe/Lisbon", "UTC", "UTC")
    assert chosen.home_lat == pytest.approx(38.7077507) and homeless.home_lat is None
    assert homeless.home_geocoded_at == NOW  # nothing to look up is looked up
    assert nominatim.queries() == ["Lisbon"]  # the second home came from the cache


def add_contacts(session: Any, user: User, cities: list[str | None]) -> None:
    for number, city in enumerate(cities):
        session.add(Contact(owner_id=user.id, name=f"Contact {number}", city=city))
    session.commit()


def test_contacts_in_one_city_cost_one_request(geo_app: Flask, nominatim: FakeNominatim) -> None:
    session = db.session()
    user = user_with(session, "a@example.org")
    add_contacts(session, user, ["Lisbon"] * 120 + ["lisbon "] * 100 + ["Spokane, WA", None, "Xy"])
    result = geocode_contacts(user.id, NOW.isoformat())
    assert result == {"owner_id": user.id, "looked_up": 222, "found": 221}
    assert sorted(nominatim.queries()) == ["Lisbon", "Spokane, WA", "Xy"]
    session.expire_all()
    contacts = session.scalars(select(Contact).order_by(Contact.id)).all()
    assert {(c.lat, c.lon) for c in contacts[:220]} == {(38.7077507, -9.1365919)}
    assert contacts[220].lat == pytest.approx(47.6571934)
    assert contacts[221].geocoded_at is None  # no city: nothing to look up
    assert contacts[222].geocoded_at == NOW and contacts[222].lat is None  # looked up, not found
    assert geocode_contacts(user.id, NOW.isoformat())["looked_up"] == 0  # done is done


def test_a_failure_midway_keeps_the_contacts_done_before_it(
    geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    user = user_with(session, "a@example.org")
    add_contacts(session, user, ["Lisbon", "Porto", "Berlin", "Lisbon", "Madrid"])
    nominatim.failing["berlin"] = 502
    with pytest.raises(GeoError, match="Berlin"):
        geocode_contacts(user.id, NOW.isoformat())
    session.rollback()
    session.expire_all()
    done = session.scalars(select(Contact.city).where(Contact.geocoded_at.is_not(None))).all()
    assert sorted(done) == ["Lisbon", "Porto"]
    assert cached_queries(session) == {"lisbon": True, "porto": True}
    nominatim.failing.clear()
    assert geocode_contacts(user.id, NOW.isoformat())["looked_up"] == 3  # the retry
    assert nominatim.queries() == ["Lisbon", "Porto", "Berlin", "Berlin", "Madrid"]


def test_event_venues_get_coordinates_and_online_events_are_skipped(
    geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    user = user_with(session, "a@example.org")
    rows = {
        "venue": Event(venue="Porto", attendance="in_person"),
        "address": Event(venue="LX Factory", address="Lisbon, R. Rodrigues de Faria 103"),
        "hybrid": Event(address="Berlin, Alexanderplatz 1", attendance="hybrid"),
        "online": Event(venue="Madrid", attendance="online"),
        "placed": Event(venue="Paris", lat=1.0, lon=2.0),
        "nowhere": Event(venue="Somewhere unknown"),
    }
    for number, (title, event) in enumerate(rows.items()):
        event.owner_id, event.title, event.fingerprint = user.id, title, f"fp{number}"
        event.start = NOW + timedelta(days=number)
        session.add(event)
    session.commit()
    result = geocode_events(user.id, NOW.isoformat())
    assert result == {"owner_id": user.id, "looked_up": 4, "found": 3}
    assert nominatim.queries() == [
        "Porto",
        "Lisbon, R. Rodrigues de Faria 103",
        "Berlin, Alexanderplatz 1",
        "Somewhere unknown",
    ]
    session.expire_all()
    got = {e.title: (e.lat, e.lon, e.geocoded_at) for e in session.scalars(select(Event))}
    assert got["venue"] == (41.1494512, -8.6107884, NOW)
    assert got["hybrid"][:2] == (52.510885, 13.3989367)
    assert got["online"] == (None, None, None) and got["placed"] == (1.0, 2.0, None)
    assert got["nowhere"] == (None, None, NOW)


# --- on Redis: a real RQ worker, and the rate limit across two of them ---


@pytest.fixture
def redis_geo_app(any_app: Flask, nominatim: FakeNominatim) -> Flask:
    problem = redis_error()
    if problem:
        need("Redis", problem)
    Redis.from_url(REDIS_URL).flushdb()
    any_app.config.update(REDIS_URL=REDIS_URL, **nominatim_config(nominatim))
    return any_app


def start_worker(app: Flask, fake: FakeNominatim, *options: str) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        PLANNER_DATABASE_URL=app.config["DATABASE_URL"],
        PLANNER_REDIS_URL=REDIS_URL,
        PLANNER_DEBUG="1",
        PLANNER_INSTANCE_PATH=app.instance_path,
        PLANNER_GEOCODER="nominatim",
        PLANNER_NOMINATIM_URL=fake.url,
        PLANNER_USER_AGENT=UA,
    )
    command = [sys.executable, "worker.py", "--burst", *options, "geocode"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(worker: subprocess.Popen[str]) -> str:
    _, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 0, stderr
    return stderr


@pytest.mark.redis
def test_geocode_jobs_run_on_a_real_worker(redis_geo_app: Flask, nominatim: FakeNominatim) -> None:
    session = db.session()
    user = user_with(session, "a@example.org", home_location="Spokane, WA")
    trip = trip_to(session, user, "Lisbon")
    add_contacts(session, user, ["Lisbon", "Porto", "Lisbon"])
    jobs = [
        enqueue_geocode("user", user.id),
        enqueue_geocode("trip", trip.id),
        enqueue_geocode("contacts", user.id),
    ]
    assert [job.origin for job in jobs] == ["geocode"] * 3
    finish(start_worker(redis_geo_app, nominatim))
    for job in jobs:
        job.refresh()
    assert [job.get_status() for job in jobs] == ["finished"] * 3
    assert jobs[2].return_value() == {"owner_id": user.id, "looked_up": 3, "found": 3}
    session.expire_all()
    assert session.get(User, user.id).timezone == "America/Los_Angeles"
    assert session.get(Trip, trip.id).timezone == "Europe/Lisbon"
    assert sorted(nominatim.queries()) == ["Lisbon", "Porto", "Spokane, WA"]


@pytest.mark.redis
def test_a_failed_job_is_retried_by_the_scheduler(
    redis_geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    trip = trip_to(session, user_with(session, "a@example.org"), "Lisbon")
    nominatim.failing["*"] = 500
    job = enqueue_geocode("trip", trip.id)
    stderr = finish(start_worker(redis_geo_app, nominatim))
    assert "GeoError" in stderr and "Non-successful status code 500" in stderr
    job.refresh()
    assert job.get_status() == "scheduled" and job.retries_left == 2
    session.expire_all()
    assert session.get(Trip, trip.id).geocoded_at is None
    assert session.scalar(select(func.count()).select_from(GeoCache)) == 0
    nominatim.failing.clear()
    geocode_queue = queue("geocode")
    assert geocode_queue is not None
    due = datetime.now(UTC) - timedelta(seconds=1)  # as if the retry interval had passed
    geocode_queue.scheduled_job_registry.schedule(job, due)
    finish(start_worker(redis_geo_app, nominatim, "--with-scheduler"))  # the retry is due
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    session.expire_all()
    assert session.get(Trip, trip.id).timezone == "Europe/Lisbon"
    assert nominatim.queries() == ["Lisbon", "Lisbon"]


@pytest.mark.redis
def test_two_workers_share_one_request_per_second(
    redis_geo_app: Flask, nominatim: FakeNominatim
) -> None:
    session = db.session()
    user = user_with(session, "a@example.org")
    cities = ["Lisbon", "Porto", "Berlin", "Madrid", "Paris", "Rome"]
    jobs = [enqueue_geocode("trip", trip_to(session, user, city).id) for city in cities]
    nominatim.delay = 0.3  # each answer takes a while, as a distant server's would
    workers = [start_worker(redis_geo_app, nominatim) for _ in range(2)]
    for worker in workers:
        finish(worker)
    for job in jobs:
        job.refresh()
    assert [job.get_status() for job in jobs] == ["finished"] * len(cities)
    assert len({job.worker_name for job in jobs}) == 2  # both workers took jobs
    arrivals = sorted(seen.at for seen in nominatim.seen)
    assert len(arrivals) == len(cities)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 1.0 - 0.05, gaps
