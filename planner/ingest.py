"""Bytes of a source -> Event rows: parse (only what changed, in batches), normalize, then store
(planner.store: dedupe, upsert, mark gone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import scrapers
from planner.db import collector_paused
from planner.geocode import zone_events
from planner.models import EventSource, Source
from planner.normalize import EventFields, normalize_event
from planner.store import (
    IngestReport,
    chunks,
    group_hashes,
    mark_gone,
    save_group_hashes,
    upsert_events,
)
from scrapers import ical

__all__ = [
    "BATCH",
    "IngestReport",
    "Window",
    "ingest",
    "read_events",
    "store_events",
    "stored_groups",
]

BATCH = 1000  # UID groups parsed at a time: bounds memory on huge feeds


@dataclass
class Window:
    """Occurrences that start in [start, end) are read."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, now: datetime, days: int = 365) -> Window:
        """From the start of yesterday to `days` ahead: the default of `planner extract`."""
        day = (now.astimezone(UTC) - timedelta(days=1)).date()
        return cls(datetime.combine(day, time(), UTC), now.astimezone(UTC) + timedelta(days=days))

    @classmethod
    def between(cls, first: date, last: date) -> Window:
        """Both dates inclusive."""
        return cls(
            datetime.combine(first, time(), UTC),
            datetime.combine(last + timedelta(days=1), time(), UTC),
        )


def read_events(
    data: bytes | ical.FeedParts, url: str | None, window: Window, kind: str | None = None
) -> tuple[list[EventFields], scrapers.ParseResult]:
    """Parse and normalize (the place telling the zone of wall-clock times); a bad event is
    skipped with a warning on the result."""
    result = scrapers.parse(data, url, window.start, window.end, kind=kind)  # type: ignore[arg-type]
    events: list[EventFields] = []
    for raw in result.events:
        try:
            events.append(normalize_event(raw, url))
        except ValueError as exc:
            result.warnings.append(f"skipped event: {exc}")
    zone_events(events)
    return events, result


def ingest(
    session: Session,
    source: Source,
    data: bytes,
    window: Window,
    now: datetime,
    kind: str | None = None,
) -> IngestReport:
    """Bring the events in `data` into the database as `source` lists them. Caller commits.

    An iCal feed is cut into UID groups: only groups whose text changed since the last read (in
    the same window) are parsed again, in batches, so memory stays bounded however big the feed."""
    kind = kind or source.kind or scrapers.detect_kind(data)
    report = IngestReport()
    if kind != "ical":
        events, result = read_events(data, source.url, window, kind)
        return store_events(session, source, events, result, window, now)
    parts = ical.split(data)
    same_window = source.window_start == window.start.date()
    stored = group_hashes(session, source) if same_window else {}
    changed = [u for u, h in parts.hashes.items() if stored.get(u) != h]
    removed = set(stored) - set(parts.hashes)
    if stored and not changed and not removed:
        report.parsed = False
        report.found = _live_count(session, source)
        return report
    seen: set[str] = set()
    batches = chunks(changed, BATCH) if parts.single_calendar else [None]
    for batch in batches:
        chunk = parts if batch is None else parts.select(batch)
        report.parts_read += len(chunk.groups)
        with collector_paused():
            events, result = read_events(chunk, source.url, window, kind)
            _store(session, source, events, result, report, now)
        seen.update(e.source_uid for e in events)
    groups = set(changed) if stored else None
    _finish(session, source, report, now, window, seen, groups, removed)
    save_group_hashes(session, source, parts.hashes, changed, removed, everything=not stored)
    return report


def store_events(
    session: Session,
    source: Source,
    events: list[EventFields],
    result: scrapers.ParseResult,
    window: Window,
    now: datetime,
    groups: set[str] | None = None,
    removed: frozenset[str] | set[str] = frozenset(),
) -> IngestReport:
    """Store what was read from a source; `groups` names the parts that were read (None: all
    of it), `removed` the parts it no longer has. Events of parts not read stay as they are."""
    report = IngestReport()
    _store(session, source, events, result, report, now)
    seen = {e.source_uid for e in events}
    _finish(session, source, report, now, window, seen, groups, set(removed))
    return report


def _store(
    session: Session,
    source: Source,
    events: list[EventFields],
    result: scrapers.ParseResult,
    report: IngestReport,
    now: datetime,
) -> None:
    report.warnings.extend(w for w in result.warnings if w not in report.warnings)
    report.name = report.name or result.name
    upsert_events(session, source, events, now, report)


def _finish(
    session: Session,
    source: Source,
    report: IngestReport,
    now: datetime,
    window: Window,
    seen: set[str],
    groups: set[str] | None,
    removed: set[str],
) -> None:
    report.gone = mark_gone(session, source, seen, groups, removed, window.start, now)
    source.window_start = window.start.date()
    report.found = _live_count(session, source)


def stored_groups(session: Session, source: Source) -> dict[str, str | None]:
    """group -> hash of the text it was last read from, for the source's live events."""
    rows = session.execute(
        select(EventSource.group_uid, EventSource.block_hash).where(
            EventSource.source_id == source.id, EventSource.gone_at.is_(None)
        )
    )
    return {uid: digest for uid, digest in rows}


def _live_count(session: Session, source: Source) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(EventSource)
            .where(EventSource.source_id == source.id, EventSource.gone_at.is_(None))
        )
        or 0
    )
