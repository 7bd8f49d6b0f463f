"""What a user sees: upcoming events from their sources, one event and where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from planner.models import Event, EventSource, Source, User

LINGER = timedelta(hours=3)  # an event without an end stays "upcoming" this long after its start
LONGEST = timedelta(days=31)  # no event runs longer: bounds the scan of the start index


def _ends_after(moment: datetime) -> Any:
    return or_(Event.end >= moment, and_(Event.end.is_(None), Event.start >= moment - LINGER))


def _upcoming(user: User, now: datetime) -> list[Any]:
    """Not ended, for `user`. All-day and floating events keep wall-clock times (stored as if UTC):
    they are compared with the user's own wall clock, so a day's events last the whole local day."""
    wall = _wall_clock(now, user.timezone)
    local_time = or_(Event.all_day, Event.floating)
    return [
        Event.owner_id == user.id,
        Event.gone_at.is_(None),
        Event.start >= min(now, wall) - LONGEST,
        or_(and_(~local_time, _ends_after(now)), and_(local_time, _ends_after(wall))),
    ]


def _wall_clock(now: datetime, zone: str | None) -> datetime:
    """`now` as the user's clock shows it, written as a UTC time (how floating times are kept)."""
    local = now.astimezone(_zone(zone) or ZoneInfo("UTC"))
    return local.replace(tzinfo=UTC)


def upcoming_events(
    session: Session,
    user: User,
    now: datetime,
    limit: int = 500,
    until: datetime | None = None,
) -> list[Event]:
    """Events from the user's sources that have not ended (and start before `until`)."""
    query = (
        select(Event)
        .where(*_upcoming(user, now))
        .options(selectinload(Event.links).selectinload(EventSource.source))
        .order_by(Event.start, Event.id)
        .limit(limit)
    )
    if until is not None:
        query = query.where(Event.start < until)
    return list(session.scalars(query))


def count_upcoming(session: Session, user: User, after: datetime) -> int:
    """How many of the user's events start at `after` or later."""
    query = select(func.count()).select_from(Event).where(*_upcoming(user, after))
    return session.scalar(query.where(Event.start >= after)) or 0


def event_for(session: Session, user: User, event_id: int) -> Event | None:
    """One event, if one of the user's sources lists (or listed) it."""
    query = (
        select(Event)
        .where(Event.id == event_id, Event.owner_id == user.id)
        .options(
            selectinload(Event.links).selectinload(EventSource.source), selectinload(Event.people)
        )
    )
    return session.scalar(query)


def sources_of(session: Session, user: User) -> list[Source]:
    return list(
        session.scalars(select(Source).where(Source.owner_id == user.id).order_by(Source.id))
    )


def upcoming_count(session: Session, source: Source, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(EventSource)
            .join(Event)
            .where(
                EventSource.source_id == source.id,
                EventSource.gone_at.is_(None),
                Event.start >= now,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class When:
    """An event's time as people read it where it happens."""

    start: datetime
    end: datetime | None
    zone: str | None
    all_day: bool

    @property
    def day(self) -> str:
        return self.start.strftime("%a %d %b %Y")

    @property
    def clock(self) -> str:
        if self.all_day:
            days = (self.end - self.start).days if self.end else 1
            return "all day" if days <= 1 else f"all day, {days} days"
        text = self.start.strftime("%H:%M")
        if self.end and self.end.date() == self.start.date():
            text += "–" + self.end.strftime("%H:%M")
        abbreviation = self.start.strftime("%Z") if self.start.tzinfo else ""
        return f"{text} {abbreviation}".strip()


def when(event: Event, fallback_zone: str = "UTC") -> When:
    """Local time of `event`: in its own zone, else the viewer's; all-day and floating as is."""
    if event.all_day or event.floating:
        start = event.start.replace(tzinfo=None)
        end = event.end.replace(tzinfo=None) if event.end else None
        return When(start, end, None, event.all_day)
    zone = _zone(event.timezone) or _zone(fallback_zone) or ZoneInfo("UTC")
    end = event.end.astimezone(zone) if event.end else None
    return When(event.start.astimezone(zone), end, zone.key, False)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def event_json(event: Event) -> dict[str, Any]:
    """A stored event in the `planner extract` shape (ARCHITECTURE.md), plus its `id` and the
    names of the sources that list it."""
    local = when(event, "UTC")

    def shown(value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.date().isoformat() if event.all_day else value.isoformat()

    return {
        "id": event.id,
        "title": event.title,
        "start": shown(local.start),
        "end": shown(local.end),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "url": event.url,
        "description": event.description,
        "venue": event.venue,
        "address": event.address,
        "lat": event.lat,
        "lon": event.lon,
        "attendance": event.attendance,
        "status": event.status,
        "organizers": list(event.organizers or []),
        "people": [{"name": p.name, "role": p.role, "url": p.url} for p in event.people],
        "categories": list(event.categories or []),
        "image": event.image,
        "price": event.price,
        "confidence": event.confidence,
        "sources": sorted({link.source.name or link.source.url for link in event.links}),
    }
