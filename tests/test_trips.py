"""Trips: the rules, where the user is on a day, the pages (add, edit, remove, all with CSRF),
the command line, and one user never reaching another's trips, by URL guessing included."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from planner import db
from planner.accounts import create_user
from planner.jobs import wait_background
from planner.models import Trip, User
from planner.sources import owner
from planner.trips import (
    TripError,
    add_trip,
    check_trip,
    remove_trip,
    span,
    today_of,
    trip_of,
    trips_of,
    upcoming_trips,
    update_trip,
    where_on,
)
from tests.accounts import csrf_token
from tests.accounts import signed_in as signed_in_client
from tests.conftest import Cli, Run, close, make_app

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
TODAY = date(2025, 3, 1)


def day(text: str) -> date:
    return date.fromisoformat(text)


# --- the rules ---


@pytest.mark.parametrize(
    ("city", "first", "last", "field", "message"),
    [
        ("", "2025-05-01", "2025-05-02", "city", "Name the city"),
        (" \t\n", "2025-05-01", "2025-05-02", "city", "Name the city"),
        ("x" * 301, "2025-05-01", "2025-05-02", "city", "300 characters or fewer"),
        ("Lisbon", "2025-05-02", "2025-05-01", "ends_on", "ends before it starts"),
        ("Lisbon", "2025-05-01", "2026-05-02", "ends_on", "at most 366 days"),
        ("Lisbon", "2025-02-01", "2025-02-28", "ends_on", "over already"),
    ],
)
def test_a_trip_must_make_sense(city: str, first: str, last: str, field: str, message: str) -> None:
    with pytest.raises(TripError, match=message) as info:
        check_trip(city, day(first), day(last), TODAY)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("city", "first", "last"),
    [
        ("x" * 300, "2025-05-01", "2025-05-01"),  # a day trip
        ("Lisbon", "2025-02-20", "2025-03-01"),  # ends today: not over yet
        ("Lisbon", "2025-05-01", "2026-05-01"),  # 366 days
    ],
)
def test_trips_at_the_limits_are_fine(city: str, first: str, last: str) -> None:
    assert check_trip(city, day(first), day(last), TODAY) == city


def test_today_is_where_the_user_lives() -> None:
    late = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    assert today_of(User(timezone="UTC"), late) == date(2025, 3, 1)
    assert today_of(User(timezone="Pacific/Auckland"), late) == date(2025, 3, 2)
    assert today_of(User(timezone="Not/AZone"), late) == date(2025, 3, 1)


def test_add_keeps_the_city_tidy_and_unlocated(app: Flask) -> None:
    session = db.session()
    trip = add_trip(session, owner(session), "  Lisbon,\n Portugal ", TODAY, TODAY, NOW)
    assert (trip.city, trip.geocoded_at, trip.lat, trip.created_at) == (
        "Lisbon, Portugal",
        None,
        None,
        NOW,
    )


def test_a_new_city_forgets_the_old_place(app: Flask) -> None:
    session = db.session()
    user = owner(session)
    trip = add_trip(session, user, "Lisbon", day("2025-05-01"), day("2025-05-04"), NOW)
    trip.lat, trip.lon, trip.timezone, trip.geocoded_at = 38.7, -9.1, "Europe/Lisbon", NOW
    assert not update_trip(trip, user, "Lisbon ", day("2025-05-02"), day("2025-05-05"), NOW)
    assert (trip.lat, trip.timezone, trip.ends_on) == (38.7, "Europe/Lisbon", day("2025-05-05"))
    assert update_trip(trip, user, "Porto", day("2025-05-02"), day("2025-05-05"), NOW)
    assert (trip.city, trip.lat, trip.lon, trip.timezone, trip.geocoded_at) == (
        "Porto",
        None,
        None,
        None,
        None,
    )


def test_a_past_trip_may_be_corrected_but_not_moved_into_the_past(app: Flask) -> None:
    session = db.session()
    user = owner(session)
    trip = add_trip(session, user, "Lsbon", day("2025-02-20"), day("2025-03-02"), NOW)
    later = NOW + timedelta(days=30)
    assert update_trip(trip, user, "Lisbon", day("2025-02-21"), day("2025-03-02"), later)
    with pytest.raises(TripError, match="over already"):
        update_trip(trip, user, "Lisbon", day("2025-02-21"), day("2025-03-03"), later)


def test_trips_belong_to_their_owner(app: Flask) -> None:
    session = db.session()
    ann, bob = owner(session, "ann@example.org"), owner(session, "bob@example.org")
    past = add_trip(session, ann, "Rome", day("2025-02-27"), day("2025-03-01"), NOW)
    later = add_trip(session, ann, "Porto", day("2025-06-01"), day("2025-06-02"), NOW)
    soon = add_trip(session, ann, "Lisbon", day("2025-05-01"), day("2025-05-04"), NOW)
    theirs = add_trip(session, bob, "Berlin", day("2025-05-01"), day("2025-05-04"), NOW)
    assert trips_of(session, ann) == [past, soon, later]
    assert upcoming_trips(session, ann, day("2025-03-02")) == [soon, later]
    assert upcoming_trips(session, ann, day("2025-03-01")) == [past, soon, later]  # current
    assert trip_of(session, ann, soon.id) is soon
    assert trip_of(session, ann, theirs.id) is None and trip_of(session, bob, 10_000) is None
    remove_trip(session, soon)
    session.commit()
    assert trips_of(session, ann) == [past, later]


# --- where the user is on a day ---


def trip(trip_id: int, city: str, first: str, last: str, lat: float | None = None) -> Trip:
    located = lat is not None
    return Trip(
        id=trip_id,
        city=city,
        starts_on=day(first),
        ends_on=day(last),
        lat=lat,
        lon=10.0 if located else None,
        timezone="Europe/Lisbon" if located else None,
        geocoded_at=NOW if located else None,
    )


HOME = User(
    home_location="Berlin", home_lat=52.5, home_lon=13.4, radius_km=30, timezone="Europe/Berlin"
)


@pytest.mark.parametrize(
    ("on", "label", "lat"),
    [
        ("2025-04-30", "Berlin", 52.5),  # the day before: home
        ("2025-05-01", "Lisbon", 38.7),  # the first day counts
        ("2025-05-03", "Sintra", 38.8),  # a side trip within the stay: it started latest
        ("2025-05-04", "Porto", 41.1),  # Sintra and Porto overlap: Porto started later
        ("2025-05-06", "Lisbon", 38.7),  # back in Lisbon
        ("2025-05-07", "Lisbon", 38.7),  # the last day counts
        ("2025-05-08", "Berlin", 52.5),  # home again
    ],
)
def test_near_means_near_the_trip_city_during_a_trip(on: str, label: str, lat: float) -> None:
    trips = [
        trip(1, "Lisbon", "2025-05-01", "2025-05-07", 38.7),
        trip(2, "Sintra", "2025-05-03", "2025-05-04", 38.8),
        trip(3, "Porto", "2025-05-04", "2025-05-05", 41.1),
    ]
    where = where_on(HOME, trips, day(on))
    assert (where.label, where.lat, where.radius_km) == (label, lat, 30)
    assert (where.trip is None) == (label == "Berlin")
    assert where.timezone == ("Europe/Berlin" if label == "Berlin" else "Europe/Lisbon")


def test_of_trips_starting_the_same_day_the_one_added_last_wins() -> None:
    first = trip(1, "Lisbon", "2025-05-01", "2025-05-03", 38.7)
    second = trip(2, "Porto", "2025-05-01", "2025-05-02", 41.1)
    assert where_on(HOME, [second, first], day("2025-05-02")).trip is second


def test_a_trip_city_not_located_is_away_without_a_point() -> None:
    pending = trip(1, "Qwxzyville", "2025-05-01", "2025-05-03")
    where = where_on(HOME, [pending], day("2025-05-02"))
    assert (where.lat, where.lon, where.label, where.trip) == (None, None, "Qwxzyville", pending)
    assert not where.located and where.timezone == "Europe/Berlin"
    assert where_on(HOME, [pending], day("2025-05-04")).located  # home again
    homeless = where_on(User(radius_km=25, timezone="UTC"), [], day("2025-05-04"))
    assert (homeless.located, homeless.label, homeless.trip) == (False, None, None)


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        ("2025-05-01", "2025-05-04", "Thu 1 May – Sun 4 May 2025 (4 days)"),
        ("2025-12-30", "2026-01-02", "Tue 30 Dec 2025 – Fri 2 Jan 2026 (4 days)"),
        ("2025-05-01", "2025-05-01", "Thu 1 May 2025"),
    ],
)
def test_span_says_the_days(first: str, last: str, text: str) -> None:
    assert span(trip(1, "Lisbon", first, last)) == text


# --- the pages ---


def ahead(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def form(city: str, first: str, last: str, token: str) -> dict[str, str]:
    return {"city": city, "starts_on": first, "ends_on": last, "csrf_token": token}


def cities(page: str) -> list[str]:
    return re.findall(r'<span class="trip-city">([^<]*)</span>', page)


def test_add_a_trip_and_see_where_it_landed(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/trips/").get_data(as_text=True)
    assert "No trips yet" in page and 'type="date"' in page
    added = client.post(
        "/trips/",
        data=form("Lisbon", ahead(10), ahead(13), csrf_token(page)),
        follow_redirects=True,
    )
    assert added.status_code == 200 and "Added your trip to Lisbon" in added.get_data(as_text=True)
    wait_background()
    page = client.get("/trips/").get_data(as_text=True)
    assert cities(page) == ["Lisbon"] and "Coming up" in page and "No trips yet" not in page
    assert "→ Lisbon, PT · 38.7" in page and "Europe/Lisbon" in page
    stored = db.session().scalars(select(Trip)).one()
    assert stored.timezone == "Europe/Lisbon" and stored.geocoded_at is not None


def test_trips_are_grouped_now_coming_up_and_past(app: Flask) -> None:
    session = db.session()
    user = owner(session)
    today = datetime.now(UTC).date()
    rows = [
        ("Rome", -20, -15, None),
        ("Porto", 30, 32, None),
        ("Lisbon", -1, 2, datetime.now(UTC)),
        ("Qwxzyville", 40, 41, datetime.now(UTC)),
    ]
    for city, first, last, looked_up in rows:
        session.add(
            Trip(
                owner_id=user.id,
                city=city,
                starts_on=today + timedelta(days=first),
                ends_on=today + timedelta(days=last),
                lat=38.7 if city == "Lisbon" else None,
                lon=-9.1 if city == "Lisbon" else None,
                geocoded_at=looked_up,
            )
        )
    session.commit()
    page = app.test_client().get("/trips/").get_data(as_text=True)
    assert cities(page) == ["Lisbon", "Porto", "Qwxzyville", "Rome"]
    assert page.index(">Now<") < page.index(">Coming up<") < page.index(">Past (1)<")
    assert "travelling now" in page and "→ 38.70, -9.10" in page
    assert "looking it up…" in page and "not found: try" in page


@pytest.mark.parametrize(
    ("city", "first", "last", "message"),
    [
        ("", 1, 2, "Name the city you travel to."),
        ("Lisbon", 5, 2, "The trip ends before it starts."),
        ("Lisbon", -5, -2, "That trip is over already"),
        ("Lisbon", 1, 400, "A trip lasts at most 366 days."),
        ("Lisbon", None, 2, "Choose the first day."),
    ],
)
def test_a_bad_trip_is_refused_with_a_reason(
    app: Flask, city: str, first: int | None, last: int, message: str
) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/trips/").get_data(as_text=True))
    start = "" if first is None else ahead(first)
    refused = client.post("/trips/", data=form(city, start, ahead(last), token))
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert db.session().scalars(select(Trip)).all() == []


def test_not_a_date_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/trips/").get_data(as_text=True))
    refused = client.post("/trips/", data=form("Lisbon", "2025-13-01", ahead(2), token))
    assert refused.status_code == 400 and "Not a valid date" in refused.get_data(as_text=True)


def test_forms_need_the_csrf_token(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/trips/", data=form("Lisbon", ahead(1), ahead(2), "")).status_code == 400
    session = db.session()
    trip = add_trip(session, owner(session), "Lisbon", TODAY, day("2025-03-04"), NOW)
    session.commit()
    assert client.post(f"/trips/{trip.id}/remove").status_code == 400
    forged = form("Porto", ahead(1), ahead(2), "not-the-token")
    assert client.post(f"/trips/{trip.id}", data=forged).status_code == 400
    db.session().expire_all()
    assert db.session().get(Trip, trip.id).city == "Lisbon"


def test_edit_a_trip_then_remove_it(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/trips/").get_data(as_text=True))
    client.post("/trips/", data=form("Lisbon", ahead(10), ahead(13), token))
    wait_background()
    trip = db.session().scalars(select(Trip)).one()
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert 'value="Lisbon"' in page and f'value="{ahead(10)}"' in page
    saved = client.post(f"/trips/{trip.id}", data=form("Porto", ahead(11), ahead(13), token))
    assert saved.status_code == 302
    wait_background()
    db.session().expire_all()
    moved = db.session().get(Trip, trip.id)
    assert (moved.city, moved.starts_on.isoformat()) == ("Porto", ahead(11))
    assert moved.lat == pytest.approx(41.15, abs=0.05)  # located again, as Porto
    bad = client.post(f"/trips/{trip.id}", data=form("Porto", ahead(11), ahead(3), token))
    assert bad.status_code == 400 and "ends before it starts" in bad.get_data(as_text=True)
    gone = client.post(f"/trips/{trip.id}/remove", data={"csrf_token": token})
    assert gone.status_code == 302
    assert db.session().scalars(select(Trip)).all() == []
    assert client.get(f"/trips/{trip.id}").status_code == 404


# --- two users ---


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    """A client signed in as `email`, and a CSRF token of its session."""
    client = signed_in_client(app, email)
    return client, csrf_token(client.get("/trips/").get_data(as_text=True))


def test_another_users_trip_is_not_found(multi: Flask) -> None:
    assert multi.test_client().get("/trips/").status_code == 302  # to the sign-in page
    ann, ann_token = signed_in(multi, "ann@example.org")
    bob, bob_token = signed_in(multi, "bob@example.org")
    ann.post("/trips/", data=form("Lisbon", ahead(10), ahead(13), ann_token))
    trip = db.session().scalars(select(Trip)).one()
    assert cities(bob.get("/trips/").get_data(as_text=True)) == []
    assert cities(ann.get("/trips/").get_data(as_text=True)) == ["Lisbon"]
    assert bob.get(f"/trips/{trip.id}").status_code == 404
    taken = form("Porto", ahead(1), ahead(2), bob_token)
    assert bob.post(f"/trips/{trip.id}", data=taken).status_code == 404
    assert bob.post(f"/trips/{trip.id}/remove", data={"csrf_token": bob_token}).status_code == 404
    db.session().expire_all()
    assert db.session().get(Trip, trip.id).city == "Lisbon"
    assert ann.get(f"/trips/{trip.id}").status_code == 200


# --- the command line ---


@pytest.fixture
def planner(cli: Cli, tmp_path: Path) -> Run:
    """`planner ...` on a fresh SQLite database where ann@example.org has an account."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    app = make_app(url, tmp_path)
    with app.app_context():
        create_user(db.session(), "ann@example.org", None, NOW)
        db.session().commit()
        close(app)
    return cli(url, upgrade=False)


def test_cli_adds_a_trip_and_says_where_it_landed(planner) -> None:
    now = "--now=2025-03-01T12:00:00+00:00"
    added = planner(
        "trips", "add", "--user", "ann@example.org", "Paris, TX", "2025-05-01", "2025-05-03", now
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines() == [
        "trip 1: Paris, TX, 2025-05-01 to 2025-05-03",
        "  located: Paris, US · 33.66, -95.56 · America/Chicago",
    ]
    unknown = planner(
        "trips", "add", "--user", "ann@example.org", "Qwxzyville", "2025-03-01", "2025-03-01", now
    )
    assert unknown.exit_code == 0 and "trip 2: Qwxzyville" in unknown.stdout
    assert "warning: 'Qwxzyville' was not found" in unknown.stderr
    mine = planner("trips", "add", "Lisbon", "2025-04-01", "2025-04-02", now)  # the local owner
    assert mine.exit_code == 0 and "Europe/Lisbon" in mine.stdout
    listed = planner("trips", "list", "--user", "ann@example.org", "--now", "2025-05-02T08:00:00Z")
    assert listed.exit_code == 0
    assert [line.split()[:5] for line in listed.stdout.splitlines()] == [
        ["2", "2025-03-01", "to", "2025-03-01", "past"],
        ["1", "2025-05-01", "to", "2025-05-03", "current"],
    ]
    assert "(not found: try" in listed.stdout and "America/Chicago" in listed.stdout
    removed = planner("trips", "remove", "--user", "ann@example.org", "2")
    assert removed.stdout == "removed trip 2 (Qwxzyville, 2025-03-01 to 2025-03-01)\n"
    assert len(planner("trips", "list", "--user", "ann@example.org").stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "Lisbon", "2025-5-1", "2099-05-02"],
            "FROM '2025-5-1' is not a date: use YYYY-MM-DD",
        ),
        (["add", "Lisbon", "2099-05-01", "tomorrow"], "TO 'tomorrow' is not a date"),
        (["add", "Lisbon", "2099-05-03", "2099-05-01"], "The trip ends before it starts."),
        (["add", "Lisbon", "2001-05-01", "2001-05-03"], "That trip is over already"),
        (["add", "", "2099-05-01", "2099-05-03"], "Name the city you travel to."),
        (["add", "--user", "nobody@example.org", "Lisbon", "2099-05-01", "2099-05-03"], "no user"),
        (["add", "Lisbon", "2099-05-01"], "Missing argument 'TO'"),
        (["remove", "1"], "no trip 1 (see `planner trips list`)"),
        (["locate", "1"], "no trip 1"),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(planner, args: list[str], message: str) -> None:
    result = planner("trips", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_cli_never_touches_another_users_trip(planner) -> None:
    ann = planner("trips", "add", "--user", "ann@example.org", "Lisbon", "2099-05-01", "2099-05-03")
    assert ann.exit_code == 0
    assert planner("trips", "remove", "1").exit_code == 2  # the local owner has no trip 1
    assert planner("trips", "locate", "1").exit_code == 2
    assert planner("trips", "list").stdout == ""
    assert "Lisbon" in planner("trips", "list", "--user", "ann@example.org").stdout
