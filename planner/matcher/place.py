"""Where events are for the user: distance from home, or from the trip city during a trip.

In person beats hybrid, hybrid beats online; online counts only when the profile welcomes it.
Inside the radius nearer is a little better; outside it the score falls off quickly, and past
`FAR` radii the event is out of reach.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from planner.matcher.data import Event, Profile, Trip
from planner.matcher.index import ATTENDANCE, EventIndex

EARTH_KM = 6371.0088
FAR = 3.0  # radii: beyond, an in-person event is out of reach
ONLINE = 0.4  # an online event, when welcome
HYBRID = 0.9  # attending a hybrid event in person
UNKNOWN = 0.55  # an in-person event whose venue is not located (or no home given)


def distances_km(places: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    """Great-circle distances from each (lat, lon) row of `places` to `point`."""
    lat1, lon1 = np.radians(places[:, 0]), np.radians(places[:, 1])
    lat2, lon2 = math.radians(point[0]), math.radians(point[1])
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * math.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def closeness(km: np.ndarray, radius: float) -> np.ndarray:
    """1 at the door, 0.75 at the radius, then falling fast; 0 beyond `FAR` radii."""
    ratio = km / max(radius, 1e-6)
    inside = 1.0 - 0.25 * ratio
    outside = 0.75 * np.exp(-1.5 * (ratio - 1.0))
    return np.where(ratio <= 1.0, inside, np.where(ratio <= FAR, outside, 0.0))


@dataclass(frozen=True)
class Whereabouts:
    """Where the user is on a day: at home, or on a trip."""

    lat: float | None
    lon: float | None
    timezone: str
    trip: Trip | None = None


def whereabouts(profile: Profile, trips: tuple[Trip, ...], day: date) -> Whereabouts:
    for trip in trips:
        if trip.starts_on <= day <= trip.ends_on:
            return Whereabouts(trip.lat, trip.lon, trip.timezone or profile.timezone, trip)
    return Whereabouts(profile.home_lat, profile.home_lon, profile.timezone)


def local_day(event: Event, fallback: str) -> date:
    """The day the event starts, where it happens."""
    return event.start.astimezone(zone(event.timezone or fallback)).date()


@functools.lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def reach_bounds(
    index: EventIndex, rows: np.ndarray, profile: Profile, trips: tuple[Trip, ...]
) -> np.ndarray:
    """For each event row, the largest `reach(...).factor` it can have, wherever the user is
    that day (at home or on any trip): one vectorized pass, for ordering candidates."""
    best = np.zeros(len(rows))
    spots = [(profile.home_lat, profile.home_lon), *((t.lat, t.lon) for t in trips)]
    for spot in spots:
        best = np.maximum(best, _in_person(index, rows, profile, spot))
    unknown = np.isnan(index.lat[rows]) | any(None in spot for spot in spots)
    return _by_attendance(index, rows, profile, best, unknown)


def day_reach_bounds(
    index: EventIndex, rows: np.ndarray, profile: Profile, trips: tuple[Trip, ...]
) -> np.ndarray:
    """As `reach_bounds`, but a trip counts only for the events starting within a day of it
    (the day an event starts where it happens is its UTC day, give or take one): tighter, for
    ordering candidates."""
    best = _in_person(index, rows, profile, (profile.home_lat, profile.home_lon))
    unknown = np.isnan(index.lat[rows]) | (profile.home_lat is None or profile.home_lon is None)
    days = np.floor(index.start[rows] / 86400)
    for trip in trips:
        first = (trip.starts_on - date(1970, 1, 1)).days - 1
        last = (trip.ends_on - date(1970, 1, 1)).days + 1
        near = np.flatnonzero((days >= first) & (days <= last))
        if len(near):
            spot = _in_person(index, rows[near], profile, (trip.lat, trip.lon))
            best[near] = np.maximum(best[near], spot)
            unknown[near] |= trip.lat is None or trip.lon is None
    return _by_attendance(index, rows, profile, best, unknown)


def _in_person(
    index: EventIndex, rows: np.ndarray, profile: Profile, spot: tuple[float | None, float | None]
) -> np.ndarray:
    """The place factor of each row attended in person from `spot`."""
    if spot[0] is None or spot[1] is None:
        return np.full(len(rows), UNKNOWN)
    lat, lon = index.lat[rows], index.lon[rows]
    found = np.where(np.isnan(lat), UNKNOWN, 0.0)
    # a venue more than FAR radii north or south is more than FAR radii away: 0, unmeasured
    band = FAR * max(profile.radius_km, 1e-6) / EARTH_KM * (180 / math.pi) * (1 + 1e-6)
    close = np.flatnonzero(np.abs(lat - spot[0]) <= band)
    places = np.column_stack((lat[close], lon[close]))
    found[close] = closeness(distances_km(places, (spot[0], spot[1])), profile.radius_km)
    return found


def _by_attendance(
    index: EventIndex, rows: np.ndarray, profile: Profile, best: np.ndarray, unknown: np.ndarray
) -> np.ndarray:
    """The bound by kind of attendance. A hybrid event whose distance may be unknown can
    reach `UNKNOWN`, as `reach` gives it whatever the attendance."""
    online = ONLINE if profile.online_ok else 0.0
    kind = index.attendance[rows]
    hybrid = np.maximum(best * HYBRID, online)
    hybrid = np.where(unknown, np.maximum(hybrid, UNKNOWN), hybrid)
    in_person = np.where(kind == ATTENDANCE["hybrid"], hybrid, best)
    return np.where(kind == ATTENDANCE["online"], online, in_person)


@dataclass(frozen=True)
class Reach:
    """How reachable an event is (`factor`, 0 = out of reach) and the words for it."""

    factor: float
    text: str
    km: float | None = None


def reach(event: Event, at: Whereabouts, profile: Profile) -> Reach:
    return reaches([event], [at], profile)[0]


def reaches(events: Sequence[Event], ats: Sequence[Whereabouts], profile: Profile) -> list[Reach]:
    """`reach` of each event from where the user is that day, the distances and closeness
    computed together, per place the user is at."""
    km: list[float | None] = [None] * len(events)
    near = np.zeros(len(events))
    groups: dict[tuple[float, float], list[int]] = {}
    for n, (event, at) in enumerate(zip(events, ats, strict=True)):
        if event.attendance != "online" and None not in (event.lat, event.lon, at.lat, at.lon):
            groups.setdefault((at.lat, at.lon), []).append(n)  # type: ignore[arg-type]
    for point, members in groups.items():
        here = np.array([[events[n].lat, events[n].lon] for n in members], dtype=np.float64)
        found = distances_km(here, point)
        near[members] = closeness(found, profile.radius_km)
        for n, value in zip(members, found.tolist(), strict=True):
            km[n] = value
    return [_reach(*found, profile) for found in zip(events, ats, km, near.tolist(), strict=True)]


def _reach(
    event: Event, at: Whereabouts, km: float | None, factor: float, profile: Profile
) -> Reach:
    online = ONLINE if profile.online_ok else 0.0
    if event.attendance == "online":
        return Reach(online, "online" if online else "online, and you asked for in person only")
    where = _from_where(at)
    if km is None:
        venue = event.venue or event.address or "venue not given"
        return Reach(UNKNOWN, f"{venue}: distance from {where} not known")
    if event.attendance == "hybrid":
        factor = max(factor * HYBRID, online)
    text = f"{_km(km)} from {where}" + (f" ({event.venue})" if event.venue else "")
    if km > profile.radius_km:
        text += f", beyond your {_km(profile.radius_km)}"
    if event.attendance == "hybrid":
        text += ", or online" if online else ""
    return Reach(factor, text, km)


def _from_where(at: Whereabouts) -> str:
    return f"where you stay in {at.trip.city}" if at.trip else "home"


def _km(km: float) -> str:
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def trip_text(trip: Trip) -> str:
    span = f"{trip.starts_on:%-d %b}–{trip.ends_on:%-d %b}"
    return f"during your trip to {trip.city} ({span})"
