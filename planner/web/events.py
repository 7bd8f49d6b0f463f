"""The home page (upcoming events) and one event's page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template

from planner import db
from planner.agenda import event_for, upcoming_events, when
from planner.web.viewer import viewer

bp = Blueprint("events", __name__)


@bp.get("/")
def index() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    found = upcoming_events(session, user, now)
    days: dict[str, list[tuple[object, object]]] = {}
    for event in found:
        local = when(event, user.timezone)
        days.setdefault(local.day, []).append((event, local))
    has_sources = bool(user.sources)
    return render_template(
        "events/index.html", days=days, user=user, has_sources=has_sources, count=len(found)
    )


@bp.get("/events/<int:event_id>")
def detail(event_id: int) -> str:
    session = db.session()
    user = viewer(session)
    event = event_for(session, user, event_id)
    if event is None:
        abort(404)
    links = [link for link in event.links if link.source.owner_id == user.id]
    return render_template(
        "events/detail.html", event=event, local=when(event, user.timezone), links=links, user=user
    )


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'5 minutes ago', '3 days ago'; 'never' for None."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
