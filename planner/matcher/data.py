"""What the matcher reads and what it answers: plain frozen records, no database rows.

Field names are those of the columns in `planner.models`, so a row converts with `from_row`
(lists become tuples); the few fields that are not columns say where they come from.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar, cast

ROLES = ("speaker", "organizer", "host", "attendee", "mentioned", "likely")
REASON_KINDS = ("goal", "contact", "place", "time", "trip", "budget", "serendipity", "feedback")
FEEDBACK_KINDS = ("going", "dismissed", "attended")
TIES = ("close", "regular", "weak")
# weekday evenings and the whole weekend, as `planner.models.default_availability`
DEFAULT_AVAILABILITY = tuple(
    f"{day}:evening" for day in ("mon", "tue", "wed", "thu", "fri")
) + tuple(f"{day}:{part}" for day in ("sat", "sun") for part in ("morning", "afternoon", "evening"))


@dataclass(frozen=True)
class Profile:
    """The user's home, reach, time and appetite (`User` columns)."""

    home_lat: float | None = None
    home_lon: float | None = None
    radius_km: float = 25
    timezone: str = "UTC"
    availability: tuple[str, ...] = DEFAULT_AVAILABILITY
    events_per_week: int = 2
    events_per_month: int = 6
    online_ok: bool = True


@dataclass(frozen=True)
class Goal:
    id: int
    text: str
    priority: int = 2  # 1 (most important) .. 3
    paused: bool = False


@dataclass(frozen=True)
class Trip:
    """Away from home from `starts_on` to `ends_on` (inclusive), staying near `city`."""

    city: str
    starts_on: date
    ends_on: date
    lat: float | None = None
    lon: float | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Person:
    """Someone an event names (`EventPerson`): role organizer | speaker | host | attendee ..."""

    name: str
    role: str
    url: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Event:
    """One event (`Event` columns); `people` from `EventPerson`, `sources` the names of the
    sources that list it (from `EventSource` -> `Source.name` or its url)."""

    id: int
    title: str
    start: datetime  # aware, UTC
    end: datetime | None = None
    all_day: bool = False
    timezone: str | None = None
    description: str | None = None
    venue: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    attendance: str = "in_person"  # in_person | online | hybrid
    status: str = "scheduled"  # scheduled | cancelled | postponed | rescheduled
    organizers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    url: str | None = None
    fingerprint: str = ""
    gone_at: datetime | None = None
    people: tuple[Person, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contact:
    """Someone the user knows online (`Contact` columns)."""

    id: int
    name: str
    emails: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()  # "@user@host", "github:user", "x:user"
    urls: tuple[str, ...] = ()
    company: str | None = None
    title: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    tags: tuple[str, ...] = ()
    tie: str = "regular"  # close | regular | weak
    last_met: date | None = None


@dataclass(frozen=True)
class Feedback:
    """The user's word on one event: going | dismissed (not interested) | attended; `met` holds
    the ids of the contacts met there."""

    event_id: int
    kind: str
    met: tuple[int, ...] = ()


@dataclass(frozen=True)
class ContactAtEvent:
    """A claim that a contact will be at an event, with the evidence the user can check.

    `role` is speaker | organizer | host | attendee | mentioned, or "likely" for a guess from
    where they live and what they work on (a weaker claim, said as such). `interests` are the
    contact's tags and topic words, kept for introductions."""

    contact_id: int
    name: str
    role: str
    evidence: str
    tie: str = "regular"
    interests: tuple[str, ...] = ()

    @property
    def likely(self) -> bool:
        return self.role == "likely"


@dataclass(frozen=True)
class Reason:
    kind: str  # one of REASON_KINDS
    text: str


@dataclass(frozen=True)
class Introduction:
    """Two contacts at the same event who share an interest."""

    first_id: int
    second_id: int
    shared: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Match:
    event_id: int
    score: float
    reasons: list[Reason] = field(default_factory=list)
    contacts: list[ContactAtEvent] = field(default_factory=list)
    serendipity: bool = False
    introductions: list[Introduction] = field(default_factory=list)


Record = TypeVar("Record")


def from_row(kind: type[Record], row: Any, **given: Any) -> Record:
    """A `kind` record from an object with the same attribute names (an ORM row, a row of a
    query); `given` supplies or overrides fields (e.g. `people=`, `sources=`). Lists become
    tuples."""
    fields = _fields(cast(type, kind))
    found = attributes(row, _names(cast(type, kind)))
    values = []
    for (name, default), value in zip(fields, found, strict=True):
        if name in given:
            value = given[name]
        elif value is MISSING:
            if default is MISSING:
                raise TypeError(f"{kind.__name__} needs {name!r}: {row!r} has none")
            value = default
        elif isinstance(value, list):
            value = tuple(value)
        values.append(value)
    return kind(*values)


MISSING: Any = object()  # what `attributes` gives for a name the row has not


def attributes(row: Any, names: tuple[str, ...]) -> list[Any]:
    """The values of `names` on `row`, `MISSING` where it has none. A row of a query (a named
    tuple, such as SQLAlchemy's `Row`) is read by position: by attribute, a `Row` costs ten
    times more."""
    fields = getattr(row, "_fields", None)
    if fields is None:
        return [getattr(row, name, MISSING) for name in names]
    data = tuple(row)
    return [MISSING if at is None else data[at] for at in _positions(tuple(fields), names)]


@functools.lru_cache(maxsize=256)
def _positions(fields: tuple[str, ...], names: tuple[str, ...]) -> tuple[int | None, ...]:
    where = {name: n for n, name in enumerate(fields)}
    return tuple(where.get(name) for name in names)


@functools.cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(name for name, _ in _fields(kind))


@functools.cache
def _fields(kind: type) -> tuple[tuple[str, Any], ...]:
    """Each field's name and default (`MISSING` for none), in the order `kind` takes them:
    records are built with positional arguments, which is quicker."""
    found = []
    for item in dataclasses.fields(kind):
        if item.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{kind.__name__}.{item.name}: a default factory is not read")
        found.append((item.name, MISSING if item.default is dataclasses.MISSING else item.default))
    return tuple(found)
