"""When events are for the user: inside their free time, not clashing with what they go to.

Free time is a set of weekly slots "<day>:<part>" read in the user's zone (the trip's during a
trip): morning 06-12, afternoon 12-17, evening 17-23; a start between 23:00 and 06:00 is in no
part. An all-day event fits when any of its days has a free slot.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from planner.matcher.data import Event, Profile, Trip
from planner.matcher.index import EventIndex
from planner.matcher.place import zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS = (("morning", 6, 12), ("afternoon", 12, 17), ("evening", 17, 23))
OUTSIDE = 0.5  # an event outside the user's free time
CLASH = 0.25  # an event overlapping one the user is going to
SOON_DAYS, LATE_DAYS, LATE = 42, 180, 0.7  # far-off events weigh up to 30% less
DEFAULT_HOURS = 2  # the length of an event without an end


def part_of_day(moment: datetime) -> str | None:
    for part, start, end in PARTS:
        if start <= moment.hour < end:
            return part
    return None


def free_at(slots: Collection[str], local: datetime) -> bool:
    """Whether `local` (wall-clock time in the user's zone) is in one of the slots."""
    part = part_of_day(local)
    return part is not None and f"{DAYS[local.weekday()]}:{part}" in slots


def event_days(event: Event, timezone: str) -> list[date]:
    """The local days an event covers (an all-day event's end is exclusive)."""
    tz = zone(event.timezone or timezone)
    first = event.start.astimezone(tz).date()
    if not event.all_day or event.end is None:
        return [first]
    last = (event.end.astimezone(tz) - timedelta(seconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)] or [first]


@dataclass(frozen=True)
class Fit:
    factor: float
    text: str
    free: bool


def fit(event: Event, slots: tuple[str, ...], timezone: str) -> Fit:
    """How the event's time fits the user's free time, in words."""
    if event.all_day:
        days = event_days(event, timezone)
        free = [d for d in days if any(s.startswith(DAYS[d.weekday()] + ":") for s in slots)]
        when = DAY_NAMES[days[0].weekday()] + (
            f" to {DAY_NAMES[days[-1].weekday()]}" if len(days) > 1 else ""
        )
        if free:
            return Fit(
                1.0, f"{when}, all day: you have free time on {DAY_NAMES[free[0].weekday()]}", True
            )
        return Fit(OUTSIDE, f"{when}, all day: outside your free time", False)
    local = event.start.astimezone(zone(timezone))
    when = f"{DAY_NAMES[local.weekday()]} {local.hour:02d}:{local.minute:02d}"  # (no strftime)
    if free_at(slots, local):
        return Fit(1.0, f"{when}, in your free time", True)
    return Fit(OUTSIDE, f"{when}, outside your free time", False)


def span(event: Event) -> tuple[datetime, datetime]:
    end = event.end if event.end and event.end > event.start else None
    return event.start, end or event.start + timedelta(hours=DEFAULT_HOURS)


class Busy:
    """The events the user is going to, by start, to find what overlaps an event (all-day ones
    only other all-day) without reading them all: those starting before it ends and no earlier
    than the longest of them before it starts."""

    def __init__(self, going: Iterable[Event]) -> None:
        self.spans: dict[bool, list[tuple[datetime, datetime, int, Event]]] = {}
        for n, other in enumerate(going):
            self.spans.setdefault(other.all_day, []).append((*span(other), n, other))
        self.starts: dict[bool, list[datetime]] = {}
        self.longest: dict[bool, timedelta] = {}
        for kind, spans in self.spans.items():
            spans.sort(key=lambda found: found[0])
            self.starts[kind] = [found[0] for found in spans]
            self.longest[kind] = max(end - start for start, end, _, _ in spans)

    def clash(self, event: Event) -> Event | None:
        """The first (in the order given) event that overlaps `event`, not itself."""
        spans = self.spans.get(event.all_day)
        if not spans:
            return None
        start, end = span(event)
        starts = self.starts[event.all_day]
        low = bisect.bisect_left(starts, start - self.longest[event.all_day])
        high = bisect.bisect_left(starts, end)
        overlapping = [
            (n, other)
            for _, other_end, n, other in spans[low:high]
            if start < other_end and other.id != event.id
        ]
        return min(overlapping, key=lambda found: found[0])[1] if overlapping else None


def clash_text(other: Event, timezone: str) -> str:
    local = other.start.astimezone(zone(timezone))
    return f'clashes with "{other.title}" ({local:%a %H:%M}), which you are going to'


def horizon(event: Event, now: datetime) -> float:
    """1 for the next six weeks, then slowly less, down to `LATE` at six months."""
    days = (event.start - now).total_seconds() / 86400
    if days <= SOON_DAYS:
        return 1.0
    return max(LATE, 1.0 - (1.0 - LATE) * (days - SOON_DAYS) / (LATE_DAYS - SOON_DAYS))


DAY = 86400


def horizon_bounds(index: EventIndex, rows: np.ndarray, now: datetime) -> np.ndarray:
    """`horizon` of each event row, vectorized, a hair above it (float rounding aside, never
    under): for ordering candidates."""
    days = (index.start[rows] - now.timestamp()) / DAY
    later = np.maximum(LATE, 1.0 - (1.0 - LATE) * (days - SOON_DAYS) / (LATE_DAYS - SOON_DAYS))
    return np.where(days <= SOON_DAYS, 1.0, later) * (1.0 + 1e-9)


def fit_bounds(
    index: EventIndex, rows: np.ndarray, profile: Profile, trips: tuple[Trip, ...]
) -> np.ndarray:
    """For each event row, the largest `fit(...).factor` it can have: `OUTSIDE` when it surely
    starts outside the user's free time at home, else 1 (all-day events, days a trip may
    cover, days the clock changes). One vectorized pass, for ordering candidates."""
    starts = index.start[rows]
    days = np.floor(starts / DAY).astype(np.int64)
    unique_days, where = _distinct(days)
    tz = zone(profile.timezone)
    offsets, steady = _offsets(unique_days, tz)
    local = starts + offsets[where]
    weekday = (np.floor(local / DAY).astype(np.int64) + 3) % 7  # 1 Jan 1970 was a Thursday
    hour = (local % DAY) // 3600
    free = np.zeros((7, 24), dtype=bool)
    for slot in profile.availability:
        day, _, part = slot.partition(":")
        for name, first, last in PARTS:
            if name == part and day in DAYS:
                free[DAYS.index(day), first:last] = True
    sure = steady[where] & ~index.all_day[rows] & ~_maybe_away(unique_days, trips)[where]
    return np.where(sure & ~free[weekday, hour.astype(np.int64)], OUTSIDE, 1.0)


def _distinct(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(days, return_inverse=True)` for day numbers, which span a few hundred values:
    counted in place of sorted."""
    if not len(days):
        return days, np.zeros(0, dtype=np.int64)
    first = int(days.min())
    seen = np.zeros(int(days.max()) - first + 1, dtype=bool)
    seen[days - first] = True
    return np.flatnonzero(seen) + first, (np.cumsum(seen) - 1)[days - first]


def _offsets(days: np.ndarray, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """The zone's UTC offset (seconds) on each day, and whether it holds all day long."""
    found = [_day_offset(day, tz) for day in days.tolist()]
    offsets = np.array([offset for offset, _ in found], dtype=np.float64)
    return offsets, np.array([steady for _, steady in found], dtype=bool)


@functools.lru_cache(maxsize=65_536)
def _day_offset(day: int, tz: ZoneInfo) -> tuple[float, bool]:
    morning = datetime.fromtimestamp(day * DAY, UTC).astimezone(tz)
    night = datetime.fromtimestamp((day + 1) * DAY - 1, UTC).astimezone(tz)
    first, last = morning.utcoffset(), night.utcoffset()
    return (first.total_seconds() if first else 0.0), first == last


def _maybe_away(days: np.ndarray, trips: tuple[Trip, ...]) -> np.ndarray:
    away = np.zeros(len(days), dtype=bool)
    for trip in trips:
        first = (trip.starts_on - date(1970, 1, 1)).days - 1
        last = (trip.ends_on - date(1970, 1, 1)).days + 1
        away |= (days >= first) & (days <= last)
    return away
