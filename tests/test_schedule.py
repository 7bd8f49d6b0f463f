"""Periodic work: due sources are refreshed and pending places looked up, by one tick or by the
background thread of the embedded default; a failing job does not stop the others."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from planner import db
from planner.demo import build_feeds
from planner.models import Event, Source, Trip
from planner.schedule import due_jobs, run_tick, start_background
from planner.sources import add_file_source, owner


def _feed_source(tmp_path: Path, now: datetime) -> Source:
    path = tmp_path / "pyberlin.ics"
    path.write_bytes(build_feeds(now)[0].content)
    session = db.session()
    source = add_file_source(session, owner(session), path, "ical", "PyBerlin", now=now)
    session.commit()
    return source


def test_a_tick_refreshes_due_sources_and_places_homes(app: Flask, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    source = _feed_source(tmp_path, now)
    session = db.session()
    user = owner(session)
    user.home_location = "Lisbon, Portugal"
    session.add(Trip(owner_id=user.id, city="Porto", starts_on=now.date(), ends_on=now.date()))
    session.commit()
    names = {job_id.rsplit("-", 1)[0] for _, _, job_id in due_jobs(now)}
    assert f"refresh-{source.id}" in names and f"geocode-user-{user.id}" in names
    assert run_tick(now) >= 3
    session.expire_all()
    assert session.scalars(select(Event).where(Event.owner_id == user.id)).first() is not None
    assert round(user.home_lat or 0) == 39 and user.timezone == "Europe/Lisbon"
    trip = session.scalars(select(Trip)).one()
    assert trip.timezone == "Europe/Lisbon" and trip.lat is not None
    later = due_jobs(now + timedelta(minutes=1))
    assert later == []  # refreshed sources are not due again, places are looked up once


def test_a_failing_job_does_not_stop_the_tick(app: Flask, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    session = db.session()
    broken = add_file_source(
        session, owner(session), tmp_path / "missing.ics", "ical", "gone", now=now
    )
    session.commit()
    good = _feed_source(tmp_path, now)
    run_tick(now)
    session.expire_all()
    assert session.get(Source, broken.id).last_error  # type: ignore[union-attr]
    assert session.get(Source, good.id).ok_at is not None  # type: ignore[union-attr]


def test_the_background_thread_keeps_a_single_user_install_fresh(
    app: Flask, tmp_path: Path
) -> None:
    source = _feed_source(tmp_path, datetime.now(UTC))
    stop = start_background(app, interval=0.05)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session().expire_all()
            if db.session().get(Source, source.id).ok_at is not None:  # type: ignore[union-attr]
                break
            time.sleep(0.05)
    finally:
        stop.set()
    assert db.session().get(Source, source.id).ok_at is not None  # type: ignore[union-attr]
