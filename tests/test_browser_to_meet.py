"""The "people to meet" page as its user sees it, in Chromium: the suggestions by kind, a link to
the event, a gathering's invitation and its .ics downloaded; on a desktop and on a phone.

Screenshots land in test-results/to-meet-*.png (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from planner import db
from planner.sources import owner
from tests.browser import PHONE, serve, tab
from tests.test_people import BERLIN, LISBON, fill

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    session = db.session()
    fill(session, owner(session))
    with serve(app) as base:
        yield base


def test_the_page_shows_where_to_meet_whom_and_gives_the_invitation(
    site: str, chromium_browser: Browser, tmp_path: Path
) -> None:
    t = tab(chromium_browser, site, viewport=DESKTOP)
    page = t.page
    t.open("/people/")
    expect(page.get_by_role("heading", level=1)).to_have_text("People to meet")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        ["Meet at an event", "Host a gathering", "Call"]
    )
    at_event = page.locator("#at-events li.suggestion")
    expect(at_event).to_have_count(1)
    expect(at_event.locator(".what")).to_have_text(
        re.compile(r'^Katrin Müller is speaking at "Systems Night", \w{3} \d+ \w{3}, 19:00$')
    )
    expect(at_event.locator(".reasons li").first).to_contain_text("Talk by Katrin Müller")

    lisbon = page.locator("article.gathering").filter(has_text="Rust evening in Lisbon")
    expect(lisbon.locator(".guests .name")).to_have_text(["Ana Costa", "Rui Alves"])
    expect(lisbon.locator(".invitation")).to_contain_text("Hi Ana and Rui,")
    expect(lisbon.locator(".invitation")).to_contain_text("a small, informal evening in Lisbon")
    t.screenshot("to-meet-desktop.png")

    with page.expect_download() as download:
        lisbon.get_by_role("link", name="Download the invitation (.ics)").click()
    assert re.fullmatch(r"gathering-\d{4}-\d{2}-\d{2}\.ics", download.value.suggested_filename)
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    [vevent] = icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    first_day = datetime.now(BERLIN).date() + timedelta(days=10)
    assert vevent.decoded("DTSTART") == datetime.combine(first_day, time(19), LISBON)
    assert str(vevent["DESCRIPTION"]) == lisbon.locator(".invitation").inner_text()

    at_event.get_by_role("link", name="Systems Night").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Systems Night")
    t.assert_clean()

    phone = tab(chromium_browser, site, viewport=PHONE, is_mobile=True, device_scale_factor=2)
    phone.open("/people/")
    expect(phone.page.locator("article.gathering")).to_have_count(2)
    phone.assert_fits()
    phone.screenshot("to-meet-phone.png")
    phone.assert_clean()
