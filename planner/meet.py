"""People to meet from the database: the user's rows become matcher records, the stored contact
evidence says who will be where (worked out by `update_evidence`, never here), and the pure
`matcher.people_to_meet` says what to do about each contact.

    people_to_meet(session, user, now)        # -> [ToMeet(suggestion, contact, event)]
    gathering_for(session, user, key, now)    # -> one of those gatherings, or None
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import matcher
from planner.models import Contact, Event, User
from planner.recommend import inputs_for


@dataclass(frozen=True)
class ToMeet:
    suggestion: matcher.Suggestion
    contact: Contact
    event: Event | None


def people_to_meet(session: Session, user: User, now: datetime) -> list[ToMeet]:
    """What to do about each of the user's contacts most worth meeting, best first."""
    got = inputs_for(session, user, now)
    found = matcher.people_to_meet(
        got.profile,
        got.goals,
        list(got.contacts.values()),
        got.events,
        got.evidence,
        now,
        trips=got.trips,
        feedback=got.feedback,
        host=user.name,
    )
    contact_ids = {s.contact.id for s in found}
    event_ids = {s.event_id for s in found if s.event_id}
    contacts = {
        row.id: row
        for row in session.scalars(
            select(Contact).where(Contact.owner_id == user.id, Contact.id.in_(contact_ids))
        )
    }
    events = {
        row.id: row
        for row in session.scalars(
            select(Event).where(Event.owner_id == user.id, Event.id.in_(event_ids))
        )
    }
    return [
        ToMeet(s, contacts[s.contact.id], events.get(s.event_id) if s.event_id else None)
        for s in found
        if s.contact.id in contacts
    ]


def gatherings(found: list[ToMeet]) -> list[matcher.Gathering]:
    """The gatherings among the suggestions, each once, in order."""
    seen: dict[str, matcher.Gathering] = {}
    for item in found:
        gathering = item.suggestion.gathering
        if gathering is not None:
            seen.setdefault(gathering.key, gathering)
    return list(seen.values())


def gathering_for(
    session: Session, user: User, key: str, now: datetime
) -> matcher.Gathering | None:
    """The gathering `key` names among the user's own suggestions (None for anyone else's)."""
    for gathering in gatherings(people_to_meet(session, user, now)):
        if gathering.key == key:
            return gathering
    return None
