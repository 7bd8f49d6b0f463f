"""Bytes of a source -> Event rows: parse (what changed), normalize, dedupe, upsert, mark gone."""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import scrapers
from planner.models import Event, EventPerson, EventSource, Source
from planner.normalize import EventFields, normalize_event
from scrapers import ical

log = logging.getLogger(__name__)
CHUNK = 500  # ids per IN (...) clause: well under every backend's parameter limit
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


@dataclass
class IngestReport:
    found: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    parsed: bool = True  # False when nothing had to be read again
    warnings: list[str] = field(default_factory=list)
    name: str | None = None

    def summary(self) -> str:
        if not self.parsed:
            return f"unchanged ({self.found} events)"
        return (
            f"{self.found} events: {self.added} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.gone} gone"
        )


def read_events(
    data: bytes | ical.FeedParts, url: str | None, window: Window, kind: str | None = None
) -> tuple[list[EventFields], scrapers.ParseResult]:
    """Parse and normalize; a bad event is skipped with a warning on the result."""
    result = scrapers.parse(data, url, window.start, window.end, kind=kind)  # type: ignore[arg-type]
    events: list[EventFields] = []
    for raw in result.events:
        try:
            events.append(normalize_event(raw, url))
        except ValueError as exc:
            result.warnings.append(f"skipped event: {exc}")
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
    stored = stored_groups(session, source) if same_window else {}
    changed = [u for u, h in parts.hashes.items() if stored.get(u) != h]
    removed = set(stored) - set(parts.hashes)
    if stored and not changed and not removed:
        report.parsed = False
        report.found = _live_count(session, source)
        return report
    seen: set[str] = set()
    batches = _chunks(changed, BATCH) if parts.single_calendar else [None]
    for batch in batches:
        chunk = parts if batch is None else parts.select(batch)
        with _collector_paused():
            events, result = read_events(chunk, source.url, window, kind)
            _store(session, source, events, result, report, now)
        seen.update(e.source_uid for e in events)
    groups = set(changed) if stored else None
    _finish(session, source, report, now, window, seen, groups, removed)
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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing a batch allocates hundreds of thousands of objects that all stay alive until the
    batch is stored: the cyclic garbage collector would scan them again and again for nothing.
    It is paused for one batch (bounded memory) and runs once after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
    report.gone = mark_gone(session, source, seen, groups, removed, window, now)
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
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count())
            .select_from(EventSource)
            .where(EventSource.source_id == source.id, EventSource.gone_at.is_(None))
        )
        or 0
    )


def fields_hash(event: EventFields) -> str:
    """A digest of everything stored about the event: equal digests, nothing to write."""
    people = [(p.name, p.role, p.url, p.email) for p in event.people]
    values = (
        event.fingerprint,
        event.group_uid,
        event.title,
        event.start,
        event.end,
        event.all_day,
        event.floating,
        event.timezone,
        event.url,
        event.description,
        event.venue,
        event.address,
        event.lat,
        event.lon,
        event.attendance,
        event.status,
        event.organizers,
        event.categories,
        event.image,
        event.price,
        event.confidence,
        people,
    )
    return hashlib.blake2b(repr(values).encode(), digest_size=20).hexdigest()


def upsert_events(
    session: Session,
    source: Source,
    events: Sequence[EventFields],
    now: datetime,
    report: IngestReport | None = None,
) -> IngestReport:
    """Insert or update events and their provenance; safe against a concurrent twin."""
    report = report or IngestReport()
    events = list({e.source_uid: e for e in events}.values())  # last one wins within a feed
    links = _links_of(session, source, [e.source_uid for e in events])
    hashes = {e.source_uid: fields_hash(e) for e in events}
    fresh = [e for e in events if e.source_uid not in links]
    stale = [
        e
        for e in events
        if e.source_uid in links and links[e.source_uid][1] != hashes[e.source_uid]
    ]
    report.unchanged += len(events) - len(fresh) - len(stale)
    owner = source.owner_id
    ids = _event_ids(session, owner, [e.fingerprint for e in fresh + stale])
    new = {e.fingerprint: e for e in fresh if e.fingerprint not in ids}
    known = [e for e in fresh if e.fingerprint not in new]
    ids.update(_insert_events(session, owner, list(new.values()), now))
    moved = [_update_event(session, e, owner, links[e.source_uid][0], ids, now) for e in stale]
    _fill_gaps(session, known, ids, now)
    _upsert_links(session, source, fresh + stale, ids, hashes, now)
    retire_orphans(session, [old for old in moved if old is not None], now)
    report.added += len(new)
    report.updated += len(stale)
    return report


def _links_of(
    session: Session, source: Source, uids: list[str]
) -> dict[str, tuple[int, str | None]]:
    """source_uid -> (event id, fields hash) of what this source listed before; a link that was
    gone has no hash, so the event it comes back with is written again."""
    found: dict[str, tuple[int, str | None]] = {}
    if not uids:
        return found
    query: Select[Any] = select(  # type: ignore[assignment]
        EventSource.source_uid, EventSource.event_id, EventSource.fields_hash, EventSource.gone_at
    ).where(EventSource.source_id == source.id)
    rows = (
        r
        for part in _chunks(uids)
        for r in session.execute(query.where(EventSource.source_uid.in_(part)))
    )
    for uid, event_id, digest, gone_at in rows:
        found[uid] = (event_id, None if gone_at else digest)
    return found


def _event_ids(session: Session, owner: int, fingerprints: list[str]) -> dict[str, int]:
    """fingerprint -> id of the owner's events that have it."""
    ids: dict[str, int] = {}
    for part in _chunks(sorted(set(fingerprints))):
        rows = session.execute(
            select(Event.fingerprint, Event.id).where(
                Event.owner_id == owner, Event.fingerprint.in_(part)
            )
        )
        ids.update({fingerprint: event_id for fingerprint, event_id in rows})
    return ids


def _event_row(event: EventFields, now: datetime) -> dict[str, Any]:
    return {
        "fingerprint": event.fingerprint,
        "title": event.title,
        "start": event.start,
        "end": event.end,
        "all_day": event.all_day,
        "floating": event.floating,
        "timezone": event.timezone,
        "url": event.url,
        "description": event.description,
        "venue": event.venue,
        "address": event.address,
        "lat": event.lat,
        "lon": event.lon,
        "attendance": event.attendance,
        "image": event.image,
        "price": event.price,
        "confidence": event.confidence,
        "status": event.status,
        "organizers": event.organizers,
        "categories": event.categories,
        "first_seen_at": now,
        "last_seen_at": now,
        "updated_at": now,
        "gone_at": None,
    }


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _insert_events(
    session: Session, owner: int, events: list[EventFields], now: datetime
) -> dict[str, int]:
    """Insert new events; one that a concurrent worker inserted first is reused, not doubled."""
    if not events:
        return {}
    table: Any = Event.__table__
    statement = _insert(session, table).on_conflict_do_nothing(
        index_elements=["owner_id", "fingerprint"]
    )
    statement = statement.returning(table.c.fingerprint, table.c.id)
    ids: dict[str, int] = {}
    for part in _chunks([_event_row(e, now) | {"owner_id": owner} for e in events]):
        rows = session.execute(statement, part)
        ids.update({fingerprint: event_id for fingerprint, event_id in rows})
    _add_people(session, [(ids[e.fingerprint], e) for e in events if e.fingerprint in ids])
    missing = [e.fingerprint for e in events if e.fingerprint not in ids]
    ids.update(_event_ids(session, owner, missing))  # inserted meanwhile by a concurrent refresh
    return ids


def _replace_people(session: Session, pairs: list[tuple[int, EventFields]]) -> None:
    for part in _chunks([event_id for event_id, _ in pairs]):
        session.execute(delete(EventPerson).where(EventPerson.event_id.in_(part)))
    _add_people(session, pairs)


def _add_people(session: Session, pairs: list[tuple[int, EventFields]]) -> None:
    people = [
        {"event_id": event_id, "name": p.name, "role": p.role, "url": p.url, "email": p.email}
        for event_id, e in pairs
        for p in e.people
    ]
    if people:
        session.execute(insert(EventPerson.__table__), people)  # type: ignore[arg-type]


def _update_event(
    session: Session,
    event: EventFields,
    owner: int,
    old_id: int,
    ids: dict[str, int],
    now: datetime,
) -> int | None:
    """The source changed this event: rewrite it in place, or, when it now matches another
    event, move the link there and return the old id (which may be left with no source)."""
    if ids.get(event.fingerprint, old_id) != old_id:
        return old_id
    row = _event_row(event, now)
    del row["first_seen_at"]
    session.execute(update(Event).where(Event.id == old_id, Event.owner_id == owner).values(row))
    ids[event.fingerprint] = old_id
    _replace_people(session, [(old_id, event)])
    return None


def _fill_gaps(
    session: Session, events: list[EventFields], ids: dict[str, int], now: datetime
) -> None:
    """A second source lists a known event: keep it one event, add what was missing."""
    for event in events:
        stored = session.get(Event, ids[event.fingerprint])
        if stored is None:
            continue
        for name in ("url", "description", "venue", "address", "lat", "lon", "timezone"):
            if getattr(stored, name) is None and getattr(event, name) is not None:
                setattr(stored, name, getattr(event, name))
        stored.last_seen_at = now
        stored.gone_at = None


def _upsert_links(
    session: Session,
    source: Source,
    events: list[EventFields],
    ids: dict[str, int],
    hashes: dict[str, str],
    now: datetime,
) -> None:
    rows = [
        {
            "event_id": ids[e.fingerprint],
            "source_id": source.id,
            "source_uid": e.source_uid,
            "group_uid": e.group_uid,
            "block_hash": e.block_hash,
            "fields_hash": hashes[e.source_uid],
            "url": e.url,
            "start": e.start,
            "seen_at": now,
            "gone_at": None,
        }
        for e in events
    ]
    for part in _chunks(rows):
        statement = _insert(session, EventSource.__table__)
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "source_uid"],
            set_={
                name: statement.excluded[name]
                for name in (
                    "event_id",
                    "group_uid",
                    "block_hash",
                    "fields_hash",
                    "url",
                    "start",
                    "seen_at",
                    "gone_at",
                )
            },
        )
        session.execute(statement, part)


def mark_gone(
    session: Session,
    source: Source,
    seen: set[str],
    groups: set[str] | None,
    removed: set[str],
    window: Window,
    now: datetime,
) -> int:
    """Links the source no longer lists become gone (past ones stay history); events with no
    live link left are marked gone, never deleted. `groups` None means the whole feed was read."""
    live = select(
        EventSource.id, EventSource.source_uid, EventSource.group_uid, EventSource.event_id
    ).where(
        EventSource.source_id == source.id,
        EventSource.gone_at.is_(None),
        EventSource.start >= window.start,
    )
    if groups is None:
        rows: Iterable[Any] = session.execute(live)
    else:  # only the groups that were read again or left the feed can have lost events
        touched = sorted(groups | removed)
        rows = (
            r
            for part in _chunks(touched)
            for r in session.execute(live.where(EventSource.group_uid.in_(part)))
        )
    gone_links: list[int] = []
    events: set[int] = set()
    for link_id, uid, group, event_id in rows:
        vanished = group in removed or (uid not in seen and (groups is None or group in groups))
        if vanished:
            gone_links.append(link_id)
            events.add(event_id)
    for part in _chunks(gone_links):
        session.execute(update(EventSource).where(EventSource.id.in_(part)).values(gone_at=now))
    retire_orphans(session, events, now)
    return len(gone_links)


def retire_orphans(session: Session, event_ids: Iterable[int], now: datetime) -> None:
    """Events that no source lists any more are marked gone (kept, with their history)."""
    still_listed = exists().where(
        and_(EventSource.event_id == Event.id, EventSource.gone_at.is_(None))
    )
    for part in _chunks(sorted(set(event_ids))):
        session.execute(
            update(Event)
            .where(Event.id.in_(part), ~still_listed)
            .values(gone_at=now, updated_at=now)
        )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
