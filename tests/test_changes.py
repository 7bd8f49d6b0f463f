"""A user's data_version rises with every change a feed or digest would show, and only theirs;
an event's SEQUENCE rises when its time, place or status changes, not for other edits.

Runs on SQLite and on PostgreSQL (the `any_app` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from planner import db
from planner.accounts import create_user
from planner.changes import version_of, versions_of
from planner.ingest import Window, ingest
from planner.models import Event, Goal, Source, User
from planner.sources import add_file_source, owner

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)

FEED = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:one@test\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261201T180000Z\r
DTEND:20261201T200000Z\r
SUMMARY:{summary}\r
LOCATION:{location}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def feed(summary: str = "Rust meetup", location: str = "Haus 1, Berlin") -> bytes:
    return FEED.format(summary=summary, location=location).encode()


def read(source: Source, data: bytes) -> None:
    session = db.session()
    ingest(session, source, data, Window.around(NOW), NOW)
    session.commit()


def the_event() -> Event:
    session = db.session()
    session.expire_all()
    return session.scalars(select(Event)).one()


def test_versions_rise_for_the_owner_only(any_app: Flask, tmp_path: Path) -> None:
    session = db.session()
    me = owner(session)
    other = create_user(session, "other@example.org", "a long enough password", NOW)
    session.commit()
    mine, theirs = version_of(session, me.id), version_of(session, other.id)

    source = add_file_source(session, me, tmp_path / "a.ics", "ical", "feed")
    session.commit()
    read(source, feed())
    after_events = version_of(session, me.id)
    assert after_events > mine

    session.add(Goal(owner_id=me.id, text="meet Rust developers", priority=1))
    session.commit()
    after_goal = version_of(session, me.id)
    assert after_goal > after_events

    read(source, feed())  # nothing new: no change
    assert version_of(session, me.id) == after_goal
    assert version_of(session, other.id) == theirs

    session.rollback()
    session.add(Goal(owner_id=other.id, text="hire", priority=2))
    session.rollback()  # abandoned: no bump on a later commit
    session.commit()
    assert version_of(session, other.id) == theirs


def test_the_events_version_rises_only_with_what_may_change_the_events(
    any_app: Flask, tmp_path: Path
) -> None:
    """Marks, goals, contacts, evidence and the profile leave the events as they are: only
    `data_version` rises. New or changed events, a deleted one, a renamed source (its name is
    part of each event's record): both rise."""
    from planner.models import Contact, ContactEvidence, EventFeedback

    session = db.session()
    me = owner(session)
    source = add_file_source(session, me, tmp_path / "a.ics", "ical", "feed")
    session.commit()

    def step(change: Callable[[], object], events: bool) -> None:
        data, evented = versions_of(session, me.id)
        change()
        session.commit()
        assert versions_of(session, me.id) == (data + 1, evented + int(events)), change

    step(lambda: read(source, feed()), events=True)
    event_id = the_event().id
    step(lambda: session.add(Goal(owner_id=me.id, text="meet Rust people", priority=1)), False)
    step(
        lambda: session.add(EventFeedback(owner_id=me.id, event_id=event_id, state="going")), False
    )
    contact = Contact(owner_id=me.id, name="Katrin Müller", city="Berlin")
    step(lambda: session.add(contact), False)
    step(
        lambda: session.add(
            ContactEvidence(
                owner_id=me.id,
                event_id=event_id,
                contact_id=contact.id,
                role="speaker",
                evidence="named as speaker",
                strength=1.0,
            )
        ),  # fmt: skip
        False,
    )
    step(lambda: setattr(session.get(User, me.id), "timezone", "Europe/Berlin"), False)
    step(lambda: read(source, feed(summary="Rust meetup: talks")), events=True)
    step(lambda: setattr(session.get(Source, source.id), "name", "Renamed"), events=True)
    step(lambda: setattr(the_event(), "description", "Bring a laptop."), events=True)


def test_a_savepoint_rolled_back_keeps_the_changes_before_it_to_bump(any_app: Flask) -> None:
    """A change, then a savepoint that fails (as the geocoding cache's insert may): the change
    is committed, and so is its version bump; a whole rollback bumps nothing."""
    session = db.session()
    me = owner(session)
    session.commit()
    before = versions_of(session, me.id)
    session.add(Goal(owner_id=me.id, text="meet Rust people", priority=1))
    session.flush()
    try:
        with session.begin_nested():
            session.add(Goal(owner_id=me.id, text="meet Go people", priority=2))
            raise LookupError("undone")
    except LookupError:
        pass
    session.commit()
    assert [g.text for g in session.scalars(select(Goal))] == ["meet Rust people"]
    assert versions_of(session, me.id) == (before[0] + 1, before[1])
    session.add(Goal(owner_id=me.id, text="meet Go people", priority=2))
    session.flush()
    session.rollback()
    session.commit()
    assert versions_of(session, me.id) == (before[0] + 1, before[1])


def test_sequence_rises_when_time_or_place_changes(any_app: Flask, tmp_path: Path) -> None:
    session = db.session()
    source = add_file_source(session, owner(session), tmp_path / "a.ics", "ical", "feed")
    session.commit()
    read(source, feed())
    assert the_event().sequence == 0
    read(source, feed(summary="Rust meetup: talks"))
    assert the_event().sequence == 0  # the title is not the time or the place
    read(source, feed(summary="Rust meetup: talks", location="Haus 2, Berlin"))
    assert the_event().sequence == 1


def test_a_refresh_that_finds_nothing_new_bumps_nothing(any_app: Flask, local_server) -> None:
    from planner.jobs import refresh_source, wait_background
    from planner.sources import add_source

    session = db.session()
    me = owner(session)
    source = add_source(session, me, local_server.add("/same.ics", feed()), now=NOW)
    session.commit()
    refresh_source(source.id, NOW.isoformat())
    wait_background()  # the contact evidence the new events call for
    first = version_of(session, me.id)
    for hours in (1, 2):  # fetched again: new fetch times, the same content
        refresh_source(source.id, (NOW + timedelta(hours=hours)).isoformat())
    session.expire_all()
    assert version_of(session, me.id) == first
    session.get(Source, source.id).name = "Renamed feed"  # shown on event pages: a change
    session.commit()
    assert version_of(session, me.id) == first + 1
