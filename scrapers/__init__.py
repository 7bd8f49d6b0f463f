"""Pure readers: (bytes, url) in, raw events out. No I/O here, and nothing from `planner`."""

from __future__ import annotations

from datetime import datetime

from scrapers import html, ical
from scrapers.model import ParseResult, Person, RawEvent, ScraperError
from scrapers.sites import confs

__all__ = [
    "KINDS",
    "READERS",
    "ParseResult",
    "Person",
    "RawEvent",
    "ScraperError",
    "detect_kind",
    "parse",
]

# kind -> reader; each reader is `parse(data, url, start, end) -> ParseResult`.
READERS = {
    "ical": ical.parse,
    "page": html.parse,
    "confs": confs.parse,
}
KINDS = tuple(READERS)


def detect_kind(data: bytes, content_type: str | None = None) -> str:
    """Tell which reader fits `data`, from the content first and the declared type second."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data[:8192].decode("utf-16", errors="ignore").encode("utf-8")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    upper = head[:2048].upper()
    if upper.startswith(b"BEGIN:VCALENDAR") or b"BEGIN:VEVENT" in upper:
        return "ical"
    if confs.looks_like(data):
        return "confs"
    lower = head.lower()
    if any(tag in lower for tag in (b"<!doctype html", b"<html", b"<head", b"<body", b"<div")):
        return "page"
    declared = (content_type or "").lower()
    if "calendar" in declared:
        return "ical"
    if "html" in declared:
        return "page"
    raise ScraperError(
        "not a calendar or an event page: expected iCalendar (BEGIN:VCALENDAR) or HTML"
    )


def parse(
    data: bytes, url: str | None, start: datetime, end: datetime, kind: str | None = None
) -> ParseResult:
    """Read events from `data` with the reader for `kind` (detected when None)."""
    if isinstance(data, bytes) and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16").encode("utf-8")  # Outlook and some Windows tools export UTF-16
    kind = kind or detect_kind(data)
    try:
        reader = READERS[kind]
    except KeyError:
        raise ScraperError(f"unknown kind {kind!r}; known: {', '.join(sorted(READERS))}") from None
    result = reader(data, url, start, end)
    result.kind = kind
    return result
