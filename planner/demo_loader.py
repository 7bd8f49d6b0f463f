"""Load the bundled offline demo: feeds with dates around `now`, imported for the local owner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import db
from planner.demo import DEMO_GOALS, DEMO_HOME, build_feeds, demo_contacts, demo_ties
from planner.jobs import refresh_source, wait_background
from planner.models import Contact, Goal, User
from planner.sources import add_file_source, owner


def load_demo(now: datetime) -> Iterator[str]:
    """Write the demo feeds into the instance folder and refresh them as sources; one line each.

    Loading again rewrites the feeds around the new `now`: the demo never runs dry."""
    folder = Path(current_app.instance_path) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for feed in build_feeds(now):
        path = folder / f"{feed.slug}.ics"
        path.write_bytes(feed.content)
        with db.transaction() as session:
            source = add_file_source(session, owner(session), path, "ical", feed.name, now=now)
        result = refresh_source(source.id, now.isoformat(), force=True)
        yield f"demo source {source.id} ({feed.name}): {result['message']}"


def load_demo_person(now: datetime) -> Iterator[str]:
    """Give the local owner a home, goals and contacts, where they have none yet (a profile the
    user filled in is never touched)."""
    from planner.contacts import parse_contacts
    from planner.geocode import geocode_contacts, geocode_user
    from planner.people import import_contacts
    from planner.recommend import update_evidence

    with db.transaction() as session:
        user = owner(session)
        if not user.home_location:
            user.home_location = DEMO_HOME
            yield f"demo home: {DEMO_HOME}"
        if session.scalar(select(Goal.id).where(Goal.owner_id == user.id).limit(1)) is None:
            for text, priority in DEMO_GOALS:
                session.add(
                    Goal(
                        owner_id=user.id,
                        text=text,
                        priority=priority,
                        created_at=now,
                        updated_at=now,
                    )
                )
            yield f"demo goals: {len(DEMO_GOALS)}"
        if session.scalar(select(Contact.id).where(Contact.owner_id == user.id).limit(1)) is None:
            found, warnings = parse_contacts(demo_contacts(), "vcard")
            report = import_contacts(session, user, found, now, warnings)
            _set_ties(session, user)
            yield f"demo contacts: {report.added}"
        user_id = user.id
    geocode_user(user_id, now.isoformat())
    geocode_contacts(user_id, now.isoformat())
    wait_background()  # evidence queued by the refreshes, from before the contacts came
    update_evidence(user_id, now.isoformat())


def _set_ties(session: Session, user: User) -> None:
    ties = demo_ties()
    for contact in session.scalars(select(Contact).where(Contact.owner_id == user.id)):
        contact.tie = ties.get(contact.name, contact.tie)
