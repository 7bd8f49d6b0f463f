"""Where events are for the user: distance from home, or from the trip city during a trip.

In person beats hybrid, hybrid beats online; online counts only when the profile welcomes it.
Inside the radius nearer is a little better; outside it the score falls off quickly, and past
`FAR` radii the event is out of reach.
"""

from __future__ import annotations

import math
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
    lat, lon = index.lat[rows], index.lon[rows]
    known = ~np.isnan(lat)
    spots = np.column_stack((np.where(known, lat, 0.0), np.where(known, lon, 0.0)))
    best = np.zeros(len(rows))
    for spot in [(profile.home_lat, profile.home_lon), *((t.lat, t.lon) for t in trips)]:
        if spot[0] is None or spot[1] is None:
            best = np.maximum(best, UNKNOWN)
            continue
        near = closeness(distances_km(spots, (spot[0], spot[1])), profile.radius_km)
        best = np.maximum(best, np.where(known, near, UNKNOWN))
    online = ONLINE if profile.online_ok else 0.0
    kind = index.attendance[rows]
    hybrid = np.maximum(best * HYBRID, online)
    in_person = np.where(kind == ATTENDANCE["hybrid"], hybrid, best)
    return np.where(kind == ATTENDANCE["online"], online, in_person)


@dataclass(frozen=True)
class Reach:
    """How reachable an event is (`factor`, 0 = out of reach) and the words for it."""

    factor: float
    text: str
    km: float | None = None


def reach(event: Event, at: Whereabouts, profile: Profile) -> Reach:
    online = ONLINE if profile.online_ok else 0.0
    if event.attendance == "online":
        return Reach(online, "online" if online else "online, and you asked for in person only")
    km = _distance(event, at)
    where = _from_where(at)
    if km is None:
        venue = event.venue or event.address or "venue not given"
        return Reach(UNKNOWN, f"{venue}: distance from {where} not known")
    factor = float(closeness(np.array([km]), profile.radius_km)[0])
    if event.attendance == "hybrid":
        factor = max(factor * HYBRID, online)
    text = f"{_km(km)} from {where}" + (f" ({event.venue})" if event.venue else "")
    if km > profile.radius_km:
        text += f", beyond your {_km(profile.radius_km)}"
    if event.attendance == "hybrid":
        text += ", or online" if online else ""
    return Reach(factor, text, km)


def _distance(event: Event, at: Whereabouts) -> float | None:
    if None in (event.lat, event.lon, at.lat, at.lon):
        return None
    here = np.array([[event.lat, event.lon]], dtype=np.float64)
    return float(distances_km(here, (at.lat, at.lon))[0])  # type: ignore[arg-type]


def _from_where(at: Whereabouts) -> str:
    return f"where you stay in {at.trip.city}" if at.trip else "home"


def _km(km: float) -> str:
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def trip_text(trip: Trip) -> str:
    span = f"{trip.starts_on:%-d %b}–{trip.ends_on:%-d %b}"
    return f"during your trip to {trip.city} ({span})"
