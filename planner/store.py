"""Storing normalized events: one event per owner and fingerprint, one provenance row per source
and occurrence, idempotent and safe against a concurrent twin; events that leave a source are
marked gone, never deleted."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from planner.changes import touch
from planner.db import upsert
from planner.models import Event, EventPerson, EventSource, Source, SourceGroup
from planner.normalize import EventFields

CHUNK = 500  # ids per IN (...) clause: well under every backend's parameter limit


@dataclass
class IngestReport:
    found: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    parsed: bool = True  # False when nothing had to be read again
    parts_read: int = 0  # UID groups (or pages) parsed this time
    warnings: list[str] = field(default_factory=list)
    name: str | None = None

    def summary(self) -> str:
        if not self.parsed:
            return f"unchanged ({self.found} events)"
        return (
            f"{self.found} events: {self.added} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.gone} gone"
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
    if fresh or stale:
        touch(session, owner)
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
        for part in chunks(uids)
        for r in session.execute(query.where(EventSource.source_uid.in_(part)))
    )
    for uid, event_id, digest, gone_at in rows:
        found[uid] = (event_id, None if gone_at else digest)
    return found


def _event_ids(session: Session, owner: int, fingerprints: list[str]) -> dict[str, int]:
    """fingerprint -> id of the owner's events that have it."""
    ids: dict[str, int] = {}
    for part in chunks(sorted(set(fingerprints))):
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


def _insert_events(
    session: Session, owner: int, events: list[EventFields], now: datetime
) -> dict[str, int]:
    """Insert new events; one that a concurrent worker inserted first is reused, not doubled."""
    if not events:
        return {}
    table: Any = Event.__table__
    statement = upsert(session, table).on_conflict_do_nothing(
        index_elements=["owner_id", "fingerprint"]
    )
    statement = statement.returning(table.c.fingerprint, table.c.id)
    ids: dict[str, int] = {}
    for part in chunks([_event_row(e, now) | {"owner_id": owner} for e in events]):
        rows = session.execute(statement, part)
        ids.update({fingerprint: event_id for fingerprint, event_id in rows})
    _add_people(session, [(ids[e.fingerprint], e) for e in events if e.fingerprint in ids])
    missing = [e.fingerprint for e in events if e.fingerprint not in ids]
    ids.update(_event_ids(session, owner, missing))  # inserted meanwhile by a concurrent refresh
    return ids


def _replace_people(session: Session, pairs: list[tuple[int, EventFields]]) -> None:
    for part in chunks([event_id for event_id, _ in pairs]):
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
    row["sequence"] = case((_moved(event), Event.sequence + 1), else_=Event.sequence)
    session.execute(update(Event).where(Event.id == old_id, Event.owner_id == owner).values(row))
    ids[event.fingerprint] = old_id
    _replace_people(session, [(old_id, event)])
    return None


def _moved(event: EventFields) -> Any:
    """SQL: the stored event's time or place differs from `event` (calendar clients are told by
    a higher SEQUENCE)."""
    return or_(
        Event.start != event.start,
        Event.end.is_distinct_from(event.end),
        Event.all_day != event.all_day,
        Event.venue.is_distinct_from(event.venue),
        Event.address.is_distinct_from(event.address),
        Event.status != event.status,
    )


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
    for part in chunks(rows):
        statement = upsert(session, EventSource.__table__)
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
    since: datetime,
    now: datetime,
) -> int:
    """Links the source no longer lists become gone (past ones stay history); events with no
    live link left are marked gone, never deleted. `groups` None means the whole feed was read."""
    live = select(
        EventSource.id, EventSource.source_uid, EventSource.group_uid, EventSource.event_id
    ).where(
        EventSource.source_id == source.id,
        EventSource.gone_at.is_(None),
        EventSource.start >= since,
    )
    if groups is None:
        rows: Iterable[Any] = session.execute(live)
    else:  # only the groups that were read again or left the feed can have lost events
        touched = sorted(groups | removed)
        rows = (
            r
            for part in chunks(touched)
            for r in session.execute(live.where(EventSource.group_uid.in_(part)))
        )
    gone_links: list[int] = []
    events: set[int] = set()
    for link_id, uid, group, event_id in rows:
        vanished = group in removed or (uid not in seen and (groups is None or group in groups))
        if vanished:
            gone_links.append(link_id)
            events.add(event_id)
    if gone_links:
        touch(session, source.owner_id)  # the events' sources changed
    for part in chunks(gone_links):
        session.execute(update(EventSource).where(EventSource.id.in_(part)).values(gone_at=now))
    retire_orphans(session, events, now)
    return len(gone_links)


def retire_orphans(session: Session, event_ids: Iterable[int], now: datetime) -> None:
    """Events that no source lists any more are marked gone (kept, with their history).

    Their rows are locked before the check: two refreshes that at once drop an event's last two
    links (two sources of one owner) would otherwise each see the other's link still live, and
    neither would mark the event gone. The second to lock sees what the first committed."""
    still_listed = exists().where(
        and_(EventSource.event_id == Event.id, EventSource.gone_at.is_(None))
    )
    ids = sorted(set(event_ids))
    if ids:
        touch(session, session.scalar(select(Event.owner_id).where(Event.id == ids[0])))
    for part in chunks(ids):
        locked = select(Event.id).where(Event.id.in_(part)).order_by(Event.id)
        session.execute(locked.with_for_update(key_share=True))  # PostgreSQL: FOR NO KEY UPDATE
        session.execute(
            update(Event)
            .where(Event.id.in_(part), ~still_listed)
            .values(gone_at=now, updated_at=now)
        )


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def group_hashes(session: Session, source: Source) -> dict[str, str]:
    """group -> hash of its text when the source was last read."""
    rows = session.execute(
        select(SourceGroup.group_uid, SourceGroup.hash).where(SourceGroup.source_id == source.id)
    )
    return {group: digest for group, digest in rows}


def save_group_hashes(
    session: Session,
    source: Source,
    hashes: dict[str, str],
    changed: Iterable[str],
    removed: Iterable[str],
    everything: bool,
) -> None:
    """Remember what was read: all groups after a full read, else the changed and removed ones."""
    table: Any = SourceGroup.__table__
    if everything:
        session.execute(delete(SourceGroup).where(SourceGroup.source_id == source.id))
    else:
        for part in chunks(sorted(set(changed) | set(removed))):
            session.execute(
                delete(SourceGroup).where(
                    SourceGroup.source_id == source.id, SourceGroup.group_uid.in_(part)
                )
            )
    keep = hashes if everything else {g: hashes[g] for g in changed if g in hashes}
    rows = [{"source_id": source.id, "group_uid": g[:500], "hash": h} for g, h in keep.items()]
    for part in chunks(rows):
        session.execute(insert(table), part)
