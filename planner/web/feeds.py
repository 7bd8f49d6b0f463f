"""The private calendar feeds: `/feeds/<token>.ics` (public, by token) and the page that shows,
rotates and revokes the viewer's feed URLs with "add by URL" steps for calendar apps."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feeds", __name__)
