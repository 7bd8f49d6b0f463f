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
        ("2026-11-23T07:30Z", LA, 0, 8, None),  # Sunday there: W47's Monday slot is long past
        ("2026-11-23T15:59Z", LA, 0, 8, None),  # 07:59 on Monday there: W48 not yet
        ("2026-11-23T16:00Z", LA, 0, 8, "2026-W48"),  # 08:00 PST
        # the week turns at midnight on the user's clock
        ("2026-11-29T23:30Z", BERLIN, 0, 0, "2026-W49"),  # Monday 00:30 in Berlin
        ("2026-11-29T23:30Z", LA, 6, 15, "2026-W48"),  # Sunday 15:30 in Los Angeles
        # due for a day after the slot, then that week is skipped (a scheduler stopped longer)
        ("2026-11-24T06:59Z", BERLIN, 0, 8, "2026-W48"),  # Tuesday 07:59: still due
        ("2026-11-24T07:00Z", BERLIN, 0, 8, None),  # Tuesday 08:00: a day late, skipped
        ("2026-11-29T23:59Z", BERLIN, 6, 23, "2026-W48"),  # Sunday 23:00's, after the week
        ("2026-11-30T21:59Z", BERLIN, 6, 23, "2026-W48"),  # turned: due until Monday 23:00
        ("2026-11-30T22:00Z", BERLIN, 6, 23, None),
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


def test_a_new_account_waits_for_its_first_slot() -> None:
    slot = at("2026-11-23T07:00Z")  # Monday 08:00 in Berlin
    assert due_week(at("2026-11-23T09:00Z"), BERLIN, 0, 8, since=slot) == "2026-W48"
    made = at("2026-11-23T08:30Z")  # an account made after this week's slot (or just on)
    assert due_week(at("2026-11-23T09:00Z"), BERLIN, 0, 8, since=made) is None
    assert due_week(at("2026-11-30T07:00Z"), BERLIN, 0, 8, since=made) == "2026-W49"


def add_user(email: str, zone: str, weekday: int = 0, hour: int = 8, **more: object) -> User:
    """An account made long before the instants the tests look at."""
    more.setdefault("created_at", at("2026-01-01T00:00Z"))
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
    assert not deliverable("me@example.org,victim@victim.example", relay=False)
    assert not deliverable("Me <me@example.org>", relay=True)
    assert not deliverable("ann@example.org", relay=True, confirmed=False)
    assert deliverable("ann@example.org", relay=True, confirmed=True)


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
        "Next two weeks: 3 meetups near Berlin — meet Katrin Vogel at PyData Berlin"
    )
    assert digest(near=(item(1),)).subject == "Next two weeks: 1 meetup near Berlin"
    assert digest(rest=(item(1, near=False),)).subject == "Next two weeks: 1 event picked for you"
    call = Person(2, "Paul", "call", "Call Paul", ())
    assert not digest(people=(call,)).worth_sending  # a call alone is no reason to write
    host = Person(3, "Ida", "host", "Host a small gathering", ())
    assert digest(people=(host,)).subject == "People to meet in person"
    assert not digest().worth_sending
    assert short_title("A very long name for a meetup that goes on and on, forever") == (
        "A very long name for a meetup that goes…"
    )
    assert "\n" not in digest(near=(item(1),), city="Ber\nlin").subject


def later(number: int, when: str) -> Item:
    return Item(number, f"Talk {number}", "...", "19:00 CET", at(when), "Somewhere", "in_person",
                False, "Berlin")  # fmt: skip


def test_later_events_are_said_to_be_later() -> None:
    """Events after the two weeks: the subject, the intro and the range say their days."""
    found = digest(rest=(later(1, "2026-12-08T18:00Z"), later(2, "2026-12-23T18:00Z")))
    assert found.subject == "2 events picked for you, 8–23 Dec"
    assert found.intro == "Nothing near you in the next two weeks: picked for later, 8–23 Dec."
    assert found.until == date(2026, 12, 23)
    mixed = digest(near=(item(1),), rest=(later(2, "2027-01-02T18:00Z"),))
    assert mixed.subject == "Next two weeks: 1 meetup near Berlin"
    assert mixed.intro.endswith("around Berlin, then later events worth a look.")
    assert mixed.until == date(2027, 1, 2)
    online = digest(rest=(item(1, near=False), later(2, "2027-01-02T18:00Z")))
    assert online.subject == "2 events picked for you, 30 Nov 2026 – 2 Jan 2027"
    soon = digest(near=(item(1),))
    assert soon.intro == "Where to meet whom, in person, in the next two weeks, around Berlin."
    assert soon.until == date(2026, 12, 6)


def test_new_and_unconfirmed_accounts_are_not_due(app: Flask) -> None:
    ann = add_user("ann@example.org", "UTC")
    add_user("new@example.org", "UTC", created_at=at("2026-11-23T10:00Z"))  # after the slot
    assert due_now("2026-11-23T12:00Z") == [("ann@example.org", "2026-W48")]
    assert due_now("2026-11-30T08:00Z") == [
        ("ann@example.org", "2026-W49"),
        ("new@example.org", "2026-W49"),
    ]
    app.config["MODE"] = "multi"  # addresses must be confirmed
    assert due_now("2026-11-30T08:00Z") == []
    ann.email_confirmed_at = at("2026-11-24T10:00Z")
    db.session().commit()
    assert due_now("2026-11-30T08:00Z") == [("ann@example.org", "2026-W49")]
