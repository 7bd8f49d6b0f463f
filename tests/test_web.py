"""The web pages through Flask's test client: content, scoping, CSRF, security headers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planner import create_app, db
from planner.config import ConfigError
from planner.demo import build_feeds
from planner.demo_loader import load_demo
from planner.jobs import refresh_source
from planner.models import Event, Source
from planner.sources import add_file_source, owner
from tests.accounts import csrf_token
from tests.localserver import LocalServer

FEEDS = Path(__file__).parent / "data" / "ics"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    list(load_demo(datetime.now(UTC)))
    return app.test_client()


def test_all_upcoming_lists_events_by_day(client: FlaskClient) -> None:
    page = client.get("/upcoming").get_data(as_text=True)
    assert "PyBerlin Talks: Typed Python in Production" in page
    assert "Kiezwerk Coworking" in page and "from PyBerlin" in page
    assert page.count('class="day"') >= 5
    assert 'badge-cancelled">cancelled' in page
    assert "single-user mode" in page


def test_detail_shows_everything_and_where_it_came_from(client: FlaskClient) -> None:
    event = db.session().scalars(select(Event).where(Event.title.like("Online:%"))).one()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert event.title in page and "online" in page
    assert "Berlin AI Builders" in page and "Where this came from" in page
    assert "Europe/Berlin" in page


def test_sources_page_shows_health(client: FlaskClient) -> None:
    page = client.get("/sources/").get_data(as_text=True)
    assert page.count('badge-ok">ok') == 3
    assert "PyBerlin" in page and "upcoming" in page


def test_add_source_needs_csrf_and_reports_errors(
    client: FlaskClient, local_server: LocalServer
) -> None:
    assert client.post("/sources/", data={"url": "https://example.org/x.ics"}).status_code == 400
    token = csrf_token(client.get("/sources/").get_data(as_text=True))
    bad = client.post("/sources/", data={"url": "file:///etc/passwd", "csrf_token": token})
    assert bad.status_code == 400 and "unsupported" in bad.get_data(as_text=True).lower()
    feed = build_feeds(datetime.now(UTC))[1]  # Luma-style, dates around today
    url = local_server.add("/feed.ics", feed.content)
    added = client.post("/sources/", data={"url": url, "csrf_token": token}, follow_redirects=True)
    assert added.status_code == 200 and f"Added {url}" in added.get_data(as_text=True)
    db.session().expire_all()
    source = db.session().scalars(select(Source).where(Source.url == url)).one()
    assert source.events_found == 4  # refreshed in-process (no Redis configured)
    assert source.name == "Berlin AI Builders"


def test_refresh_button_needs_csrf(client: FlaskClient) -> None:
    source = db.session().scalars(select(Source)).first()
    assert client.post(f"/sources/{source.id}/refresh").status_code in (400, 404)
    token = csrf_token(client.get("/sources/").get_data(as_text=True))
    done = client.post(f"/sources/{source.id}/refresh", data={"csrf_token": token})
    assert done.status_code == 302


def test_another_users_event_is_not_found(app: Flask, tmp_path: Path) -> None:
    session = db.session()
    stranger = owner(session, "stranger@example.org")
    feed = tmp_path / "theirs.ics"
    feed.write_bytes((FEEDS / "meetup_detroitruby_group_feed.ics").read_bytes())
    source = add_file_source(session, stranger, feed, "ical")
    session.commit()
    refresh_source(source.id, "2013-01-01T00:00:00+00:00")
    event_id = db.session().scalars(select(Event.id)).first()
    client = app.test_client()
    assert client.get(f"/events/{event_id}").status_code == 404
    for path in ("/", "/upcoming", "/weeks"):
        assert "DetroitRuby" not in client.get(path).get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_scraped_html_is_shown_as_text(app: Flask, tmp_path: Path) -> None:
    feed = tmp_path / "xss.ics"
    feed.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
        b"DTSTART:20990101T180000Z\r\nSUMMARY:<script>alert(1)</script>Hack night\r\n"
        b"DESCRIPTION:<img src=x onerror=alert(1)>Bring &lt\\;b&gt\\;snacks&lt\\;/b&gt\\;\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    session = db.session()
    source = add_file_source(session, owner(session), feed, "ical")
    session.commit()
    refresh_source(source.id, "2098-12-01T00:00:00+00:00")
    event = db.session().scalars(select(Event)).one()
    assert event.title == "Hack night"
    page = app.test_client().get(f"/events/{event.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img" not in page and "onerror" not in page
    assert "Bring ‹b›snacks‹/b›" in page


def test_default_secret_is_refused_outside_debug(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PLANNER_SECRET_KEY"):
        create_app({"DEBUG": False, "TESTING": False, "INSTANCE_PATH": str(tmp_path)})


def test_users_sharing_a_feed_cannot_touch_each_others_events(app: Flask, tmp_path: Path) -> None:
    content = build_feeds(datetime.now(UTC))[0].content
    mine, theirs = tmp_path / "mine.ics", tmp_path / "theirs.ics"
    mine.write_bytes(content)
    theirs.write_bytes(content)
    session = db.session()
    sources = [
        add_file_source(session, owner(session), mine, "ical", "My PyBerlin feed"),
        add_file_source(session, owner(session, "b@example.org"), theirs, "ical", "Bob's feed"),
    ]
    session.commit()
    for source in sources:
        refresh_source(source.id)
    theirs.write_bytes(content.replace(b"Talk by Dr. Hanna Vogel", b"Visit evil.example"))
    refresh_source(sources[1].id, force=True)
    client = app.test_client()
    home = client.get("/upcoming").get_data(as_text=True)
    assert "from My PyBerlin feed" in home and "Bob" not in home
    query = select(Event).where(Event.owner_id == sources[0].owner_id).order_by(Event.start)
    event = db.session().scalars(query).first()
    assert [link.source.name for link in event.links] == ["My PyBerlin feed"]
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Hanna Vogel" in page and "evil" not in page and "Bob" not in page


def test_all_upcoming_shows_the_next_weeks_and_offers_more(client: FlaskClient) -> None:
    page = client.get("/upcoming").get_data(as_text=True)
    assert "in the next 60 days" in page and "show the next 120 days" in page
    assert 'href="/upcoming?days=120"' in page
    longer = client.get("/upcoming?days=366").get_data(as_text=True)
    assert longer.count('class="event') > page.count('class="event')
    assert "show the next" not in longer


def test_a_private_address_is_refused_when_added(app: Flask, local_server: LocalServer) -> None:
    app.config["ALLOW_PRIVATE_URLS"] = False
    client = app.test_client()
    token = csrf_token(client.get("/sources/").get_data(as_text=True))
    for url in (local_server.url("/feed.ics"), "http://169.254.169.254/latest/meta-data/"):
        refused = client.post("/sources/", data={"url": url, "csrf_token": token})
        assert refused.status_code == 400 and "not allowed" in refused.get_data(as_text=True)
    assert local_server.requests == []
    assert db.session().scalars(select(Source)).all() == []


def test_remove_a_source(client: FlaskClient) -> None:
    source = db.session().scalars(select(Source).where(Source.name == "PyBerlin")).one()
    token = csrf_token(client.get("/sources/").get_data(as_text=True))
    assert client.post(f"/sources/{source.id}/remove").status_code in (400, 404)  # no token
    done = client.post(
        f"/sources/{source.id}/remove", data={"csrf_token": token}, follow_redirects=True
    )
    assert done.status_code == 200 and "Removed PyBerlin (5 events" in done.get_data(as_text=True)
    db.session().expire_all()
    assert db.session().get(Source, source.id) is None
    home = client.get("/upcoming").get_data(as_text=True)
    assert "PyBerlin Talks" not in home and "Berlin AI Builders" in home
    kept = db.session().scalars(select(Event).where(Event.title.like("PyBerlin Talks%"))).all()
    assert kept and all(e.gone_at is not None for e in kept)  # history stays
