"""The shapes every reader returns: raw events, people on them, and the result of one parse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# A raw time: an aware datetime, a naive ("floating") datetime, or a date for all-day events.
RawTime = datetime | date


class ScraperError(Exception):
    """A body that no reader can make sense of (not a calendar, not a page)."""


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # organizer | speaker | host | attendee | performer
    url: str | None = None
    email: str | None = None


@dataclass
class RawEvent:
    """One event (or one occurrence of a series) as a reader found it, before normalization.

    `uid` is unique within the source; for occurrences of a recurring series it carries the
    original occurrence start (see scrapers.ical), so the pair (source, uid) names one occurrence.
    Text fields may still hold HTML or entities; normalize cleans them.
    """

    uid: str
    title: str
    start: RawTime
    end: RawTime | None = None
    timezone: str | None = None  # IANA name when the reader knows it
    description: str | None = None
    url: str | None = None
    venue: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    attendance: str | None = None  # in_person | online | hybrid
    status: str | None = None  # scheduled | cancelled | postponed | rescheduled
    organizers: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    series_uid: str | None = None  # the series' UID when this is an occurrence of a recurrence
    image: str | None = None
    price: str | None = None  # "free", "EUR 10–25", as the page says it
    confidence: float = 1.0  # below 1 for guesses from pages without structured data
    reader: str | None = None  # which reader found it: ical, jsonld, microdata, hevent, ...
    group: str | None = None  # the part of the source it was read from (a UID group, a page)
    block_hash: str | None = None  # hash of that part's text (incremental ingest)


@dataclass
class ParseResult:
    events: list[RawEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    name: str | None = None  # the feed's own name (X-WR-CALNAME, <title>)
    kind: str | None = None
    links: list[str] = field(default_factory=list)  # event pages a listing page points to
