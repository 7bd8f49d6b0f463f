"""Trips: away from home from one day to another (both inclusive); there, "near" means near the
trip's city.

    trip = add_trip(session, user, "Lisbon", date(2025, 5, 1), date(2025, 5, 4), now)
    where_on(user, trips_of(session, user), date(2025, 5, 2))  # -> Whereabouts near Lisbon

The trip's city is geocoded by a job (``planner.geocode.geocode_trip``), never here: callers
enqueue it after committing. ``where_on`` is pure: it takes the user, the trips and the day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.geo import Place
from planner.models import Trip, User

MAX_CITY = 300
MAX_DAYS = 366  # a trip lasts at most about a year (a leap year's worth of days)


class TripError(Exception):
    """A trip that cannot be saved; the message is for the user. ``field`` names the input at
    fault (``city``, ``starts_on`` or ``ends_on``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Whereabouts:
    """Where the user is on a day, for the matcher: near (lat, lon) within ``radius_km``.

    ``lat``/``lon`` are None when the place is not known: no home given, or a trip whose city is
    not located (yet, or at all). During such a trip the user is still away: ``label`` names the
    trip city and nothing is near by distance; home is not a fallback.
    """

    lat: float | None
    lon: float | None
    label: str | None
    radius_km: int
    trip: Trip | None
    timezone: str

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


def today_of(user: User, now: datetime) -> date:
    """The date it is at ``now`` where the user lives (their time zone)."""
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def check_trip(city: str, starts_on: date, ends_on: date, today: date, new: bool = True) -> str:
    """The city as stored (spaces collapsed), or TripError. A ``new`` trip (or one whose end
    moves) must not be over already."""
    clean = " ".join(city.split())
    if not clean:
        raise TripError("Name the city you travel to.", "city")
    if len(clean) > MAX_CITY:
        raise TripError(f"Keep the city to {MAX_CITY} characters or fewer.", "city")
    if ends_on < starts_on:
        raise TripError("The trip ends before it starts.", "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise TripError(f"A trip lasts at most {MAX_DAYS} days.", "ends_on")
    if new and ends_on < today:
        raise TripError("That trip is over already: choose dates from today on.", "ends_on")
    return clean


def add_trip(
    session: Session, user: User, city: str, starts_on: date, ends_on: date, now: datetime
) -> Trip:
    """A new trip of ``user``, not located yet (enqueue ``geocode_trip`` after commit)."""
    clean = check_trip(city, starts_on, ends_on, today_of(user, now))
    trip = Trip(owner_id=user.id, city=clean, starts_on=starts_on, ends_on=ends_on, created_at=now)
    session.add(trip)
    session.flush()
    return trip


def update_trip(
    trip: Trip, user: User, city: str, starts_on: date, ends_on: date, now: datetime
) -> bool:
    """Change a trip; True when its city changed, so that it must be located again (its place is
    forgotten until then). A trip that is over may be corrected as long as its end stays put."""
    moved = ends_on != trip.ends_on
    clean = check_trip(city, starts_on, ends_on, today_of(user, now), new=moved)
    relocate = clean != trip.city
    trip.city, trip.starts_on, trip.ends_on = clean, starts_on, ends_on
    if relocate:
        trip.lat = trip.lon = trip.timezone = trip.geocoded_at = None
    return relocate


def remove_trip(session: Session, trip: Trip) -> None:
    session.delete(trip)


def trips_of(session: Session, user: User) -> list[Trip]:
    """All of the user's trips, the earliest first."""
    query = select(Trip).where(Trip.owner_id == user.id).order_by(Trip.starts_on, Trip.id)
    return list(session.scalars(query))


def trip_of(session: Session, user: User, trip_id: int) -> Trip | None:
    """The user's trip ``trip_id``; None when there is none, or it is someone else's."""
    trip = session.get(Trip, trip_id)
    return trip if trip is not None and trip.owner_id == user.id else None


def upcoming_trips(session: Session, user: User, today: date) -> list[Trip]:
    """The user's trips not over by ``today`` (current ones included), the soonest first."""
    query = (
        select(Trip)
        .where(Trip.owner_id == user.id, Trip.ends_on >= today)
        .order_by(Trip.starts_on, Trip.id)
    )
    return list(session.scalars(query))


def trip_on(trips: Iterable[Trip], day: date) -> Trip | None:
    """The trip the user is on that day: of overlapping trips, the one that started latest (a
    side trip within a longer stay), and of those the one added last."""
    current = [t for t in trips if t.starts_on <= day <= t.ends_on]
    return max(current, key=lambda t: (t.starts_on, t.id or 0), default=None)


def where_on(user: User, trips: Iterable[Trip], day: date) -> Whereabouts:
    """Where "near" is for ``user`` on ``day``: the trip's city during a trip, else home."""
    trip = trip_on(trips, day)
    if trip is None:
        return Whereabouts(
            user.home_lat, user.home_lon, user.home_location, user.radius_km, None, user.timezone
        )
    zone = trip.timezone or user.timezone
    return Whereabouts(trip.lat, trip.lon, trip.city, user.radius_km, trip, zone)


def phase(trip: Trip, today: date) -> str:
    """``current``, ``upcoming`` or ``past``, as of ``today``."""
    if trip.ends_on < today:
        return "past"
    return "upcoming" if trip.starts_on > today else "current"


def days(trip: Trip) -> int:
    """How many days the trip spans, both ends included."""
    return (trip.ends_on - trip.starts_on).days + 1


def span(trip: Trip) -> str:
    """The trip's days for people: "Thu 1 May – Sun 4 May 2025 (4 days)"."""
    first, last = trip.starts_on, trip.ends_on
    end = f"{last:%a} {last.day} {last:%b %Y}"
    if first == last:
        return end
    year = f" {first.year}" if first.year != last.year else ""
    return f"{first:%a} {first.day} {first:%b}{year} – {end} ({days(trip)} days)"


def describe_place(trip: Trip, place: Place | None = None) -> tuple[str, str]:
    """The lookup state of the trip's city (``pending``, ``missing`` or ``found``) and where it
    landed, e.g. "Lisboa, PT · 38.71, -9.14 · Europe/Lisbon"; ``place`` (the geocoder's answer)
    gives the name."""
    if trip.geocoded_at is None:
        return "pending", "looking it up…"
    if trip.lat is None or trip.lon is None:
        return "missing", "not found: try “City, Country”"
    named = ""
    if place is not None:
        named = f"{place.name}, {place.country} · " if place.country else f"{place.name} · "
    zone = f" · {trip.timezone}" if trip.timezone else ""
    return "found", f"{named}{trip.lat:.2f}, {trip.lon:.2f}{zone}"
