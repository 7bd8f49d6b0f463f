"""The home page (upcoming events) and one event's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, render_template, request

from planner import db
from planner.agenda import count_upcoming, event_for, upcoming_events, when
from planner.web.viewer import viewer

bp = Blueprint("events", __name__)


DEFAULT_DAYS = 60


@bp.get("/")
def index() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    days_ahead = request.args.get("days", DEFAULT_DAYS, type=int) or DEFAULT_DAYS
    days_ahead = max(1, min(days_ahead, 366))
    found = upcoming_events(session, user, now, until=now + timedelta(days=days_ahead))
    days: dict[str, list[tuple[object, object, list[str]]]] = {}
    for event in found:
        local = when(event, user.timezone)
        names = sorted(
            {
                link.source.name or link.source.url
                for link in event.links
                if link.source.owner_id == user.id
            }
        )
        days.setdefault(local.day, []).append((event, local, names))
    later = count_upcoming(session, user, now + timedelta(days=days_ahead))
    return render_template(
        "events/index.html",
        days=days,
        user=user,
        count=len(found),
        has_sources=bool(user.sources),
        days_ahead=days_ahead,
        later=later,
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
