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
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from planner import db
from planner.agenda import when
from planner.feeds import ends
from planner.feedtokens import (
    KINDS,
    FeedTokenError,
    ensure_token,
    live_tokens,
    revoke_token,
    rotate_token,
    shown_token,
)
from planner.models import Event, FeedToken
from planner.web.feeditems import feed_items
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
    "going": ("Going only", "The events you marked Going, and those you went to this month."),
}
SAID = {
    "make": "Your “{title}” feed has a private URL now: add it to your calendar below.",
    "rotate": "New URL for your “{title}” feed. The old one no longer works: subscribe again.",
    "revoke": "Your “{title}” feed is off: its URL no longer works.",
}


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

    @property
    def webcal(self) -> str | None:
        return "webcal://" + self.url.split("://", 1)[1] if self.url else None


def feed_url(token: str) -> str:
    """The absolute URL of a feed (the public address of the app + the feed's path)."""
    path = current_app.url_map.bind("").build("feeds.feed", {"token": token})
    return current_app.config["BASE_URL"].rstrip("/") + path


def shown(kind: str, row: FeedToken | None) -> Shown:
    token = shown_token(row, current_app.config["SECRET_KEY"]) if row else None
    return Shown(kind, *ABOUT[kind], row, feed_url(token) if token else None)


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
    return render_template(
        "feeds/index.html",
        feeds=[shown(kind, rows.get(kind)) for kind in KINDS],
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
    flash(SAID[action].format(title=ABOUT[kind][0]), "ok")
    return redirect(url_for("feeds.index") + f"#feed-{kind}", 303)


bp.add_url_rule("/feeds/<token>.ics", "feed", feed, methods=["GET"])
bp.add_url_rule("/feeds", "index", index, methods=["GET"])
bp.add_url_rule(
    "/feeds/<kind>/<any(make, rotate, revoke):action>", "change", change, methods=["POST"]
)
