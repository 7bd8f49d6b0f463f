"""Refreshing sources over real HTTP (a local server serving saved feeds), on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from planner import db
from planner.jobs import due_sources, refresh_source
from planner.models import Event, Source
from planner.sources import add_source, owner
from tests.localserver import LocalServer

FEEDS = Path(__file__).parent / "data" / "ics"
NOW = datetime(2012, 12, 31, 12, tzinfo=UTC)
MEETUP = (FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes()


def follow(url: str, email: str | None = None) -> int:
    session = db.session()
    source = add_source(session, owner(session, email), url, now=NOW)
    session.commit()
    return source.id


def source(source_id: int) -> Source:
    db.session().expire_all()
    found = db.session().get(Source, source_id)
    assert found is not None
    return found


def events() -> int:
    return db.session().scalar(select(func.count()).select_from(Event)) or 0


def test_feed_is_read_then_not_modified(any_app: Flask, local_server: LocalServer) -> None:
    source_id = follow(local_server.add("/events/ical", MEETUP))
    first = refresh_source(source_id, NOW.isoformat())
    assert first["ok"] and first["message"].startswith("6 events: 6 new")
    assert source(source_id).name == "Events - DetroitRuby"
    second = refresh_source(source_id, (NOW + timedelta(hours=1)).isoformat())
    assert second["message"] == "unchanged (6 events)"
    assert local_server.requests[-1].headers["If-None-Match"] == source(source_id).etag
    assert "planner" in local_server.requests[-1].headers["User-Agent"]
    assert events() == 6
    assert source(source_id).ok_at == NOW + timedelta(hours=1)


def test_same_body_without_validators_is_not_parsed_again(
    any_app: Flask, local_server: LocalServer
) -> None:
    url = local_server.add("/plain.ics", MEETUP, headers={"ETag": None, "Last-Modified": None})
    source_id = follow(url)
    refresh_source(source_id, NOW.isoformat())
    again = refresh_source(source_id, NOW.isoformat())
    assert again["message"] == "unchanged (6 events)"
    assert "If-None-Match" not in local_server.requests[-1].headers


def test_webcal_url_is_fetched_over_http(any_app: Flask, local_server: LocalServer) -> None:
    url = local_server.add("/cal.ics", MEETUP)
    session = db.session()
    added = add_source(session, owner(session), url.replace("http://", "webcal://"))
    assert added.url.startswith("https://")  # webcal means https; the test server speaks http
    session.rollback()


def test_failing_source_is_recorded_and_others_carry_on(
    any_app: Flask, local_server: LocalServer
) -> None:
    good = follow(local_server.add("/good.ics", MEETUP))
    missing = follow(local_server.url("/missing.ics"))
    page = follow(
        local_server.add("/blob", bytes(range(256)) * 4, content_type="application/octet-stream")
    )
    results = {i: refresh_source(i, NOW.isoformat()) for i in (missing, page, good)}
    assert results[good]["ok"] and events() == 6
    broken = source(missing)
    assert broken.last_error.startswith(
        f"fetch failed: {local_server.url('/missing.ics')}: HTTP 404"
    )
    assert broken.consecutive_failures == 1 and broken.ok_at is None
    assert broken.next_fetch_at == NOW + timedelta(hours=1)
    assert "not a calendar or an event page" in source(page).last_error
    refresh_source(missing, NOW.isoformat())
    assert source(missing).consecutive_failures == 2
    assert source(missing).next_fetch_at == NOW + timedelta(hours=2)  # backs off


def test_recovered_source_clears_its_error(any_app: Flask, local_server: LocalServer) -> None:
    url = local_server.add("/flaky.ics", b"", status=503)
    source_id = follow(url)
    assert not refresh_source(source_id, NOW.isoformat())["ok"]
    local_server.add("/flaky.ics", MEETUP)
    assert refresh_source(source_id, NOW.isoformat())["ok"]
    assert source(source_id).last_error is None and source(source_id).consecutive_failures == 0


def test_partly_broken_feed_comes_in_with_warnings(
    any_app: Flask, local_server: LocalServer
) -> None:
    body = (FEEDS / "broken_offsets_html_uid_raw_newline.ics").read_bytes()
    source_id = follow(local_server.add("/broken.ics", body))
    result = refresh_source(source_id, "2024-03-01T00:00:00+00:00")
    assert result["ok"] and events() == 2
    assert any("event-2@events.example.org" in w for w in source(source_id).last_warnings)
    titles = set(db.session().scalars(select(Event.title)))
    assert titles == {"Open Data Stammtisch", "Civic Tech & Coffee"}


def test_only_due_sources_are_refreshed(any_app: Flask, local_server: LocalServer) -> None:
    first = follow(local_server.add("/a.ics", MEETUP))
    second = follow(local_server.add("/b.ics", MEETUP.replace(b"DetroitRuby", b"AnnArborRuby")))
    assert due_sources(NOW) == [first, second]
    refresh_source(first, NOW.isoformat())
    assert due_sources(NOW + timedelta(minutes=5)) == [second]
    assert due_sources(NOW + timedelta(hours=2)) == [first, second]


def test_deleted_source_is_nothing_to_do(any_app: Flask) -> None:
    assert refresh_source(987654, NOW.isoformat())["message"] == "source no longer exists"


def test_a_source_unchanged_for_weeks_is_checked_less_often(
    any_app: Flask, local_server: LocalServer
) -> None:
    url = local_server.add("/quiet.ics", MEETUP, headers={"ETag": None, "Last-Modified": None})
    source_id = follow(url)
    waits = []
    for days in (0, 13, 15, 29):
        moment = NOW + timedelta(days=days)
        refresh_source(source_id, moment.isoformat())
        waits.append(source(source_id).next_fetch_at - moment)
    assert waits == [timedelta(hours=h) for h in (1, 1, 2, 4)]
    assert source(source_id).changed_at == NOW
    local_server.add("/quiet.ics", MEETUP.replace(b"DetroitRuby", b"Detroit Ruby"))
    moment = NOW + timedelta(days=30)
    refresh_source(source_id, moment.isoformat())
    assert source(source_id).next_fetch_at - moment == timedelta(hours=1)  # it changed: hourly
    assert source(source_id).changed_at == moment
