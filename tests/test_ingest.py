"""Storing events: idempotent re-reads, one event from two sources, gone and cancelled events.

Runs on SQLite and on PostgreSQL (the `any_app` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from planner import db
from planner.ingest import Window, ingest
from planner.models import Event, EventPerson, EventSource, Source
from planner.sources import add_file_source, owner

FEEDS = Path(__file__).parent / "data" / "ics"
NOW = datetime(2007, 11, 20, 12, tzinfo=UTC)
WINDOW = Window.around(NOW)


def new_source(path: Path, name: str = "feed") -> Source:
    session = db.session()
    source = add_file_source(session, owner(session), path, "ical", name)
    session.commit()
    return source


def run(source: Source, data: bytes, now: datetime = NOW, window: Window = WINDOW):
    session = db.session()
    report = ingest(session, source, data, window, now)
    session.commit()
    return report


def count(model: type, *where: object) -> int:
    return db.session().scalar(select(func.count()).select_from(model).where(*where)) or 0


def series() -> bytes:
    return (FEEDS / "google_series_rdate_exdate_cancelled_override.ics").read_bytes()


def test_rereading_the_same_feed_creates_no_duplicates(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    first = run(source, series())
    again = run(source, series())
    assert first.added == first.found == count(Event) > 10
    assert again.added == 0 and not again.parsed
    forced = ingest(db.session(), source, series(), Window.around(NOW), NOW)  # full parse path
    db.session().commit()
    assert forced.added == 0 and count(Event) == first.found


def test_full_reparse_after_a_day_changes_nothing(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    first = run(source, series())
    tomorrow = datetime(2007, 11, 21, 12, tzinfo=UTC)
    later = run(source, series(), tomorrow, Window.around(tomorrow))
    assert later.parsed and later.added == 0 and later.updated == 0
    assert count(Event) == first.found


def test_cancelled_occurrence_is_stored_as_cancelled(any_app: Flask, tmp_path: Path) -> None:
    run(new_source(tmp_path / "a.ics"), series())
    cancelled = db.session().scalars(select(Event).where(Event.status == "cancelled")).all()
    assert [e.start.isoformat() for e in cancelled] == ["2008-04-02T02:00:00+00:00"]


def test_times_are_stored_in_utc_with_the_zone_kept(any_app: Flask, tmp_path: Path) -> None:
    run(new_source(tmp_path / "a.ics"), series())
    first = db.session().scalars(select(Event).order_by(Event.start)).first()
    assert first.start == datetime(2007, 12, 5, 3, tzinfo=UTC)
    assert first.timezone == "America/Los_Angeles"
    people = db.session().scalars(select(EventPerson).where(EventPerson.event_id == first.id))
    assert {(p.name, p.role) for p in people} >= {("Ana Ramírez", "host")}


def test_same_event_from_two_sources_is_one_event(any_app: Flask, tmp_path: Path) -> None:
    data = series()
    one, two = new_source(tmp_path / "a.ics", "one"), new_source(tmp_path / "b.ics", "two")
    run(one, data)
    report = run(two, data.replace(b"9ja02fdk73alsgclu2qg1q343c@google.com", b"other@example.org"))
    assert report.added == 0
    assert count(Event) == count(EventSource) / 2
    event = db.session().scalars(select(Event).order_by(Event.start)).first()
    assert sorted(link.source.name for link in event.links) == ["one", "two"]


def test_an_event_that_leaves_the_feed_is_marked_gone(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    data = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()
    now = datetime(2013, 1, 1, tzinfo=UTC)
    window = Window.around(now)
    run(source, data, now, window)
    start = data.rindex(b"BEGIN:VEVENT", 0, data.index(b"event_qgkxkcyrcbnb"))
    end = data.index(b"END:VEVENT", start) + len(b"END:VEVENT\n")
    report = run(source, data[:start] + data[end:], now, window)
    assert report.gone == 1 and report.found == 5
    gone = db.session().scalars(select(Event).where(Event.gone_at.is_not(None))).all()
    assert [e.url for e in gone] == ["http://www.meetup.com/DetroitRuby/events/93346412/"]
    assert count(Event) == 6  # kept, not deleted
    run(source, data, now, window)  # it comes back
    assert count(Event, Event.gone_at.is_not(None)) == 0


def test_a_changed_event_is_updated_in_place(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    data = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()
    now = datetime(2013, 1, 1, tzinfo=UTC)
    run(source, data, now, Window.around(now))
    changed = data.replace(b"Compuware Building (One Campus", b"Grand Circus (One Campus", 1)
    report = run(source, changed, now, Window.around(now))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)  # only its group re-read
    assert count(Event) == 6
    assert count(Event, Event.venue == "Grand Circus") == 1
    assert count(Event, Event.venue == "Compuware Building") == 0


def test_past_occurrences_stay_when_the_window_moves_on(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    run(source, series())
    later = datetime(2008, 3, 1, tzinfo=UTC)
    report = run(source, series(), later, Window.around(later))
    assert report.gone == 0
    assert count(Event, Event.gone_at.is_not(None)) == 0


def test_rereads_keep_events_without_or_with_shared_uids(any_app: Flask, tmp_path: Path) -> None:
    for name, now in (
        ("icalevents_duration_no_dtend", datetime(2018, 1, 5, tzinfo=UTC)),
        ("calagator_apple_multiple_vcalendars", datetime(2010, 4, 1, tzinfo=UTC)),
    ):
        source = new_source(tmp_path / f"{name}.ics", name)
        data = (FEEDS / f"{name}.ics").read_bytes()
        first = run(source, data, now, Window.around(now))
        edited = data.replace(b"DTSTAMP:", b"DTSTAMP:1", 1) if b"DTSTAMP:" in data else data + b"\n"
        again = run(source, edited, now, Window.around(now))
        assert first.found == again.found == 3 and again.gone == 0 and again.added == 0, name


def test_uid_with_a_colon_is_not_lost_on_a_reread(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    now = datetime(2013, 1, 1, tzinfo=UTC)
    data = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()
    data = data.replace(
        b"UID:event_qgkxkcyrcbnb@meetup.com", b"UID:https://mobilizon.example.org/events/0d2f7c1e"
    )
    run(source, data, now, Window.around(now))
    again = run(
        source, data.replace(b"Lightning talks", b"Lightning Talks"), now, Window.around(now)
    )
    assert again.gone == 0 and again.found == 6
    links = db.session().scalars(select(EventSource.source_uid)).all()
    assert "https://mobilizon.example.org/events/0d2f7c1e" in links


def test_a_new_export_time_alone_is_not_a_change(any_app: Flask, tmp_path: Path) -> None:
    source = new_source(tmp_path / "a.ics")
    run(source, series())
    restamped = series().replace(b"DTSTAMP:20080302T192847Z", b"DTSTAMP:20080303T080000Z")
    assert restamped != series()
    again = run(source, restamped)
    assert not again.parsed and again.found == count(Event)


def test_a_change_rereads_only_its_group_even_beside_past_ones(
    any_app: Flask, tmp_path: Path
) -> None:
    source = new_source(tmp_path / "portland.ics")
    data = (FEEDS / "calagator_google_portland_user_groups.ics").read_bytes()
    now = datetime(2008, 3, 1, tzinfo=UTC)
    first = run(source, data, now, Window.around(now))
    assert first.parts_read > 30  # the whole feed, most of it in the past
    changed = data.replace(b"SUMMARY:Ruby Brigade", b"SUMMARY:Portland Ruby Brigade", 1)
    again = run(source, changed, now, Window.around(now))
    assert again.parts_read == 1 and again.added == 0 and again.gone == 0
    assert again.updated == count(Event, Event.title == "Portland Ruby Brigade") > 0
