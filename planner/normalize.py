"""RawEvent -> EventFields: safe plain text, aware UTC times, absolute URLs, a dedupe fingerprint.

Pure: no database, no network, no clock.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import nh3

from scrapers import Person, RawEvent

_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr|p|li)\b[^>]*>", re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+")
# "12 Main St", "Invalidenstraße 112", "Rudi-Dutschke-Str. 23": a street with its number
_STREET = re.compile(r"^\d+\w?\s+\S|\S\s+\d+\w?$")
_ONLINE = re.compile(
    r"\b(online|virtual|zoom|webinar|livestream|google meet|meet\.google|teams\.microsoft|jitsi"
    r"|remote|twitch|youtube)\b",
    re.I,
)
_CANCELLED_TITLE = re.compile(r"^\W*(cancell?ed|abgesagt|annulé|annule)\b\W*", re.I)
_POSTPONED_TITLE = re.compile(r"^\W*(postponed|verschoben)\b", re.I)
STATUSES = {
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "eventcancelled": "cancelled",
    "postponed": "postponed",
    "eventpostponed": "postponed",
    "rescheduled": "rescheduled",
    "eventrescheduled": "rescheduled",
}
ATTENDANCE = ("in_person", "online", "hybrid")
MAX_URL = 2000
MAX_KEY = 500


def key(uid: str) -> str:
    """A source's identifier for an event, short enough to store: long ones keep a digest."""
    if len(uid) <= MAX_KEY:
        return uid
    return f"{uid[:400]}#{hashlib.blake2b(uid.encode(), digest_size=20).hexdigest()}"


@dataclass
class EventFields:
    """A normalized event: what planner stores and `planner extract` prints."""

    source_uid: str
    group_uid: str
    title: str
    start: datetime  # aware UTC; midnight UTC of the day for all-day; wall clock for floating
    end: datetime | None
    all_day: bool
    floating: bool
    timezone: str | None
    url: str | None
    description: str | None
    venue: str | None
    address: str | None
    lat: float | None
    lon: float | None
    attendance: str
    status: str
    organizers: list[str] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    image: str | None = None
    price: str | None = None
    confidence: float = 1.0
    block_hash: str | None = None
    offset: timedelta | None = None  # the source's UTC offset when it named no IANA zone
    fingerprint: str = ""

    def local(self, value: datetime) -> datetime:
        """`value` as wall-clock time where the event happens, when that is known."""
        if self.timezone:
            return value.astimezone(ZoneInfo(self.timezone))
        if self.offset is not None:
            return value.astimezone(_fixed(self.offset))
        return value

    def as_json(self) -> dict[str, Any]:
        """The `planner extract` contract (ARCHITECTURE.md)."""
        return {
            "title": self.title,
            "start": format_time(self, self.start),
            "end": format_time(self, self.end) if self.end else None,
            "all_day": self.all_day,
            "timezone": self.timezone,
            "url": self.url,
            "description": self.description,
            "venue": self.venue,
            "address": self.address,
            "lat": self.lat,
            "lon": self.lon,
            "attendance": self.attendance,
            "status": self.status,
            "organizers": self.organizers,
            "people": [{"name": p.name, "role": p.role, "url": p.url} for p in self.people],
            "categories": self.categories,
            "image": self.image,
            "price": self.price,
            "confidence": self.confidence,
            "source_uid": self.source_uid,
        }


def format_time(event: Any, value: datetime) -> str:
    """ISO 8601 as the contract wants: a date for all-day, no offset for floating times."""
    if event.all_day:
        return value.date().isoformat()
    if event.floating:
        return value.replace(tzinfo=None).isoformat()
    return event.local(value).isoformat()


def _fixed(offset: timedelta) -> Any:
    from datetime import timezone

    return timezone(offset)


def normalize_event(raw: RawEvent, base_url: str | None = None) -> EventFields:
    """Clean one raw event. Raises ValueError for an event that cannot be kept (no title)."""
    title = clean_line(raw.title)
    status = _status(raw.status, title)
    if status == "cancelled":
        title = _CANCELLED_TITLE.sub("", title).strip() or title
    if not title:
        raise ValueError(f"event {raw.uid!r} has no title")
    start, all_day, floating, offset = _to_utc(raw.start)
    end = _to_utc(raw.end)[0] if raw.end is not None else None
    if end is not None and end < start:
        end = None  # an end before the start is noise
    venue, address = split_location(clean_line(raw.venue or ""), clean_line(raw.address or ""))
    fields = EventFields(
        source_uid=key(raw.uid),
        group_uid=key(raw.group or raw.series_uid or raw.uid),
        title=title[:500],
        start=start,
        end=end,
        all_day=all_day,
        floating=floating,
        timezone=raw.timezone if raw.timezone and len(raw.timezone) <= 64 else None,
        url=absolute_url(raw.url, base_url),
        description=clean_text(raw.description)[:20000] or None,
        venue=venue[:500] if venue else None,
        address=address[:1000] if address else None,
        lat=raw.lat,
        lon=raw.lon,
        attendance=_attendance(raw.attendance, venue, address, raw.lat),
        status=status,
        organizers=_unique(clean_line(o)[:300] for o in raw.organizers),
        people=[
            Person(
                clean_line(p.name)[:300],
                p.role,
                absolute_url(p.url, base_url),
                p.email if p.email and len(p.email) <= 320 else None,
            )
            for p in raw.people
            if clean_line(p.name)
        ],
        categories=_unique(clean_line(c)[:100] for c in raw.categories),
        image=absolute_url(raw.image, base_url),
        price=clean_line(raw.price)[:100] or None,
        confidence=raw.confidence,
        block_hash=raw.block_hash,
        offset=offset,
    )
    fields.fingerprint = fingerprint(fields)
    return fields


def _to_utc(value: date) -> tuple[datetime, bool, bool, timedelta | None]:
    """(UTC time, all_day, floating, offset when the zone has no IANA name)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC), True, False, None
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC), False, True, None
    offset = None if isinstance(value.tzinfo, ZoneInfo) else value.utcoffset()
    return value.astimezone(UTC), False, False, offset


@lru_cache(maxsize=16384)  # occurrences of a series repeat the same text
def clean_text(value: str | None) -> str:
    """Scraped text or HTML reduced to safe plain text, paragraphs kept."""
    if not value:
        return ""
    text = _CONTROL.sub("", value)
    if "<" in text or "&" in text:
        if "<" in text:
            text = _BLOCK_TAG.sub("\n", text)
            text = nh3.clean(text, tags=set(), attributes={}, strip_comments=True)
        text = html.unescape(html.unescape(text))  # entities, even double-escaped ones
        text = _CONTROL.sub("", text).replace("<", "‹").replace(">", "›") if "<" in text else text
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@lru_cache(maxsize=16384)  # occurrences of a series repeat the same text
def clean_line(value: str | None) -> str:
    """One line of plain text (titles, names, places)."""
    return " ".join(clean_text(value).split())


@lru_cache(maxsize=16384)  # occurrences of a series repeat the same text
def absolute_url(url: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL or None; relative URLs resolved against the page or feed."""
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    return url


@lru_cache(maxsize=16384)  # occurrences of a series repeat the same text
def split_location(venue: str, address: str) -> tuple[str | None, str | None]:
    """'Venue (street, city)', 'Venue - 12 Street', 'Venue, 12 Street, City' -> (venue, address)."""
    if address or not venue:
        return venue or None, address or None
    match = re.fullmatch(r"(.+?)\s*\((.+\d.*)\)", venue)
    if match:
        return match.group(1), match.group(2)
    if venue[0].isdigit():
        return None, venue
    for separator in (" - ", " – ", ", "):
        name, _, rest = venue.partition(separator)
        if rest and re.search(r"\d", rest) and not _STREET.search(name):
            return name, rest
    if _STREET.search(venue.split(",")[0]):
        return None, venue
    return venue, None


@lru_cache(maxsize=1024)
def _status(raw: str | None, title: str) -> str:
    key = re.sub(r"[^a-z]", "", (raw or "").lower().rsplit("/", 1)[-1])
    status = STATUSES.get(key, "scheduled")
    if status == "scheduled" and _CANCELLED_TITLE.match(title):
        return "cancelled"
    if status == "scheduled" and _POSTPONED_TITLE.match(title):
        return "postponed"
    return status


def _attendance(raw: str | None, venue: str | None, address: str | None, lat: float | None) -> str:
    if raw in ATTENDANCE:
        return raw
    place = " ".join(p for p in (venue, address) if p)
    if address or lat is not None:
        return "in_person"
    if place.startswith(("http://", "https://")) or (place and _ONLINE.search(place)):
        return "online"
    return "in_person"


def _unique(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


@lru_cache(maxsize=16384)
def _words(value: str | None) -> str:
    text = unicodedata.normalize("NFKD", (value or "").casefold())
    return " ".join(_WORD.findall(text.encode("ascii", "ignore").decode()))


def fingerprint(event: EventFields) -> str:
    """Same title, same local start, same place: the same event, whichever source lists it."""
    place = _words((event.venue or event.address or "").split(",")[0])
    # an instant compares in UTC (the same local start wherever it is written down);
    # all-day and floating times compare as the wall clock they are
    when = event.start.strftime("%Y-%m-%dT%H:%M")
    kind = "day" if event.all_day else "floating" if event.floating else "utc"
    key = f"{_words(event.title)}|{when}|{kind}|{place}"
    return hashlib.sha256(key.encode()).hexdigest()
