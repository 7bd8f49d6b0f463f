"""Dates and times as pages write them: ISO 8601 (also without the colon in offsets, or in the
basic format hCalendar uses), plain dates; aware when an offset is given, floating otherwise."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T\s](\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.I,
)


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
