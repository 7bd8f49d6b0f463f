"""The web pages as people see them: Chromium on the demo data, served on a real local port.

Screenshots land in test-results/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from planner.demo_loader import load_demo
from tests.browser import PHONE, assert_csp, serve, tab

pytestmark = pytest.mark.browser

TALK = "PyBerlin Talks: Typed Python in Production"
TALK_VENUE = "Kiezwerk Coworking"
CANCELLED = "PyBerlin Pub Night"
DAY = re.compile(r"^\w{3} \d{2} \w{3} \d{4}$")  # "Wed 14 Jan 2026"


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """The demo loaded the real way and the app on a free port; yields the base URL."""
    list(load_demo(datetime.now(UTC)))
    with serve(app) as base:
        yield base


def test_all_upcoming_and_event_page(site: str, chromium_browser: Browser) -> None:
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/")
    with page.expect_response(re.compile(r"/upcoming$")):
        page.get_by_role("link", name="All upcoming").click()
    expect(page).to_have_title(re.compile(r"^All upcoming events"))
    expect(page.get_by_role("heading", level=1)).to_have_text("All upcoming events")
    days = page.locator("section.day h2")
    assert days.count() >= 2
    for text in days.all_inner_texts():
        assert DAY.match(text.strip()), text

    talk = page.locator("li.event").filter(has_text=TALK).first
    expect(talk.locator(".where")).to_contain_text(TALK_VENUE)
    pub = page.locator("li.event").filter(has_text=CANCELLED)
    expect(pub).to_have_count(1)
    expect(pub.locator(".badge-cancelled")).to_have_text(re.compile("cancelled", re.I))
    expect(pub.locator(".badge-cancelled")).to_be_visible()
    t.screenshot("upcoming.png")

    with page.expect_response(re.compile(r"/events/\d+$")) as answer:
        talk.get_by_role("link", name=TALK).click()
    assert_csp(answer.value)
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TALK)
    facts = page.locator("dl.facts")
    expect(facts.locator("dt", has_text="When")).to_be_visible()
    expect(facts.locator("dt", has_text="Where")).to_be_visible()
    expect(facts.locator("dd").nth(1)).to_contain_text(TALK_VENUE)
    provenance = page.locator("section.provenance")
    expect(provenance.get_by_role("heading", name="Where this came from")).to_be_visible()
    expect(provenance.get_by_role("link", name="PyBerlin", exact=True)).to_be_visible()
    t.screenshot("event.png")

    page.get_by_role("link", name="All upcoming").click()
    page.locator("li.event").filter(has_text=CANCELLED).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CANCELLED)
    expect(page.locator(".notice-cancelled")).to_contain_text("cancelled")
    t.assert_clean()


def test_sources_page(site: str, chromium_browser: Browser) -> None:
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/sources/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources")
    expect(page.locator("form.add-source input[name=url]")).to_be_visible()
    rows = page.locator("table.sources tbody tr[id^=source-]")
    expect(rows).to_have_count(3)
    pyberlin = rows.filter(has_text="PyBerlin")
    expect(pyberlin.locator(".badge-ok")).to_have_text("ok")
    for row in rows.all():
        expect(row.locator(".badge-ok")).to_be_visible()
    t.screenshot("sources.png")

    page.locator("input[name=url]").fill("ftp://example.org/feed.ics")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Add source").click()
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_be_visible()
    expect(rows).to_have_count(3)
    t.screenshot("sources-error.png")
    # a 400 answer is logged as a console error by Chromium; that one is expected
    t.errors = [e for e in t.errors if "400" not in e]
    t.assert_clean()


@pytest.mark.parametrize(
    ("path", "shot"),
    [
        ("/upcoming", "upcoming-phone.png"),
        ("/sources/", "sources-phone.png"),
        (None, "event-phone.png"),
    ],
)
def test_phone_has_no_sideways_scroll(
    site: str, chromium_browser: Browser, path: str | None, shot: str
) -> None:
    t = tab(chromium_browser, site, viewport=PHONE, is_mobile=True, device_scale_factor=2)
    if path is None:  # the talk's detail page
        t.open("/upcoming")
        path = t.page.get_by_role("link", name=TALK).first.get_attribute("href")
        assert path
    t.open(path)
    t.assert_fits()
    t.screenshot(shot)
    t.assert_clean()
