"""The weekly email digest: what it says (and, from `planner.digestweek`, when it is due).

    gather(session, user, now)              # -> Digest: what this week's digest says (reads only)
    compose(user, found, to_meet, ...)      # the same from data already read (pure)
    due_week(now, zone, weekday, hour, since)  # "2026-W48" in the day after its slot, else None

The mail of a digest is made in `planner.mail` (`digest_message`), sent at most once by
`planner.sending` (`send_digest`); `planner.schedule.send_digests` queues the due ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from planner import matcher
from planner.agenda import when
from planner.attendance import FollowUp, follow_ups, marked_events
from planner.digestweek import due_week as due_week  # where planner.schedule looks for it
from planner.digestweek import week_of
from planner.matcher.place import local_day, reaches, whereabouts, zone
from planner.meet import ToMeet, people_to_meet
from planner.models import Event, User
from planner.recommend import Recommended, event_record, profile_of, recommend, trip_records

WINDOW = timedelta(days=14)  # "the next two weeks"
POOL = 12  # recommendations read for one digest
PEOPLE = 6  # at most this many in "people to meet"
IN_PERSON = ("meet", "travel", "host")  # suggestions that make a digest worth sending
ROLE_WORDS = {
    "speaker": "speaking", "organizer": "organizing", "host": "hosting", "attendee": "going",
    "mentioned": "named on the event", "likely": "likely there, not confirmed",
}  # fmt: skip


@dataclass(frozen=True)
class Seen:
    """One of the user's contacts at an event, and the evidence for it."""

    name: str
    role: str  # in words: "speaking", "likely there, not confirmed", ...
    evidence: str


@dataclass(frozen=True)
class Item:
    """An event in the digest, as the mail shows it."""

    event_id: int
    title: str
    day: str
    clock: str
    start: datetime
    where: str
    attendance: str
    near: bool  # in person, within the user's radius of where they are that day
    city: str | None  # where "near" is: home, or the trip's city
    reasons: tuple[str, ...] = ()
    contacts: tuple[Seen, ...] = ()
    invites: tuple[str, ...] = ()  # "Invite ...", "Meet ... here" from people to meet
    serendipity: bool = False


@dataclass(frozen=True)
class Person:
    """A contact worth meeting: the suggestion (at an event, a gathering, a coffee, a call)."""

    contact_id: int
    name: str
    kind: str
    text: str
    reasons: tuple[str, ...]
    event_id: int | None = None
    event_title: str | None = None


@dataclass(frozen=True)
class Digest:
    """What one week's digest says."""

    name: str | None
    email: str
    timezone: str
    week: str
    first_day: date
    last_day: date
    city: str | None
    per_week: int
    near: tuple[Item, ...] = ()
    rest: tuple[Item, ...] = ()
    left_out: int = 0  # good events the budget kept out of this digest
    going: tuple[Item, ...] = ()
    people: tuple[Person, ...] = ()  # those not already named at an event above
    follow_ups: tuple[Person, ...] = ()
    headline: Person | None = None  # the best chance to meet someone, for the subject

    @property
    def events(self) -> int:
        return len(self.near) + len(self.rest)

    @property
    def worth_sending(self) -> bool:
        """Events, a chance to meet someone in person, or follow-ups due: else no mail."""
        chances = any(p.kind in IN_PERSON for p in self.people)
        return bool(self.events or chances or self.follow_ups)

    @property
    def until(self) -> date:
        """The last day the digest speaks of: the end of the two weeks, or a later event's."""
        return max([self.last_day, *(self._day(item) for item in self.near + self.rest)])

    @property
    def later(self) -> tuple[Item, ...]:
        """The listed events after the two weeks."""
        return tuple(item for item in self.near + self.rest if self._day(item) > self.last_day)

    @property
    def subject(self) -> str:
        if self.near:
            head = f"Next two weeks: {_count(len(self.near), 'meetup')} near {self.city or 'you'}"
        elif self.events and not self.later:
            head = f"Next two weeks: {_count(self.events, 'event')} picked for you"
        elif self.events:  # some or all later: their days
            head = f"{_count(self.events, 'event')} picked for you, {self._span(self.rest)}"
        elif any(p.kind in IN_PERSON for p in self.people):
            head = "People to meet in person"
        else:
            head = f"{_count(len(self.follow_ups), 'follow-up')} due"
        if self.headline is not None and self.headline.event_title:
            head += f" — meet {self.headline.name} at {short_title(self.headline.event_title)}"
        return " ".join(head.split())

    @property
    def intro(self) -> str:
        """The mail's first line: what it lists, over which days."""
        soon = "Where to meet whom, in person, in the next two weeks"
        where = f", around {self.city}" if self.city else ""
        if not self.later:
            return f"{soon}{where}."
        if len(self.later) == self.events:
            span = self._span(self.rest)
            return f"Nothing near you in the next two weeks: picked for later, {span}."
        return f"{soon}{where}, then later events worth a look."

    def _day(self, item: Item) -> date:
        return item.start.astimezone(zone(self.timezone)).date()

    def _span(self, items: Sequence[Item]) -> str:
        """The days of `items`: "8–23 Dec"."""
        days = sorted(self._day(item) for item in items)
        return day_span(days[0], days[-1])


def day_span(first: date, last: date) -> str:
    """Days in words: "8–23 Dec", "30 Nov – 12 Dec", "28 Dec 2026 – 3 Jan 2027", "8 Dec"."""
    if first == last:
        return f"{first:%-d %b}"
    if first.year != last.year:
        return f"{first:%-d %b %Y} – {last:%-d %b %Y}"
    if first.month != last.month:
        return f"{first:%-d %b} – {last:%-d %b}"
    return f"{first:%-d}–{last:%-d %b}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def short_title(title: str, most: int = 40) -> str:
    """The series part of a title ("PyBerlin Talks: Typed Python" -> "PyBerlin Talks")."""
    head = title
    for mark in (": ", " – ", " — ", " - ", " | "):
        head = head.split(mark, 1)[0]
    head = " ".join(head.split())
    return head if len(head) <= most else head[: most - 1].rstrip() + "…"


def home_city(home: str | None) -> str | None:
    """The city of a home place as typed ("Portland, OR" -> "Portland")."""
    city = (home or "").split(",")[0].strip()
    return city or None


# --- what the digest says ---------------------------------------------------------------------


def gather(session: Session, user: User, now: datetime, remember: bool = False) -> Digest:
    """This week's digest for `user` from the database; records what was recommended only
    with `remember` (a real send), nothing else."""
    found = recommend(session, user, now, limit=POOL, remember=remember)
    going = [event for event, _ in marked_events(session, user, ("going",), now, now + WINDOW)]
    today = now.astimezone(zone(user.timezone)).date()
    return compose(
        user,
        found,
        people_to_meet(session, user, now),
        going,
        follow_ups(session, user, today),
        trip_records(session, user),
        now,
    )


def compose(
    user: User,
    found: Sequence[Recommended],
    to_meet: Sequence[ToMeet],
    going: Sequence[Event],
    due: Sequence[FollowUp],
    trips: Sequence[matcher.Trip],
    now: datetime,
) -> Digest:
    """The digest from what was read: nearby in-person events of the next two weeks first,
    then the best of the rest, at most two weeks' budget of events in all."""
    items = _items(user, found, to_meet, trips)
    soon = now + WINDOW
    near = [item for item in items if item.near and item.start < soon]
    others = [item for item in items if not (item.near and item.start < soon)]
    room = max(2 * user.events_per_week - len(near), 0)
    rest = sorted(others[:room], key=lambda item: item.start)  # the best, in date order
    shown = {item.event_id for item in near + rest}
    people = [t for t in to_meet if t.event is None or t.event.id not in shown][:PEOPLE]
    headline = _headline(to_meet, shown | {t.event.id for t in people if t.event is not None})
    cities = {item.city for item in near}
    today = now.astimezone(zone(user.timezone)).date()
    return Digest(
        name=user.name,
        email=user.email,
        timezone=user.timezone,
        week=week_of(now, user.timezone),
        first_day=today,
        last_day=today + WINDOW - timedelta(days=1),
        city=cities.pop() if len(cities) == 1 else None,
        per_week=user.events_per_week,
        near=tuple(sorted(near, key=lambda item: item.start)),
        rest=tuple(rest),
        left_out=max(len(others) - room, 0),
        going=tuple(_item(user, event) for event in going),
        people=tuple(_person(item) for item in people),
        follow_ups=tuple(_follow_up(item) for item in due),
        headline=_person(headline) if headline is not None else None,
    )


def _headline(to_meet: Sequence[ToMeet], named: set[int]) -> ToMeet | None:
    """The best chance to meet someone at an event the digest names, for the subject."""
    for item in to_meet:
        at_event = item.suggestion.kind in ("meet", "travel") and item.event is not None
        if at_event and item.event is not None and item.event.id in named:
            return item
    return None


def _items(
    user: User,
    found: Sequence[Recommended],
    to_meet: Sequence[ToMeet],
    trips: Sequence[matcher.Trip],
) -> list[Item]:
    profile = profile_of(user)
    records = [event_record(r.event) for r in found]
    ats = [whereabouts(profile, tuple(trips), local_day(e, profile.timezone)) for e in records]
    places = reaches(records, ats, profile)
    items = []
    for pick, at, place in zip(found, ats, places, strict=True):
        near = pick.event.attendance != "online" and place.km is not None
        near = near and (place.km or 0.0) <= profile.radius_km
        city = at.trip.city if at.trip is not None else home_city(user.home_location)
        items.append(_item(user, pick.event, pick.match, near, city, to_meet))
    return items


def _item(
    user: User,
    event: Event,
    match: matcher.Match | None = None,
    near: bool = False,
    city: str | None = None,
    to_meet: Sequence[ToMeet] = (),
) -> Item:
    local = when(event, user.timezone)
    where = ", ".join(dict.fromkeys(p for p in (event.venue, event.address) if p))
    reasons = tuple(r.text for r in match.reasons if r.kind != "contact") if match else ()
    claims = match.contacts if match else []
    roles = {c.contact_id: c.role for c in claims}
    return Item(
        event_id=event.id,
        title=event.title,
        day=local.day,
        clock=local.clock,
        start=event.start,
        where=where or ("online" if event.attendance == "online" else "place not given"),
        attendance=event.attendance,
        near=near,
        city=city,
        reasons=reasons,
        contacts=tuple(_seen(claim) for claim in claims),
        invites=tuple(
            _invite(t, roles.get(t.contact.id))
            for t in to_meet
            if t.event is not None and t.event.id == event.id
        ),
        serendipity=bool(match and match.serendipity),
    )


def _seen(claim: matcher.ContactAtEvent) -> Seen:
    role = ROLE_WORDS.get(claim.role, claim.role)
    return Seen(claim.name, role, claim.evidence.removeprefix(role + ": "))


def _invite(item: ToMeet, role: str | None) -> str:
    why = "; ".join(item.suggestion.about_person[:2])
    if role is None or role == "likely":
        return f"Invite {item.contact.name}: likely there, not confirmed — {why}"
    return f"Meet {item.contact.name} here — {why}"


def _person(item: ToMeet) -> Person:
    suggestion = item.suggestion
    return Person(
        contact_id=item.contact.id,
        name=item.contact.name,
        kind=suggestion.kind,
        text=suggestion.text,
        reasons=tuple(suggestion.about_person),
        event_id=item.event.id if item.event is not None else None,
        event_title=item.event.title if item.event is not None else None,
    )


def _follow_up(item: FollowUp) -> Person:
    meeting, where = item.meeting, f" at {item.event.title}" if item.event is not None else ""
    text = f"Follow up with {item.contact.name}: you met {meeting.met_on:%-d %b}{where}"
    return Person(item.contact.id, item.contact.name, "follow-up", text, ())
