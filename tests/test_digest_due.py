"""When a digest is due: the user's weekday and hour on their own clock, in their ISO week,
across time zones and daylight-saving changes; once per week; only to addresses mail can
reach; users read in batches. And the subject line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from planner import db, schedule
from planner.digest import Digest, Item, Person, due_week, short_title
from planner.models import DigestSend, User
from planner.outbox import deliverable
from planner.schedule import due_digests, due_jobs

LA, BERLIN = "America/Los_Angeles", "Europe/Berlin"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "weekday", "hour", "due"),
    [
        # Monday 23 Nov 2026, 07:30 UTC: 08:30 in Berlin, still Sunday 22 Nov in Los Angeles
        ("2026-11-23T07:30Z", BERLIN, 0, 8, "2026-W48"),
        ("2026-11-23T06:59Z", BERLIN, 0, 8, None),  # 07:59 in Berlin
        ("2026-11-23T07:30Z", LA, 0, 8, "2026-W47"),  # Monday 08:00 of *its* week has passed
        ("2026-11-23T15:59Z", LA, 0, 8, None),  # 07:59 on Monday there: W48 not yet
        ("2026-11-23T16:00Z", LA, 0, 8, "2026-W48"),  # 08:00 PST
        # the week turns at midnight on the user's clock
        ("2026-11-29T23:30Z", BERLIN, 0, 0, "2026-W49"),  # Monday 00:30 in Berlin
        ("2026-11-29T23:30Z", LA, 6, 15, "2026-W48"),  # Sunday 15:30 in Los Angeles
        # Berlin springs forward on 29 Mar 2026: 02:00 never comes, 03:00 does
        ("2026-03-29T00:59Z", BERLIN, 6, 2, None),  # 01:59 CET
        ("2026-03-29T01:00Z", BERLIN, 6, 2, "2026-W13"),  # 03:00 CEST
        # ...and falls back on 25 Oct 2026: 02:00 comes twice, due from the first
        ("2026-10-24T23:59Z", BERLIN, 6, 2, None),  # 01:59 CEST
        ("2026-10-25T00:00Z", BERLIN, 6, 2, "2026-W43"),  # 02:00 CEST
        ("2026-10-25T01:00Z", BERLIN, 6, 2, "2026-W43"),  # 02:00 CET, the same week
        # Los Angeles springs forward on 8 Mar 2026: Monday 08:00 is 16:00 UTC, then 15:00
        ("2026-03-02T15:59Z", LA, 0, 8, None),  # 07:59 PST
        ("2026-03-02T16:00Z", LA, 0, 8, "2026-W10"),  # 08:00 PST
        ("2026-03-09T14:59Z", LA, 0, 8, None),  # 07:59 PDT
        ("2026-03-09T15:00Z", LA, 0, 8, "2026-W11"),  # 08:00 PDT
    ],
)
def test_due_week_on_the_users_clock(
    instant: str, zone: str, weekday: int, hour: int, due: str | None
) -> None:
    assert due_week(at(instant), zone, weekday, hour) == due


def add_user(email: str, zone: str, weekday: int = 0, hour: int = 8, **more: object) -> User:
    user = User(email=email, timezone=zone, digest_weekday=weekday, digest_hour=hour, **more)
    db.session().add(user)
    db.session().commit()
    return user


def due_now(instant: str) -> list[tuple[str, str]]:
    return [(email, week) for _, email, week in due_digests(at(instant))]


def test_due_digests_in_berlin_and_los_angeles_once_a_week(app: Flask) -> None:
    ann = add_user("ann@example.org", BERLIN)
    bob = add_user("bob@example.org", LA)
    session = db.session()
    session.add(DigestSend(owner_id=bob.id, week="2026-W47", status="sent"))
    session.add(DigestSend(owner_id=ann.id, week="2026-W47", status="empty"))
    session.commit()
    assert due_now("2026-11-23T06:59Z") == []  # 07:59 in Berlin; bob had his W47
    assert due_now("2026-11-23T07:30Z") == [("ann@example.org", "2026-W48")]
    session.add(DigestSend(owner_id=ann.id, week="2026-W48", status="sending"))
    session.commit()
    assert due_now("2026-11-23T15:00Z") == []  # a row in any state: never again that week
    assert due_now("2026-11-23T16:00Z") == [("bob@example.org", "2026-W48")]


def test_daylight_saving_weeks_are_due_once(app: Flask) -> None:
    ann = add_user("ann@example.org", BERLIN, weekday=6, hour=2)
    assert due_now("2026-10-25T00:00Z") == [("ann@example.org", "2026-W43")]
    db.session().add(DigestSend(owner_id=ann.id, week="2026-W43", status="sent"))
    db.session().commit()
    assert due_now("2026-10-25T01:00Z") == []  # 02:00 again, an hour later: sent already


def test_off_or_unreachable_users_are_never_due(app: Flask) -> None:
    add_user("off@example.org", "UTC", digest_enabled=False)
    add_user("owner@localhost", "UTC")
    add_user("ann@example.org", "UTC")
    assert {email for email, _ in due_now("2026-11-23T12:00Z")} == {
        "owner@localhost",  # without SMTP each digest is a file: the local owner reads it
        "ann@example.org",
    }
    app.config["SMTP_URL"] = "smtp://127.0.0.1:25"
    assert due_now("2026-11-23T12:00Z") == [("ann@example.org", "2026-W48")]
    assert not deliverable("someone@printer.invalid", relay=True)
    assert not deliverable("no-at-sign", relay=False)


def test_users_are_read_in_batches(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "USER_BATCH", 2)
    for n in range(5):
        add_user(f"user{n}@example.org", "UTC")
    added = db.session().scalars(select(User.id).order_by(User.id)).all()
    db.session().add(DigestSend(owner_id=added[2], week="2026-W48", status="sent"))
    db.session().commit()
    found = due_now("2026-11-23T12:00Z")
    assert [email for email, _ in found] == [
        f"user{n}@example.org" for n in (0, 1, 3, 4)
    ]  # every batch read, the one sent left out


def rounds(instant: str) -> list[str]:
    return [job_id for _, _, job_id in due_jobs(at(instant)) if job_id.startswith("digests-")]


def test_a_tick_starts_a_digest_round_on_the_mail_queue_when_one_is_due(app: Flask) -> None:
    ann = add_user("ann@example.org", BERLIN)
    assert rounds("2026-11-23T06:59Z") == []  # 07:59 in Berlin
    assert rounds("2026-11-23T07:30Z") == ["digests-202611230730"]  # one id per minute
    assert schedule._queue_of("digests-202611230730") == "mail"
    db.session().add(DigestSend(owner_id=ann.id, week="2026-W48", status="sent"))
    db.session().commit()
    assert rounds("2026-11-23T07:31Z") == []


def item(number: int, near: bool = True, city: str | None = "Berlin") -> Item:
    return Item(number, f"Talk {number}", "Mon 30 Nov 2026", "19:00 CET", at("2026-11-30T18:00Z"),
                "Somewhere", "in_person", near, city)  # fmt: skip


def digest(**fields: object) -> Digest:
    base: dict[str, object] = {
        "name": None, "email": "ann@example.org", "timezone": BERLIN, "week": "2026-W48",
        "first_day": date(2026, 11, 23), "last_day": date(2026, 12, 6), "city": "Berlin",
        "per_week": 2,
    }  # fmt: skip
    return Digest(**(base | fields))  # type: ignore[arg-type]


def test_subject_lines() -> None:
    meet = Person(1, "Katrin Vogel", "meet", "...", (), 7, "PyData Berlin: Scaling pandas")
    assert digest(near=(item(1), item(2), item(3)), headline=meet).subject == (
        "This week: 3 meetups near Berlin — meet Katrin Vogel at PyData Berlin"
    )
    assert digest(near=(item(1),)).subject == "This week: 1 meetup near Berlin"
    assert digest(rest=(item(1, near=False),)).subject == "This week: 1 event picked for you"
    call = Person(2, "Paul", "call", "Call Paul", ())
    assert not digest(people=(call,)).worth_sending  # a call alone is no reason to write
    host = Person(3, "Ida", "host", "Host a small gathering", ())
    assert digest(people=(host,)).subject == "This week: people to meet"
    assert not digest().worth_sending
    assert short_title("A very long name for a meetup that goes on and on, forever") == (
        "A very long name for a meetup that goes…"
    )
    assert "\n" not in digest(near=(item(1),), city="Ber\nlin").subject
