"""Web views: blueprints registered on the app, security headers, template helpers."""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf import CSRFProtect

from planner.mail import wordwrap
from planner.web import (
    auth,
    contacts,
    digest,
    events,
    feeds,
    goals,
    health,
    people,
    profile,
    roi,
    sources,
    trips,
)

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    auth.init_app(app)
    app.register_blueprint(events.bp)
    app.register_blueprint(sources.bp)
    for module in (profile, goals, contacts, trips, people, roi, feeds, digest, health):
        app.register_blueprint(module.bp)
    app.after_request(_security_headers)
    # unchanged feeds are answered before the app's per-request work (planner/web/feedserve.py)
    app.wsgi_app = feeds.FastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    app.jinja_env.filters["ago"] = events.ago
    app.jinja_env.filters["wordwrap"] = wordwrap  # the same text, faster for short lines


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
