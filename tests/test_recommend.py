"""Recommendations from the database: the matcher's event index is reused while the owner's
events stay the same, and built again when one changes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from planner import db
from planner.demo_loader import load_demo, load_demo_person
from planner.jobs import wait_background
from planner.models import Event, Recommendation, User
from planner.recommend import event_index, recommend, upcoming_records
from planner.sources import owner


def demo(now: datetime) -> None:
    """The demo's events and person, with the contact evidence worked out."""
    list(load_demo(now))
    list(load_demo_person(now))
    wait_background()


def test_the_index_is_kept_until_the_events_change(app: Flask) -> None:
    now = datetime.now(UTC)
    demo(now)
    session = db.session()
    user = owner(session)
    events = upcoming_records(session, user.id, now)
    first = event_index(user.id, events)
    assert event_index(user.id, upcoming_records(session, user.id, now)) is first
    picks = recommend(session, user, now)
    assert picks and event_index(user.id, events) is first  # the page used the same index
    row = session.scalars(
        select(Event).where(Event.owner_id == user.id).order_by(Event.start)
    ).first()
    assert row is not None
    row.title = "Renamed: " + row.title
    session.commit()
    changed = upcoming_records(session, user.id, now)
    assert event_index(user.id, changed) is not first


def test_the_inputs_are_read_again_when_the_data_changes(app: Flask) -> None:
    from planner.models import Goal
    from planner.recommend import inputs_for

    now = datetime.now(UTC)
    demo(now)
    session = db.session()
    user = owner(session)
    first = inputs_for(session, user, now)
    assert inputs_for(session, user, now) is first  # nothing changed: nothing read again
    session.add(Goal(owner_id=user.id, text="learn about accessibility", priority=1))
    pending = inputs_for(session, user, now)  # not committed yet: read afresh all the same
    assert pending is not first and len(pending.goals) == len(first.goals) + 1
    session.rollback()  # ... and not kept: it never was
    assert inputs_for(session, user, now) is first
    session.add(Goal(owner_id=user.id, text="learn about accessibility", priority=1))
    session.commit()
    committed = inputs_for(session, user, now)
    assert committed is not first and committed.version > first.version
    assert inputs_for(session, user, now) is committed
    later = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert inputs_for(session, user, later) is not committed  # the window moved on


def test_the_event_records_are_kept_across_a_mark_and_read_again_when_an_event_changes(
    app: Flask,
) -> None:
    """A mark leaves the events as they are: the new inputs keep the records of the upcoming
    events (not read again). A changed event is read again, also in another session (another
    process would see the same versions)."""
    from planner.models import EventFeedback
    from planner.recommend import inputs_for

    now = datetime.now(UTC)
    demo(now)
    session = db.session()
    user = owner(session)
    first = inputs_for(session, user, now)
    picked = recommend(session, user, now, remember=False)[0].event
    session.add(EventFeedback(owner_id=user.id, event_id=picked.id, state="going"))
    session.commit()
    marked = inputs_for(session, user, now)
    assert marked is not first and marked.upcoming is first.upcoming
    assert [f.event_id for f in marked.feedback] == [picked.id]
    assert picked.id not in [r.event.id for r in recommend(session, user, now, remember=False)]

    other = Session(db.engine())
    row = other.get(Event, picked.id)
    assert row is not None
    title = row.title = "Renamed: " + row.title
    other.commit()
    other.close()
    session.expire_all()
    renamed = inputs_for(session, user, now)
    assert renamed.upcoming is not first.upcoming
    assert [e.title for e in renamed.upcoming if e.id == picked.id] == [title]


def test_two_databases_never_share_inputs(app: Flask, tmp_path) -> None:
    from tests.conftest import close, make_app

    now = datetime.now(UTC)
    demo(now)
    mine = recommend(db.session(), owner(db.session()), now, remember=False)
    version = owner(db.session()).data_version
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path / "other")
    try:
        with other.app_context():  # the same user id, version and hour, in another database
            session = db.session()
            session.execute(update(User).values(data_version=version))
            session.commit()
            theirs = recommend(session, owner(session), now, remember=False)
    finally:
        close(other)
    assert mine and theirs == []


@pytest.mark.postgres
def test_two_views_at_once_remember_each_pick_once(tmp_path: Path, postgres_schema_factory) -> None:
    """Two page views of one user at once both remember the same new picks: the second waits
    for the first on the unique (owner, event) index, then leaves the row it made (no error
    page for a user with two tabs)."""
    from tests.conftest import close, database_url, make_app

    app = make_app(database_url("postgres", tmp_path, postgres_schema_factory), tmp_path)
    now = datetime.now(UTC)
    with app.app_context():
        demo(now)
        user_id = owner(db.session()).id
        first, second = Session(db.engine()), Session(db.engine())
        picks = recommend(first, first.get(User, user_id), now)  # flushed, not committed yet
        assert picks
        waiter = second.connection().exec_driver_sql("select pg_backend_pid()").scalar()
        failed: list[BaseException] = []

        def view_again() -> None:
            with app.app_context():
                try:
                    recommend(second, second.get(User, user_id), now)
                    second.commit()
                except BaseException as exc:  # noqa: BLE001 - reported by the test
                    failed.append(exc)
                    second.rollback()

        other = threading.Thread(target=view_again)
        other.start()
        deadline = time.monotonic() + 30
        with db.engine().connect() as watch:  # the second view waits on the first's rows
            while True:
                waiting = watch.exec_driver_sql(
                    f"select wait_event_type from pg_stat_activity where pid = {int(waiter)}"
                ).scalar()
                if waiting == "Lock" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert waiting == "Lock", "the second view never reached the first one's rows"
        first.commit()
        other.join(30)
        assert not failed, failed
        kept = select(Recommendation.event_id).where(Recommendation.owner_id == user_id)
        assert sorted(db.session().scalars(kept)) == sorted(p.event.id for p in picks)
        first.close()
        second.close()
        close(app)
