"""iCalendar reader: bytes in, raw events out, recurrences expanded within a bounded window.

Real feeds are messy, so reading happens in three tries: the whole file as icalendar reads it;
then the text with its broken lines repaired; then one VEVENT at a time, skipping what stays broken.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scrapers.model import ParseResult, Person, RawEvent, ScraperError

_FOLD = re.compile(r"\r?\n[ \t]")
_CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[^\r\n]*?)?:", re.ASCII)
_VEVENT = re.compile(r"^BEGIN:VEVENT\r?$.*?^END:VEVENT\r?$\n?", re.M | re.S | re.I)
_UID = re.compile(r"^UID(?:;[^:\r\n]*)?:(.*?)\r?$", re.M | re.I)
_UID_LINE = "UID:"
_NO_UID = "no-uid-"
_DTSTAMP = re.compile(r"^DTSTAMP[;:].*$", re.M | re.I)
_GROUP = "X-PLANNER-GROUP"  # the UID a renamed duplicate was read under
_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE\r?$.*?^END:VTIMEZONE\r?$\n?", re.M | re.S | re.I)


def decode(data: bytes) -> str:
    """Text of a feed: UTF-8 (with or without BOM), else Windows-1252, the usual culprit."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass
class FeedParts:
    """A feed cut into its VEVENTs grouped by UID, for reading in batches or only what changed."""

    header: str  # everything outside the VEVENTs: calendar properties, VTIMEZONEs
    groups: dict[str, list[str]]  # uid -> the VEVENT blocks that carry it (series + overrides)
    hashes: dict[str, str]  # uid -> hash of header + blocks (DTSTAMP lines left out)
    whole: str | None = None  # the text to parse: as read (several calendars) or joined

    @property
    def single_calendar(self) -> bool:
        return self.header.upper().count("BEGIN:VCALENDAR") == 1

    @property
    def text(self) -> str:
        if self.whole is None:
            self.whole = self._join(self.groups)
        return self.whole

    def select(self, uids: Iterable[str]) -> FeedParts:
        """The same feed with only the VEVENTs of `uids` (header, time zones and all)."""
        groups = {uid: self.groups[uid] for uid in uids if uid in self.groups}
        return FeedParts(self.header, groups, {uid: self.hashes[uid] for uid in groups})

    def subset(self, uids: Iterable[str]) -> bytes:
        return self.select(uids).text.encode()

    def _join(self, groups: dict[str, list[str]]) -> str:
        blocks = "".join(b for group in groups.values() for b in group)
        cut = self.header.upper().rfind("END:VCALENDAR")
        if cut < 0:
            return self.header + blocks
        return self.header[:cut] + blocks + self.header[cut:]


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def split(data: bytes | FeedParts) -> FeedParts:
    """Cut a feed into UID groups and hash each, in one pass; cheap next to parsing it.

    A VEVENT without a UID gets one made from its text, so that it keeps its identity; the
    DTSTAMP lines (the export time, new on every download) do not count towards a group's hash.
    """
    if isinstance(data, FeedParts):
        return data
    text = decode(data)
    pieces: list[str] = []
    groups: dict[str, list[str]] = {}
    position = 0
    for match in _VEVENT.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        uid, block = _uid_of(match.group(0))
        groups.setdefault(uid, []).append(block)
    pieces.append(text[position:])
    header = "".join(pieces)
    head = _digest(header.encode())
    hashes = {
        uid: _digest((head + _DTSTAMP.sub("", "".join(blocks))).encode())
        for uid, blocks in groups.items()
    }
    parts = FeedParts(header, groups, hashes)
    parts.whole = None if parts.single_calendar else text
    return parts


def _uid_of(block: str) -> tuple[str, str]:
    """(UID, block), the block given a UID made from its text when it has none."""
    found = _UID.search(block)
    if found is None:
        newline = "\r\n" if "\r\n" in block else "\n"
        first, rest = block.split("\n", 1)
        uid = f"{_NO_UID}{_digest(block.encode())}"
        return uid, f"{first}\n{_UID_LINE}{uid}{newline}{rest}"
    if block[found.end() : found.end() + 3].lstrip("\r\n")[:1] in (" ", "\t"):
        found = _UID.search(_FOLD.sub("", block))  # a folded UID (Exchange)
        assert found is not None
    return found.group(1).strip(), block


def parse(data: bytes | FeedParts, url: str | None, start: datetime, end: datetime) -> ParseResult:
    """Read every event of the feed that starts in [start, end)."""
    parts = split(data)
    result = ParseResult()
    calendars = _read_calendars(parts, result)
    if not calendars:
        raise ScraperError("not a calendar: no VCALENDAR could be read")
    _unique_uids(calendars)
    for calendar in calendars:
        result.name = result.name or _text(calendar.get("X-WR-CALNAME"))
        result.events.extend(_events_of(calendar, start, end, parts.hashes, result))
    return result


def _unique_uids(calendars: list[icalendar.Calendar]) -> None:
    """Exporters reuse UIDs (a copied event, concatenated calendars): every VEVENT that is not
    an override of a series keeps its own identity as `UID#2`, `UID#3`... in file order."""
    seen: dict[str, int] = {}
    for calendar in calendars:
        for component in calendar.walk("VEVENT"):
            if component.get("RECURRENCE-ID") is not None:
                continue
            uid = str(component.get("UID", ""))
            seen[uid] = seen.get(uid, 0) + 1
            if seen[uid] > 1:
                component[_GROUP] = uid
                component["UID"] = f"{uid}#{seen[uid]}"


def _read_calendars(parts: FeedParts, result: ParseResult) -> list[icalendar.Calendar]:
    if "BEGIN:VCALENDAR" not in parts.text[:4096].upper():
        raise ScraperError("not a calendar: the content does not start with BEGIN:VCALENDAR")
    try:
        return list(icalendar.Calendar.from_ical(parts.text, multiple=True))
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError...
        first_error = exc
    repaired = repair(parts.text)
    try:
        calendars = list(icalendar.Calendar.from_ical(repaired, multiple=True))
        result.warnings.append(f"repaired malformed lines ({first_error})")
        return calendars
    except Exception:  # noqa: S110 - fall through to reading one VEVENT at a time
        pass
    result.warnings.append(f"read event by event ({first_error})")
    return _read_one_by_one(split(repaired.encode()), result)


def repair(text: str) -> str:
    """Fix what breaks icalendar: raw newlines inside values, blank lines, stray bytes.

    A line that is not `NAME[;PARAMS]:VALUE` continues the previous value."""
    lines: list[list[str]] = []
    for line in _FOLD.sub("", text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        if _CONTENT_LINE.match(line) or not lines:
            lines.append([line])
        else:
            lines[-1].append(line.replace(",", "\\,").replace(";", "\\;"))
    return "\r\n".join("\\n".join(parts) for parts in lines) + "\r\n"


def _read_one_by_one(parts: FeedParts, result: ParseResult) -> list[icalendar.Calendar]:
    header = _calendar_or_none(parts.subset(()))
    if header is None:  # a broken VTIMEZONE: keep the calendar's properties, zones by name
        header = _calendar_or_none(_VTIMEZONE.sub("", parts.subset(()).decode()).encode())
        result.warnings.append("ignored the feed's VTIMEZONE definitions: unreadable")
    if header is None:
        header = icalendar.Calendar()
        header.add("VERSION", "2.0")
        result.warnings.append("ignored the calendar's own properties: unreadable")
    for uid, blocks in parts.groups.items():
        try:
            block_cal = icalendar.Calendar.from_ical(
                "BEGIN:VCALENDAR\r\n" + "".join(blocks) + "END:VCALENDAR\r\n"
            )
        except Exception as exc:
            result.warnings.append(f"skipped event {uid!r}: {exc}")
            continue
        for component in block_cal.walk("VEVENT"):
            header.add_component(component)
    return [header]


def _calendar_or_none(text: bytes) -> icalendar.Calendar | None:
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception:
        return None


def _events_of(
    calendar: icalendar.Calendar,
    start: datetime,
    end: datetime,
    hashes: dict[str, str],
    result: ParseResult,
) -> Iterable[RawEvent]:
    """Single events are read directly; series go through recurring_ical_events (which copies
    every occurrence: worth it only where there is something to expand)."""
    default_tz = _text(calendar.get("X-WR-TIMEZONE"))
    zone = iana_zone(default_tz)
    day_zones = _dates_stay_dates(calendar, result)
    singles = _take_singles(calendar)
    memo: dict[tuple[int, ...], Any] = {}
    for component in singles:
        try:
            first = _localized(component.decoded("DTSTART"), zone)
            last = _localized(_end_of(component, first), zone)
            if _overlaps(first, last, start, end):
                uid_zone = day_zones.get(str(component.get("UID", ""))) or default_tz
                yield _raw_event(component, first, last, False, uid_zone, hashes, memo)
        except Exception as exc:  # one bad component never costs the feed
            result.warnings.append(f"skipped event {_text(component.get('UID'))!r}: {exc}")
    _drop_runaway_series(calendar, result)
    for component in _expand(calendar, start, end, result):
        try:
            first = component.decoded("DTSTART")
            uid_zone = day_zones.get(str(component.get("UID", ""))) or default_tz
            last = _end_of(component, first)
            yield _raw_event(component, first, last, True, uid_zone, hashes, memo)
        except Exception as exc:
            result.warnings.append(f"skipped event {_text(component.get('UID'))!r}: {exc}")


def _take_singles(calendar: icalendar.Calendar) -> list[icalendar.cal.Component]:
    """Remove and return the VEVENTs that are not part of a series (no RRULE, RDATE or
    RECURRENCE-ID under their UID): most of a typical feed."""
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    series = {
        str(c.get("UID", ""))
        for c in events
        if c.get("RRULE") is not None
        or c.get("RDATE") is not None
        or c.get("RECURRENCE-ID") is not None
    }
    singles = [c for c in events if str(c.get("UID", "")) not in series]
    single_ids = {id(c) for c in singles}
    calendar.subcomponents[:] = [c for c in calendar.subcomponents if id(c) not in single_ids]
    return singles


_TOO_OFTEN = {"SECONDLY", "MINUTELY", "HOURLY"}
MAX_PER_DAY = 4  # a series with more occurrences a day is a clock, not a meetup


def _drop_runaway_series(calendar: icalendar.Calendar, result: ParseResult) -> None:
    """A 200-byte RRULE can ask for half a million occurrences a year: such series are skipped
    with a warning instead of taking a worker's time and memory."""
    for component in [c for c in calendar.subcomponents if c.name == "VEVENT"]:
        rule = component.get("RRULE")
        rules = rule if isinstance(rule, list) else [rule] if rule is not None else []
        for value in rules:
            frequency = str((value.get("FREQ") or [""])[0]).upper()
            per_day = 1
            for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
                per_day *= max(len(value.get(part) or []), 1)
            if frequency in _TOO_OFTEN or per_day > MAX_PER_DAY:
                result.warnings.append(
                    f"skipped series {_text(component.get('UID'))!r}: it repeats "
                    f"{frequency.lower() or 'too often'}, more often than events do"
                )
                calendar.subcomponents.remove(component)
                break


def _expand(
    calendar: icalendar.Calendar, start: datetime, end: datetime, result: ParseResult
) -> list[icalendar.Event]:
    if not any(c.name == "VEVENT" for c in calendar.subcomponents):
        return []
    try:
        return list(recurring_ical_events.of(calendar).between(start, end))
    except Exception as exc:  # a broken series: read the rest without it
        result.warnings.append(f"skipped a broken recurring series: {exc}")
    try:
        return list(recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end))
    except Exception as again:
        raise ScraperError(f"could not expand the calendar's events: {again}") from again


def _localized(value: Any, zone: str | None) -> Any:
    """X-WR-TIMEZONE, as Google and Apple mean it: floating and UTC times are in that zone."""
    if zone is None or not isinstance(value, datetime):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(zone))
    if value.utcoffset() == timedelta(0) and _is_utc(value.tzinfo):
        return value.astimezone(ZoneInfo(zone))
    return value


def _is_utc(tzinfo: object) -> bool:
    return tzinfo is UTC or getattr(tzinfo, "key", None) == "UTC" or str(tzinfo) == "UTC"


def _overlaps(first: date, last: date | None, start: datetime, end: datetime) -> bool:
    """Does an event from `first` to `last` touch [start, end), as recurring_ical_events says?"""
    begins = _instant(first)
    ends = _instant(last) if last is not None else begins
    return begins < end and (ends > start or begins >= start)


def _instant(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _raw_event(
    component: icalendar.cal.Component,
    start: date,
    end: date | None,
    series: bool,
    default_tz: str | None,
    hashes: dict[str, str],
    memo: dict[tuple[int, ...], Any],
) -> RawEvent:
    uid = _text(component.get("UID")) or ""
    group = _text(component.get(_GROUP)) or uid
    key = f"{uid}/{_stamp(_recurrence_id(component, start))}" if series else uid
    if not uid:
        key = _digest(f"{component.get('SUMMARY')}|{start}".encode())
    return RawEvent(
        uid=key,
        start=start,
        end=end,
        timezone=_zone_name(start, component, default_tz),
        series_uid=uid if series else None,
        group=group,
        block_hash=hashes.get(group),
        **_details(component, memo),
    )


_DETAILS = (
    "SUMMARY",
    "DESCRIPTION",
    "X-ALT-DESC",
    "URL",
    "LOCATION",
    "GEO",
    "STATUS",
    "ORGANIZER",
    "ATTENDEE",
    "CATEGORIES",
)


def _details(component: icalendar.cal.Component, memo: dict[tuple[int, ...], Any]) -> Any:
    """What an event says besides its time. The occurrences of a series share the property
    values of their master (or override), so these are read once per master."""
    values = tuple(component.get(name) for name in _DETAILS)
    key = tuple(id(value) for value in values)
    if key not in memo:  # `values` stay referenced in the memo, so their ids stay unique
        organizers, people = _people(component)
        lat, lon = _geo(component)
        memo[key] = (
            values,
            {
                "title": _text(values[0]) or "",
                "description": _text(values[1]) or _text(values[2]),
                "url": _text(values[3]),
                "venue": _text(values[4]),
                "lat": lat,
                "lon": lon,
                "status": (_text(values[6]) or "").lower() or None,
                "organizers": organizers,
                "people": people,
                "categories": _categories(component),
            },
        )
    details = memo[key][1]
    return details | {
        "organizers": list(details["organizers"]),
        "people": list(details["people"]),
        "categories": list(details["categories"]),
    }


def _dates_stay_dates(calendar: icalendar.Calendar, result: ParseResult) -> dict[str, str]:
    """`DTSTART;TZID=...;VALUE=DATE` is an all-day event; icalendar reads it as midnight.

    Returns the zone such events named, by UID: the day is a day in that place. A component
    whose dates cannot be read at all is dropped here, with a warning, so it cannot break the rest.
    """
    zones: dict[str, str] = {}
    for component in list(calendar.walk("VEVENT")):
        try:
            for name in ("DTSTART", "DTEND"):
                prop = component.get(name)
                value = getattr(prop, "dt", None)
                if (
                    isinstance(value, datetime)
                    and str(prop.params.get("VALUE", "")).upper() == "DATE"
                ):
                    zones[str(component.get("UID", ""))] = str(prop.params.get("TZID", ""))
                    del component[name]
                    component.add(name, value.date())
        except Exception as exc:
            result.warnings.append(f"skipped event {_text(component.get('UID'))!r}: {exc}")
            _remove(calendar, component)
    return zones


def _remove(calendar: icalendar.Calendar, component: icalendar.cal.Component) -> None:
    for parent in calendar.walk():
        if component in parent.subcomponents:
            parent.subcomponents.remove(component)
            return


def _end_of(component: icalendar.cal.Component, start: date) -> date | None:
    if component.get("DTEND") is not None:
        end = component.decoded("DTEND")
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    elif isinstance(start, datetime):
        return None  # a moment: no end known
    else:
        end = start + timedelta(days=1)  # an all-day event lasts its day
    # recurring_ical_events gives start == end when the event has neither: that says nothing
    return None if end == start and isinstance(start, datetime) else end


def _recurrence_id(component: icalendar.cal.Component, start: date) -> date:
    rid = component.get("RECURRENCE-ID")
    return rid.dt if rid is not None else start


def _stamp(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def _zone_name(
    start: date, component: icalendar.cal.Component, default_tz: str | None
) -> str | None:
    """The IANA name of the event's zone: Windows names (Exchange) and old links translated."""
    tzinfo = start.tzinfo if isinstance(start, datetime) else None
    names = [
        getattr(tzinfo, "key", None),
        getattr(tzinfo, "zone", None),
        str(component["DTSTART"].params.get("TZID") or ""),
    ]
    if tzinfo is None:
        names.append(default_tz)  # all-day and floating times: the calendar's zone
    for name in names:
        found = iana_zone(name)
        if found:
            return found
    return None


# Old names that tzdata keeps as links; clients and people know the canonical ones.
_LINKS = {
    "US/Pacific": "America/Los_Angeles",
    "US/Mountain": "America/Denver",
    "US/Central": "America/Chicago",
    "US/Eastern": "America/New_York",
    "US/Arizona": "America/Phoenix",
    "US/Alaska": "America/Anchorage",
    "US/Hawaii": "Pacific/Honolulu",
    "Canada/Pacific": "America/Vancouver",
    "Canada/Eastern": "America/Toronto",
    "GB": "Europe/London",
    "Europe/Kiev": "Europe/Kyiv",
    "Asia/Calcutta": "Asia/Kolkata",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
}


def iana_zone(name: str | None) -> str | None:
    """`name` as an IANA zone name, or None when it names no known zone."""
    if not name:
        return None
    name = name.strip().strip('"')
    name = WINDOWS_TO_OLSON.get(name, name)
    name = _LINKS.get(name, name)
    return name if name in _iana_names() else None


_IANA: set[str] = set()


def _iana_names() -> set[str]:
    if not _IANA:
        import zoneinfo

        _IANA.update(zoneinfo.available_timezones())
    return _IANA


def _people(component: icalendar.cal.Component) -> tuple[list[str], list[Person]]:
    organizers: list[str] = []
    people: list[Person] = []
    for prop in ("ORGANIZER", "ATTENDEE"):
        values = component.get(prop)
        for value in values if isinstance(values, list) else [values] if values else []:
            params = getattr(value, "params", {})
            name = str(params.get("CN") or "").strip().strip('"')
            if not name:
                continue  # an address alone (often a Google group calendar) names nobody
            address = str(value)
            email = address[7:] if address.lower().startswith("mailto:") else None
            role = "attendee"
            if prop == "ORGANIZER" or str(params.get("PARTSTAT", "")).upper() == "ORGANIZER":
                role = "organizer"
            elif str(params.get("ROLE", "")).upper() == "CHAIR":
                role = "host"
            people.append(Person(name=name, role=role, email=email))
            if role != "attendee" and name not in organizers:
                organizers.append(name)
    return organizers, people


def _geo(component: icalendar.cal.Component) -> tuple[float | None, float | None]:
    geo = component.get("GEO")
    if geo is None:
        return None, None
    try:
        lat, lon = float(geo.latitude), float(geo.longitude)
    except (AttributeError, TypeError, ValueError):
        return None, None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None, None


def _categories(component: icalendar.cal.Component) -> list[str]:
    values = component.get("CATEGORIES")
    found: list[str] = []
    for value in values if isinstance(values, list) else [values] if values else []:
        for category in getattr(value, "cats", None) or [str(value)]:
            text = str(category).strip()
            if text and text not in found:
                found.append(text)
    return found


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None
