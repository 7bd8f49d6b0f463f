"""A listing page followed to its event pages over real HTTP: bounded per run, same site only,
unchanged pages not parsed again, pages that leave the listing marked gone; on every database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from planner import db
from planner.jobs import refresh_source
from planner.models import Event, Source
from planner.sources import add_source, owner
from tests.localserver import LocalServer

MEETUP = (Path(__file__).parent / "data" / "html" / "meetup_1.html").read_text()
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def event_page(server: LocalServer, number: int, title: str) -> str:
    """The saved Meetup page, as another event of the group on another day."""
    path = f"/group/events/{number}/"
    start = (NOW + timedelta(days=number % 100)).strftime("%Y-%m-%dT18:00:00-07:00")
    page = (
        MEETUP.replace("Dagger with Spokane Tech 🚀", title)
        .replace("https://www.meetup.com/python-spokane/events/298213205/", server.url(path))
        .replace("2024-03-19T18:00:00-07:00", start)
        .replace("2024-03-19T19:30:00-07:00", start.replace("T18", "T19"))
    )
    return server.add(path, page.encode(), content_type="text/html; charset=utf-8")


def listing(server: LocalServer, urls: list[str]) -> str:
    items = [{"@type": "ListItem", "position": i + 1, "url": u} for i, u in enumerate(urls)]
    data = json.dumps(
        {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": items}
    )
    body = (
        f"<html><head><title>Group events</title><script type='application/ld+json'>{data}"
        "</script></head><body><h1>Upcoming events</h1></body></html>"
    )
    return server.add("/group/events/", body.encode(), content_type="text/html")


def follow(url: str) -> int:
    session = db.session()
    source = add_source(session, owner(session), url, now=NOW)
    session.commit()
    return source.id


def titles() -> list[str]:
    query = select(Event.title).where(Event.gone_at.is_(None)).order_by(Event.title)
    return list(db.session().scalars(query))


def test_listing_is_followed_in_bounded_runs(any_app: Flask, local_server: LocalServer) -> None:
    any_app.config["MAX_PAGES_PER_RUN"] = 2
    pages = [event_page(local_server, n, f"Talk night {n}") for n in (101, 102, 103)]
    pages.append("https://elsewhere.example.org/events/9/")  # another site: never fetched
    source_id = follow(listing(local_server, pages))
    first = refresh_source(source_id, NOW.isoformat())
    assert first["ok"] and titles() == ["Talk night 101", "Talk night 102"]
    source = db.session().get(Source, source_id)
    assert source.kind == "page" and source.refresh_interval == 6 * 3600
    assert any("3 event pages listed; 2 read per run" in w for w in source.last_warnings)
    refresh_source(source_id, (NOW + timedelta(hours=6)).isoformat(), force=True)
    assert titles() == ["Talk night 101", "Talk night 102", "Talk night 103"]
    fetched = [r.path for r in local_server.requests if r.path.startswith("/group/events/1")]
    assert sorted(set(fetched)) == [
        "/group/events/101/",
        "/group/events/102/",
        "/group/events/103/",
    ]


def test_unchanged_pages_stay_and_dropped_pages_go(
    any_app: Flask, local_server: LocalServer
) -> None:
    pages = [event_page(local_server, n, f"Workshop {n}") for n in (201, 202)]
    source_id = follow(listing(local_server, pages))
    refresh_source(source_id, NOW.isoformat())
    assert titles() == ["Workshop 201", "Workshop 202"]
    listing(local_server, pages[:1])  # the group took one event off its page
    report = refresh_source(source_id, (NOW + timedelta(hours=7)).isoformat(), force=True)
    assert report["ok"] and titles() == ["Workshop 201"]
    gone = db.session().scalar(
        select(func.count()).select_from(Event).where(Event.gone_at.is_not(None))
    )
    assert gone == 1


def test_a_page_that_fails_keeps_its_events(any_app: Flask, local_server: LocalServer) -> None:
    pages = [event_page(local_server, n, f"Meetup {n}") for n in (301, 302)]
    source_id = follow(listing(local_server, pages))
    refresh_source(source_id, NOW.isoformat())
    local_server.add("/group/events/302/", b"", status=500)
    refresh_source(source_id, (NOW + timedelta(hours=7)).isoformat(), force=True)
    assert titles() == ["Meetup 301", "Meetup 302"]
    warnings = db.session().get(Source, source_id).last_warnings
    assert any("could not read" in w and "HTTP 500" in w for w in warnings)


def test_a_page_that_lost_its_events_says_so(any_app: Flask, local_server: LocalServer) -> None:
    url = event_page(local_server, 401, "Lone event")
    source_id = follow(url)
    refresh_source(source_id, NOW.isoformat())
    local_server.add(
        "/group/events/401/",
        b"<html><body><h1>Page moved</h1></body></html>",
        content_type="text/html",
    )
    result = refresh_source(source_id, (NOW + timedelta(hours=7)).isoformat(), force=True)
    source = db.session().get(Source, source_id)
    assert result["ok"] and source.events_found == 0
    assert source.last_warnings[0].startswith("listed 1 event last time and none now")
