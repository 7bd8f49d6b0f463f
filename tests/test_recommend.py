"""Recommendations from the database: the matcher's event index is reused while the owner's
events stay the same, and built again when one changes."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from planner import db
from planner.demo_loader import load_demo, load_demo_person
from planner.jobs import wait_background
from planner.models import Event
from planner.recommend import event_index, event_record, recommend, upcoming_rows
from planner.sources import owner


def test_the_index_is_kept_until_the_events_change(app: Flask) -> None:
    now = datetime.now(UTC)
    list(load_demo(now))
    list(load_demo_person(now))
    wait_background()
    session = db.session()
    user = owner(session)
    events = [event_record(row) for row in upcoming_rows(session, user.id, now)]
    first = event_index(user.id, events)
    assert (
        event_index(user.id, [event_record(r) for r in upcoming_rows(session, user.id, now)])
        is first
    )
    picks = recommend(session, user, now)
    assert picks and event_index(user.id, events) is first  # the page used the same index
    row = session.scalars(
        select(Event).where(Event.owner_id == user.id).order_by(Event.start)
    ).first()
    assert row is not None
    row.title = "Renamed: " + row.title
    session.commit()
    changed = [event_record(r) for r in upcoming_rows(session, user.id, now)]
    assert event_index(user.id, changed) is not first
