"""Pure readers: (bytes, url) in, raw events out. No I/O here, and nothing from `planner`."""

from __future__ import annotations

from datetime import datetime

from scrapers import ical
from scrapers.model import ParseResult, Person, RawEvent, ScraperError

__all__ = ["ParseResult", "Person", "RawEvent", "ScraperError", "detect_kind", "parse", "READERS"]

# kind -> reader; each reader is `parse(data, url, start, end) -> ParseResult`.
READERS = {
    "ical": ical.parse,
}


def detect_kind(data: bytes, content_type: str | None = None) -> str:
    """Tell which reader fits `data`, from the content first and the declared type second."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"BEGIN:VCALENDAR") or b"BEGIN:VEVENT" in head:
        return "ical"
    if content_type and "calendar" in content_type.lower():
        return "ical"
    raise ScraperError("not a calendar: the content does not start with BEGIN:VCALENDAR")


def parse(
    data: bytes, url: str | None, start: datetime, end: datetime, kind: str | None = None
) -> ParseResult:
    """Read events from `data` with the reader for `kind` (detected when None)."""
    kind = kind or detect_kind(data)
    try:
        reader = READERS[kind]
    except KeyError:
        raise ScraperError(f"unknown kind {kind!r}; known: {', '.join(sorted(READERS))}") from None
    result = reader(data, url, start, end)
    result.kind = kind
    return result
