"""What the user did about events: going, not interested (dismissed), attended; whom they met
there, and the follow-ups that calls for. All of it is the user's own: another user's event,
contact or meeting is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import matcher
from planner.models import Contact, Event, EventFeedback, Meeting, User

STATES = ("going", "dismissed", "attended")
FOLLOW_UP_AFTER = timedelta(days=3)  # a reminder a few days after meeting someone
MAX_NOTE = 2000


class AttendanceError(Exception):
    """A request about an event or a meeting that cannot be done; the message is for the user."""


def own_event(session: Session, user: User, event_id: int) -> Event | None:
    event = session.get(Event, event_id)
    return event if event is not None and event.owner_id == user.id else None


def feedback_on(session: Session, user: User, event_id: int) -> EventFeedback | None:
    return session.scalar(
        select(EventFeedback).where(
            EventFeedback.owner_id == user.id, EventFeedback.event_id == event_id
        )
    )


def set_state(
    session: Session, user: User, event: Event, state: str | None, now: datetime
) -> EventFeedback | None:
    """Mark `event` going / dismissed / attended, or (None) take the mark back."""
    if event.owner_id != user.id:
        raise AttendanceError("no such event")
    if state is not None and state not in STATES:
        raise AttendanceError(f"unknown state {state!r}: choose one of {', '.join(STATES)}")
    if state == "attended" and event.start > now:
        raise AttendanceError("this event has not started yet: mark it going instead")
    row = feedback_on(session, user, event.id)
    if state is None:
        if row is not None:
            session.delete(row)
        return None
    if row is None:
        row = EventFeedback(owner_id=user.id, event_id=event.id, state=state, at=now)
        session.add(row)
    else:
        row.state, row.at = state, now
    session.flush()
    return row


@dataclass
class MeetingLog:
    met: list[Meeting] = field(default_factory=list)
    added_contacts: list[Contact] = field(default_factory=list)


def log_meetings(
    session: Session,
    user: User,
    event: Event | None,
    contact_ids: list[int],
    new_names: list[str],
    met_on: date,
    now: datetime,
) -> MeetingLog:
    """Record whom the user met (at `event`, or elsewhere): known contacts by id, new people by
    name (added as contacts). Each gets `last_met` and a follow-up reminder a few days later;
    the same person at the same event twice is one meeting."""
    if event is not None and event.owner_id != user.id:
        raise AttendanceError("no such event")
    log = MeetingLog()
    contacts = [_own_contact(session, user, contact_id) for contact_id in contact_ids]
    for name in new_names:
        name = " ".join(name.split())[:300]
        if name:
            contact = Contact(owner_id=user.id, name=name, source="manual", tie="weak")
            contact.created_at = contact.updated_at = now
            session.add(contact)
            log.added_contacts.append(contact)
            contacts.append(contact)
    session.flush()
    for contact in contacts:
        log.met.append(_meet(session, user, event, contact, met_on, now))
    if event is not None and event.start <= now:
        set_state(session, user, event, "attended", now)
    session.flush()
    return log


def _own_contact(session: Session, user: User, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.owner_id != user.id:
        raise AttendanceError(f"no contact {contact_id}")
    return contact


def _meet(
    session: Session, user: User, event: Event | None, contact: Contact, met_on: date, now: datetime
) -> Meeting:
    meeting = None
    if event is not None:
        meeting = session.scalar(
            select(Meeting).where(Meeting.event_id == event.id, Meeting.contact_id == contact.id)
        )
    if meeting is None:
        meeting = Meeting(
            owner_id=user.id,
            contact_id=contact.id,
            event_id=event.id if event is not None else None,
            met_on=met_on,
            follow_up_on=met_on + FOLLOW_UP_AFTER,
            created_at=now,
        )
        session.add(meeting)
    if contact.last_met is None or contact.last_met < met_on:
        contact.last_met = met_on
        contact.updated_at = now
    return meeting


def follow_ups_due(session: Session, user: User, today: date) -> list[Meeting]:
    """Meetings whose follow-up day has come and that are not followed up yet, oldest first."""
    return [item.meeting for item in follow_ups(session, user, today)]


def mark_followed_up(session: Session, user: User, meeting_id: int, now: datetime) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.owner_id != user.id:
        raise AttendanceError("no such meeting")
    meeting.followed_up_at = now
    return meeting


def feedback_records(session: Session, user: User) -> list[matcher.Feedback]:
    """The user's feedback as the matcher reads it: each marked event with the contacts met."""
    met: dict[int, list[int]] = {}
    for event_id, contact_id in session.execute(
        select(Meeting.event_id, Meeting.contact_id).where(
            Meeting.owner_id == user.id, Meeting.event_id.is_not(None)
        )
    ):
        if event_id is not None:  # so the query says; the column may be null
            met.setdefault(event_id, []).append(contact_id)
    rows = session.execute(
        select(EventFeedback.event_id, EventFeedback.state)
        .where(EventFeedback.owner_id == user.id)
        .order_by(EventFeedback.id)  # in the order given (the first of two clashes is named)
    )
    return [
        matcher.Feedback(event_id, state, tuple(sorted(met.get(event_id, []))))
        for event_id, state in rows
    ]


def marked_events(
    session: Session,
    user: User,
    states: tuple[str, ...],
    since: datetime,
    until: datetime | None = None,
) -> list[tuple[Event, str]]:
    """The user's events marked with one of `states` that start from `since` (and before
    `until`), soonest first, each with its mark."""
    query = (
        select(Event, EventFeedback.state)
        .join(EventFeedback, EventFeedback.event_id == Event.id)
        .where(
            EventFeedback.owner_id == user.id,
            Event.owner_id == user.id,
            EventFeedback.state.in_(states),
            Event.start >= since,
        )
        .order_by(Event.start, Event.id)
    )
    if until is not None:
        query = query.where(Event.start < until)
    return [(event, state) for event, state in session.execute(query)]


def states_of(session: Session, user: User, event_ids: list[int]) -> dict[int, str]:
    """The user's mark on each of these events that has one."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(EventFeedback.event_id, EventFeedback.state).where(
            EventFeedback.owner_id == user.id, EventFeedback.event_id.in_(event_ids)
        )
    )
    return {event_id: state for event_id, state in rows}


def met_at(session: Session, user: User, event: Event) -> list[tuple[Contact, Meeting]]:
    """Whom the user logged meeting at `event`, by name."""
    query = (
        select(Contact, Meeting)
        .join(Meeting, Meeting.contact_id == Contact.id)
        .where(Meeting.owner_id == user.id, Meeting.event_id == event.id)
        .order_by(Contact.name, Contact.id)
    )
    return [(contact, meeting) for contact, meeting in session.execute(query)]


@dataclass(frozen=True)
class FollowUp:
    """A meeting that calls for a follow-up, with whom and where."""

    meeting: Meeting
    contact: Contact
    event: Event | None


def follow_ups(session: Session, user: User, today: date, due: bool = True) -> list[FollowUp]:
    """Follow-ups not done yet: those due by `today` (oldest first), or (`due` false) those
    still to come (soonest first)."""
    day = Meeting.follow_up_on
    query = (
        select(Meeting, Contact, Event)
        .join(Contact, Contact.id == Meeting.contact_id)
        .outerjoin(Event, Event.id == Meeting.event_id)
        .where(
            Meeting.owner_id == user.id,
            Meeting.followed_up_at.is_(None),
            day.is_not(None),
            day <= today if due else day > today,
        )
        .order_by(day, Meeting.id)
    )
    return [FollowUp(meeting, contact, event) for meeting, contact, event in session.execute(query)]
