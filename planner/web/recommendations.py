"""The home page (the user's recommendations, what they are going to, what to follow up), the
week-by-week view and the serendipity switch. Routed by `events`, whose blueprint they share."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from planner import db
from planner.agenda import When, when
from planner.attendance import follow_ups, marked_events
from planner.matcher import ContactAtEvent, Match
from planner.models import Contact, Event, Goal, User
from planner.recommend import recommend
from planner.web.viewer import viewer

PICKS = 10  # recommendations on the home page
RECENT = timedelta(days=14)  # past events marked going or attended that ask "did you go?"
WEEKS = 8  # the week view's reach
REASON_LABELS = {
    "serendipity": "Serendipity",
    "goal": "Goals",
    "contact": "Contacts",
    "trip": "Trip",
    "place": "Place",
    "time": "Time",
    "budget": "Budget",
    "feedback": "Your feedback",
}
ROLE_SAID = {
    "speaker": "speaking",
    "organizer": "organizing",
    "host": "hosting",
    "attendee": "going",
    "mentioned": "named on the event",
    "likely": "likely there, not confirmed",
}
LIKELY_SAID = "likely there, not confirmed:"
ALSO = re.compile(r"; (also at \d+ other upcoming events?)")
_WEB = ("http://", "https://")


@dataclass(frozen=True)
class Card:
    """One event as a card: when and where people read it, the user's mark, and (for a
    recommendation) why it is there."""

    event: Event
    local: When
    place: str
    state: str = ""
    past: bool = False
    match: Match | None = None

    @property
    def reasons(self) -> list[tuple[str, str, list[str]]]:
        return [] if self.match is None else reason_groups(self.match)

    @property
    def people(self) -> list[Person]:
        return [] if self.match is None else people_of(self.match)

    @property
    def other_contact_reasons(self) -> list[str]:
        return [] if self.match is None else other_contact_reasons(self.match)


def reason_groups(found: Match) -> list[tuple[str, str, list[str]]]:
    """(kind, label, texts) for each kind of reason the match gives; serendipity first."""
    grouped: dict[str, list[str]] = {}
    for reason in found.reasons:
        grouped.setdefault(reason.kind, []).append(reason.text)
    if found.contacts:
        grouped.setdefault("contact", [])  # the people there are shown in this group
    order = [*REASON_LABELS, *(kind for kind in grouped if kind not in REASON_LABELS)]
    return [(k, REASON_LABELS.get(k, k.title()), grouped[k]) for k in order if k in grouped]


def people_of(found: Match) -> list[Person]:
    """The contacts at the event, each with what they do there and the evidence."""
    texts = [r.text for r in found.reasons if r.kind == "contact"]
    return [person_of(claim, texts) for claim in found.contacts]


def other_contact_reasons(found: Match) -> list[str]:
    """Contact reasons that name no one listed in `people_of` (shown as they are)."""
    names = [claim.name for claim in found.contacts]
    return [
        r.text
        for r in found.reasons
        if r.kind == "contact"
        and not any(r.text.startswith(name + " ") for name in names)
        and not (r.text.startswith(LIKELY_SAID) and any(name in r.text for name in names))
    ]


@dataclass(frozen=True)
class Person:
    """A contact at an event as a card shows them."""

    claim: ContactAtEvent
    role: str  # in words: "speaking", "likely there, not confirmed"
    evidence: str
    elsewhere: str | None  # "also at 3 other upcoming events"


def person_of(claim: ContactAtEvent, reasons: list[str]) -> Person:
    """`claim` in words; the matcher's contact reason about them may add where else they are."""
    evidence = claim.evidence
    if claim.likely:
        evidence = evidence.removeprefix(LIKELY_SAID).strip()
    elsewhere = None
    for text in reasons:
        found = ALSO.search(text) if text.startswith(claim.name + " ") else None
        if found:
            elsewhere = found.group(1)
    return Person(claim, role_said(claim), evidence, elsewhere)


def role_said(claim: ContactAtEvent) -> str:
    return ROLE_SAID.get(claim.role, "there")


def place_of(event: Event) -> str:
    """Where, as one line: the venue (or address), else what the event says about the place."""
    for place in (event.venue, event.address):
        if place and not place.startswith(_WEB):
            return place
    if event.venue or event.address or event.attendance == "online":
        return "Online; the link is on the event page"
    return "Place not given"


def card_of(
    event: Event, user: User, now: datetime, state: str = "", found: Match | None = None
) -> Card:
    return Card(
        event, when(event, user.timezone), place_of(event), state, event.start <= now, found
    )


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(user: User, now: datetime) -> date:
    return now.astimezone(zone_of(user)).date()


def home() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    today = local_today(user, now)
    found = recommend(session, user, now, limit=PICKS)
    session.commit()  # what was recommended is kept for what each goal and source yields
    picks = [card_of(item.event, user, now, found=item.match) for item in found]
    going = [card_of(e, user, now, s) for e, s in marked_events(session, user, ("going",), now)]
    recent = marked_events(session, user, ("going", "attended"), now - RECENT, now)
    dismissed = marked_events(session, user, ("dismissed",), now)
    return render_template(
        "events/home.html",
        user=user,
        picks=picks,
        going=going,
        recent=[card_of(e, user, now, s) for e, s in reversed(recent)],
        dismissed=[card_of(e, user, now, s) for e, s in dismissed],
        due=follow_ups(session, user, today),
        today=today,
        setup=setup_steps(session, user),
        here=request.full_path.rstrip("?"),
    )


@dataclass(frozen=True)
class Step:
    """Something a new user still has to do before recommendations can be made."""

    key: str
    text: str
    link: str
    endpoint: str


def setup_steps(session: Session, user: User) -> list[Step]:
    steps = []
    goals = session.execute(
        select(func.count(Goal.id), func.count(Goal.id).filter(Goal.paused.is_(False))).where(
            Goal.owner_id == user.id
        )
    ).one()
    if not goals[1]:
        text = (
            "Your goals are all paused: resume one to get picks."
            if goals[0]
            else "Say what you want from meeting people, e.g. “meet Rust developers”."
        )
        steps.append(Step("goals", text, "Goals", "goals.index"))
    if not user.sources:
        text = "Follow event calendars (Meetup, Luma, Google Calendar…) to see what is on."
        steps.append(Step("sources", text, "Sources", "sources.index"))
    if not user.home_location:
        text = "Tell us your home city, so that picks are near you."
        steps.append(Step("home", text, "Profile", "profile.index"))
    if session.scalar(select(Contact.id).where(Contact.owner_id == user.id).limit(1)) is None:
        text = "Bring your contacts (LinkedIn, vCard, Mastodon) to see whom you can meet where."
        steps.append(Step("contacts", text, "Contacts", "contacts.index"))
    return steps


@dataclass
class Week:
    """One week (Monday to Sunday, in the user's zone): the picks in it, the events the user
    goes to (or went to), and how much of the weekly budget they use."""

    start: date
    label: str
    budget: int
    picks: list[Card] = field(default_factory=list)
    going: list[Card] = field(default_factory=list)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def used(self) -> int:
        return len(self.going)

    @property
    def left(self) -> int:
        return max(0, self.budget - self.used)


def weeks() -> str:
    session = db.session()
    user = viewer(session)
    now = datetime.now(UTC)
    zone = zone_of(user)
    today = local_today(user, now)
    monday = today - timedelta(days=today.weekday())
    starts = [monday + timedelta(weeks=n) for n in range(WEEKS)]
    table = [
        Week(start, _week_label(n, start), user.events_per_week) for n, start in enumerate(starts)
    ]
    limit = max(PICKS, min(200, user.events_per_week * 18 + 1))  # the matcher looks 120 days on
    found = recommend(session, user, now, limit=limit)
    session.commit()
    since = datetime.combine(monday, time(), zone).astimezone(UTC)
    marked = marked_events(session, user, ("going", "attended"), since)
    _place(table, zone, (card_of(e, user, now, s) for e, s in marked), "going")
    _place(table, zone, (card_of(i.event, user, now, found=i.match) for i in found), "picks")
    for week in table:
        week.picks.sort(key=lambda card: (card.event.start, card.event.id))
    return render_template(
        "events/weeks.html",
        user=user,
        weeks=table,
        here=request.full_path.rstrip("?"),
    )


def _week_label(n: int, start: date) -> str:
    if n == 0:
        return "This week"
    if n == 1:
        return "Next week"
    return f"Week of {start.strftime('%a %d %b')}"


def _place(table: list[Week], zone: ZoneInfo, cards: Iterable[Card], part: str) -> None:
    first = table[0].start
    for card in cards:
        event = card.event
        local = event.start if event.all_day or event.floating else event.start.astimezone(zone)
        n = (local.date() - first).days // 7
        if 0 <= n < len(table):
            getattr(table[n], part).append(card)


def serendipity() -> Response:
    """The switch for the labelled pick from outside the user's goals."""
    session = db.session()
    user = viewer(session)
    user.serendipity = request.form.get("on") == "1"
    session.commit()
    if user.serendipity:
        flash("Serendipity is on: one pick from outside your goals.", "ok")
    else:
        flash("Serendipity is off: every pick follows your goals and contacts.", "ok")
    return redirect(url_for("events.index") + "#settings", 303)
