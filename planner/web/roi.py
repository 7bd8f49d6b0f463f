"""ROI: what each goal and each source has yielded, with a chart of the last months; one page per
goal and per source with the events and the people behind the numbers. Only the viewer's own."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from flask import Blueprint, abort, render_template
from sqlalchemy.orm import Session

from planner import db
from planner.agenda import sources_of
from planner.contactbook import today_of
from planner.goals import PRIORITIES, goal_of, goals_of
from planner.models import Source, User
from planner.roi import (
    Facts,
    by_goal,
    by_source,
    chart,
    events_behind,
    load_facts,
    met_at,
    monthly,
    people_met,
    tally,
)
from planner.web.viewer import viewer

bp = Blueprint("roi", __name__, url_prefix="/roi")

SERIES_NAMES = {"recommended": "recommended", "attended": "attended", "people": "people met"}


@bp.get("/")
def index() -> str:
    session = db.session()
    user = viewer(session)
    today = today_of(user, datetime.now(UTC))
    facts = load_facts(session, user)
    per_goal, per_source = by_goal(facts), by_source(facts)
    goals = [(g, tally(facts, per_goal.get(g.id, ()), today)) for g in goals_of(session, user)]
    sources = [
        (s, tally(facts, per_source.get(s.id, ()), today)) for s in sources_of(session, user)
    ]
    months = monthly(facts, None, today)
    return render_template(
        "roi/index.html",
        total=tally(facts, None, today),
        goals=goals,
        sources=sources,
        months=months,
        chart=chart(months),
        names=SERIES_NAMES,
        priorities=PRIORITIES,
    )


@bp.get("/goals/<int:goal_id>")
def goal(goal_id: int) -> str:
    session = db.session()
    user = viewer(session)
    found = goal_of(session, user, goal_id)
    if found is None:
        abort(404)
    facts = load_facts(session, user)
    return _detail(user, facts, by_goal(facts).get(found.id, set()), goal=found)


@bp.get("/sources/<int:source_id>")
def source(source_id: int) -> str:
    session = db.session()
    user = viewer(session)
    found = _own_source(session, user, source_id)
    facts = load_facts(session, user)
    return _detail(user, facts, by_source(facts).get(found.id, set()), source=found)


def _own_source(session: Session, user: User, source_id: int) -> Source:
    found = session.get(Source, source_id)
    if found is None or found.owner_id != user.id:
        abort(404)
    return found


def _detail(user: User, facts: Facts, event_ids: Collection[int], **subject: object) -> str:
    today = today_of(user, datetime.now(UTC))
    months = monthly(facts, event_ids, today)
    return render_template(
        "roi/detail.html",
        total=tally(facts, event_ids, today),
        months=months,
        chart=chart(months),
        events=events_behind(facts, event_ids),
        met=met_at(facts),
        titles={event.id: event.title for event in facts.events.values()},
        people=people_met(facts, event_ids),
        today=today,
        zone=facts.zone,
        names=SERIES_NAMES,
        priorities=PRIORITIES,
        **subject,
    )
