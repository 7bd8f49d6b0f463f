"""The recommendations home page, the buttons that adapt it (going, not interested, attended,
whom you met, follow-ups, undo), the serendipity switch and the week view: through Flask's test
client (with and without `Accept: application/json`) and in Chromium, on the demo person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from planner import db
from planner.accounts import create_user
from planner.attendance import log_meetings
from planner.demo import build_feeds
from planner.demo_loader import load_demo, load_demo_person
from planner.jobs import refresh_source, wait_background
from planner.models import Contact, Event, EventFeedback, Meeting, Recommendation, User
from planner.recommend import update_evidence
from planner.sources import add_file_source, owner
from tests.accounts import PASSWORD, signed_in
from tests.browser import PHONE, serve, tab
from tests.conftest import close, make_app

TALK = "PyBerlin Talks: Typed Python in Production"
POLARS = "PyBerlin Talks: Data Pipelines with Polars"
STUDY = "Python Study Group: async & await"
BERLIN = ZoneInfo("Europe/Berlin")
JSON = {"Accept": "application/json"}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """The demo feeds and the demo person (Berlin home, 3 goals, 7 contacts) for the owner."""
    now = datetime.now(UTC)
    list(load_demo(now))
    list(load_demo_person(now))
    wait_background()  # evidence jobs queued by the refreshes and geocoding, finished...
    update_evidence(the_owner().id, now.isoformat())  # ...then worked out once more, last
    return app.test_client()


def soup(client: FlaskClient, path: str = "/") -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


def token(page: BeautifulSoup) -> str:
    field = page.find("input", attrs={"name": "csrf_token"})
    assert isinstance(field, Tag), "no form with a CSRF token"
    return str(field["value"])


def event_id(title: str, owner_email: str | None = None) -> int:
    query = select(Event.id).where(Event.title == title).order_by(Event.start)
    if owner_email:
        query = query.join(User, User.id == Event.owner_id).where(User.email == owner_email)
    found = db.session().scalars(query).first()
    assert found is not None, title
    return found


def card(page: BeautifulSoup, where: str, number: int) -> Tag | None:
    found = page.select_one(f"{where} #event-{number}")
    return found if isinstance(found, Tag) else None


def buttons(tag: Tag) -> list[str]:
    """The visible words of the buttons in `tag` (not the words only screen readers get)."""
    return [
        "".join(button.find_all(string=True, recursive=False)).strip()
        for button in tag.select("button, a.button")
    ]


def mark(client: FlaskClient, number: int, state: str, **headers: str) -> object:
    page = soup(client)
    data = {"csrf_token": token(page), "state": state, "next": "/"}
    return client.post(f"/events/{number}/state", data=data, headers=headers)


def into_past(number: int, days: int) -> date:
    """Move an event `days` back (19:00 in Berlin); its day there."""
    session = db.session()
    event = session.get(Event, number)
    assert event is not None
    day = datetime.now(BERLIN).date() - timedelta(days=days)
    start = datetime.combine(day, datetime.min.time(), BERLIN).replace(hour=19)
    event.start, event.end = start.astimezone(UTC), (start + timedelta(hours=2)).astimezone(UTC)
    session.commit()
    return day


def the_owner() -> User:
    return owner(db.session())


# --- the home page -----------------------------------------------------------------------------


def test_home_shows_picks_with_reasons_by_kind_and_whom_to_meet(client: FlaskClient) -> None:
    page = soup(client)
    assert page.h1 is not None and page.h1.get_text() == "Recommended for you"
    picks = page.select("#picks > li.card")
    titles = [str(c.select_one(".card-title").get_text(strip=True)) for c in picks]
    assert titles[0] == TALK and POLARS in titles
    assert "PyBerlin Pub Night" not in titles  # cancelled
    talk = picks[0]
    labels = [dt.get_text() for dt in talk.select(".card-reasons dt")]
    assert labels[:2] == ["Goals", "Contacts"] and {"Place", "Time"} <= set(labels)
    assert "meet Python developers" in talk.select_one(".reason-goal").get_text()
    assert "Wed" in talk.select_one(".card-when").get_text()
    assert talk.select_one(".card-where").get_text() == "Kiezwerk Coworking"
    people = {
        li.select_one(".contact-name").get_text(): li
        for li in talk.select(".reason-contact dd.contact-at")
    }
    hanna = people["Hanna Vogel"]
    assert hanna.select_one(".role").get_text() == "speaking"
    assert "Talk by Dr. Hanna Vogel (Zalando)" in hanna.select_one(".evidence").get_text()
    likely = [li for li in people.values() if "likely" in li["class"]]
    assert likely and all(
        li.select_one(".role").get_text() == "likely there, not confirmed" for li in likely
    )
    assert "introduce Hanna Vogel and Jonas Weber" in talk.select_one(".intros").get_text()
    assert page.select_one(".setup") is None  # nothing left to set up
    remembered = db.session().scalars(select(Recommendation.event_id)).all()
    assert event_id(TALK) in remembered  # kept for what each goal and source yields


def test_a_new_user_is_told_what_to_do(app: Flask) -> None:
    page = soup(app.test_client())
    steps = {li["class"][1]: li for li in page.select(".setup li")}
    assert set(steps) == {"step-goals", "step-sources", "step-home", "step-contacts"}
    assert steps["step-goals"].a["href"] == "/goals/"
    assert steps["step-sources"].a["href"] == "/sources/"
    assert steps["step-home"].a["href"] == "/profile/"
    assert page.select("#picks li") == []
    assert "press “Going” on a pick" in page.select_one("#going").get_text()


def test_the_by_day_list_stays_as_all_upcoming(client: FlaskClient) -> None:
    page = soup(client, "/upcoming")
    assert page.h1 is not None and page.h1.get_text() == "All upcoming events"
    assert len(page.select("section.day")) >= 5
    assert page.find("a", string=TALK) is not None
    home = soup(client)
    assert home.find("a", href="/upcoming") is not None


# --- going, not interested, undo -----------------------------------------------------------------


def test_going_not_interested_and_undo_without_javascript(client: FlaskClient) -> None:
    talk, study = event_id(TALK), event_id(STUDY)
    refused = client.post(f"/events/{talk}/state", data={"state": "going"})
    assert refused.status_code == 400  # no CSRF token
    done = mark(client, talk, "going")
    assert done.status_code == 303 and done.headers["Location"] == f"/#event-{talk}"
    page = soup(client)
    assert card(page, "#picks", talk) is None
    going = card(page, "#going-list", talk)
    assert going is not None and going["data-state"] == "going"
    assert "You are going" in going.get_text() and buttons(going) == ["Undo"]

    gone = mark(client, study, "dismissed")
    assert gone.status_code == 303
    page = soup(client)
    assert card(page, "#picks", study) is None  # dismissed events leave the list
    assert card(page, ".dismissed", study) is not None  # ...and can be taken back from there
    assert "Not interested in “Python Study Group" in page.select_one(".flash").get_text()

    for number in (talk, study):
        assert mark(client, number, "").status_code == 303
    page = soup(client)
    assert card(page, "#picks", talk) is not None and card(page, "#picks", study) is not None
    assert card(page, "#going-list", talk) is None
    assert db.session().scalars(select(EventFeedback)).all() == []


def test_buttons_answer_json_for_the_script(client: FlaskClient) -> None:
    talk = event_id(TALK)
    answer = mark(client, talk, "going", **JSON)
    assert answer.status_code == 200 and answer.is_json
    data = answer.get_json()
    assert data["ok"] and data["state"] == "going" and data["was"] == ""
    assert data["message"] == f"Going to “{TALK}”."
    assert "data-actions" in data["actions"] and ">Undo<" in data["actions"]
    assert 'value="/"' in data["actions"]  # the new buttons send the user back to the same page
    undone = mark(client, talk, "", **JSON).get_json()
    assert undone["state"] == "" and undone["was"] == "going"
    assert undone["message"] == f"No longer going to “{TALK}”."
    assert ">Going<" in undone["actions"]
    bad = mark(client, talk, "maybe", **JSON)
    assert bad.status_code == 400 and "Unknown state" in bad.get_json()["error"]
    early = mark(client, talk, "attended", **JSON)
    assert early.status_code == 400 and "not started" in early.get_json()["error"]
    missing = mark(client, 999_999, "going", **JSON)
    assert missing.status_code == 404 and missing.get_json()["ok"] is False
    assert db.session().scalars(select(EventFeedback)).all() == []


def test_the_reasons_say_when_feedback_moved_something(client: FlaskClient) -> None:
    assert mark(client, event_id(STUDY), "dismissed").status_code == 303
    talk = card(soup(client), "#picks", event_id(TALK))
    assert talk is not None
    feedback = talk.select_one(".reason-feedback")
    assert feedback is not None and feedback.dt.get_text() == "Your feedback"
    assert "not interested" in feedback.dd.get_text()


# --- attended, whom you met, follow-ups ----------------------------------------------------------


def test_attended_and_whom_you_met(client: FlaskClient) -> None:
    talk = event_id(TALK)
    day = into_past(talk, 5)
    assert mark(client, talk, "going").status_code == 303
    page = soup(client)
    asked = card(page, ".recent", talk)
    assert asked is not None and buttons(asked) == ["I went", "Whom did you meet?", "Undo"]
    assert asked.find("a", href=f"/events/{talk}/met")
    assert mark(client, talk, "attended").status_code == 303

    met = soup(client, f"/events/{talk}/met")
    names = [n.get_text() for n in met.select("#met-choices .contact-name")]
    assert names[0] == "Hanna Vogel" and len(names) == 7  # evidence at the event first
    roles = {n.get_text(): n.find_next_sibling(class_="role") for n in met.select(".contact-name")}
    assert roles["Hanna Vogel"].get_text() == "speaking"
    assert roles["Paul Richter"] is None  # lives in Munich: no claim
    hanna = db.session().scalars(select(Contact).where(Contact.name == "Hanna Vogel")).one()
    data = {
        "csrf_token": token(met),
        "contact_ids": [str(hanna.id)],
        "new_names": "Aylin Demir\n\n  Sam   Lee  \n",
    }
    logged = client.post(f"/events/{talk}/met", data=data)
    assert logged.status_code == 303 and logged.headers["Location"] == f"/events/{talk}#met"

    session = db.session()
    session.expire_all()
    assert session.get(Contact, hanna.id).last_met == day
    added = session.scalars(select(Contact.name).where(Contact.source == "manual")).all()
    assert sorted(added) == ["Aylin Demir", "Sam Lee"]
    meetings = session.scalars(select(Meeting).where(Meeting.event_id == talk)).all()
    assert len(meetings) == 3 and {m.follow_up_on for m in meetings} == {day + timedelta(days=3)}
    detail = soup(client, f"/events/{talk}")
    assert [a.get_text() for a in detail.select("#met li a")] == [
        "Aylin Demir",
        "Hanna Vogel",
        "Sam Lee",
    ]
    assert "You went" in detail.select_one("[data-actions]").get_text()
    again = soup(client, f"/events/{talk}/met")  # logged people are not offered twice
    assert "Hanna Vogel" not in [n.get_text() for n in again.select("#met-choices .contact-name")]
    polars = card(soup(client), "#picks", event_id(POLARS))  # the ranking learnt from it
    assert polars is not None
    said = polars.select_one(".reason-feedback dd")
    assert said is not None and said.get_text() == (
        "you attended an event listed by PyBerlin and met people there"
    )
    search = soup(client, f"/events/{talk}/met?q=munich")
    assert [n.get_text() for n in search.select("#met-choices .contact-name")] == ["Paul Richter"]


def test_whom_you_met_waits_for_the_event(client: FlaskClient) -> None:
    talk = event_id(TALK)
    early = client.get(f"/events/{talk}/met")
    assert early.status_code == 303 and early.headers["Location"] == f"/events/{talk}"
    page = soup(client, f"/events/{talk}")
    assert page.find("a", href=f"/events/{talk}/met") is None
    nobody = client.post(f"/events/{talk}/met", data={"csrf_token": token(page)})
    assert nobody.status_code == 303 and not db.session().scalars(select(Meeting)).all()


def test_follow_ups_come_due_after_three_days_and_can_be_done(client: FlaskClient) -> None:
    session = db.session()
    user = the_owner()
    now = datetime.now(UTC)
    contacts = {c.name: c for c in session.scalars(select(Contact))}
    talk, polars = event_id(TALK), event_id(POLARS)
    met_on = {}
    for number, days, name in ((talk, 5, "Hanna Vogel"), (polars, 1, "Mehmet Aydın")):
        met_on[number] = into_past(number, days)
        event = session.get(Event, number)
        log_meetings(session, user, event, [contacts[name].id], [], met_on[number], now)
    session.commit()

    page = soup(client, "/follow-ups")
    due = page.select("section[aria-labelledby=due-title] li.follow-up")
    assert len(due) == 1
    said = " ".join(due[0].p.get_text().split())
    assert said == f"You met Hanna Vogel at {TALK} on {met_on[talk]:%a %d %b}: follow up."
    later = page.select("section[aria-labelledby=later-title] li.follow-up")
    assert len(later) == 1 and "Mehmet Aydın" in later[0].get_text()  # met a day ago: not yet
    home = soup(client)
    assert "Hanna Vogel" in home.select_one(".due").get_text()

    meeting = session.scalars(select(Meeting).where(Meeting.event_id == talk)).one()
    data = {"csrf_token": token(page), "next": "/follow-ups"}
    done = client.post(f"/follow-ups/{meeting.id}/done", data=data)
    assert (
        done.status_code == 303
        and done.headers["Location"] == f"/follow-ups#follow-up-{meeting.id}"
    )
    page = soup(client, "/follow-ups")
    assert page.select("section[aria-labelledby=due-title] li.follow-up") == []
    assert "Followed up with Hanna Vogel." in page.select_one(".flash").get_text()
    assert soup(client).select_one(".due") is None
    other = session.scalars(select(Meeting).where(Meeting.event_id == polars)).one()
    answer = client.post(f"/follow-ups/{other.id}/done", data=data, headers=JSON)
    assert answer.get_json() == {
        "ok": True,
        "meeting_id": other.id,
        "state": "done",
        "message": "Followed up with Mehmet Aydın.",
    }
    assert client.post("/follow-ups/999999/done", data=data, headers=JSON).status_code == 404


# --- serendipity and the week view ---------------------------------------------------------------


def test_serendipity_pick_is_labelled_and_can_be_switched_off(client: FlaskClient) -> None:
    session = db.session()
    user = the_owner()
    now = datetime.now(UTC)
    kai = Contact(owner_id=user.id, name="Kai Brenner", city="Berlin", tags=["rust"],
                  title="Rust developer", lat=52.52, lon=13.40, geocoded_at=now)  # fmt: skip
    session.add(kai)
    session.commit()
    update_evidence(user.id, now.isoformat())
    page = soup(client)
    wild = page.select("#picks li.card-serendipity")
    assert len(wild) == 1
    assert "Serendipity pick" in wild[0].select_one(".card-label").get_text()
    reason = wild[0].select_one(".reason-serendipity")
    assert reason is not None and reason.dt.get_text() == "Serendipity"
    assert "Kai Brenner" in reason.get_text()

    switch = page.select_one("#settings form")
    assert switch is not None and buttons(switch) == ["Turn serendipity off"]
    off = client.post("/settings/serendipity", data={"csrf_token": token(page), "on": "0"})
    assert off.status_code == 303 and off.headers["Location"] == "/#settings"
    page = soup(client)
    assert page.select("#picks li.card-serendipity") == [] and page.select("#picks li.card")
    assert buttons(page.select_one("#settings")) == ["Turn serendipity on"]
    db.session().expire_all()
    assert the_owner().serendipity is False


def test_week_view_shows_picks_going_and_the_budget(client: FlaskClient) -> None:
    session = db.session()
    user = the_owner()
    user.events_per_week = 1
    session.commit()
    talk = event_id(TALK)
    rust = session.scalars(
        select(Event)
        .where(Event.title == "Rust Hack & Learn", Event.start > session.get(Event, talk).start)
        .order_by(Event.start)
    ).first()  # every Thursday: the day after the talk, in the same week
    assert rust is not None
    assert mark(client, talk, "going").status_code == 303

    page = soup(client, "/weeks")
    weeks = page.select("section.week")
    assert len(weeks) == 8
    assert weeks[0].h2.get_text().startswith("This week")
    assert weeks[1].h2.get_text().startswith("Next week")
    (week,) = [w for w in weeks if w.select_one(f"#event-{talk}")]
    assert "1 of 1 used" in week.select_one(".budget-text").get_text()
    picks = [a.get_text() for w in weeks for a in w.select(".week-picks li > a")]
    assert POLARS in picks and TALK not in picks  # the talk is under Going, not a pick
    assert all(len(w.select(".week-picks li")) <= 1 for w in weeks)  # a budget of 1 a week
    assert week.select(".week-picks li") == []  # ...used up by the talk

    assert mark(client, rust.id, "going").status_code == 303
    week = soup(client, "/weeks").select_one(f"section.week:has(#event-{talk})")
    assert week is not None and "over-budget" in week["class"]
    assert "2 of 1 used: over budget" in week.select_one(".budget-text").get_text()


# --- one user, another user ----------------------------------------------------------------------


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[Flask]:
    """Multi-user mode: ann follows the PyBerlin feed; bob follows nothing."""
    app = make_app(f"sqlite:///{tmp_path / 'planner.sqlite3'}", tmp_path, MODE="multi")
    with app.app_context():
        session = db.session()
        ann = create_user(session, "ann@example.org", PASSWORD, datetime.now(UTC))
        create_user(session, "bob@example.org", PASSWORD, datetime.now(UTC))
        feed = tmp_path / "pyberlin.ics"
        feed.write_bytes(build_feeds(datetime.now(UTC))[0].content)
        source = add_file_source(session, ann, feed, "ical", "PyBerlin")
        session.commit()
        refresh_source(source.id)
        yield app
        close(app)


def test_another_user_cannot_mark_or_see_my_events(multi: Flask) -> None:
    ann, bob = signed_in(multi, "ann@example.org"), signed_in(multi, "bob@example.org")
    talk = event_id(TALK, "ann@example.org")
    assert mark(ann, talk, "going").status_code == 303
    assert card(soup(ann), "#going-list", talk) is not None
    session = db.session()
    ann_user = session.scalars(select(User).where(User.email == "ann@example.org")).one()
    hanna = Contact(owner_id=ann_user.id, name="Hanna Vogel")
    session.add(hanna)
    session.flush()
    day = into_past(event_id(POLARS, "ann@example.org"), 5)
    polars = session.get(Event, event_id(POLARS, "ann@example.org"))
    log = log_meetings(session, ann_user, polars, [hanna.id], [], day, datetime.now(UTC))
    session.commit()

    page = soup(bob)
    assert TALK not in page.get_text() and POLARS not in page.get_text()
    data = {"csrf_token": token(page), "state": "dismissed", "next": "/"}
    for number in (talk, polars.id):
        assert bob.get(f"/events/{number}").status_code == 404
        assert bob.get(f"/events/{number}/met").status_code == 404
        assert bob.post(f"/events/{number}/state", data=data).status_code == 404
        assert bob.post(f"/events/{number}/state", data=data, headers=JSON).status_code == 404
        met = {"csrf_token": token(page), "new_names": "Eve"}
        assert bob.post(f"/events/{number}/met", data=met).status_code == 404
    done = bob.post(f"/follow-ups/{log.met[0].id}/done", data=data, headers=JSON)
    assert done.status_code == 404
    assert "Hanna Vogel" not in soup(bob, "/follow-ups").get_text()
    assert "Hanna Vogel" in soup(ann, "/follow-ups").get_text()
    session.expire_all()
    states = session.scalars(select(EventFeedback.state)).all()
    assert states == ["going", "attended"]  # ann's, untouched
    assert session.scalars(select(Contact).where(Contact.name == "Eve")).first() is None
    assert session.get(Meeting, log.met[0].id).followed_up_at is None
    assert multi.test_client().post(f"/events/{talk}/state", data=data).status_code in (400, 401)


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture
def site(client: FlaskClient, app: Flask) -> Iterator[str]:
    with serve(app) as base:
        yield base


@pytest.mark.browser
def test_buttons_work_without_a_page_reload(site: str, chromium_browser: Browser) -> None:
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommended for you")
    page.evaluate("window.stillHere = true")  # gone if the page reloads
    picks = page.locator("#picks > li.card")
    study = picks.filter(has=page.get_by_role("link", name=STUDY))
    expect(study.locator(".reason-goal, .reason-contact").first).to_be_visible()
    t.screenshot("home.png")

    study.get_by_role("button", name="Not interested").click()
    expect(study).to_have_attribute("data-state", "dismissed")
    expect(study.locator(".card-body")).to_be_hidden()  # the card goes: only its undo stays
    expect(study.get_by_role("button", name="Undo")).to_be_focused()
    expect(page.locator("#announce")).to_have_text(re.compile(r"Not interested in “Python Study"))
    t.screenshot("home-dismissed.png")

    talk = page.locator(f"#event-{event_id(TALK)}")
    talk.get_by_role("button", name="Going").click()
    going = page.locator("#going-list")
    expect(going.locator(f"#event-{event_id(TALK)}")).to_be_visible()
    expect(going.locator(".state-going")).to_have_text("You are going")
    expect(page.locator("#going .empty-note")).to_be_hidden()
    expect(page.locator("#announce")).to_have_text(f"Going to “{TALK}”.")
    t.screenshot("home-going.png")

    going.get_by_role("button", name="Undo").click()  # back among the picks, where it was
    expect(page.locator(f"#picks > #event-{event_id(TALK)}")).to_be_visible()
    expect(page.locator("#going .empty-note")).to_be_visible()
    assert page.evaluate("window.stillHere") is True
    states = db.session().scalars(select(EventFeedback.state)).all()
    assert states == ["dismissed"]

    page.reload()
    expect(page.locator(f"#picks #event-{event_id(STUDY)}")).to_have_count(0)  # left the list
    expect(page.locator(".dismissed summary")).to_contain_text("Not interested (1)")
    t.assert_clean()


@pytest.mark.browser
def test_buttons_work_without_javascript(site: str, chromium_browser: Browser) -> None:
    t = tab(
        chromium_browser, site, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = t.page
    t.open("/")
    talk = page.locator(f"#picks #event-{event_id(TALK)}")
    with page.expect_navigation():
        talk.get_by_role("button", name="Going").click()
    expect(page).to_have_url(f"{site}/#event-{event_id(TALK)}")
    expect(page.locator(f"#going-list #event-{event_id(TALK)}")).to_be_visible()
    expect(page.locator(".flash")).to_have_text(f"Going to “{TALK}”.")
    study = page.locator(f"#picks #event-{event_id(STUDY)}")
    with page.expect_navigation():
        study.get_by_role("button", name="Not interested").click()
    expect(page.locator(f"#picks #event-{event_id(STUDY)}")).to_have_count(0)
    t.screenshot("home-nojs.png")
    t.assert_clean()


@pytest.mark.browser
def test_whom_you_met_with_the_live_filter(site: str, chromium_browser: Browser) -> None:
    talk = event_id(TALK)
    into_past(talk, 5)
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open(f"/events/{talk}/met")
    page.get_by_label("Find a contact").fill("hanna")
    choices = page.locator("#met-choices li")
    expect(choices.filter(visible=True)).to_have_count(1)
    page.get_by_label(re.compile("Hanna Vogel")).check()
    page.get_by_label("Someone new? One name a line").fill("Aylin Demir")
    t.screenshot("home-met.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Save whom I met").click()
    expect(page.locator("#met li")).to_have_text(
        [re.compile("Aylin Demir"), re.compile("Hanna Vogel")]
    )
    t.open("/")
    expect(page.locator(".due li.follow-up")).to_have_count(2)
    expect(page.locator(f".recent #event-{talk} .state-attended")).to_have_text("You went")
    t.screenshot("home-after-event.png")
    t.open("/follow-ups")  # met five days ago: due
    due = page.locator("li.follow-up")
    expect(due).to_have_count(2)
    expect(due.first).to_contain_text(f"You met Hanna Vogel at {TALK}")
    t.screenshot("home-follow-ups.png")
    due.first.get_by_role("button", name="Done").click()
    expect(due.first).to_have_attribute("data-state", "done")
    expect(page.locator("#announce")).to_have_text("Followed up with Hanna Vogel.")
    t.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "shot"), [("/", "home-phone.png"), ("/weeks", "home-weeks-phone.png")]
)
def test_phone_has_no_sideways_scroll(
    site: str, chromium_browser: Browser, path: str, shot: str
) -> None:
    t = tab(chromium_browser, site, viewport=PHONE, is_mobile=True, device_scale_factor=2)
    t.open(path)
    t.assert_fits()
    t.screenshot(shot)
    t.assert_clean()


@pytest.mark.browser
def test_week_view_and_event_page_buttons_work_in_place(
    site: str, chromium_browser: Browser
) -> None:
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/weeks")
    page.evaluate("window.stillHere = true")
    week = page.locator("section.week").filter(has=page.locator(f"#event-{event_id(TALK)}"))
    expect(week.locator(".budget-text")).to_have_text(re.compile(r"^0 of 2 used, room for 2"))
    week.get_by_role("button", name="Going").first.click()
    expect(week.locator(".budget-text")).to_have_text("1 of 2 used, room for 1")
    expect(week.locator("meter")).to_have_attribute("value", "1")
    t.screenshot("home-weeks.png")

    t.open(f"/events/{event_id(POLARS)}")
    page.evaluate("window.stillHere = true")
    page.get_by_role("button", name="Not interested").click()
    expect(page.locator(".event-detail .state-dismissed")).to_have_text("Not interested")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Going")).to_be_focused()
    assert page.evaluate("window.stillHere") is True
    expect(page.locator(".there .contact-name").first).to_have_text("Mehmet Aydın")
    t.screenshot("home-event.png")
    t.assert_clean()


@pytest.mark.browser
def test_a_new_user_sees_what_to_do_first(app: Flask, chromium_browser: Browser) -> None:
    with serve(app) as base:
        t = tab(chromium_browser, base, viewport=PHONE, is_mobile=True, device_scale_factor=2)
        t.open("/")
        steps = t.page.locator(".setup li")
        expect(steps).to_have_count(4)
        expect(steps.get_by_role("link")).to_have_text(["Goals", "Sources", "Profile", "Contacts"])
        t.assert_fits()
        t.screenshot("home-new-phone.png")
        t.assert_clean()
