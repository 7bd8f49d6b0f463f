"""Dates and times as people write them in a page's text: "Tuesday, March 19, 2024 6:00 PM",
"19th March 2024", "Aug 12, 2025 - 5:00 pm", "2024-03-19 at 18:00", with a range ("to 7:30 PM")
and a zone abbreviation ("PDT"). English month names only; with a month name, years outside
1991-2199 are no dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

from scrapers.when import clock, end_of, parse_when

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_TEXT = re.compile(
    rf"\b(?:({_MONTH})\s+{_DAY},?\s+(\d{{4}})|{_DAY}\s+({_MONTH}),?\s+(\d{{4}})"
    r"|(\d{4})-(\d{2})-(\d{2}))\b",
    re.I,
)
_CLOCK = r"(\d{1,2}(?::\d{2})?(?:\s*[ap]\.?\s*m\b\.?)?)"
_TIME_TEXT = re.compile(
    rf"\s*(?:,|@|at|-|–|—|·|\|)?\s*{_CLOCK}(?:\s*(?:to|-|–|—|until)\s*{_CLOCK})?(?:\s+([A-Z]{{3,4}}))?",
    re.I,
)
_RANGE = re.compile(rf"(?:\bto\b|\buntil\b|-|–|—)\s*{_CLOCK}", re.I)
# fmt: off
_ZONES = {"UTC": 0, "GMT": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
          "EST": -5, "EDT": -4, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3}
# fmt: on


def dates_in(text: str) -> Iterator[tuple[int, int, date]]:
    """Every date written out in `text`, in order: where it starts and ends, and the day."""
    for found in _DATE_TEXT.finditer(text):
        day = _date_of(found)
        if day is not None:
            yield found.start(), found.end(), day


def times_after(text: str, pos: int, day: date) -> tuple[date, date | None]:
    """Start and end of `day` as the times written at `pos` (just after the date) say: the day
    alone when no time follows."""
    timed = _TIME_TEXT.match(text, pos)
    if not timed or clock(timed.group(1)) is None:
        return day, None
    return _timed(day, timed)


def range_end(text: str, start: date) -> date | None:
    """The end a timed start's text shows after it: "6:00 PM to 7:30 PM" -> 7:30 PM that day."""
    found = _RANGE.search(text)
    return end_of(found.group(1), start) if found and isinstance(start, datetime) else None


def _date_of(found: re.Match[str]) -> date | None:
    groups = found.groups()
    if groups[0]:
        month, day, year = groups[0], groups[1], groups[2]
    elif groups[4]:
        day, month, year = groups[3], groups[4], groups[5]
    else:
        return parse_when(f"{groups[6]}-{groups[7]}-{groups[8]}")
    number = _MONTHS.get(month[:3].lower())
    try:
        return date(int(year), number, int(day)) if number and 1990 < int(year) < 2200 else None
    except ValueError:
        return None


def _timed(day: date, timed: re.Match[str]) -> tuple[date, date | None]:
    """'6:00 PM to 7:30 PM PDT' after a date: start and end on that day (aware with a zone)."""
    hours = _ZONES.get((timed.group(3) or "").upper())
    zone = timezone(timedelta(hours=hours)) if hours is not None else None
    moment = clock(timed.group(1))
    start = datetime.combine(day, moment, zone) if moment else day
    end = end_of(timed.group(2) or "", start) if timed.group(2) else None
    if isinstance(end, datetime) and isinstance(start, datetime) and end < start:
        end = end + timedelta(days=1)  # "10:00 pm to 1:00 am"
    return start, end
