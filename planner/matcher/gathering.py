"""Small gatherings to host: contacts near the user who share a goal topic and whom no event
brings together get an evening proposed in the user's free time, a drafted invitation and an
.ics the user can send.

    plan_gatherings(guests, goals, place, days, slots, busy, host)  # -> (gatherings, left over)
    gathering_calendar(gathering, stamp)                            # -> .ics bytes
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from planner.matcher.data import Contact, Goal
from planner.matcher.names import TITLES, key
from planner.matcher.place import zone
from planner.matcher.text import goal_query, surfaces
from planner.matcher.timing import DAY_NAMES, DAYS

MIN_GUESTS, MAX_GUESTS = 2, 6
# the parts of a day a gathering may take, evenings first, with their hours
TIMES = (("evening", time(19), time(21)), ("afternoon", time(15), time(17)))


@dataclass(frozen=True)
class Guest:
    """A contact who may be invited: the goal terms they fit (term -> their words), and how
    much they are worth meeting (the best are invited first)."""

    contact: Contact
    terms: Mapping[str, str]
    worth: float


@dataclass(frozen=True)
class Place:
    """Where a gathering would be: the city's name and time zone."""

    city: str
    timezone: str


@dataclass(frozen=True)
class Gathering:
    key: str  # stable for the same city, topic and guests, whatever day is proposed
    city: str
    topic: str  # as the goal words it
    goal: str  # the goal's text
    contact_ids: tuple[int, ...]
    names: tuple[str, ...]
    start: datetime  # aware, in `timezone`
    end: datetime
    timezone: str
    free: bool  # inside the user's free time
    invitation: str

    @property
    def uid(self) -> str:
        return f"gathering-{self.key}@planner"

    @property
    def summary(self) -> str:
        return f"{self.topic} evening in {self.city}"


def plan_gatherings(
    guests: Sequence[Guest],
    goals: Sequence[Goal],
    place: Place,
    days: Sequence[date],
    slots: Sequence[str],
    busy: Sequence[tuple[datetime, datetime]] = (),
    host: str | None = None,
) -> tuple[list[Gathering], list[Guest]]:
    """Groups of `MIN_GUESTS` to `MAX_GUESTS` guests sharing a goal term (the topic most of
    them share first, goals by priority on a tie), each with an evening on one of `days`;
    and the guests left out. `goals` are the active goals, most important first."""
    left = sorted(guests, key=lambda g: (-g.worth, g.contact.name))
    found: list[Gathering] = []
    while len(left) >= MIN_GUESTS:
        shared = _shared_topic(left, goals)
        if shared is None:
            break
        term, goal = shared
        invited = [g for g in left if term in g.terms][:MAX_GUESTS]
        left = [g for g in left if g not in invited]
        topic = surfaces(goal.text, {term}, implied=False).get(term) or invited[0].terms[term]
        start, end, free = proposed_time(days, slots, place.timezone, busy)
        found.append(_gathering(invited, term, topic, goal, place, start, end, free, host))
    return found, left


def _shared_topic(guests: Sequence[Guest], goals: Sequence[Goal]) -> tuple[str, Goal] | None:
    """The goal term most guests share (at least `MIN_GUESTS`), and its goal."""
    counts = Counter(term for guest in guests for term in guest.terms)
    best: tuple[int, str, Goal] | None = None
    for goal in goals:
        for term in goal_query(goal.text):
            if counts[term] >= MIN_GUESTS and (best is None or counts[term] > best[0]):
                best = (counts[term], term, goal)
    return None if best is None else (best[1], best[2])


def proposed_time(
    days: Sequence[date],
    slots: Sequence[str],
    timezone: str,
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> tuple[datetime, datetime, bool]:
    """The first evening among `days` inside the user's free time (`slots`) and not taken by
    an event they go to; else the first free afternoon; else the first evening, not free."""
    tz = zone(timezone)
    for part, first, last in TIMES:
        for day in days:
            if f"{DAYS[day.weekday()]}:{part}" not in slots:
                continue
            start = datetime.combine(day, first, tz)
            end = datetime.combine(day, last, tz)
            if not any(start < other_end and other_start < end for other_start, other_end in busy):
                return start, end, True
    day = days[0]
    _, first, last = TIMES[0]
    return datetime.combine(day, first, tz), datetime.combine(day, last, tz), False


def _gathering(
    invited: Sequence[Guest],
    term: str,
    topic: str,
    goal: Goal,
    place: Place,
    start: datetime,
    end: datetime,
    free: bool,
    host: str | None,
) -> Gathering:
    ids = tuple(sorted(g.contact.id for g in invited))
    names = tuple(g.contact.name for g in invited)
    digest = hashlib.sha256(f"{place.city}|{term}|{ids}".encode()).hexdigest()[:16]
    text = invitation(names, topic, place.city, start, end, host)
    return Gathering(
        digest, place.city, topic, goal.text, ids, names, start, end, place.timezone, free, text
    )


def first_name(name: str) -> str:
    words = [w for w in name.split() if key(w) not in TITLES and key(w)]
    return words[0] if words else name


def invitation(
    names: Sequence[str],
    topic: str,
    city: str,
    start: datetime,
    end: datetime,
    host: str | None = None,
) -> str:
    """The drafted invitation, to send as it is or to edit."""
    firsts = [first_name(name) for name in names]
    greeting = ", ".join(firsts[:-1]) + f" and {firsts[-1]}" if len(firsts) > 1 else firsts[0]
    when = f"{DAY_NAMES[start.weekday()]} {start.day} {start:%B}, {start:%H:%M}–{end:%H:%M}"
    lines = [
        f"Hi {greeting},",
        "",
        f"you all work on {topic}, and I would like to bring us together in person: a small, "
        f"informal evening in {city}. I thought of {when}: somewhere easy to reach, drinks "
        "and conversation, nothing to prepare. Would you come?",
        "",
        "If another evening suits you better, just say so and we will find one.",
        "",
        "Best wishes",
    ]
    if host:
        lines.append(host)
    return "\n".join(lines)


def gathering_calendar(gathering: Gathering, stamp: datetime) -> bytes:
    """An .ics with one event: the gathering, its invitation as the description; `stamp`
    (when the file is made) as its DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", "-//planner//people to meet//EN")
    calendar.add("version", "2.0")
    event = CalendarEvent()
    event.add("uid", gathering.uid)
    event.add("dtstamp", stamp.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", gathering.start)
    event.add("dtend", gathering.end)
    event.add("summary", gathering.summary)
    event.add("location", gathering.city)
    event.add("description", gathering.invitation)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
