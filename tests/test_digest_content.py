"""What the digest says, on the demo person: nearby in-person events of the next two weeks
first, then the best of the rest within the budget (saying what was left out), whom to meet
at each, people to meet, events the user is going to, follow-ups; near the trip's city during
a trip; nothing sent when there is nothing worth sending; scraped text stays text; the text
part's lines wrapped as Jinja's `wordwrap` wraps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask, current_app
from jinja2 import Environment
from jinja2.filters import do_wordwrap
from sqlalchemy import select

from planner import db
from planner.attendance import log_meetings, set_state
from planner.digest import WINDOW, Digest, gather, week_of
from planner.mail import Links, render, wordwrap
from planner.models import Contact, DigestSend, Event, Recommendation, Trip, User
from planner.sending import send_digest
from tests.test_digest_smtp import plan_for

TALK = "PyBerlin Talks: Typed Python in Production"


def parts(found: Digest) -> tuple[str, str]:
    return render(found, current_app.jinja_env, Links("https://p.example.org", "https://u"))


def owner(now: datetime) -> User:
    return plan_for("owner@localhost", now)


def test_near_events_of_the_next_two_weeks_come_first(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    found = gather(db.session(), user, now)
    assert found.near and found.city == "Berlin"
    assert all(i.near and i.start < now + WINDOW and i.attendance != "online" for i in found.near)
    assert all(not i.near or i.start >= now + WINDOW for i in found.rest)
    talk = next(i for i in found.near if i.title == TALK)
    assert [(s.name, s.role) for s in talk.contacts][:2] == [
        ("Hanna Vogel", "speaking"),
        ("Jonas Weber", "organizing"),
    ]
    assert any(line.startswith("Meet Hanna Vogel here") for line in talk.invites)
    assert any("km from home" in reason for reason in talk.reasons)
    assert any(reason.startswith("matches your goal") for reason in talk.reasons)
    assert not any(r.startswith("Hanna Vogel is speaking") for r in talk.reasons)  # said once
    text, html = parts(found)
    assert text.index("NEAR BERLIN IN THE NEXT TWO WEEKS") < text.index(TALK)
    assert "Hanna Vogel, speaking: the description says" in text
    assert found.people and all(
        p.event_id not in {i.event_id for i in found.near + found.rest} for p in found.people
    )  # people to meet: those not named at an event above
    assert db.session().scalars(select(Recommendation)).first() is None  # records nothing


def test_the_budget_holds_and_says_what_it_left_out(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    user.events_per_week = 1
    db.session().commit()
    found = gather(db.session(), user, now)
    assert len(found.rest) == max(2 * user.events_per_week - len(found.near), 0)
    assert found.left_out >= 1  # recommended, but beyond two weeks' budget
    text, html = parts(found)
    left = "left out to keep to your budget of 1 a week"
    assert left in " ".join(text.split()) and left in html


def test_each_section_is_in_date_order_and_the_mail_says_which_days(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    user.events_per_week = 4  # room for later events too
    db.session().commit()
    found = gather(db.session(), user, now)
    assert found.near and found.rest and found.later
    for section in (found.near, found.rest):
        assert [i.start for i in section] == sorted(i.start for i in section)
    text, html = parts(found)
    last = found.until.strftime("%-d %b %Y")
    assert found.until > found.last_day and f"to {last}" in text and f"– {last}" in html
    assert found.intro in " ".join(text.split()) and found.intro in html


def test_during_a_trip_near_means_near_the_trip_city(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    user.home_location, user.home_lat, user.home_lon = "Munich, Germany", 48.137, 11.575
    today = now.date()
    db.session().add(
        Trip(
            owner_id=user.id,
            city="Berlin",
            starts_on=today,
            ends_on=today + timedelta(days=13),
            lat=52.52,
            lon=13.405,
            timezone="Europe/Berlin",
            geocoded_at=now,
        )  # fmt: skip
    )
    db.session().commit()
    found = gather(db.session(), user, now)
    assert found.near and {i.city for i in found.near} == {"Berlin"}
    assert found.subject.startswith(f"Next two weeks: {len(found.near)} meetup")
    assert " near Berlin" in found.subject
    assert any("during your trip to Berlin" in r for r in found.near[0].reasons)


def test_going_and_follow_ups_have_their_sections(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    session = db.session()
    talk = session.scalars(select(Event).where(Event.title == TALK)).first()
    assert talk is not None
    set_state(session, user, talk, "going", now)
    hanna = session.scalars(select(Contact).where(Contact.name == "Hanna Vogel")).one()
    log_meetings(session, user, None, [hanna.id], [], now.date() - timedelta(days=5), now)
    session.commit()
    found = gather(session, user, now)
    assert [i.title for i in found.going] == [TALK]
    assert TALK not in [i.title for i in found.near + found.rest]  # decided: not picked again
    assert [p.name for p in found.follow_ups] == ["Hanna Vogel"]
    text, html = parts(found)
    assert "ON YOUR CALENDAR" in text and "FOLLOW-UPS DUE" in text
    assert "Follow up with Hanna Vogel" in html


def test_nothing_worth_sending_sends_nothing(app: Flask) -> None:
    now = datetime.now(UTC)
    session = db.session()
    newcomer = User(email="new@example.org")
    session.add(newcomer)
    session.commit()
    result = send_digest(newcomer.id, week_of(now, newcomer.timezone), now.isoformat(), True)
    assert result["status"] == "empty"
    row = session.scalars(select(DigestSend)).one()
    assert (row.status, row.message_id, row.sent_at) == ("empty", None, None)
    outbox = Path(app.instance_path) / "mail"
    assert not outbox.exists() or list(outbox.iterdir()) == []


def test_scraped_text_stays_text(app: Flask) -> None:
    now = datetime.now(UTC)
    user = owner(now)
    session = db.session()
    talk = session.scalars(select(Event).where(Event.title == TALK)).first()
    assert talk is not None
    talk.title = '<img src="https://tracker.example/x.gif" onerror="alert(1)">Typed Python'
    session.commit()
    text, html = parts(gather(session, user, now))
    page = BeautifulSoup(html, "lxml")
    assert page.find("img") is None and page.find("script") is None
    assert talk.title in page.get_text()  # shown as the characters it is
    assert talk.title in text


LINES = [
    'Hanna Vogel, speaking: the description says: "Talk by Hanna Vogel (Zalando)" — "Zalando"',
    "a well-known in-person meetup -- with hyphens and dashes, past the width of one line here",
    "two  spaces  between  the  words,  past  the  width  of  one  line  of  the  text  part",
    "  leading spaces, then enough words to go past the width of one line of the text part",
    "a " + "x" * 80 + " word longer than any line",
    "a tab\tand enough words to go past the width of one line of the text part of the mail",
    "short",
    "",
]


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize(
    ("width", "long_words", "wrapstring"),
    [(70, False, "\n     "), (20, True, None), (76, True, "\n")],
)
def test_lines_wrap_as_jinjas_wordwrap_wraps_them(
    line: str, width: int, long_words: bool, wrapstring: str | None
) -> None:
    env = Environment()
    made = wordwrap(env, line, width, long_words, wrapstring)
    assert made == do_wordwrap(env, line, width, long_words, wrapstring)
