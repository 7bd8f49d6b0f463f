"""The people pages (sign-in, profile, goals, contacts, trips) as a new user sees them, in Chromium.

Multi-user mode on SQLite, served on a free local port; each test starts with a fresh account.
Screenshots land in test-results/people-*.png (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, expect

from planner import db
from planner.accounts import create_user, find_user
from planner.contactbook import add_contact
from planner.geocode import enqueue_geocode
from planner.goals import add_goal
from planner.jobs import wait_background
from planner.profile import update_profile
from planner.trips import add_trip
from tests.browser import PHONE, Tab, serve, tab
from tests.conftest import DATA, close, make_app

pytestmark = pytest.mark.browser

EMAIL = "ada@example.org"
PASSWORD = "a long enough passphrase"
DESKTOP = {"width": 1280, "height": 900}
LINKEDIN = DATA / "contacts" / "linkedin_connections_2025_preamble.csv"
VCARD = DATA / "contacts" / "vobject_vcard40_full.vcf"
MIRA = "Mira Castellanos"  # the one connection in LINKEDIN
JOHN = "Dr. John Q. Public, III"  # the one card in VCARD
NAV = ["For you", "Sources", "Contacts", "People", "Trips", "Goals", "ROI", "Profile"]
NAV += ["Calendar", "Digest"]


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` on a free local port; background jobs finished before the app goes."""
    with serve(app) as base:
        yield base
    wait_background()


@pytest.fixture
def multi_app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(f"sqlite:///{tmp_path / 'planner.sqlite3'}", tmp_path, MODE="multi")
    with application.app_context():
        yield application
        close(application)


@pytest.fixture
def site(multi_app: Flask) -> Iterator[str]:
    """Multi-user mode with one account (EMAIL, PASSWORD) and nothing else."""
    session = db.session()
    create_user(session, EMAIL, PASSWORD, datetime.now(UTC))
    session.commit()
    with served(multi_app) as base:
        yield base


@pytest.fixture
def browser(chromium_browser: Browser) -> Browser:
    return chromium_browser


@pytest.fixture
def single_site(app: Flask) -> Iterator[str]:
    with served(app) as base:
        yield base


def signed_in(browser: Browser, base: str, **options: object) -> Tab:
    """A tab in which EMAIL signed in through the form."""
    t = tab(browser, base, **options)
    t.open("/sign-in")
    t.page.get_by_label("Email").fill(EMAIL)
    t.page.get_by_label("Password").fill(PASSWORD)
    t.page.get_by_role("button", name="Sign in").click()
    expect(t.page.locator("header .who")).to_contain_text(EMAIL)
    return t


def refused(t: Tab, status: int) -> None:
    """Chromium logs a console error for every 4xx answer: forget those of `status`, only."""
    note = f"Failed to load resource: the server responded with a status of {status} "
    t.errors = [e for e in t.errors if not e.startswith(note)]


def assert_fits(t: Tab) -> None:
    t.assert_fits()


def field_of(t: Tab, input_id: str) -> Locator:
    """The `.field` box holding the input `input_id`, where its error is shown."""
    return t.page.locator(".field").filter(has=t.page.locator(f"#{input_id}"))


def test_sign_up_sign_out_and_a_wrong_password(multi_app: Flask, browser: Browser) -> None:
    with served(multi_app) as base:
        t = tab(browser, base, viewport=DESKTOP)
        page = t.page
        page.goto(base + "/profile/")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/profile/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        page.get_by_role("link", name="Create one").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

        page.get_by_label("Your name").click()
        page.keyboard.type("Ada Lovelace")
        for text in (EMAIL, PASSWORD, PASSWORD):
            page.keyboard.press("Tab")
            page.keyboard.type(text)
        expect(page.get_by_label("Password again")).to_be_focused()
        t.screenshot("people-sign-up.png")
        page.keyboard.press("Enter")

        expect(page).to_have_url(base + "/")
        expect(page.locator(".flash")).to_contain_text("Welcome.")
        who = page.locator("header .who")
        expect(who).to_contain_text(EMAIL)
        expect(who.get_by_role("button", name="Sign out")).to_be_visible()
        t.screenshot("people-signed-in.png")

        who.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(base + "/sign-in")
        expect(page.locator(".flash")).to_have_text("Signed out.")
        expect(page.locator("header")).not_to_contain_text(EMAIL)
        expect(page.locator("header").get_by_role("button", name="Sign out")).to_have_count(0)
        page.goto(base + "/goals/")
        expect(page).to_have_url(re.compile(r"/sign-in\?next=/goals/$"))

        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("not " + PASSWORD)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.keyboard.press("Enter")
        assert answer.value.status == 401
        error = field_of(t, "password").get_by_role("alert")
        expect(error).to_have_text("Wrong email or password.")
        expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Password")).to_have_attribute(
            "aria-describedby", "password-error"
        )
        expect(page.locator("header .who")).not_to_contain_text(EMAIL)
        t.screenshot("people-sign-in-error.png")
        refused(t, 401)

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        expect(page).to_have_url(base + "/goals/")  # where the visitor was going
        expect(page.locator("header .who")).to_contain_text(EMAIL)
        t.assert_clean()


def test_profile_home_radius_free_time_and_budget(site: str, browser: Browser) -> None:
    t = signed_in(browser, site, viewport=DESKTOP)
    page = t.page
    t.open("/profile/")
    expect(page.locator("#home-status")).to_have_text(re.compile("^No home place yet"))
    # a new user is free on weekday evenings and the whole weekend
    expect(page.get_by_label("Saturday morning")).to_be_checked()
    expect(page.get_by_label("Tuesday morning")).not_to_be_checked()

    page.get_by_label("Home place", exact=True).fill("Portland, OR")
    page.get_by_label("How far you would go (km)").fill("40")
    page.get_by_label("Tuesday morning").check()
    page.get_by_label("Sunday evening").uncheck()
    page.get_by_label("Events per week, at most").fill("3")
    page.get_by_label("Events per month, at most").fill("8")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".flash")).to_have_text("Profile saved. Looking up your home place…")

    wait_background()
    t.open("/profile/")
    landed = "Portland, OR → 45.52, -122.68 · America/Los_Angeles"
    expect(page.locator("#home-status")).to_have_text(landed)
    expect(page.locator("#timezone-hint")).to_contain_text("Now: America/Los_Angeles.")
    expect(page.get_by_label("How far you would go (km)")).to_have_value("40")
    for slot in ("Tuesday morning", "Saturday morning", "Sunday morning"):
        expect(page.get_by_label(slot)).to_be_checked()
    expect(page.get_by_label("Sunday evening")).not_to_be_checked()
    expect(page.get_by_label("Events per week, at most")).to_have_value("3")
    expect(page.get_by_label("Events per month, at most")).to_have_value("8")
    t.screenshot("people-profile.png")

    page.get_by_label("How far you would go (km)").fill("0")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save profile").click()
    assert answer.value.status == 400
    expect(page.locator(".notice")).to_have_text("Nothing was saved: see the notes below.")
    error = field_of(t, "radius_km").get_by_role("alert")
    expect(error).to_have_text(re.compile("^Choose a whole number from 1 to 20000"))
    expect(page.get_by_label("How far you would go (km)")).to_have_attribute("aria-invalid", "true")
    t.screenshot("people-profile-error.png")
    refused(t, 400)
    t.open("/profile/")
    expect(page.get_by_label("How far you would go (km)")).to_have_value("40")
    t.assert_clean()


def test_goals_add_edit_pause_and_remove(site: str, browser: Browser) -> None:
    t = signed_in(browser, site, viewport=DESKTOP)
    page = t.page
    t.open("/goals/")
    expect(page.locator(".empty")).to_contain_text("No goals yet")
    for text, priority in (("meet Rust developers", "1 · high"), ("find a mentor", "3 · low")):
        page.get_by_label("Goal", exact=True).fill(text)
        page.get_by_label("Priority").select_option(label=priority)
        page.get_by_role("button", name="Add goal").click()
        expect(page.locator(".flash")).to_have_text(f"Added “{text}”.")
    goals = page.locator("li.goal")
    expect(goals).to_have_count(2)
    expect(goals.filter(has_text="meet Rust developers").locator(".priority")).to_have_text(
        "1 · high"
    )
    expect(goals.filter(has_text="find a mentor").locator(".priority")).to_have_text("3 · low")

    page.get_by_role("link", name="Edit “meet Rust developers”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit goal")
    expect(page.get_by_label("Goal", exact=True)).to_have_value("meet Rust developers")
    page.get_by_label("Goal", exact=True).fill("meet Rust and Go developers")
    page.get_by_label("Priority").select_option(label="2 · medium")
    t.screenshot("people-goal-edit.png")
    page.get_by_role("button", name="Save goal").click()
    expect(page.locator(".flash")).to_have_text("Saved “meet Rust and Go developers”.")
    edited = goals.filter(has_text="meet Rust and Go developers")
    expect(edited.locator(".priority")).to_have_text("2 · medium")

    page.get_by_role("button", name="Pause “find a mentor”").click()
    paused = goals.filter(has_text="find a mentor")
    expect(paused).to_have_class(re.compile(r"\bgoal-paused\b"))
    expect(paused.locator(".badge-paused")).to_have_text("paused")
    expect(paused.get_by_role("button", name="Resume “find a mentor”")).to_be_visible()
    expect(edited.locator(".badge-paused")).to_have_count(0)
    t.screenshot("people-goals.png")

    page.get_by_role("button", name="Remove “meet Rust and Go developers”").click()
    expect(page.locator(".flash")).to_have_text("Removed “meet Rust and Go developers”.")
    expect(goals).to_have_count(1)
    expect(goals).to_contain_text("find a mentor")
    t.assert_clean()


def test_contacts_import_search_edit_and_by_city(site: str, browser: Browser) -> None:
    t = signed_in(browser, site, viewport=DESKTOP)
    page = t.page
    for export, shot in ((LINKEDIN, "people-contacts-report.png"), (VCARD, None)):
        t.open("/contacts/import")
        page.get_by_label("Contacts file").set_input_files(export)
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
        expect(page.locator(".report-counts .added")).to_have_text(re.compile(r"^\s*1\s+added"))
        expect(page.locator(".report-counts .skipped")).to_have_text(re.compile(r"^\s*0\s+skip"))
        if shot:
            t.screenshot(shot)

    page.get_by_role("link", name="See your contacts").click()
    contacts = page.locator("li.contact")
    expect(contacts).to_have_count(2)
    page.get_by_label("Search").fill("castellanos")
    page.get_by_role("button", name="Search").click()
    expect(contacts).to_have_count(1)
    expect(contacts.locator(".name")).to_have_text(MIRA)
    expect(contacts.locator(".role")).to_have_text("Software Engineer · Schneider Electric")
    t.screenshot("people-contacts.png")

    contacts.get_by_role("link", name=MIRA).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MIRA)
    expect(page.get_by_label("Tie")).to_have_value("regular")
    page.get_by_label("Tie").select_option("close")
    page.get_by_label("City").fill("Lisbon")
    t.screenshot("people-contact-edit.png")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text(f"Saved {MIRA}.")
    mira = contacts.filter(has_text=MIRA)
    expect(mira.locator(".badge")).to_have_text("close")
    expect(mira.locator(".where")).to_have_text("Lisbon")

    wait_background()
    page.get_by_role("link", name="By city").click()
    cities = page.locator("li.city")
    expect(cities.locator(".city-name")).to_have_text(["Lisbon", "Somewhere"])
    lisbon = cities.filter(has=page.get_by_role("link", name="Lisbon", exact=True))
    expect(lisbon.locator(".city-people")).to_have_text(MIRA)
    expect(lisbon.locator(".city-head")).to_contain_text("38.7")
    expect(cities.filter(has_text=JOHN).locator(".badge")).to_have_text("not placed")
    t.screenshot("people-contacts-cities.png")
    t.assert_clean()


def test_trips_add_see_placed_and_remove(site: str, browser: Browser) -> None:
    t = signed_in(browser, site, viewport=DESKTOP)
    page = t.page
    first = date.today() + timedelta(days=30)
    last = first + timedelta(days=3)
    t.open("/trips/")
    expect(page.locator(".empty")).to_contain_text("No trips yet")
    page.get_by_label("City").fill("Lisbon")
    page.get_by_label("From").fill(first.isoformat())
    page.get_by_label("To (the last day)").fill(last.isoformat())
    page.get_by_role("button", name="Add trip").click()
    expect(page.locator(".flash")).to_have_text(re.compile(r"^Added your trip to Lisbon, .*4 days"))

    wait_background()
    t.open("/trips/")
    coming = page.locator("section.trip-group-upcoming")
    expect(coming.get_by_role("heading", level=2)).to_have_text("Coming up")
    trip = coming.locator("li.trip")
    expect(trip).to_have_count(1)
    expect(trip.locator(".trip-city")).to_have_text("Lisbon")
    expect(trip.locator("time")).to_have_attribute("datetime", first.isoformat())
    expect(trip.locator(".trip-where")).to_have_class(re.compile(r"\bwhere-found\b"))
    expect(trip.locator(".trip-where")).to_have_text(re.compile(r"^→ .*38\.7\d, -9\.1\d"))
    t.screenshot("people-trips.png")

    trip.get_by_role("button", name=re.compile("^Remove the trip to Lisbon")).click()
    expect(page.locator(".flash")).to_have_text(re.compile("^Removed your trip to Lisbon"))
    expect(page.locator("li.trip")).to_have_count(0)
    expect(page.locator(".empty")).to_contain_text("No trips yet")
    t.assert_clean()


def furnish() -> dict[str, int]:
    """Give the account a home, a goal, two contacts and a trip, all placed; their ids."""
    session = db.session()
    now = datetime.now(UTC)
    user = find_user(session, EMAIL)
    assert user is not None
    update_profile(session, user, home_location="Portland, OR")
    goal = add_goal(session, user, "meet people who build developer tools", 1, now)
    contact = add_contact(
        session, user, {"name": "Grace Hopper", "city": "Lisbon", "company": "Navy"}, now
    )
    add_contact(session, user, {"name": "Alan Turing", "city": "Manchester"}, now)
    first = date.today() + timedelta(days=20)
    trip = add_trip(session, user, "Lisbon", first, first + timedelta(days=4), now)
    session.commit()
    for kind, row_id in (("user", user.id), ("contacts", user.id), ("trip", trip.id)):
        enqueue_geocode(kind, row_id)
    wait_background()
    return {"goal": goal.id, "contact": contact.id, "trip": trip.id}


PHONE_PAGES = {
    "sign-in": "/sign-in",
    "sign-up": "/sign-up",
    "profile": "/profile/",
    "goals": "/goals/",
    "goal-edit": "/goals/{goal}",
    "contacts": "/contacts/",
    "contact-edit": "/contacts/{contact}",
    "contacts-import": "/contacts/import",
    "contacts-report": "/contacts/import",  # then a file is imported
    "contacts-cities": "/contacts/cities",
    "trips": "/trips/",
    "trip-edit": "/trips/{trip}",
}


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_people_pages_fit_a_phone(site: str, browser: Browser, name: str) -> None:
    phone = {"viewport": PHONE, "is_mobile": True, "device_scale_factor": 2}
    ids: dict[str, int] = {}
    if name.startswith("sign-"):
        t = tab(browser, site, **phone)
    else:
        ids = furnish()
        t = signed_in(browser, site, **phone)
        assert_fits(t)  # the header, signed in, on the home page
    t.open(PHONE_PAGES[name].format_map(ids))
    if name == "contacts-report":
        t.page.get_by_label("Contacts file").set_input_files(VCARD)
        t.page.get_by_role("button", name="Import").click()
        expect(t.page.get_by_role("heading", level=1)).to_have_text("Import done")
    assert_fits(t)
    t.screenshot(f"people-{name}-phone.png")
    t.assert_clean()


def test_single_user_header_and_nav(single_site: str, browser: Browser) -> None:
    t = tab(browser, single_site, viewport=DESKTOP)
    page = t.page
    t.open("/")
    who = page.locator("header .who")
    expect(who).to_contain_text("single-user mode")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("link", name="Password")).to_have_count(0)
    links = page.locator("header nav a")
    expect(links).to_have_text(NAV)
    t.screenshot("people-single-user.png")
    for name in NAV:
        link = page.locator("header nav").get_by_role("link", name=name, exact=True)
        target = link.evaluate("a => a.href")
        with page.expect_response(lambda r, target=target: r.url == target) as answer:
            link.click()
        assert answer.value.status == 200, name
        expect(page.locator("header nav [aria-current=page]")).to_have_text(name)
    t.assert_clean()
