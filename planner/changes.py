"""What changed for whom: each user's `data_version` rises in the same transaction as any change
to what their calendar feed and digest show (events, sources, feedback, meetings, goals,
contacts, trips, contact evidence, the profile), so that a cache keyed by it is invalidated by
the change itself, in every process, with nothing to forget. Their `events_version` rises too
when the change may touch their events themselves (an event, its people, the sources listing
it): the matcher's records of the events are kept across the other changes (a mark, a goal).

ORM changes are noticed at flush time by the listeners below; bulk statements (the event store,
geocoding updates, evidence rewrites) call `touch(session, owner_id)`, with `events=False` when
they leave the events alone. The bump runs once per user at commit, so a long refresh does not
hold the user's row locked.

    touch(session, owner_id)               # a bulk statement changed the owner's data
    version_of(session, owner_id)          # -> the current version
    versions_of(session, owner_id)         # -> (data_version, events_version)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, event, inspect, select, update
from sqlalchemy.orm import Session, SessionTransaction

from planner.models import (
    Contact,
    ContactEvidence,
    Event,
    EventFeedback,
    FeedToken,
    Goal,
    Meeting,
    Recommendation,
    Source,
    Trip,
    User,
)

KEY = "planner.touched"
EVENTS_KEY = "planner.touched_events"
# rows with an owner whose change may change a feed or digest (Recommendation rows only record
# what was shown; FeedToken rows are looked up by token, not shown)
WATCHED = (Contact, ContactEvidence, Event, EventFeedback, Goal, Meeting, Source, Trip)
IGNORED = (Recommendation, FeedToken)
# watched rows (and the user's own) whose change leaves the owner's events as they are
BESIDE_EVENTS = (Contact, ContactEvidence, EventFeedback, Goal, Meeting, Trip, User)


def touch(session: Session, owner_id: int | None, events: bool = True) -> None:
    """Note that the owner's data changed (`events`: perhaps their events too); their version
    rises when the session commits."""
    if owner_id is not None:
        session.info.setdefault(KEY, set()).add(owner_id)
        if events:
            session.info.setdefault(EVENTS_KEY, set()).add(owner_id)


def version_of(session: Session, owner_id: int) -> int:
    return session.scalar(select(User.data_version).where(User.id == owner_id)) or 0


def versions_of(session: Session, owner_id: int) -> tuple[int, int]:
    """The owner's (data_version, events_version); (0, 0) for no such user."""
    query = select(User.data_version, User.events_version).where(User.id == owner_id)
    found = session.execute(query).first()
    return (found[0], found[1]) if found else (0, 0)


# columns that are bookkeeping, not what anyone is shown: a change to only these bumps nothing
# (a refresh that found nothing new must not throw the user's caches away)
BOOKKEEPING: dict[type, frozenset[str]] = {
    Source: frozenset(
        {
            "etag",
            "last_modified",
            "content_hash",
            "changed_at",
            "window_start",
            "fetched_at",
            "ok_at",
            "last_error",
            "last_warnings",
            "consecutive_failures",
            "events_found",
            "refresh_interval",
            "next_fetch_at",
        }
    ),
    User: frozenset(
        {
            "password_hash",
            "auth_version",
            "data_version",
            "events_version",
            "mail_key",
            "email_confirmed_at",
            "confirm_sent_at",
        }
    ),
    Event: frozenset({"last_seen_at"}),
}


def _owner_of(row: Any) -> int | None:
    if isinstance(row, User):
        return row.id
    if isinstance(row, WATCHED):
        return row.owner_id
    return None


def _shown_changed(row: Any) -> bool:
    """Whether a flushed row changed anything but bookkeeping columns."""
    ignored = BOOKKEEPING.get(type(row))
    if not ignored:
        return True
    return any(attr.history.has_changes() for attr in inspect(row).attrs if attr.key not in ignored)


@event.listens_for(Session, "after_flush")
def _noticed(session: Session, _context: Any) -> None:
    for row in (*session.new, *session.deleted):
        touch(session, _owner_of(row), not isinstance(row, BESIDE_EVENTS))
    for row in session.dirty:
        if _shown_changed(row):
            touch(session, _owner_of(row), not isinstance(row, BESIDE_EVENTS))


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    if session.info.get(KEY) or session.new or session.dirty or session.deleted:
        session.flush()  # the listener above sees the last changes
    owners = sorted(session.info.pop(KEY, ()))
    eventful = session.info.pop(EVENTS_KEY, set())
    if not owners:
        return
    values: dict[str, Any] = {"data_version": User.data_version + 1}
    if eventful:
        values["events_version"] = case(
            (User.id.in_(sorted(eventful)), User.events_version + 1), else_=User.events_version
        )
    session.execute(
        update(User)
        .where(User.id.in_(owners))
        .values(values)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: SessionTransaction) -> None:
    """The whole transaction rolled back: nothing of it is kept, nothing to bump. A savepoint's
    rollback (`begin_nested`) keeps what came before it, and its notes with it (a note for
    what the savepoint undid only bumps a version once too often)."""
    if previous.nested:
        return
    session.info.pop(KEY, None)
    session.info.pop(EVENTS_KEY, None)
