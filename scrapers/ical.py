"""iCalendar reader: bytes in, raw events out, recurrences expanded within a bounded window.

Real feeds are messy, so reading happens in three tries: the whole file as icalendar reads it;
then the text with its broken lines repaired; then one VEVENT at a time, skipping what stays broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from scrapers.icalprops import (
    categories,
    end_of,
    geo,
    iana_zone,
    people_of,
    recurrence_id,
    stamp,
    text,
    zone_name,
)
from scrapers.icaltext import VTIMEZONE, FeedParts, decode, digest, repair, split
from scrapers.model import ParseResult, RawEvent, ScraperError

__all__ = ["FeedParts", "decode", "iana_zone", "parse", "repair", "split"]

_GROUP = "X-PLANNER-GROUP"  # the UID a renamed duplicate was read under


def parse(data: bytes | FeedParts, url: str | None, start: datetime, end: datetime) -> ParseResult:
    """Read every event of the feed that starts in [start, end)."""
    parts = split(data)
    result = ParseResult()
    calendars = _read_calendars(parts, result)
    if not calendars:
        raise ScraperError("not a calendar: no VCALENDAR could be read")
    _unique_uids(calendars)
    for calendar in calendars:
        result.name = result.name or text(calendar.get("X-WR-CALNAME"))
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


def _read_one_by_one(parts: FeedParts, result: ParseResult) -> list[icalendar.Calendar]:
    header = _calendar_or_none(parts.subset(()))
    if header is None:  # a broken VTIMEZONE: keep the calendar's properties, zones by name
        header = _calendar_or_none(VTIMEZONE.sub("", parts.subset(()).decode()).encode())
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
    default_tz = text(calendar.get("X-WR-TIMEZONE"))
    zone = iana_zone(default_tz)
    day_zones = _dates_stay_dates(calendar, result)
    singles = _take_singles(calendar)
    memo: dict[tuple[int, ...], Any] = {}
    for component in singles:
        try:
            first = _localized(component.decoded("DTSTART"), zone)
            last = _localized(end_of(component, first), zone)
            if _overlaps(first, last, start, end):
                uid_zone = day_zones.get(str(component.get("UID", ""))) or default_tz
                yield _raw_event(component, first, last, False, uid_zone, hashes, memo)
        except Exception as exc:  # one bad component never costs the feed
            result.warnings.append(f"skipped event {text(component.get('UID'))!r}: {exc}")
    _drop_runaway_series(calendar, result)
    for component in _expand(calendar, start, end, result):
        try:
            first = component.decoded("DTSTART")
            uid_zone = day_zones.get(str(component.get("UID", ""))) or default_tz
            last = end_of(component, first)
            yield _raw_event(component, first, last, True, uid_zone, hashes, memo)
        except Exception as exc:
            result.warnings.append(f"skipped event {text(component.get('UID'))!r}: {exc}")


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
                    f"skipped series {text(component.get('UID'))!r}: it repeats "
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
    uid = text(component.get("UID")) or ""
    group = text(component.get(_GROUP)) or uid
    key = f"{uid}/{stamp(recurrence_id(component, start))}" if series else uid
    if not uid:
        key = digest(f"{component.get('SUMMARY')}|{start}".encode())
    return RawEvent(
        uid=key,
        start=start,
        end=end,
        timezone=zone_name(start, component, default_tz),
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
        organizers, people = people_of(component)
        lat, lon = geo(component)
        memo[key] = (
            values,
            {
                "title": text(values[0]) or "",
                "description": text(values[1]) or text(values[2]),
                "url": text(values[3]),
                "venue": text(values[4]),
                "lat": lat,
                "lon": lon,
                "status": (text(values[6]) or "").lower() or None,
                "organizers": organizers,
                "people": people,
                "categories": categories(component),
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
            result.warnings.append(f"skipped event {text(component.get('UID'))!r}: {exc}")
            _remove(calendar, component)
    return zones


def _remove(calendar: icalendar.Calendar, component: icalendar.cal.Component) -> None:
    for parent in calendar.walk():
        if component in parent.subcomponents:
            parent.subcomponents.remove(component)
            return
