"""The private calendar feeds' page: it shows, makes, rotates and revokes the viewer's feed
URLs, with "add by URL" steps for calendar apps. The feeds themselves are served by
`planner.web.feedserve` (the view, its cache, and `FastPath` in front of the app); what they
hold comes from `planner.web.feeditems`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask import session as web_session
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from planner import db
from planner.agenda import when
from planner.feeds import ends
from planner.feedtokens import (
    KINDS,
    USE_NOTED_EVERY,
    FeedTokenError,
    ensure_token,
    live_tokens,
    revoke_token,
    rotate_token,
    shown_token,
)
from planner.models import Event, FeedToken
from planner.web.events import ago
from planner.web.feeditems import KEEP_PAST, feed_items
from planner.web.feedserve import FastPath, feed, hour_of
from planner.web.viewer import viewer

__all__ = ["FastPath", "bp"]

bp = Blueprint("feeds", __name__)

PREVIEW = 8  # upcoming events listed on the page
ABOUT = {
    "all": (
        "Recommended + going",
        "Your picks, each with why and whom you could meet there, and the events you go to. "
        "A pick that gets cancelled stays a week, marked cancelled.",
    ),
    "going": (
        "Going only",
        f"The events you marked Going, and those you went to in the last {KEEP_PAST.days} days.",
    ),
}
SAID = {
    "make": "Your “{title}” feed has a private URL now: add it to your calendar below.",
    "rotate": "New URL for your “{title}” feed. The old one no longer works: subscribe again.",
    "revoke": "Your “{title}” feed is off: its URL no longer works.",
}
SAID_KEY = "feed_said"  # in the session: (kind, what a change did), shown beside that feed


class ActionForm(FlaskForm):
    """Only the CSRF token."""


@dataclass(frozen=True)
class Shown:
    """One of the viewer's feeds as the page shows it; `url` None with a `row`: the URL was
    made under another secret key and cannot be shown again."""

    kind: str
    title: str
    about: str
    row: FeedToken | None
    url: str | None
    fetched: str = ""  # when a calendar last fetched it, in words
    said: str | None = None  # what the viewer's last change to it did

    @property
    def webcal(self) -> str | None:
        return "webcal://" + self.url.split("://", 1)[1] if self.url else None


def feed_url(token: str) -> str:
    """The absolute URL of a feed (the public address of the app + the feed's path)."""
    path = current_app.url_map.bind("").build("feeds.feed", {"token": token})
    return current_app.config["BASE_URL"].rstrip("/") + path


def shown(kind: str, row: FeedToken | None, now: datetime, said: str | None = None) -> Shown:
    token = shown_token(row, current_app.config["SECRET_KEY"]) if row else None
    fetched = fetched_said(row.last_used_at, now) if row else ""
    return Shown(kind, *ABOUT[kind], row, feed_url(token) if token else None, fetched, said)


def fetched_said(last_used_at: datetime | None, now: datetime) -> str:
    """When a calendar last fetched a feed, in words as exact as what is stored: a fetch is
    noted at most once an hour (`USE_NOTED_EVERY`), so the last one may be up to an hour later
    than the time noted."""
    if last_used_at is None:
        return "not fetched by a calendar yet"
    if now - last_used_at < USE_NOTED_EVERY:
        return "fetched by a calendar within the past hour"
    return f"last fetched by a calendar about {ago(last_used_at, now)}"


def reachable_from_outside() -> bool:
    """Whether calendar services on the internet can fetch this app's feeds at all."""
    if current_app.config["MODE"] == "single":
        return False
    host = urlsplit(current_app.config["BASE_URL"]).hostname or ""
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def index() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    rows = live_tokens(session, user.id)
    items = feed_items(session, user, "all", hour_of(now))
    upcoming = [item for item in items if ends(item) >= now]
    said_kind, said = web_session.pop(SAID_KEY, None) or (None, None)
    return render_template(
        "feeds/index.html",
        feeds=[
            shown(kind, rows.get(kind), now, said if kind == said_kind else None) for kind in KINDS
        ],
        preview=[(item, when(cast(Event, item), user.timezone)) for item in upcoming[:PREVIEW]],
        upcoming=len(upcoming),
        total=len(items),
        form=ActionForm(),
        outside=reachable_from_outside(),
    )


def change(kind: str, action: str) -> Response:
    """Make, rotate or revoke the viewer's feed URL of `kind`."""
    if kind not in KINDS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    user = viewer(session)
    now, secret = datetime.now(UTC), current_app.config["SECRET_KEY"]
    try:
        if action == "make":
            ensure_token(session, user, kind, secret, now)
        elif action == "rotate":
            rotate_token(session, user, kind, secret, now)
        else:
            revoke_token(session, user, kind, now)
    except FeedTokenError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("feeds.index"), 303)
    session.commit()
    web_session[SAID_KEY] = (kind, SAID[action].format(title=ABOUT[kind][0]))  # beside the feed
    return redirect(url_for("feeds.index") + f"#feed-{kind}", 303)


bp.add_url_rule("/feeds/<token>.ics", "feed", feed, methods=["GET"])
bp.add_url_rule("/feeds", "index", index, methods=["GET"])
bp.add_url_rule(
    "/feeds/<kind>/<any(make, rotate, revoke):action>", "change", change, methods=["POST"]
)
