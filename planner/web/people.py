"""People to meet: for each contact worth meeting, the best chance in person (meet at an event),
a gathering to host (with its invitation and .ics), a coffee or a call; each with why. Only the
viewer's own contacts, events and gatherings: anyone else's gathering is "not found"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import db, matcher
from planner.agenda import when
from planner.meet import ToMeet, gathering_for, people_to_meet
from planner.models import Contact, Event, Goal, User
from planner.recommend import recommend
from planner.web.viewer import viewer

bp = Blueprint("people", __name__, url_prefix="/people")


@dataclass
class Hosted:
    """A gathering once, with the suggestions of each guest."""

    gathering: matcher.Gathering
    guests: list[ToMeet] = field(default_factory=list)


@dataclass
class Groups:
    at_events: list[ToMeet] = field(default_factory=list)
    hosted: dict[str, Hosted] = field(default_factory=dict)
    coffees: list[ToMeet] = field(default_factory=list)
    calls: list[ToMeet] = field(default_factory=list)

    def add(self, item: ToMeet) -> None:
        suggestion = item.suggestion
        if suggestion.gathering is not None:
            key = suggestion.gathering.key
            self.hosted.setdefault(key, Hosted(suggestion.gathering)).guests.append(item)
        elif suggestion.kind == "call":
            self.calls.append(item)
        elif item.event is not None:
            self.at_events.append(item)
        else:
            self.coffees.append(item)


@dataclass(frozen=True)
class ToIntroduce:
    introduction: matcher.Introduction
    event: Event


def introductions_for(session: Session, user: User, now: datetime) -> list[ToIntroduce]:
    """Introductions worth making at the viewer's recommended events, best event first."""
    picks = recommend(session, user, now, remember=False)
    return [ToIntroduce(i, pick.event) for pick in picks for i in pick.match.introductions]


@bp.get("/")
def index() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    groups = Groups()
    for item in people_to_meet(session, user, now):
        groups.add(item)
    groups.hosted = dict(sorted(groups.hosted.items(), key=lambda kv: kv[1].gathering.start))
    counts = {
        "contacts": session.scalar(
            select(func.count()).select_from(Contact).where(Contact.owner_id == user.id)
        ),
        "goals": session.scalar(
            select(func.count()).select_from(Goal).where(Goal.owner_id == user.id, ~Goal.paused)
        ),
    }
    return render_template(
        "people/index.html",
        groups=groups,
        counts=counts,
        user=user,
        when=when,
        introductions=introductions_for(session, user, now),
    )


@bp.get("/gatherings/<key>.ics")
def gathering_ics(key: str) -> Response:
    """The .ics of one of the viewer's gatherings, to import or send."""
    session = db.session()
    now = datetime.now(UTC)
    gathering = gathering_for(session, viewer(session), key, now)
    if gathering is None:
        abort(404)
    name = f"gathering-{gathering.start:%Y-%m-%d}.ics"
    return Response(
        matcher.gathering_calendar(gathering, now),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
