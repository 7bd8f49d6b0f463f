"""Reading the properties of one VEVENT: end, occurrence id, time zone names, people, place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scrapers.model import Person


def end_of(component: icalendar.cal.Component, start: date) -> date | None:
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


def recurrence_id(component: icalendar.cal.Component, start: date) -> date:
    rid = component.get("RECURRENCE-ID")
    return rid.dt if rid is not None else start


def stamp(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def zone_name(
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


def people_of(component: icalendar.cal.Component) -> tuple[list[str], list[Person]]:
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


def geo(component: icalendar.cal.Component) -> tuple[float | None, float | None]:
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


def categories(component: icalendar.cal.Component) -> list[str]:
    values = component.get("CATEGORIES")
    found: list[str] = []
    for value in values if isinstance(values, list) else [values] if values else []:
        for category in getattr(value, "cats", None) or [str(value)]:
            text = str(category).strip()
            if text and text not in found:
                found.append(text)
    return found


def text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None
