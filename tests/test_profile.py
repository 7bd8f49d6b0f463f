"""The profile: availability in words and back, the checks, and the profile page (save, the
home place looked up in the background, errors next to their fields)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from planner import db
from planner.availability import ALL_SLOTS, PRESETS, available_at, describe_availability
from planner.jobs import wait_background
from planner.models import User, default_availability
from planner.profile import (
    ProfileError,
    check_profile,
    check_timezone,
    clean_text,
    describe_home,
    parse_availability,
    update_profile,
)
from planner.sources import owner
from tests.accounts import csrf_token

# --- availability in words ---


def test_the_default_in_words() -> None:
    assert describe_availability(default_availability()) == "weekday evenings, Saturday and Sunday"


@pytest.mark.parametrize(
    ("words", "described"),
    [
        ("weekday evenings, saturday", "weekday evenings, Saturday"),
        ("Weekday Evenings and weekends", "weekday evenings, Saturday and Sunday"),
        ("Tuesday and Thursday evenings", "Tuesday and Thursday evenings"),
        ("Mon, Wed & Fri evenings", "Monday, Wednesday and Friday evenings"),
        ("saturday, weekday evenings", "weekday evenings, Saturday"),
        ("weekend mornings and afternoons", "weekend mornings and afternoons"),
        ("saturday mornings, afternoons", "every afternoon, Saturday mornings"),
        ("evenings", "every evening"),
        ("every day", "any time"),
        ("any time", "any time"),
        ("thurs night", "Thursday evenings"),
        ("sat:evening; sun:morning.", "Saturday evenings, Sunday mornings"),
        ("weekdays", "weekdays"),
    ],
)
def test_words_to_slots(words: str, described: str) -> None:
    assert describe_availability(parse_availability(words)) == described


def test_parse_gives_slots_in_week_order() -> None:
    assert parse_availability("sunday morning and friday evening") == [
        "fri:evening",
        "sun:morning",
    ]


@pytest.mark.parametrize(
    ("words", "complaint"),
    [
        ("funday", "'funday' is not a day"),
        ("mon-fri", "'-' is not a day"),
        ("sábado", "'sábado' is not a day"),
        ("", "say when you are free"),
        ("on the", "say when you are free"),
    ],
)
def test_words_that_say_no_time(words: str, complaint: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_availability(words)
    assert complaint in caught.value.errors["availability"]


def test_every_description_reads_back_as_the_same_slots() -> None:
    rng = random.Random(4)
    samples = [rng.sample(ALL_SLOTS, rng.randint(1, len(ALL_SLOTS))) for _ in range(3000)]
    for slots in [*samples, *PRESETS.values(), [s for s in ALL_SLOTS if s.startswith("sat")]]:
        expected = [s for s in ALL_SLOTS if s in slots]
        assert parse_availability(describe_availability(slots)) == expected, slots


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        ("2025-03-03T05:59", None),  # a Monday, before the morning
        ("2025-03-03T06:00", "mon:morning"),
        ("2025-03-03T11:59", "mon:morning"),
        ("2025-03-03T12:00", "mon:afternoon"),
        ("2025-03-03T16:59", "mon:afternoon"),
        ("2025-03-03T17:00", "mon:evening"),
        ("2025-03-03T22:59", "mon:evening"),
        ("2025-03-03T23:00", None),
        ("2025-03-09T19:30", "sun:evening"),
    ],
)
def test_available_at_the_part_boundaries(moment: str, slot: str | None) -> None:
    local = datetime.fromisoformat(moment)
    for candidate in ALL_SLOTS:
        assert available_at([candidate], local) == (candidate == slot), candidate
    assert available_at(ALL_SLOTS, local) == (slot is not None)


# --- checks ---


def test_time_zone_names_are_checked_and_spelled_right() -> None:
    assert check_timezone(" europe/berlin ") == "Europe/Berlin"
    with pytest.raises(ProfileError, match="not a time zone"):
        check_timezone("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 20001}, "radius_km"),
        ({"radius_km": True}, "radius_km"),
        ({"events_per_week": 51}, "events_per_week"),
        ({"events_per_week": -1}, "events_per_week"),
        ({"events_per_month": 201}, "events_per_month"),
        ({"events_per_week": 5, "events_per_month": 4}, "events_per_month"),
        ({"timezone": "Nowhere/Else", "timezone_auto": False}, "timezone"),
        ({"availability": []}, "availability"),
        ({"availability": ["mon:noon"]}, "availability"),
        ({"home_location": "x" * 301}, "home_location"),
    ],
)
def test_bad_profile_values_are_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ProfileError) as caught:
        check_profile(User(events_per_week=2, events_per_month=6, timezone_auto=True), changes)
    assert list(caught.value.errors) == [field]


def test_limits_are_accepted_and_a_zone_is_ignored_while_derived() -> None:
    user = User(events_per_week=2, events_per_month=6, timezone_auto=True)
    values = check_profile(
        user,
        {"radius_km": 20000, "events_per_week": 0, "events_per_month": 0, "timezone": "Bad/Zone"},
    )
    assert values == {"radius_km": 20000, "events_per_week": 0, "events_per_month": 0}


def test_text_is_cleaned_of_control_characters() -> None:
    assert clean_text("  Portland,\x00 OR\n\u202e ", 300) == "Portland, OR"
    assert clean_text("\x07\t ", 300) is None


def test_a_new_home_forgets_the_old_coordinates(any_app: Flask) -> None:
    session = db.session()
    user = owner(session)
    user.home_location, user.home_lat, user.home_lon = "Berlin", 52.5, 13.4
    user.home_geocoded_at = datetime.now(UTC)
    assert update_profile(session, user, home_location="Berlin", radius_km=30) is False
    assert user.home_lat == 52.5 and user.radius_km == 30
    assert update_profile(session, user, home_location=" Portland,  OR ") is True
    assert user.home_location == "Portland, OR" and user.home_lat is None
    assert describe_home(user) == "Portland, OR: looking it up…"
    assert update_profile(session, user, home_location="") is False  # nothing to look up
    assert user.home_location is None and describe_home(user) == "not set"


def test_deriving_the_zone_again_asks_for_a_lookup(any_app: Flask) -> None:
    session = db.session()
    user = owner(session)
    user.home_location, user.home_geocoded_at = "Berlin", datetime.now(UTC)
    assert update_profile(session, user, timezone="Asia/Tokyo", timezone_auto=False) is False
    assert user.timezone == "Asia/Tokyo"
    assert update_profile(session, user, timezone_auto=True) is True


# --- the page ---


def form_of(user: User, token: str, **changes: object) -> dict[str, object]:
    """What the browser sends for `user`'s profile as it stands, with `changes`."""
    data: dict[str, object] = {
        "csrf_token": token,
        "name": user.name or "",
        "home_location": user.home_location or "",
        "radius_km": str(user.radius_km),
        "timezone": user.timezone,
        "availability": list(user.availability),
        "events_per_week": str(user.events_per_week),
        "events_per_month": str(user.events_per_month),
    }
    data.update({"timezone_auto": "y"} if user.timezone_auto else {})
    data.update({"online_ok": "y"} if user.online_ok else {})
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def page_client(any_app: Flask) -> FlaskClient:
    owner(db.session())
    db.session().commit()
    return any_app.test_client()


def me() -> User:
    session = db.session()
    session.expire_all()  # the background job wrote with a session of its own
    return owner(session)


def test_save_the_home_place_and_see_where_it_landed(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    saved = page_client.post("/profile/", data=form_of(me(), token, home_location="Portland, OR"))
    assert saved.status_code == 302 and saved.location == "/profile/"
    wait_background()
    user = me()
    assert (round(user.home_lat or 0, 2), round(user.home_lon or 0, 2)) == (45.52, -122.68)
    assert user.timezone == "America/Los_Angeles" and user.home_geocoded_at is not None
    page = page_client.get("/profile/").get_data(as_text=True)
    assert "Portland, OR → 45.52, -122.68 · America/Los_Angeles" in page
    assert "Profile saved." in page


def test_a_place_not_found_says_how_to_say_it(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    page_client.post("/profile/", data=form_of(me(), token, home_location="Qqzzx Flats"))
    wait_background()
    assert me().home_geocoded_at is not None and me().home_lat is None
    page = page_client.get("/profile/").get_data(as_text=True)
    assert "Qqzzx Flats: not found: try &#39;City, Country&#39;" in page


def test_while_the_lookup_is_pending_the_page_says_so(page_client: FlaskClient) -> None:
    user = me()
    user.home_location = "Lisbon"
    db.session().commit()
    page = page_client.get("/profile/").get_data(as_text=True)
    assert "Lisbon: looking it up…" in page and "home-pending" in page


def test_bad_values_are_shown_next_to_their_fields(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    bad = form_of(me(), token, radius_km="0", timezone="Mars/Base", timezone_auto=None)
    bad.update(home_location="Berlin", events_per_week="9", events_per_month="3")
    refused = page_client.post("/profile/", data=bad)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Nothing was saved" in page
    assert re.search(r'id="radius_km-error"[^>]*>Choose a whole number from 1 to 20000', page)
    assert re.search(r'id="timezone-error"[^>]*>&#39;Mars/Base&#39; is not a time zone', page)
    assert re.search(r'id="events_per_month-error"[^>]*>A month holds at least a week', page)
    user = me()
    assert (user.radius_km, user.home_location, user.timezone) == (25, None, "UTC")


def test_a_chosen_time_zone_is_kept(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    form = form_of(me(), token, home_location="Berlin", timezone="asia/tokyo", timezone_auto=None)
    assert page_client.post("/profile/", data=form).status_code == 302
    wait_background()
    user = me()
    assert user.timezone == "Asia/Tokyo" and user.timezone_auto is False
    assert user.home_lat is not None  # still looked up, for distances


def test_the_availability_grid_round_trip(page_client: FlaskClient) -> None:
    chosen = ["tue:evening", "thu:evening", "sat:morning", "sat:afternoon"]
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    form = form_of(me(), token, availability=chosen, online_ok=None, events_per_week="1")
    assert page_client.post("/profile/", data=form).status_code == 302
    user = me()
    assert user.availability == chosen and user.online_ok is False and user.events_per_week == 1
    page = page_client.get("/profile/").get_data(as_text=True)
    ticked = re.findall(r'name="availability" value="([a-z:]+)" checked', page)
    assert ticked == chosen
    assert len(re.findall(r'name="availability" value="[a-z:]+"', page)) == 21
    assert "Tuesday and Thursday evenings, Saturday mornings and afternoons" in page
    assert '<span class="visually-hidden">Saturday morning</span>' in page


def test_words_replace_the_ticks(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    form = form_of(me(), token, availability_words="weekday evenings, saturday")
    assert page_client.post("/profile/", data=form).status_code == 302
    assert describe_availability(me().availability) == "weekday evenings, Saturday"
    unclear = page_client.post("/profile/", data={**form, "availability_words": "funday"})
    page = unclear.get_data(as_text=True)
    assert unclear.status_code == 400
    assert re.search(r'id="availability_words-error"[^>]*>&#39;funday&#39; is not a day', page)


def test_no_time_at_all_is_refused(page_client: FlaskClient) -> None:
    token = csrf_token(page_client.get("/profile/").get_data(as_text=True))
    form = form_of(me(), token)
    del form["availability"]
    refused = page_client.post("/profile/", data=form)
    assert refused.status_code == 400
    assert "Choose at least one time" in refused.get_data(as_text=True)
    assert me().availability == default_availability()


def test_saving_needs_the_csrf_token(page_client: FlaskClient) -> None:
    form = form_of(me(), "", radius_km="99")
    del form["csrf_token"]
    assert page_client.post("/profile/", data=form).status_code == 400
    assert me().radius_km == 25
