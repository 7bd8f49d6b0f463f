"""The web pages as people see them: Chromium on the demo data, served on a real local port.

Screenshots land in test-results/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright
from werkzeug.serving import make_server

from planner.demo_loader import load_demo

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
TALK = "PyBerlin Talks: Typed Python in Production"
TALK_VENUE = "Kiezwerk Coworking"
CANCELLED = "PyBerlin Pub Night"
DAY = re.compile(r"^\w{3} \d{2} \w{3} \d{4}$")  # "Wed 14 Jan 2026"


@dataclass
class Tab:
    """A page with everything it asked for and every console error it logged."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Response:
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.status == 200, f"{path}: HTTP {response.status}"
        assert_csp(response)
        return response

    def assert_clean(self) -> None:
        outside = [url for url in self.requests if not url.startswith(self.base + "/")]
        assert outside == [], "external requests"
        assert self.errors == [], "console errors"

    def assert_fits(self) -> None:
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px"

    def screenshot(self, name: str) -> None:
        RESULTS.mkdir(exist_ok=True)
        self.page.screenshot(path=RESULTS / name, full_page=True)


def assert_csp(response: Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy
    assert "style-src 'self'" in policy


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """The demo loaded the real way and the app on a free port; yields the base URL."""
    list(load_demo(datetime.now(UTC)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def chromium_browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def tab(browser: Browser, base: str, **options: object) -> Tab:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    watched = Tab(page, base)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and watched.errors.append(m.text))
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched


def test_home_and_event_page(site: str, chromium_browser: Browser) -> None:
    t = tab(chromium_browser, site, viewport={"width": 1280, "height": 900})
    page = t.page
    t.open("/")
    expect(page).to_have_title(re.compile(r"^Upcoming events"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")
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
    t.screenshot("home.png")

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

    page.get_by_role("link", name="Upcoming events").click()
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
    [("/", "home-phone.png"), ("/sources/", "sources-phone.png"), (None, "event-phone.png")],
)
def test_phone_has_no_sideways_scroll(
    site: str, chromium_browser: Browser, path: str | None, shot: str
) -> None:
    t = tab(chromium_browser, site, viewport=PHONE, is_mobile=True, device_scale_factor=2)
    if path is None:  # the talk's detail page
        t.open("/")
        path = t.page.get_by_role("link", name=TALK).first.get_attribute("href")
        assert path
    t.open(path)
    t.assert_fits()
    t.screenshot(shot)
    t.assert_clean()
