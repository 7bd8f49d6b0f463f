"""People to meet, wired: `planner people` (text and the JSON contract), the page, a gathering's
.ics, and that nobody ever sees another user's contacts or gatherings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner import db
from planner.accounts import create_user
from planner.models import Contact, Event, Goal, Trip, User
from planner.recommend import update_evidence
from planner.sources import owner
from tests.accounts import PASSWORD, signed_in
from tests.conftest import Cli, Run, close, make_app

NOW = "2026-03-02T09:00:00+00:00"  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")
LISBON = ZoneInfo("Europe/Lisbon")
HOME = (52.5296, 13.4019)
VENUE = (52.5312, 13.3846)
LISBOA = (38.7223, -9.1393)
MUNICH = (48.1372, 11.5755)


# --- the command ---


@pytest.fixture
def planner(cli: Cli) -> Run:
    """`planner ...` on a fresh SQLite database with the demo loaded around NOW."""
    run = cli()
    assert run("demo", "load", "--now", NOW).exit_code == 0
    return run


def test_people_json_follows_the_contract(planner) -> None:
    result = planner("people", "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert items and all(set(item) == {"contact", "event", "suggestion"} for item in items)
    for item in items:
        contact, event, suggestion = item["contact"], item["event"], item["suggestion"]
        assert set(contact) == {"id", "name", "company", "title", "city", "tie", "last_met"}
        assert suggestion["kind"] in ("meet", "host", "call", "travel")
        assert suggestion["text"] and suggestion["reasons"]
        assert ("gathering" in suggestion) is (suggestion["kind"] == "host")
        if event is not None:
            assert {"id", "title", "start", "timezone", "venue", "people", "sources"} <= set(event)
    by_name = {item["contact"]["name"]: item for item in items}
    hanna = by_name["Hanna Vogel"]
    assert hanna["contact"] == {
        "id": hanna["contact"]["id"],
        "name": "Hanna Vogel",
        "company": "Zalando",
        "title": "Staff Engineer",
        "city": "Berlin",
        "tie": "close",
        "last_met": None,
    }
    assert hanna["event"]["title"] == "PyBerlin Talks: Typed Python in Production"
    assert hanna["event"]["start"] == "2026-03-04T19:00:00+01:00"
    assert hanna["suggestion"]["kind"] == "meet"
    assert hanna["suggestion"]["text"] == (
        'Hanna Vogel is speaking at "PyBerlin Talks: Typed Python in Production", Wed 4 Mar, 19:00'
    )
    paul = by_name["Paul Richter"]  # Munich, a close tie: too far, nothing near, a call
    assert (paul["event"], paul["suggestion"]["kind"]) == (None, "call")
    # the namesake: "Tobias Lindner (Kontor Analytics)" leads a session; ours works elsewhere
    assert all(
        item["event"] is None or "Study Group" not in item["event"]["title"]
        for item in items
        if item["contact"]["name"] == "Tobias Lindner"
    )


def test_people_as_text(planner) -> None:
    result = planner("people", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert " 2. Hanna Vogel, Berlin [meet]" in result.stdout
    assert "    - a close contact" in result.stdout
    assert "[call]" in result.stdout


def test_people_for_an_unknown_user_is_a_usage_error(planner) -> None:
    result = planner("people", "--user", "nobody@example.org")
    assert result.exit_code == 2 and "no user" in result.stderr


# --- the page ---


def soon(days: int, clock: time = time(19)) -> datetime:
    local = datetime.combine(datetime.now(BERLIN).date() + timedelta(days=days), clock, BERLIN)
    return local.astimezone(UTC)


def person(session, user: User, name: str, place=HOME, city="Berlin", **fields) -> Contact:
    row = Contact(owner_id=user.id, name=name, city=city, lat=place[0], lon=place[1], **fields)
    session.add(row)
    return row


def fill(session, user: User, prefix: str = "") -> dict[str, Contact]:
    """A Berlin user: one contact speaking at an event soon, three Rust people with nothing on,
    two in Lisbon (where a trip takes the user), one in Munich."""
    user.home_lat, user.home_lon, user.timezone, user.radius_km = *HOME, "Europe/Berlin", 15
    user.name = f"{prefix}Host"
    session.add(Goal(owner_id=user.id, text="meet Rust developers", priority=1))
    people = {
        "speaker": person(session, user, f"{prefix}Katrin Müller", tags=["rust"], tie="close"),
        "nora": person(session, user, f"{prefix}Nora Schmidt", tags=["rust", "embedded"]),
        "jonas": person(session, user, f"{prefix}Jonas Weber", title="Rust Developer"),
        "ana": person(session, user, f"{prefix}Ana Costa", LISBOA, "Lisbon", tags=["rust"]),
        "rui": person(session, user, f"{prefix}Rui Alves", LISBOA, "Lisbon", tags=["rust"]),
        "paul": person(session, user, f"{prefix}Paul Richter", MUNICH, "Munich", tags=["rust"]),
    }
    first = datetime.now(BERLIN).date() + timedelta(days=10)
    session.add(
        Trip(
            owner_id=user.id, city="Lisbon", starts_on=first, ends_on=first + timedelta(days=3),
            lat=LISBOA[0], lon=LISBOA[1], timezone="Europe/Lisbon",
        )
    )  # fmt: skip
    start = soon(3)
    session.add(
        Event(
            owner_id=user.id, fingerprint=f"{prefix}systems-night", title=f"{prefix}Systems Night",
            start=start, end=start + timedelta(hours=2), timezone="Europe/Berlin",
            description=f"Talk by {prefix}Katrin Müller on async runtimes.", venue="Kiezwerk",
            lat=VENUE[0], lon=VENUE[1],
        )
    )  # fmt: skip
    session.commit()
    update_evidence(user.id, datetime.now(UTC).isoformat())
    return people


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    session = db.session()
    fill(session, owner(session))
    yield app.test_client()


def test_the_page_groups_the_suggestions_with_their_reasons(client: FlaskClient) -> None:
    page = client.get("/people/").get_data(as_text=True)
    sections = re.findall(r'<h2 id="[\w-]+">([^<]+)</h2>', page)
    assert sections == ["Meet at an event", "Host a gathering", "Call"]
    speaker = page[page.index('id="at-events"') : page.index('id="gatherings"')]
    assert "Katrin Müller is speaking at &#34;Systems Night&#34;" in speaker
    assert re.search(r'href="/events/\d+">Systems Night</a>', speaker)
    assert "the description says: &#34;Talk by Katrin Müller on async runtimes.&#34;" in speaker
    hosted = page[page.index('id="gatherings"') : page.index('id="calls"')]
    assert hosted.count('class="gathering"') == 2
    assert "Rust evening in Berlin" in hosted and "Rust evening in Lisbon" in hosted
    assert "Hi Jonas and Nora," in hosted and "Hi Ana and Rui," in hosted
    assert "Paul Richter" not in hosted and "Call Paul Richter: they live in Munich" in page


def ics_links(page: str) -> dict[str, str]:
    """City -> the address of its gathering's .ics."""
    found = re.findall(
        r'<h3 [^>]*>Rust evening in (\w+)</h3>.*?href="(/people/gatherings/\w+\.ics)"', page, re.S
    )
    return dict(found)


def test_the_ics_starts_in_the_gathering_city_zone(client: FlaskClient) -> None:
    links = ics_links(client.get("/people/").get_data(as_text=True))
    trip_day = datetime.now(BERLIN).date() + timedelta(days=10)
    home_day = datetime.now(BERLIN).date() + timedelta(days=5)
    expected = {
        "Lisbon": datetime.combine(trip_day, time(19), LISBON),
        "Berlin": datetime.combine(home_day, time(19), BERLIN),
    }
    for city, link in links.items():
        answer = client.get(link)
        assert answer.status_code == 200 and answer.mimetype == "text/calendar"
        assert answer.headers["Content-Disposition"].startswith('attachment; filename="gathering-')
        [vevent] = icalendar.Calendar.from_ical(answer.data).walk("VEVENT")
        start = vevent.decoded("DTSTART")
        assert start == expected[city] and str(start.tzinfo) == expected[city].tzinfo.key  # type: ignore[union-attr]
        assert str(vevent["SUMMARY"]) == f"Rust evening in {city}"
        assert str(vevent["DESCRIPTION"]).startswith("Hi ")
        again = icalendar.Calendar.from_ical(client.get(link).data).walk("VEVENT")[0]
        assert str(again["UID"]) == str(vevent["UID"])
    assert set(links) == {"Lisbon", "Berlin"}
    assert client.get("/people/gatherings/0123456789abcdef.ics").status_code == 404


def test_with_no_contacts_the_page_says_how_to_start(app: Flask) -> None:
    page = app.test_client().get("/people/").get_data(as_text=True)
    assert "No contacts yet." in page and 'href="/contacts/import"' in page


# --- other users ---


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'planner.sqlite3'}", tmp_path, MODE="multi")
    with app.app_context():
        session = db.session()
        for name in ("ann", "bob"):
            user = create_user(session, f"{name}@example.org", PASSWORD, datetime.now(UTC))
            session.flush()
            fill(session, user, prefix=name.capitalize())
        yield app
        close(app)


def test_another_user_never_sees_my_contacts_or_gatherings(multi: Flask) -> None:
    ann, bob = signed_in(multi, "ann@example.org"), signed_in(multi, "bob@example.org")
    ann_page = ann.get("/people/").get_data(as_text=True)
    bob_page = bob.get("/people/").get_data(as_text=True)
    names = ("Katrin Müller", "Nora Schmidt", "Jonas Weber", "Ana Costa", "Rui Alves", "Paul")
    for name in names:
        assert f"Ann{name}" in ann_page and f"Bob{name}" not in ann_page
        assert f"Bob{name}" in bob_page and f"Ann{name}" not in bob_page
    anns = ics_links(ann_page)
    assert anns and set(anns.values()).isdisjoint(ics_links(bob_page).values())
    for link in anns.values():
        assert ann.get(link).status_code == 200
        assert bob.get(link).status_code == 404
    assert multi.test_client().get(next(iter(anns.values()))).status_code == 302  # sign in first


def test_contacts_sharing_an_interest_at_one_event_are_worth_introducing(app: Flask) -> None:
    session = db.session()
    user = owner(session)
    people = fill(session, user)
    people["nora"].name = "Nora Schmidt"
    start = soon(4)
    session.add(
        Event(
            owner_id=user.id, fingerprint="rust-embedded", title="Rust on Microcontrollers",
            start=start, end=start + timedelta(hours=2), timezone="Europe/Berlin",
            description="Talks by Katrin Müller and Nora Schmidt on embedded Rust.",
            venue="Kiezwerk", lat=VENUE[0], lon=VENUE[1],
        )
    )  # fmt: skip
    session.commit()
    update_evidence(user.id, datetime.now(UTC).isoformat())
    page = app.test_client().get("/people/").get_data(as_text=True)
    section = page[page.index('id="introductions"') :]
    assert "Introduce Katrin Müller and Nora Schmidt" in section
    assert "both into rust" in section
    assert re.search(r'href="/events/\d+">Rust on Microcontrollers</a>', section)
    assert 'href="#introductions"' in page
