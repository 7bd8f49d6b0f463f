"""The calendar feeds page in Chromium, on a desktop and a phone: making the private URLs with
the page's own buttons, the webcal link, the Copy button, the steps for the calendar apps that
work on this machine, a new URL replacing the old one with the message beside it; and the page
without JavaScript. Screenshots land in test-results/feeds-*.png for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from planner.demo_loader import load_demo, load_demo_person
from planner.jobs import wait_background
from tests.browser import PHONE, serve, tab

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """Single-user mode with the demo person and the demo feeds, on a free local port."""
    now = datetime.now(UTC)
    list(load_demo(now))
    list(load_demo_person(now))
    with serve(app) as base:
        app.config["BASE_URL"] = base  # the feed URLs the page shows point here
        yield base
    wait_background()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_make_rotate_and_read_the_steps(site: str, chromium_browser: Browser, device: str) -> None:
    options = {"viewport": DESKTOP} if device == "desktop" else {"viewport": PHONE}
    if device == "phone":
        options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    t = tab(chromium_browser, site, **options)
    page = t.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    t.open("/feeds")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feeds")
    t.screenshot(f"feeds-empty-{device}.png")
    page.locator("#feed-all").get_by_role("button", name="Make a private URL").click()
    expect(page.locator(".flash")).to_contain_text("has a private URL now")
    page.locator("#feed-going").get_by_role("button", name="Make a private URL").click()
    url = page.locator("#feed-all-url").input_value()
    assert url.startswith(site + "/feeds/") and url.endswith(".ics")
    subscribe = page.locator("#feed-all").get_by_role("link", name="Subscribe")
    assert subscribe.get_attribute("href") == "webcal://" + url.split("://", 1)[1]
    for app_name in ("Apple Calendar on this Mac", "Thunderbird", "Any other calendar app"):
        expect(page.get_by_role("heading", name=app_name)).to_be_visible()
    expect(page.get_by_role("heading", name="Google Calendar")).to_have_count(0)  # cannot reach
    expect(page.locator(".feed-items li").first).to_be_visible()
    copy = page.locator("#feed-all").get_by_role("button", name="Copy the URL of Recommended")
    expect(copy).to_have_text("Copy")
    expect(page.locator("#feed-all [data-copy-hint]")).to_be_hidden()
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    t.assert_fits()
    t.screenshot(f"feeds-made-{device}.png")

    served = page.request.get(url)
    assert served.status == 200 and served.body().startswith(b"BEGIN:VCALENDAR\r\n")
    page.locator("#feed-going").get_by_role("button", name="New URL").click()
    said = page.locator("#feed-going .flash")  # beside the feed the page scrolls to
    expect(said).to_contain_text("The old one no longer works")
    expect(said).to_be_in_viewport()
    t.screenshot(f"feeds-rotated-{device}.png")
    page.locator("#feed-all").get_by_role("button", name="New URL").click()
    expect(page.locator("#feed-all .flash")).to_be_in_viewport()
    assert page.locator("#feed-all-url").input_value() != url
    assert page.request.get(url).status == 404
    t.assert_fits()
    t.assert_clean()


def test_without_javascript_the_url_is_there_to_select(
    site: str, chromium_browser: Browser
) -> None:
    t = tab(chromium_browser, site, viewport=PHONE, java_script_enabled=False)
    page = t.page
    t.open("/feeds")
    page.locator("#feed-all").get_by_role("button", name="Make a private URL").click()
    expect(page.locator("#feed-all .flash")).to_contain_text("has a private URL now")
    field = page.locator("#feed-all-url")
    assert field.input_value().startswith(site + "/feeds/")
    expect(page.locator("#feed-all [data-copy-hint]")).to_be_visible()  # "select it and copy"
    expect(page.get_by_role("button", name="Copy")).to_have_count(0)
    t.assert_fits()
    t.assert_clean()
