"""What a calendar feed holds: the events the user goes to (or went to lately) and, for the
"all" feed, the recommended ones with their reasons and the people to meet there (also once
marked going), and recommended ones since cancelled (kept a while, marked cancelled)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from planner import matcher
from planner.feeds import FIELDS, Item, compose, item_from
from planner.models import Contact, ContactEvidence, Event, EventFeedback, Recommendation, User
from planner.recommend import Recommended, inputs_for, recommend
from planner.web.recommendations import (
    LIKELY_SAID,
    ROLE_SAID,
    other_contact_reasons,
    people_of,
    reason_groups,
)

KEEP_PAST = timedelta(days=30)  # events the user went to stay in the feed this long
REMEMBERED = timedelta(days=30)  # a cancelled event recommended this recently stays, as such


def picks_for(user: User) -> int:
    """How many recommendations a feed carries: as many as the week view's weeks can hold."""
    return max(10, min(200, user.events_per_week * 18 + 1))


def feed_items(session: Session, user: User, kind: str, now: datetime) -> list[Item]:
    """The events of the user's feed `kind` as of `now`: those they go to (or went to lately)
    and, for "all", the recommended ones and recommended ones since cancelled. An upcoming
    event planner recommended and the user then marked going keeps why it was recommended."""
    page = page_urls()
    marked = marked_events(session, user, now - KEEP_PAST)
    people = people_at(session, user, [row.id for row in marked])
    going = [marked_item(row, page(row.id), people.get(row.id, ())) for row in marked]
    if kind == "going":
        return compose((), going, (), now)
    found = recommend(session, user, now, limit=picks_for(user), remember=False, rows=item_rows)
    found += explained(session, user, [row for row in marked if row.recommended], now)
    recommended = [recommended_item(item, page(item.event.id)) for item in found]
    cancelled = [item_from(row, page(row.id)) for row in cancelled_picks(session, user, now)]
    return compose(recommended, going, cancelled, now)


def marked_item(row: Any, page: str, people: tuple[str, ...]) -> Item:
    """A marked event (a row of `marked_events`), dated by the later of its own update and
    the mark: marking changes what the feed shows of it (busy, "You are going.")."""
    return item_from(
        row, page, mark=row.state, people=people, updated_at=max(row.updated_at, row.marked_at)
    )


def explained(session: Session, user: User, rows: list[Any], now: datetime) -> list[Recommended]:
    """Why planner recommends each of these events (rows of `marked_events`) that the user
    marked going, as the ranking of `now` would say it had they not marked them: their goals,
    the contacts there, place and time; events that have started, or that no longer reach the
    user (too far now, say), get none. The events themselves leave the ranking once marked."""
    rows = [row for row in rows if row.state == "going" and row.start > now]
    if not rows:
        return []
    got = inputs_for(session, user, now)
    by_id = {row.id: row for row in rows}
    found = matcher.explain(
        got.profile, got.goals, got.index, got.evidence, got.feedback, now, got.trips, by_id
    )
    return [Recommended(m, cast(Event, by_id[m.event_id])) for m in found]


# what an item needs of an event: queries select these first, and items read them by position
COLUMNS = [getattr(Event, name) for name in FIELDS]


def item_rows(session: Session, owner_id: int, ids: list[int]) -> dict[int, Any]:
    """The owner's events of `ids` as rows of the columns an item needs (not ORM objects)."""
    query = select(*COLUMNS).where(Event.owner_id == owner_id, Event.id.in_(ids))
    return {row.id: row for row in session.execute(query)} if ids else {}


def marked_events(session: Session, user: User, since: datetime) -> list[Any]:
    """The user's events marked going or attended that start from `since`: rows of the columns
    an item needs, the mark (`state`) and when it was made (`marked_at`), and whether planner
    recommended the event to the user (`recommended`); not ORM objects (a third of the time
    for 300)."""
    recommended = exists().where(
        Recommendation.event_id == Event.id, Recommendation.owner_id == user.id
    )
    query = (
        select(
            *COLUMNS,
            EventFeedback.state,
            EventFeedback.at.label("marked_at"),
            recommended.label("recommended"),
        )
        .join(EventFeedback, EventFeedback.event_id == Event.id)
        .where(
            EventFeedback.owner_id == user.id,
            Event.owner_id == user.id,
            EventFeedback.state.in_(("going", "attended")),
            Event.start >= since,
        )
    )
    return list(session.execute(query))


def page_urls() -> Callable[[int], str]:
    """Event id -> the absolute URL of its page here: the route is built once, with a marker
    in place of the id, not once per event."""
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("")
    marker = 987654321
    head, *tail = adapter.build("events.detail", {"event_id": marker}).split(str(marker))
    if len(tail) != 1:  # the marker is not the id alone: build each
        return lambda event_id: base + adapter.build("events.detail", {"event_id": event_id})
    return lambda event_id: f"{base}{head}{event_id}{tail[0]}"


def recommended_item(found: Recommended, page: str) -> Item:
    """A recommendation with its reasons (those about contacts become the people list) and the
    contacts there with the evidence, in the words of the home page. `found.event` is a row of
    a query that selects `COLUMNS` first (`item_rows`, `marked_events`)."""
    match = found.match
    groups = reason_groups(match)
    reasons = [text for kind, _, texts in groups if kind != "contact" for text in texts]
    return item_from(
        cast(Any, found.event),
        page,
        reasons=tuple([*reasons, *other_contact_reasons(match)]),
        people=tuple(f"{p.claim.name} ({p.role}: {p.evidence})" for p in people_of(match)),
        introductions=tuple(intro.text for intro in match.introductions),
    )


def people_at(session: Session, user: User, event_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The contacts the evidence job found at each of these events, in words."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(
            ContactEvidence.event_id, Contact.name, ContactEvidence.role, ContactEvidence.evidence
        )
        .join(Contact, Contact.id == ContactEvidence.contact_id)
        .where(ContactEvidence.owner_id == user.id, ContactEvidence.event_id.in_(event_ids))
        .order_by(ContactEvidence.event_id, ContactEvidence.strength.desc(), Contact.name)
    )
    found: dict[int, list[str]] = {}
    for event_id, name, role, evidence in rows:
        said = evidence.removeprefix(LIKELY_SAID).strip()
        found.setdefault(event_id, []).append(f"{name} ({ROLE_SAID.get(role, 'there')}: {said})")
    return {event_id: tuple(names) for event_id, names in found.items()}


def cancelled_picks(session: Session, user: User, now: datetime) -> list[Any]:
    """Events recommended to the user lately that are now cancelled (not those turned down)."""
    dismissed = exists().where(
        EventFeedback.event_id == Event.id,
        EventFeedback.owner_id == user.id,
        EventFeedback.state == "dismissed",
    )
    query = (
        select(*COLUMNS)
        .join(
            Recommendation,
            and_(Recommendation.event_id == Event.id, Recommendation.owner_id == user.id),
        )
        .where(
            Event.owner_id == user.id,
            Event.status == "cancelled",
            Recommendation.last_at >= now - REMEMBERED,
            Event.start >= now - REMEMBERED,
            ~dismissed,
        )
        .order_by(Event.start, Event.id)
    )
    return list(session.execute(query))
