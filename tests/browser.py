"""What the browser tests share: Chromium's launch flags, a watched tab, a local server.

Screenshots land in test-results/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Page, Response
from werkzeug.serving import make_server

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
        """No sideways scroll. On a phone (is_mobile) Chromium zooms out and widens
        window.innerWidth to the content, so compare with the layout viewport instead."""
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px"

    def screenshot(self, name: str) -> None:
        RESULTS.mkdir(exist_ok=True)
        self.page.screenshot(path=RESULTS / name, full_page=True)


def assert_csp(response: Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy
    assert "style-src 'self'" in policy


def tab(browser: Browser, base: str, **options: object) -> Tab:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    watched = Tab(page, base)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and watched.errors.append(m.text))
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """`app` on a free local port, in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
