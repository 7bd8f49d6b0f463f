"""Places -> coordinates and time zones, in two parts.

- ``zone_events`` (used by ingest): an event whose source gives wall-clock times (or days) without
  a zone gets the zone of the city in its address, from the offline gazetteer. Nothing is guessed
  from a venue name that names no city, and this part never touches the network.
- The geocoding jobs (``geocode_user``, ``geocode_trip``, ``geocode_contacts``,
  ``geocode_events``, queued with ``enqueue_geocode``): the configured geocoder (the gazetteer,
  or Nominatim), every answer cached in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import db
from planner.changes import touch
from planner.geo import NOMINATIM_INTERVAL, Gazetteer, GeoError, NominatimGeocoder, Place, fold
from planner.models import Contact, Event, GeoCache, Trip, User
from planner.normalize import EventFields, fingerprint
from planner.politeness import shared_redis_limiter

EXTENSION = "planner.geocode"


def zone_events(events: Iterable[EventFields], gazetteer: Gazetteer | None = None) -> None:
    """Give floating and all-day events without a zone the zone of their city, in place."""
    found: dict[str, Place | None] = {}
    for event in events:
        text = _place_text(event)
        if text is None:
            continue
        gazetteer = gazetteer or Gazetteer()
        if text not in found:
            found[text] = gazetteer.locate(text)
        place = found[text]
        if place is not None and place.timezone:
            _settle(event, place.timezone)


def _place_text(event: EventFields) -> str | None:
    if event.timezone or not (event.floating or event.all_day) or event.attendance == "online":
        return None
    return event.address or event.venue


def _settle(event: EventFields, zone_name: str) -> None:
    """Floating times become instants in the zone; all-day events only learn their zone."""
    event.timezone = zone_name
    if event.floating:
        zone = ZoneInfo(zone_name)
        event.start = event.start.replace(tzinfo=zone).astimezone(UTC)
        if event.end is not None:
            event.end = event.end.replace(tzinfo=zone).astimezone(UTC)
        event.floating = False
    event.fingerprint = fingerprint(event)


# --- geocoding jobs: places typed by users, contacts' cities and event venues -> coordinates ---
# Run by a job (RQ's "geocode" queue, or the in-process job thread), never inside a web request.
# Every answer, misses included, is cached in the database per provider, so a place is asked for
# once across all users and workers; a failing service (GeoError) caches nothing, leaves the row
# pending (geocoded_at None) and fails the job, to be retried. No write transaction is held open
# while the service is asked (SQLite has one writer), and with a remote service each new answer
# is committed at once, so that other workers find it.

Geocoder = Gazetteer | NominatimGeocoder
KINDS = ("user", "trip", "contacts", "events")
BATCH = 200  # rows committed at a time by the bulk jobs


def app_geocoder() -> Geocoder:
    """The configured geocoder, one per app (the gazetteer's index loads once)."""
    state = current_app.extensions.setdefault(EXTENSION, {})
    if "geocoder" not in state:
        config = current_app.config
        if config["GEOCODER"] == "nominatim":
            parts = urlsplit(config["NOMINATIM_URL"])
            redis_url = config.get("REDIS_URL")
            limiter = shared_redis_limiter(redis_url, NOMINATIM_INTERVAL) if redis_url else None
            domain = parts.netloc + parts.path.rstrip("/")  # a Nominatim under a path prefix
            state["geocoder"] = NominatimGeocoder(
                config["USER_AGENT"], domain=domain, scheme=parts.scheme, limiter=limiter
            )
        else:
            state["geocoder"] = Gazetteer()
    geocoder: Geocoder = state["geocoder"]
    return geocoder


def provider_of(geocoder: Geocoder) -> str:
    return "nominatim" if isinstance(geocoder, NominatimGeocoder) else "gazetteer"


def cached_place(session: Session, text: str) -> Place | None:
    """What the configured geocoder answered for `text`, from the cache only (never a lookup:
    pages show where a place landed with this)."""
    provider = "nominatim" if current_app.config["GEOCODER"] == "nominatim" else "gazetteer"
    row = session.get(GeoCache, (provider, cache_key(text)))
    return _cached(row, text)


def _cached(row: GeoCache | None, text: str) -> Place | None:
    if row is None or not row.found or row.lat is None or row.lon is None:
        return None
    return Place(row.name or text, row.lat, row.lon, row.timezone, row.country, None, row.provider)


def cache_key(text: str) -> str:
    return fold(" ".join(text.split()))[:300]


def locate(
    session: Session, text: str, now: datetime, geocoder: Geocoder | None = None
) -> Place | None:
    """The place `text` names, from the cache or else the geocoder (then cached, miss or hit)."""
    return _lookup(session, text, now, geocoder or app_geocoder())[0]


def _lookup(
    session: Session, text: str, now: datetime, geocoder: Geocoder
) -> tuple[Place | None, bool]:
    """`locate`, and whether the geocoder was asked (the cache did not know `text`)."""
    provider, key = provider_of(geocoder), cache_key(text)
    if not key:
        return None, False
    with session.no_autoflush:  # no write lock held while the service is asked (SQLite)
        row = session.get(GeoCache, (provider, key))
    if row is not None:
        return _cached(row, text), False
    place = geocoder.locate(" ".join(text.split()))  # GeoError: nothing cached, job fails
    row = GeoCache(
        provider=provider,
        query=key,
        found=place is not None,
        name=place.name[:300] if place else None,
        lat=place.lat if place else None,
        lon=place.lon if place else None,
        timezone=place.timezone if place else None,
        country=place.country if place else None,
        looked_up_at=now,
    )
    try:
        with session.begin_nested():  # another worker may have cached it meanwhile
            session.add(row)
    except IntegrityError:
        row = session.get(GeoCache, (provider, key), populate_existing=True)
        if row is None:
            raise
    return _cached(row, text), True


def enqueue_geocode(kind: str, row_id: int) -> Any:
    """Queue the geocoding of a user's home (`user`), a trip, or an owner's `contacts` or
    `events` (row_id: the owner). On RQ a failing job (the service is down) is retried later
    (planner.jobs.KINDS says when) by a worker running the scheduler; without Redis it runs on
    the in-process job thread, and the rows it could not locate stay pending."""
    if kind not in KINDS:
        raise ValueError(f"unknown geocoding kind {kind!r}")
    from planner.jobs import enqueue

    func, job_id = GEOCODE_JOBS[kind], f"geocode-{kind}-{row_id}"
    return enqueue(func, row_id, job_id=job_id, queue_name="geocode", background=True, unique=False)


def geocode_user(user_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: the user's home place -> coordinates, and the time zone unless the user chose one.
    A home changed meanwhile is left to the job its change queued."""
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        return {"user_id": user_id, "found": False, "message": "no such user"}
    moment, home = _moment(now), user.home_location
    place = locate(session, home, moment) if home else None
    values: dict[str, Any] = {"home_lat": None, "home_lon": None, "home_geocoded_at": moment}
    if place is not None:
        values.update(home_lat=place.lat, home_lon=place.lon)
        if place.timezone and user.timezone_auto:
            values["timezone"] = place.timezone
    same = User.home_location.is_(None) if home is None else User.home_location == home
    changed: Any = session.execute(update(User).where(User.id == user_id, same).values(values))
    touch(session, user_id, events=False)
    session.commit()
    session.expire(user)  # callers sharing the session (commands) read what was written
    if not changed.rowcount:
        return {"user_id": user_id, "found": False, "message": "the home changed meanwhile"}
    return {"user_id": user_id, "found": place is not None}


def geocode_trip(trip_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: a trip's city -> coordinates and time zone. A city changed meanwhile is left to the
    job its change queued (two workers may run the two jobs in either order)."""
    session = db.session()
    trip = session.get(Trip, trip_id)
    if trip is None:
        return {"trip_id": trip_id, "found": False, "message": "no such trip"}
    moment, city = _moment(now), trip.city
    place = locate(session, city, moment)
    values = {
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "timezone": place.timezone if place else None,
        "geocoded_at": moment,
    }
    changed: Any = session.execute(
        update(Trip).where(Trip.id == trip_id, Trip.city == city).values(values)
    )
    touch(session, trip.owner_id, events=False)
    session.commit()
    session.expire(trip)  # callers sharing the session (commands) read what was written
    if not changed.rowcount:
        return {"trip_id": trip_id, "found": False, "message": "the city changed meanwhile"}
    return {"trip_id": trip_id, "found": place is not None}


def geocode_contacts(owner_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: the cities of an owner's contacts not looked up yet."""
    query = select(Contact).where(
        Contact.owner_id == owner_id, Contact.geocoded_at.is_(None), Contact.city.is_not(None)
    )

    def place_contact(contact: Contact, place: Place | None) -> None:
        contact.lat, contact.lon = (place.lat, place.lon) if place else (None, None)

    done, found = _geocode_rows(query, lambda c: c.city or "", place_contact, _moment(now))
    _places_changed(owner_id, done)
    return {"owner_id": owner_id, "looked_up": done, "found": found}


def geocode_events(owner_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: coordinates for an owner's in-person events whose source gave an address or venue
    but no coordinates (city level with the gazetteer)."""
    query = select(Event).where(
        Event.owner_id == owner_id,
        Event.geocoded_at.is_(None),
        Event.lat.is_(None),
        Event.attendance != "online",
        or_(Event.address.is_not(None), Event.venue.is_not(None)),
    )

    def place_event(event: Event, place: Place | None) -> None:
        if place is not None:
            event.lat, event.lon = place.lat, place.lon

    def venue_text(event: Event) -> str:
        return event.address or event.venue or ""

    done, found = _geocode_rows(query, venue_text, place_event, _moment(now))
    _places_changed(owner_id, done)
    return {"owner_id": owner_id, "looked_up": done, "found": found}


def _places_changed(owner_id: int, placed: int) -> None:
    """Who lives near which venue has changed: work out again where contacts may be met."""
    if placed:
        from planner.recommend import enqueue_evidence

        enqueue_evidence(owner_id)


GEOCODE_JOBS = {
    "user": geocode_user,
    "trip": geocode_trip,
    "contacts": geocode_contacts,
    "events": geocode_events,
}


def _geocode_rows(
    query: Any,
    text_of: Callable[[Any], str],
    apply: Callable[[Any, Place | None], None],
    now: datetime,
) -> tuple[int, int]:
    """Look up each pending row of `query` and mark it looked up; (rows done, places found).

    With a remote service, each new answer is committed at once (so other workers find it in
    the cache), and a failure keeps the rows done so far before it fails the job."""
    session, geocoder = db.session(), app_geocoder()
    remote = isinstance(geocoder, NominatimGeocoder)
    found = done = 0
    for batch in _batches(session, query):
        for row in batch:
            try:
                place, asked = _lookup(session, text_of(row), now, geocoder)
            except GeoError:
                session.commit()
                raise
            apply(row, place)
            row.geocoded_at = now
            found, done = found + (place is not None), done + 1
            if asked and remote:
                session.commit()
        session.commit()
    return done, found


def _batches(session: Session, query: Any) -> Iterator[list[Any]]:
    """Rows of `query` BATCH at a time; each batch is committed by the caller, so a query again
    (for rows still not looked up) finds the rest."""
    while True:
        batch = list(session.scalars(query.order_by(text("id")).limit(BATCH)))
        if not batch:
            return
        yield batch
        if len(batch) < BATCH:
            return


def _moment(now: str | None) -> datetime:
    from planner.jobs import parse_now

    return parse_now(now)
