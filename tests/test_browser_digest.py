"""The digest as people see it, in Chromium: the mail's HTML part on its own (no script, nothing
remote, fits a phone), the Digest page on desktop and phone (settings without JavaScript), the
preview with the mail framed under its strict policy, and unsubscribing from the mail's link.

Screenshots land in test-results/digest-*.png (git-ignored) for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from planner import db
from planner.digest import week_of
from planner.jobs import wait_background
from planner.mail import part
from planner.models import DigestSend
from planner.sending import send_digest
from tests.browser import PHONE, RESULTS, serve, tab
from tests.test_digest_smtp import plan_for

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """The demo person's digests: this week's written to the outbox, an older week failed and
    one interrupted (too old to send again), served on a free port."""
    now = datetime.now(UTC)
    owner = plan_for("owner@localhost", now)
    send_digest(owner.id, week_of(now, owner.timezone), now.isoformat(), asked=True)
    session = db.session()
    for weeks, status, more in (
        (2, "failed", {"error": "mail.example.org:587: login refused (535 5.7.8 bad password)"}),
        (3, "sending", {"message_id": "<1795.42@planner.example.org>"}),
    ):
        then = now - timedelta(weeks=weeks)
        week = week_of(then, owner.timezone)
        session.add(
            DigestSend(owner_id=owner.id, week=week, status=status, started_at=then, **more)
        )
    session.commit()
    with serve(app) as base:
        yield base
    wait_background()


def written(app: Flask) -> str:
    [path] = (Path(app.instance_path) / "mail").iterdir()
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    html = part(message, "html")  # type: ignore[arg-type]
    assert html
    return html


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_mail_html_alone(
    app: Flask, site: str, chromium_browser: Browser, size: dict[str, int], name: str
) -> None:
    html = written(app)
    options = {"viewport": size, "is_mobile": name == "phone"}
    view = tab(chromium_browser, "http://nowhere.invalid", **options)
    view.page.set_content(html)
    page = view.page
    assert page.locator("script").count() == 0
    assert page.locator("link").count() == 0 and page.locator("style").count() == 0
    for img in page.locator("img").all():
        assert (img.get_attribute("src") or "").startswith("data:")
    assert view.requests == []  # nothing fetched: no remote images, fonts or CSS
    expect(page.get_by_role("link", name="Unsubscribe")).to_be_visible()
    expect(page.get_by_role("link", name="Manage preferences")).to_be_visible()
    expect(page.get_by_text("Near Berlin in the next two weeks")).to_be_visible()
    view.assert_fits()
    view.screenshot(f"digest-mail-{name}.png")


def test_the_digest_page_on_desktop_and_phone(site: str, chromium_browser: Browser) -> None:
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        view = tab(chromium_browser, site, viewport=size, is_mobile=name == "phone")
        view.open("/digest")
        page = view.page
        expect(page.get_by_role("heading", name="Weekly digest")).to_be_visible()
        expect(page.get_by_text("This week’s digest was sent")).to_be_visible()
        expect(page.locator(".send-failed")).to_contain_text("the mail server did not take it")
        expect(page.locator(".send-failed")).to_contain_text("login refused")  # the owner's
        interrupted = page.locator(".send-interrupted")
        expect(interrupted).to_contain_text("it may or may not have arrived")
        expect(interrupted.get_by_role("button", name="It arrived: mark as sent")).to_be_visible()
        expect(page.get_by_role("button", name="Send again")).to_have_count(0)  # weeks ago
        expect(page.locator(".kept a")).to_have_count(1)
        view.assert_fits()
        view.assert_clean()
        view.screenshot(f"digest-page-{name}.png")


def test_settings_work_without_javascript(site: str, chromium_browser: Browser) -> None:
    view = tab(chromium_browser, site, viewport=PHONE, java_script_enabled=False)
    view.open("/digest")
    page = view.page
    page.get_by_label("Day").select_option(label="Friday")
    page.get_by_label("Time").select_option(label="18:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Digest settings saved.")).to_be_visible()
    expect(page.get_by_label("Day")).to_have_value("4")
    expect(page.get_by_label("Time")).to_have_value("18")


def test_the_preview_frames_the_mail_under_its_own_policy(
    site: str, chromium_browser: Browser
) -> None:
    view = tab(chromium_browser, site, viewport=DESKTOP)
    view.open("/digest")
    view.page.get_by_role("link", name="Preview this week’s digest").click()
    page = view.page
    expect(page.get_by_text("A preview: what this week’s digest would say")).to_be_visible()
    frame = page.frame_locator("iframe.mail-frame")
    header = frame.get_by_text("planner", exact=True)
    expect(header).to_be_visible()
    colour = header.evaluate("el => getComputedStyle(el.parentElement).backgroundColor")
    assert colour == "rgb(36, 82, 200)"  # the mail's inline styles apply inside the frame
    expect(frame.get_by_role("link", name="Unsubscribe")).to_be_visible()
    view.assert_clean()  # no CSP violation logged, nothing fetched from elsewhere
    view.screenshot("digest-preview-desktop.png")


def test_unsubscribe_from_the_mail_link(app: Flask, site: str, chromium_browser: Browser) -> None:
    html = written(app)
    link = html.split('href="')[-1]  # the last link: Unsubscribe
    path = link[: link.index('"')].split("/unsubscribe/", 1)[1]
    view = tab(chromium_browser, site, viewport=PHONE, is_mobile=True)
    view.open(f"/unsubscribe/{path}")
    page = view.page
    expect(page.get_by_role("heading", name="Unsubscribe from the weekly digest?")).to_be_visible()
    view.screenshot("digest-unsubscribe-phone.png")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribed")).to_be_visible()
    view.assert_fits()
    view.assert_clean()
    assert (RESULTS / "digest-unsubscribe-phone.png").exists()


def test_confirming_the_address_on_a_phone(tmp_path: Path, chromium_browser: Browser) -> None:
    """Multi-user mode: the Digest page asks for the address to be confirmed first; the button
    works without JavaScript; the link in the mail (opened without signing in) confirms it."""
    from planner.accounts import create_user
    from tests.accounts import PASSWORD
    from tests.conftest import close, make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}", tmp_path, MODE="multi")
    with app.app_context():
        create_user(db.session(), "ann@example.org", PASSWORD, datetime.now(UTC))
        db.session().commit()
        with serve(app) as base:
            view = tab(chromium_browser, base, viewport=PHONE, is_mobile=True,
                       java_script_enabled=False)  # fmt: skip
            page = view.page
            view.open("/sign-in")
            page.get_by_label("Email").fill("ann@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            view.open("/digest")
            expect(page.get_by_text("Confirm your address first.")).to_be_visible()
            view.assert_fits()
            view.screenshot("digest-confirm-phone.png")
            page.get_by_role("button", name="Send the confirmation mail").click()
            expect(page.get_by_text("A confirmation mail is on its way")).to_be_visible()
            expect(page.get_by_role("button", name="Send the confirmation mail")).to_have_count(0)
            [mail] = (Path(app.instance_path) / "mail").glob("confirm-*.eml")
            message = message_from_bytes(mail.read_bytes(), policy=policy.default)
            text = part(message, "plain")  # type: ignore[arg-type]
            link = next(w for w in (text or "").split() if "/confirm-email/" in w)
            stranger = tab(chromium_browser, base, viewport=PHONE, is_mobile=True)
            stranger.open(urlsplit(link).path)  # not signed in
            expect(stranger.page.get_by_role("heading", name="Address confirmed")).to_be_visible()
            stranger.assert_clean()
            view.open("/digest")
            expect(page.get_by_text("Confirm your address first.")).to_have_count(0)
            view.assert_clean()
        wait_background()
        close(app)
