"""The place tells the time zone: an event whose source gives wall-clock times (or days) without a
zone gets the zone of the city in its address, from the offline gazetteer. Nothing is guessed from
a venue name that names no city, and nothing here touches the network."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import db
from planner.geo import NOMINATIM_INTERVAL, Gazetteer, NominatimGeocoder, Place, fold
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
# once across all users and workers; a failing service (GeoError) caches nothing and the job
# fails, to be retried.

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
            state["geocoder"] = NominatimGeocoder(
                config["USER_AGENT"], domain=parts.netloc, scheme=parts.scheme, limiter=limiter
            )
        else:
            state["geocoder"] = Gazetteer()
    geocoder: Geocoder = state["geocoder"]
    return geocoder


def provider_of(geocoder: Geocoder) -> str:
    return "nominatim" if isinstance(geocoder, NominatimGeocoder) else "gazetteer"


def cache_key(text: str) -> str:
    return fold(" ".join(text.split()))[:300]


def locate(
    session: Session, text: str, now: datetime, geocoder: Geocoder | None = None
) -> Place | None:
    """The place `text` names, from the cache or else the geocoder (then cached, miss or hit)."""
    geocoder = geocoder or app_geocoder()
    provider, key = provider_of(geocoder), cache_key(text)
    if not key:
        return None
    row = session.get(GeoCache, (provider, key))
    if row is None:
        place = geocoder.locate(text)  # GeoError: nothing cached, the job fails and is retried
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
    if not row.found or row.lat is None or row.lon is None:
        return None
    return Place(row.name or text, row.lat, row.lon, row.timezone, row.country, None, provider)


def enqueue_geocode(kind: str, row_id: int) -> Any:
    """Queue the geocoding of a user's home (`user`), a trip, or an owner's `contacts` or
    `events` (row_id: the owner). Without Redis it runs on the in-process job thread."""
    if kind not in KINDS:
        raise ValueError(f"unknown geocoding kind {kind!r}")
    from planner.jobs import enqueue

    return enqueue(
        GEOCODE_JOBS[kind],
        row_id,
        job_id=f"geocode-{kind}-{row_id}",
        queue_name="geocode",
        background=True,
    )


def geocode_user(user_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: the user's home place -> coordinates, and the time zone unless the user chose one."""
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        return {"user_id": user_id, "found": False, "message": "no such user"}
    moment = _moment(now)
    place = locate(session, user.home_location, moment) if user.home_location else None
    user.home_lat, user.home_lon = (place.lat, place.lon) if place else (None, None)
    if place is not None and place.timezone and user.timezone_auto:
        user.timezone = place.timezone
    user.home_geocoded_at = moment
    session.commit()
    return {"user_id": user_id, "found": place is not None}


def geocode_trip(trip_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: a trip's city -> coordinates and time zone."""
    session = db.session()
    trip = session.get(Trip, trip_id)
    if trip is None:
        return {"trip_id": trip_id, "found": False, "message": "no such trip"}
    moment = _moment(now)
    place = locate(session, trip.city, moment)
    trip.lat, trip.lon = (place.lat, place.lon) if place else (None, None)
    trip.timezone = place.timezone if place else None
    trip.geocoded_at = moment
    session.commit()
    return {"trip_id": trip_id, "found": place is not None}


def geocode_contacts(owner_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: the cities of an owner's contacts not looked up yet."""
    session = db.session()
    moment = _moment(now)
    query = select(Contact).where(
        Contact.owner_id == owner_id, Contact.geocoded_at.is_(None), Contact.city.is_not(None)
    )
    found = done = 0
    for batch in _batches(session, query):
        for contact in batch:
            place = locate(session, contact.city or "", moment)
            contact.lat, contact.lon = (place.lat, place.lon) if place else (None, None)
            contact.geocoded_at = moment
            found += place is not None
            done += 1
        session.commit()
    return {"owner_id": owner_id, "looked_up": done, "found": found}


def geocode_events(owner_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: coordinates for an owner's in-person events whose source gave an address or venue
    but no coordinates (city level with the gazetteer)."""
    session = db.session()
    moment = _moment(now)
    query = select(Event).where(
        Event.owner_id == owner_id,
        Event.geocoded_at.is_(None),
        Event.lat.is_(None),
        Event.attendance != "online",
        or_(Event.address.is_not(None), Event.venue.is_not(None)),
    )
    found = done = 0
    for batch in _batches(session, query):
        for event in batch:
            place = locate(session, event.address or event.venue or "", moment)
            if place is not None:
                event.lat, event.lon = place.lat, place.lon
                found += 1
            event.geocoded_at = moment
            done += 1
        session.commit()
    return {"owner_id": owner_id, "looked_up": done, "found": found}


GEOCODE_JOBS = {
    "user": geocode_user,
    "trip": geocode_trip,
    "contacts": geocode_contacts,
    "events": geocode_events,
}


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
