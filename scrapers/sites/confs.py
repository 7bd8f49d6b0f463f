"""tech-conferences/conference-data JSON (the data behind confs.tech): one entry, one all-day event.

`conferences/<year>/<topic>.json` is an array of {name, url, startDate, endDate (inclusive),
city, country, online, cfpUrl, cfpEndDate, twitter, mastodon, cocUrl, locales}.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from scrapers.model import ParseResult, RawEvent, ScraperError
from scrapers.when import parse_when

HOST = "raw.githubusercontent.com"


def looks_like(data: bytes) -> bool:
    """A JSON array whose first entry has a name and a startDate."""
    head = data[:2000].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[") and b'"startDate"' in head and b'"name"' in head


def parse(data: bytes, url: str | None, start: datetime, end: datetime) -> ParseResult:
    try:
        entries = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScraperError(f"not conference data: {exc}") from None
    if not isinstance(entries, list):
        raise ScraperError("not conference data: expected a JSON array of conferences")
    result = ParseResult(name=_name(url))
    for index, entry in enumerate(entries):
        event = _event(entry, index) if isinstance(entry, dict) else None
        if event is None:
            result.warnings.append(f"skipped entry {index + 1}: no name or no valid startDate")
        elif start.date() <= _last_day(event) and event.start < end.date():  # type: ignore[operator]
            result.events.append(event)
    return result


def _event(entry: dict[str, Any], index: int) -> RawEvent | None:
    first = parse_when(entry.get("startDate"))
    last = parse_when(entry.get("endDate")) or first
    name = entry.get("name")
    if not isinstance(first, date) or not isinstance(name, str) or not name.strip():
        return None
    first, last = _day(first), _day(last)  # type: ignore[arg-type]
    url = entry.get("url") if isinstance(entry.get("url"), str) else None
    return RawEvent(
        uid=f"{url or name}#{first.isoformat()}",
        title=name,
        start=first,
        end=max(last, first) + timedelta(days=1),  # the data's endDate is the last day
        url=url,
        description=_description(entry),
        address=", ".join(p for p in (entry.get("city"), entry.get("country")) if p) or None,
        attendance=_attendance(entry),
        reader="confs",
        group=f"{url or name}#{index}",
    )


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _last_day(event: RawEvent) -> date:
    assert isinstance(event.end, date)
    return event.end - timedelta(days=1)


def _attendance(entry: dict[str, Any]) -> str:
    """`online: true` with a city is a hybrid conference; without one, online only."""
    if entry.get("online") is True:
        return "hybrid" if entry.get("city") else "online"
    return "in_person"


def _description(entry: dict[str, Any]) -> str | None:
    lines = []
    if entry.get("cfpUrl"):
        until = f" until {entry['cfpEndDate']}" if entry.get("cfpEndDate") else ""
        lines.append(f"Call for papers{until}: {entry['cfpUrl']}")
    for key, label in (
        ("cocUrl", "Code of conduct"),
        ("twitter", "Twitter"),
        ("mastodon", "Mastodon"),
        ("locales", "Languages"),
    ):
        if entry.get(key):
            lines.append(f"{label}: {entry[key]}")
    return "\n".join(lines) or None


def _name(url: str | None) -> str | None:
    if not url or "/conferences/" not in url:
        return None
    year, _, topic = url.rsplit("/conferences/", 1)[1].partition("/")
    return f"confs.tech: {topic.removesuffix('.json')} {year}".strip()
