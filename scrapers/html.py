"""Event pages: structured data first (JSON-LD, microdata, microformats), merged field by field,
then what the page's site reader adds; a heuristic guess only when a page has no structured data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, time

from scrapers import heuristic, jsonld, microdata, microformats
from scrapers.model import ParseResult, RawEvent
from scrapers.page import Page
from scrapers.sites import site_for

# Generic readers, most trusted first: a later reader only fills what earlier ones left empty.
GENERIC: tuple[Callable[[Page], list[RawEvent]], ...] = (
    jsonld.read,
    microdata.read,
    microformats.read,
)


def parse(data: bytes, url: str | None, start: datetime, end: datetime) -> ParseResult:
    """Events on the page that touch [start, end), and the event pages it lists."""
    page = Page.from_bytes(data, url)
    site = site_for(url)
    found: list[RawEvent] = []
    for reader in GENERIC:
        found = merge(found, reader(page))
    if not found:
        found = heuristic.read(page)
    events = site.events(page, found)
    links = _unique(jsonld.links(page) + site.links(page), exclude=url)
    result = ParseResult(events=[e for e in events if _touches(e, start, end)], links=links)
    result.name = _title(page)
    result.warnings.extend(page.notes)
    seen: dict[str, int] = {}
    for event in result.events:
        event.group = event.group or url
        seen[event.uid] = seen.get(event.uid, 0) + 1
        if seen[event.uid] > 1:  # two events sharing an address (a series' home page)
            event.uid = f"{event.uid}#{seen[event.uid]}"
    return result


def same_event(a: RawEvent, b: RawEvent) -> bool:
    """Two readers describing one event: the same address, or the same title and start."""
    if a.url and b.url and a.url.rstrip("/") == b.url.rstrip("/"):
        return True
    return " ".join(a.title.casefold().split()) == " ".join(b.title.casefold().split()) and (
        _day(a.start) == _day(b.start)
    )


def merge(known: list[RawEvent], more: list[RawEvent]) -> list[RawEvent]:
    """`known` events completed field by field from `more`; events only in `more` are added."""
    merged = list(known)
    for event in more:
        twin = next((k for k in merged if same_event(k, event)), None)
        if twin is None:
            merged.append(event)
            continue
        for field in fields(RawEvent):
            if getattr(twin, field.name) in (None, "", []) and getattr(event, field.name):
                setattr(twin, field.name, getattr(event, field.name))
    return merged


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _touches(event: RawEvent, start: datetime, end: datetime) -> bool:
    begins = _instant(event.start)
    ends = _instant(event.end) if event.end is not None else begins
    return begins < end and (ends > start or begins >= start)


def _instant(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _unique(urls: list[str], exclude: str | None) -> list[str]:
    seen: list[str] = []
    for url in urls:
        if url and url != exclude and url not in seen:
            seen.append(url)
    return seen


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def _title(page: Page) -> str | None:
    """The page's <title> (read without building a soup), as the source's default name."""
    found = _TITLE.search(page.text[:200_000])
    text = " ".join(html.unescape(found.group(1)).split()) if found else ""
    return text[:300] or None
