"""The private calendar feed as calendar clients get it: served by the app (`/feeds/<token>.ics`),
parsed with `icalendar` and with Mozilla's ical.js (node), every event compared with planner's
own data; ETag/304, gzip, the per-process cache and what invalidates it, SEQUENCE after a real
re-ingest, rotated and revoked URLs, and the page that makes them.

The owner is the demo person (Berlin home, goals, contacts, the demo feeds) plus a feed of our
own: an all-day event, a recommended event that gets cancelled, a floating one, one without an
end and one full of commas, semicolons, backslashes and non-ASCII text. SQLite and PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select, update

from planner import db
from planner.demo_loader import load_demo, load_demo_person
from planner.feeds import location
from planner.jobs import refresh_source, wait_background
from planner.models import Contact, Event, EventFeedback, FeedToken, Recommendation, User
from planner.recommend import recommend, update_evidence
from planner.sources import add_file_source, owner
from planner.web.feeditems import picks_for
from planner.web.feedserve import Built, FastPath, cache, takes_gzip
from tests.accounts import csrf_token
from tests.conftest import need

BERLIN = ZoneInfo("Europe/Berlin")
JS = Path(__file__).parent / "js"
HOST = "127.0.0.1"  # of the test app's BASE_URL: the UIDs' domain
TALK = "PyBerlin Talks: Typed Python in Production"
INTEROP = "Typed Python and Rust in Production"
ODD = "Café, Code; „Köln“ — naïve \\ Rust"


# --- the world ---------------------------------------------------------------------------------


def ours(now: datetime, cancelled: bool = False, later: int = 0) -> bytes:
    """Our own feed around `now`; `cancelled` cancels the interop night, `later` moves the
    open-ended meetup that many hours."""
    day = now.astimezone(BERLIN).date()

    def on(days: int) -> str:
        return (day + timedelta(days=days)).strftime("%Y%m%d")

    status = "CANCELLED" if cancelled else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//feeds//EN",
        "BEGIN:VEVENT", "UID:day@test", "DTSTAMP:20260101T000000Z",
        f"DTSTART;VALUE=DATE:{on(9)}", f"DTEND;VALUE=DATE:{on(11)}",
        "SUMMARY:Berlin Python Unconference",
        "LOCATION:Kulturbrauerei\\, Schönhauser Allee 36\\, 10435 Berlin\\, Germany",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:interop@test", "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{on(38)}T190000",
        f"DTEND;TZID=Europe/Berlin:{on(38)}T213000",
        f"SUMMARY:{INTEROP}", f"STATUS:{status}",
        "DESCRIPTION:Python developers on typed production code: mypy\\, pyright and Rust.",
        "LOCATION:Kiezwerk Coworking\\, Invalidenstraße 112\\, 10115 Berlin\\, Germany",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:floating@test", "DTSTAMP:20260101T000000Z",
        f"DTSTART:{on(12)}T190000", f"DTEND:{on(12)}T210000", "SUMMARY:Hallway track",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:odd@test", "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{on(14)}T183000",
        f"DTEND;TZID=Europe/Berlin:{on(14)}T200000",
        "SUMMARY:Café\\, Code\\; „Köln“ — naïve \\\\ Rust",
        "DESCRIPTION:Line one\\, with commas\\; and semicolons.\\nLine two: 東京 🎉",
        "LOCATION:Zum Löwen\\; Hof 2\\, Straße des 17. Juni 135\\, 10623 Berlin",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:open@test", "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{on(20)}T{19 + later:02d}0000",
        "SUMMARY:Open end meetup",
        "LOCATION:Spreeblick Lab\\, Rosenthaler Straße 40\\, 10178 Berlin",
        "END:VEVENT",
        "END:VCALENDAR",
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass
class World:
    client: FlaskClient
    path: Path  # our feed's file
    source_id: int

    def reread(self, data: bytes) -> None:
        """Our feed changed on disk: read again, as a refresh does."""
        self.path.write_bytes(data)
        refresh_source(self.source_id, datetime.now(UTC).isoformat(), force=True)
        wait_background()


@pytest.fixture
def world(any_app: Flask, tmp_path: Path) -> World:
    now = datetime.now(UTC)
    list(load_demo(now))
    list(load_demo_person(now))
    path = tmp_path / "ours.ics"
    path.write_bytes(ours(now))
    with db.transaction() as session:
        source = add_file_source(session, owner(session), path, "ical", "Our feed", now=now)
    refresh_source(source.id, now.isoformat(), force=True)
    wait_background()  # geocoding and evidence jobs
    update_evidence(owner(db.session()).id, now.isoformat())
    cache.clear()
    return World(any_app.test_client(), path, source.id)


def event_id(uid_title: str) -> int:
    found = db.session().scalars(select(Event.id).where(Event.title == uid_title)).first()
    assert found is not None, uid_title
    return found


def token(client: FlaskClient, page: str = "/feeds") -> str:
    return csrf_token(client.get(page).get_data(as_text=True))


def mark(client: FlaskClient, number: int, state: str = "going") -> None:
    data = {"csrf_token": token(client), "state": state, "next": "/"}
    assert client.post(f"/events/{number}/state", data=data).status_code == 303


def make_urls(client: FlaskClient) -> dict[str, str]:
    """Press "Make a private URL" for both feeds; kind -> the URL's path."""
    for kind in ("all", "going"):
        made = client.post(f"/feeds/{kind}/make", data={"csrf_token": token(client)})
        assert made.status_code == 303 and made.headers["Location"] == f"/feeds#feed-{kind}"
    return urls_on_page(client)


def urls_on_page(client: FlaskClient) -> dict[str, str]:
    page = BeautifulSoup(client.get("/feeds").get_data(as_text=True), "lxml")
    found = {}
    for kind in ("all", "going"):
        field = page.select_one(f"#feed-{kind}-url")
        if field is not None:
            found[kind] = str(field["value"]).removeprefix(f"http://{HOST}:5000")
    return found


def ical_js(data: bytes, tmp_path: Path) -> dict[str, Any]:
    """What Mozilla's ical.js reads from `data` (tests/js/parse_feed.mjs)."""
    if shutil.which("node") is None:
        need("node", "install Node.js (the ical.js feed test runs under node)")
    if not (JS / "node_modules" / "ical.js").is_dir():
        need("ical.js", "run `npm ci` in tests/js (make test does)")
    path = tmp_path / "served.ics"
    path.write_bytes(data)
    done = subprocess.run(
        ["node", str(JS / "parse_feed.mjs"), str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def by_icalendar(data: bytes) -> dict[str, Any]:
    """The same fields as parse_feed.mjs prints, as the Python `icalendar` package reads them."""

    def shown(value: date | datetime) -> str:
        if not isinstance(value, datetime):
            return value.isoformat()
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    calendar = Calendar.from_ical(data)
    events = []
    for event in calendar.walk("VEVENT"):
        events.append(
            {
                "uid": str(event["uid"]),
                "title": str(event["summary"]),
                "start": shown(event.decoded("dtstart")),
                "end": shown(event.decoded("dtend")),
                "location": str(event["location"]) if "location" in event else None,
                "status": str(event["status"]),
                "sequence": event.decoded("sequence"),
            }
        )
    return {"calendar": {k: str(v) for k, v in calendar.items()}, "events": events}


def expected(event: Event) -> dict[str, Any]:
    """What a calendar should show for `event`, from planner's own row: the title (marked when
    cancelled), start and end (all-day: dates, the end exclusive; floating: the wall clock;
    else UTC; two hours when no end is given), the venue with its address."""
    prefix = {"cancelled": "Cancelled: ", "postponed": "Postponed: "}.get(event.status, "")
    start, end = event.start, event.end
    if event.all_day:
        last = end.date() if end and end.date() > start.date() else start.date() + timedelta(1)
        return {
            "title": prefix + event.title,
            "start": start.date().isoformat(),
            "end": last.isoformat(),
            "location": location(event),  # type: ignore[arg-type]
        }
    end = end or start + timedelta(hours=2)
    if event.floating:
        shown = [t.replace(tzinfo=None).isoformat() for t in (start, end)]
    else:
        shown = [t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") for t in (start, end)]
    return {
        "title": prefix + event.title,
        "start": shown[0],
        "end": shown[1],
        "location": location(event),  # type: ignore[arg-type]
    }


def uid_id(uid: str) -> int:
    number, _, host = uid.removeprefix("event-").partition("@")
    assert host == HOST
    return int(number)


def rows(uids: list[str]) -> dict[str, Event]:
    session = db.session()
    session.expire_all()
    found = session.scalars(select(Event).where(Event.id.in_([uid_id(u) for u in uids])))
    return {f"event-{row.id}@{HOST}": row for row in found}


def hour_of() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def fetch(client: FlaskClient, path: str, **headers: str) -> Any:
    """GET `path`, again if the hour turned meanwhile (a feed is built for its hour)."""
    while True:
        hour = hour_of()
        answer = client.get(path, headers=headers)
        if hour_of() == hour:
            return answer


# --- the served feed ---------------------------------------------------------------------------


def test_served_feed_reads_the_same_in_icaljs_icalendar_and_planner(
    world: World, tmp_path: Path
) -> None:
    client = world.client
    for title in ("Berlin Python Unconference", "Hallway track", ODD, "Open end meetup"):
        mark(client, event_id(title), "going")
    urls = make_urls(client)
    answer = fetch(client, urls["all"])
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert answer.headers["Cache-Control"] == "private, max-age=300"
    assert answer.headers["Content-Disposition"] == 'inline; filename="planner-recommended.ics"'
    data = answer.data
    assert answer.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()[:40]}"'

    js, py = ical_js(data, tmp_path), by_icalendar(data)
    assert js["calendar"] == {
        "prodid": "-//planner//feed//EN",
        "version": "2.0",
        "method": "PUBLISH",
        "name": "planner: recommended for Local owner",
        "calname": "planner: recommended for Local owner",
        "refresh": "PT1H",
        "ttl": "PT1H",
    }
    assert py["calendar"]["X-WR-CALNAME"] == js["calendar"]["calname"]
    uids = [e["uid"] for e in js["events"]]
    assert uids == [e["uid"] for e in py["events"]] and len(set(uids)) == len(uids)
    stored = rows(uids)
    marks = dict(db.session().execute(select(EventFeedback.event_id, EventFeedback.at)).all())
    for seen_js, seen_py in zip(js["events"], py["events"], strict=True):
        row = stored[seen_js["uid"]]
        want = expected(row)
        for reader in (seen_js, seen_py):
            got = {k: reader[k] for k in ("title", "start", "end", "location")}
            assert got == want, row.title
            assert reader["sequence"] == row.sequence
        assert seen_js["url"] == f"http://{HOST}:5000/events/{row.id}"
        changed = max(row.updated_at, marks.get(row.id, row.updated_at))  # the event, its mark
        assert seen_js["dtstamp"] == changed.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # what is in it: the going events and the recommendations of this hour, nothing else
    session = db.session()
    user = owner(session)
    picks = recommend(session, user, hour_of(), limit=picks_for(user), remember=False)
    going = {event_id(t) for t in ("Berlin Python Unconference", "Hallway track", ODD)}
    assert set(stored) == {f"event-{i}@{HOST}" for i in going | {event_id("Open end meetup")}} | {
        f"event-{p.event.id}@{HOST}" for p in picks
    }
    only = by_icalendar(fetch(client, urls["going"]).data)
    marked = going | {event_id("Open end meetup")}
    assert {e["uid"] for e in only["events"]} == {f"event-{i}@{HOST}" for i in marked}
    assert only["calendar"]["X-WR-CALNAME"] == "planner: Local owner is going"

    shown = {e["title"]: e for e in js["events"]}
    day = shown["Berlin Python Unconference"]
    assert date.fromisoformat(day["end"]) - date.fromisoformat(day["start"]) == timedelta(2)
    assert shown["Hallway track"]["start"].endswith("T19:00:00")  # floating: the wall clock
    assert shown[ODD]["location"] == "Zum Löwen; Hof 2, Straße des 17. Juni 135, 10623 Berlin"
    assert "Line two: 東京 🎉" in shown[ODD]["description"]
    assert shown[ODD]["description"].startswith("You are going.")
    assert shown[ODD]["transp"] == "OPAQUE"
    assert "No end time given: shown as two hours." in shown["Open end meetup"]["description"]

    # a recommendation carries its reasons and the people to meet, in the home page's words
    talk = shown[TALK]
    assert talk["transp"] == "TRANSPARENT" and talk["geo"] == [52.5312, 13.3846]
    assert talk["location"] == "Kiezwerk Coworking, Invalidenstraße 112, 10115 Berlin, DE"
    text = talk["description"]
    assert 'Why planner recommends it:\n- matches your goal "meet Python developers' in text
    assert "People you could meet there:\n- Hanna Vogel (speaking: " in text
    assert "- Mehmet Aydın (likely there, not confirmed: lives " in text
    assert "Event page: https://www.meetup.com/pyberlin/events/" in text


def test_a_recommended_event_cancelled_later_stays_as_cancelled(world: World) -> None:
    client = world.client
    path = make_urls(client)["all"]
    interop = event_id(INTEROP)
    before = by_icalendar(fetch(client, path).data)
    shown = {e["uid"]: e for e in before["events"]}
    assert shown[f"event-{interop}@{HOST}"]["status"] == "CONFIRMED", "not recommended"
    assert client.get("/").status_code == 200  # the home page remembers what it recommends
    assert db.session().scalar(select(Recommendation.id).where(Recommendation.event_id == interop))

    world.reread(ours(datetime.now(UTC), cancelled=True))
    after = {e["uid"]: e for e in by_icalendar(fetch(client, path).data)["events"]}
    gone = after[f"event-{interop}@{HOST}"]
    assert gone["status"] == "CANCELLED" and gone["title"] == f"Cancelled: {INTEROP}"
    assert gone["sequence"] == shown[f"event-{interop}@{HOST}"]["sequence"] + 1
    assert gone["start"] == shown[f"event-{interop}@{HOST}"]["start"]


def vevent(data: bytes, uid: str) -> Any:
    """The VEVENT of `uid` in a served feed, as `icalendar` reads it."""
    found = [e for e in Calendar.from_ical(data).walk("VEVENT") if str(e["uid"]) == uid]
    assert len(found) == 1, uid
    return found[0]


def test_marking_going_keeps_the_reasons_and_dates_the_change(world: World) -> None:
    """A recommended event the user marks Going stays in the "all" feed with why planner
    recommends it and whom to meet there, now busy and "You are going.", dated by the mark."""
    client = world.client
    urls = make_urls(client)
    assert client.get("/").status_code == 200  # the home page remembers what it recommends
    talk = event_id(TALK)
    uid = f"event-{talk}@{HOST}"
    read_earlier = update(Event).where(Event.id == talk)  # not within the second of the mark
    db.session().execute(read_earlier.values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
    db.session().commit()
    before = vevent(fetch(client, urls["all"]).data, uid)
    text = str(before["description"])
    assert str(before["transp"]) == "TRANSPARENT"
    assert "Why planner recommends it:\n- matches your goal" in text
    people = text[text.index("People you could meet there:") :].split("\n\n")[0]
    assert "Hanna Vogel (speaking: " in people

    mark(client, talk, "going")
    after = vevent(fetch(client, urls["all"]).data, uid)
    said = str(after["description"])
    assert said.startswith("You are going.\n\nWhy planner recommends it:\n- matches your goal")
    assert people in said and str(after["transp"]) == "OPAQUE"
    session = db.session()
    marked_at = session.scalars(
        select(EventFeedback.at).where(EventFeedback.event_id == talk)
    ).one()
    assert after.decoded("dtstamp") == marked_at.replace(microsecond=0)
    assert after.decoded("last-modified") == after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("sequence") == before.decoded("sequence")  # time and place unchanged
    going = vevent(fetch(client, urls["going"]).data, uid)
    assert going.decoded("dtstamp") == after.decoded("dtstamp")


def test_sequence_rises_when_a_reread_moves_an_event(world: World) -> None:
    client = world.client
    mark(client, event_id("Open end meetup"), "going")
    path = make_urls(client)["going"]
    uid = f"event-{event_id('Open end meetup')}@{HOST}"
    first = fetch(client, path)
    before = {e["uid"]: e for e in by_icalendar(first.data)["events"]}[uid]
    world.reread(ours(datetime.now(UTC), later=1))
    second = fetch(client, path)
    after = {e["uid"]: e for e in by_icalendar(second.data)["events"]}[uid]
    assert after["sequence"] == before["sequence"] + 1
    moved = datetime.fromisoformat(after["start"]) - datetime.fromisoformat(before["start"])
    assert moved == timedelta(hours=1)
    assert second.headers["ETag"] != first.headers["ETag"]


def test_unchanged_data_gives_the_same_bytes(world: World) -> None:
    client = world.client
    mark(client, event_id("Hallway track"), "going")
    urls = make_urls(client)
    for path in urls.values():
        first = fetch(client, path)
        session = db.session()
        user = owner(session)
        version = user.data_version
        contact = session.scalars(select(Contact).where(Contact.owner_id == user.id)).first()
        contact.notes = "met at a conference; no change to any feed"  # type: ignore[union-attr]
        session.commit()
        session.refresh(user)
        assert user.data_version > version  # so the cache is built again...
        second = fetch(client, path)
        assert second.data == first.data  # ...to the same bytes
        assert second.headers["ETag"] == first.headers["ETag"]
        secret = path.removeprefix("/feeds/").removesuffix(".ics")
        kept = cache.entries[hashlib.sha256(secret.encode()).hexdigest()]
        assert kept.data_version == user.data_version


def test_not_modified_gzip_and_the_cache_a_change_invalidates(world: World) -> None:
    client = world.client
    path = make_urls(client)["going"]
    first = fetch(client, path)
    etag = first.headers["ETag"]
    again = fetch(client, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"].startswith("private")
    zipped = fetch(client, path, **{"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    assert zipped.headers["ETag"] == etag[:-1] + '-gzip"'
    assert "Accept-Encoding" in zipped.headers["Vary"]
    both = fetch(client, path, **{"If-None-Match": zipped.headers["ETag"]})
    assert both.status_code == 304
    assert fetch(client, path, **{"If-None-Match": '"something-else"'}).status_code == 200

    hallway = event_id("Hallway track")
    assert f"event-{hallway}@".encode() not in first.data
    mark(client, hallway, "going")  # through the page's button: a data change
    changed = fetch(client, path, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert f"event-{hallway}@".encode() in changed.data


def test_rotated_and_revoked_urls_answer_404_at_once(world: World) -> None:
    client = world.client
    urls = make_urls(client)
    unknown = client.get("/feeds/" + "A" * 43 + ".ics")
    assert unknown.status_code == 404
    assert client.get("/feeds/short.ics").data == unknown.data
    for path in urls.values():
        assert client.get(path).status_code == 200  # cached in this process now
    rotated = client.post("/feeds/all/rotate", data={"csrf_token": token(client)})
    assert rotated.status_code == 303
    new = urls_on_page(client)
    assert new["all"] != urls["all"] and new["going"] == urls["going"]
    old = client.get(urls["all"])
    assert (old.status_code, old.data) == (404, unknown.data)  # same answer as a wrong token
    assert client.get(new["all"]).status_code == 200

    revoked = client.post("/feeds/going/revoke", data={"csrf_token": token(client)})
    assert revoked.status_code == 303
    assert client.get(urls["going"]).status_code == 404
    assert "going" not in urls_on_page(client)
    assert b"Make a private URL" in client.get("/feeds").data


def test_tokens_are_stored_hashed_and_use_is_noted_hourly(world: World) -> None:
    client = world.client
    path = make_urls(client)["all"]
    secret = path.removeprefix("/feeds/").removesuffix(".ics")
    assert len(secret) == 43  # 256 bits, URL-safe base64
    session = db.session()
    row = session.scalars(select(FeedToken).where(FeedToken.kind == "all")).one()
    assert secret not in (row.seed, row.token_hash)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.last_used_at is None
    client.get(path)
    session.expire_all()
    first_use = session.get(FeedToken, row.id).last_used_at  # type: ignore[union-attr]
    assert first_use is not None
    client.get(path)
    session.expire_all()
    assert session.get(FeedToken, row.id).last_used_at == first_use  # type: ignore[union-attr]


def test_the_page_without_urls_with_them_and_bad_requests(world: World) -> None:
    client = world.client
    mark(client, event_id("Hallway track"), "going")
    page = client.get("/feeds").get_data(as_text=True)
    assert page.count("Make a private URL") == 2
    assert "only on this machine" in page  # single-user mode: Google cannot reach it
    assert client.post("/feeds/all/make").status_code == 400  # no CSRF token
    assert client.post("/feeds/nope/make", data={"csrf_token": token(client)}).status_code == 404
    assert client.post("/feeds/all/delete", data={"csrf_token": token(client)}).status_code == 404
    urls = make_urls(client)
    page = client.get("/feeds").get_data(as_text=True)
    for path in urls.values():
        assert f'value="http://{HOST}:5000{path}"' in page
        assert f'href="webcal://{HOST}:5000{path}"' in page
    # single-user mode: only the ways that work on this machine
    for step in ("New Calendar Subscription", "On My Mac", "On the Network", "Find Calendars"):
        assert step in page
    for elsewhere in ("From URL", "Subscribe from web", "Add Subscribed Calendar"):
        assert elsewhere not in page  # Google, Outlook, a phone: they cannot reach 127.0.0.1
    assert "does not update" in page  # what a downloaded file is
    assert "stop updating" in page  # what rotating does
    assert "you went to in the last 30 days" in page  # as long as the going feed keeps them
    preview = BeautifulSoup(page, "lxml").select(".feed-items li")
    said = [" ".join(li.get_text(" ", strip=True).split()) for li in preview]
    assert any(s.startswith("Wed") and TALK in s for s in said), said  # a pick
    assert any("Hallway track going" in s for s in said), said  # marked going


def test_a_change_is_said_beside_its_feed_and_fetches_as_exactly_as_noted(world: World) -> None:
    client = world.client
    urls = make_urls(client)

    def page() -> BeautifulSoup:
        return BeautifulSoup(client.get("/feeds").get_data(as_text=True), "lxml")

    def used(kind: str) -> str:
        return page().select_one(f"#feed-{kind} .feed-used").get_text(" ", strip=True)

    rotated = client.post("/feeds/going/rotate", data={"csrf_token": token(client)})
    assert rotated.headers["Location"] == "/feeds#feed-going"
    said = page().select(".flash")  # where the redirect scrolls to: in that feed's card
    assert [p.find_parent("section")["id"] for p in said] == ["feed-going"]
    assert "The old one no longer works" in said[0].get_text()
    assert page().select(".flash") == []  # said once

    assert used("all").endswith("not fetched by a calendar yet")
    assert fetch(client, urls["all"]).status_code == 200
    assert used("all").endswith("fetched by a calendar within the past hour")
    session = db.session()
    row = session.scalars(select(FeedToken).where(FeedToken.kind == "all")).one()
    row.last_used_at -= timedelta(hours=3, minutes=30)  # noted hourly: "about", not "ago"
    session.commit()
    assert used("all").endswith("last fetched by a calendar about 3 hours ago")


def test_a_public_deployment_shows_the_steps_for_every_calendar(multi: Flask) -> None:
    from tests.accounts import signed_in

    multi.config["BASE_URL"] = "https://planner.example.org"
    ann = signed_in(multi, "ann@example.org")
    make_urls(ann)
    page = ann.get("/feeds").get_data(as_text=True)
    assert "only on this machine" not in page
    for step in ("From URL", "Subscribe from web", "Add Subscribed Calendar", "iCloud"):
        assert step in page
    assert "On My Mac" not in page


def test_single_user_mode_serves_feeds_to_this_machine_only(world: World) -> None:
    path = make_urls(world.client)["all"]
    far = {"REMOTE_ADDR": "192.0.2.7"}
    assert world.client.get(path, environ_base=far).status_code == 403
    assert world.client.get(path).status_code == 200  # built and cached now...
    assert world.client.get(path, environ_base=far).status_code == 403  # ...still refused


@pytest.mark.parametrize("host", ["rebind.evil.example:5000", "rebind.evil.example", "10.0.0.2"])
def test_single_user_mode_serves_feeds_under_this_machines_names_only(
    world: World, host: str
) -> None:
    """A web page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) reaches the app
    from this machine, but under its own Host: refused, also when the feed is cached (the
    answer in front of the app)."""
    path = make_urls(world.client)["all"]
    assert fetch(world.client, path).status_code == 200  # built and cached now
    fast = world.client.application.wsgi_app
    assert isinstance(fast, FastPath)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
    environ |= {"wsgi.url_scheme": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000"}
    assert fast.cached(environ) is not None
    assert fast.cached({**environ, "HTTP_HOST": host}) is None
    refused = world.client.get(path, headers={"Host": host})
    assert refused.status_code == 403 and b"BEGIN:VCALENDAR" not in refused.data
    for name in ("localhost:5000", "127.0.0.1", "[::1]:5000"):
        assert fast.cached({**environ, "HTTP_HOST": name}) is not None, name
        assert world.client.get(path, headers={"Host": name}).status_code == 200, name


def test_the_fast_path_answers_as_the_view_does(world: World) -> None:
    """A feed this process built already is answered in front of Flask (`FastPath`), with the
    same status, headers and bytes as the view gives."""
    client = world.client
    path = make_urls(client)["all"]
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "REMOTE_ADDR": "127.0.0.1"}
    environ["HTTP_HOST"] = "127.0.0.1:5000"
    fast = world.client.application.wsgi_app
    assert isinstance(fast, FastPath)
    assert fast.cached(environ) is None  # not built yet: the view will
    built = fetch(client, path)  # by the view
    quick = fetch(client, path)  # in front of it
    assert fast.cached(environ) is not None
    assert quick.data == built.data
    same = ("ETag", "Content-Type", "Content-Length", "Cache-Control", "Content-Disposition")
    same += ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
    assert {h: quick.headers[h] for h in same} == {h: built.headers[h] for h in same}
    assert "Accept-Encoding" in quick.headers["Vary"]
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == built.headers["Content-Length"]
    assert client.post(path).status_code == 405  # other methods: the app's answer
    unknown = {**environ, "PATH_INFO": "/feeds/" + "B" * 43 + ".ics"}
    assert fast.cached(unknown) is None  # the view answers 404


# --- two accounts ------------------------------------------------------------------------------


def test_a_feed_shows_its_owner_only_and_others_cannot_touch_it(
    multi: Flask, tmp_path: Path
) -> None:
    from tests.accounts import signed_in

    now = datetime.now(UTC)
    session = db.session()
    for name in ("ann", "bob"):
        user = session.scalars(select(User).where(User.email == f"{name}@example.org")).one()
        path = tmp_path / f"{name}.ics"
        path.write_bytes(ours(now))  # the same events: each user has their own copies
        source = add_file_source(session, user, path, "ical", f"{name}'s feed", now=now)
        session.commit()
        refresh_source(source.id, now.isoformat(), force=True)
    wait_background()
    ann, bob = signed_in(multi, "ann@example.org"), signed_in(multi, "bob@example.org")

    def mine(email: str, title: str) -> int:
        query = select(Event.id).join(User, User.id == Event.owner_id)
        return db.session().scalars(query.where(User.email == email, Event.title == title)).one()

    mark(ann, mine("ann@example.org", "Hallway track"))
    mark(bob, mine("bob@example.org", "Open end meetup"))
    ann_urls, bob_urls = make_urls(ann), make_urls(bob)
    assert set(ann_urls.values()).isdisjoint(bob_urls.values())

    stranger = multi.test_client()  # calendar apps have no session
    answer = stranger.get(ann_urls["going"])
    assert answer.status_code == 200
    uids = [e["uid"] for e in by_icalendar(answer.data)["events"]]
    assert uids == [f"event-{mine('ann@example.org', 'Hallway track')}@{HOST}"]
    everything = by_icalendar(stranger.get(ann_urls["all"]).data)["events"]
    owners = {row.owner_id for row in rows([e["uid"] for e in everything]).values()}
    assert owners == {mine_user("ann@example.org")}

    before = stranger.get(ann_urls["all"]).data
    for action in ("rotate", "revoke"):
        assert bob.post(f"/feeds/all/{action}", data={"csrf_token": token(bob)}).status_code == 303
    assert stranger.get(ann_urls["all"]).data == before  # bob's buttons act on bob's feeds
    assert stranger.get(bob_urls["all"]).status_code == 404
    assert stranger.post("/feeds/all/revoke").status_code in (400, 401)
    signed_out = stranger.get("/feeds")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    assert urls_on_page(ann)["all"] == ann_urls["all"]


def mine_user(email: str) -> int:
    return db.session().scalars(select(User.id).where(User.email == email)).one()


# --- conditional requests and content coding ---------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        (None, False),
        ("gzip, deflate, br", True),
        ("br", False),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.5, identity", True),
        ("deflate;q=1, *;q=0", False),
    ],
)
def test_accept_encoding(accept: str | None, gzipped: bool) -> None:
    assert takes_gzip(accept) is gzipped


def test_if_none_match_names_either_representation() -> None:
    built = Built.of(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 1, hour_of())
    tag = built.tag
    for header in (f'"{tag}"', f'W/"{tag}"', f'"{tag}-gzip"', f'"old", "{tag}"', "*"):
        assert built.matches(header), header
    for header in ('"old"', 'W/"old", "older"', f'"{tag[:-1]}"'):
        assert not built.matches(header), header
