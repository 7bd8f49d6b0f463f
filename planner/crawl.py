"""Event pages: read a page source and, when it is a listing, the event pages it links to.

Only pages on the listing's own site are followed, at most `max_pages` per run (new ones first,
then those read longest ago), each through the same guarded, polite fetcher. A page whose bytes
did not change since the last read is not parsed again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scrapers
from planner.fetch import Fetcher, FetchError
from planner.ingest import IngestReport, Window, read_events, store_events, stored_groups
from planner.models import EventSource, Source
from planner.normalize import EventFields


@dataclass
class Crawl:
    events: list[EventFields] = field(default_factory=list)
    read: set[str] = field(default_factory=set)  # pages parsed this run
    warnings: list[str] = field(default_factory=list)
    name: str | None = None


def ingest_pages(
    session: Session,
    source: Source,
    data: bytes,
    fetcher: Fetcher,
    window: Window,
    now: datetime,
    max_pages: int,
) -> IngestReport:
    """Read the page at `source.url` (already downloaded as `data`) and the pages it lists."""
    stored = stored_groups(session, source)
    crawl = Crawl()
    first, result = read_events(data, source.url, window, "page")
    crawl.name = result.name
    _add(crawl, source.url, data, first, result.warnings)
    links = [url for url in result.links if same_site(url, source.url)]
    for url in pick(links, stored, _last_read(session, source), max_pages):
        _read_linked(crawl, url, fetcher, window, stored)
    if len(links) > max_pages:
        crawl.warnings.append(f"{len(links)} event pages listed; {max_pages} read per run")
    listed = set(links) | {source.url}
    removed = {group for group in stored if group not in listed} if result.links else set()
    parsed = scrapers.ParseResult(warnings=crawl.warnings, name=crawl.name)
    return store_events(session, source, crawl.events, parsed, window, now, crawl.read, removed)


def _read_linked(
    crawl: Crawl, url: str, fetcher: Fetcher, window: Window, stored: dict[str, str | None]
) -> None:
    try:
        fetched = fetcher.fetch(url)
    except FetchError as exc:
        crawl.warnings.append(f"could not read {exc}")
        return
    if stored.get(url) == _digest(fetched.content):
        return  # unchanged since the last read: its events stay as they are
    try:
        events, result = read_events(fetched.content, url, window, "page")
    except scrapers.ScraperError as exc:
        crawl.warnings.append(f"{url}: {exc}")
        return
    _add(crawl, url, fetched.content, events, result.warnings)


def _add(
    crawl: Crawl, url: str, data: bytes, events: list[EventFields], warnings: list[str]
) -> None:
    digest = _digest(data)
    for event in events:
        event.group_uid, event.block_hash = url, digest
    crawl.events.extend(events)
    crawl.read.add(url)
    crawl.warnings.extend(f"{url}: {w}" for w in warnings)


def pick(
    links: list[str], stored: dict[str, str | None], last_read: dict[str, datetime], limit: int
) -> list[str]:
    """At most `limit` links: pages never read first (in listing order), then the stalest."""
    new = [url for url in links if url not in stored]
    known = sorted((url for url in links if url in stored), key=lambda u: last_read.get(u, _EPOCH))
    return (new + known)[: max(limit, 0)]


def same_site(url: str, home: str) -> bool:
    """The same host as the listing, `www.` or not."""

    def host(value: str) -> str:
        return (urlsplit(value).hostname or "").removeprefix("www.")

    return bool(host(url)) and host(url) == host(home)


def _last_read(session: Session, source: Source) -> dict[str, datetime]:
    rows = session.execute(
        select(EventSource.group_uid, func.min(EventSource.seen_at))
        .where(EventSource.source_id == source.id, EventSource.gone_at.is_(None))
        .group_by(EventSource.group_uid)
    )
    return {group: seen for group, seen in rows}


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


_EPOCH = datetime.fromtimestamp(0).astimezone()
