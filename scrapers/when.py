"""Dates and times as pages write them: ISO 8601 (also without the colon in offsets, or in the
basic format hCalendar uses), plain dates; aware when an offset is given, floating otherwise. Also
times of day ('18:00', '6 pm'), ends written as a time only, and a date joined from its parts (the
microformats value-class pattern)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T\s](\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.I,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")
_ZONE = re.compile(r"Z|[+-]\d{2}(?::?\d{2})?", re.I)
_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2})(?::(\d{2}))?)?\s*(?:([ap])\.?\s*m\.?)?", re.I)


def parse_when(value: object) -> date | datetime | None:
    """A date, a naive (floating) or aware datetime, or None when `value` is no date at all."""
    if not isinstance(value, str):
        return None
    found = _ISO.match(value)
    if not found:
        return None
    year, month, day, hour, minute, second, offset = found.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    zone = _offset(offset)
    return moment.replace(tzinfo=zone) if zone is not None else moment


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def clock(text: str) -> time | None:
    """'18:00', '6:00 pm', '6pm', '5.30 p.m.' -> a time; None for anything else."""
    found = _CLOCK.fullmatch(text.strip())
    if not found or not (found.group(2) or found.group(4)):
        return None
    hour, minute, second = int(found.group(1)), int(found.group(2) or 0), int(found.group(3) or 0)
    if found.group(4):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found.group(4).lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def end_of(text: str, start: date) -> date | None:
    """An end that may be a time only ('19:30', implied on the start's day)."""
    found = parse_when(text)
    if found is not None:
        return found
    moment = clock(text) if text else None
    if moment is None or not isinstance(start, datetime):
        return None
    return datetime.combine(start.date(), moment, start.tzinfo)


def join_parts(parts: list[str]) -> str:
    """A date, a time and a zone written apart ('2024-03-19', '6:00 pm', '-07:00') as one ISO
    string; a part that is a whole ISO date and time by itself is taken as it is."""
    day = clock_text = zone = ""
    for part in parts:
        moment = clock(part)
        if _DATE.fullmatch(part):
            day = day or part
        elif moment is not None:
            clock_text = clock_text or moment.isoformat()
        elif _ZONE.fullmatch(part):
            zone = zone or part
        elif parse_when(part) is not None:
            return part
    return f"{day}T{clock_text}{zone}" if day and clock_text else day or clock_text
