"""Recommendations from the database: the user's rows become matcher records, contact evidence is
worked out by a job when events or contacts change (never at ranking time), and each ranking is
remembered for what each goal and source has yielded.

    update_evidence(owner_id)                    # job: after a refresh, an import, an edit
    recommend(session, user, now, limit=10)      # -> [Recommended(match, event)]
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from planner import changes, db, matcher
from planner.attendance import feedback_records
from planner.changes import touch, versions_of
from planner.matcher.evidence import contact_weight
from planner.matcher.identity import interests
from planner.models import (
    Contact,
    ContactEvidence,
    Event,
    EventFeedback,
    EventPerson,
    EventSource,
    Goal,
    Recommendation,
    Source,
    Trip,
    User,
)

HORIZON = timedelta(days=120)  # how far ahead recommendations look
EVIDENCE_BATCH = 500
JUDGED = 200  # the most recently judged past events read for what they teach the ranking


RowsLoader = Callable[[Session, int, list[int]], Mapping[int, Any]]


@dataclass(frozen=True)
class Recommended:
    match: matcher.Match
    event: Event


def profile_of(user: User) -> matcher.Profile:
    return matcher.from_row(matcher.Profile, user, availability=tuple(user.availability or ()))


def goal_records(session: Session, user: User) -> list[matcher.Goal]:
    rows = session.scalars(select(Goal).where(Goal.owner_id == user.id).order_by(Goal.id))
    return [matcher.from_row(matcher.Goal, row) for row in rows]


def trip_records(session: Session, user: User) -> list[matcher.Trip]:
    rows = session.scalars(select(Trip).where(Trip.owner_id == user.id).order_by(Trip.starts_on))
    return [matcher.from_row(matcher.Trip, row) for row in rows]


def copied(kind: type, model: type) -> list[Any]:
    """The columns of `model` that a matcher record of `kind` copies (`matcher.from_row`): read
    as plain rows, not ORM objects, in a third of the time."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    return [getattr(model, f.name) for f in dataclasses.fields(kind) if f.name in columns]


CONTACT_COLUMNS = copied(matcher.Contact, Contact)
EVENT_COLUMNS = copied(matcher.Event, Event)  # (people and sources are read apart)


def contact_records(session: Session, owner_id: int) -> list[matcher.Contact]:
    rows = session.execute(select(*CONTACT_COLUMNS).where(Contact.owner_id == owner_id))
    return [matcher.from_row(matcher.Contact, row) for row in rows]


def upcoming(owner_id: int, now: datetime) -> tuple[Any, ...]:
    """Conditions on `Event` for the owner's events still listed somewhere that start (or
    still run) from `now` on, within the horizon."""
    return (
        Event.owner_id == owner_id,
        Event.gone_at.is_(None),
        Event.start >= now - timedelta(days=1),
        Event.start <= now + HORIZON,
    )


def event_records(session: Session, *where: Any) -> list[matcher.Event]:
    """Matcher records of the events `where` selects (conditions on `Event`), by start, with
    their people and the sources that list them: read as plain rows in three queries, not as
    ORM objects (a third of the time for 500 events)."""
    people: dict[int, list[matcher.Person]] = {}
    named = (
        select(EventPerson.event_id, EventPerson.name, EventPerson.role, EventPerson.url,
               EventPerson.email)
        .join(Event, Event.id == EventPerson.event_id)
        .where(*where)
        .order_by(EventPerson.id)
    )  # fmt: skip
    for event_id, name, role, url, email in session.execute(named):
        people.setdefault(event_id, []).append(matcher.Person(name, role, url, email))
    listed: dict[int, set[str]] = {}
    sources = (
        select(EventSource.event_id, Source.name, Source.url)
        .join(Source, Source.id == EventSource.source_id)
        .join(Event, Event.id == EventSource.event_id)
        .where(*where, EventSource.gone_at.is_(None), Source.owner_id == Event.owner_id)
    )
    for event_id, source_name, url in session.execute(sources):
        listed.setdefault(event_id, set()).add(source_name or url)
    rows = session.execute(select(*EVENT_COLUMNS).where(*where).order_by(Event.start, Event.id))
    return [
        matcher.from_row(
            matcher.Event,
            row,
            people=tuple(people.get(row.id, ())),
            sources=tuple(sorted(listed.get(row.id, ()))),
        )
        for row in rows
    ]


def upcoming_records(session: Session, owner_id: int, now: datetime) -> list[matcher.Event]:
    """Records of the owner's upcoming events (`upcoming`), by start."""
    return event_records(session, *upcoming(owner_id, now))


def judged_records(session: Session, owner_id: int, skip: set[int]) -> list[matcher.Event]:
    """Records of the owner's most recently judged events not in `skip` (the past ones
    `upcoming` leaves out): the matcher learns from what was attended or turned down there,
    and never recommends them."""
    recent = session.scalars(
        select(EventFeedback.event_id)
        .where(EventFeedback.owner_id == owner_id)
        .order_by(EventFeedback.at.desc(), EventFeedback.id.desc())
        .limit(JUDGED)
    )
    wanted = [event_id for event_id in recent if event_id not in skip]
    if not wanted:
        return []
    return event_records(session, Event.owner_id == owner_id, Event.id.in_(wanted))


def event_record(row: Event) -> matcher.Event:
    """The matcher record of an ORM row (its people and sources are loaded as needed)."""
    people = tuple(matcher.Person(p.name, p.role, p.url, p.email) for p in row.people)
    sources = tuple(
        sorted(
            {
                link.source.name or link.source.url
                for link in row.links
                if link.gone_at is None and link.source.owner_id == row.owner_id
            }
        )
    )
    return matcher.from_row(matcher.Event, row, people=people, sources=sources)


def update_evidence(owner_id: int, now: str | None = None) -> dict[str, Any]:
    """Job: which of the owner's contacts each upcoming event shows to be there (and who is
    likely), replacing what was worked out before."""
    from planner.jobs import parse_now

    session = db.session()
    moment = parse_now(now)
    index = matcher.ContactIndex(contact_records(session, owner_id))
    events = upcoming_records(session, owner_id, moment)
    session.execute(delete(ContactEvidence).where(ContactEvidence.owner_id == owner_id))
    touch(session, owner_id, events=False)
    claims = 0
    for start in range(0, len(events), EVIDENCE_BATCH):
        for record in events[start : start + EVIDENCE_BATCH]:
            for claim in matcher.find_contacts(index, record):
                session.add(
                    ContactEvidence(
                        event_id=record.id,
                        contact_id=claim.contact_id,
                        owner_id=owner_id,
                        role=claim.role,
                        evidence=claim.evidence[:1000],
                        strength=contact_weight(claim),
                    )
                )
                claims += 1
        session.flush()
    session.commit()
    return {"owner_id": owner_id, "events": len(events), "claims": claims}


def enqueue_evidence(owner_id: int) -> Any:
    """Queue `update_evidence` (on the in-process job thread without Redis)."""
    from planner.jobs import enqueue

    return enqueue(
        update_evidence,
        owner_id,
        job_id=f"evidence-{owner_id}",
        queue_name="match",
        background=True,
        unique=False,
    )


def evidence_of(
    session: Session, owner_id: int, contacts: dict[int, matcher.Contact]
) -> dict[int, list[matcher.ContactAtEvent]]:
    """The stored claims, event id -> claims, as the matcher reads them."""
    found: dict[int, list[matcher.ContactAtEvent]] = {}
    rows = session.execute(
        select(
            ContactEvidence.event_id,
            ContactEvidence.contact_id,
            ContactEvidence.role,
            ContactEvidence.evidence,
        )
        .where(ContactEvidence.owner_id == owner_id)
        .order_by(ContactEvidence.event_id, ContactEvidence.strength.desc())
    )
    topics: dict[int, tuple[str, ...]] = {}
    for event_id, contact_id, role, evidence in rows:
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        if contact.id not in topics:
            topics[contact.id] = tuple(dict.fromkeys(interests(contact).values()))
        claim = matcher.ContactAtEvent(
            contact.id, contact.name, role, evidence, contact.tie, topics[contact.id]
        )
        found.setdefault(event_id, []).append(claim)
    return found


def recommend(
    session: Session,
    user: User,
    now: datetime,
    limit: int = 10,
    remember: bool = True,
    rows: RowsLoader | None = None,
) -> list[Recommended]:
    """The user's best upcoming events with reasons; remembered (per goal and source) unless
    `remember` is false. Each comes with its ORM row (people and sources loaded), or with what
    `rows(session, owner_id, ids)` gives (remembering reads the ORM row's sources: not with
    `rows`)."""
    if remember and rows is not None:
        raise ValueError("remembering reads the ORM rows' sources: give no `rows`")
    got = inputs_for(session, user, now)
    matches = matcher.match(
        got.profile,
        got.goals,
        got.events,
        got.evidence,
        got.feedback,
        now,
        limit=limit,
        serendipity=user.serendipity,
        trips=got.trips,
        index=got.index,
    )
    by_id = (rows or _rows_by_id)(session, user.id, [m.event_id for m in matches])
    found = [Recommended(m, by_id[m.event_id]) for m in matches if m.event_id in by_id]
    if remember:
        _remember(session, user, found, got.goals, now)
    return found


@dataclass(frozen=True)
class Inputs:
    """All the matcher reads of one owner, as records: it changes only with the owner's data
    (`User.data_version`, planner/changes.py), and with the hour (the upcoming window moves).
    The records of the upcoming events change only with `User.events_version` and the hour."""

    version: int
    events_version: int
    hour: datetime
    upcoming: tuple[matcher.Event, ...]
    profile: matcher.Profile
    goals: list[matcher.Goal]
    trips: list[matcher.Trip]
    events: tuple[matcher.Event, ...]
    index: matcher.EventIndex
    contacts: dict[int, matcher.Contact]
    evidence: dict[int, list[matcher.ContactAtEvent]]
    feedback: list[matcher.Feedback]


_inputs: OrderedDict[tuple[str, int, datetime], Inputs] = OrderedDict()
_inputs_lock = threading.Lock()


def inputs_for(session: Session, user: User, now: datetime) -> Inputs:
    """The owner's matcher inputs, read again only when their data changed since this process
    last read them, or the hour did (pages are viewed far more often than data changes); the
    records of their upcoming events only when those may have changed (not after a mark, a
    goal, a contact: the most frequent changes)."""
    version, events_version = versions_of(session, user.id)  # flushes this session first
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = (str(session.get_bind().engine.url), user.id, user.created_at)  # one database's user
    uncommitted = bool(session.info.get(changes.KEY))  # not in `version` yet: read afresh
    with _inputs_lock:
        kept = _inputs.get(key)
    if kept is not None and kept.version == version and kept.hour == hour and not uncommitted:
        return kept
    with db.collector_paused():  # everything read here stays alive in the cache
        if kept and not uncommitted and (kept.events_version, kept.hour) == (events_version, hour):
            upcoming = kept.upcoming
        else:
            upcoming = tuple(upcoming_records(session, user.id, hour))
        judged = judged_records(session, user.id, {record.id for record in upcoming})
        events = upcoming + tuple(judged)
        contacts = {c.id: c for c in contact_records(session, user.id)}
        got = Inputs(
            version=version,
            events_version=events_version,
            hour=hour,
            upcoming=upcoming,
            profile=profile_of(user),
            goals=goal_records(session, user),
            trips=trip_records(session, user),
            events=events,
            index=event_index(user.id, events),
            contacts=contacts,
            evidence=evidence_of(session, user.id, contacts),
            feedback=feedback_records(session, user),
        )
    if uncommitted:  # what this session has not committed (and may roll back) is not kept
        return got
    with _inputs_lock:
        _inputs[key] = got
        _inputs.move_to_end(key)
        while len(_inputs) > KEPT_INDEXES:
            _inputs.popitem(last=False)
    return got


def _rows_by_id(session: Session, owner_id: int, ids: list[int]) -> dict[int, Event]:
    """The owner's event rows of `ids`, with their people and sources loaded."""
    if not ids:
        return {}
    query = (
        select(Event)
        .where(Event.owner_id == owner_id, Event.id.in_(ids))
        .options(
            selectinload(Event.people),
            selectinload(Event.links).selectinload(EventSource.source),
        )
    )
    return {row.id: row for row in session.scalars(query)}


_indexes: OrderedDict[int, tuple[tuple[matcher.Event, ...], matcher.EventIndex]] = OrderedDict()
_indexes_lock = threading.Lock()
KEPT_INDEXES = 32  # users whose event index (and matcher inputs) this process keeps


def event_index(owner_id: int, events: Sequence[matcher.Event]) -> matcher.EventIndex:
    """The matcher's index of `events`, built again only when they changed since this
    process last ranked for the owner (pages are viewed far more often than events change)."""
    key = tuple(events)
    with _indexes_lock:
        kept = _indexes.get(owner_id)
        if kept is not None and kept[0] == key:
            _indexes.move_to_end(owner_id)
            return kept[1]
    index = matcher.EventIndex(key)
    with _indexes_lock:
        _indexes[owner_id] = (key, index)
        _indexes.move_to_end(owner_id)
        while len(_indexes) > KEPT_INDEXES:
            _indexes.popitem(last=False)
    return index


def _remember(
    session: Session,
    user: User,
    found: Sequence[Recommended],
    goals: Sequence[matcher.Goal],
    now: datetime,
) -> None:
    existing = {
        row.event_id: row
        for row in session.scalars(
            select(Recommendation).where(
                Recommendation.owner_id == user.id,
                Recommendation.event_id.in_([r.event.id for r in found]),
            )
        )
    }
    new = []
    for item in found:
        goal_ids = _goals_named(item.match, goals)
        source_ids = sorted({link.source_id for link in item.event.links})
        row = existing.get(item.event.id)
        if row is None:
            new.append({"owner_id": user.id, "event_id": item.event.id, "first_at": now,
                        "last_at": now, "score": item.match.score, "goal_ids": goal_ids,
                        "source_ids": source_ids})  # fmt: skip
            continue
        row.score, row.last_at = item.match.score, now
        row.goal_ids = sorted(set(row.goal_ids or []) | set(goal_ids))
        row.source_ids = sorted(set(row.source_ids or []) | set(source_ids))
    if new:  # a page viewed twice at once remembers once: the other view's row stands
        table: Any = Recommendation.__table__
        kept = db.upsert(session, table).on_conflict_do_nothing(
            index_elements=["owner_id", "event_id"]
        )
        session.execute(kept, new)
    session.flush()


def _goals_named(found: matcher.Match, goals: Sequence[matcher.Goal]) -> list[int]:
    """The goals a match's goal reasons quote ('matches your goal "..."')."""
    texts = " ".join(r.text for r in found.reasons if r.kind == "goal")
    return [goal.id for goal in goals if f'"{goal.text}"' in texts]


def contacts_at(session: Session, user: User, event: Event) -> list[matcher.ContactAtEvent]:
    """Which of the user's contacts `event` shows to be there (or likely there), worked out now:
    for one event's page, such as a past event whose evidence `update_evidence` no longer keeps.
    `event` needs its people and sources loaded."""
    return matcher.find_contacts(contact_records(session, user.id), event_record(event))
